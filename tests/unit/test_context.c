/* test_context.c: the Docker CLI plugin's view of the engine: the CLI's global options before
 * the plugin's name, the CLI's precedence (--context, -H, DOCKER_HOST, DOCKER_CONTEXT,
 * currentContext), config.json and meta.json parsing, SHA-256 (the context store's directory
 * names), resolution against a context store on disk, and dc_config_load run as a plugin. */
#include "dc_test.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "context.h"

/* --- SHA-256: FIPS 180-4 vectors, every padding boundary, and the CLI's own directory name --- */

static void test_sha256(void **state) {
  (void)state;
  static const struct {
    const char *in;
    size_t repeat_a; /* in == NULL: that many 'a' */
    const char *want;
  } cases[] = {
      {"", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", 0, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 0,
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {NULL, 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
      {NULL, 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
      {NULL, 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
      {NULL, 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
      {NULL, 65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
      {NULL, 119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
      {NULL, 120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
      {NULL, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
      /* the directory `docker context create ctx1` made (Docker CLI 20.10) */
      {"ctx1", 0, "8f9d61fac39402898f831bfec31c774438bb77be6a0cbd47c83cf53d31858372"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char out[65];
    if (cases[i].in) {
      dc_sha256_hex(cases[i].in, strlen(cases[i].in), out);
    } else {
      char *a = malloc(cases[i].repeat_a);
      assert_non_null(a);
      memset(a, 'a', cases[i].repeat_a);
      dc_sha256_hex(a, cases[i].repeat_a, out);
      free(a);
    }
    assert_str(out, cases[i].want);
  }
}

/* --- the CLI's global options before the plugin's name --- */

static void test_plugin_args(void **state) {
  (void)state;
  static const struct {
    const char *argv[8];
    int want; /* index after "cleaner", 0: not a plugin call, < 0: error */
    const char *config, *context, *host;
    bool tls;
  } cases[] = {
      {{"cleaner", "--dry-run"}, 2, NULL, NULL, NULL, false},
      {{"cleaner"}, 2, NULL, NULL, NULL, false},
      {{"--context", "ctx-a", "cleaner", "--dry-run"}, 4, NULL, "ctx-a", NULL, false},
      {{"--context=ctx-a", "cleaner"}, 3, NULL, "ctx-a", NULL, false},
      {{"-c", "ctx-a", "cleaner"}, 4, NULL, "ctx-a", NULL, false},
      {{"-cctx-a", "cleaner"}, 3, NULL, "ctx-a", NULL, false},
      {{"-H", "unix:///a", "-H", "tcp://b:1", "cleaner"}, 6, NULL, NULL, "tcp://b:1", false},
      {{"--host=unix:///a", "cleaner", "--host", "x"}, 3, NULL, NULL, "unix:///a", false},
      {{"--config", "/cfg", "-D", "-l", "debug", "cleaner"}, 7, "/cfg", NULL, NULL, false},
      {{"--debug", "--log-level=warn", "cleaner"}, 4, NULL, NULL, NULL, false},
      {{"--tlsverify", "cleaner"}, 3, NULL, NULL, NULL, true},
      {{"--tlscacert", "/ca.pem", "cleaner"}, 4, NULL, NULL, NULL, true},
      {{"--tls=false", "cleaner"}, 3, NULL, NULL, NULL, false},
      /* not a plugin call: our own flags, another word first, nothing */
      {{"--dry-run"}, 0, NULL, NULL, NULL, false},
      {{"--host", "unix:///a"}, 0, NULL, NULL, NULL, false},
      {{"prune", "cleaner"}, 0, NULL, NULL, NULL, false},
      {{"--context", "x"}, 0, NULL, NULL, NULL, false},
      {{NULL}, 0, NULL, NULL, NULL, false},
      /* a global option without its value */
      {{"--context"}, -EINVAL, NULL, NULL, NULL, false},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char *argv[10] = {"docker-cleaner"};
    int argc = 1;
    for (size_t j = 0; j < 8 && cases[i].argv[j]; j++)
      argv[argc++] = (char *)cases[i].argv[j];
    dc_cli_globals_t g = {0};
    char err[128] = "";
    int rc = dc_plugin_args(argc, argv, &g, err, sizeof(err));
    if (rc != cases[i].want)
      print_error("case %zu (%s ...)\n", i, argc > 1 ? argv[1] : "");
    assert_rc(rc, cases[i].want);
    if (rc < 0) {
      assert_contains(err, "needs a value");
      continue;
    }
    assert_str(g.config_dir, cases[i].config);
    assert_str(g.context, cases[i].context);
    assert_str(g.host, cases[i].host);
    assert_int_equal(g.tls, cases[i].tls);
  }
}

/* --- the precedence table, as the CLI's resolveContextName --- */

static void test_pick(void **state) {
  (void)state;
  static const struct {
    const char *flag_context, *flag_host, *env_host, *env_context, *current;
    dc_ctx_source_t want;
  } cases[] = {
      {NULL, NULL, NULL, NULL, NULL, DC_CTX_DEFAULT},
      {NULL, NULL, NULL, NULL, "", DC_CTX_DEFAULT},
      {NULL, NULL, NULL, NULL, "cur", DC_CTX_CONFIG},
      {NULL, NULL, NULL, "envctx", "cur", DC_CTX_ENV_CONTEXT},
      {NULL, NULL, "unix:///h", "envctx", "cur", DC_CTX_ENV_HOST},
      {NULL, NULL, "", "envctx", "cur", DC_CTX_ENV_CONTEXT}, /* an empty variable is unset */
      {NULL, "unix:///f", "unix:///h", "envctx", "cur", DC_CTX_FLAG_HOST},
      {"flagctx", NULL, "unix:///h", "envctx", "cur", DC_CTX_FLAG_CONTEXT}, /* --context beats DOCKER_HOST */
      {"flagctx", "unix:///f", "unix:///h", "envctx", "cur", DC_CTX_FLAG_CONTEXT},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    dc_cli_globals_t g = {.context = cases[i].flag_context, .host = cases[i].flag_host};
    dc_ctx_source_t got = dc_context_pick(&g, cases[i].env_host, cases[i].env_context, cases[i].current);
    if (got != cases[i].want)
      print_error("case %zu\n", i);
    assert_int_equal(got, cases[i].want);
  }
}

/* --- config.json and meta.json --- */

static void test_parse_config(void **state) {
  (void)state;
  char cur[64];
  const char *ok = "{\"auths\":{},\"currentContext\":\"ctx-private\"}";
  assert_rc(dc_context_parse_config(ok, strlen(ok), cur, sizeof(cur)), 0);
  assert_str(cur, "ctx-private");
  const char *none = "{\"auths\":{}}";
  assert_rc(dc_context_parse_config(none, strlen(none), cur, sizeof(cur)), 0);
  assert_str(cur, "");
  static const char *const bad[] = {"", "[]", "{", "{\"currentContext\":1}", "{\"currentContext\":\"a\\u0000b\"}"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_rc(dc_context_parse_config(bad[i], strlen(bad[i]), cur, sizeof(cur)), -EINVAL);
  char tiny[4];
  assert_rc(dc_context_parse_config(ok, strlen(ok), tiny, sizeof(tiny)), -EINVAL);
}

static void test_parse_meta(void **state) {
  (void)state;
  char host[128], err[128];
  /* as `docker context create` writes it */
  const char *ok = "{\"Name\":\"ctx1\",\"Metadata\":{},\"Endpoints\":{\"docker\":{\"Host\":\"unix:///tmp/x.sock\","
                   "\"SkipTLSVerify\":false}}}";
  assert_rc(dc_context_parse_meta(ok, strlen(ok), host, sizeof(host), err, sizeof(err)), 0);
  assert_str(host, "unix:///tmp/x.sock");
  static const struct {
    const char *json, *why;
  } bad[] = {
      {"nope", "not a JSON object"},
      {"{\"Name\":\"x\"}", "no docker endpoint"},
      {"{\"Endpoints\":{\"kubernetes\":{\"Host\":\"x\"}}}", "no docker endpoint"},
      {"{\"Endpoints\":{\"docker\":{\"Host\":\"\"}}}", "no docker endpoint"},
      {"{\"Endpoints\":{\"docker\":{\"Host\":7}}}", "no docker endpoint"},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    assert_rc(dc_context_parse_meta(bad[i].json, strlen(bad[i].json), host, sizeof(host), err, sizeof(err)),
              -EINVAL);
    assert_contains(err, bad[i].why);
  }
}

/* --- resolution against a context store on disk, with a fake environment --- */

static char dir[64];
static const char *env_tab[16][2];
static size_t env_n;

static const char *fake_getenv(const char *name) {
  for (size_t i = env_n; i-- > 0;)
    if (strcmp(env_tab[i][0], name) == 0)
      return env_tab[i][1];
  return NULL;
}

static void env(const char *name, const char *value) {
  assert_true(env_n < 16);
  env_tab[env_n][0] = name;
  env_tab[env_n][1] = value;
  env_n++;
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void make_context(const char *name, const char *host) {
  char digest[65], path[256], text[512];
  dc_sha256_hex(name, strlen(name), digest);
  snprintf(path, sizeof(path), "%s/contexts", dir);
  mkdir(path, 0700);
  snprintf(path, sizeof(path), "%s/contexts/meta", dir);
  mkdir(path, 0700);
  snprintf(path, sizeof(path), "%s/contexts/meta/%s", dir, digest);
  assert_rc(mkdir(path, 0700), 0);
  snprintf(path, sizeof(path), "%s/contexts/meta/%s/meta.json", dir, digest);
  snprintf(text, sizeof(text), "{\"Name\":\"%s\",\"Metadata\":{},\"Endpoints\":{\"docker\":{\"Host\":\"%s\"}}}", name,
           host);
  write_file(path, text);
}

static int store_setup(void **state) {
  (void)state;
  snprintf(dir, sizeof(dir), "/tmp/dc-test-context.XXXXXX");
  assert_non_null(mkdtemp(dir));
  make_context("ctx-a", "unix:///run/a.sock");
  make_context("ctx-b", "tcp://b.example:2375");
  make_context("ctx-ssh", "ssh://me@far");
  make_context("ctx-tls", "tcp://t.example:2376");
  char digest[65], path[256];
  dc_sha256_hex("ctx-tls", 7, digest);
  snprintf(path, sizeof(path), "%s/contexts/tls", dir);
  assert_rc(mkdir(path, 0700), 0);
  snprintf(path, sizeof(path), "%s/contexts/tls/%s", dir, digest);
  assert_rc(mkdir(path, 0700), 0);
  snprintf(path, sizeof(path), "%s/contexts/tls/%s/docker", dir, digest);
  assert_rc(mkdir(path, 0700), 0);
  snprintf(path, sizeof(path), "%s/config.json", dir);
  write_file(path, "{\"auths\":{},\"currentContext\":\"ctx-a\"}");
  return 0;
}

static int store_teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static int reset_env(void **state) {
  (void)state;
  env_n = 0;
  env("DOCKER_CONFIG", dir);
  return 0;
}

static int resolve(const dc_cli_globals_t *g, char *host, char *origin, char *err) {
  return dc_context_resolve(g, fake_getenv, host, 256, origin, 48, err, 512);
}

static void test_resolve_precedence(void **state) {
  (void)state;
  char host[256], origin[48], err[512];
  dc_cli_globals_t none = {0}, flag_b = {.context = "ctx-b"}, flag_h = {.host = "unix:///flag.sock"},
                   flag_default = {.context = "default"};

  /* currentContext */
  assert_rc(resolve(&none, host, origin, err), 0);
  assert_str(host, "unix:///run/a.sock");
  assert_str(origin, "context \"ctx-a\"");
  /* DOCKER_CONTEXT over currentContext */
  env("DOCKER_CONTEXT", "ctx-b");
  assert_rc(resolve(&none, host, origin, err), 0);
  assert_str(host, "tcp://b.example:2375");
  /* DOCKER_HOST over both */
  env("DOCKER_HOST", "unix:///env.sock");
  assert_rc(resolve(&none, host, origin, err), 0);
  assert_str(host, "unix:///env.sock");
  assert_str(origin, "DOCKER_HOST");
  /* -H over DOCKER_HOST */
  assert_rc(resolve(&flag_h, host, origin, err), 0);
  assert_str(host, "unix:///flag.sock");
  assert_str(origin, "docker --host");
  /* --context over DOCKER_HOST */
  assert_rc(resolve(&flag_b, host, origin, err), 0);
  assert_str(host, "tcp://b.example:2375");
  assert_str(origin, "context \"ctx-b\"");
  /* the default context is DOCKER_HOST, else the default socket */
  assert_rc(resolve(&flag_default, host, origin, err), 0);
  assert_str(host, "unix:///env.sock");
  reset_env(NULL);
  assert_rc(resolve(&flag_default, host, origin, err), 0);
  assert_str(host, "");
  /* --config over DOCKER_CONFIG; no config.json there: the default */
  dc_cli_globals_t other = {.config_dir = "/nonexistent/dc-test"};
  assert_rc(resolve(&other, host, origin, err), 0);
  assert_str(host, "");
  assert_str(origin, "the default context");
  /* ~/.docker when DOCKER_CONFIG is unset */
  env_n = 0;
  env("HOME", "/nonexistent/dc-home");
  assert_rc(resolve(&none, host, origin, err), 0);
  assert_str(host, "");
}

static void test_resolve_refusals(void **state) {
  (void)state;
  char host[256], origin[48], err[512];
  dc_cli_globals_t ssh = {.context = "ctx-ssh"}, tls = {.context = "ctx-tls"}, missing = {.context = "ctx-gone"};
  assert_rc(resolve(&ssh, host, origin, err), -EINVAL);
  assert_contains(err, "context \"ctx-ssh\" reaches its engine over ssh://");
  assert_contains(err, "docker --context ctx-ssh run --rm -v /var/run/docker.sock:/var/run/docker.sock "
                       "docker-cleaner");
  assert_null(strchr(err, '\n'));
  assert_rc(resolve(&tls, host, origin, err), -EINVAL);
  assert_contains(err, "uses TLS");
  assert_rc(resolve(&missing, host, origin, err), -EINVAL);
  assert_contains(err, "context \"ctx-gone\" does not exist");
  /* a config.json that is not JSON, needed because nothing else is set */
  char path[256];
  snprintf(path, sizeof(path), "%s/broken", dir);
  mkdir(path, 0700);
  snprintf(path, sizeof(path), "%s/broken/config.json", dir);
  write_file(path, "{not json");
  snprintf(path, sizeof(path), "%s/broken", dir);
  dc_cli_globals_t broken = {.config_dir = path};
  assert_rc(resolve(&broken, host, origin, err), -EINVAL);
  assert_contains(err, "currentContext");
  /* ... but not read when DOCKER_HOST decides, as the CLI */
  env("DOCKER_HOST", "unix:///env.sock");
  assert_rc(resolve(&broken, host, origin, err), 0);
  assert_str(host, "unix:///env.sock");
}

/* --- dc_config_load run as a plugin --- */

static dc_config_t cfg;

static int load(const char *const *args) {
  char *argv[16] = {"docker-cleaner"};
  int argc = 1;
  while (*args)
    argv[argc++] = (char *)*args++;
  char err[512];
  memset(&cfg, 0xA5, sizeof(cfg));
  int rc = dc_config_load(&cfg, argc, argv, fake_getenv, INT64_C(1700000000000000000), err, sizeof(err));
  if (rc < 0)
    print_message("error: %s\n", err);
  return rc;
}

static void test_config_as_plugin(void **state) {
  (void)state;
  env("DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND", "/usr/bin/docker");
  assert_rc(load((const char *[]){"--context", "ctx-b", "cleaner", "--dry-run", NULL}), 0);
  assert_true(cfg.plugin);
  assert_true(cfg.dry_run);
  assert_int_equal(cfg.host_kind, DC_HOST_TCP);
  assert_str(cfg.tcp_host, "b.example");
  /* currentContext */
  assert_rc(load((const char *[]){"cleaner", NULL}), 0);
  assert_int_equal(cfg.host_kind, DC_HOST_UNIX);
  assert_str(cfg.socket_path, "/run/a.sock");
  /* our own --host after the plugin's name wins, as any flag */
  assert_rc(load((const char *[]){"--context", "ctx-b", "cleaner", "--host", "unix:///own.sock", NULL}), 0);
  assert_str(cfg.socket_path, "/own.sock");
  /* DOCKER_HOST over currentContext */
  env("DOCKER_HOST", "unix:///env.sock");
  assert_rc(load((const char *[]){"cleaner", NULL}), 0);
  assert_str(cfg.socket_path, "/env.sock");
  /* refusals: ssh, TLS flags */
  assert_rc(load((const char *[]){"--context", "ctx-ssh", "cleaner", NULL}), -EINVAL);
  assert_rc(load((const char *[]){"--tlsverify", "cleaner", NULL}), -EINVAL);
  /* --version and --help answer before any context is read */
  assert_rc(load((const char *[]){"--context", "ctx-gone", "cleaner", "--version", NULL}), DC_CONFIG_VERSION);
}

static void test_config_standalone(void **state) {
  (void)state;
  /* Not run by the CLI: the context is not followed, and "cleaner" is no argument of ours. */
  env("DOCKER_CONTEXT", "ctx-b");
  assert_rc(load((const char *[]){"--dry-run", NULL}), 0);
  assert_false(cfg.plugin);
  assert_int_equal(cfg.host_kind, DC_HOST_UNIX);
  assert_str(cfg.socket_path, DC_DEFAULT_SOCKET);
  assert_rc(load((const char *[]){"cleaner", NULL}), -EINVAL);
  /* the CLI's variable, but not a plugin call: our own flags as always */
  env("DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND", "docker");
  assert_rc(load((const char *[]){"--host", "unix:///x.sock", NULL}), 0);
  assert_false(cfg.plugin);
  assert_str(cfg.socket_path, "/x.sock");
}

static void test_config_metrics_file(void **state) {
  (void)state;
  assert_rc(load((const char *[]){NULL}), 0);
  assert_str(cfg.metrics_file, "");
  env("METRICS_FILE", "/var/lib/node-exporter/docker_cleaner.prom");
  assert_rc(load((const char *[]){NULL}), 0);
  assert_str(cfg.metrics_file, "/var/lib/node-exporter/docker_cleaner.prom");
  assert_rc(load((const char *[]){"--metrics-file", "/tmp/m.prom", NULL}), 0);
  assert_str(cfg.metrics_file, "/tmp/m.prom");
  assert_rc(load((const char *[]){"--metrics-file=", NULL}), -EINVAL);
  assert_rc(load((const char *[]){"--metrics-file", "/tmp/dir/", NULL}), -EINVAL);
  assert_rc(load((const char *[]){"--metrics-file", "/tmp/a\nb.prom", NULL}), -EINVAL);
  env("METRICS_FILE", ""); /* an empty variable is unset */
  assert_rc(load((const char *[]){NULL}), 0);
  assert_str(cfg.metrics_file, "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sha256),
      cmocka_unit_test(test_plugin_args),
      cmocka_unit_test(test_pick),
      cmocka_unit_test(test_parse_config),
      cmocka_unit_test(test_parse_meta),
      cmocka_unit_test_setup(test_resolve_precedence, reset_env),
      cmocka_unit_test_setup(test_resolve_refusals, reset_env),
      cmocka_unit_test_setup(test_config_as_plugin, reset_env),
      cmocka_unit_test_setup(test_config_standalone, reset_env),
      cmocka_unit_test_setup(test_config_metrics_file, reset_env),
  };
  return cmocka_run_group_tests(tests, store_setup, store_teardown);
}
