/* options.c: the settings docker-cleaner reads (one row each: variable, flag, help), their
 * raw values from the environment and the flags, and the usage text. */
#include "options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "text.h"

const struct opt dc_opts[O__COUNT] = {
    [O_HOST] = {"DOCKER_HOST", "host", 'H', K_STRING,
                "engine address: unix:///path or tcp://host:port (default unix://" DC_DEFAULT_SOCKET ")"},
    [O_API_VERSION] = {"DOCKER_API_VERSION", "api-version", 0, K_STRING,
                       "pin the API version (default: negotiated from /_ping)"},
    [O_CONTAINERS] = {"CLEANUP_CONTAINERS", "containers", 0, K_BOOL, "remove stopped containers (default true)"},
    [O_IMAGES] = {"CLEANUP_IMAGES", "images", 0, K_BOOL, "remove dangling images (default true)"},
    [O_NETWORKS] = {"CLEANUP_NETWORKS", "networks", 0, K_BOOL, "remove unused user networks (default true)"},
    [O_BUILD_CACHE] = {"CLEANUP_BUILD_CACHE", "build-cache", 0, K_BOOL, "remove build cache (default true)"},
    [O_VOLUMES] = {"CLEANUP_VOLUMES", "volumes", 0, K_BOOL,
                   "remove unused anonymous volumes (default false)"},
    [O_PRUNE_VOLUMES] = {"PRUNE_VOLUMES", NULL, 0, K_BOOL, NULL},
    [O_VOLUMES_ALL] = {"PRUNE_VOLUMES_ALL", "volumes-all", 0, K_BOOL,
                       "with volumes: remove unused named volumes too (default false)"},
    [O_PRUNE_ALL] = {"PRUNE_ALL", "all", 'a', K_BOOL,
                     "remove every unused image and all unused build cache (default false)"},
    [O_UNTIL] = {"PRUNE_FILTER_UNTIL", "until", 0, K_STRING,
                 "only resources created before: 24h, 90m, RFC 3339, Unix time"},
    [O_LABEL] = {"PRUNE_FILTER_LABEL", "label", 0, K_LIST,
                 "only resources matching: k, k=v, !k, !k=v (one per flag; the variable takes a comma-separated list)"},
    [O_PROTECT] = {"PROTECT_LABEL", "protect-label", 0, K_STRING,
                   "resources with this label are never removed (default " DC_DEFAULT_PROTECT_LABEL ")"},
    [O_FORCE] = {"PRUNE_FORCE", "force", 'f', K_BOOL, "do not ask for confirmation on a terminal"},
    [O_DRY_RUN] = {"DRY_RUN", "dry-run", 0, K_BOOL, "show what would be removed, remove nothing"},
    [O_TIMEOUT] = {"CLEANUP_TIMEOUT", "timeout", 0, K_STRING, "deadline for the whole run (default 5m)"},
    [O_LOG_LEVEL] = {"LOG_LEVEL", "log-level", 0, K_STRING, "debug, info, warn or error (default info)"},
    [O_LOG_FORMAT] = {"LOG_FORMAT", "log-format", 0, K_STRING, "text or json (default text)"},
    [O_RUN_UID] = {"RUN_UID", "run-uid", 0, K_STRING,
                   "numeric user to drop to when started as root (default 65532)"},
    [O_RUN_GID] = {"RUN_GID", "run-gid", 0, K_STRING,
                   "numeric group to drop to when started as root (default 65532)"},
    [O_REAP_LABEL] = {"REAP_LABEL", "reap-label", 0, K_LIST,
                      "reap containers carrying this label: k or k=v (one per flag; the variable takes a list)"},
    [O_REAP_AFTER] = {"REAP_AFTER", "reap-after", 0, K_STRING,
                      "reap labelled containers created longer ago than this, running or not (e.g. 2h)"},
    [O_REAP_STOP_TIMEOUT] = {"REAP_STOP_TIMEOUT", "reap-stop-timeout", 0, K_STRING,
                             "grace period before a reaped container is killed (default 10s)"},
    [O_METRICS_FILE] = {"METRICS_FILE", "metrics-file", 0, K_STRING,
                        "write the run's result to this file in Prometheus text format, atomically "
                        "(its directory writable by RUN_UID)"},
    [O_KEEP_IMAGES] = {"KEEP_IMAGES", "keep-images", 0, K_LIST,
                       "never remove images matching these references: postgres, postgres:*, */node:*, "
                       "registry:5000/team/* (one per flag; the variable takes a comma-separated list)"},
    [O_KEEP_LATEST] = {"KEEP_LATEST", "keep-latest", 0, K_STRING,
                       "keep the N most recently used images of each repository (default 0: off)"},
    [O_KEEP_USED_WITHIN] = {"KEEP_USED_WITHIN", "keep-used-within", 0, K_STRING,
                            "keep images (and build cache) used within this long (24h), or since this time"},
    [O_KEEP_STORAGE] = {"KEEP_STORAGE", "keep-storage", 0, K_STRING,
                        "then evict the least recently used images and build cache until they take at most "
                        "this much (20GB, docker's units)"},
    [O_STATE_FILE] = {"STATE_FILE", "state-file", 0, K_STRING,
                      "remember across runs when each image was last seen in use (a file on a volume, "
                      "writable by RUN_UID)"},
    [O_SPLIT_SCHEDULE] = {"CLEANUP_SPLIT_SCHEDULE", "split-schedule", 0, K_STRING,
                          "start what no container pins beside the container removals: auto (default: on the "
                          "engines where it is faster), true or false (every type after the containers)"},
};


/* Copies s for an error message that must stay one line of text: control characters become
 * '?', and bytes that are not UTF-8 (and C1 controls, U+2028, U+2029) are shown escaped as
 * \xNN, so the message says what was given without passing the raw bytes on. */
const char *dc_one_line(const char *s, char *buf, size_t cap) {
  size_t o = 0, n = strlen(s);
  for (size_t i = 0; i < n;) {
    uint32_t cp = 0;
    size_t k = dc_utf8_decode(s + i, n - i, &cp);
    if (k == 1 && (cp < 0x20 || cp == 0x7f)) {
      if (o + 1 >= cap)
        break;
      buf[o++] = '?';
    } else if (k == 0 || (cp >= 0x80 && cp < 0xa0) || cp == 0x2028 || cp == 0x2029) {
      size_t bytes = k ? k : 1;
      if (o + 4 * bytes >= cap)
        break;
      for (size_t j = 0; j < bytes; j++)
        o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", (unsigned char)s[i + j]);
      k = bytes;
    } else {
      if (o + k >= cap)
        break;
      memcpy(buf + o, s + i, k);
      o += k;
    }
    i += k;
  }
  buf[o] = '\0';
  return buf;
}

int dc_config_fail(char *err, size_t errlen, const char *origin, const char *value, const char *accepted) {
  char v[201];
  snprintf(err, errlen, "invalid %s=\"%s\": %s", origin, dc_one_line(value, v, sizeof(v)), accepted);
  return -EINVAL;
}


void dc_config_usage(FILE *out) {
  fprintf(out,
          "Usage: docker-cleaner [OPTIONS]\n\n"
          "Removes unused Docker resources from the engine at DOCKER_HOST, prints what it\n"
          "removed, and exits 0 (success), 1 (partial) or 2 (failure).\n\n"
          "Options (each mirrors an environment variable; flags win):\n");
  for (size_t i = 0; i < O__COUNT; i++) {
    const struct opt *o = &dc_opts[i];
    if (!o->flag)
      continue;
    char left[64];
    const char *arg = o->kind == K_BOOL ? "[=BOOL]" : "=VALUE";
    if (o->short_flag)
      snprintf(left, sizeof(left), "-%c, --%s%s", o->short_flag, o->flag, arg);
    else
      snprintf(left, sizeof(left), "    --%s%s", o->flag, arg);
    fprintf(out, "  %-30s %s\n  %-30s [%s]\n", left, o->help, "", o->env);
  }
  fprintf(out, "  %-30s %s\n", "    --filter=until=V|label=V", "docker-style filter, repeatable");
  fprintf(out, "  %-30s %s\n", "-h, --help", "show this help");
  fprintf(out, "  %-30s %s\n", "    --version", "show the version");
  fprintf(out, "\nBooleans accept true/false/1/0/yes/no; PRUNE_VOLUMES is an alias of CLEANUP_VOLUMES.\n");
  fprintf(out, "\nAs a Docker CLI plugin (installed as ~/.docker/cli-plugins/docker-cleaner), run as\n"
               "`docker [--context NAME] cleaner [OPTIONS]`: it cleans the engine of the CLI's context\n"
               "(--context, -H, DOCKER_HOST, DOCKER_CONTEXT, then currentContext, as the CLI).\n");
}

static int find_long(const char *name, size_t len, bool *negated) {
  *negated = false;
  if (len > 3 && strncmp(name, "no-", 3) == 0) {
    for (size_t i = 0; i < O__COUNT; i++)
      if (dc_opts[i].flag && dc_opts[i].kind == K_BOOL && strlen(dc_opts[i].flag) == len - 3 &&
          strncmp(dc_opts[i].flag, name + 3, len - 3) == 0) {
        *negated = true;
        return (int)i;
      }
  }
  for (size_t i = 0; i < O__COUNT; i++)
    if (dc_opts[i].flag && strlen(dc_opts[i].flag) == len && strncmp(dc_opts[i].flag, name, len) == 0)
      return (int)i;
  return -1;
}

static int find_short(char c) {
  for (size_t i = 0; i < O__COUNT; i++)
    if (dc_opts[i].short_flag == c)
      return (int)i;
  return -1;
}

static int add_list(struct raw_list *l, const char *v, const char *origin, bool from_flag, char *err,
                    size_t errlen) {
  if (from_flag && strncmp(l->origin, "--", 2) != 0)
    l->n = 0; /* the first flag replaces what the environment said */
  if (l->n == sizeof(l->values) / sizeof(l->values[0])) {
    snprintf(err, errlen, "too many %s values (at most %d)", origin, DC_LABEL_TERMS_MAX);
    return -EINVAL;
  }
  l->values[l->n++] = v;
  snprintf(l->origin, sizeof(l->origin), "%s", origin);
  return 0;
}

void dc_options_set(struct raw *r, const char *value, const char *origin) {
  r->value = value;
  snprintf(r->origin, sizeof(r->origin), "%s", origin);
}

/* A --filter value: until=V, label=V or label!=V. */
static int add_filter(struct raw *raws, struct raw_list *lists, const char *v, char *err, size_t errlen) {
  if (strncmp(v, "until=", 6) == 0) {
    dc_options_set(&raws[O_UNTIL], v + 6, "--filter until");
    return 0;
  }
  if (strncmp(v, "label=", 6) == 0 || strncmp(v, "label!=", 7) == 0)
    return add_list(&lists[O_LABEL], v, "--filter", true, err, errlen);
  return dc_config_fail(err, errlen, "--filter", v, "accepted filters are until=V, label=V and label!=V");
}

int dc_options_args(int first, int argc, char **argv, struct raw *raws, struct raw_list *lists, char *err,
                    size_t errlen) {
  for (int i = first; i < argc; i++) {
    const char *a = argv[i];
    const char *value = NULL;
    int id;
    bool negated = false;
    char origin[48];

    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
      return DC_CONFIG_HELP;
    if (strcmp(a, "--version") == 0)
      return DC_CONFIG_VERSION;
    if (strncmp(a, "--", 2) == 0) {
      const char *name = a + 2;
      const char *eq = strchr(name, '=');
      size_t len = eq ? (size_t)(eq - name) : strlen(name);
      if (len == 6 && strncmp(name, "filter", 6) == 0) {
        const char *fv = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!fv) {
          snprintf(err, errlen, "--filter needs a value such as until=24h or label=k=v");
          return -EINVAL;
        }
        int rc = add_filter(raws, lists, fv, err, errlen);
        if (rc < 0)
          return rc;
        continue;
      }
      id = find_long(name, len, &negated);
      if (id < 0) {
        char n[65], shown[4 * sizeof(n)];
        snprintf(n, sizeof(n), "%.*s", (int)(len > 64 ? 64 : len), name);
        snprintf(err, errlen, "unknown option --%s (see --help)", dc_one_line(n, shown, sizeof(shown)));
        return -EINVAL;
      }
      snprintf(origin, sizeof(origin), "--%s", dc_opts[id].flag);
      if (eq)
        value = eq + 1;
      if (negated && eq) {
        snprintf(err, errlen, "--no-%s takes no value", dc_opts[id].flag);
        return -EINVAL;
      }
    } else if (a[0] == '-' && a[1] && !a[2]) {
      id = find_short(a[1]);
      if (id < 0) {
        char n[8];
        snprintf(err, errlen, "unknown option %s (see --help)", dc_one_line(a, n, sizeof(n)));
        return -EINVAL;
      }
      snprintf(origin, sizeof(origin), "-%c", a[1]);
    } else {
      char n[65];
      snprintf(err, errlen, "unexpected argument \"%s\" (see --help)", dc_one_line(a, n, sizeof(n)));
      return -EINVAL;
    }

    if (dc_opts[id].kind == K_BOOL) {
      dc_options_set(&raws[id], negated ? "false" : (value ? value : "true"), origin);
      continue;
    }
    if (!value) {
      if (i + 1 >= argc) {
        snprintf(err, errlen, "%s needs a value", origin);
        return -EINVAL;
      }
      value = argv[++i];
    }
    if (dc_opts[id].kind == K_LIST) {
      int rc = add_list(&lists[id], value, origin, true, err, errlen);
      if (rc < 0)
        return rc;
    } else {
      dc_options_set(&raws[id], value, origin);
    }
  }
  return 0;
}

int dc_options_env(dc_getenv_fn env, struct raw *raws, struct raw_list *lists, char *err, size_t errlen) {
  for (size_t i = 0; i < O__COUNT; i++) {
    const char *v = env(dc_opts[i].env);
    if (!v)
      continue;
    if (strlen(v) > RAW_MAX)
      return dc_config_fail(err, errlen, dc_opts[i].env, "...", "value too long");
    if (dc_opts[i].kind == K_LIST) {
      if (*v)
        add_list(&lists[i], v, dc_opts[i].env, false, err, errlen);
    } else {
      dc_options_set(&raws[i], v, dc_opts[i].env);
    }
  }
  return 0;
}
