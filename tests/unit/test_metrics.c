/* test_metrics.c: the Prometheus text file: the samples of a real run, a dry run and a failed
 * run; counters carried on from the previous file (and a foreign or broken one ignored); the
 * atomic write (temp file beside the target, renamed, none left behind). */
#include "dc_test.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "metrics.h"

static char buf[16384];

static dc_metrics_run_t sample_run(int exit_code, bool dry) {
  dc_metrics_run_t r = {.dry_run = dry, .exit_code = exit_code, .duration_ms = 1234, .end_s = 1700000000};
  r.seen[DC_CONTAINERS] = true;
  r.count[DC_CONTAINERS] = 3;
  r.bytes[DC_CONTAINERS] = 1000;
  r.seen[DC_IMAGES] = true;
  r.count[DC_IMAGES] = 2;
  r.bytes[DC_IMAGES] = 5000000;
  r.seen[DC_NETWORKS] = true;
  r.count[DC_NETWORKS] = 1;
  r.bytes[DC_NETWORKS] = -1; /* unknown */
  return r;
}

static void test_format_success(void **state) {
  (void)state;
  dc_metrics_run_t r = sample_run(0, false);
  dc_metrics_prev_t prev = {0};
  int n = dc_metrics_format(buf, sizeof(buf), &r, &prev);
  assert_true(n > 0);
  assert_i64(strlen(buf), n);
  static const char *const want[] = {
      "# HELP docker_cleaner_removed_total ",
      "# TYPE docker_cleaner_removed_total counter\n",
      "\ndocker_cleaner_removed_total{type=\"containers\"} 3\n",
      "\ndocker_cleaner_removed_total{type=\"images\"} 2\n",
      "\ndocker_cleaner_removed_total{type=\"volumes\"} 0\n",
      "\ndocker_cleaner_reclaimed_bytes_total{type=\"images\"} 5000000\n",
      "\ndocker_cleaner_reclaimed_bytes_total{type=\"networks\"} 0\n",
      "\ndocker_cleaner_runs_total{status=\"success\"} 1\n",
      "\ndocker_cleaner_runs_total{status=\"failure\"} 0\n",
      "# TYPE docker_cleaner_last_run_removed gauge\n",
      "\ndocker_cleaner_last_run_removed{type=\"containers\"} 3\n",
      "\ndocker_cleaner_last_run_reclaimed_bytes{type=\"containers\"} 1000\n",
      "\ndocker_cleaner_last_run_status{status=\"success\"} 1\n",
      "\ndocker_cleaner_last_run_status{status=\"partial\"} 0\n",
      "\ndocker_cleaner_exit_code 0\n",
      "\ndocker_cleaner_dry_run 0\n",
      "\ndocker_cleaner_duration_seconds 1.234\n",
      "\ndocker_cleaner_last_run_timestamp_seconds 1700000000\n",
      "\ndocker_cleaner_last_success_timestamp_seconds 1700000000\n",
  };
  for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
    assert_contains(buf, want[i]);
  assert_null(strstr(buf, "reclaimable"));
  /* every sample has its HELP and TYPE lines before it */
  for (const char *line = buf; *line; line = strchr(line, '\n') + 1) {
    if (line[0] == '#')
      continue;
    char name[96], help[128];
    size_t len = strcspn(line, "{ ");
    snprintf(name, sizeof(name), "%.*s", (int)len, line);
    snprintf(help, sizeof(help), "# TYPE %s ", name);
    const char *t = strstr(buf, help);
    assert_non_null(t);
    assert_true(t < line);
  }
}

static void test_format_dry_run(void **state) {
  (void)state;
  dc_metrics_run_t r = sample_run(0, true);
  dc_metrics_prev_t prev = {.removed = {[DC_CONTAINERS] = 10}, .reclaimed = {[DC_CONTAINERS] = 99}};
  assert_true(dc_metrics_format(buf, sizeof(buf), &r, &prev) > 0);
  /* nothing was removed: the counters stay, the reclaimable bytes are shown */
  assert_contains(buf, "\ndocker_cleaner_removed_total{type=\"containers\"} 10\n");
  assert_contains(buf, "\ndocker_cleaner_reclaimed_bytes_total{type=\"containers\"} 99\n");
  assert_contains(buf, "\ndocker_cleaner_last_run_reclaimable_bytes{type=\"images\"} 5000000\n");
  assert_contains(buf, "# TYPE docker_cleaner_last_run_reclaimable_bytes gauge\n");
  assert_contains(buf, "\ndocker_cleaner_last_run_removed{type=\"containers\"} 3\n");
  assert_contains(buf, "\ndocker_cleaner_dry_run 1\n");
  assert_null(strstr(buf, "last_run_reclaimed_bytes"));
}

static void test_format_failure_keeps_last_success(void **state) {
  (void)state;
  dc_metrics_run_t r = {.exit_code = 2, .duration_ms = 5, .end_s = 1700000500};
  dc_metrics_prev_t prev = {.runs = {4, 1, 0}, .last_success_s = 1700000000};
  assert_true(dc_metrics_format(buf, sizeof(buf), &r, &prev) > 0);
  assert_contains(buf, "\ndocker_cleaner_exit_code 2\n");
  assert_contains(buf, "\ndocker_cleaner_last_run_status{status=\"failure\"} 1\n");
  assert_contains(buf, "\ndocker_cleaner_last_run_status{status=\"success\"} 0\n");
  assert_contains(buf, "\ndocker_cleaner_runs_total{status=\"success\"} 4\n");
  assert_contains(buf, "\ndocker_cleaner_runs_total{status=\"partial\"} 1\n");
  assert_contains(buf, "\ndocker_cleaner_runs_total{status=\"failure\"} 1\n");
  assert_contains(buf, "\ndocker_cleaner_last_success_timestamp_seconds 1700000000\n");
  assert_contains(buf, "\ndocker_cleaner_last_run_timestamp_seconds 1700000500\n");
  assert_contains(buf, "\ndocker_cleaner_duration_seconds 0.005\n");
  /* never succeeded: no last success at all, rather than 1970 */
  prev.last_success_s = 0;
  assert_true(dc_metrics_format(buf, sizeof(buf), &r, &prev) > 0);
  assert_null(strstr(buf, "last_success"));
}

static void test_counters_carry_on(void **state) {
  (void)state;
  dc_metrics_run_t r = sample_run(0, false);
  dc_metrics_prev_t prev = {0}, parsed;
  for (int run = 1; run <= 3; run++) {
    assert_true(dc_metrics_format(buf, sizeof(buf), &r, &prev) > 0);
    dc_metrics_parse_prev(buf, &parsed);
    assert_i64(parsed.removed[DC_CONTAINERS], 3 * run);
    assert_i64(parsed.reclaimed[DC_IMAGES], 5000000 * run);
    assert_i64(parsed.reclaimed[DC_NETWORKS], 0);
    assert_i64(parsed.runs[0], run);
    assert_i64(parsed.last_success_s, 1700000000);
    prev = parsed;
  }
  /* a partial run adds to partial */
  r.exit_code = 1;
  assert_true(dc_metrics_format(buf, sizeof(buf), &r, &prev) > 0);
  dc_metrics_parse_prev(buf, &parsed);
  assert_i64(parsed.runs[1], 1);
  assert_i64(parsed.runs[0], 3);
}

static void test_parse_prev_ignores_the_unknown(void **state) {
  (void)state;
  dc_metrics_prev_t p;
  dc_metrics_parse_prev("", &p);
  assert_i64(p.removed[DC_CONTAINERS], 0);
  dc_metrics_parse_prev("# HELP docker_cleaner_removed_total x\n"
                        "docker_cleaner_removed_total{type=\"containers\"} 7\n"
                        "docker_cleaner_removed_total{type=\"ghosts\"} 9\n"
                        "docker_cleaner_removed_total{type=\"images\"} -4\n"
                        "docker_cleaner_removed_total{type=\"volumes\"} 1e3\n"
                        "docker_cleaner_removed_total{type=\"networks\",x=\"y\"} 5\n"
                        "node_something 12\n"
                        "docker_cleaner_runs_total{status=\"failure\"} 2\n"
                        "docker_cleaner_last_success_timestamp_seconds 1690000000",
                        &p);
  assert_i64(p.removed[DC_CONTAINERS], 7);
  assert_i64(p.removed[DC_IMAGES], 0);
  assert_i64(p.removed[DC_VOLUMES], 0);
  assert_i64(p.removed[DC_NETWORKS], 0);
  assert_i64(p.runs[2], 2);
  assert_i64(p.last_success_s, 1690000000);
}

static void test_format_too_small(void **state) {
  (void)state;
  dc_metrics_run_t r = sample_run(0, false);
  dc_metrics_prev_t prev = {0};
  char small[100];
  assert_rc(dc_metrics_format(small, sizeof(small), &r, &prev), -ENOSPC);
}

/* The real write: a temp file beside the target at open, the file in place at commit, no temp
 * left, mode 0644, and only the first commit writes. */
static void test_open_commit(void **state) {
  (void)state;
  char dir[64], path[128], err[512];
  snprintf(dir, sizeof(dir), "/tmp/dc-test-metrics.XXXXXX");
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof(path), "%s/docker_cleaner.prom", dir);
  assert_rc(dc_metrics_open(path, false, err, sizeof(err)), 0);
  dc_metrics_operation(DC_CONTAINERS, 4, 400);
  assert_rc(dc_metrics_commit(0, 10, err, sizeof(err)), 0);
  assert_rc(dc_metrics_commit(2, 10, err, sizeof(err)), 0); /* no-op */
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  buf[n] = '\0';
  fclose(f);
  assert_contains(buf, "\ndocker_cleaner_removed_total{type=\"containers\"} 4\n");
  assert_contains(buf, "\ndocker_cleaner_exit_code 0\n");
  struct stat st;
  assert_rc(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0644);
  char cmd[160];
  snprintf(cmd, sizeof(cmd), "test \"$(ls -A '%s')\" = docker_cleaner.prom", dir);
  assert_rc(system(cmd), 0);
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  assert_rc(system(cmd), 0);
  /* a directory that is not there: found at open, before any run */
  assert_true(dc_metrics_open("/nonexistent/dc/docker_cleaner.prom", false, err, sizeof(err)) < 0);
  assert_contains(err, "cannot create a temp file beside METRICS_FILE /nonexistent/dc/docker_cleaner.prom");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_format_success),
      cmocka_unit_test(test_format_dry_run),
      cmocka_unit_test(test_format_failure_keeps_last_success),
      cmocka_unit_test(test_counters_carry_on),
      cmocka_unit_test(test_parse_prev_ignores_the_unknown),
      cmocka_unit_test(test_format_too_small),
      cmocka_unit_test(test_open_commit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
