/* fuzz_input.c: libFuzzer target for what the user and the machine hand docker-cleaner before
 * it talks to an engine: its configuration, image reference patterns, the docker CLI's
 * context files and the state file (a file on a volume other containers may write).
 *
 * Input: one selector byte, then the bytes for the part it picks:
 *   0  configuration: lines "NAME=VALUE" are the environment (the first of a name wins, as
 *      getenv), other lines are argv (after "docker-cleaner"). dc_config_load must return
 *      OK, HELP, VERSION or -EINVAL with exactly one printable line (no control byte of the
 *      input reaches a terminal); on OK the configuration must hold its own invariants.
 *   1  image references: normalising is idempotent (a normalised reference normalises to
 *      itself) and its repository is a prefix of it; a compiled pattern never crashes a match.
 *   2  the context store: config.json's currentContext and a meta.json's host must come back
 *      NUL-terminated within their buffers, or -EINVAL (meta.json: with one printable line).
 *   3  the state file: whatever it holds, loading gives 0 (possibly empty, with a printable
 *      warning) or a negative code; a loaded table saves, and loads back to the same entries.
 *   4  the value parsers: sizes, booleans, durations, `until` and label terms; a label term
 *      that parses has a key the daemon reads back whole (no '=' in it).
 * Every part must return within its bounds and never crash or leak. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "context.h"
#include "filters.h"
#include "imageref.h"
#include "state.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LINES 64
#define NOW_NS ((int64_t)1764547200 * 1000000000) /* 2025-12-01T00:00:00Z */

static char dir[64];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  /* --help and --version print to stdout: not into the fuzzer's log. */
  if (!freopen("/dev/null", "w", stdout))
    abort();
  snprintf(dir, sizeof(dir), "/tmp/dc-fuzz-input.XXXXXX");
  if (!mkdtemp(dir))
    abort();
  return 0;
}

/* One line, printable ASCII or UTF-8 (bytes >= 0x80), nothing below 0x20, no DEL. */
static void check_line(const char *s, size_t cap) {
  if (!memchr(s, 0, cap))
    abort();
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if (*p < 0x20 || *p == 0x7f)
      abort();
}

/* ---- 0: configuration ---- */

static char *env_names[MAX_LINES], *env_values[MAX_LINES];
static size_t nenv;

static const char *fuzz_getenv(const char *name) {
  for (size_t i = 0; i < nenv; i++)
    if (strcmp(env_names[i], name) == 0)
      return env_values[i];
  return NULL;
}

static void fuzz_config(const char *p, size_t n) {
  char *buf = malloc(n + 1);
  if (!buf)
    return;
  memcpy(buf, p, n);
  buf[n] = '\0';
  char *argv[MAX_LINES + 2];
  int argc = 0;
  argv[argc++] = "docker-cleaner";
  nenv = 0;
  char *save = NULL;
  /* strtok_r: empty lines vanish, as an empty argument would be a flag-less value anyway. */
  for (char *line = strtok_r(buf, "\n", &save); line && argc <= MAX_LINES; line = strtok_r(NULL, "\n", &save)) {
    char *eq = strchr(line, '=');
    if (line[0] != '-' && eq && eq != line && nenv < MAX_LINES) {
      *eq = '\0';
      env_names[nenv] = line;
      env_values[nenv++] = eq + 1;
    } else {
      argv[argc++] = line;
    }
  }
  argv[argc] = NULL;
  static dc_config_t cfg;
  memset(&cfg, 0, sizeof(cfg));
  char err[512] = "";
  int rc = dc_config_load(&cfg, argc, argv, fuzz_getenv, NOW_NS, err, sizeof(err));
  if (rc == -EINVAL) {
    if (!err[0])
      abort(); /* an error must say what is wrong */
    check_line(err, sizeof(err));
  } else if (rc == DC_CONFIG_OK) {
    if (!memchr(cfg.socket_path, 0, sizeof(cfg.socket_path)) || !memchr(cfg.tcp_host, 0, sizeof(cfg.tcp_host)) ||
        !memchr(cfg.api_version, 0, sizeof(cfg.api_version)) || !memchr(cfg.state_file, 0, sizeof(cfg.state_file)) ||
        !memchr(cfg.metrics_file, 0, sizeof(cfg.metrics_file)))
      abort();
    if (cfg.nlabels > DC_LABEL_TERMS_MAX || cfg.nreap > DC_LABEL_TERMS_MAX || cfg.nkeep_images > DC_REF_PATTERNS_MAX)
      abort();
    if (cfg.timeout_ms <= 0 || cfg.keep_latest < 0 || (cfg.has_keep_storage && cfg.keep_storage < 0))
      abort();
    if (cfg.host_kind == DC_HOST_UNIX ? !cfg.socket_path[0] : (!cfg.tcp_host[0] || cfg.tcp_port <= 0 || cfg.tcp_port > 65535))
      abort();
    /* The protection label is never negated (it is what a run must keep). */
    if (cfg.protect.negate)
      abort();
  } else if (rc != DC_CONFIG_HELP && rc != DC_CONFIG_VERSION) {
    abort();
  }
  free(buf);
}

/* ---- 1: image references ---- */

static void fuzz_ref(const char *s) {
  char out[DC_REF_MAX], again[DC_REF_MAX], repo[DC_REF_MAX];
  int rc = dc_ref_normalize(s, out, sizeof(out));
  if (rc == 0) {
    if (!memchr(out, 0, sizeof(out)) || dc_ref_normalize(out, again, sizeof(again)) != 0 || strcmp(out, again) != 0)
      abort(); /* normalised is a fixed point */
    if (dc_ref_repository(s, repo, sizeof(repo)) != 0 || strncmp(out, repo, strlen(repo)) != 0)
      abort(); /* the repository begins the normalised reference */
  } else if ((rc != -EINVAL && rc != -ENAMETOOLONG) || out[0]) {
    abort();
  }
  dc_ref_pattern_t pat;
  char err[512] = "";
  rc = dc_ref_pattern_compile(s, &pat, err, sizeof(err));
  if (rc == 0) {
    if (!memchr(pat.glob, 0, sizeof(pat.glob)))
      abort();
    (void)dc_ref_pattern_match(&pat, out);
    (void)dc_ref_pattern_match(&pat, "docker.io/library/postgres:16");
  } else {
    if (rc != -EINVAL || !err[0] || pat.glob[0] || dc_ref_pattern_match(&pat, "docker.io/library/postgres:16"))
      abort();
    check_line(err, sizeof(err));
  }
}

/* ---- 2: the context store ---- */

static void fuzz_context(const char *p, size_t n) {
  char cur[256], host[512], err[512] = "";
  memset(cur, 'x', sizeof(cur));
  if (dc_context_parse_config(p, n, cur, sizeof(cur)) == 0 && !memchr(cur, 0, sizeof(cur)))
    abort();
  memset(host, 'x', sizeof(host));
  int rc = dc_context_parse_meta(p, n, host, sizeof(host), err, sizeof(err));
  if (rc == 0 && !memchr(host, 0, sizeof(host)))
    abort();
  if (rc != 0) {
    if (rc != -EINVAL || !err[0])
      abort();
    check_line(err, sizeof(err));
  }
}

/* ---- 3: the state file ---- */

static void fuzz_state(const char *p, size_t n) {
  char path[128], copy[128];
  snprintf(path, sizeof(path), "%s/state.json", dir);
  snprintf(copy, sizeof(copy), "%s/copy.json", dir);
  FILE *f = fopen(path, "wb");
  if (!f)
    abort();
  if (n && fwrite(p, 1, n, f) != n)
    abort();
  if (fclose(f) != 0)
    abort();
  dc_state_t st = {0}, back = {0};
  char warn[512] = "", err[512] = "";
  int rc = dc_state_load(&st, path, warn, sizeof(warn));
  check_line(warn, sizeof(warn));
  if (rc == 0) {
    for (size_t i = 0; i + 1 < st.n; i++)
      if (strcmp(st.v[i].id, st.v[i + 1].id) >= 0)
        abort(); /* sorted, no id twice */
    if (dc_state_save(&st, copy, err, sizeof(err)) != 0)
      abort(); /* what was loaded can be written */
    warn[0] = '\0';
    if (dc_state_load(&back, copy, warn, sizeof(warn)) != 0 || warn[0] || back.n != st.n)
      abort(); /* and reads back whole, without a warning */
    for (size_t i = 0; i < st.n; i++)
      if (strcmp(st.v[i].id, back.v[i].id) != 0 || st.v[i].seen_ns != back.v[i].seen_ns)
        abort();
    unlink(copy);
  } else if (st.n != 0) {
    abort();
  }
  dc_state_free(&st);
  dc_state_free(&back);
}

/* ---- 4: the value parsers ---- */

static void fuzz_values(const char *s) {
  int64_t v;
  bool b;
  (void)dc_parse_ram_size(s, &v);
  (void)dc_parse_bool(s, &b);
  if (dc_duration_parse(s, &v) == 0 && v < 0)
    abort();
  (void)dc_until_parse(s, NOW_NS, &v);
  (void)dc_rfc3339_parse(s, &v);
  dc_label_term_t t;
  char err[512] = "", text[1024];
  if (dc_label_term_parse(&t, s, err, sizeof(err)) == 0) {
    if (!memchr(t.key, 0, sizeof(t.key)) || !memchr(t.value, 0, sizeof(t.value)) || !t.key[0])
      abort();
    /* The daemon reads a filter's "k=v" at its first '=': a key holding one would be read
     * as another term, and the filter would select something else. */
    if (strchr(t.key, '='))
      abort();
    int len = dc_label_term_format(&t, text, sizeof(text));
    if (len < 0 || (size_t)len != strlen(text))
      abort();
  } else {
    if (!err[0])
      abort();
    check_line(err, sizeof(err));
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > 65536)
    return 0;
  const char *p = (const char *)data + 1;
  size_t n = size - 1;
  char *s = NULL;
  switch (data[0] % 5) {
  case 0:
    fuzz_config(p, n);
    break;
  case 2:
    fuzz_context(p, n);
    break;
  case 3:
    fuzz_state(p, n);
    break;
  default: /* 1 and 4 take one C string */
    s = malloc(n + 1);
    if (!s)
      return 0;
    memcpy(s, p, n);
    s[n] = '\0';
    if (data[0] % 5 == 1)
      fuzz_ref(s);
    else
      fuzz_values(s);
    free(s);
  }
  return 0;
}
