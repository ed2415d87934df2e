/* config.c: environment variables and flags into a validated dc_config_t.
 *
 * Every option is read as a raw string first (options.c: environment, then flags, flags win),
 * and only then validated here, so each error can name the setting exactly as the user wrote
 * it. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apiversion.h"
#include "context.h"
#include "options.h"
#include "version.h"

int dc_parse_bool(const char *s, bool *out) {
  static const char *const yes[] = {"true", "1", "yes"};
  static const char *const no[] = {"false", "0", "no"};
  for (size_t i = 0; i < 3; i++) {
    if (strcasecmp(s, yes[i]) == 0) {
      *out = true;
      return 0;
    }
    if (strcasecmp(s, no[i]) == 0) {
      *out = false;
      return 0;
    }
  }
  return -EINVAL;
}



/* A socket path as a person writes one: after the leading '/', printable text (spaces
 * included, as in a home directory's name), but no control characters, no U+2028/U+2029 and
 * nothing that is not UTF-8. Anything else is a mistake that would only surface later, at
 * connect time, in messages that echo it. */
static bool sane_path(const char *p) {
  size_t n = strlen(p);
  for (size_t i = 0, k; i < n; i += k) {
    uint32_t cp = 0;
    k = dc_utf8_decode(p + i, n - i, &cp);
    if (k == 0 || cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x2028 || cp == 0x2029)
      return false;
  }
  return true;
}

/* A host name or IPv4 address (letters, digits, '.', '-', '_'), or, between brackets, an
 * IPv6 address with an optional zone (hex digits, ':', '.', then '%' and a zone name). No
 * user@, spaces or control characters: the engine is reached at exactly this name. */
static bool sane_host(const char *h, size_t n, bool bracketed) {
  /* In brackets, the address runs up to an optional '%' and the zone name after it. */
  size_t addr = n;
  if (bracketed) {
    const char *pct = memchr(h, '%', n);
    if (pct)
      addr = (size_t)(pct - h);
    if (addr == 0 || (pct && addr + 1 == n))
      return false;
  }
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)h[i];
    if (i == addr)
      continue; /* the '%' */
    bool name_char = c < 0x80 && (isalnum(c) || c == '.' || c == '-' || c == '_');
    bool v6_char = c < 0x80 && (isxdigit(c) || c == ':' || c == '.');
    if (!(bracketed && i < addr ? v6_char : name_char))
      return false;
  }
  return true;
}

static int parse_host(dc_config_t *cfg, const struct raw *r, char *err, size_t errlen) {
  static const char accepted[] = "accepted: unix:///absolute/path or tcp://host:port";
  const char *v = r->value;
  if (!v || !*v) {
    cfg->host_kind = DC_HOST_UNIX;
    snprintf(cfg->socket_path, sizeof(cfg->socket_path), "%s", DC_DEFAULT_SOCKET);
    return 0;
  }
  if (strncmp(v, "unix://", 7) == 0) {
    const char *path = v + 7;
    if (path[0] != '/' || strlen(path) >= sizeof(cfg->socket_path))
      return dc_config_fail(err, errlen, r->origin, v, accepted);
    if (!sane_path(path))
      return dc_config_fail(err, errlen, r->origin, v,
                  "accepted: unix:///absolute/path (a path without control characters, in UTF-8)");
    cfg->host_kind = DC_HOST_UNIX;
    snprintf(cfg->socket_path, sizeof(cfg->socket_path), "%s", path);
    return 0;
  }
  if (strncmp(v, "tcp://", 6) == 0) {
    const char *h = v + 6;
    const char *end;
    size_t hlen;
    bool bracketed = h[0] == '[';
    if (bracketed) {
      end = strchr(h, ']');
      if (!end)
        return dc_config_fail(err, errlen, r->origin, v, accepted);
      h++;
      hlen = (size_t)(end - h);
      end++;
    } else {
      end = h + strcspn(h, ":/");
      hlen = (size_t)(end - h);
    }
    if (hlen == 0 || hlen >= sizeof(cfg->tcp_host))
      return dc_config_fail(err, errlen, r->origin, v, accepted);
    if (!sane_host(h, hlen, bracketed))
      return dc_config_fail(err, errlen, r->origin, v,
                  "accepted: tcp://host:port, the host a name or an IPv4 address (letters, digits, '.', '-', '_') "
                  "or an IPv6 address in brackets; no user@, spaces or control characters");
    memcpy(cfg->tcp_host, h, hlen);
    cfg->tcp_host[hlen] = '\0';
    cfg->tcp_port = 2375;
    if (*end == ':') {
      char *pend;
      if (!isdigit((unsigned char)end[1]))
        return dc_config_fail(err, errlen, r->origin, v, accepted);
      long port = strtol(end + 1, &pend, 10);
      if (port < 1 || port > 65535)
        return dc_config_fail(err, errlen, r->origin, v, accepted);
      end = pend;
      cfg->tcp_port = (int)port;
    }
    if (*end == '/' && end[1] == '\0')
      end++;
    if (*end != '\0')
      return dc_config_fail(err, errlen, r->origin, v, accepted);
    cfg->host_kind = DC_HOST_TCP;
    return 0;
  }
  return dc_config_fail(err, errlen, r->origin, v,
              "accepted: unix:///absolute/path or tcp://host:port (ssh://, npipe:// and TLS are not supported)");
}

static int parse_uint_id(const struct raw *r, unsigned *out, char *err, size_t errlen) {
  char *end;
  if (!isdigit((unsigned char)r->value[0]))
    return dc_config_fail(err, errlen, r->origin, r->value, "expected a numeric id from 1 to 2147483647");
  unsigned long v = strtoul(r->value, &end, 10);
  if (*end != '\0' || v == 0 || v > 2147483647UL)
    return dc_config_fail(err, errlen, r->origin, r->value, "expected a numeric id from 1 to 2147483647");
  *out = (unsigned)v;
  return 0;
}

/* Splits a list option into label terms: environment values hold comma- or newline-separated
 * terms, flags one each. negations: whether !k forms are accepted. */
static int parse_terms(const struct raw_list *l, bool negations, dc_label_term_t *out, size_t *n, char *err,
                       size_t errlen) {
  char term[RAW_MAX + 1];
  for (size_t i = 0; i < l->n; i++) {
    const char *p = l->values[i];
    bool split = strncmp(l->origin, "--", 2) != 0;
    while (*p) {
      size_t len = split ? strcspn(p, ",\n") : strlen(p);
      if (len > 0) {
        if (len > RAW_MAX) {
          snprintf(err, errlen, "%s is too long", l->origin);
          return -EINVAL;
        }
        memcpy(term, p, len);
        term[len] = '\0';
        if (*n == DC_LABEL_TERMS_MAX) {
          snprintf(err, errlen, "too many %s terms (at most %d)", l->origin, DC_LABEL_TERMS_MAX);
          return -EINVAL;
        }
        char why[160];
        int prc = dc_label_term_parse(&out[*n], term, why, sizeof(why));
        if (prc < 0 || (!negations && out[*n].negate)) {
          char acc[256];
          if (prc == -EILSEQ)
            snprintf(acc, sizeof(acc), "%s (labels are UTF-8 text; check the encoding of the value)", why);
          else if (negations)
            snprintf(acc, sizeof(acc), "accepted forms are k, k=v, !k, !k=v, label=k[=v], label!=k[=v] (%s)", why);
          else
            snprintf(acc, sizeof(acc), "accepted forms are k and k=v");
          return dc_config_fail(err, errlen, l->origin, term, acc);
        }
        (*n)++;
      }
      p += len;
      if (*p)
        p++;
    }
  }
  return 0;
}

/* KEEP_IMAGES, KEEP_LATEST, KEEP_USED_WITHIN, KEEP_STORAGE and STATE_FILE. */
static int parse_retention(dc_config_t *cfg, const struct raw *raws, const struct raw_list *lists, int64_t now_ns,
                           char *err, size_t errlen) {
  const struct raw_list *ki = &lists[O_KEEP_IMAGES];
  for (size_t i = 0; i < ki->n; i++) {
    /* Patterns are separated by commas (and blanks, which no reference has). */
    const char *p = ki->values[i];
    while (*p) {
      size_t len = strcspn(p, ", \t");
      if (len > 0) {
        char pat[DC_REF_MAX + 1], why[300];
        if (cfg->nkeep_images == DC_REF_PATTERNS_MAX) {
          snprintf(err, errlen, "too many %s patterns (at most %d)", ki->origin, DC_REF_PATTERNS_MAX);
          return -EINVAL;
        }
        if (len > DC_REF_MAX - 1) {
          char v[80];
          snprintf(v, sizeof(v), "%.60s...", p);
          return dc_config_fail(err, errlen, ki->origin, v, "a reference pattern is at most 511 bytes");
        }
        memcpy(pat, p, len);
        pat[len] = '\0';
        if (dc_ref_pattern_compile(pat, &cfg->keep_images[cfg->nkeep_images], why, sizeof(why)) < 0) {
          snprintf(err, errlen, "invalid %s: %s", ki->origin, why);
          return -EINVAL;
        }
        cfg->nkeep_images++;
      }
      p += len;
      if (*p)
        p++;
    }
  }
  const struct raw *kl = &raws[O_KEEP_LATEST];
  if (kl->value && *kl->value) {
    char *end;
    errno = 0;
    long v = strtol(kl->value, &end, 10);
    if (errno || *end || end == kl->value || v < 0 || v > 10000 || !isdigit((unsigned char)kl->value[0]))
      return dc_config_fail(err, errlen, kl->origin, kl->value, "expected a number of images from 0 (off) to 10000");
    cfg->keep_latest = (int)v;
  }
  const struct raw *ku = &raws[O_KEEP_USED_WITHIN];
  if (ku->value && *ku->value) {
    if (dc_until_parse(ku->value, now_ns, &cfg->used_cutoff_ns) < 0)
      return dc_config_fail(err, errlen, ku->origin, ku->value,
                            "expected a duration (24h, 90m, 1h30m), or the time since which use counts: RFC 3339 "
                            "(2024-05-01T10:00:00Z), YYYY-MM-DD[THH:MM:SS] or Unix seconds");
    snprintf(cfg->used_within_raw, sizeof(cfg->used_within_raw), "%s", ku->value);
    cfg->has_used_within = true;
  }
  const struct raw *ks = &raws[O_KEEP_STORAGE];
  if (ks->value && *ks->value) {
    if (dc_parse_ram_size(ks->value, &cfg->keep_storage) < 0)
      return dc_config_fail(err, errlen, ks->origin, ks->value,
                            "expected a size as docker's --keep-storage takes it: 20GB, 512MB, 1.5g, 0 (binary "
                            "multiples: 1GB = 1024 MiB)");
    cfg->has_keep_storage = true;
  }
  const struct raw *sf = &raws[O_STATE_FILE];
  if (sf->value && *sf->value) {
    size_t len = strlen(sf->value);
    if (len >= sizeof(cfg->state_file) || sf->value[len - 1] == '/' || !sane_path(sf->value))
      return dc_config_fail(err, errlen, sf->origin, sf->value,
                            "expected the path of a file, such as /state/docker-cleaner.json");
    memcpy(cfg->state_file, sf->value, len + 1);
  }
  /* An empty flag value is a mistake; an empty variable is as good as unset. */
  static const enum opt_id strings[] = {O_KEEP_LATEST, O_KEEP_USED_WITHIN, O_KEEP_STORAGE, O_STATE_FILE};
  for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
    const struct raw *r = &raws[strings[i]];
    if (r->value && !*r->value && r->origin[0] == '-')
      return dc_config_fail(err, errlen, r->origin, "", "expected a value");
  }
  if (cfg->has_keep_storage && !cfg->images) {
    snprintf(err, errlen, "conflicting settings: %s needs CLEANUP_IMAGES=true (the budget is kept by evicting images "
             "and build cache in one order)", ks->origin);
    return -EINVAL;
  }
  if (dc_config_retention(cfg) && !cfg->images && !cfg->build_cache) {
    snprintf(err, errlen, "conflicting settings: the KEEP_* and STATE_FILE settings govern images and build "
             "cache, and CLEANUP_IMAGES and CLEANUP_BUILD_CACHE are both false");
    return -EINVAL;
  }
  return 0;
}

/* LOG_FORMAT as far as it is known: json when it says so (flags win, as they are read after
 * the environment), else text. Checked for good below, with the other settings. */
static dc_log_format_t early_log_format(const char *value) {
  return value && strcasecmp(value, "json") == 0 ? DC_FMT_JSON : DC_FMT_TEXT;
}

int dc_config_load(dc_config_t *cfg, int argc, char **argv, dc_getenv_fn env, int64_t now_ns, char *err,
                   size_t errlen) {
  struct raw raws[O__COUNT];
  struct raw_list lists[O__COUNT];
  int rc;

  memset(cfg, 0, sizeof(*cfg));
  memset(raws, 0, sizeof(raws));
  memset(lists, 0, sizeof(lists));
  err[0] = '\0';

  /* The diagnostics' format is taken as soon as it is known, also when another setting is
   * bad, so that the one error line is written as LOG_FORMAT asks: a log pipeline reading
   * JSON lines gets the error as one of them. */
  rc = dc_options_env(env, raws, lists, err, errlen);
  cfg->log_format = early_log_format(env("LOG_FORMAT")); /* also when another variable stopped the read */
  if (rc < 0)
    return rc;
  /* Run by the Docker CLI as a plugin: its global options come first, then our name. */
  dc_cli_globals_t globals = {0};
  int first = 1;
  const char *cli = env("DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND");
  if (cli && *cli) {
    if ((rc = dc_plugin_args(argc, argv, &globals, err, errlen)) < 0)
      return rc;
    if (rc > 0) {
      cfg->plugin = true;
      first = rc;
    }
  }
  rc = dc_options_args(first, argc, argv, raws, lists, err, errlen);
  cfg->log_format = early_log_format(raws[O_LOG_FORMAT].value);
  if (rc != 0)
    return rc;

  /* As a plugin, the engine is the CLI's: --context, -H, DOCKER_HOST, DOCKER_CONTEXT, then
   * currentContext. Our own --host after the plugin's name still wins, as any flag. Standalone,
   * only DOCKER_HOST counts, as before: a cron job does not follow someone's `docker context use`. */
  char ctx_host[1024];
  if (cfg->plugin && raws[O_HOST].origin[0] != '-') {
    if (globals.tls) {
      snprintf(err, errlen, "docker --tls, --tlsverify and the TLS files are not supported: docker-cleaner speaks "
               "to unix sockets and plain tcp:// only");
      return -EINVAL;
    }
    char origin[sizeof(raws[O_HOST].origin)];
    if ((rc = dc_context_resolve(&globals, env, ctx_host, sizeof(ctx_host), origin, sizeof(origin), err, errlen)) < 0)
      return rc;
    dc_options_set(&raws[O_HOST], ctx_host, origin);
  }

  /* TLS is not spoken: refuse rather than send in the clear what the user meant to protect. */
  const char *tls = env("DOCKER_TLS_VERIFY");
  if (tls && *tls)
    return dc_config_fail(err, errlen, "DOCKER_TLS_VERIFY", tls,
                "TLS is not supported; use a unix socket or plain tcp:// (e.g. through docker context)");

  if ((rc = parse_host(cfg, &raws[O_HOST], err, errlen)) < 0)
    return rc;

  if (raws[O_API_VERSION].value && *raws[O_API_VERSION].value) {
    const struct raw *r = &raws[O_API_VERSION];
    if (dc_api_version_cmp(r->value, DC_API_MIN) < 0 || !dc_api_version_valid(r->value))
      return dc_config_fail(err, errlen, r->origin, r->value, "expected an API version such as 1.41, at least " DC_API_MIN);
    snprintf(cfg->api_version, sizeof(cfg->api_version), "%s", r->value);
  }

  /* Booleans, with their defaults. */
  static const struct {
    enum opt_id id;
    size_t offset;
    bool def;
  } bools[] = {
      {O_CONTAINERS, offsetof(dc_config_t, containers), true},
      {O_IMAGES, offsetof(dc_config_t, images), true},
      {O_NETWORKS, offsetof(dc_config_t, networks), true},
      {O_BUILD_CACHE, offsetof(dc_config_t, build_cache), true},
      {O_VOLUMES, offsetof(dc_config_t, volumes), false},
      {O_VOLUMES_ALL, offsetof(dc_config_t, volumes_all), false},
      {O_PRUNE_ALL, offsetof(dc_config_t, prune_all), false},
      {O_FORCE, offsetof(dc_config_t, force), false},
      {O_DRY_RUN, offsetof(dc_config_t, dry_run), false},
  };
  for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
    bool *dst = (bool *)((char *)cfg + bools[i].offset);
    const struct raw *r = &raws[bools[i].id];
    *dst = bools[i].def;
    if (r->value && dc_parse_bool(r->value, dst) < 0)
      return dc_config_fail(err, errlen, r->origin, r->value, "expected true/false/1/0/yes/no");
  }
  cfg->schedule = DC_SCHEDULE_AUTO;
  if (raws[O_SPLIT_SCHEDULE].value) {
    const struct raw *r = &raws[O_SPLIT_SCHEDULE];
    bool v;
    if (strcasecmp(r->value, "auto") == 0)
      cfg->schedule = DC_SCHEDULE_AUTO;
    else if (dc_parse_bool(r->value, &v) == 0)
      cfg->schedule = v ? DC_SCHEDULE_PER_RESOURCE : DC_SCHEDULE_PER_TYPE;
    else
      return dc_config_fail(err, errlen, r->origin, r->value, "expected auto or true/false/1/0/yes/no");
  }
  if (raws[O_PRUNE_VOLUMES].value) {
    const struct raw *r = &raws[O_PRUNE_VOLUMES];
    bool v;
    /* The alias is an environment variable: a --volumes flag wins over it, as over any. */
    bool from_flag = raws[O_VOLUMES].value && raws[O_VOLUMES].origin[0] == '-';
    if (dc_parse_bool(r->value, &v) < 0)
      return dc_config_fail(err, errlen, r->origin, r->value, "expected true/false/1/0/yes/no");
    if (raws[O_VOLUMES].value && !from_flag && v != cfg->volumes) {
      snprintf(err, errlen, "conflicting settings: %s=%s and %s=%s (PRUNE_VOLUMES is an alias of CLEANUP_VOLUMES)",
               raws[O_VOLUMES].origin, raws[O_VOLUMES].value, r->origin, r->value);
      return -EINVAL;
    }
    if (!from_flag)
      cfg->volumes = v;
  }
  if (cfg->volumes_all && !cfg->volumes) {
    snprintf(err, errlen, "conflicting settings: %s=%s needs CLEANUP_VOLUMES=true (named volumes are only "
             "removed when volume cleanup is on)", raws[O_VOLUMES_ALL].origin, raws[O_VOLUMES_ALL].value);
    return -EINVAL;
  }
  if (!cfg->containers && !cfg->images && !cfg->networks && !cfg->build_cache && !cfg->volumes &&
      lists[O_REAP_LABEL].n == 0) {
    snprintf(err, errlen, "nothing to do: CLEANUP_CONTAINERS, CLEANUP_IMAGES, CLEANUP_NETWORKS, "
             "CLEANUP_BUILD_CACHE and CLEANUP_VOLUMES are all false");
    return -EINVAL;
  }

  /* Filters. */
  /* An empty variable is as good as unset; an empty flag value is a mistake. */
  if (raws[O_UNTIL].value && !*raws[O_UNTIL].value && raws[O_UNTIL].origin[0] == '-')
    return dc_config_fail(err, errlen, raws[O_UNTIL].origin, "", "expected a duration, a timestamp or Unix seconds");
  if (raws[O_UNTIL].value && *raws[O_UNTIL].value) {
    const struct raw *r = &raws[O_UNTIL];
    if (dc_until_parse(r->value, now_ns, &cfg->until_ns) < 0)
      return dc_config_fail(err, errlen, r->origin, r->value,
                  "expected a duration (24h, 90m, 1h30m), RFC 3339 (2024-05-01T10:00:00Z), "
                  "YYYY-MM-DD[THH:MM:SS] or Unix seconds");
    snprintf(cfg->until_raw, sizeof(cfg->until_raw), "%s", r->value);
    cfg->has_until = true;
  }
  if ((rc = parse_terms(&lists[O_LABEL], true, cfg->labels, &cfg->nlabels, err, errlen)) < 0)
    return rc;

  /* The reaper: both halves or neither. */
  if ((rc = parse_terms(&lists[O_REAP_LABEL], false, cfg->reap, &cfg->nreap, err, errlen)) < 0)
    return rc;
  const struct raw *ra = &raws[O_REAP_AFTER];
  bool has_after = ra->value && *ra->value;
  if ((cfg->nreap > 0) != has_after) {
    snprintf(err, errlen, "conflicting settings: REAP_LABEL and REAP_AFTER go together (%s is set, %s is not)",
             has_after ? ra->origin : lists[O_REAP_LABEL].origin, has_after ? "REAP_LABEL" : "REAP_AFTER");
    return -EINVAL;
  }
  if (has_after && (dc_duration_parse(ra->value, &cfg->reap_after_ns) < 0 || cfg->reap_after_ns <= 0))
    return dc_config_fail(err, errlen, ra->origin, ra->value, "expected a positive duration such as 30m, 2h or 72h");
  cfg->reap_stop_timeout_s = 10;
  const struct raw *rt = &raws[O_REAP_STOP_TIMEOUT];
  if (rt->value) {
    int64_t ns;
    if (dc_duration_parse(rt->value, &ns) < 0 || ns > INT64_C(3600) * 1000000000)
      return dc_config_fail(err, errlen, rt->origin, rt->value, "expected a duration from 0s to 1h, such as 10s");
    /* The engine takes whole seconds: round up, so the grace is never shorter than asked. */
    cfg->reap_stop_timeout_s = (int)((ns + 999999999) / 1000000000);
  }

  const struct raw *pr = &raws[O_PROTECT];
  const char *pv = pr->value ? pr->value : DC_DEFAULT_PROTECT_LABEL;
  char why[160];
  if (!*pv || pv[0] == '!' || strncmp(pv, "label=", 6) == 0 || strncmp(pv, "label!=", 7) == 0 ||
      (rc = dc_label_term_parse(&cfg->protect, pv, why, sizeof(why))) < 0)
    return dc_config_fail(err, errlen, pr->value ? pr->origin : "PROTECT_LABEL", pv,
                rc == -EILSEQ ? "label value is not valid UTF-8 (labels are UTF-8 text; check the encoding of "
                                "the value)"
                              : "expected a label key or key=value (protection cannot be switched off)");
  for (size_t i = 0; i < cfg->nlabels; i++) {
    const dc_label_term_t *t = &cfg->labels[i];
    if (!t->negate && strcmp(t->key, cfg->protect.key) == 0 &&
        (!cfg->protect.has_value || (t->has_value && strcmp(t->value, cfg->protect.value) == 0))) {
      char v[201];
      snprintf(err, errlen, "conflicting settings: PRUNE_FILTER_LABEL selects %s, which PROTECT_LABEL=%s protects: "
               "nothing could be removed", t->key, dc_one_line(pv, v, sizeof(v)));
      return -EINVAL;
    }
  }

  for (size_t i = 0; i < cfg->nreap; i++)
    if (strcmp(cfg->reap[i].key, cfg->protect.key) == 0) {
      snprintf(err, errlen, "conflicting settings: REAP_LABEL names %s, the protection label: nothing could be "
               "reaped", cfg->reap[i].key);
      return -EINVAL;
    }

  /* Behaviour. */
  cfg->timeout_ms = DC_DEFAULT_TIMEOUT_MS;
  if (raws[O_TIMEOUT].value) {
    const struct raw *r = &raws[O_TIMEOUT];
    int64_t ns;
    if (dc_duration_parse(r->value, &ns) < 0 || ns < INT64_C(1000000) || ns > INT64_C(86400) * 1000000000)
      return dc_config_fail(err, errlen, r->origin, r->value, "expected a duration from 1ms to 24h, such as 30s, 5m or 1h");
    cfg->timeout_ms = ns / 1000000;
  }
  cfg->log_level = DC_LOG_INFO;
  if (raws[O_LOG_LEVEL].value) {
    static const char *const names[] = {"debug", "info", "warn", "error"};
    const struct raw *r = &raws[O_LOG_LEVEL];
    size_t i;
    for (i = 0; i < 4; i++)
      if (strcasecmp(r->value, names[i]) == 0)
        break;
    if (i == 4 && strcasecmp(r->value, "warning") == 0)
      i = DC_LOG_WARN;
    if (i == 4)
      return dc_config_fail(err, errlen, r->origin, r->value, "expected debug, info, warn or error");
    cfg->log_level = (dc_log_level_t)i;
  }
  cfg->log_format = DC_FMT_TEXT;
  if (raws[O_LOG_FORMAT].value) {
    const struct raw *r = &raws[O_LOG_FORMAT];
    if (strcasecmp(r->value, "json") == 0)
      cfg->log_format = DC_FMT_JSON;
    else if (strcasecmp(r->value, "text") != 0)
      return dc_config_fail(err, errlen, r->origin, r->value, "expected text or json");
  }
  unsigned uid = DC_DEFAULT_RUN_UID, gid = DC_DEFAULT_RUN_UID;
  if (raws[O_RUN_UID].value && (rc = parse_uint_id(&raws[O_RUN_UID], &uid, err, errlen)) < 0)
    return rc;
  if (raws[O_RUN_GID].value && (rc = parse_uint_id(&raws[O_RUN_GID], &gid, err, errlen)) < 0)
    return rc;
  const struct raw *rm = &raws[O_METRICS_FILE];
  if (rm->value && *rm->value) {
    size_t len = strlen(rm->value);
    if (len >= sizeof(cfg->metrics_file) || rm->value[len - 1] == '/' || !sane_path(rm->value))
      return dc_config_fail(err, errlen, rm->origin, rm->value, "expected the path of a file, such as "
                  "/var/lib/prometheus/node-exporter/docker_cleaner.prom");
    memcpy(cfg->metrics_file, rm->value, len + 1);
  } else if (rm->value && rm->origin[0] == '-') {
    return dc_config_fail(err, errlen, rm->origin, "", "expected the path of a file");
  }
  cfg->run_uid = (uid_t)uid;
  cfg->run_gid = (gid_t)gid;
  if ((rc = parse_retention(cfg, raws, lists, now_ns, err, errlen)) < 0)
    return rc;
  return DC_CONFIG_OK;
}

bool dc_config_needs_last_use(const dc_config_t *cfg) {
  return cfg->keep_latest > 0 || cfg->has_used_within || cfg->has_keep_storage;
}

bool dc_schedule_per_resource(dc_schedule_t mode, bool podman) {
  switch (mode) {
  case DC_SCHEDULE_PER_RESOURCE:
    return true;
  case DC_SCHEDULE_PER_TYPE:
    return false;
  case DC_SCHEDULE_AUTO:
  default:
    return !podman;
  }
}

bool dc_config_retention(const dc_config_t *cfg) {
  return cfg->nkeep_images > 0 || dc_config_needs_last_use(cfg) || cfg->state_file[0];
}

int dc_parse_ram_size(const char *s, int64_t *out) {
  /* go-units RAMInBytes: ^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$, binary multiples. Done in
   * integers (the whole part, then the first 3 fraction digits; docker's float keeps no more
   * that matter), so 1.5g is exactly 1610612736. */
  const char *p = s;
  int64_t whole = 0, frac = 0, scale = 1;
  if (!isdigit((unsigned char)*p))
    return -EINVAL;
  for (; isdigit((unsigned char)*p); p++) {
    if (whole > (INT64_C(1) << 62) / 10) /* more than 2^62 bytes, whatever the unit */
      return -EINVAL;
    whole = whole * 10 + (*p - '0');
  }
  if (*p == '.') {
    p++;
    if (!isdigit((unsigned char)*p))
      return -EINVAL;
    for (; isdigit((unsigned char)*p); p++)
      if (scale < 1000) {
        frac = frac * 10 + (*p - '0');
        scale *= 10;
      }
  }
  if (*p == ' ')
    p++;
  int shift = 0;
  static const char units[] = "kmgtp";
  const char *u = *p ? strchr(units, tolower((unsigned char)*p)) : NULL;
  if (u) {
    shift = 10 * (int)(u - units + 1);
    p++;
  }
  if (*p == 'i' || *p == 'I')
    p++;
  if (*p == 'b' || *p == 'B')
    p++;
  if (*p)
    return -EINVAL;
  /* At most 2^62 bytes (4 EiB): more is a mistake, and the sums stay exact. */
  if (whole > (INT64_C(1) << (62 - shift)))
    return -EINVAL;
  int64_t m = INT64_C(1) << shift;
  int64_t v = whole * m + frac * m / scale; /* frac < 1000, m <= 2^50: no overflow */
  if (v > (INT64_C(1) << 62))
    return -EINVAL;
  *out = v;
  return 0;
}

dc_filter_fields_t dc_config_filter_fields(const dc_config_t *cfg) {
  return (dc_filter_fields_t){.has_until = cfg->has_until, .until_ns = cfg->until_ns, .labels = cfg->labels,
                              .nlabels = cfg->nlabels, .protect = &cfg->protect};
}

