/* api.c: versions, paths, filters and reply decoding.
 *
 * Replies are decoded with jansson into small structs; a field of the wrong type is treated
 * as absent where the field is optional and as an error where it is not, so no reply can
 * crash the program or make it act on a half-read inventory. */
#include "api.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "text.h"

#define MAX_STRING 4096

static const char *const singular[] = {"container", "build cache", "network", "image", "volume", "container"};
static const char *const plural[] = {"containers", "build cache", "networks", "images", "volumes", "reaped"};

static const char *const json_singular[] = {"container", "build_cache", "network", "image", "volume", "container"};
static const char *const json_plural[] = {"containers", "build_cache", "networks", "images", "volumes",
                                          "reaped_containers"};

const char *dc_kind_singular(dc_kind_t k) { return singular[k]; }
const char *dc_kind_json(dc_kind_t k) { return json_singular[k]; }
const char *dc_kind_json_plural(dc_kind_t k) { return json_plural[k]; }
const char *dc_kind_plural(dc_kind_t k) { return plural[k]; }

static bool parse_version(const char *v, long *major, long *minor) {
  char *end;
  if (!isdigit((unsigned char)v[0]))
    return false;
  *major = strtol(v, &end, 10);
  if (*end != '.' || !isdigit((unsigned char)end[1]))
    return false;
  *minor = strtol(end + 1, &end, 10);
  return *end == '\0' && *major >= 0 && *major < 100 && *minor >= 0 && *minor < 1000;
}

bool dc_api_version_valid(const char *v) {
  long a, b;
  return strlen(v) < 16 && parse_version(v, &a, &b);
}

int dc_api_version_cmp(const char *a, const char *b) {
  long am = 0, an = 0, bm = 0, bn = 0;
  parse_version(a, &am, &an);
  parse_version(b, &bm, &bn);
  if (am != bm)
    return am < bm ? -1 : 1;
  if (an != bn)
    return an < bn ? -1 : 1;
  return 0;
}

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

int dc_api_filters_build(const dc_config_t *cfg, unsigned flags, const char *dangling, char **out) {
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
    n = snprintf(buf, sizeof(buf), "%lldms", (long long)dc_api_until_age_ms(dc_now_ns(), cfg->until_ns));
    rc = (n < 0 || (size_t)n >= sizeof(buf)) ? -ENAMETOOLONG : add_term(f, "until", buf);
  }
  if (flags & DC_F_LABELS)
    for (size_t i = 0; rc == 0 && i < cfg->nlabels; i++)
      if (!cfg->labels[i].negate)
        rc = add_label_term(f, "label", &cfg->labels[i], buf, sizeof(buf));
  if (rc == 0 && (flags & DC_F_PROTECT))
    rc = add_label_term(f, "label!", &cfg->protect, buf, sizeof(buf));
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

char *dc_api_filters(const dc_config_t *cfg, unsigned flags, const char *dangling) {
  char *out;
  return dc_api_filters_build(cfg, flags, dangling, &out) == 0 ? out : NULL;
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

/* --- decoding --- */

/* "invalid JSON in reply: <jansson's reason>": its "near '...'" quotes the reply, so the
 * quote goes through dc_printable like any text from the engine. */
static void json_error_text(char *err, size_t errlen, const json_error_t *je) {
  char why[81];
  dc_printable(why, sizeof(why), je->text);
  snprintf(err, errlen, "invalid JSON in reply: %s", why);
}

/* A string field, copied; NULL when absent, not a string, empty or too long. */
static char *dup_field(json_t *o, const char *name) {
  json_t *v = json_object_get(o, name);
  if (!json_is_string(v))
    return NULL;
  size_t n = json_string_length(v);
  if (n == 0 || n > MAX_STRING)
    return NULL;
  return strndup(json_string_value(v), n);
}

static void copy_field(json_t *o, const char *name, char *dst, size_t cap) {
  json_t *v = json_object_get(o, name);
  dst[0] = '\0';
  if (json_is_string(v))
    snprintf(dst, cap, "%s", json_string_value(v));
}

/* The label keys the run decides by (see dc_api_keep_labels); all of them when not set. */
static const char *const *kept_keys;
static size_t nkept_keys;
static bool keys_set;

void dc_api_keep_labels(const char *const *keys, size_t n) {
  kept_keys = keys;
  nkept_keys = keys ? n : 0;
  keys_set = keys != NULL;
}

/* Sets *out to the entry's labels that the run decides by (NULL for none). Only those are
 * kept: a resource's labels stay for the whole run, and a list of many labelled entries would
 * otherwise cost ~20 times its text. A label the run cannot keep would make the resource look
 * unprotected, so running out of memory is an error here, not an omission. */
static int keep_labels(json_t *o, json_t **out) {
  json_t *l = json_object_get(o, "Labels");
  *out = NULL;
  if (!json_is_object(l))
    return 0;
  if (!keys_set) {
    *out = json_incref(l);
    return 0;
  }
  json_t *kept = NULL;
  for (size_t i = 0; i < nkept_keys; i++) {
    json_t *v = json_object_get(l, kept_keys[i]);
    if (!v)
      continue;
    if ((!kept && !(kept = json_object())) || json_object_set(kept, kept_keys[i], v) < 0) {
      json_decref(kept);
      return -ENOMEM;
    }
  }
  *out = kept;
  return 0;
}

static int64_t int_field(json_t *o, const char *name, int64_t def) {
  json_t *v = json_object_get(o, name);
  if (json_is_integer(v))
    return (int64_t)json_integer_value(v);
  if (json_is_real(v)) {
    double d = json_real_value(v);
    if (d > -9e18 && d < 9e18)
      return (int64_t)d;
  }
  return def;
}

static int64_t rfc3339_field(json_t *o, const char *name) {
  json_t *v = json_object_get(o, name);
  int64_t ns;
  if (json_is_string(v) && dc_rfc3339_parse(json_string_value(v), &ns) == 0)
    return ns;
  return INT64_MIN;
}

static int64_t unix_secs_to_ns(int64_t s) {
  if (s == INT64_MIN || s < 0 || s > INT64_C(9000000000))
    return INT64_MIN;
  return s * 1000000000;
}

/* --- list entries ---
 *
 * Each decoder copies what the run needs out of one entry's jansson object; the object is
 * freed as soon as it returns. Returns 0, -EPROTO when the entry is unusable, or -ENOMEM. */
typedef int (*item_fn)(json_t *item, dc_resource_t *r);

/* The volume name of a Mounts entry of Type "volume", or NULL. */
static const char *mounted_volume(json_t *m) {
  json_t *type = json_object_get(m, "Type"), *name = json_object_get(m, "Name");
  if (!json_is_string(type) || strcmp(json_string_value(type), "volume") != 0 || !json_is_string(name))
    return NULL;
  return json_string_value(name);
}

/* The names of the volumes a container mounts: what keeps a volume in use. A name that could
 * not be copied would make its volume look unused, so that is an error, not an omission. */
static int copy_mount_volumes(json_t *mounts, dc_resource_t *r) {
  size_t n = 0, i;
  json_t *m;
  json_array_foreach(mounts, i, m) {
    if (mounted_volume(m))
      n++;
  }
  if (n == 0)
    return 0;
  if (!(r->mount_volumes = calloc(n, sizeof(char *))))
    return -ENOMEM;
  json_array_foreach(mounts, i, m) {
    const char *name = mounted_volume(m);
    if (!name)
      continue;
    if (!(r->mount_volumes[r->nmount_volumes] = strdup(name)))
      return -ENOMEM;
    r->nmount_volumes++;
  }
  return 0;
}

/* The networks a container is attached to (NetworkSettings.Networks), by name and NetworkID:
 * what keeps a network in use. Same rule as above for what cannot be copied. */
static int copy_networks(json_t *nets, dc_resource_t *r) {
  size_t n = json_object_size(nets);
  if (n == 0)
    return 0;
  if (!(r->nets = calloc(n, sizeof(*r->nets))))
    return -ENOMEM;
  const char *name;
  json_t *v;
  json_object_foreach(nets, name, v) {
    json_t *nid = json_object_get(v, "NetworkID");
    dc_net_ref_t *ref = &r->nets[r->nnets++]; /* counted at once: the list's cleanup frees it */
    ref->name = strdup(name);
    ref->id = json_is_string(nid) ? strdup(json_string_value(nid)) : NULL;
    if (!ref->name || (json_is_string(nid) && !ref->id))
      return -ENOMEM;
  }
  return 0;
}

static int container_item(json_t *o, dc_resource_t *r) {
  if (!(r->id = dup_field(o, "Id")))
    return -EPROTO;
  json_t *names = json_object_get(o, "Names");
  json_t *first = json_is_array(names) ? json_array_get(names, 0) : NULL;
  if (json_is_string(first)) {
    const char *n = json_string_value(first);
    if (n[0] == '/')
      n++;
    r->name = strndup(n, dc_utf8_prefix(n, MAX_STRING));
  }
  copy_field(o, "State", r->state, sizeof(r->state));
  r->created_ns = unix_secs_to_ns(int_field(o, "Created", INT64_MIN));
  if (keep_labels(o, &r->labels) < 0)
    return -ENOMEM;
  r->image_id = dup_field(o, "ImageID");
  json_t *ns = json_object_get(o, "NetworkSettings");
  json_t *nets = json_is_object(ns) ? json_object_get(ns, "Networks") : NULL;
  int rc = json_is_object(nets) ? copy_networks(nets, r) : 0;
  json_t *mounts = json_object_get(o, "Mounts");
  if (rc == 0 && json_is_array(mounts))
    rc = copy_mount_volumes(mounts, r);
  return rc;
}

static int image_item(json_t *o, dc_resource_t *r) {
  if (!(r->id = dup_field(o, "Id")))
    return -EPROTO;
  json_t *tags = json_object_get(o, "RepoTags");
  if (json_is_array(tags)) {
    /* The run asks only whether an image has no real tag, one, or more: two are kept. */
    if (!(r->tags = json_array()))
      return -ENOMEM;
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
      if (json_array_size(r->tags) == 2)
        break;
      if (json_is_string(t) && strcmp(json_string_value(t), "<none>:<none>") != 0 && json_array_append(r->tags, t) < 0)
        return -ENOMEM;
    }
    json_t *first = json_array_get(tags, 0);
    if (json_is_string(first) && strcmp(json_string_value(first), "<none>:<none>") != 0)
      r->name = strndup(json_string_value(first), dc_utf8_prefix(json_string_value(first), MAX_STRING));
  }
  r->created_ns = unix_secs_to_ns(int_field(o, "Created", INT64_MIN));
  if (keep_labels(o, &r->labels) < 0)
    return -ENOMEM;
  r->size = int_field(o, "Size", -1);
  return 0;
}

static int network_item(json_t *o, dc_resource_t *r) {
  if (!(r->id = dup_field(o, "Id")))
    return -EPROTO;
  r->name = dup_field(o, "Name");
  copy_field(o, "Driver", r->driver, sizeof(r->driver));
  r->created_ns = rfc3339_field(o, "Created");
  if (keep_labels(o, &r->labels) < 0)
    return -ENOMEM;
  return 0;
}

static int volume_item(json_t *o, dc_resource_t *r) {
  if (!(r->id = dup_field(o, "Name")))
    return -EPROTO;
  r->name = strdup(r->id);
  copy_field(o, "Driver", r->driver, sizeof(r->driver));
  json_t *opts = json_object_get(o, "Options");
  r->has_options = json_is_object(opts) && json_object_size(opts) > 0;
  r->created_ns = rfc3339_field(o, "CreatedAt");
  if (keep_labels(o, &r->labels) < 0)
    return -ENOMEM;
  return 0;
}

static int build_cache_item(json_t *o, dc_resource_t *r) {
  if (!(r->id = dup_field(o, "ID")))
    return -EPROTO;
  r->name = dup_field(o, "Description");
  copy_field(o, "Type", r->state, sizeof(r->state));
  r->in_use = json_is_true(json_object_get(o, "InUse"));
  r->shared = json_is_true(json_object_get(o, "Shared"));
  r->size = int_field(o, "Size", -1);
  r->created_ns = rfc3339_field(o, "LastUsedAt");
  return 0;
}

/* --- walking a reply ---
 *
 * An inventory reply can hold tens of thousands of entries (10,000 containers: 8.5 MB), and
 * as one jansson tree it costs ~4.5 times its text. So the top level of a reply is walked
 * here, reading nothing but whitespace and the punctuation between values ('[' ',' ']', and
 * '{' ':' '}' for replies that hold their list in an object member), while jansson parses
 * every value, key and entry itself, one at a time (we keep no JSON parser of our own). Each
 * entry is copied into its record and freed before the next is read, so the cost is one
 * entry's tree. The whole reply is still checked: what jansson would refuse as one document
 * is refused (bar its depth limit, which now counts from each entry). */

typedef struct cursor {
  const char *start, *p, *end;
  char *err;
  size_t errlen;
  bool timed_out; /* gave up at the decode deadline (err says so) */
} cursor_t;

/* The decode deadline (CLOCK_MONOTONIC, ns; 0: none). The clock is read before every
 * DEADLINE_STRIDE-th value, and before any value once DEADLINE_BYTES have been parsed since
 * the last reading: a few dozen small values or one large entry (at most DC_MAX_VALUE_NODES
 * values, some milliseconds) pass between two readings. */
#define DEADLINE_STRIDE 64
#define DEADLINE_BYTES (64 * 1024)
static uint64_t decode_deadline_ns;
static unsigned decode_ticks;
static size_t decode_bytes;

void dc_api_set_decode_deadline(uint64_t mono_ns) { decode_deadline_ns = mono_ns; }

static bool out_of_time(cursor_t *c) {
  if (decode_deadline_ns == 0 || (++decode_ticks % DEADLINE_STRIDE != 0 && decode_bytes < DEADLINE_BYTES))
    return false;
  decode_bytes = 0;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  if ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec < decode_deadline_ns)
    return false;
  c->timed_out = true;
  snprintf(c->err, c->errlen, "deadline reached while decoding the reply");
  return true;
}

/* Starts a walk over body. Returns 0, or -EPROTO when there is nothing to walk. */
static int cursor_open(cursor_t *c, const char *body, size_t len, char *err, size_t errlen) {
  c->start = c->p = body;
  c->end = body ? body + len : NULL;
  c->err = err;
  c->errlen = errlen;
  c->timed_out = false;
  if (!body || len == 0) {
    snprintf(err, errlen, "empty reply");
    return -EPROTO;
  }
  /* jansson reports how far it read as an int (replies are capped far below this anyway). */
  if (len > INT_MAX) {
    snprintf(err, errlen, "reply too large");
    return -EPROTO;
  }
  return 0;
}

/* The next byte after JSON whitespace (exactly what jansson skips), or NUL at the end; a NUL
 * byte in the reply is no valid token either. */
static char peek(cursor_t *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
    c->p++;
  return c->p < c->end ? *c->p : '\0';
}

/* Consumes ch if it comes next. */
static bool take(cursor_t *c, char ch) {
  if (peek(c) != ch)
    return false;
  c->p++;
  return true;
}

static int syntax_error(cursor_t *c, const char *expected) {
  if (c->p < c->end)
    snprintf(c->err, c->errlen, "invalid JSON in reply: %s expected at byte %zu", expected, (size_t)(c->p - c->start));
  else
    snprintf(c->err, c->errlen, "invalid JSON in reply: %s expected near end of file", expected);
  return -EPROTO;
}

/* Is the value at p (up to end) more than jansson should get in one call? Its extent and,
 * for an array or object, a bound on the values it holds (its ',' ':' '[' and '{' outside
 * strings, plus one) are found by scanning, without building or checking anything: jansson
 * still checks the value. The scan stops at the end of the value or at the first limit.
 * Returns 0, or the message's reason. */
static const char *value_too_large(const char *p, const char *end) {
  const char *start = p;
  size_t n = 1, depth = 0;
  for (; p < end; p++) {
    if ((size_t)(p - start) > DC_MAX_VALUE_BYTES)
      return "larger than " DC_STR(DC_MAX_VALUE_BYTES) " bytes";
    char ch = *p;
    if (ch == '"') {
      for (p++; p < end && *p != '"' && (size_t)(p - start) <= DC_MAX_VALUE_BYTES; p++)
        if (*p == '\\' && p + 1 < end)
          p++;
      if (depth == 0)
        break; /* a string alone */
    } else if (ch == '[' || ch == '{') {
      depth++;
      n++;
    } else if (ch == ']' || ch == '}') {
      if (depth <= 1)
        break;
      depth--;
    } else if (ch == ',' || ch == ':') {
      n++;
      if (depth == 0)
        break; /* after a number or a literal */
    } else if (depth == 0 && (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') && p > start) {
      break;
    }
    if (n > DC_MAX_VALUE_NODES)
      return "of more than " DC_STR(DC_MAX_VALUE_NODES) " items";
  }
  if ((size_t)(p - start) > DC_MAX_VALUE_BYTES)
    return "larger than " DC_STR(DC_MAX_VALUE_BYTES) " bytes";
  return NULL;
}

/* Parses the one value that comes next (jansson skips the whitespace before it) and steps
 * past it. NULL on error, with err set. */
static json_t *next_value(cursor_t *c) {
  json_error_t je;
  size_t left = (size_t)(c->end - c->p);
  if (out_of_time(c))
    return NULL;
  /* One tree costs ~20 times its text, and one call cannot be interrupted at the deadline:
   * no call gets more than DC_MAX_VALUE_NODES values or DC_MAX_VALUE_BYTES bytes. The walkers
   * hand jansson only entries, keys and scalars, so this bounds the memory and the time of
   * each step, whatever the reply holds. */
  const char *too_large = value_too_large(c->p, c->end);
  if (too_large) {
    snprintf(c->err, c->errlen, "reply has a value %s at byte %zu", too_large, (size_t)(c->p - c->start));
    return NULL;
  }
  /* DISABLE_EOF_CHECK: stop after the value; DECODE_ANY: keys and scalars too. */
  json_t *v = json_loadb(c->p, left, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, &je);
  if (!v) {
    json_error_text(c->err, c->errlen, &je);
    return NULL;
  }
  /* jansson sets the position on success too: the bytes the value took. After a number or
   * a literal it looks one character ahead (the caveat of DISABLE_EOF_CHECK | DECODE_ANY)
   * but puts it back, so the position never covers the ',' ']' or '}' that follows. */
  if (je.position <= 0 || (size_t)je.position > left) {
    json_decref(v);
    snprintf(c->err, c->errlen, "invalid JSON in reply: cannot tell where a value ends");
    return NULL;
  }
  c->p += je.position;
  decode_bytes += (size_t)je.position;
  return v;
}

typedef int (*entry_fn)(json_t *v, size_t index, void *ctx);

/* Walks the array that comes next, handing each element to fn (NULL: only checks it) and
 * freeing it when fn returns. Returns 0, or the first error (fn's or the reply's). */
static int walk_array(cursor_t *c, entry_fn fn, void *ctx) {
  if (!take(c, '['))
    return syntax_error(c, "'['");
  if (take(c, ']'))
    return 0;
  for (size_t i = 0;; i++) {
    json_t *v = next_value(c);
    if (!v)
      return -EPROTO;
    int rc = fn ? fn(v, i, ctx) : 0;
    json_decref(v);
    if (rc < 0)
      return rc;
    if (take(c, ']'))
      return 0;
    if (!take(c, ','))
      return syntax_error(c, "',' or ']'");
  }
}

/* Checks and drops the value that comes next at nesting depth depth. Arrays and objects go
 * member by member, down to their scalars, so that a large value nobody reads (an old
 * engine's untyped /system/df, a hostile member of any size) never becomes a tree: memory is
 * one scalar and the recursion, which jansson's own depth limit bounds. */
static int skip_nested(cursor_t *c, int depth) {
  char open = peek(c), close = open == '[' ? ']' : '}';
  if (open != '[' && open != '{') {
    json_t *v = next_value(c);
    if (!v)
      return -EPROTO;
    json_decref(v);
    return 0;
  }
  if (depth >= JSON_PARSER_MAX_DEPTH) {
    snprintf(c->err, c->errlen, "invalid JSON in reply: maximum parsing depth reached at byte %zu",
             (size_t)(c->p - c->start));
    return -EPROTO;
  }
  c->p++;
  if (take(c, close))
    return 0;
  for (;;) {
    if (open == '{') {
      if (peek(c) != '"')
        return syntax_error(c, "string or '}'");
      json_t *key = next_value(c);
      if (!key)
        return -EPROTO;
      json_decref(key);
      if (!take(c, ':'))
        return syntax_error(c, "':'");
    }
    int rc = skip_nested(c, depth + 1);
    if (rc < 0)
      return rc;
    if (take(c, close))
      return 0;
    if (!take(c, ','))
      return syntax_error(c, open == '[' ? "',' or ']'" : "',' or '}'");
  }
}

static int skip_value(cursor_t *c) { return skip_nested(c, 0); }

typedef int (*member_fn)(cursor_t *c, void *ctx);

static int skip_member(cursor_t *c, void *ctx) {
  (void)ctx;
  return skip_value(c);
}

typedef struct member {
  const char *name;
  member_fn fn;
} member_t;

/* Walks the object that comes next: the fn of each member named in members[0..n) consumes its
 * value (each one: a duplicate name is legal JSON, and jansson's tree kept the last, which fn
 * can do); every other value is checked and dropped. */
static int walk_object(cursor_t *c, const member_t *members, size_t n, void *ctx) {
  if (!take(c, '{'))
    return syntax_error(c, "'{'");
  if (take(c, '}'))
    return 0;
  for (;;) {
    if (peek(c) != '"')
      return syntax_error(c, "string or '}'");
    json_t *key = next_value(c);
    if (!key)
      return -EPROTO;
    member_fn fn = skip_member;
    for (size_t i = 0; i < n; i++)
      if (strcmp(json_string_value(key), members[i].name) == 0)
        fn = members[i].fn;
    json_decref(key);
    if (!take(c, ':'))
      return syntax_error(c, "':'");
    int rc = fn(c, ctx);
    if (rc < 0)
      return rc;
    if (take(c, '}'))
      return 0;
    if (!take(c, ','))
      return syntax_error(c, "',' or '}'");
  }
}

/* Only whitespace may follow the reply's value. */
static int expect_end(cursor_t *c) {
  peek(c);
  return c->p == c->end ? 0 : syntax_error(c, "end of file");
}

/* The reply must be an array or an object, as jansson requires of a document, and of the
 * shape want ('[' or '{'). Another shape is reported as such once the reply is known to be
 * valid JSON, as a whole-document parse did. */
static int expect_top(cursor_t *c, char want, const char *what, const char *not_it) {
  char ch = peek(c);
  if (ch == want)
    return 0;
  if (ch != '[' && ch != '{')
    return syntax_error(c, "'[' or '{'");
  int rc = skip_value(c);
  if (rc == 0)
    rc = expect_end(c);
  if (rc == 0) {
    snprintf(c->err, c->errlen, "%s reply is %s", what, not_it);
    rc = -EPROTO;
  }
  return rc;
}

/* --- building lists --- */

typedef struct list_builder {
  dc_resource_list_t *out;
  size_t cap;
  entry_fn add;        /* turns one array element into records */
  item_fn item;        /* for add_item */
  const char *what;    /* "container list", ... for messages */
  const char *not_list; /* what a member that is neither an array nor null is called */
  bool found;          /* the member holding the list was there */
  char *err;
  size_t errlen;
} list_builder_t;

/* Appends a zeroed record (unknown time and size) and sets *r to it. It is counted at once,
 * so that the list's cleanup frees whatever a half-decoded entry holds. Returns 0, -EPROTO
 * past DC_MAX_ITEMS or -ENOMEM, with err set. */
static int list_push(list_builder_t *b, dc_resource_t **r) {
  dc_resource_list_t *l = b->out;
  if (l->n >= DC_MAX_ITEMS) {
    snprintf(b->err, b->errlen, "%s reply has too many entries (more than %d)", b->what, DC_MAX_ITEMS);
    return -EPROTO;
  }
  if (l->n == b->cap) {
    /* The count is known only at the end: grow geometrically. */
    size_t cap = b->cap ? b->cap * 2 : 16;
    if (cap > DC_MAX_ITEMS)
      cap = DC_MAX_ITEMS;
    dc_resource_t *items = realloc(l->items, cap * sizeof(*items));
    if (!items) {
      snprintf(b->err, b->errlen, "out of memory");
      return -ENOMEM;
    }
    l->items = items;
    b->cap = cap;
  }
  *r = &l->items[l->n++];
  memset(*r, 0, sizeof(**r));
  (*r)->created_ns = INT64_MIN;
  (*r)->size = -1;
  return 0;
}

/* One list entry: an object the item decoder accepts, or the whole reply is refused. */
static int add_item(json_t *v, size_t index, void *ctx) {
  list_builder_t *b = ctx;
  dc_resource_t *r;
  int rc = list_push(b, &r);
  if (rc < 0)
    return rc;
  rc = json_is_object(v) ? b->item(v, r) : -EPROTO;
  if (rc == -ENOMEM)
    snprintf(b->err, b->errlen, "out of memory");
  else if (rc < 0)
    snprintf(b->err, b->errlen, "%s reply has a malformed entry at index %zu", b->what, index);
  return rc;
}

/* The value holding the list: an array, or null for none (Docker's "Volumes":null). */
static int list_value(cursor_t *c, void *ctx) {
  list_builder_t *b = ctx;
  /* A member given twice: the last one counts, as in jansson's tree. */
  dc_resource_list_free(b->out);
  b->cap = 0;
  b->found = true;
  if (peek(c) == '[')
    return walk_array(c, b->add, b);
  json_t *v = next_value(c);
  if (!v)
    return -EPROTO;
  bool null = json_is_null(v);
  json_decref(v);
  if (null)
    return 0;
  snprintf(b->err, b->errlen, "%s reply %s", b->what, b->not_list);
  return -EPROTO;
}

/* Decodes a reply that is a list, or (member set) an object holding the list in that member,
 * with one item decoder per entry. On error the list is left empty. */
static int decode_list(const char *body, size_t len, dc_resource_list_t *out, item_fn fn, const char *what,
                       const char *member, char *err, size_t errlen) {
  memset(out, 0, sizeof(*out));
  list_builder_t b = {.out = out, .add = add_item, .item = fn, .what = what, .not_list = "is not a list",
                      .err = err, .errlen = errlen};
  cursor_t c;
  int rc = cursor_open(&c, body, len, err, errlen);
  if (rc == 0 && member) {
    rc = expect_top(&c, '{', what, "not an object");
    if (rc == 0)
      rc = walk_object(&c, &(member_t){member, list_value}, 1, &b);
  } else if (rc == 0) {
    rc = expect_top(&c, '[', what, "not a list");
    if (rc == 0)
      rc = walk_array(&c, add_item, &b);
  }
  if (rc == 0)
    rc = expect_end(&c);
  if (rc == 0 && member && !b.found) {
    snprintf(err, errlen, "%s reply is not a list", what); /* no list at all: malformed, not empty */
    rc = -EPROTO;
  }
  if (rc < 0)
    dc_resource_list_free(out);
  return rc < 0 && c.timed_out ? -ETIMEDOUT : rc;
}

int dc_api_decode_containers(const char *body, size_t len, dc_resource_list_t *out, char *err, size_t errlen) {
  return decode_list(body, len, out, container_item, "container list", NULL, err, errlen);
}

int dc_api_decode_images(const char *body, size_t len, dc_resource_list_t *out, char *err, size_t errlen) {
  return decode_list(body, len, out, image_item, "image list", NULL, err, errlen);
}

int dc_api_decode_networks(const char *body, size_t len, dc_resource_list_t *out, char *err, size_t errlen) {
  return decode_list(body, len, out, network_item, "network list", NULL, err, errlen);
}

int dc_api_decode_volumes(const char *body, size_t len, dc_resource_list_t *out, char *err, size_t errlen) {
  return decode_list(body, len, out, volume_item, "volume list", "Volumes", err, errlen);
}

int dc_api_decode_df_build_cache(const char *body, size_t len, dc_resource_list_t *out, char *err, size_t errlen) {
  return decode_list(body, len, out, build_cache_item, "build cache usage", "BuildCache", err, errlen);
}

/* --- volume sizes --- */

/* One /system/df volume: its name and size. An entry without a usable name or without
 * usage data says nothing about a listed volume and is passed over. */
static int add_size(json_t *v, size_t index, void *ctx) {
  (void)index;
  list_builder_t *b = ctx;
  json_t *usage = json_object_get(v, "UsageData");
  char *name = json_is_object(usage) ? dup_field(v, "Name") : NULL;
  if (!name)
    return 0;
  dc_resource_t *r;
  int rc = list_push(b, &r);
  if (rc < 0) {
    free(name);
    return rc;
  }
  r->id = name;
  r->size = int_field(usage, "Size", -1);
  return 0;
}

int dc_api_decode_volume_sizes(const char *body, size_t len, dc_resource_list_t *out, char *err, size_t errlen) {
  memset(out, 0, sizeof(*out));
  list_builder_t b = {.out = out, .add = add_size, .what = "disk usage", .not_list = "has a malformed volume list",
                      .err = err, .errlen = errlen};
  cursor_t c;
  int rc = cursor_open(&c, body, len, err, errlen);
  if (rc == 0) {
    char ch = peek(&c);
    if (ch == '{')
      rc = walk_object(&c, &(member_t){"Volumes", list_value}, 1, &b);
    else if (ch == '[')
      rc = skip_value(&c); /* valid, but no volumes in it */
    else
      rc = syntax_error(&c, "'[' or '{'");
  }
  if (rc == 0)
    rc = expect_end(&c);
  if (rc < 0)
    dc_resource_list_free(out);
  return rc < 0 && c.timed_out ? -ETIMEDOUT : rc;
}

int dc_api_apply_volume_sizes(dc_resource_list_t *vols, const dc_resource_list_t *sizes) {
  if (sizes->n == 0)
    return 0;
  dc_resource_index_t ix;
  if (dc_resource_index_build(&ix, vols) < 0)
    return -ENOMEM;
  /* In the reply's order, so that a name given twice ends with its last size. */
  for (size_t i = 0; i < sizes->n; i++) {
    /* Volume names are unique: the index finds the one listed volume of that name. */
    dc_resource_t *vol = (dc_resource_t *)dc_resource_index_find(&ix, sizes->items[i].id);
    if (vol)
      vol->size = sizes->items[i].size;
  }
  dc_resource_index_free(&ix);
  return 0;
}

void dc_resource_list_free(dc_resource_list_t *l) {
  for (size_t i = 0; i < l->n; i++) {
    dc_resource_t *r = &l->items[i];
    free(r->id);
    free(r->name);
    free(r->image_id);
    json_decref(r->labels);
    json_decref(r->tags);
    for (size_t k = 0; k < r->nmount_volumes; k++)
      free(r->mount_volumes[k]);
    free(r->mount_volumes);
    for (size_t k = 0; k < r->nnets; k++) {
      free(r->nets[k].name);
      free(r->nets[k].id);
    }
    free(r->nets);
  }
  free(l->items);
  l->items = NULL;
  l->n = 0;
}

const char *dc_bare_id(const char *id) { return strncmp(id, "sha256:", 7) == 0 ? id + 7 : id; }

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int dc_strset_add(dc_strset_t *set, const char *s) {
  if (set->n == set->cap) {
    size_t cap = set->cap ? set->cap * 2 : 64;
    const char **v = realloc(set->v, cap * sizeof(*v));
    if (!v)
      return -ENOMEM;
    set->v = v;
    set->cap = cap;
  }
  set->v[set->n++] = s;
  return 0;
}

void dc_strset_seal(dc_strset_t *set) {
  if (set->n > 1)
    qsort(set->v, set->n, sizeof(*set->v), cmp_str);
}

bool dc_strset_has(const dc_strset_t *set, const char *s) {
  return set->n > 0 && bsearch(&s, set->v, set->n, sizeof(*set->v), cmp_str) != NULL;
}

void dc_strset_free(dc_strset_t *set) {
  free(set->v);
  memset(set, 0, sizeof(*set));
}

static int cmp_resource_id(const void *a, const void *b) {
  const dc_resource_t *ra = *(const dc_resource_t *const *)a, *rb = *(const dc_resource_t *const *)b;
  return strcmp(dc_bare_id(ra->id), dc_bare_id(rb->id));
}

int dc_resource_index_build(dc_resource_index_t *ix, const dc_resource_list_t *l) {
  ix->n = 0;
  ix->by_id = malloc((l->n ? l->n : 1) * sizeof(*ix->by_id));
  if (!ix->by_id)
    return -ENOMEM;
  for (size_t i = 0; i < l->n; i++)
    ix->by_id[ix->n++] = &l->items[i];
  if (ix->n > 1)
    qsort(ix->by_id, ix->n, sizeof(*ix->by_id), cmp_resource_id);
  return 0;
}

const dc_resource_t *dc_resource_index_find(const dc_resource_index_t *ix, const char *id) {
  const char *key = dc_bare_id(id);
  size_t lo = 0, hi = ix->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(dc_bare_id(ix->by_id[mid]->id), key);
    if (c == 0)
      return ix->by_id[mid];
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

void dc_resource_index_free(dc_resource_index_t *ix) {
  free(ix->by_id);
  ix->by_id = NULL;
  ix->n = 0;
}

const dc_resource_t *dc_resource_find(const dc_resource_list_t *l, const char *id) {
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->items[i].id, id) == 0)
      return &l->items[i];
  return NULL;
}

/* --- prune replies ---
 *
 * Walked like the lists: member by member, the list of deleted IDs entry by entry, with the
 * item cap checked as it grows, so that a reply costs the IDs it names (at most DC_MAX_ITEMS)
 * and one entry, never one tree of the whole reply. */

typedef struct prune_builder {
  dc_kind_t kind;
  dc_prune_result_t *out;
  size_t cap_ids, cap_untagged;
  size_t entries;   /* of the list being walked */
  bool bad_space;   /* the last SpaceReclaimed seen is not a count of bytes */
  char *err;
  size_t errlen;
} prune_builder_t;

/* Appends a copy of s to *v (n entries, room for *cap). Returns 0 or -ENOMEM. */
static int push_string(char ***v, size_t *n, size_t *cap, const char *s) {
  if (*n == *cap) {
    size_t c = *cap ? *cap * 2 : 16;
    char **nv = realloc(*v, c * sizeof(*nv));
    if (!nv)
      return -ENOMEM;
    *v = nv;
    *cap = c;
  }
  /* A NULL here would later be printed and compared as an ID: fail the reply instead. */
  if (!((*v)[*n] = strdup(s)))
    return -ENOMEM;
  (*n)++;
  return 0;
}

static bool usable_id(json_t *s) {
  return json_is_string(s) && json_string_length(s) > 0 && json_string_length(s) <= MAX_STRING;
}

/* One entry of the deleted list: an ID, or for images an object with Deleted or Untagged
 * (anything else in an image entry is passed over, as the engine may add to it). */
static int add_pruned(json_t *v, size_t index, void *ctx) {
  prune_builder_t *b = ctx;
  dc_prune_result_t *out = b->out;
  if (++b->entries > DC_MAX_ITEMS) {
    snprintf(b->err, b->errlen, "prune reply has a malformed list (more than %d entries)", DC_MAX_ITEMS);
    return -EPROTO;
  }
  int rc = 0;
  if (b->kind != DC_IMAGES) {
    if (!usable_id(v))
      rc = -EPROTO;
    else
      rc = push_string(&out->ids, &out->n, &b->cap_ids, json_string_value(v));
  } else if (json_is_object(v)) {
    json_t *del = json_object_get(v, "Deleted"), *untag = json_object_get(v, "Untagged");
    if ((del && !usable_id(del)) || (untag && !usable_id(untag)))
      rc = -EPROTO;
    if (rc == 0 && del)
      rc = push_string(&out->ids, &out->n, &b->cap_ids, json_string_value(del));
    if (rc == 0 && untag)
      rc = push_string(&out->untagged, &out->nuntagged, &b->cap_untagged, json_string_value(untag));
  }
  if (rc == -EPROTO)
    snprintf(b->err, b->errlen, "prune reply has a malformed entry at index %zu", index);
  else if (rc < 0)
    snprintf(b->err, b->errlen, "out of memory");
  return rc;
}

/* The list member: an array, or null for none. Given twice, the last one counts. */
static int pruned_list(cursor_t *c, void *ctx) {
  prune_builder_t *b = ctx;
  dc_prune_result_free(b->out);
  b->cap_ids = b->cap_untagged = b->entries = 0;
  if (peek(c) == '[')
    return walk_array(c, add_pruned, b);
  json_t *v = next_value(c);
  if (!v)
    return -EPROTO;
  bool null = json_is_null(v);
  json_decref(v);
  if (null)
    return 0;
  snprintf(b->err, b->errlen, "prune reply has a malformed list");
  return -EPROTO;
}

static int space_reclaimed(cursor_t *c, void *ctx) {
  prune_builder_t *b = ctx;
  if (peek(c) == '[' || peek(c) == '{') {
    b->bad_space = true;
    return skip_value(c);
  }
  json_t *v = next_value(c);
  if (!v)
    return -EPROTO;
  b->bad_space = false;
  b->out->space = -1;
  if (json_is_integer(v) && json_integer_value(v) >= 0)
    b->out->space = (int64_t)json_integer_value(v);
  else if (!json_is_null(v))
    b->bad_space = true;
  json_decref(v);
  return 0;
}

/* Walks the reply object: the kind's list, SpaceReclaimed, and every other member checked and
 * dropped. */
static int walk_prune(cursor_t *c, prune_builder_t *b) {
  static const char *const lists[] = {"ContainersDeleted", "CachesDeleted", "NetworksDeleted",
                                      "ImagesDeleted", "VolumesDeleted", "ContainersDeleted"};
  const member_t members[] = {{lists[b->kind], pruned_list}, {"SpaceReclaimed", space_reclaimed}};
  return walk_object(c, members, 2, b);
}

int dc_api_decode_prune(dc_kind_t kind, const char *body, size_t len, dc_prune_result_t *out, char *err,
                        size_t errlen) {
  memset(out, 0, sizeof(*out));
  out->space = -1;
  prune_builder_t b = {.kind = kind, .out = out, .err = err, .errlen = errlen};
  cursor_t c;
  int rc = cursor_open(&c, body, len, err, errlen);
  if (rc == 0)
    rc = expect_top(&c, '{', "prune", "not an object");
  if (rc == 0)
    rc = walk_prune(&c, &b);
  if (rc == 0)
    rc = expect_end(&c);
  if (rc == 0 && b.bad_space) {
    snprintf(err, errlen, "prune reply has an invalid SpaceReclaimed");
    rc = -EPROTO;
  }
  if (rc < 0) {
    dc_prune_result_free(out);
    out->space = -1;
  }
  return c.timed_out ? -ETIMEDOUT : rc;
}

static void free_strings(char **v, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

void dc_prune_result_free(dc_prune_result_t *r) {
  free_strings(r->ids, r->n);
  free_strings(r->untagged, r->nuntagged);
  r->ids = r->untagged = NULL;
  r->n = r->nuntagged = 0;
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
