/* test_report.c: sizes exactly as the Docker CLI prints them (go-units HumanSize: "%.4g"
 * with decimal units), and the report's text and JSON lines. */
#include "dc_test.h"

#include <stdlib.h>
#include <unistd.h>

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

/* Runs fn with stdout going to a temporary file and returns what it wrote (caller frees). */
static char *capture_stdout(void (*fn)(void)) {
  fflush(stdout);
  FILE *tmp = tmpfile();
  assert_non_null(tmp);
  int saved = dup(STDOUT_FILENO);
  assert_true(saved >= 0);
  assert_true(dup2(fileno(tmp), STDOUT_FILENO) >= 0);
  fn();
  fflush(stdout);
  assert_true(dup2(saved, STDOUT_FILENO) >= 0);
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

static dc_config_t cfg;

static void text_run(void) {
  int64_t counts[DC_KIND__COUNT] = {2, 0, 1, 3, 0};
  dc_report_deleted(DC_CONTAINERS, "0123456789abcdef0123", "web", -1);
  dc_report_deleted(DC_IMAGES, "sha256:fedcba9876543210", NULL, 1000);
  dc_report_deleted(DC_VOLUMES, "data", "data", -1);
  dc_report_deleted(DC_NETWORKS, "n1", "bad\x1b[31mname", -1);
  dc_report_untagged("app:old");
  dc_report_summary(0, counts, 1234567890, 1500);
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
  dc_report_summary(1, counts, 1234567890, 1500);
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_human_size),
      cmocka_unit_test(test_text_report),
      cmocka_unit_test(test_json_report),
  };
  return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
