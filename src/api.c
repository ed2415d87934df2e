/* api.c: version negotiation, request paths and filters, the engine's error text. */
#include "api.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "text.h"

int dc_api_negotiate(const dc_http_response_t *ping, const char *pinned, dc_engine_t *out, char *err,
                     size_t errlen) {
  memset(out, 0, sizeof(*out));
  snprintf(out->server, sizeof(out->server), "%s", ping->server);
  out->podman = ping->libpod_api_version[0] != '\0';
  if (ping->status != 200) {
    snprintf(err, errlen, "the engine answered /_ping with HTTP %d", ping->status);
    return -EPROTO;
  }
  if (ping->api_version[0] && dc_api_version_valid(ping->api_version)) {
    snprintf(out->daemon_max, sizeof(out->daemon_max), "%s", ping->api_version);
  } else {
    /* Without a version the engine is either ancient or not an engine: speak the oldest
     * version we know, which every engine we support accepts. */
    snprintf(out->daemon_max, sizeof(out->daemon_max), "%s", DC_API_MIN);
    if (!pinned || !*pinned)
      dc_warn("the engine did not report a valid API version; assuming %s", DC_API_MIN);
  }
  if (pinned && *pinned) {
    /* A pin the engine cannot serve is refused here, before any other request, the same way
     * on every engine: Docker would answer every request 400 "client version is too new",
     * Podman would accept it and answer as its own version. */
    if (ping->api_version[0] && dc_api_version_valid(ping->api_version) &&
        dc_api_version_cmp(pinned, out->daemon_max) > 0) {
      snprintf(err, errlen, "DOCKER_API_VERSION=%s is newer than the engine's API version %s: unset it or pin %s",
               pinned, out->daemon_max, out->daemon_max);
      return -EPROTO;
    }
    snprintf(out->version, sizeof(out->version), "%s", pinned);
    return 0;
  }
  if (dc_api_version_cmp(out->daemon_max, DC_API_MIN) < 0) {
    snprintf(err, errlen, "the engine's API version %s is older than the oldest supported, %s",
             out->daemon_max, DC_API_MIN);
    return -EPROTO;
  }
  snprintf(out->version, sizeof(out->version), "%s",
           dc_api_version_cmp(out->daemon_max, DC_API_MAX) < 0 ? out->daemon_max : DC_API_MAX);
  return 0;
}

int dc_api_check_min(const char *body, size_t len, const char *pinned, char *err, size_t errlen) {
  json_t *root = body && len ? json_loadb(body, len, 0, NULL) : NULL;
  json_t *m = json_is_object(root) ? json_object_get(root, "MinAPIVersion") : NULL;
  int rc = 0;
  if (json_is_string(m) && dc_api_version_valid(json_string_value(m)) &&
      dc_api_version_cmp(pinned, json_string_value(m)) < 0) {
    snprintf(err, errlen, "DOCKER_API_VERSION=%s is older than the engine's minimum API version %s: unset it or pin %s",
             pinned, json_string_value(m), json_string_value(m));
    rc = -EPROTO;
  }
  json_decref(root);
  return rc;
}

int dc_urlencode(char *out, size_t cap, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      if (o + 1 >= cap)
        return -ENAMETOOLONG;
      out[o++] = (char)c;
    } else {
      if (o + 3 >= cap)
        return -ENAMETOOLONG;
      out[o++] = '%';
      out[o++] = hex[c >> 4];
      out[o++] = hex[c & 15];
    }
  }
  if (o >= cap)
    return -ENAMETOOLONG;
  out[o] = '\0';
  return (int)o;
}

/* Adds name: {value: true} to filters. Returns 0, or -EILSEQ when jansson refuses the value
 * as a key (it is not valid UTF-8), -ENOMEM: the caller then sends nothing, since a term
 * left out would make the filter wider than the one configured. */
static int add_term(json_t *filters, const char *name, const char *value) {
  if (!dc_utf8_valid(value, strlen(value)))
    return -EILSEQ;
  json_t *m = json_object_get(filters, name);
  if (!m) {
    m = json_object();
    if (!m || json_object_set_new(filters, name, m) < 0)
      return -ENOMEM; /* json_object_set_new releases m */
  }
  return json_object_set_new(m, value, json_true()) < 0 ? -ENOMEM : 0;
}

/* A term rendered by snprintf into buf, then added: both checked. */
static int add_label_term(json_t *filters, const char *name, const dc_label_term_t *t, char *buf, size_t cap) {
  if (dc_label_term_format(t, buf, cap) < 0)
    return -ENAMETOOLONG;
  return add_term(filters, name, buf);
}

/* The age of the cut-off in milliseconds, 0 when it is in the future. The difference is
 * taken in unsigned arithmetic: for a cut-off before about 1733, now - until overflows
 * int64 (undefined behaviour); as uint64 it is exact, and divided it fits again. */
int64_t dc_api_until_age_ms(int64_t now_ns, int64_t until_ns) {
  if (now_ns <= until_ns)
    return 0;
  return (int64_t)(((uint64_t)now_ns - (uint64_t)until_ns) / UINT64_C(1000000));
}

int64_t dc_bytes_add(int64_t total, int64_t n) {
  if (total < 0)
    total = 0;
  if (n <= 0)
    return total;
  return n > INT64_MAX - total ? INT64_MAX : total + n;
}

int dc_api_filters_build(const dc_filter_fields_t *cfg, unsigned flags, const char *dangling, int64_t now_ns,
                         char **out) {
  *out = NULL;
  json_t *f = json_object();
  if (!f)
    return -ENOMEM;
  char buf[2 * DC_LABEL_MAX + 2];
  int rc = 0, n;
  if ((flags & DC_F_UNTIL) && cfg->has_until) {
    long long s = (long long)(cfg->until_ns / 1000000000);
    long long ns = (long long)(cfg->until_ns % 1000000000);
    if (ns < 0) {
      s -= 1;
      ns += 1000000000;
    }
    n = snprintf(buf, sizeof(buf), "%lld.%09lld", s, ns);
    rc = (n < 0 || (size_t)n >= sizeof(buf)) ? -ENAMETOOLONG : add_term(f, "until", buf);
  }
  if (rc == 0 && (flags & DC_F_UNTIL_AGE) && cfg->has_until) {
    n = snprintf(buf, sizeof(buf), "%lldms", (long long)dc_api_until_age_ms(now_ns, cfg->until_ns));
    rc = (n < 0 || (size_t)n >= sizeof(buf)) ? -ENAMETOOLONG : add_term(f, "until", buf);
  }
  if (flags & DC_F_LABELS)
    for (size_t i = 0; rc == 0 && i < cfg->nlabels; i++)
      if (!cfg->labels[i].negate)
        rc = add_label_term(f, "label", &cfg->labels[i], buf, sizeof(buf));
  if (rc == 0 && (flags & DC_F_PROTECT))
    rc = add_label_term(f, "label!", cfg->protect, buf, sizeof(buf));
  if (rc == 0 && dangling)
    rc = add_term(f, "dangling", dangling);
  if (rc == 0 && json_object_size(f) == 0) {
    if (!(*out = strdup("")))
      rc = -ENOMEM;
  } else if (rc == 0) {
    char *js = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS);
    size_t cap = js ? strlen(js) * 3 + 1 : 0;
    char *enc = js ? malloc(cap) : NULL;
    if (!enc || dc_urlencode(enc, cap, js) < 0) {
      free(enc);
      rc = -ENOMEM;
    } else {
      *out = enc;
    }
    free(js);
  }
  json_decref(f);
  return rc;
}

int dc_api_path(char *out, size_t cap, const dc_engine_t *e, const char *endpoint, const char *query) {
  int n = snprintf(out, cap, "/v%s%s%s%s", e->version, endpoint, query && *query ? "?" : "",
                   query ? query : "");
  return (n < 0 || (size_t)n >= cap) ? -ENAMETOOLONG : 0;
}

int dc_api_resource_path(char *out, size_t cap, const dc_engine_t *e, const char *prefix, const char *id,
                         const char *suffix, const char *query) {
  /* "." and ".." are unreserved, so they would travel as dot segments, and an engine that
   * decodes %2F before cleaning the path would resolve a "/" too: no engine reports such an
   * ID, and none is ever sent. */
  if (!id[0] || strcmp(id, ".") == 0 || strcmp(id, "..") == 0 || strchr(id, '/'))
    return -EINVAL;
  char enc[1024], ep[1200];
  if (dc_urlencode(enc, sizeof(enc), id) < 0)
    return -ENAMETOOLONG;
  int n = snprintf(ep, sizeof(ep), "%s%s%s", prefix, enc, suffix);
  if (n < 0 || (size_t)n >= sizeof(ep))
    return -ENAMETOOLONG;
  return dc_api_path(out, cap, e, ep, query);
}


void dc_api_error_message(const char *body, size_t len, char *out, size_t cap) {
  if (cap == 0)
    return;
  out[0] = '\0';
  const char *src = NULL;
  size_t n = 0;
  json_t *root = NULL;
  if (body && len) {
    root = json_loadb(body, len, 0, NULL);
    json_t *m = json_is_object(root) ? json_object_get(root, "message") : NULL;
    if (json_is_string(m)) {
      src = json_string_value(m);
      n = json_string_length(m);
    } else if (!root) {
      src = body;
      n = len;
    }
  }
  /* ASCII only, as it always was: every other byte is a '?'. */
  size_t o = dc_text_clean(out, cap, src, n, DC_TEXT_ASCII | DC_TEXT_BLANKS);
  while (o > 0 && out[o - 1] == ' ')
    o--;
  out[o] = '\0';
  json_decref(root);
}
