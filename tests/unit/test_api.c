/* test_api.c: versions and their negotiation, percent-encoding, the exact filters sent, paths,
 * and every decoder with good and hostile replies. */
#include "dc_test.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "api.h"
#include "config.h"
#include "jsonwalk.h"
#include "log.h"

#define SEC INT64_C(1000000000)

/* --- versions --- */

static void test_version_cmp(void **state) {
  (void)state;
  assert_int_equal(dc_api_version_cmp("1.41", "1.41"), 0);
  assert_true(dc_api_version_cmp("1.9", "1.10") < 0); /* numeric, not lexical */
  assert_true(dc_api_version_cmp("1.10", "1.9") > 0);
  assert_true(dc_api_version_cmp("1.51", "1.45") > 0);
  assert_true(dc_api_version_cmp("1.24", "1.25") < 0);
  assert_true(dc_api_version_cmp("2.0", "1.99") > 0);
  assert_true(dc_api_version_cmp("1.99", "2.0") < 0);
  assert_int_equal(dc_api_version_cmp("1.040", "1.40"), 0);
}

static void test_version_valid(void **state) {
  (void)state;
  static const char *const good[] = {"1.41", "1.25", "1.0", "0.1", "99.999", "1.51"};
  static const char *const bad[] = {"", "1", "1.", ".1", "a.b", "1.41.1", "v1.41", "-1.2", "1.-2", "1.41 ",
                                    " 1.41", "100.1", "1.1000", "1.4a", "12345678901234567"};
  for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
    if (!dc_api_version_valid(good[i])) {
      print_error("\"%s\" should be valid\n", good[i]);
      fail();
    }
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    if (dc_api_version_valid(bad[i])) {
      print_error("\"%s\" should be invalid\n", bad[i]);
      fail();
    }
}

static dc_http_response_t ping(int status, const char *api, const char *libpod, const char *server) {
  dc_http_response_t r;
  memset(&r, 0, sizeof(r));
  r.status = status;
  snprintf(r.api_version, sizeof(r.api_version), "%s", api);
  snprintf(r.libpod_api_version, sizeof(r.libpod_api_version), "%s", libpod);
  snprintf(r.server, sizeof(r.server), "%s", server);
  return r;
}

static void negotiate_ok(const char *engine, const char *pinned, const char *want, const char *want_max) {
  dc_http_response_t r = ping(200, engine, "", "Docker/x");
  dc_engine_t e;
  char err[256] = "";
  int rc = dc_api_negotiate(&r, pinned, &e, err, sizeof(err));
  if (rc != 0) {
    print_error("engine %s pinned %s: %d %s\n", engine, pinned ? pinned : "-", rc, err);
    fail();
  }
  assert_str(e.version, want);
  assert_str(e.daemon_max, want_max);
  assert_str(e.server, "Docker/x");
  assert_false(e.podman);
}

static void test_negotiate(void **state) {
  (void)state;
  dc_log_setup(DC_LOG_ERROR, DC_FMT_TEXT); /* the "assuming 1.25" warning is expected here */
  negotiate_ok("1.45", NULL, "1.45", "1.45");
  negotiate_ok("1.45", "", "1.45", "1.45");
  negotiate_ok("1.41", NULL, "1.41", "1.41");
  negotiate_ok("1.51", NULL, "1.51", "1.51");
  negotiate_ok("1.52", NULL, "1.51", "1.52");
  negotiate_ok("1.99", NULL, "1.51", "1.99");
  negotiate_ok("2.0", NULL, "1.51", "2.0");
  negotiate_ok("1.25", NULL, "1.25", "1.25");
  /* Pinned wins, up to the engine's own version (a newer pin is refused: test_negotiate_errors). */
  negotiate_ok("1.45", "1.41", "1.41", "1.45");
  negotiate_ok("1.45", "1.45", "1.45", "1.45");
  /* No usable Api-Version: the oldest version we speak. */
  negotiate_ok("", NULL, "1.25", "1.25");
  negotiate_ok("garbage", NULL, "1.25", "1.25");
  negotiate_ok("", "1.41", "1.41", "1.25");
}

static void test_negotiate_errors(void **state) {
  (void)state;
  dc_engine_t e;
  char err[256] = "";
  dc_http_response_t r = ping(200, "1.24", "", "");
  assert_rc(dc_api_negotiate(&r, NULL, &e, err, sizeof(err)), -EPROTO);
  assert_contains(err, "1.24");
  assert_contains(err, "1.25");
  assert_null(strchr(err, '\n'));

  err[0] = '\0';
  r = ping(500, "1.45", "", "");
  assert_rc(dc_api_negotiate(&r, NULL, &e, err, sizeof(err)), -EPROTO);
  assert_contains(err, "500");

  /* A pin newer than the engine's version: refused, on Docker and on Podman alike (Podman
   * would accept it), in one line that names both. */
  const char *const newer[][3] = {{"1.41", "1.45", ""}, {"1.24", "1.30", ""}, {"1.44", "1.99", "5.8.6"}};
  for (size_t i = 0; i < sizeof(newer) / sizeof(newer[0]); i++) {
    err[0] = '\0';
    r = ping(200, newer[i][0], newer[i][2], "");
    assert_rc(dc_api_negotiate(&r, newer[i][1], &e, err, sizeof(err)), -EPROTO);
    assert_contains(err, newer[i][0]);
    assert_contains(err, newer[i][1]);
    assert_contains(err, "is newer than the engine's");
    assert_null(strchr(err, '\n'));
  }

  err[0] = '\0';
  r = ping(404, "", "", "nginx");
  assert_rc(dc_api_negotiate(&r, "1.41", &e, err, sizeof(err)), -EPROTO);
  assert_contains(err, "404");
}

static void test_negotiate_podman(void **state) {
  (void)state;
  dc_engine_t e;
  char err[256] = "";
  dc_http_response_t r = ping(200, "1.41", "4.3.1", "Libpod/4.3.1 (linux)");
  assert_rc(dc_api_negotiate(&r, NULL, &e, err, sizeof(err)), 0);
  assert_true(e.podman);
  assert_str(e.version, "1.41");
  assert_str(e.server, "Libpod/4.3.1 (linux)");
  r = ping(200, "1.44", "5.8.0", "");
  assert_rc(dc_api_negotiate(&r, NULL, &e, err, sizeof(err)), 0);
  assert_true(e.podman);
  assert_str(e.version, "1.44");
  r = ping(200, "1.44", "", "Docker/26");
  assert_rc(dc_api_negotiate(&r, NULL, &e, err, sizeof(err)), 0);
  assert_false(e.podman);
}

/* --- encoding, filters and paths --- */

static void test_urlencode(void **state) {
  (void)state;
  char out[256];
  assert_i64(dc_urlencode(out, sizeof(out), "AZaz09-._~"), 10);
  assert_str(out, "AZaz09-._~");
  assert_i64(dc_urlencode(out, sizeof(out), "{\"until\":{\"2024-01-02T03:04:05+02:00\":true}}"), 72);
  assert_str(out, "%7B%22until%22%3A%7B%222024-01-02T03%3A04%3A05%2B02%3A00%22%3Atrue%7D%7D");
  assert_i64(dc_urlencode(out, sizeof(out), "a b/c?d&e=f#g%h!"), 32);
  assert_str(out, "a%20b%2Fc%3Fd%26e%3Df%23g%25h%21");
  assert_i64(dc_urlencode(out, sizeof(out), "\xc3\xa9\x01\xff"), 12);
  assert_str(out, "%C3%A9%01%FF");
  assert_i64(dc_urlencode(out, sizeof(out), ""), 0);
  assert_str(out, "");
  /* Capacity: the result and its NUL must fit. */
  assert_i64(dc_urlencode(out, 4, "abc"), 3);
  assert_rc(dc_urlencode(out, 3, "abc"), -ENAMETOOLONG);
  assert_i64(dc_urlencode(out, 4, " "), 3);
  assert_rc(dc_urlencode(out, 3, " "), -ENAMETOOLONG);
  assert_rc(dc_urlencode(out, 1, "a"), -ENAMETOOLONG);
  assert_i64(dc_urlencode(out, 1, ""), 0);
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* dc_api_filters_build from a configuration, at the present instant. */
static int build_of(const dc_config_t *cfg, unsigned flags, const char *dangling, char **out) {
  dc_filter_fields_t ff = dc_config_filter_fields(cfg);
  return dc_api_filters_build(&ff, flags, dangling, dc_now_ns(), out);
}

/* build_of's string, or NULL on any of its errors. */
static char *filters_of(const dc_config_t *cfg, unsigned flags, const char *dangling) {
  char *out;
  return build_of(cfg, flags, dangling, &out) == 0 ? out : NULL;
}

/* Decodes what filters_of returned (and checks it is strictly encoded). */
static json_t *decode_filters(const char *enc) {
  char buf[4096];
  size_t o = 0;
  for (const char *p = enc; *p; p++) {
    assert_true(o + 1 < sizeof(buf));
    if (*p == '%') {
      int h = hexval(p[1]), l = h >= 0 ? hexval(p[2]) : -1;
      assert_true(h >= 0 && l >= 0);
      buf[o++] = (char)(h * 16 + l);
      p += 2;
    } else {
      /* Only unreserved characters travel unencoded: no '+', no '&', no '='. */
      assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~", *p));
      buf[o++] = *p;
    }
  }
  buf[o] = '\0';
  json_error_t je;
  json_t *j = json_loads(buf, 0, &je);
  if (!j) {
    print_error("filters do not decode to JSON: %s (%s)\n", buf, je.text);
    fail();
  }
  return j;
}

static void assert_filters(const char *enc, const char *want_json) {
  json_t *got = decode_filters(enc);
  json_t *want = json_loads(want_json, 0, NULL);
  assert_non_null(want);
  if (!json_equal(got, want)) {
    char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
    print_error("filters are %s, expected %s\n", g, want_json);
    free(g);
    fail();
  }
  json_decref(got);
  json_decref(want);
}

static void base_config(dc_config_t *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  snprintf(cfg->protect.key, sizeof(cfg->protect.key), "%s", DC_DEFAULT_PROTECT_LABEL);
}

static void add_label(dc_config_t *cfg, const char *s) {
  char err[200];
  assert_rc(dc_label_term_parse(&cfg->labels[cfg->nlabels], s, err, sizeof(err)), 0);
  cfg->nlabels++;
}

static void test_filters_exact(void **state) {
  (void)state;
  dc_config_t cfg;
  base_config(&cfg);
  char *f;

  /* Nothing asked: an empty string, not "{}". */
  f = filters_of(&cfg, 0, NULL);
  assert_str(f, "");
  free(f);
  f = filters_of(&cfg, DC_F_UNTIL | DC_F_LABELS, NULL); /* no until, no labels configured */
  assert_str(f, "");
  free(f);

  /* The default run: the protection label alone, byte for byte. */
  f = filters_of(&cfg, DC_F_UNTIL | DC_F_LABELS | DC_F_PROTECT, NULL);
  assert_str(f, "%7B%22label%21%22%3A%7B%22docker-cleaner.protect%22%3Atrue%7D%7D");
  free(f);
  f = filters_of(&cfg, DC_F_UNTIL | DC_F_LABELS | DC_F_PROTECT, "true");
  assert_str(f, "%7B%22dangling%22%3A%7B%22true%22%3Atrue%7D%2C%22label%21%22%3A%7B%22docker-cleaner.protect%22%3A"
                "true%7D%7D");
  free(f);
  f = filters_of(&cfg, DC_F_PROTECT, "false");
  assert_filters(f, "{\"dangling\":{\"false\":true},\"label!\":{\"docker-cleaner.protect\":true}}");
  free(f);
  f = filters_of(&cfg, 0, "true");
  assert_str(f, "%7B%22dangling%22%3A%7B%22true%22%3Atrue%7D%7D");
  free(f);
}

static void test_filters_until(void **state) {
  (void)state;
  dc_config_t cfg;
  base_config(&cfg);
  cfg.has_until = true;
  cfg.until_ns = INT64_C(1704164645) * SEC + 123456789;
  char *f = filters_of(&cfg, DC_F_UNTIL, NULL);
  assert_str(f, "%7B%22until%22%3A%7B%221704164645.123456789%22%3Atrue%7D%7D");
  free(f);
  /* Nanoseconds always in nine digits. */
  cfg.until_ns = INT64_C(1704164645) * SEC + 5;
  f = filters_of(&cfg, DC_F_UNTIL, NULL);
  assert_filters(f, "{\"until\":{\"1704164645.000000005\":true}}");
  free(f);
  cfg.until_ns = INT64_C(1704164645) * SEC;
  f = filters_of(&cfg, DC_F_UNTIL | DC_F_PROTECT, NULL);
  assert_filters(f, "{\"until\":{\"1704164645.000000000\":true},\"label!\":{\"docker-cleaner.protect\":true}}");
  free(f);
  cfg.until_ns = 0;
  f = filters_of(&cfg, DC_F_UNTIL, NULL);
  assert_filters(f, "{\"until\":{\"0.000000000\":true}}");
  free(f);
  /* Not asked for: left out even when configured. */
  f = filters_of(&cfg, DC_F_PROTECT, NULL);
  assert_filters(f, "{\"label!\":{\"docker-cleaner.protect\":true}}");
  free(f);
}

static void test_filters_labels(void **state) {
  (void)state;
  dc_config_t cfg;
  base_config(&cfg);
  snprintf(cfg.protect.key, sizeof(cfg.protect.key), "keep");
  snprintf(cfg.protect.value, sizeof(cfg.protect.value), "yes");
  cfg.protect.has_value = true;
  add_label(&cfg, "env=ci");
  add_label(&cfg, "!tier=db"); /* negative terms never travel: one label! term only */
  add_label(&cfg, "team");
  add_label(&cfg, "label!=other");
  add_label(&cfg, "url=a=b&c+d");
  char *f = filters_of(&cfg, DC_F_UNTIL | DC_F_LABELS | DC_F_PROTECT, "true");
  assert_filters(f, "{\"label\":{\"env=ci\":true,\"team\":true,\"url=a=b&c+d\":true},"
                    "\"label!\":{\"keep=yes\":true},\"dangling\":{\"true\":true}}");
  json_t *j = decode_filters(f);
  assert_i64(json_object_size(json_object_get(j, "label!")), 1);
  json_decref(j);
  free(f);

  /* Labels without the protection (as for a listing). */
  f = filters_of(&cfg, DC_F_LABELS, NULL);
  assert_filters(f, "{\"label\":{\"env=ci\":true,\"team\":true,\"url=a=b&c+d\":true}}");
  free(f);

  /* Only negative user terms: just the protection goes. */
  base_config(&cfg);
  add_label(&cfg, "!a");
  add_label(&cfg, "!b=c");
  f = filters_of(&cfg, DC_F_UNTIL | DC_F_LABELS | DC_F_PROTECT, NULL);
  assert_str(f, "%7B%22label%21%22%3A%7B%22docker-cleaner.protect%22%3Atrue%7D%7D");
  free(f);
}

/* Audit F1, defence in depth: a term jansson cannot encode (bytes that are not UTF-8, set
 * here past the configuration's own check) makes the builder fail: no filter without it. */
static void test_filters_refuse_unencodable(void **state) {
  (void)state;
  dc_config_t cfg;
  base_config(&cfg);
  add_label(&cfg, "env=ci");
  snprintf(cfg.labels[cfg.nlabels].key, sizeof(cfg.labels[0].key), "team");
  snprintf(cfg.labels[cfg.nlabels].value, sizeof(cfg.labels[0].value), "Jos\xe9");
  cfg.labels[cfg.nlabels].has_value = true;
  cfg.nlabels++;
  char *f = (char *)"untouched";
  assert_rc(build_of(&cfg, DC_F_UNTIL | DC_F_LABELS | DC_F_PROTECT, "true", &f), -EILSEQ);
  assert_null(f);
  assert_null(filters_of(&cfg, DC_F_LABELS, NULL));
  /* Without the label terms, the rest builds. */
  assert_rc(build_of(&cfg, DC_F_PROTECT, NULL, &f), 0);
  assert_str(f, "%7B%22label%21%22%3A%7B%22docker-cleaner.protect%22%3Atrue%7D%7D");
  free(f);

  /* The protection label and the dangling value are checked the same way. */
  base_config(&cfg);
  snprintf(cfg.protect.value, sizeof(cfg.protect.value), "\xff");
  cfg.protect.has_value = true;
  assert_rc(build_of(&cfg, DC_F_PROTECT, NULL, &f), -EILSEQ);
  assert_null(f);
  base_config(&cfg);
  assert_rc(build_of(&cfg, 0, "tr\xc3", &f), -EILSEQ);
  assert_null(f);

  /* A key that does not fit the term buffer is refused, not cut. */
  base_config(&cfg);
  memset(cfg.labels[0].key, 'k', sizeof(cfg.labels[0].key));
  cfg.labels[0].key[sizeof(cfg.labels[0].key) - 1] = '\0';
  memset(cfg.labels[0].value, 'v', sizeof(cfg.labels[0].value));
  cfg.labels[0].value[sizeof(cfg.labels[0].value) - 1] = '\0';
  cfg.labels[0].has_value = true;
  cfg.nlabels = 1;
  assert_rc(build_of(&cfg, DC_F_LABELS, NULL, &f), 0); /* 255 + 1 + 255 bytes: fits */
  json_t *j = decode_filters(f);
  assert_i64(json_object_size(json_object_get(j, "label")), 1);
  json_decref(j);
  free(f);
}

/* Audit F9: the `until` age for a cut-off long before now (about 1733 and earlier) must not
 * overflow; it is computed exactly. */
static void test_until_age_ms(void **state) {
  (void)state;
  const int64_t now = INT64_C(1764480000) * SEC; /* 2025-11-30 */
  assert_i64(dc_api_until_age_ms(now, now - 90 * SEC), 90000);
  assert_i64(dc_api_until_age_ms(now, now), 0);
  assert_i64(dc_api_until_age_ms(now, now + SEC), 0);
  /* 1700-01-01T00:00:00Z, as parsed: now - until exceeds INT64_MAX ns. */
  const int64_t y1700 = INT64_C(-8520336000) * SEC;
  assert_i64(dc_api_until_age_ms(now, y1700), (INT64_C(1764480000) + INT64_C(8520336000)) * 1000);
  assert_i64(dc_api_until_age_ms(INT64_MAX, INT64_MIN), (int64_t)(UINT64_MAX / 1000000));
  assert_i64(dc_api_until_age_ms(INT64_MIN, INT64_MAX), 0);
}

/* Audit F9: byte sums over what the engine reports saturate instead of overflowing. */
static void test_bytes_add(void **state) {
  (void)state;
  assert_i64(dc_bytes_add(3, 4), 7);
  assert_i64(dc_bytes_add(-1, 5), 5); /* unknown so far: now known */
  assert_i64(dc_bytes_add(-1, 0), 0);
  assert_i64(dc_bytes_add(5, -3), 5); /* a negative size adds nothing */
  assert_i64(dc_bytes_add(5, INT64_MIN), 5);
  assert_i64(dc_bytes_add(INT64_MAX, 1), INT64_MAX);
  assert_i64(dc_bytes_add(INT64_MAX - 1, INT64_MAX), INT64_MAX);
  assert_i64(dc_bytes_add(INT64_MAX - 1, 1), INT64_MAX);
  assert_i64(dc_bytes_add(INT64_MIN, INT64_MAX), INT64_MAX);
}

/* Audit N2: an ID that is empty, a dot segment or holds a "/" never becomes a path. */
static void test_resource_path(void **state) {
  (void)state;
  dc_engine_t e;
  memset(&e, 0, sizeof(e));
  snprintf(e.version, sizeof(e.version), "1.45");
  char out[256];
  static const char *const bad[] = {"", ".", "..", "a/b", "../../networks/net-keep", "/", "x/..", "./"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    strcpy(out, "untouched");
    if (dc_api_resource_path(out, sizeof(out), &e, "/containers/", bad[i], "", NULL) != -EINVAL) {
      print_error("the ID \"%s\" was accepted: %s\n", bad[i], out);
      fail();
    }
  }
  assert_rc(dc_api_resource_path(out, sizeof(out), &e, "/containers/", "abc", "/stop", "t=10"), 0);
  assert_str(out, "/v1.45/containers/abc/stop?t=10");
  assert_rc(dc_api_resource_path(out, sizeof(out), &e, "/images/", "sha256:ab", "", "force=1"), 0);
  assert_str(out, "/v1.45/images/sha256%3Aab?force=1");
  /* Dots inside an ID are fine: not a dot segment. */
  assert_rc(dc_api_resource_path(out, sizeof(out), &e, "/volumes/", "..a", "", NULL), 0);
  assert_str(out, "/v1.45/volumes/..a");
  assert_rc(dc_api_resource_path(out, sizeof(out), &e, "/volumes/", "x%2e%2e", "", NULL), 0);
  assert_str(out, "/v1.45/volumes/x%252e%252e");
  assert_rc(dc_api_resource_path(out, 20, &e, "/volumes/", "abcdefghijkl", "", NULL), -ENAMETOOLONG);
}

static void test_api_path(void **state) {
  (void)state;
  dc_engine_t e;
  memset(&e, 0, sizeof(e));
  snprintf(e.version, sizeof(e.version), "1.45");
  char out[128];
  assert_rc(dc_api_path(out, sizeof(out), &e, "/containers/prune", "filters=%7B%7D"), 0);
  assert_str(out, "/v1.45/containers/prune?filters=%7B%7D");
  assert_rc(dc_api_path(out, sizeof(out), &e, "/build/prune", NULL), 0);
  assert_str(out, "/v1.45/build/prune");
  assert_rc(dc_api_path(out, sizeof(out), &e, "/build/prune", ""), 0);
  assert_str(out, "/v1.45/build/prune");
  assert_rc(dc_api_path(out, sizeof(out), &e, "/build/prune", "all=1"), 0);
  assert_str(out, "/v1.45/build/prune?all=1");
  /* Exact fit, then one byte short. */
  assert_rc(dc_api_path(out, 19, &e, "/build/prune", NULL), 0);
  assert_rc(dc_api_path(out, 18, &e, "/build/prune", NULL), -ENAMETOOLONG);
}

/* --- decoders --- */

typedef int (*decode_fn)(const char *, size_t, dc_resource_list_t *, char *, size_t);

static dc_resource_list_t decode_ok(decode_fn fn, const char *body) {
  dc_resource_list_t l;
  char err[256] = "";
  int rc = fn(body, strlen(body), &l, err, sizeof(err));
  if (rc != 0) {
    print_error("decoding %.200s failed: %s\n", body, err);
    fail();
  }
  return l;
}

static void decode_bad(decode_fn fn, const char *body, size_t len) {
  dc_resource_list_t l;
  memset(&l, 0x5A, sizeof(l));
  char err[256] = "";
  int rc = fn(body, len, &l, err, sizeof(err));
  if (rc != -EPROTO) {
    print_error("decoding \"%.200s\" returned %d, expected -EPROTO\n", body ? body : "(null)", rc);
    fail();
  }
  assert_true(err[0] != '\0');
  assert_null(strchr(err, '\n'));
  assert_null(l.items); /* left empty */
  assert_i64(l.n, 0);
}
#define BAD(fn, lit) decode_bad(fn, lit, sizeof(lit) - 1)

/* Hostile input every list decoder must refuse. */
static void common_hostile(decode_fn fn) {
  decode_bad(fn, NULL, 0);
  BAD(fn, "");
  BAD(fn, "not json");
  BAD(fn, "null");
  BAD(fn, "42");
  BAD(fn, "\"str\"");
  BAD(fn, "[");
  BAD(fn, "{\"a\":");
  BAD(fn, "[1]");
  BAD(fn, "[\"x\"]");
  BAD(fn, "[null]");
  BAD(fn, "[[]]");
  BAD(fn, "[{\"Id\":99999999999999999999999}]"); /* an integer jansson cannot hold */
  decode_bad(fn, "[{\"Id\":\"a\"}]\0junk", 17);
}

static void test_decode_containers(void **state) {
  (void)state;
  dc_resource_list_t l = decode_ok(dc_api_decode_containers,
                                   "[{\"Id\":\"c1\",\"Names\":[\"/web\",\"/alias\"],\"Image\":\"nginx\","
                                   "\"ImageID\":\"sha256:abc\",\"Created\":1700000000,\"State\":\"exited\","
                                   "\"Status\":\"Exited (0)\",\"Labels\":{\"env\":\"ci\"}},"
                                   "{\"Id\":\"c2\",\"Names\":[\"noslash\"],\"State\":\"running\",\"Created\":0}]");
  assert_i64(l.n, 2);
  assert_str(l.items[0].id, "c1");
  assert_str(l.items[0].name, "web");
  assert_str(l.items[0].state, "exited");
  assert_str(l.items[0].image_id, "sha256:abc");
  assert_i64(l.items[0].created_ns, INT64_C(1700000000) * SEC);
  assert_true(json_is_object(l.items[0].labels));
  assert_str(json_string_value(json_object_get(l.items[0].labels, "env")), "ci");
  assert_i64(l.items[0].size, -1);
  assert_str(l.items[1].name, "noslash");
  assert_str(l.items[1].state, "running");
  assert_i64(l.items[1].created_ns, 0);
  assert_null(l.items[1].image_id);
  assert_null(l.items[1].labels);
  dc_resource_index_t ix;
  assert_rc(dc_resource_index_build(&ix, &l), 0);
  assert_ptr_equal(dc_resource_index_find(&ix, "c2"), &l.items[1]);
  assert_null(dc_resource_index_find(&ix, "c3"));
  dc_resource_index_free(&ix);
  dc_resource_list_free(&l);
  assert_null(l.items);
  assert_i64(l.n, 0);
  dc_resource_list_free(&l); /* twice is safe */

  /* Wrong types in optional fields: treated as absent. */
  l = decode_ok(dc_api_decode_containers,
                "[{\"Id\":\"c\",\"Names\":\"web\",\"State\":5,\"Created\":\"yesterday\",\"Labels\":[\"a\"],"
                "\"ImageID\":{}},"
                "{\"Id\":\"d\",\"Names\":[7],\"State\":\"a-state-far-longer-than-the-thirty-two-bytes-kept\",\"Created\":-5,"
                "\"Labels\":null,\"ImageID\":null},"
                "{\"Id\":\"e\",\"Names\":[],\"Created\":1e300},"
                "{\"Id\":\"f\",\"Created\":9000000001},"
                "{\"Id\":\"g\",\"Created\":1700000000.7}]");
  assert_i64(l.n, 5);
  assert_null(l.items[0].name);
  assert_str(l.items[0].state, "");
  assert_i64(l.items[0].created_ns, INT64_MIN);
  assert_null(l.items[0].labels);
  assert_null(l.items[0].image_id);
  assert_null(l.items[1].name);
  assert_i64(strlen(l.items[1].state), sizeof(l.items[1].state) - 1); /* truncated, NUL-terminated */
  assert_i64(l.items[1].created_ns, INT64_MIN);
  assert_i64(l.items[2].created_ns, INT64_MIN);
  assert_i64(l.items[3].created_ns, INT64_MIN);
  assert_i64(l.items[4].created_ns, INT64_C(1700000000) * SEC);
  dc_resource_list_free(&l);

  /* Empty list, and null for a list. */
  l = decode_ok(dc_api_decode_containers, "[]");
  assert_i64(l.n, 0);
  dc_resource_list_free(&l);

  common_hostile(dc_api_decode_containers);
  BAD(dc_api_decode_containers, "{}");
  BAD(dc_api_decode_containers, "{\"Id\":\"c\"}");
  BAD(dc_api_decode_containers, "[{}]");
  BAD(dc_api_decode_containers, "[{\"Id\":null}]");
  BAD(dc_api_decode_containers, "[{\"Id\":5}]");
  BAD(dc_api_decode_containers, "[{\"Id\":\"\"}]");
  BAD(dc_api_decode_containers, "[{\"Id\":\"a\"},{\"Names\":[\"/b\"]}]"); /* a bad entry after a good one */
  BAD(dc_api_decode_containers, "[{\"Id\":\"a\",\"Labels\":{\"k\":\"v\"}},{\"Id\":[]}]");
}

static void test_decode_images(void **state) {
  (void)state;
  dc_resource_list_t l = decode_ok(dc_api_decode_images,
                                   "[{\"Id\":\"sha256:1\",\"RepoTags\":[\"app:1\",\"app:latest\"],\"Created\":1700000000,"
                                   "\"Size\":1234,\"Labels\":{\"k\":\"v\"}},"
                                   "{\"Id\":\"sha256:2\",\"RepoTags\":[\"<none>:<none>\"],\"Size\":5},"
                                   "{\"Id\":\"sha256:3\",\"RepoTags\":null,\"Labels\":null,\"Size\":-1},"
                                   "{\"Id\":\"sha256:4\",\"RepoTags\":\"app\",\"Size\":\"big\",\"Created\":true}]");
  assert_i64(l.n, 4);
  assert_str(l.items[0].name, "app:1");
  assert_i64(json_array_size(l.items[0].tags), 2);
  assert_i64(l.items[0].size, 1234);
  assert_i64(l.items[0].created_ns, INT64_C(1700000000) * SEC);
  assert_non_null(l.items[0].labels);
  assert_null(l.items[1].name);
  assert_non_null(l.items[1].tags);
  assert_i64(l.items[1].size, 5);
  assert_i64(l.items[1].created_ns, INT64_MIN);
  assert_null(l.items[2].name);
  assert_null(l.items[2].tags);
  assert_null(l.items[2].labels);
  assert_i64(l.items[2].size, -1);
  assert_null(l.items[3].tags);
  assert_i64(l.items[3].size, -1);
  assert_i64(l.items[3].created_ns, INT64_MIN);
  dc_resource_list_free(&l);

  common_hostile(dc_api_decode_images);
  BAD(dc_api_decode_images, "{\"Images\":[]}");
  BAD(dc_api_decode_images, "[{\"RepoTags\":[\"a:1\"]}]");
}

static void test_decode_networks(void **state) {
  (void)state;
  dc_resource_list_t l =
      decode_ok(dc_api_decode_networks,
                "[{\"Name\":\"bridge\",\"Id\":\"n0\",\"Created\":\"0001-01-01T00:00:00Z\",\"Driver\":\"bridge\"},"
                "{\"Name\":\"app_net\",\"Id\":\"n1\",\"Created\":\"2024-01-02T04:04:05.123456789+01:00\","
                "\"Driver\":\"bridge\",\"Labels\":{\"com.docker.compose.network\":\"default\"}},"
                "{\"Name\":5,\"Id\":\"n2\",\"Created\":1700000000,\"Driver\":null,\"Labels\":\"x\"}]");
  assert_i64(l.n, 3);
  assert_str(l.items[0].name, "bridge");
  assert_i64(l.items[0].created_ns, INT64_MIN); /* Go's zero time: unknown, not a crash */
  assert_str(l.items[1].id, "n1");
  assert_str(l.items[1].name, "app_net");
  assert_str(l.items[1].driver, "bridge");
  assert_i64(l.items[1].created_ns, INT64_C(1704164645) * SEC + 123456789);
  assert_non_null(l.items[1].labels);
  assert_null(l.items[2].name);
  assert_str(l.items[2].driver, "");
  assert_i64(l.items[2].created_ns, INT64_MIN);
  assert_null(l.items[2].labels);
  dc_resource_list_free(&l);

  common_hostile(dc_api_decode_networks);
  BAD(dc_api_decode_networks, "[{\"Name\":\"n\"}]");
}

static void test_decode_volumes(void **state) {
  (void)state;
  dc_resource_list_t l = decode_ok(
      dc_api_decode_volumes,
      "{\"Volumes\":[{\"Name\":\"data\",\"Driver\":\"local\",\"Options\":null,\"CreatedAt\":\"2024-01-02T03:04:05Z\","
      "\"Labels\":{\"com.docker.volume.anonymous\":\"\"},\"Mountpoint\":\"/x\",\"Scope\":\"local\"},"
      "{\"Name\":\"bind\",\"Driver\":\"local\",\"Options\":{\"o\":\"bind\",\"device\":\"/srv\"}},"
      "{\"Name\":\"empty-opts\",\"Driver\":\"local\",\"Options\":{}}],\"Warnings\":null}");
  assert_i64(l.n, 3);
  assert_str(l.items[0].id, "data");
  assert_str(l.items[0].name, "data");
  assert_str(l.items[0].driver, "local");
  assert_false(l.items[0].has_options);
  assert_i64(l.items[0].created_ns, INT64_C(1704164645) * SEC);
  assert_non_null(l.items[0].labels);
  assert_true(l.items[1].has_options);
  assert_i64(l.items[1].created_ns, INT64_MIN);
  assert_false(l.items[2].has_options);
  dc_resource_list_free(&l);

  l = decode_ok(dc_api_decode_volumes, "{\"Volumes\":null,\"Warnings\":[]}");
  assert_i64(l.n, 0);
  dc_resource_list_free(&l);

  decode_bad(dc_api_decode_volumes, NULL, 0);
  BAD(dc_api_decode_volumes, "");
  BAD(dc_api_decode_volumes, "[]");
  BAD(dc_api_decode_volumes, "{}"); /* no list at all: malformed, not empty */
  BAD(dc_api_decode_volumes, "[{\"Name\":\"v\"}]");
  BAD(dc_api_decode_volumes, "{\"Volumes\":{}}");
  BAD(dc_api_decode_volumes, "{\"Volumes\":\"v\"}");
  BAD(dc_api_decode_volumes, "{\"Volumes\":[{\"Driver\":\"local\"}]}");
  BAD(dc_api_decode_volumes, "{\"Volumes\":[{\"Name\":null}]}");
  BAD(dc_api_decode_volumes, "{\"Volumes\":[1]}");
}

/* A /system/df reply applied to a volume list, as the run does in two steps. */
static int df_volumes(const char *body, size_t len, dc_resource_list_t *vols, char *err, size_t errlen) {
  dc_resource_list_t sizes;
  int rc = dc_api_decode_volume_sizes(body, len, &sizes, err, errlen);
  if (rc == 0)
    rc = dc_api_apply_volume_sizes(vols, &sizes);
  dc_resource_list_free(&sizes);
  return rc;
}

static void test_decode_df_volumes(void **state) {
  (void)state;
  dc_resource_list_t l = decode_ok(dc_api_decode_volumes,
                                   "{\"Volumes\":[{\"Name\":\"a\"},{\"Name\":\"b\"},{\"Name\":\"c\"}]}");
  char err[256] = "";
  static const char df[] = "{\"LayersSize\":0,\"Images\":null,\"Volumes\":["
                           "{\"Name\":\"a\",\"UsageData\":{\"Size\":1000,\"RefCount\":0}},"
                           "{\"Name\":\"b\",\"UsageData\":{\"Size\":-1,\"RefCount\":0}},"
                           "{\"Name\":\"zzz\",\"UsageData\":{\"Size\":5}},"
                           "{\"Name\":7,\"UsageData\":{\"Size\":5}},"
                           "{\"Name\":\"c\",\"UsageData\":null},"
                           "3, null]}";
  assert_rc(df_volumes(df, sizeof(df) - 1, &l, err, sizeof(err)), 0);
  assert_i64(l.items[0].size, 1000);
  assert_i64(l.items[1].size, -1);
  assert_i64(l.items[2].size, -1);

  static const char none[] = "{\"Volumes\":null}";
  assert_rc(df_volumes(none, sizeof(none) - 1, &l, err, sizeof(err)), 0);
  static const char arr[] = "[]";
  assert_rc(df_volumes(arr, sizeof(arr) - 1, &l, err, sizeof(err)), 0);
  static const char bad[] = "{\"Volumes\":\"x\"}";
  err[0] = '\0';
  assert_rc(df_volumes(bad, sizeof(bad) - 1, &l, err, sizeof(err)), -EPROTO);
  assert_true(err[0] != '\0');
  assert_rc(df_volumes("", 0, &l, err, sizeof(err)), -EPROTO);
  assert_rc(df_volumes("nope", 4, &l, err, sizeof(err)), -EPROTO);
  assert_i64(l.items[0].size, 1000); /* untouched by the failures */
  dc_resource_list_free(&l);
}

/* --- element-wise decoding: the walk between the values jansson parses --- */

/* Decodes the first len bytes from an exact-size copy, so that a read past them is caught
 * (ASan), and returns the code; the list must be empty on error, whatever the error. */
static int decode_exact(decode_fn fn, const char *body, size_t len, dc_resource_list_t *l, char *err, size_t errlen) {
  char *copy = malloc(len ? len : 1);
  assert_non_null(copy);
  memcpy(copy, body, len);
  err[0] = '\0';
  int rc = fn(copy, len, l, err, errlen);
  free(copy);
  if (rc < 0) {
    assert_true(err[0] != '\0');
    assert_null(strchr(err, '\n'));
    assert_null(l->items);
    assert_i64(l->n, 0);
  }
  return rc;
}

static void test_walk_whitespace(void **state) {
  (void)state;
  /* JSON whitespace before, between and after every token of the top level. */
  dc_resource_list_t l = decode_ok(dc_api_decode_containers,
                                   " \r\n\t[ \n{\"Id\":\"a\"}\t,\r\n  {\"Id\" : \"b\" , \"State\" : \"exited\"}\n\n,"
                                   "{\"Id\":\"c\"}  ] \n\t\r ");
  assert_i64(l.n, 3);
  assert_str(l.items[0].id, "a");
  assert_str(l.items[1].id, "b");
  assert_str(l.items[1].state, "exited");
  assert_str(l.items[2].id, "c");
  dc_resource_list_free(&l);

  l = decode_ok(dc_api_decode_volumes, "\n{ \"Warnings\" : null ,\n \"Volumes\"\t:\r[ {\"Name\":\"v1\"} ,\n"
                                       "{\"Name\":\"v2\"}\n] , \"Extra\" : 1 }\n");
  assert_i64(l.n, 2);
  assert_str(l.items[0].id, "v1");
  assert_str(l.items[1].id, "v2");
  dc_resource_list_free(&l);

  /* Empty lists, with and without whitespace inside. */
  static const char *const empty[] = {"[]", "[ ]", " [\n] ", "[\t\r\n]"};
  for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
    l = decode_ok(dc_api_decode_containers, empty[i]);
    assert_i64(l.n, 0);
    dc_resource_list_free(&l);
  }
  static const char *const empty_vols[] = {"{\"Volumes\":[]}", "{ \"Volumes\" : [ ] }", "{\"Volumes\":null}",
                                           "{\"Volumes\" :null }", "{\"Warnings\":null,\"Volumes\":[]}",
                                           "{\"Volumes\":[],\"Warnings\":null}", "{\"Volumes\":null,\"Warnings\":[1,2]}"};
  for (size_t i = 0; i < sizeof(empty_vols) / sizeof(empty_vols[0]); i++) {
    l = decode_ok(dc_api_decode_volumes, empty_vols[i]);
    assert_i64(l.n, 0);
    dc_resource_list_free(&l);
  }
}

static void test_walk_strings_and_scalars(void **state) {
  (void)state;
  /* Strings holding the punctuation the walk looks for, and escaped quotes: only jansson
   * reads inside a value. */
  dc_resource_list_t l = decode_ok(dc_api_decode_containers,
                                   "[{\"Id\":\"a]},\\\"[{\",\"Names\":[\"/x\\\"]}\\\\\"],\"Labels\":{\"k]\":\"v},\"}},"
                                   "{\"Id\":\"\\\"\",\"State\":\"]\"},{\"Id\":\"\\u005d\\u007d\"}]");
  assert_i64(l.n, 3);
  assert_str(l.items[0].id, "a]},\"[{");
  assert_str(l.items[0].name, "x\"]}\\");
  assert_str(json_string_value(json_object_get(l.items[0].labels, "k]")), "v},");
  assert_str(l.items[1].id, "\"");
  assert_str(l.items[1].state, "]");
  assert_str(l.items[2].id, "]}");
  dc_resource_list_free(&l);

  /* Members of every kind before and after the list, scalars among them: jansson looks one
   * character past a number or a literal, and the walk must not lose it. Lists nested in
   * other members are not ours, even when they have the same name. */
  l = decode_ok(dc_api_decode_volumes,
                "{\"A\":1,\"B\":true,\"C\":-1.5e3,\"D\":false,\"E\":[1,2,[3],\"]\"],\"F\":{\"Volumes\":[{\"Name\":\"no\"}]},"
                "\"G\":\"}\",\"Volumes\":[{\"Name\":\"v\"}],\"H\":null,\"I\":0,\"J\":[1,2],\"K\":{},\"L\":123}");
  assert_i64(l.n, 1);
  assert_str(l.items[0].id, "v");
  dc_resource_list_free(&l);
  l = decode_ok(dc_api_decode_volumes, "{\"Warnings\":null,\"Volumes\":[],\"N\":1}");
  assert_i64(l.n, 0);
  dc_resource_list_free(&l);

  /* A member given twice: the last counts, as in a whole-document parse. */
  l = decode_ok(dc_api_decode_volumes, "{\"Volumes\":[{\"Name\":\"a\"}],\"Volumes\":[{\"Name\":\"b\"},{\"Name\":\"c\"}]}");
  assert_i64(l.n, 2);
  assert_str(l.items[0].id, "b");
  assert_str(l.items[1].id, "c");
  dc_resource_list_free(&l);
  l = decode_ok(dc_api_decode_volumes, "{\"Volumes\":[{\"Name\":\"a\"}],\"Volumes\":null}");
  assert_i64(l.n, 0);
  dc_resource_list_free(&l);

  /* Build cache records sit in a member of the disk-usage reply, after the other members. */
  l = decode_ok(dc_api_decode_df_build_cache,
                "{\"LayersSize\":0,\"Images\":null,\"Containers\":[{\"Id\":\"x\"}],\"Volumes\":[],"
                "\"BuildCache\":[{\"ID\":\"b1\",\"Type\":\"regular\",\"InUse\":true,\"Size\":7}]}");
  assert_i64(l.n, 1);
  assert_str(l.items[0].id, "b1");
  assert_true(l.items[0].in_use);
  assert_i64(l.items[0].size, 7);
  dc_resource_list_free(&l);
}

static void test_walk_hostile(void **state) {
  (void)state;
  static const char *const bad_lists[] = {
      "[{\"Id\":\"a\"} {\"Id\":\"b\"}]", /* no comma */
      "[{\"Id\":\"a\"},]",               /* trailing comma */
      "[,{\"Id\":\"a\"}]",
      "[{\"Id\":\"a\"}]]",
      "[{\"Id\":\"a\"}][]",
      "[{\"Id\":\"a\"}true]",
      "[{\"Id\":\"a\"}:{\"Id\":\"b\"}]",
      "[{\"Id\":\"a\"}}",
      "[{\"Id\":\"a\"},{\"Id\":\"b\"}",
      "[{\"Id\":\"a\"},{\"Id\":\"b\"},",
      "[{\"Id\":\"a\\\"}]",               /* the quote is escaped: the string never ends */
      "[{\"Id\":\"a\"}\xff]",
      "\xef\xbb\xbf[]",                  /* a BOM is not whitespace */
      "[{\"Id\":\"a\"}]x",
      "[1 2]",
      "[{\"Id\":\"a\"},5]",              /* an entry that is not an object */
      "[{\"Id\":\"a\"},[1,2]]",
      "[{\"Id\":\"a\"},null]",
      "[{\"Id\":\"a\"},nul]",
      "[{\"Id\":\"a\",}]",
      "true",
      "[" ,
      "   ",
  };
  for (size_t i = 0; i < sizeof(bad_lists) / sizeof(bad_lists[0]); i++)
    decode_bad(dc_api_decode_containers, bad_lists[i], strlen(bad_lists[i]));
  /* A NUL byte is no whitespace, inside the list or after it. */
  decode_bad(dc_api_decode_containers, "[{\"Id\":\"a\"}\0]", 13);
  decode_bad(dc_api_decode_containers, "[]\0", 3);

  static const char *const bad_objects[] = {
      "{\"Volumes\":[{\"Name\":\"a\"}],\"Warnings\":nul}", /* invalid after the list: refused, freed */
      "{\"Volumes\":[{\"Name\":\"a\"}] \"Warnings\":null}",
      "{\"Volumes\" [{\"Name\":\"a\"}]}",
      "{\"Volumes\":[{\"Name\":\"a\"}],}",
      "{1:[]}",
      "{Volumes:[]}",
      "{\"Volumes\":[{\"Name\":\"a\"}]",
      "{\"Volumes\":[{\"Name\":\"a\"}]}}",
      "{\"Volumes\":[{\"Name\":\"a\"}],\"Volumes\":5}",
      "{\"Warnings\":null}", /* no list at all */
      "{\"Volumes\":true}",
      "{\"Volumes\":[{\"Name\":\"a\"},{\"Name\":\"b\"},7]}",
      "{\"Volumes\":[]}x",
      "{\"Volumes\\u0000\":[]}", /* NUL in a key */
  };
  for (size_t i = 0; i < sizeof(bad_objects) / sizeof(bad_objects[0]); i++)
    decode_bad(dc_api_decode_volumes, bad_objects[i], strlen(bad_objects[i]));

  /* The reasons. */
  dc_resource_list_t l;
  char err[256];
  assert_rc(decode_exact(dc_api_decode_containers, "[{\"Id\":\"a\"},5]", 14, &l, err, sizeof(err)), -EPROTO);
  assert_str(err, "container list reply has a malformed entry at index 1");
  assert_rc(decode_exact(dc_api_decode_containers, "[{\"Id\":\"a\"} {}]", 15, &l, err, sizeof(err)), -EPROTO);
  assert_str(err, "invalid JSON in reply: ',' or ']' expected at byte 12");
  assert_rc(decode_exact(dc_api_decode_containers, "[{\"Id\":\"a\"}", 11, &l, err, sizeof(err)), -EPROTO);
  assert_str(err, "invalid JSON in reply: ',' or ']' expected near end of file");
  assert_rc(decode_exact(dc_api_decode_containers, "[{\"Id\":\"a}]", 11, &l, err, sizeof(err)), -EPROTO);
  assert_contains(err, "invalid JSON in reply: premature end of input");
  assert_rc(decode_exact(dc_api_decode_containers, "{\"Id\":\"a\"}", 10, &l, err, sizeof(err)), -EPROTO);
  assert_str(err, "container list reply is not a list");
  assert_rc(decode_exact(dc_api_decode_volumes, "[{\"Name\":\"a\"}]", 14, &l, err, sizeof(err)), -EPROTO);
  assert_str(err, "volume list reply is not an object");
  assert_rc(decode_exact(dc_api_decode_volumes, "{\"Warnings\":null}", 17, &l, err, sizeof(err)), -EPROTO);
  assert_str(err, "volume list reply is not a list");
  assert_rc(decode_exact(dc_api_decode_volumes, "{\"Volumes\":{}}", 14, &l, err, sizeof(err)), -EPROTO);
  assert_str(err, "volume list reply is not a list");
  assert_rc(decode_exact(dc_api_decode_volumes, "null", 4, &l, err, sizeof(err)), -EPROTO);
  assert_str(err, "invalid JSON in reply: '[' or '{' expected at byte 0");
  /* Depth is still bounded (by jansson, per entry), and without recursion here. */
  char deep[5002];
  memset(deep, '[', 2500);
  memset(deep + 2500, ']', 2500);
  assert_rc(decode_exact(dc_api_decode_containers, deep, 5000, &l, err, sizeof(err)), -EPROTO);
  assert_contains(err, "invalid JSON in reply");
}

/* Every proper prefix of a valid reply is refused cleanly: no crash, no read past it, nothing
 * left behind. */
static void truncated_everywhere(decode_fn fn, const char *body) {
  size_t len = strlen(body);
  dc_resource_list_t l;
  char err[256];
  for (size_t n = 0; n < len; n++) {
    int rc = decode_exact(fn, body, n, &l, err, sizeof(err));
    if (rc != -EPROTO) {
      print_error("%zu of %zu bytes of %s: %d, expected -EPROTO\n", n, len, body, rc);
      fail();
    }
  }
  assert_rc(decode_exact(fn, body, len, &l, err, sizeof(err)), 0);
  dc_resource_list_free(&l);
}

static void test_walk_truncated(void **state) {
  (void)state;
  truncated_everywhere(dc_api_decode_containers,
                       " [{\"Id\":\"c1\",\"Names\":[\"/a\\\"]\"],\"State\":\"exited\",\"Created\":17,\"Labels\":{\"k\":\"v\"},"
                       "\"Mounts\":[{\"Type\":\"volume\",\"Name\":\"v1\"}],\"NetworkSettings\":{\"Networks\":{\"n\":"
                       "{\"NetworkID\":\"id\"}}}} , {\"Id\":\"c2\",\"Created\":1.5e2,\"Labels\":null,\"Ok\":true}]");
  truncated_everywhere(dc_api_decode_volumes, "{\"Warnings\":[\"w\"],\"Volumes\":[{\"Name\":\"v1\",\"Driver\":\"local\","
                                              "\"Options\":{\"o\":\"bind\"}},{\"Name\":\"v2\"}],\"N\":-0.5,\"T\":true}");
  truncated_everywhere(dc_api_decode_volume_sizes, "{\"LayersSize\":12,\"Volumes\":[{\"Name\":\"v1\",\"UsageData\":"
                                                   "{\"Size\":10,\"RefCount\":1}},null,7],\"BuildCache\":null}");
  truncated_everywhere(dc_api_decode_df_build_cache, "{\"Volumes\":null,\"BuildCache\":[{\"ID\":\"b\",\"Shared\":false}]}");
}

static void test_container_mounts_and_networks(void **state) {
  (void)state;
  dc_resource_list_t l = decode_ok(
      dc_api_decode_containers,
      "[{\"Id\":\"c1\",\"Mounts\":["
      "{\"Type\":\"volume\",\"Name\":\"data\",\"Destination\":\"/d\"},"
      "{\"Type\":\"bind\",\"Source\":\"/srv\",\"Name\":\"not-a-volume\"},"
      "{\"Type\":\"volume\"},"
      "{\"Type\":\"volume\",\"Name\":5},"
      "{\"Type\":7,\"Name\":\"typeless\"},"
      "\"junk\",null,"
      "{\"Type\":\"volume\",\"Name\":\"\"},"
      "{\"Name\":\"cache\",\"Type\":\"volume\"}],"
      "\"NetworkSettings\":{\"Networks\":{"
      "\"bridge\":{\"NetworkID\":\"n1\",\"IPAddress\":\"172.17.0.2\"},"
      "\"none\":{\"NetworkID\":\"\"},"
      "\"odd\":{\"NetworkID\":5},"
      "\"weird\":7}}},"
      "{\"Id\":\"c2\",\"Mounts\":{\"Type\":\"volume\",\"Name\":\"x\"},\"NetworkSettings\":[]},"
      "{\"Id\":\"c3\",\"Mounts\":null,\"NetworkSettings\":{\"Networks\":[\"a\"]}},"
      "{\"Id\":\"c4\",\"Mounts\":[],\"NetworkSettings\":{\"Networks\":{}}}]");
  assert_i64(l.n, 4);
  const dc_resource_t *c = &l.items[0];
  assert_i64(c->nmount_volumes, 3);
  assert_str(c->mount_volumes[0], "data");
  assert_str(c->mount_volumes[1], "");
  assert_str(c->mount_volumes[2], "cache");
  assert_i64(c->nnets, 4);
  assert_str(c->nets[0].name, "bridge");
  assert_str(c->nets[0].id, "n1");
  assert_str(c->nets[1].name, "none");
  assert_str(c->nets[1].id, "");
  assert_str(c->nets[2].name, "odd");
  assert_null(c->nets[2].id); /* wrong type: absent */
  assert_str(c->nets[3].name, "weird");
  assert_null(c->nets[3].id);
  for (size_t i = 1; i < 4; i++) {
    assert_i64(l.items[i].nmount_volumes, 0);
    assert_null(l.items[i].mount_volumes);
    assert_i64(l.items[i].nnets, 0);
    assert_null(l.items[i].nets);
  }
  dc_resource_list_free(&l);

  /* A bad entry after ones holding mounts and networks: all of it freed (ASan, valgrind). */
  BAD(dc_api_decode_containers,
      "[{\"Id\":\"a\",\"Mounts\":[{\"Type\":\"volume\",\"Name\":\"v\"}],\"NetworkSettings\":{\"Networks\":"
      "{\"n\":{\"NetworkID\":\"i\"}}}},{\"Id\":\"b\",\"Mounts\":[{\"Type\":\"volume\",\"Name\":\"w\"}]},{\"Id\":1}]");
}

static void test_volume_sizes(void **state) {
  (void)state;
  /* Decoded on their own (the disk-usage reply can come before the volume list), in order. */
  char err[256] = "";
  dc_resource_list_t sizes;
  static const char df[] = "{\"Volumes\":[{\"Name\":\"b\",\"UsageData\":{\"Size\":20}},"
                           "{\"Name\":\"a\",\"UsageData\":{\"Size\":10}},"
                           "{\"Name\":\"gone\",\"UsageData\":{\"Size\":99}},"
                           "{\"Name\":\"c\"},{\"Name\":\"\",\"UsageData\":{\"Size\":1}},{\"UsageData\":{}},"
                           "{\"Name\":\"d\",\"UsageData\":{}},"
                           "{\"Name\":\"a\",\"UsageData\":{\"Size\":11}}],\"LayersSize\":1}";
  assert_rc(dc_api_decode_volume_sizes(df, sizeof(df) - 1, &sizes, err, sizeof(err)), 0);
  assert_i64(sizes.n, 5);
  assert_str(sizes.items[0].id, "b");
  assert_i64(sizes.items[0].size, 20);
  assert_str(sizes.items[3].id, "d");
  assert_i64(sizes.items[3].size, -1);

  dc_resource_list_t vols = decode_ok(dc_api_decode_volumes, "{\"Volumes\":[{\"Name\":\"a\"},{\"Name\":\"b\"},"
                                                             "{\"Name\":\"c\"},{\"Name\":\"d\"},{\"Name\":\"e\"}]}");
  vols.items[3].size = 5; /* a size the reply does not know is reset to unknown, as before */
  assert_rc(dc_api_apply_volume_sizes(&vols, &sizes), 0);
  assert_i64(vols.items[0].size, 11); /* the later entry wins */
  assert_i64(vols.items[1].size, 20);
  assert_i64(vols.items[2].size, -1);
  assert_i64(vols.items[3].size, -1);
  assert_i64(vols.items[4].size, -1);
  dc_resource_list_free(&sizes);

  /* No sizes: nothing changes. */
  assert_rc(dc_api_decode_volume_sizes("[1,2]", 5, &sizes, err, sizeof(err)), 0);
  assert_i64(sizes.n, 0);
  assert_rc(dc_api_apply_volume_sizes(&vols, &sizes), 0);
  assert_i64(vols.items[1].size, 20);
  dc_resource_list_free(&vols);

  static const char *const ok_empty[] = {"{}", "{\"Volumes\":null}", "{\"Volumes\":[]}", "[]",
                                         "{\"Volumes\":[null,1,\"x\",[],{}]}", "{\"Images\":[{\"Id\":\"i\"}]}"};
  for (size_t i = 0; i < sizeof(ok_empty) / sizeof(ok_empty[0]); i++) {
    assert_rc(dc_api_decode_volume_sizes(ok_empty[i], strlen(ok_empty[i]), &sizes, err, sizeof(err)), 0);
    assert_i64(sizes.n, 0);
    dc_resource_list_free(&sizes);
  }
  static const char *const bad[] = {"", "null", "5", "{\"Volumes\":{}}", "{\"Volumes\":\"x\"}",
                                    "{\"Volumes\":[{\"Name\":\"a\",\"UsageData\":{\"Size\":1}}],\"X\":}",
                                    "{\"Volumes\":[{\"Name\":\"a\",\"UsageData\":{\"Size\":1}}"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    decode_bad(dc_api_decode_volume_sizes, bad[i], strlen(bad[i]));
  assert_rc(decode_exact(dc_api_decode_volume_sizes, "{\"Volumes\":{}}", 14, &sizes, err, sizeof(err)), -EPROTO);
  assert_str(err, "disk usage reply has a malformed volume list");
}

static void test_decode_huge_list(void **state) {
  (void)state;
  const size_t n = 100000;
  size_t cap = n * 40 + 16, off = 0;
  char *body = malloc(cap);
  assert_non_null(body);
  body[off++] = '[';
  for (size_t i = 0; i < n; i++)
    off += (size_t)snprintf(body + off, cap - off, "%s{\"Id\":\"id%zu\",\"State\":\"exited\"}", i ? "," : "", i);
  body[off++] = ']';
  body[off] = '\0';
  dc_resource_list_t l;
  char err[256];
  assert_rc(dc_api_decode_containers(body, off, &l, err, sizeof(err)), 0);
  assert_i64(l.n, n);
  assert_str(l.items[n - 1].id, "id99999");
  assert_str(l.items[n - 1].state, "exited");
  dc_resource_list_free(&l);

  /* The same list with one bad entry at the very end: refused as a whole, nothing leaked. */
  memcpy(body + off - 1, ",{}]", 5);
  off += 3;
  decode_bad(dc_api_decode_containers, body, off);
  free(body);
}

/* --- prune replies --- */

static dc_prune_result_t prune_ok(dc_kind_t kind, const char *body) {
  dc_prune_result_t r;
  char err[256] = "";
  int rc = dc_api_decode_prune(kind, body, strlen(body), &r, err, sizeof(err));
  if (rc != 0) {
    print_error("prune reply %.200s: %s\n", body, err);
    fail();
  }
  return r;
}

static void prune_bad(dc_kind_t kind, const char *body, size_t len) {
  dc_prune_result_t r;
  memset(&r, 0x5A, sizeof(r));
  char err[256] = "";
  int rc = dc_api_decode_prune(kind, body, len, &r, err, sizeof(err));
  if (rc != -EPROTO) {
    print_error("prune reply \"%.200s\" returned %d, expected -EPROTO\n", body ? body : "(null)", rc);
    fail();
  }
  assert_true(err[0] != '\0');
  assert_null(r.ids);
  assert_i64(r.n, 0);
  assert_null(r.untagged);
  assert_i64(r.nuntagged, 0);
}
#define PRUNE_BAD(kind, lit) prune_bad(kind, lit, sizeof(lit) - 1)

static void test_prune_containers(void **state) {
  (void)state;
  dc_prune_result_t r = prune_ok(DC_CONTAINERS, "{\"ContainersDeleted\":[\"a1\",\"b2\"],\"SpaceReclaimed\":12345}");
  assert_i64(r.n, 2);
  assert_str(r.ids[0], "a1");
  assert_str(r.ids[1], "b2");
  assert_i64(r.space, 12345);
  assert_i64(r.nuntagged, 0);
  dc_prune_result_free(&r);
  assert_null(r.ids);
  dc_prune_result_free(&r); /* twice is safe */

  r = prune_ok(DC_CONTAINERS, "{\"ContainersDeleted\":null,\"SpaceReclaimed\":0}");
  assert_i64(r.n, 0);
  assert_i64(r.space, 0);
  dc_prune_result_free(&r);
  r = prune_ok(DC_CONTAINERS, "{}");
  assert_i64(r.n, 0);
  assert_i64(r.space, -1);
  dc_prune_result_free(&r);
  /* Another kind's member is not ours. */
  r = prune_ok(DC_CONTAINERS, "{\"VolumesDeleted\":[\"v\"],\"SpaceReclaimed\":null}");
  assert_i64(r.n, 0);
  assert_i64(r.space, -1);
  dc_prune_result_free(&r);
}

static void test_prune_build_cache(void **state) {
  (void)state;
  dc_prune_result_t r = prune_ok(DC_BUILD_CACHE, "{\"CachesDeleted\":[\"x1\",\"x2\",\"x3\"],\"SpaceReclaimed\":999}");
  assert_i64(r.n, 3);
  assert_str(r.ids[2], "x3");
  assert_i64(r.space, 999);
  dc_prune_result_free(&r);
  r = prune_ok(DC_BUILD_CACHE, "{\"CachesDeleted\":null,\"SpaceReclaimed\":0}");
  assert_i64(r.n, 0);
  dc_prune_result_free(&r);
}

static void test_prune_networks(void **state) {
  (void)state;
  dc_prune_result_t r = prune_ok(DC_NETWORKS, "{\"NetworksDeleted\":[\"app_default\",\"ci_net\"]}");
  assert_i64(r.n, 2);
  assert_str(r.ids[0], "app_default");
  assert_i64(r.space, -1); /* networks have no SpaceReclaimed */
  dc_prune_result_free(&r);
  r = prune_ok(DC_NETWORKS, "{\"NetworksDeleted\":null}");
  assert_i64(r.n, 0);
  dc_prune_result_free(&r);
}

static void test_prune_volumes(void **state) {
  (void)state;
  dc_prune_result_t r = prune_ok(DC_VOLUMES, "{\"VolumesDeleted\":[\"v1\"],\"SpaceReclaimed\":4096}");
  assert_i64(r.n, 1);
  assert_str(r.ids[0], "v1");
  assert_i64(r.space, 4096);
  dc_prune_result_free(&r);
  r = prune_ok(DC_VOLUMES, "{\"VolumesDeleted\":[],\"SpaceReclaimed\":0}");
  assert_i64(r.n, 0);
  assert_i64(r.space, 0);
  dc_prune_result_free(&r);
}

static void test_prune_images(void **state) {
  (void)state;
  dc_prune_result_t r = prune_ok(DC_IMAGES, "{\"ImagesDeleted\":["
                                            "{\"Untagged\":\"app:old\"},"
                                            "{\"Untagged\":\"app@sha256:feed\"},"
                                            "{\"Deleted\":\"sha256:img\"},"
                                            "{\"Deleted\":\"sha256:layer1\"},"
                                            "{\"Other\":\"x\"}],"
                                            "\"SpaceReclaimed\":1234567890}");
  assert_i64(r.nuntagged, 2);
  assert_str(r.untagged[0], "app:old");
  assert_str(r.untagged[1], "app@sha256:feed");
  assert_i64(r.n, 2);
  assert_str(r.ids[0], "sha256:img");
  assert_str(r.ids[1], "sha256:layer1");
  assert_i64(r.space, 1234567890);
  dc_prune_result_free(&r);

  /* Podman: Deleted entries only. */
  r = prune_ok(DC_IMAGES, "{\"ImagesDeleted\":[{\"Deleted\":\"0123abcd\"},{\"Deleted\":\"4567ef01\"}],"
                          "\"SpaceReclaimed\":0}");
  assert_i64(r.n, 2);
  assert_i64(r.nuntagged, 0);
  assert_str(r.ids[1], "4567ef01");
  dc_prune_result_free(&r);

  r = prune_ok(DC_IMAGES, "{\"ImagesDeleted\":null,\"SpaceReclaimed\":0}");
  assert_i64(r.n, 0);
  assert_i64(r.nuntagged, 0);
  dc_prune_result_free(&r);
}

static void test_prune_hostile(void **state) {
  (void)state;
  for (int k = 0; k < DC_KIND__COUNT; k++) {
    prune_bad((dc_kind_t)k, NULL, 0);
    PRUNE_BAD((dc_kind_t)k, "");
    PRUNE_BAD((dc_kind_t)k, "not json");
    PRUNE_BAD((dc_kind_t)k, "[]");
    PRUNE_BAD((dc_kind_t)k, "[{\"ContainersDeleted\":[]}]");
    PRUNE_BAD((dc_kind_t)k, "{\"SpaceReclaimed\":\"big\"}");
    PRUNE_BAD((dc_kind_t)k, "{\"SpaceReclaimed\":-1}");
    PRUNE_BAD((dc_kind_t)k, "{\"SpaceReclaimed\":1.5}");
    PRUNE_BAD((dc_kind_t)k, "{\"SpaceReclaimed\":1e300}");
    PRUNE_BAD((dc_kind_t)k, "{\"SpaceReclaimed\":99999999999999999999999}");
    PRUNE_BAD((dc_kind_t)k, "{\"SpaceReclaimed\":{}}");
  }
  static const char *const members[] = {"ContainersDeleted", "CachesDeleted", "NetworksDeleted", "ImagesDeleted",
                                        "VolumesDeleted"};
  /* The five prune replies; DC_REAP has no prune of its own. */
  for (int k = 0; k < (int)(sizeof(members) / sizeof(members[0])); k++) {
    char b[256];
    static const char *const lists[] = {"\"x\"", "{}", "5", "true"};
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
      snprintf(b, sizeof(b), "{\"%s\":%s,\"SpaceReclaimed\":0}", members[k], lists[i]);
      prune_bad((dc_kind_t)k, b, strlen(b));
    }
    /* A bad entry after good ones: everything collected so far is freed (valgrind checks). */
    if (k != DC_IMAGES) {
      static const char *const entries[] = {"[\"a\",1]", "[\"a\",null]", "[\"a\",\"\"]", "[\"a\",[\"b\"]]",
                                            "[\"a\",{\"Deleted\":\"b\"}]"};
      for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
        snprintf(b, sizeof(b), "{\"%s\":%s,\"SpaceReclaimed\":0}", members[k], entries[i]);
        prune_bad((dc_kind_t)k, b, strlen(b));
      }
    }
  }
  PRUNE_BAD(DC_IMAGES, "{\"ImagesDeleted\":[{\"Deleted\":\"a\"},{\"Deleted\":5}]}");
  PRUNE_BAD(DC_IMAGES, "{\"ImagesDeleted\":[{\"Deleted\":\"a\"},{\"Deleted\":null}]}");
  PRUNE_BAD(DC_IMAGES, "{\"ImagesDeleted\":[{\"Deleted\":\"a\"},{\"Untagged\":[]}]}");
  PRUNE_BAD(DC_IMAGES, "{\"ImagesDeleted\":[{\"Untagged\":\"a:1\"},{\"Deleted\":\"\"}]}");

  /* A long list of good IDs decodes whole. */
  size_t n = 100000, cap = n * 12 + 64, off = 0;
  char *body = malloc(cap);
  assert_non_null(body);
  off += (size_t)snprintf(body, cap, "{\"ContainersDeleted\":[");
  for (size_t i = 0; i < n; i++)
    off += (size_t)snprintf(body + off, cap - off, "%s\"c%zu\"", i ? "," : "", i);
  off += (size_t)snprintf(body + off, cap - off, "],\"SpaceReclaimed\":9223372036854775807}");
  dc_prune_result_t r;
  char err[256];
  assert_rc(dc_api_decode_prune(DC_CONTAINERS, body, off, &r, err, sizeof(err)), 0);
  assert_i64(r.n, n);
  assert_str(r.ids[n - 1], "c99999");
  assert_i64(r.space, INT64_MAX);
  dc_prune_result_free(&r);
  free(body);
}

/* --- prune replies walked entry by entry (F3) --- */

static void prune_truncated_everywhere(dc_kind_t kind, const char *body) {
  size_t len = strlen(body);
  for (size_t n = 0; n < len; n++) {
    /* An exact-size copy, so that a read past the prefix is caught under ASan. */
    char *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    memcpy(copy, body, n);
    prune_bad(kind, copy, n);
    free(copy);
  }
  dc_prune_result_t r = prune_ok(kind, body);
  dc_prune_result_free(&r);
}

static void test_prune_truncated(void **state) {
  (void)state;
  prune_truncated_everywhere(DC_CONTAINERS, " {\"Other\":{\"a\":[1,{\"b\":null}],\"c\":\"x\"},\"ContainersDeleted\":"
                                            "[\"a1\" , \"b\\\"2\"],\"SpaceReclaimed\":12,\"T\":true}");
  prune_truncated_everywhere(DC_IMAGES, "{\"ImagesDeleted\":[{\"Untagged\":\"app:1\"},{\"Deleted\":\"sha256:1\","
                                        "\"Other\":[1,2]},5,null],\"SpaceReclaimed\":0}");
  prune_truncated_everywhere(DC_NETWORKS, "{\"NetworksDeleted\":null,\"Warnings\":[[],{}]}");
  prune_truncated_everywhere(DC_VOLUMES, "{\"VolumesDeleted\":[],\"SpaceReclaimed\":-0}");
}

static void test_prune_streaming(void **state) {
  (void)state;
  /* A member given twice: the last one counts, as in a whole-document parse. */
  dc_prune_result_t r = prune_ok(DC_CONTAINERS, "{\"ContainersDeleted\":[\"a\"],\"SpaceReclaimed\":-1,"
                                                "\"ContainersDeleted\":[\"b\",\"c\"],\"SpaceReclaimed\":5}");
  assert_i64(r.n, 2);
  assert_str(r.ids[0], "b");
  assert_str(r.ids[1], "c");
  assert_i64(r.space, 5);
  dc_prune_result_free(&r);
  r = prune_ok(DC_CONTAINERS, "{\"ContainersDeleted\":[\"a\"],\"ContainersDeleted\":null,\"SpaceReclaimed\":5,"
                              "\"SpaceReclaimed\":null}");
  assert_i64(r.n, 0);
  assert_null(r.ids);
  assert_i64(r.space, -1);
  dc_prune_result_free(&r);
  /* Members nobody reads are checked and dropped, however nested; other kinds' lists too. */
  r = prune_ok(DC_NETWORKS, "{\"Warnings\":[[[{\"x\":[]}]],{\"y\":{\"z\":[null,1.5,\"s\"]}}],"
                            "\"ContainersDeleted\":[5],\"NetworksDeleted\":[\"n1\"]}");
  assert_i64(r.n, 1);
  assert_str(r.ids[0], "n1");
  dc_prune_result_free(&r);
  PRUNE_BAD(DC_NETWORKS, "{\"Warnings\":[[[{\"x\":[]}]],{\"y\":{\"z\":[null,1.5,\"s\"]}]],\"NetworksDeleted\":[]}");
  PRUNE_BAD(DC_NETWORKS, "{\"Warnings\":{\"a\" 1},\"NetworksDeleted\":[]}");
  PRUNE_BAD(DC_NETWORKS, "{\"Warnings\":{1:1},\"NetworksDeleted\":[]}");
  PRUNE_BAD(DC_NETWORKS, "{\"NetworksDeleted\":[]}{}");
  PRUNE_BAD(DC_NETWORKS, "{\"NetworksDeleted\":[],}");
  /* An invalid SpaceReclaimed counts, unless a later one replaces it. */
  PRUNE_BAD(DC_CONTAINERS, "{\"SpaceReclaimed\":5,\"SpaceReclaimed\":[1]}");
  r = prune_ok(DC_CONTAINERS, "{\"SpaceReclaimed\":[1],\"SpaceReclaimed\":7}");
  assert_i64(r.space, 7);
  dc_prune_result_free(&r);

  /* The reasons. */
  char err[256];
  assert_rc(dc_api_decode_prune(DC_CONTAINERS, "[]", 2, &r, err, sizeof(err)), -EPROTO);
  assert_str(err, "prune reply is not an object");
  assert_rc(dc_api_decode_prune(DC_CONTAINERS, "{\"ContainersDeleted\":[\"a\",1]}", 29, &r, err, sizeof(err)),
            -EPROTO);
  assert_str(err, "prune reply has a malformed entry at index 1");
  assert_rc(dc_api_decode_prune(DC_CONTAINERS, "{\"ContainersDeleted\":{}}", 24, &r, err, sizeof(err)), -EPROTO);
  assert_str(err, "prune reply has a malformed list");

  /* Nesting deeper than jansson's limit in a member nobody reads: refused, without a tree. */
  size_t depth = 3000, len = 8 + 2 * depth;
  char *deep = malloc(len + 1);
  assert_non_null(deep);
  memcpy(deep, "{\"W\":", 5);
  memset(deep + 5, '[', depth);
  memset(deep + 5 + depth, ']', depth);
  memcpy(deep + 5 + 2 * depth, "}", 2);
  assert_rc(dc_api_decode_prune(DC_CONTAINERS, deep, strlen(deep), &r, err, sizeof(err)), -EPROTO);
  assert_contains(err, "maximum parsing depth");
  free(deep);
}

/* A prune reply of n IDs "a". */
static char *prune_of(size_t n, size_t *len) {
  size_t cap = n * 4 + 64;
  char *b = malloc(cap);
  assert_non_null(b);
  size_t off = (size_t)snprintf(b, cap, "{\"ContainersDeleted\":[");
  for (size_t i = 0; i < n; i++) {
    memcpy(b + off, i ? ",\"a\"" : "\"a\"", i ? 4 : 3);
    off += i ? 4 : 3;
  }
  off += (size_t)snprintf(b + off, cap - off, "]}");
  *len = off;
  return b;
}

static void test_prune_item_cap(void **state) {
  (void)state;
  size_t len;
  char *b = prune_of(DC_MAX_ITEMS, &len);
  dc_prune_result_t r;
  char err[256];
  assert_rc(dc_api_decode_prune(DC_CONTAINERS, b, len, &r, err, sizeof(err)), 0);
  assert_i64(r.n, DC_MAX_ITEMS);
  dc_prune_result_free(&r);
  free(b);
  /* One more: refused while walking (the reply is not read to its end). */
  b = prune_of(DC_MAX_ITEMS + 1, &len);
  assert_rc(dc_api_decode_prune(DC_CONTAINERS, b, len, &r, err, sizeof(err)), -EPROTO);
  assert_str(err, "prune reply has a malformed list (more than 1000000 entries)");
  assert_null(r.ids);
  assert_i64(r.n, 0);
  free(b);
}

/* A container list of one entry with n labels, and more after it when tail is set. */
static char *labelled_entry(size_t n, size_t *len) {
  size_t cap = n * 16 + 64;
  char *b = malloc(cap);
  assert_non_null(b);
  size_t off = (size_t)snprintf(b, cap, "[{\"Id\":\"c1\",\"Labels\":{");
  for (size_t i = 0; i < n; i++)
    off += (size_t)snprintf(b + off, cap - off, "%s\"%zx\":\"\"", i ? "," : "", i);
  off += (size_t)snprintf(b + off, cap - off, "}}]");
  *len = off;
  return b;
}

static void test_value_cap(void **state) {
  (void)state;
  dc_resource_list_t l;
  char err[256];
  size_t len;
  /* 2 * 30000 + 2 values: under the cap. */
  char *b = labelled_entry(30000, &len);
  assert_rc(dc_api_decode_containers(b, len, &l, err, sizeof(err)), 0);
  assert_i64(json_object_size(l.items[0].labels), 30000);
  dc_resource_list_free(&l);
  free(b);
  /* 2 * 40000: over it, refused before any tree is built. */
  b = labelled_entry(40000, &len);
  assert_rc(dc_api_decode_containers(b, len, &l, err, sizeof(err)), -EPROTO);
  assert_str(err, "reply has a value of more than 65536 items at byte 1");
  assert_null(l.items);
  free(b);
  /* The same in an image's prune entry. */
  size_t cap = 70000 * 6 + 64, off = 0;
  b = malloc(cap);
  assert_non_null(b);
  off += (size_t)snprintf(b, cap, "{\"ImagesDeleted\":[{\"Deleted\":\"x\",\"L\":[");
  for (size_t i = 0; i < 70000; i++)
    off += (size_t)snprintf(b + off, cap - off, "%s1", i ? "," : "");
  off += (size_t)snprintf(b + off, cap - off, "]}]}");
  dc_prune_result_t r;
  assert_rc(dc_api_decode_prune(DC_IMAGES, b, off, &r, err, sizeof(err)), -EPROTO);
  assert_contains(err, "more than 65536 items");
  free(b);
  /* Bytes are bounded too, in a value or one string: one jansson call stays short. */
  size_t big = DC_MAX_VALUE_BYTES + 1;
  b = malloc(big + 64);
  assert_non_null(b);
  off = (size_t)snprintf(b, 64, "[{\"Id\":\"c\",\"Labels\":{\"k\":\"");
  memset(b + off, 'v', big);
  off += big;
  off += (size_t)snprintf(b + off, 64, "\"}}]");
  assert_rc(dc_api_decode_containers(b, off, &l, err, sizeof(err)), -EPROTO);
  assert_str(err, "reply has a value larger than 4194304 bytes at byte 1");
  off = (size_t)snprintf(b, 64, "{\"ContainersDeleted\":[\"");
  memset(b + off, 'a', big);
  off += big;
  off += (size_t)snprintf(b + off, 64, "\"]}");
  assert_rc(dc_api_decode_prune(DC_CONTAINERS, b, off, &r, err, sizeof(err)), -EPROTO);
  assert_str(err, "reply has a value larger than 4194304 bytes at byte 22");
  off = (size_t)snprintf(b, 64, "{\"SpaceReclaimed\":");
  memset(b + off, '1', big);
  off += big;
  off += (size_t)snprintf(b + off, 64, "}");
  assert_rc(dc_api_decode_prune(DC_CONTAINERS, b, off, &r, err, sizeof(err)), -EPROTO);
  assert_str(err, "reply has a value larger than 4194304 bytes at byte 18");
  /* Just under: a long string nobody reads is checked and dropped. */
  off = (size_t)snprintf(b, 64, "{\"W\":\"");
  memset(b + off, 'w', DC_MAX_VALUE_BYTES - 2);
  off += DC_MAX_VALUE_BYTES - 2;
  off += (size_t)snprintf(b + off, 64, "\",\"ContainersDeleted\":[\"a\"]}");
  assert_rc(dc_api_decode_prune(DC_CONTAINERS, b, off, &r, err, sizeof(err)), 0);
  assert_i64(r.n, 1);
  dc_prune_result_free(&r);
  free(b);
  /* Strings are counted as one value, whatever commas or brackets they hold. */
  dc_resource_list_t one = decode_ok(dc_api_decode_containers, "[{\"Id\":\"a,b:[{\\\"}]\",\"Names\":[\"/x]\"]}]");
  assert_str(one.items[0].id, "a,b:[{\"}]");
  dc_resource_list_free(&one);
}

static void test_keep_labels(void **state) {
  (void)state;
  static const char *const keys[] = {"keep", "docker-cleaner.protect"};
  dc_api_keep_labels(keys, 2);
  dc_resource_list_t l = decode_ok(dc_api_decode_containers,
                                   "[{\"Id\":\"c1\",\"Labels\":{\"a\":\"1\",\"keep\":\"\",\"x\":\"2\"}},"
                                   "{\"Id\":\"c2\",\"Labels\":{\"a\":\"1\"}},"
                                   "{\"Id\":\"c3\",\"Labels\":{\"docker-cleaner.protect\":\"true\",\"keep\":\"v\"}}]");
  assert_i64(json_object_size(l.items[0].labels), 1);
  assert_str(json_string_value(json_object_get(l.items[0].labels, "keep")), "");
  assert_null(l.items[1].labels);
  assert_i64(json_object_size(l.items[2].labels), 2);
  assert_str(json_string_value(json_object_get(l.items[2].labels, "docker-cleaner.protect")), "true");
  dc_resource_list_free(&l);
  l = decode_ok(dc_api_decode_volumes, "{\"Volumes\":[{\"Name\":\"v\",\"Labels\":{\"keep\":\"1\",\"b\":\"2\"}}]}");
  assert_i64(json_object_size(l.items[0].labels), 1);
  dc_resource_list_free(&l);
  dc_api_keep_labels(NULL, 0);
  l = decode_ok(dc_api_decode_networks, "[{\"Id\":\"n\",\"Labels\":{\"a\":\"1\",\"keep\":\"\"}}]");
  assert_i64(json_object_size(l.items[0].labels), 2);
  dc_resource_list_free(&l);

  /* Images keep every real tag (the retention rules match each one); a reference that is not
   * a string is not known, so the image is marked refs_truncated. */
  l = decode_ok(dc_api_decode_images, "[{\"Id\":\"i\",\"RepoTags\":[\"<none>:<none>\",\"a:1\",5,\"b:2\",\"c:3\"]}]");
  assert_null(l.items[0].name);
  assert_i64(json_array_size(l.items[0].tags), 3);
  assert_str(json_string_value(json_array_get(l.items[0].tags, 0)), "a:1");
  assert_str(json_string_value(json_array_get(l.items[0].tags, 1)), "b:2");
  assert_str(json_string_value(json_array_get(l.items[0].tags, 2)), "c:3");
  assert_true(l.items[0].refs_truncated);
  dc_resource_list_free(&l);
}

static void test_decode_deadline(void **state) {
  (void)state;
  /* A deadline long past: a reply of more than a few dozen values is given up. */
  size_t n = 1000, cap = n * 16 + 16, off = 0;
  char *b = malloc(cap);
  assert_non_null(b);
  b[off++] = '[';
  for (size_t i = 0; i < n; i++)
    off += (size_t)snprintf(b + off, cap - off, "%s{\"Id\":\"c%zu\"}", i ? "," : "", i);
  b[off++] = ']';
  dc_resource_list_t l;
  char err[256];
  dc_api_set_decode_deadline(1);
  assert_rc(dc_api_decode_containers(b, off, &l, err, sizeof(err)), -ETIMEDOUT);
  assert_str(err, "deadline reached while decoding the reply");
  assert_null(l.items);
  assert_i64(l.n, 0);
  size_t plen;
  char *p = prune_of(n, &plen);
  dc_prune_result_t r;
  assert_rc(dc_api_decode_prune(DC_CONTAINERS, p, plen, &r, err, sizeof(err)), -ETIMEDOUT);
  assert_null(r.ids);
  /* No deadline: the same replies decode whole. */
  dc_api_set_decode_deadline(0);
  assert_rc(dc_api_decode_containers(b, off, &l, err, sizeof(err)), 0);
  assert_i64(l.n, n);
  dc_resource_list_free(&l);
  assert_rc(dc_api_decode_prune(DC_CONTAINERS, p, plen, &r, err, sizeof(err)), 0);
  assert_i64(r.n, n);
  dc_prune_result_free(&r);
  free(p);
  free(b);
}

/* --- error messages --- */

static void test_error_message(void **state) {
  (void)state;
  char out[200];
#define MSG(lit, cap) dc_api_error_message(lit, sizeof(lit) - 1, out, cap)
  MSG("{\"message\":\"client version 1.99 is too new. Maximum supported API version is 1.45\"}", sizeof(out));
  assert_str(out, "client version 1.99 is too new. Maximum supported API version is 1.45");
  MSG("{\"message\":\"line1\\nline2\\r\\tend\\u0001\\u001b[31mred\\u007f\"}\n", sizeof(out));
  assert_str(out, "line1 line2  end??[31mred?");
  MSG("{\"message\":\"caf\\u00e9\"}", sizeof(out));
  assert_str(out, "caf??");
  MSG("{\"message\":\"nul\\u0000byte\"}", sizeof(out)); /* not JSON to jansson: shown as text */
  assert_str(out, "{\"message\":\"nul\\u0000byte\"}");
  /* Podman's error shape. */
  MSG("{\"cause\":\"no such container\",\"message\":\"no container with name or ID \\\"x\\\" found\","
      "\"response\":404}",
      sizeof(out));
  assert_str(out, "no container with name or ID \"x\" found");
  /* Plain text, trailing blanks trimmed. */
  MSG("404 page not found\n", sizeof(out));
  assert_str(out, "404 page not found");
  MSG("bad\x1b]0;title\x07 text \r\n", sizeof(out));
  assert_str(out, "bad?]0;title? text");
  /* JSON without a message, or a message that is not a string: nothing to say. */
  MSG("{\"error\":\"x\"}", sizeof(out));
  assert_str(out, "");
  MSG("{\"message\":5}", sizeof(out));
  assert_str(out, "");
  MSG("[\"message\"]", sizeof(out));
  assert_str(out, "");
  /* Truncated to the capacity. */
  MSG("{\"message\":\"abcdefgh\"}", 5);
  assert_str(out, "abcd");
  MSG("abcdefgh", 1);
  assert_str(out, "");
  dc_api_error_message(NULL, 0, out, sizeof(out));
  assert_str(out, "");
  dc_api_error_message("", 0, out, sizeof(out));
  assert_str(out, "");
  /* cap 0: nothing is written at all. */
  char guard[2] = {'G', 'H'};
  dc_api_error_message("x", 1, guard, 0);
  assert_int_equal(guard[0], 'G');
  assert_int_equal(guard[1], 'H');
#undef MSG
}

static void test_kind_names(void **state) {
  (void)state;
  assert_str(dc_kind_singular(DC_CONTAINERS), "container");
  assert_str(dc_kind_plural(DC_IMAGES), "images");
  assert_str(dc_kind_singular(DC_BUILD_CACHE), "build cache");
  assert_str(dc_kind_json(DC_BUILD_CACHE), "build_cache");
  assert_str(dc_kind_json_plural(DC_VOLUMES), "volumes");
  assert_str(dc_kind_json_plural(DC_NETWORKS), "networks");
  assert_str(dc_kind_json(DC_NETWORKS), "network");
}

static void test_strset_and_index(void **state) {
  (void)state;
  dc_strset_t set = {0};
  static const char *const words[] = {"delta", "alpha", "charlie", "bravo", "alpha"};
  for (size_t i = 0; i < 5; i++)
    assert_int_equal(dc_strset_add(&set, words[i]), 0);
  dc_strset_seal(&set);
  for (size_t i = 0; i < 5; i++)
    assert_true(dc_strset_has(&set, words[i]));
  assert_false(dc_strset_has(&set, "echo"));
  assert_false(dc_strset_has(&set, ""));
  dc_strset_free(&set);
  assert_false(dc_strset_has(&set, "alpha")); /* empty after free */

  /* 3000 images; lookups with and without the sha256: prefix find the same one. */
  dc_resource_list_t l = {0};
  l.n = 3000;
  l.items = calloc(l.n, sizeof(dc_resource_t));
  assert_non_null(l.items);
  for (size_t i = 0; i < l.n; i++) {
    char id[80];
    snprintf(id, sizeof(id), "%ssha%04zu", i % 2 ? "sha256:" : "", (i * 7919) % 3000);
    l.items[i].id = strdup(id);
  }
  dc_resource_index_t ix;
  assert_int_equal(dc_resource_index_build(&ix, &l), 0);
  for (size_t i = 0; i < l.n; i++) {
    const char *bare = dc_bare_id(l.items[i].id);
    char prefixed[80];
    snprintf(prefixed, sizeof(prefixed), "sha256:%s", bare);
    assert_ptr_equal(dc_resource_index_find(&ix, bare), &l.items[i]);
    assert_ptr_equal(dc_resource_index_find(&ix, prefixed), &l.items[i]);
  }
  assert_null(dc_resource_index_find(&ix, "sha9999"));
  assert_null(dc_resource_index_find(&ix, ""));
  dc_resource_index_free(&ix);
  dc_resource_list_free(&l);
  assert_string_equal(dc_bare_id("sha256:abc"), "abc");
  assert_string_equal(dc_bare_id("abc"), "abc");
}

/* The walker's plain-value fast path: which values it builds itself (the rest go to jansson),
 * and that what it builds is jansson's tree, members in order, having taken the same bytes
 * (tests/fuzz/fuzz_json.c checks the same on any input). */
static void test_walk_fast_path(void **state) {
  (void)state;
  static const struct {
    const char *in;
    bool plain;
  } cases[] = {
      {"{\"Name\":\"v1\",\"Labels\":null,\"Options\":{},\"Scope\":\"local\"}", true},
      {"[ 1 , -0 ,\t\n\r123456789012345678, true, false, null, [], {} ]", true},
      {"{\"a\":1,\"a\":2,\"b\":\"\x7f\"}", true},   /* duplicates: the last wins, in its first place */
      {"{\"\":\"\"}   ,{\"next\":1}", true},           /* stops after its '}' */
      {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", true},  /* 32 deep */
      {"{\"a\":1.5}", false},                         /* a real */
      {"{\"a\":1e3}", false},
      {"{\"a\":1234567890123456789}", false},         /* 19 digits */
      {"{\"a\":\"caf\\u00e9\"}", false},              /* an escape */
      {"{\"a\":\"caf\xc3\xa9\"}", false},             /* UTF-8 */
      {"{\"a\":\"\xff\"}", false},                    /* not UTF-8: jansson refuses it */
      {"{\"a\":\"x\x01\"}", false},                   /* a control byte: refused */
      {"{\"a\":01}", false},                          /* refused */
      {"{\"a\":nullx}", false},                       /* refused */
      {"{\"a\":-}", false},                           /* refused */
      {"{\"a\":1,}", false},                          /* refused */
      {"{\"a\" 1}", false},                           /* refused */
      {"{\"a\":[1,2}", false},                        /* refused */
      {"{\"a\":\"open", false},                       /* truncated */
      {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", false}, /* deeper than 32 */
      {"\"a string\"", false},                        /* only arrays and objects */
      {"7", false},
      {"", false},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    const char *in = cases[i].in;
    size_t len = strlen(in), used = 0;
    json_t *fast = jw_fast_value(in, in + len, &used);
    if ((fast != NULL) != cases[i].plain) {
      print_error("case %zu (%s): fast path %s\n", i, in, fast ? "built it" : "declined");
      fail();
    }
    if (!fast)
      continue;
    json_error_t je;
    json_t *ref = json_loadb(in, len, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, &je);
    assert_non_null(ref);
    assert_i64(used, je.position);
    char *a = json_dumps(fast, JSON_COMPACT), *b = json_dumps(ref, JSON_COMPACT);
    assert_str(a, b);
    free(a);
    free(b);
    json_decref(fast);
    json_decref(ref);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_version_cmp),
      cmocka_unit_test(test_version_valid),
      cmocka_unit_test(test_negotiate),
      cmocka_unit_test(test_negotiate_errors),
      cmocka_unit_test(test_negotiate_podman),
      cmocka_unit_test(test_urlencode),
      cmocka_unit_test(test_filters_exact),
      cmocka_unit_test(test_filters_until),
      cmocka_unit_test(test_filters_labels),
      cmocka_unit_test(test_api_path),
      cmocka_unit_test(test_filters_refuse_unencodable),
      cmocka_unit_test(test_until_age_ms),
      cmocka_unit_test(test_bytes_add),
      cmocka_unit_test(test_resource_path),
      cmocka_unit_test(test_decode_containers),
      cmocka_unit_test(test_decode_images),
      cmocka_unit_test(test_decode_networks),
      cmocka_unit_test(test_decode_volumes),
      cmocka_unit_test(test_decode_df_volumes),
      cmocka_unit_test(test_walk_whitespace),
      cmocka_unit_test(test_walk_strings_and_scalars),
      cmocka_unit_test(test_walk_hostile),
      cmocka_unit_test(test_walk_truncated),
      cmocka_unit_test(test_walk_fast_path),
      cmocka_unit_test(test_container_mounts_and_networks),
      cmocka_unit_test(test_volume_sizes),
      cmocka_unit_test(test_decode_huge_list),
      cmocka_unit_test(test_prune_containers),
      cmocka_unit_test(test_prune_build_cache),
      cmocka_unit_test(test_prune_networks),
      cmocka_unit_test(test_prune_volumes),
      cmocka_unit_test(test_prune_images),
      cmocka_unit_test(test_prune_hostile),
      cmocka_unit_test(test_prune_truncated),
      cmocka_unit_test(test_prune_streaming),
      cmocka_unit_test(test_prune_item_cap),
      cmocka_unit_test(test_value_cap),
      cmocka_unit_test(test_keep_labels),
      cmocka_unit_test(test_decode_deadline),
      cmocka_unit_test(test_error_message),
      cmocka_unit_test(test_kind_names),
      cmocka_unit_test(test_strset_and_index),
  };
  return cmocka_run_group_tests_name("api", tests, NULL, NULL);
}
