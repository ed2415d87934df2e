/* test_report.c: sizes exactly as the Docker CLI prints them (go-units HumanSize: "%.4g"
 * with decimal units), and the report's text and JSON lines. */
#include "dc_test.h"

#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "report.h"

static void test_human_size(void **state) {
  (void)state;
  static const struct {
    int64_t bytes;
    const char *want;
  } cases[] = {
      {0, "0B"},
      {1, "1B"},
      {999, "999B"},
      {1000, "1kB"},
      {1001, "1.001kB"},
      {1234, "1.234kB"},
      {1500, "1.5kB"},
      {9999, "9.999kB"},
      {12345, "12.35kB"},
      {99999, "100kB"},
      {100000, "100kB"},
      {999499, "999.5kB"},
      {999999, "1000kB"}, /* as docker: rounding happens after the unit is chosen */
      {1000000, "1MB"},
      {12300000, "12.3MB"},
      {123456789, "123.5MB"},
      {1234567890, "1.235GB"},
      {INT64_C(999950000000), "1000GB"},
      {INT64_C(1000000000000), "1TB"},
      {INT64_C(123456789012345), "123.5TB"},
      {INT64_C(1000000000000000), "1PB"},
      {INT64_C(1000000000000000000), "1EB"},
      {INT64_MAX, "9.223EB"},
      {-1, "0B"}, /* unknown sizes never print as negative */
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char out[32];
    memset(out, 'X', sizeof(out));
    dc_human_size(out, sizeof(out), cases[i].bytes);
    if (strcmp(out, cases[i].want) != 0) {
      print_error("dc_human_size(%" PRId64 ") is \"%s\", expected \"%s\"\n", cases[i].bytes, out, cases[i].want);
      fail();
    }
  }
  /* Truncated to the buffer, still terminated. */
  char small[4];
  dc_human_size(small, sizeof(small), 1234567890);
  assert_str(small, "1.2");
}

/* Runs fn with stream (stdout or stderr) going to a temporary file and returns what it
 * wrote (caller frees). */
static char *capture(FILE *stream, void (*fn)(void)) {
  fflush(stream);
  FILE *tmp = tmpfile();
  assert_non_null(tmp);
  int fd = fileno(stream);
  int saved = dup(fd);
  assert_true(saved >= 0);
  assert_true(dup2(fileno(tmp), fd) >= 0);
  fn();
  fflush(stream);
  assert_true(dup2(saved, fd) >= 0);
  close(saved);
  long n = ftell(tmp);
  if (n <= 0) {
    fseek(tmp, 0, SEEK_END);
    n = ftell(tmp);
  }
  char *buf = calloc((size_t)n + 1, 1);
  assert_non_null(buf);
  rewind(tmp);
  assert_int_equal(fread(buf, 1, (size_t)n, tmp), (size_t)n);
  fclose(tmp);
  return buf;
}

static char *capture_stdout(void (*fn)(void)) { return capture(stdout, fn); }

static dc_config_t cfg;

static void text_run(void) {
  int64_t counts[DC_KIND__COUNT] = {2, 0, 1, 3, 0};
  dc_report_deleted(DC_CONTAINERS, "0123456789abcdef0123", "web", -1);
  dc_report_deleted(DC_IMAGES, "sha256:fedcba9876543210", NULL, 1000);
  dc_report_deleted(DC_VOLUMES, "data", "data", -1);
  dc_report_deleted(DC_NETWORKS, "n1", "bad\x1b[31mname", -1);
  dc_report_untagged("app:old");
  assert_int_equal(dc_report_summary(0, counts, 1234567890, 1500), 0); /* written whole: unchanged */
}

static void test_text_report(void **state) {
  (void)state;
  memset(&cfg, 0, sizeof(cfg));
  cfg.log_format = DC_FMT_TEXT;
  dc_report_init(&cfg);
  char *out = capture_stdout(text_run);
  assert_str(out, "Deleted container 0123456789ab web\n"
                  "Deleted image fedcba987654\n"
                  "Deleted volume data\n"
                  "Deleted network n1 bad?[31mname\n"
                  "Untagged image app:old\n"
                  "Total reclaimed space: 1.235GB\n"
                  "Finished in 1.50s: success (exit 0)\n");
  free(out);
}

static void json_run(void) {
  int64_t counts[DC_KIND__COUNT] = {2, 0, 1, 3, 0};
  dc_report_deleted(DC_IMAGES, "sha256:fedcba9876543210", "app:1", 1000);
  dc_report_operation(DC_BUILD_CACHE, "skipped", 0, -1, 0, "no build cache API");
  assert_int_equal(dc_report_summary(1, counts, 1234567890, 1500), 1);
}

static void test_json_report(void **state) {
  (void)state;
  memset(&cfg, 0, sizeof(cfg));
  cfg.log_format = DC_FMT_JSON;
  dc_report_init(&cfg);
  char *out = capture_stdout(json_run);
  static const char *const want[] = {
      "{\"event\":\"deleted\",\"type\":\"image\",\"id\":\"sha256:fedcba9876543210\",\"name\":\"app:1\",\"bytes\":1000,\"dry_run\":false}",
      "{\"event\":\"operation\",\"type\":\"build_cache\",\"status\":\"skipped\",\"count\":0,\"dry_run\":false,\"duration_ms\":0,"
      "\"error\":\"no build cache API\"}",
      "{\"event\":\"summary\",\"status\":\"partial\",\"exit_code\":1,\"deleted\":{\"containers\":2,\"build_cache\":0,"
      "\"networks\":1,\"images\":3,\"volumes\":0,\"reaped_containers\":0},\"bytes\":1234567890,\"duration_ms\":1500,\"dry_run\":false}",
  };
  char *save = NULL, *line = strtok_r(out, "\n", &save);
  for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
    assert_non_null(line);
    json_error_t je;
    json_t *got = json_loads(line, 0, &je);
    assert_non_null(got);
    /* Every event carries a time; its value changes, so compare the rest. */
    assert_true(json_is_string(json_object_get(got, "time")));
    json_object_del(got, "time");
    json_t *exp = json_loads(want[i], 0, NULL);
    assert_non_null(exp);
    if (!json_equal(got, exp)) {
      char *g = json_dumps(got, JSON_COMPACT);
      print_error("line %zu is %s, expected %s\n", i, g, want[i]);
      free(g);
      fail();
    }
    json_decref(got);
    json_decref(exp);
    line = strtok_r(NULL, "\n", &save);
  }
  assert_null(line);
  free(out);
}

/* --- hostile strings from the engine (audit F4, F6, F7) --- */

/* A name that forges lines for a line splitter (LF, U+2028, NEL), moves the cursor (ESC,
 * CSI as U+009B), reorders the display (U+202E) and ends in a byte that is not UTF-8. */
#define HOSTILE                                                                                            \
  "evil\nDeleted container 0123456789ab web-prod\nFinished in 0.01s: success (exit 0)\n\x1b[2K\x1b[1A\x1b[31mRED" \
  "\xe2\x80\xa8" "Deleted network 000000000000 forged\xc2\x85" "Finished\xc2\x9b" "31m\xe2\x80\xae" "RLO\xe9"
#define SAFE                                                                                                \
  "evil?Deleted container 0123456789ab web-prod?Finished in 0.01s: success (exit 0)??[2K?[1A?[31mRED"       \
  "?Deleted network 000000000000 forged?Finished?31m?RLO?"

/* Every line of out: printable, valid UTF-8, none of the forged ones. Returns the count. */
static size_t safe_lines(const char *out) {
  json_t *j = json_string(out);
  assert_non_null(j); /* valid UTF-8 */
  json_decref(j);
  static const char *const banned[] = {"\x1b", "\r", "\v", "\f", "\xc2\x85", "\xc2\x9b", "\xe2\x80\xa8", "\xe2\x80\xae"};
  for (size_t i = 0; i < sizeof(banned) / sizeof(banned[0]); i++)
    if (strstr(out, banned[i])) {
      print_error("the output holds banned character %zu:\n%s\n", i, out);
      fail();
    }
  size_t n = 0;
  for (const char *line = out; *line; n++) {
    if (strncmp(line, "Deleted container 0123456789ab web-prod", 39) == 0 || strncmp(line, "Finished in 0.01s", 17) == 0 ||
        strncmp(line, "Deleted network 000000000000", 28) == 0) {
      print_error("a forged line:\n%s\n", out);
      fail();
    }
    const char *nl = strchr(line, '\n');
    assert_non_null(nl); /* every line ends */
    line = nl + 1;
  }
  return n;
}

static void hostile_text_run(void) {
  dc_report_deleted(DC_NETWORKS, "n1", HOSTILE, -1);
  dc_report_deleted(DC_VOLUMES, HOSTILE, HOSTILE, -1);
  dc_report_deleted(DC_CONTAINERS, HOSTILE, NULL, -1);
  dc_report_untagged(HOSTILE);
  dc_report_reaped("0123456789abcdef", HOSTILE, 90, 1500);
  dc_report_operation(DC_NETWORKS, "failed", 0, -1, 10, "1 of 1 removals failed; last: network " HOSTILE ": HTTP 500");
}

static void test_hostile_text_report(void **state) {
  (void)state;
  memset(&cfg, 0, sizeof(cfg));
  cfg.log_format = DC_FMT_TEXT;
  dc_report_init(&cfg);
  char *out = capture_stdout(hostile_text_run);
  assert_i64(safe_lines(out), 6);
  assert_contains(out, "Deleted network n1 " SAFE "\n");
  assert_contains(out, "Deleted volume " SAFE "\n");
  assert_contains(out, "Deleted container evil?Deleted\n"); /* the ID as short_id cuts it */
  assert_contains(out, "Untagged image " SAFE "\n");
  assert_contains(out, "Reaped container 0123456789ab " SAFE " (age 1m30s, stopped in 1.50s)\n");
  assert_contains(out, " 0.01s  1 of 1 removals failed; last: network " SAFE ": HTTP 500\n");
  free(out);
}

static void hostile_log_run(void) {
  dc_warn("could not remove network %s: HTTP 500", HOSTILE);
  dc_info("engine %s", "Docker/\xe9\x9b" "31m\xff");
}

static void test_hostile_text_log(void **state) {
  (void)state;
  dc_log_setup(DC_LOG_INFO, DC_FMT_TEXT);
  char *out = capture(stderr, hostile_log_run);
  assert_i64(safe_lines(out), 2);
  assert_str(out, "docker-cleaner: warn: could not remove network " SAFE ": HTTP 500\n"
                  "docker-cleaner: info: engine Docker/??31m?\n");
  free(out);
}

/* Parses the JSON lines of out into an array of objects (each line must parse). */
static json_t *json_lines(char *out) {
  json_t *all = json_array();
  char *save = NULL;
  for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    json_error_t je;
    json_t *o = json_loads(line, 0, &je);
    if (!o) {
      print_error("not JSON: %s (%s)\n", line, je.text);
      fail();
    }
    json_array_append_new(all, o);
  }
  return all;
}

static const char *field(json_t *events, size_t i, const char *key) {
  json_t *v = json_object_get(json_array_get(events, i), key);
  if (!json_is_string(v)) {
    char *d = json_dumps(json_array_get(events, i), JSON_COMPACT);
    print_error("event %zu has no string \"%s\": %s\n", i, key, d ? d : "(none)");
    free(d);
    fail();
  }
  return json_string_value(v);
}

static char long_name[4097]; /* 4095 x 'a' and a character cut after its first byte (B12) */

static void invalid_json_run(void) {
  dc_engine_t e = {.version = "1.45", .daemon_max = "1.45", .server = "Docker/\xe9\x9b" "31m\xff"};
  dc_report_start("unix:///run/\xff.sock");
  dc_report_engine(&e);
  dc_report_deleted(DC_CONTAINERS, "0123456789abcdef", long_name, -1);
  dc_report_deleted(DC_NETWORKS, "n\xe9", "a\xc3\xa9\xc3", 10);
  dc_report_untagged("app:\xff");
  dc_report_reaped("c\xe9", "r\xc3", 90, -1);
  dc_report_operation(DC_NETWORKS, "failed", 0, -1, 10, "1 of 1 removals failed; last: network a\xc3\xa9\xc3");
  dc_report_deleted(DC_NETWORKS, "n2", "x\xe2\x80\xa8y\xc2\x85z\xe2\x80\xae", -1);
}

static void test_invalid_utf8_json_report(void **state) {
  (void)state;
  memset(long_name, 'a', 4095);
  long_name[4095] = '\xc3';
  memset(&cfg, 0, sizeof(cfg));
  cfg.log_format = DC_FMT_JSON;
  dc_report_init(&cfg);
  char *out = capture_stdout(invalid_json_run);
  /* A Unicode separator, NEL or bidi control in a value travels escaped: one line each. */
  assert_null(strstr(out, "\xe2\x80\xa8"));
  assert_null(strstr(out, "\xc2\x85"));
  assert_contains(out, "\"name\":\"x\\u2028y\\u0085z\\u202E\"");
  json_t *ev = json_lines(out);
  assert_i64(json_array_size(ev), 8); /* no event dropped */
  assert_str(field(ev, 7, "name"), "x\xe2\x80\xa8y\xc2\x85z\xe2\x80\xae"); /* the exact name */
  assert_str(field(ev, 0, "event"), "start");
  assert_str(field(ev, 0, "host"), "unix:///run/\xef\xbf\xbd.sock");
  assert_str(field(ev, 1, "event"), "engine");
  assert_str(field(ev, 1, "server"), "Docker/\xef\xbf\xbd\xef\xbf\xbd" "31m\xef\xbf\xbd");
  assert_str(field(ev, 2, "event"), "deleted");
  assert_i64(strlen(field(ev, 2, "name")), 4095 + 3);
  assert_str(field(ev, 3, "id"), "n\xef\xbf\xbd");
  assert_str(field(ev, 3, "name"), "a\xc3\xa9\xef\xbf\xbd");
  assert_str(field(ev, 4, "reference"), "app:\xef\xbf\xbd");
  assert_str(field(ev, 5, "event"), "reaped");
  assert_str(field(ev, 5, "name"), "r\xef\xbf\xbd");
  assert_str(field(ev, 6, "event"), "operation");
  assert_str(field(ev, 6, "error"), "1 of 1 removals failed; last: network a\xc3\xa9?");
  json_decref(ev);
  free(out);
}

static void invalid_json_log_run(void) {
  char msg[2100];
  /* 2046 bytes, then a character across the 2047-byte cut of the log's buffer. */
  memset(msg, 'a', 2046);
  snprintf(msg + 2046, sizeof(msg) - 2046, "\xc3\xa9 and more");
  dc_warn("%s", msg);
  dc_warn("could not remove network a\xc3\xa9\xc3: HTTP 500: %s", HOSTILE);
}

static void test_invalid_utf8_json_log(void **state) {
  (void)state;
  dc_log_setup(DC_LOG_INFO, DC_FMT_JSON);
  char *out = capture(stderr, invalid_json_log_run);
  json_t *ev = json_lines(out);
  assert_i64(json_array_size(ev), 2);
  assert_i64(strlen(field(ev, 0, "message")), 2046);
  assert_str(field(ev, 1, "message"), "could not remove network a\xc3\xa9?: HTTP 500: " SAFE);
  json_decref(ev);
  free(out);
  dc_log_setup(DC_LOG_INFO, DC_FMT_TEXT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_human_size),
      cmocka_unit_test(test_text_report),
      cmocka_unit_test(test_json_report),
      cmocka_unit_test(test_hostile_text_report),
      cmocka_unit_test(test_hostile_text_log),
      cmocka_unit_test(test_invalid_utf8_json_report),
      cmocka_unit_test(test_invalid_utf8_json_log),
  };
  return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
