/* test_config.c: dc_config_load with a fake environment: defaults, every variable, flags
 * over variables, and every kind of bad input (-EINVAL with one line naming it). */
#include "dc_test.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "config.h"

#define NOW INT64_C(1700000000000000000) /* 2023-11-14T22:13:20Z */
#define SEC INT64_C(1000000000)

/* --- a fake environment, reset before every test --- */

#define ENV_MAX 48
static struct {
  const char *name;
  const char *value;
} env_tab[ENV_MAX];
static size_t env_n;

static const char *fake_getenv(const char *name) {
  for (size_t i = env_n; i-- > 0;)
    if (strcmp(env_tab[i].name, name) == 0)
      return env_tab[i].value;
  return NULL;
}

static void env(const char *name, const char *value) {
  assert_true(env_n < ENV_MAX);
  env_tab[env_n].name = name;
  env_tab[env_n].value = value;
  env_n++;
}

static dc_config_t cfg;
static char err[512];

static int reset(void **state) {
  (void)state;
  env_n = 0;
  memset(&cfg, 0xA5, sizeof(cfg)); /* the loader must set every field itself */
  memset(err, 'X', sizeof(err) - 1);
  err[sizeof(err) - 1] = '\0';
  return 0;
}

/* Loads with argv = {"docker-cleaner", args..., NULL}. */
static int load_v(const char *const *args) {
  char *argv[64];
  int argc = 0;
  argv[argc++] = (char *)"docker-cleaner";
  for (; *args; args++) {
    assert_true(argc < 63);
    argv[argc++] = (char *)*args;
  }
  argv[argc] = NULL;
  return dc_config_load(&cfg, argc, argv, fake_getenv, NOW, err, sizeof(err));
}
#define LOAD(...) load_v((const char *const[]){__VA_ARGS__, NULL})
#define LOAD0() load_v((const char *const[]){NULL})

/* The error contract: -EINVAL, one non-empty line, naming what must be named. */
static void assert_one_line(void) {
  assert_true(err[0] != '\0');
  if (strchr(err, '\n') || strchr(err, '\r')) {
    print_error("error message spans lines: \"%s\"\n", err);
    fail();
  }
}

#define EXPECT_INVALID(rc, name, value)                                                                      \
  do {                                                                                                       \
    assert_rc(rc, -EINVAL);                                                                                  \
    assert_one_line();                                                                                       \
    assert_contains(err, name);                                                                              \
    assert_contains(err, value);                                                                             \
  } while (0)

/* An env variable with a bad value: the message names NAME="value". */
static void expect_bad_env(const char *name, const char *value) {
  char quoted[600];
  env_n = 0;
  env(name, value);
  int rc = LOAD0();
  snprintf(quoted, sizeof(quoted), "%s=\"%s\"", name, value);
  if (rc != -EINVAL) {
    print_error("%s=\"%s\" was accepted (rc %d)\n", name, value, rc);
    fail();
  }
  assert_one_line();
  assert_contains(err, quoted);
}

/* --- defaults and every variable --- */

static void test_defaults(void **state) {
  (void)state;
  assert_rc(LOAD0(), DC_CONFIG_OK);
  assert_true(cfg.containers);
  assert_true(cfg.images);
  assert_true(cfg.networks);
  assert_true(cfg.build_cache);
  assert_false(cfg.volumes);
  assert_false(cfg.volumes_all);
  assert_false(cfg.prune_all);
  assert_false(cfg.force);
  assert_false(cfg.dry_run);
  assert_false(cfg.has_until);
  assert_i64(cfg.nlabels, 0);
  assert_str(cfg.protect.key, "docker-cleaner.protect");
  assert_false(cfg.protect.has_value);
  assert_false(cfg.protect.negate);
  assert_i64(cfg.timeout_ms, 5 * 60 * 1000);
  assert_i64(cfg.host_kind, DC_HOST_UNIX);
  assert_str(cfg.socket_path, "/var/run/docker.sock");
  assert_str(cfg.api_version, "");
  assert_i64(cfg.log_level, DC_LOG_INFO);
  assert_i64(cfg.log_format, DC_FMT_TEXT);
  assert_i64(cfg.run_uid, 65532);
  assert_i64(cfg.run_gid, 65532);
  assert_i64(cfg.schedule, DC_SCHEDULE_AUTO);
  assert_str(err, "");
}

/* CLEANUP_SPLIT_SCHEDULE (--split-schedule): auto or a boolean; anything else exits 2. */
static void test_split_schedule(void **state) {
  (void)state;
  static const struct {
    const char *value;
    dc_schedule_t want;
  } rows[] = {
      {"auto", DC_SCHEDULE_AUTO},         {"AUTO", DC_SCHEDULE_AUTO},      {"true", DC_SCHEDULE_PER_RESOURCE},
      {"yes", DC_SCHEDULE_PER_RESOURCE},  {"1", DC_SCHEDULE_PER_RESOURCE}, {"false", DC_SCHEDULE_PER_TYPE},
      {"No", DC_SCHEDULE_PER_TYPE},       {"0", DC_SCHEDULE_PER_TYPE},
  };
  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    env_n = 0;
    env("CLEANUP_SPLIT_SCHEDULE", rows[i].value);
    assert_rc(LOAD0(), DC_CONFIG_OK);
    assert_i64(cfg.schedule, rows[i].want);
  }
  env_n = 0;
  assert_rc(LOAD("--split-schedule=false"), DC_CONFIG_OK);
  assert_i64(cfg.schedule, DC_SCHEDULE_PER_TYPE);
  env_n = 0;
  env("CLEANUP_SPLIT_SCHEDULE", "false");
  assert_rc(LOAD("--split-schedule", "auto"), DC_CONFIG_OK); /* the flag wins */
  assert_i64(cfg.schedule, DC_SCHEDULE_AUTO);
  /* What each choice means per engine (sched.c): auto is per resource on Docker only. */
  static const struct {
    dc_schedule_t mode;
    bool podman, per_resource;
  } engines[] = {
      {DC_SCHEDULE_AUTO, false, true},          {DC_SCHEDULE_AUTO, true, false},
      {DC_SCHEDULE_PER_RESOURCE, false, true},  {DC_SCHEDULE_PER_RESOURCE, true, true},
      {DC_SCHEDULE_PER_TYPE, false, false},     {DC_SCHEDULE_PER_TYPE, true, false},
  };
  for (size_t i = 0; i < sizeof(engines) / sizeof(engines[0]); i++) {
    assert_int_equal(dc_schedule_per_resource(engines[i].mode, engines[i].podman), engines[i].per_resource);
  }
  expect_bad_env("CLEANUP_SPLIT_SCHEDULE", "sometimes");
  expect_bad_env("CLEANUP_SPLIT_SCHEDULE", "");
  assert_contains(err, "expected auto or true/false");
}

static void test_every_variable(void **state) {
  (void)state;
  env("DOCKER_HOST", "unix:///run/user/1000/docker.sock");
  env("DOCKER_API_VERSION", "1.41");
  env("CLEANUP_CONTAINERS", "false");
  env("CLEANUP_IMAGES", "no");
  env("CLEANUP_NETWORKS", "0");
  env("CLEANUP_BUILD_CACHE", "FALSE");
  env("CLEANUP_VOLUMES", "true");
  env("PRUNE_VOLUMES_ALL", "yes");
  env("PRUNE_ALL", "1");
  env("PRUNE_FILTER_UNTIL", "24h");
  env("PRUNE_FILTER_LABEL", "env=ci,label=team,!keep,label!=tier=db");
  env("PROTECT_LABEL", "hands-off=yes");
  env("PRUNE_FORCE", "true");
  env("DRY_RUN", "false");
  env("CLEANUP_TIMEOUT", "90s");
  env("LOG_LEVEL", "debug");
  env("LOG_FORMAT", "json");
  env("RUN_UID", "1000");
  env("RUN_GID", "1001");
  assert_rc(LOAD0(), DC_CONFIG_OK);
  assert_i64(cfg.host_kind, DC_HOST_UNIX);
  assert_str(cfg.socket_path, "/run/user/1000/docker.sock");
  assert_str(cfg.api_version, "1.41");
  assert_false(cfg.containers);
  assert_false(cfg.images);
  assert_false(cfg.networks);
  assert_false(cfg.build_cache);
  assert_true(cfg.volumes);
  assert_true(cfg.volumes_all);
  assert_true(cfg.prune_all);
  assert_true(cfg.has_until);
  assert_i64(cfg.until_ns, NOW - 24 * 3600 * SEC);
  assert_str(cfg.until_raw, "24h");
  assert_i64(cfg.nlabels, 4);
  assert_str(cfg.labels[0].key, "env");
  assert_str(cfg.labels[0].value, "ci");
  assert_true(cfg.labels[0].has_value);
  assert_false(cfg.labels[0].negate);
  assert_str(cfg.labels[1].key, "team");
  assert_false(cfg.labels[1].has_value);
  assert_false(cfg.labels[1].negate);
  assert_str(cfg.labels[2].key, "keep");
  assert_false(cfg.labels[2].has_value);
  assert_true(cfg.labels[2].negate);
  assert_str(cfg.labels[3].key, "tier");
  assert_str(cfg.labels[3].value, "db");
  assert_true(cfg.labels[3].negate);
  assert_str(cfg.protect.key, "hands-off");
  assert_str(cfg.protect.value, "yes");
  assert_true(cfg.protect.has_value);
  assert_false(cfg.protect.negate);
  assert_true(cfg.force);
  assert_false(cfg.dry_run);
  assert_i64(cfg.timeout_ms, 90000);
  assert_i64(cfg.log_level, DC_LOG_DEBUG);
  assert_i64(cfg.log_format, DC_FMT_JSON);
  assert_i64(cfg.run_uid, 1000);
  assert_i64(cfg.run_gid, 1001);
}

static void test_prune_volumes_alias(void **state) {
  (void)state;
  env("PRUNE_VOLUMES", "true");
  assert_rc(LOAD0(), DC_CONFIG_OK);
  assert_true(cfg.volumes);

  env_n = 0;
  env("PRUNE_VOLUMES", "yes");
  env("CLEANUP_VOLUMES", "TRUE"); /* the same value twice is no conflict */
  assert_rc(LOAD0(), DC_CONFIG_OK);
  assert_true(cfg.volumes);

  env_n = 0;
  env("PRUNE_VOLUMES", "false");
  assert_rc(LOAD0(), DC_CONFIG_OK);
  assert_false(cfg.volumes);
}

static void test_booleans_any_case(void **state) {
  (void)state;
  static const char *const yes[] = {"true", "TRUE", "True", "tRuE", "1", "yes", "YES", "Yes"};
  static const char *const no[] = {"false", "FALSE", "False", "fAlSe", "0", "no", "NO", "No"};
  for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
    bool b = false;
    assert_rc(dc_parse_bool(yes[i], &b), 0);
    assert_true(b);
    env_n = 0;
    env("PRUNE_ALL", yes[i]);
    env("CLEANUP_IMAGES", no[i]);
    assert_rc(LOAD0(), DC_CONFIG_OK);
    assert_true(cfg.prune_all);
    assert_false(cfg.images);
  }
  for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
    bool b = true;
    assert_rc(dc_parse_bool(no[i], &b), 0);
    assert_false(b);
  }
  static const char *const bad[] = {"", "y", "n", "on", "off", "2", "-1", "true ", " yes", "truee", "nope"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    bool b = true;
    assert_rc(dc_parse_bool(bad[i], &b), -EINVAL);
    assert_true(b); /* untouched */
  }
}

static void test_hosts(void **state) {
  (void)state;
  env("DOCKER_HOST", "tcp://192.0.2.7:2376");
  assert_rc(LOAD0(), DC_CONFIG_OK);
  assert_i64(cfg.host_kind, DC_HOST_TCP);
  assert_str(cfg.tcp_host, "192.0.2.7");
  assert_i64(cfg.tcp_port, 2376);

  env_n = 0;
  env("DOCKER_HOST", "tcp://winserver.example");
  assert_rc(LOAD0(), DC_CONFIG_OK);
  assert_i64(cfg.host_kind, DC_HOST_TCP);
  assert_str(cfg.tcp_host, "winserver.example");
  assert_i64(cfg.tcp_port, 2375);

  env_n = 0;
  env("DOCKER_HOST", "tcp://[::1]:2375");
  assert_rc(LOAD0(), DC_CONFIG_OK);
  assert_str(cfg.tcp_host, "::1");
  assert_i64(cfg.tcp_port, 2375);

  env_n = 0;
  env("DOCKER_HOST", "tcp://host:65535/");
  assert_rc(LOAD0(), DC_CONFIG_OK);
  assert_str(cfg.tcp_host, "host");
  assert_i64(cfg.tcp_port, 65535);

  env_n = 0;
  env("DOCKER_HOST", ""); /* empty: the default, as the CLI */
  assert_rc(LOAD0(), DC_CONFIG_OK);
  assert_i64(cfg.host_kind, DC_HOST_UNIX);
  assert_str(cfg.socket_path, "/var/run/docker.sock");
}

static void test_timeouts_and_logs(void **state) {
  (void)state;
  static const struct {
    const char *v;
    int64_t ms;
  } ok[] = {{"30s", 30000}, {"1ms", 1}, {"24h", 86400000}, {"1h30m", 5400000}, {"1.5s", 1500}, {"5m", 300000}};
  for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    env_n = 0;
    env("CLEANUP_TIMEOUT", ok[i].v);
    assert_rc(LOAD0(), DC_CONFIG_OK);
    assert_i64(cfg.timeout_ms, ok[i].ms);
  }
  static const struct {
    const char *v;
    dc_log_level_t l;
  } levels[] = {{"debug", DC_LOG_DEBUG}, {"INFO", DC_LOG_INFO}, {"Warn", DC_LOG_WARN},
                {"warning", DC_LOG_WARN}, {"error", DC_LOG_ERROR}};
  for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
    env_n = 0;
    env("LOG_LEVEL", levels[i].v);
    assert_rc(LOAD0(), DC_CONFIG_OK);
    assert_i64(cfg.log_level, levels[i].l);
  }
  env_n = 0;
  env("LOG_FORMAT", "JSON");
  assert_rc(LOAD0(), DC_CONFIG_OK);
  assert_i64(cfg.log_format, DC_FMT_JSON);
  env_n = 0;
  env("LOG_FORMAT", "Text");
  assert_rc(LOAD0(), DC_CONFIG_OK);
  assert_i64(cfg.log_format, DC_FMT_TEXT);
}

/* A bad setting is reported in the format LOG_FORMAT asks for, as far as it is known: the
 * loader leaves the format in cfg on failure too (main writes the one error line with it). */
static void test_log_format_known_on_error(void **state) {
  (void)state;
  env("LOG_FORMAT", "json");
  env("KEEP_LATEST", "abc");
  EXPECT_INVALID(LOAD0(), "KEEP_LATEST", "abc");
  assert_i64(cfg.log_format, DC_FMT_JSON);
  /* A flag's format wins over the variable's, also for an error found after it... */
  env_n = 0;
  env("KEEP_LATEST", "abc");
  EXPECT_INVALID(LOAD("--log-format", "JSON"), "KEEP_LATEST", "abc");
  assert_i64(cfg.log_format, DC_FMT_JSON);
  env_n = 0;
  env("LOG_FORMAT", "json");
  env("CLEANUP_TIMEOUT", "abc");
  EXPECT_INVALID(LOAD("--log-format=text"), "CLEANUP_TIMEOUT", "abc");
  assert_i64(cfg.log_format, DC_FMT_TEXT);
  /* ... and in the flags themselves (those read before the bad one count). */
  env_n = 0;
  env("LOG_FORMAT", "json");
  assert_rc(LOAD("--bogus"), -EINVAL);
  assert_i64(cfg.log_format, DC_FMT_JSON);
  env_n = 0;
  assert_rc(LOAD("--log-format=json", "--timeout"), -EINVAL);
  assert_i64(cfg.log_format, DC_FMT_JSON);
  /* An error in a variable found before the flags are read: the variable's format. */
  env_n = 0;
  env("LOG_FORMAT", "json");
  char longv[5000];
  memset(longv, 'a', sizeof(longv) - 1);
  longv[sizeof(longv) - 1] = '\0';
  env("PRUNE_FILTER_UNTIL", longv);
  assert_rc(LOAD0(), -EINVAL);
  assert_i64(cfg.log_format, DC_FMT_JSON);
  /* A format that is itself bad is reported in text. */
  env_n = 0;
  env("LOG_FORMAT", "xml");
  env("KEEP_LATEST", "abc");
  assert_rc(LOAD0(), -EINVAL);
  assert_i64(cfg.log_format, DC_FMT_TEXT);
  env_n = 0;
  env("KEEP_LATEST", "abc");
  assert_rc(LOAD0(), -EINVAL);
  assert_i64(cfg.log_format, DC_FMT_TEXT);
}

static void test_api_versions_accepted(void **state) {
  (void)state;
  static const char *const ok[] = {"1.25", "1.41", "1.51", "1.99"};
  for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    env_n = 0;
    env("DOCKER_API_VERSION", ok[i]);
    assert_rc(LOAD0(), DC_CONFIG_OK);
    assert_str(cfg.api_version, ok[i]);
  }
}

static void test_label_lists(void **state) {
  (void)state;
  /* Commas and newlines separate terms; empty terms are skipped; values may hold '='. */
  env("PRUNE_FILTER_LABEL", "a,,b=c=d\n!e");
  assert_rc(LOAD0(), DC_CONFIG_OK);
  assert_i64(cfg.nlabels, 3);
  assert_str(cfg.labels[0].key, "a");
  assert_str(cfg.labels[1].key, "b");
  assert_str(cfg.labels[1].value, "c=d");
  assert_str(cfg.labels[2].key, "e");
  assert_true(cfg.labels[2].negate);

  /* Exactly DC_LABEL_TERMS_MAX terms are fine. */
  env_n = 0;
  env("PRUNE_FILTER_LABEL", "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p");
  assert_rc(LOAD0(), DC_CONFIG_OK);
  assert_i64(cfg.nlabels, 16);
  assert_str(cfg.labels[15].key, "p");

  /* Protection k=v does not conflict with a filter on k alone or on another value. */
  env_n = 0;
  env("PROTECT_LABEL", "keep=yes");
  env("PRUNE_FILTER_LABEL", "keep,keep=no,!keep=yes");
  assert_rc(LOAD0(), DC_CONFIG_OK);
  assert_i64(cfg.nlabels, 3);

  /* A key that merely starts with "label" is a key like any other. */
  env_n = 0;
  env("PROTECT_LABEL", "labels.keep");
  env("PRUNE_FILTER_LABEL", "labelled=1");
  assert_rc(LOAD0(), DC_CONFIG_OK);
  assert_str(cfg.protect.key, "labels.keep");
  assert_str(cfg.labels[0].key, "labelled");
}

/* --- flags --- */

static void test_flags_win(void **state) {
  (void)state;
  env("CLEANUP_CONTAINERS", "true");
  env("PRUNE_ALL", "false");
  env("CLEANUP_VOLUMES", "true");
  env("PRUNE_FILTER_UNTIL", "1h");
  env("PRUNE_FILTER_LABEL", "from-env");
  env("DOCKER_HOST", "tcp://elsewhere:2375");
  env("PRUNE_FORCE", "false");
  env("CLEANUP_TIMEOUT", "1m");
  assert_rc(LOAD("--no-containers", "--all", "--volumes=false", "--filter", "until=24h", "--filter",
                 "label=a=b", "-H", "unix:///tmp/other.sock", "-f", "--timeout=30s"),
            DC_CONFIG_OK);
  assert_false(cfg.containers);
  assert_true(cfg.prune_all);
  assert_false(cfg.volumes);
  assert_true(cfg.has_until);
  assert_i64(cfg.until_ns, NOW - 24 * 3600 * SEC);
  assert_str(cfg.until_raw, "24h");
  assert_i64(cfg.nlabels, 1); /* the flag replaced the environment's list */
  assert_str(cfg.labels[0].key, "a");
  assert_str(cfg.labels[0].value, "b");
  assert_true(cfg.labels[0].has_value);
  assert_false(cfg.labels[0].negate);
  assert_i64(cfg.host_kind, DC_HOST_UNIX);
  assert_str(cfg.socket_path, "/tmp/other.sock");
  assert_true(cfg.force);
  assert_i64(cfg.timeout_ms, 30000);
}

static void test_flag_forms(void **state) {
  (void)state;
  assert_rc(LOAD("-a", "--filter=until=2024-01-02T03:04:05Z", "--filter=label!=keep", "--label", "team=x",
                 "--label=!tier", "--host=tcp://h:2376", "--api-version", "1.43", "--protect-label", "guard",
                 "--force=no", "--volumes", "--volumes-all", "--build-cache=0", "--images=false",
                 "--log-level=warn", "--log-format", "json", "--run-uid", "1000", "--run-gid=2000"),
            DC_CONFIG_OK);
  assert_true(cfg.prune_all);
  assert_true(cfg.has_until);
  assert_i64(cfg.until_ns, INT64_C(1704164645) * SEC);
  assert_i64(cfg.nlabels, 3);
  assert_str(cfg.labels[0].key, "keep");
  assert_true(cfg.labels[0].negate);
  assert_str(cfg.labels[1].key, "team");
  assert_str(cfg.labels[1].value, "x");
  assert_str(cfg.labels[2].key, "tier");
  assert_true(cfg.labels[2].negate);
  assert_i64(cfg.host_kind, DC_HOST_TCP);
  assert_str(cfg.tcp_host, "h");
  assert_i64(cfg.tcp_port, 2376);
  assert_str(cfg.api_version, "1.43");
  assert_str(cfg.protect.key, "guard");
  assert_false(cfg.force);
  assert_true(cfg.volumes);
  assert_true(cfg.volumes_all);
  assert_false(cfg.build_cache);
  assert_false(cfg.images);
  assert_true(cfg.containers);
  assert_i64(cfg.log_level, DC_LOG_WARN);
  assert_i64(cfg.log_format, DC_FMT_JSON);
  assert_i64(cfg.run_uid, 1000);
  assert_i64(cfg.run_gid, 2000);

  reset(NULL);
  assert_rc(LOAD("--until", "90m", "--no-networks", "--prune-volumes-is-not-a-flag"), -EINVAL);
  reset(NULL);
  assert_rc(LOAD("--until", "90m", "--no-networks"), DC_CONFIG_OK);
  assert_i64(cfg.until_ns, NOW - 90 * 60 * SEC);
  assert_false(cfg.networks);
}

static void test_flag_beats_prune_volumes_env(void **state) {
  (void)state;
  /* PRUNE_VOLUMES is an environment alias; the --volumes flag must win over it too. */
  env("PRUNE_VOLUMES", "true");
  assert_rc(LOAD("--no-volumes"), DC_CONFIG_OK);
  assert_false(cfg.volumes);
  reset(NULL);
  env("PRUNE_VOLUMES", "false");
  assert_rc(LOAD("--volumes"), DC_CONFIG_OK);
  assert_true(cfg.volumes);
}

static void test_help_and_version(void **state) {
  (void)state;
  assert_rc(LOAD("--help"), DC_CONFIG_HELP);
  assert_rc(LOAD("-h"), DC_CONFIG_HELP);
  assert_rc(LOAD("--version"), DC_CONFIG_VERSION);
  assert_rc(LOAD("--all", "--version"), DC_CONFIG_VERSION);
  /* Help is available even when the environment is wrong. */
  env("CLEANUP_CONTAINERS", "maybe");
  assert_rc(LOAD("--help"), DC_CONFIG_HELP);
}

static void test_usage_mentions_every_flag(void **state) {
  (void)state;
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_non_null(f);
  dc_config_usage(f);
  fclose(f);
  static const char *const words[] = {"--host", "DOCKER_HOST", "--all", "PRUNE_ALL", "--filter", "--label",
                                      "PRUNE_FILTER_LABEL", "--protect-label", "PROTECT_LABEL", "--timeout",
                                      "CLEANUP_TIMEOUT", "--volumes", "CLEANUP_VOLUMES", "--help", "--version"};
  for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
    assert_contains(buf, words[i]);
  free(buf);
}

/* --- bad input: every case is -EINVAL with one line naming the setting and the value --- */

static void test_bad_booleans(void **state) {
  (void)state;
  static const char *const vars[] = {"CLEANUP_CONTAINERS", "CLEANUP_IMAGES", "CLEANUP_NETWORKS",
                                     "CLEANUP_BUILD_CACHE", "CLEANUP_VOLUMES", "PRUNE_VOLUMES",
                                     "PRUNE_VOLUMES_ALL", "PRUNE_ALL", "PRUNE_FORCE", "DRY_RUN"};
  static const char *const vals[] = {"maybe", "2", "on", "", "y"};
  for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
    for (size_t j = 0; j < sizeof(vals) / sizeof(vals[0]); j++)
      expect_bad_env(vars[i], vals[j]);
  env_n = 0;
  env("CLEANUP_IMAGES", "maybe");
  assert_rc(LOAD0(), -EINVAL);
  assert_str(err, "invalid CLEANUP_IMAGES=\"maybe\": expected true/false/1/0/yes/no");
  /* A bad boolean flag value names the flag. */
  reset(NULL);
  EXPECT_INVALID(LOAD("--images=perhaps"), "--images", "perhaps");
}

static void test_bad_hosts(void **state) {
  (void)state;
  static const char *const bad[] = {
      "ssh://me@host",    "npipe:////./pipe/docker_engine", "unix://relative.sock", "unix://",
      "tcp://",           "tcp://:2375",                    "tcp://host:0",         "tcp://host:65536",
      "tcp://host:abc",   "tcp://host:",                    "tcp://host:2375/path", "tcp://host:-1",
      "http://host:2375", "fd://",                          "/var/run/docker.sock", "tcp://[::1",
      "tcp://host: 80",   "tcp://host:+80",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    expect_bad_env("DOCKER_HOST", bad[i]);
  env_n = 0;
  env("DOCKER_HOST", "ssh://me@host");
  assert_rc(LOAD0(), -EINVAL);
  assert_contains(err, "ssh://");
  assert_contains(err, "unix://");
  assert_contains(err, "tcp://");
  reset(NULL);
  EXPECT_INVALID(LOAD("-H", "ssh://x"), "-H", "ssh://x");
}

static void test_tls_refused(void **state) {
  (void)state;
  expect_bad_env("DOCKER_TLS_VERIFY", "1");
  assert_contains(err, "TLS");
}

static void test_bad_api_versions(void **state) {
  (void)state;
  static const char *const bad[] = {"abc", "1.2", "1.24", "1", "v1.41", "1.41.0", "1.", ".41", "0.99"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    expect_bad_env("DOCKER_API_VERSION", bad[i]);
  assert_contains(err, "1.25");
}

static void test_bad_until(void **state) {
  (void)state;
  static const char *const bad[] = {"yesterday", "10d", "-1h", "2024-13-01", "2024-01-02T25:00", "1700000000.",
                                    "24 h", "h"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    expect_bad_env("PRUNE_FILTER_UNTIL", bad[i]);
  reset(NULL);
  EXPECT_INVALID(LOAD("--filter", "until=soon"), "--filter until", "soon");
  /* An empty flag value is a mistake; an empty variable means no filter. */
  reset(NULL);
  assert_rc(LOAD("--until="), -EINVAL);
  assert_contains(err, "--until");
  reset(NULL);
  assert_rc(LOAD("--filter", "until="), -EINVAL);
  reset(NULL);
  env("PRUNE_FILTER_UNTIL", "");
  assert_rc(LOAD0(), 0);
  assert_false(cfg.has_until);
}

static void test_bad_labels(void **state) {
  (void)state;
  static const char *const bad[] = {"label=", "=v", "a b", "!", "label!=", "!=v", "a!b"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    expect_bad_env("PRUNE_FILTER_LABEL", bad[i]);
  env_n = 0;
  env("PRUNE_FILTER_LABEL", "k\tv");
  EXPECT_INVALID(LOAD0(), "PRUNE_FILTER_LABEL", "\"k?v\"");
  /* The bad term of a list is named. */
  env_n = 0;
  env("PRUNE_FILTER_LABEL", "good,=v");
  EXPECT_INVALID(LOAD0(), "PRUNE_FILTER_LABEL", "\"=v\"");
  /* Too many terms. */
  env_n = 0;
  env("PRUNE_FILTER_LABEL", "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q");
  EXPECT_INVALID(LOAD0(), "PRUNE_FILTER_LABEL", "16");
  reset(NULL);
  EXPECT_INVALID(LOAD("--label", "a b"), "--label", "a b");
  reset(NULL);
  EXPECT_INVALID(LOAD("--filter", "dangling=true"), "--filter", "dangling=true");
}

static void test_bad_protect_label(void **state) {
  (void)state;
  static const char *const bad[] = {"", "!x", "=v", "a b", "label!=x"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    expect_bad_env("PROTECT_LABEL", bad[i]);
}

static void test_conflicts(void **state) {
  (void)state;
  env("PRUNE_VOLUMES_ALL", "true");
  EXPECT_INVALID(LOAD0(), "PRUNE_VOLUMES_ALL=true", "CLEANUP_VOLUMES");

  reset(NULL);
  env("CLEANUP_VOLUMES", "true");
  env("PRUNE_VOLUMES", "false");
  EXPECT_INVALID(LOAD0(), "CLEANUP_VOLUMES=true", "PRUNE_VOLUMES=false");

  reset(NULL);
  env("CLEANUP_CONTAINERS", "false");
  env("CLEANUP_IMAGES", "false");
  env("CLEANUP_NETWORKS", "false");
  env("CLEANUP_BUILD_CACHE", "false");
  EXPECT_INVALID(LOAD0(), "CLEANUP_CONTAINERS", "CLEANUP_VOLUMES");
  /* ... and the same through flags. */
  reset(NULL);
  EXPECT_INVALID(LOAD("--no-containers", "--no-images", "--no-networks", "--no-build-cache"), "nothing to do",
                 "false");

  /* A positive filter on the protection label could select nothing. */
  reset(NULL);
  env("PRUNE_FILTER_LABEL", "docker-cleaner.protect");
  EXPECT_INVALID(LOAD0(), "docker-cleaner.protect", "PROTECT_LABEL");
  reset(NULL);
  env("PRUNE_FILTER_LABEL", "label=docker-cleaner.protect=1");
  EXPECT_INVALID(LOAD0(), "docker-cleaner.protect", "PROTECT_LABEL");
  reset(NULL);
  env("PROTECT_LABEL", "keep=yes");
  env("PRUNE_FILTER_LABEL", "keep=yes");
  EXPECT_INVALID(LOAD0(), "keep", "PROTECT_LABEL");
  /* Its negation is fine. */
  reset(NULL);
  env("PRUNE_FILTER_LABEL", "!docker-cleaner.protect");
  assert_rc(LOAD0(), DC_CONFIG_OK);
}

static void test_bad_timeouts(void **state) {
  (void)state;
  static const char *const bad[] = {"0", "-1", "abc", "25h", "10", "0s", "", "24h1ns", "5 m"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    expect_bad_env("CLEANUP_TIMEOUT", bad[i]);
}

static void test_bad_logs_and_ids(void **state) {
  (void)state;
  expect_bad_env("LOG_LEVEL", "verbose");
  expect_bad_env("LOG_LEVEL", "");
  expect_bad_env("LOG_FORMAT", "xml");
  expect_bad_env("LOG_FORMAT", "");
  static const char *const ids[] = {"0", "abc", "-5", "", "1x", "4294967296", "2147483648", " 5"};
  for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
    expect_bad_env("RUN_UID", ids[i]);
    expect_bad_env("RUN_GID", ids[i]);
  }
}

static void test_bad_arguments(void **state) {
  (void)state;
  EXPECT_INVALID(LOAD("--bogus"), "--bogus", "--help");
  reset(NULL);
  EXPECT_INVALID(LOAD("--bogus=1"), "--bogus", "--help");
  reset(NULL);
  EXPECT_INVALID(LOAD("-z"), "-z", "--help");
  reset(NULL);
  EXPECT_INVALID(LOAD("stray"), "stray", "--help");
  reset(NULL);
  EXPECT_INVALID(LOAD("--timeout"), "--timeout", "value");
  reset(NULL);
  EXPECT_INVALID(LOAD("--filter"), "--filter", "until");
  reset(NULL);
  EXPECT_INVALID(LOAD("--no-containers=true"), "--no-containers", "value");
  reset(NULL);
  EXPECT_INVALID(LOAD("--no-host"), "--no-host", "--help");
}

static void test_reaper(void **state) {
  (void)state;
  /* Off by default. */
  assert_rc(LOAD0(), 0);
  assert_i64(cfg.nreap, 0);
  /* Both halves, several labels, the grace rounded up to whole seconds. */
  reset(NULL);
  env("REAP_LABEL", "job=ci,sandbox");
  env("REAP_AFTER", "2h");
  env("REAP_STOP_TIMEOUT", "1500ms");
  assert_rc(LOAD0(), 0);
  assert_i64(cfg.nreap, 2);
  assert_str(cfg.reap[0].key, "job");
  assert_str(cfg.reap[0].value, "ci");
  assert_str(cfg.reap[1].key, "sandbox");
  assert_false(cfg.reap[1].has_value);
  assert_i64(cfg.reap_after_ns, INT64_C(7200) * 1000000000);
  assert_i64(cfg.reap_stop_timeout_s, 2);
  /* Default grace 10 s; flags work; reaping alone is a job. */
  reset(NULL);
  env("CLEANUP_CONTAINERS", "false");
  env("CLEANUP_IMAGES", "false");
  env("CLEANUP_NETWORKS", "false");
  env("CLEANUP_BUILD_CACHE", "false");
  assert_rc(LOAD("--reap-label", "job", "--reap-after=30m"), 0);
  assert_i64(cfg.nreap, 1);
  assert_i64(cfg.reap_stop_timeout_s, 10);
  /* One half alone. */
  reset(NULL);
  env("REAP_LABEL", "job");
  assert_rc(LOAD0(), -EINVAL);
  assert_one_line();
  assert_contains(err, "REAP_AFTER");
  reset(NULL);
  env("REAP_AFTER", "1h");
  assert_rc(LOAD0(), -EINVAL);
  assert_contains(err, "REAP_LABEL");
  /* Bad values. */
  reset(NULL);
  env("REAP_LABEL", "!job");
  env("REAP_AFTER", "1h");
  assert_rc(LOAD0(), -EINVAL);
  assert_contains(err, "REAP_LABEL=\"!job\"");
  reset(NULL);
  env("REAP_LABEL", "job");
  env("REAP_AFTER", "0s");
  assert_rc(LOAD0(), -EINVAL);
  assert_contains(err, "REAP_AFTER=\"0s\"");
  reset(NULL);
  env("REAP_LABEL", "job");
  env("REAP_AFTER", "1h");
  env("REAP_STOP_TIMEOUT", "2h");
  assert_rc(LOAD0(), -EINVAL);
  assert_contains(err, "REAP_STOP_TIMEOUT=\"2h\"");
  /* The protection label can never be reaped. */
  reset(NULL);
  env("REAP_LABEL", "docker-cleaner.protect");
  env("REAP_AFTER", "1h");
  assert_rc(LOAD0(), -EINVAL);
  assert_one_line();
  assert_contains(err, "protection label");
}

static void test_dry_run(void **state) {
  (void)state;
  env("DRY_RUN", "yes");
  assert_rc(LOAD0(), 0);
  assert_true(cfg.dry_run);
  reset(NULL);
  assert_rc(LOAD("--dry-run"), 0);
  assert_true(cfg.dry_run);
  reset(NULL);
  env("DRY_RUN", "true");
  assert_rc(LOAD("--dry-run=false"), 0);
  assert_false(cfg.dry_run);
  reset(NULL);
  expect_bad_env("DRY_RUN", "perhaps");
}

static void test_control_characters_stay_on_one_line(void **state) {
  (void)state;
  /* A value with a newline must not split the error over two lines. */
  env("CLEANUP_TIMEOUT", "5m\nINFO: all good");
  EXPECT_INVALID(LOAD0(), "CLEANUP_TIMEOUT=\"5m?INFO: all good\"", "duration");
  reset(NULL);
  env("PROTECT_LABEL", "keep=a\nb");
  EXPECT_INVALID(LOAD("--label", "keep=a\nb"), "PROTECT_LABEL=keep=a?b", "keep");
  assert_one_line();
  reset(NULL);
  EXPECT_INVALID(LOAD("ab\ncd"), "ab", "cd");
  reset(NULL);
  EXPECT_INVALID(LOAD("--bo\rgus"), "--bo", "gus");
}

/* Audit F1 (G70, G77): label values that are not UTF-8 are a configuration error, shown
 * escaped; never a term dropped from the filter. */
static void test_labels_not_utf8(void **state) {
  (void)state;
  env("PRUNE_FILTER_LABEL", "team=Jos\xe9");
  EXPECT_INVALID(LOAD0(), "PRUNE_FILTER_LABEL=\"team=Jos\\xe9\"", "not valid UTF-8");
  assert_null(strchr(err, '\xe9'));
  reset(NULL);
  env("PRUNE_FILTER_LABEL", "env=ci,!team=Jos\xe9");
  EXPECT_INVALID(LOAD0(), "PRUNE_FILTER_LABEL=\"!team=Jos\\xe9\"", "UTF-8");
  reset(NULL);
  EXPECT_INVALID(LOAD("--label", "team=\xc3"), "--label=\"team=\\xc3\"", "UTF-8");
  reset(NULL);
  env("PROTECT_LABEL", "keep=\xe9");
  EXPECT_INVALID(LOAD0(), "PROTECT_LABEL=\"keep=\\xe9\"", "not valid UTF-8");
  assert_null(strchr(err, '\xe9'));
  reset(NULL);
  EXPECT_INVALID(LOAD("--protect-label", "keep=\xed\xa0\x80"), "--protect-label=\"keep=\\xed\\xa0\\x80\"", "UTF-8");
  reset(NULL);
  env("REAP_LABEL", "job=\xff");
  env("REAP_AFTER", "1h");
  EXPECT_INVALID(LOAD0(), "REAP_LABEL=\"job=\\xff\"", "UTF-8");
  /* Valid UTF-8 is a label value like any other, and is kept as given. */
  reset(NULL);
  env("PRUNE_FILTER_LABEL", "team=Jos\xc3\xa9");
  env("PROTECT_LABEL", "keep=\xe4\xb8\xad");
  assert_rc(LOAD0(), DC_CONFIG_OK);
  assert_str(cfg.labels[0].value, "Jos\xc3\xa9");
  assert_str(cfg.protect.value, "\xe4\xb8\xad");
}

/* Audit F10 (G5, G6, G16, G17, G19): DOCKER_HOST values with control characters, spaces in
 * a host, user@, or junk in brackets are refused at load, in one line, escaped. */
static void test_hosts_sane(void **state) {
  (void)state;
  static const struct {
    const char *value, *shown;
  } bad[] = {
      {"unix:///tmp/x.sock\nFinished in 0.01s: success (exit 0)", "unix:///tmp/x.sock?Finished in 0.01s"}, /* G5 */
      {"unix:///tmp/\x1b[31mred", "unix:///tmp/?[31mred"},                                                /* G6 */
      {"tcp://user@127.0.0.1:2375", "tcp://user@127.0.0.1:2375"},                                       /* G16 */
      {"tcp://127.0.0.1 :2375", "tcp://127.0.0.1 :2375"},                                               /* G17 */
      {"tcp://[::1\r\nX: y]:2375", "tcp://[::1??X: y]:2375"},                                           /* G19 */
      {"tcp://[::1 ]:2375", "tcp://[::1 ]:2375"},
      {"tcp://[]:2375", "tcp://[]:2375"},
      {"tcp://[fe80::1%]:2375", "tcp://[fe80::1%]:2375"},
      {"tcp://[%eth0]:2375", "tcp://[%eth0]:2375"},
      {"tcp://[host.example]:2375", "tcp://[host.example]:2375"},
      {"tcp://h\xc3\xa9:2375", "tcp://h\xc3\xa9:2375"},
      {"tcp://a\tb:2375", "tcp://a?b:2375"},
      {"unix:///tmp/\xe9.sock", "unix:///tmp/\\xe9.sock"},
      {"unix:///tmp/\xc2\x85x.sock", "unix:///tmp/\\xc2\\x85x.sock"},
      {"unix:///tmp/a\xe2\x80\xa8" "b", "unix:///tmp/a\\xe2\\x80\\xa8b"},
      {"unix:///tmp/a\x7f", "unix:///tmp/a?"},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    reset(NULL);
    env("DOCKER_HOST", bad[i].value);
    int rc = LOAD0();
    if (rc != -EINVAL) {
      print_error("DOCKER_HOST case %zu was accepted (rc %d)\n", i, rc);
      fail();
    }
    assert_one_line();
    assert_contains(err, bad[i].shown);
    assert_null(strchr(err, '\x1b'));
  }
  reset(NULL);
  EXPECT_INVALID(LOAD("-H", "tcp://me@host:2375"), "-H=\"tcp://me@host:2375\"", "no user@");

  /* What people do write stays accepted. */
  static const struct {
    const char *value, *host;
    int port;
  } good[] = {
      {"tcp://docker_dind:2375", "docker_dind", 2375},
      {"tcp://dind-1.ci.example.com:2376", "dind-1.ci.example.com", 2376},
      {"tcp://[fe80::1%eth0]:2375", "fe80::1%eth0", 2375},
      {"tcp://[::ffff:192.0.2.1]", "::ffff:192.0.2.1", 2375},
      {"tcp://10.0.0.1:2375/", "10.0.0.1", 2375},
  };
  for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    reset(NULL);
    env("DOCKER_HOST", good[i].value);
    assert_rc(LOAD0(), DC_CONFIG_OK);
    assert_i64(cfg.host_kind, DC_HOST_TCP);
    assert_str(cfg.tcp_host, good[i].host);
    assert_i64(cfg.tcp_port, good[i].port);
  }
  static const char *const paths[] = {"/run/user/1000/docker.sock", "/home/Jos\xc3\xa9 Dupont/.docker/run/docker.sock",
                                      "/var/run/docker-1.sock"};
  for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
    char v[200];
    snprintf(v, sizeof(v), "unix://%s", paths[i]);
    reset(NULL);
    env("DOCKER_HOST", v);
    assert_rc(LOAD0(), DC_CONFIG_OK);
    assert_i64(cfg.host_kind, DC_HOST_UNIX);
    assert_str(cfg.socket_path, paths[i]);
  }
}

static void test_value_too_long(void **state) {
  (void)state;
  static char big[5000];
  memset(big, 'a', sizeof(big) - 1);
  env("PRUNE_FILTER_LABEL", big);
  EXPECT_INVALID(LOAD0(), "PRUNE_FILTER_LABEL", "too long");
}

/* --- retention --- */

static void test_retention_settings(void **state) {
  (void)state;
  assert_rc(LOAD0(), DC_CONFIG_OK);
  assert_false(dc_config_retention(&cfg));
  env("KEEP_IMAGES", "postgres, redis:*,*/node:*");
  env("KEEP_LATEST", "3");
  env("KEEP_USED_WITHIN", "24h");
  env("KEEP_STORAGE", "20GB");
  env("STATE_FILE", "/state/docker-cleaner.json");
  assert_rc(LOAD("--keep-images=registry.example.com:5000/team/*", "--keep-images", "app"), DC_CONFIG_OK);
  /* The first flag replaces the variable's list, as for labels. */
  assert_int_equal(cfg.nkeep_images, 2);
  assert_true(dc_ref_pattern_match(&cfg.keep_images[0], "registry.example.com:5000/team/x:1"));
  assert_true(dc_ref_pattern_match(&cfg.keep_images[1], "docker.io/library/app:latest"));
  assert_int_equal(cfg.keep_latest, 3);
  assert_true(cfg.has_used_within);
  assert_true(cfg.used_cutoff_ns == NOW - 24 * 3600 * SEC);
  assert_true(cfg.has_keep_storage);
  assert_true(cfg.keep_storage == INT64_C(20) << 30);
  assert_string_equal(cfg.state_file, "/state/docker-cleaner.json");
  assert_true(dc_config_retention(&cfg) && dc_config_needs_last_use(&cfg));
  reset(NULL);
  env("KEEP_IMAGES", "postgres, redis:*,*/node:*");
  assert_rc(LOAD0(), DC_CONFIG_OK);
  assert_int_equal(cfg.nkeep_images, 3);
  assert_true(dc_ref_pattern_match(&cfg.keep_images[0], "docker.io/library/postgres:latest"));
  assert_true(dc_ref_pattern_match(&cfg.keep_images[2], "ghcr.io/x/node:20"));
  assert_true(dc_config_retention(&cfg) && !dc_config_needs_last_use(&cfg));
  /* A time: use since then counts. */
  reset(NULL);
  env("KEEP_USED_WITHIN", "2023-11-14T20:13:20Z");
  assert_rc(LOAD0(), DC_CONFIG_OK);
  assert_true(cfg.used_cutoff_ns == NOW - 2 * 3600 * SEC);
  /* Empty variables are unset. */
  reset(NULL);
  env("KEEP_LATEST", "");
  env("KEEP_STORAGE", "");
  assert_rc(LOAD0(), DC_CONFIG_OK);
  assert_false(dc_config_retention(&cfg));
}

/* docker's --keep-storage units (go-units RAMInBytes): binary, any case, optional i and b. */
static void test_ram_sizes(void **state) {
  (void)state;
  static const struct {
    const char *in;
    int64_t want; /* -1: refused */
  } t[] = {
      {"0", 0}, {"100", 100}, {"1k", 1024}, {"1K", 1024}, {"1kb", 1024}, {"1KiB", 1024}, {"1 MB", 1 << 20},
      {"20GB", INT64_C(20) << 30}, {"1.5g", INT64_C(1610612736)}, {"2t", INT64_C(2) << 40}, {"1p", INT64_C(1) << 50},
      {"0.5k", 512}, {"4096p", INT64_C(1) << 62}, {"4097p", -1}, {"", -1}, {"-1", -1}, {"1x", -1}, {"k", -1},
      {"1.k", -1}, {"1  k", -1}, {"1e3", -1}, {"99999999999999999999", -1}, {"1gbb", -1}, {" 1", -1},
  };
  for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
    int64_t v = 12345;
    int rc = dc_parse_ram_size(t[i].in, &v);
    if ((t[i].want < 0) != (rc < 0) || (rc == 0 && v != t[i].want)) {
      print_error("\"%s\": rc %d, %lld; expected %lld\n", t[i].in, rc, (long long)v, (long long)t[i].want);
      fail();
    }
  }
}

static void test_bad_retention(void **state) {
  (void)state;
  expect_bad_env("KEEP_LATEST", "-1");
  expect_bad_env("KEEP_LATEST", "two");
  expect_bad_env("KEEP_LATEST", "10001");
  expect_bad_env("KEEP_USED_WITHIN", "yesterday");
  expect_bad_env("KEEP_STORAGE", "20 gigs");
  expect_bad_env("KEEP_STORAGE", "-5GB");
  expect_bad_env("STATE_FILE", "/state/");
  env_n = 0;
  env("STATE_FILE", "/state/a\nb");
  EXPECT_INVALID(LOAD0(), "STATE_FILE", "/state/a?b"); /* shown on one line */
  /* A bad pattern names the setting and the pattern. */
  env_n = 0;
  env("KEEP_IMAGES", "postgres,Bad/Upper");
  EXPECT_INVALID(LOAD0(), "KEEP_IMAGES", "Bad/Upper");
  env_n = 0;
  EXPECT_INVALID(LOAD("--keep-latest="), "--keep-latest", "");
  /* Retention with neither images nor build cache to govern. */
  env_n = 0;
  env("CLEANUP_IMAGES", "false");
  env("CLEANUP_BUILD_CACHE", "false");
  env("KEEP_LATEST", "2");
  assert_rc(LOAD0(), -EINVAL);
  assert_one_line();
  assert_contains(err, "KEEP_");
  /* The budget is kept by the images operation. */
  env_n = 0;
  env("CLEANUP_IMAGES", "false");
  env("KEEP_STORAGE", "10GB");
  assert_rc(LOAD0(), -EINVAL);
  assert_one_line();
  assert_contains(err, "KEEP_STORAGE needs CLEANUP_IMAGES");
  /* More than DC_REF_PATTERNS_MAX patterns. */
  static char many[DC_REF_PATTERNS_MAX * 4 + 8];
  size_t o = 0;
  for (int i = 0; i <= DC_REF_PATTERNS_MAX; i++)
    o += (size_t)snprintf(many + o, sizeof(many) - o, "a%d,", i % 10);
  env_n = 0;
  env("KEEP_IMAGES", many);
  assert_rc(LOAD0(), -EINVAL);
  assert_one_line();
  assert_contains(err, "too many");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_defaults, reset),
      cmocka_unit_test_setup(test_log_format_known_on_error, reset),
      cmocka_unit_test_setup(test_retention_settings, reset),
      cmocka_unit_test_setup(test_ram_sizes, reset),
      cmocka_unit_test_setup(test_bad_retention, reset),
      cmocka_unit_test_setup(test_every_variable, reset),
      cmocka_unit_test_setup(test_prune_volumes_alias, reset),
      cmocka_unit_test_setup(test_booleans_any_case, reset),
      cmocka_unit_test_setup(test_hosts, reset),
      cmocka_unit_test_setup(test_timeouts_and_logs, reset),
      cmocka_unit_test_setup(test_api_versions_accepted, reset),
      cmocka_unit_test_setup(test_label_lists, reset),
      cmocka_unit_test_setup(test_flags_win, reset),
      cmocka_unit_test_setup(test_flag_forms, reset),
      cmocka_unit_test_setup(test_flag_beats_prune_volumes_env, reset),
      cmocka_unit_test_setup(test_help_and_version, reset),
      cmocka_unit_test_setup(test_usage_mentions_every_flag, reset),
      cmocka_unit_test_setup(test_bad_booleans, reset),
      cmocka_unit_test_setup(test_bad_hosts, reset),
      cmocka_unit_test_setup(test_tls_refused, reset),
      cmocka_unit_test_setup(test_bad_api_versions, reset),
      cmocka_unit_test_setup(test_bad_until, reset),
      cmocka_unit_test_setup(test_bad_labels, reset),
      cmocka_unit_test_setup(test_bad_protect_label, reset),
      cmocka_unit_test_setup(test_conflicts, reset),
      cmocka_unit_test_setup(test_bad_timeouts, reset),
      cmocka_unit_test_setup(test_bad_logs_and_ids, reset),
      cmocka_unit_test_setup(test_bad_arguments, reset),
      cmocka_unit_test_setup(test_dry_run, reset),
      cmocka_unit_test_setup(test_reaper, reset),
      cmocka_unit_test_setup(test_control_characters_stay_on_one_line, reset),
      cmocka_unit_test_setup(test_value_too_long, reset),
      cmocka_unit_test_setup(test_split_schedule, reset),
      cmocka_unit_test_setup(test_labels_not_utf8, reset),
      cmocka_unit_test_setup(test_hosts_sane, reset),
  };
  return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
