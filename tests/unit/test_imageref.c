/* test_imageref.c: image references normalised as the Docker CLI does (tables taken from
 * distribution/reference v0.6.0 normalize_test.go and reference_test.go, and go-digest's
 * rules), and the KEEP_IMAGES patterns: what compiles to what, what matches, what is refused
 * and how the refusal reads. */
#include "dc_test.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "imageref.h"

#define H64 "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"
#define H96 H64 "86e0e091d0da6bde2456dbb48306f395"
#define H128 H64 "86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa"

struct norm_case {
  const char *in;
  int rc;
  const char *want; /* for rc 0 */
};

static const struct norm_case norm_cases[] = {
    /* Familiar names on Docker Hub. */
    {"ubuntu", 0, "docker.io/library/ubuntu:latest"},
    {"docker.io/ubuntu", 0, "docker.io/library/ubuntu:latest"},
    {"library/ubuntu", 0, "docker.io/library/ubuntu:latest"},
    {"docker.io/library/ubuntu", 0, "docker.io/library/ubuntu:latest"},
    {"index.docker.io/library/ubuntu", 0, "docker.io/library/ubuntu:latest"},
    {"index.docker.io/ubuntu", 0, "docker.io/library/ubuntu:latest"},
    {"docker.io/library/ubuntu:latest", 0, "docker.io/library/ubuntu:latest"},
    {"ubuntu:22.04", 0, "docker.io/library/ubuntu:22.04"},
    {"ubuntu-12.04-base", 0, "docker.io/library/ubuntu-12.04-base:latest"},
    {"dmcgowan/myapp", 0, "docker.io/dmcgowan/myapp:latest"},
    {"docker.io/mcgowan/myapp:latest", 0, "docker.io/mcgowan/myapp:latest"},
    {"index.docker.io/fooo/bar", 0, "docker.io/fooo/bar:latest"},
    {"docker.io/library/foo/bar", 0, "docker.io/library/foo/bar:latest"},
    {"store/foo/bar", 0, "docker.io/store/foo/bar:latest"},
    {"other/library", 0, "docker.io/other/library:latest"},
    {"test_com/foo", 0, "docker.io/test_com/foo:latest"},
    {"docker---rules/docker", 0, "docker.io/docker---rules/docker:latest"},
    {"dock__er/docker", 0, "docker.io/dock__er/docker:latest"},
    {"d/docker", 0, "docker.io/d/docker:latest"},
    {"jess/t", 0, "docker.io/jess/t:latest"},
    {"thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", 0,
     "docker.io/library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev:latest"},
    /* 63 hex digits is a name; 64 is one only after a host (below). */
    {"dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9", 0,
     "docker.io/library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9:latest"},
    {"docker.io/" H64, 0, "docker.io/library/" H64 ":latest"},
    /* Registry hosts: '.', ':', "localhost", upper case. */
    {"localhost/foo", 0, "localhost/foo:latest"},
    {"localhost:5000/foo:tag", 0, "localhost:5000/foo:tag"},
    {"127.0.0.1:8000/private/moonbase", 0, "127.0.0.1:8000/private/moonbase:latest"},
    {"example.com/privatebase", 0, "example.com/privatebase:latest"},
    {"example.com:8000/private/moonbase", 0, "example.com:8000/private/moonbase:latest"},
    {"test-com:8080/foo", 0, "test-com:8080/foo:latest"},
    {"xn--n3h.com:18080/foo", 0, "xn--n3h.com:18080/foo:latest"},
    {"Foo/bar", 0, "Foo/bar:latest"},
    {"FOO/bar", 0, "FOO/bar:latest"},
    {"[fc00::1]:5000/docker", 0, "[fc00::1]:5000/docker:latest"},
    {"[fc00:1:2:3:4:5:6:7]:5000/library/debian", 0, "[fc00:1:2:3:4:5:6:7]:5000/library/debian:latest"},
    {"[::1]:5000/foo", 0, "[::1]:5000/foo:latest"},
    {"[::1]/foo:1", 0, "[::1]/foo:1"},
    /* Without a '/', a host-looking name is a repository on Docker Hub (the library's own
     * FIXME), and what follows its ':' is a tag. */
    {"localhost", 0, "docker.io/library/localhost:latest"},
    {"localhost:5000", 0, "docker.io/library/localhost:5000"},
    {"192.168.0.1", 0, "docker.io/library/192.168.0.1:latest"},
    {"192.168.0.1:80", 0, "docker.io/library/192.168.0.1:80"},
    /* A first component with a '.' that is no host name: the anchored name regexp then
     * reads the whole name as a path, without a registry. */
    {"a_b.c/x", 0, "a_b.c/x:latest"},
    /* Tags and digests; both are kept when both are given. */
    {"foo:Latest_1.x-y", 0, "docker.io/library/foo:Latest_1.x-y"},
    {"foo:_", 0, "docker.io/library/foo:_"},
    {"redis@sha256:" H64, 0, "docker.io/library/redis@sha256:" H64},
    {"docker.io/library/redis@sha256:" H64, 0, "docker.io/library/redis@sha256:" H64},
    {"busybox:latest@sha256:" H64, 0, "docker.io/library/busybox:latest@sha256:" H64},
    {"foo/bar:tag@sha256:" H64, 0, "docker.io/foo/bar:tag@sha256:" H64},
    {"registry.example.com:5000/team/app@sha256:" H64, 0, "registry.example.com:5000/team/app@sha256:" H64},
    {"foo@sha384:" H96, 0, "docker.io/library/foo@sha384:" H96},
    {"foo@sha512:" H128, 0, "docker.io/library/foo@sha512:" H128},

    /* Not references. */
    {"", -EINVAL, NULL},
    {"<none>:<none>", -EINVAL, NULL},
    {"<none>@<none>", -EINVAL, NULL},
    {H64, -EINVAL, NULL},
    {"Ubuntu", -EINVAL, NULL},
    {"ubuntU:latest", -EINVAL, NULL},
    {"docker/Docker", -EINVAL, NULL},
    {"docker.io/docker/Docker", -EINVAL, NULL},
    {"https://github.com/docker/docker", -EINVAL, NULL},
    {"-docker", -EINVAL, NULL},
    {"-docker/docker", -EINVAL, NULL},
    {"docker-/docker", -EINVAL, NULL},
    {"-docker-/docker", -EINVAL, NULL},
    {"-docker.io/docker/docker", -EINVAL, NULL},
    {"_docker/_docker", -EINVAL, NULL},
    {"____/____", -EINVAL, NULL},
    {"dock..er/docker", -EINVAL, NULL},
    {"dock_.er/docker", -EINVAL, NULL},
    {"dock-.er/docker", -EINVAL, NULL},
    {"dock___er/docker", -EINVAL, NULL},
    {"docker/", -EINVAL, NULL},
    {"/docker", -EINVAL, NULL},
    {"docker//docker", -EINVAL, NULL},
    {"docker///docker", -EINVAL, NULL},
    {"docker.io/docker///docker", -EINVAL, NULL},
    {"docker.io/", -EINVAL, NULL},
    {"foo.", -EINVAL, NULL},
    {"[fc00::1]", -EINVAL, NULL},
    {"[fc00::1]:5000", -EINVAL, NULL},
    {"fc00::1:5000/debian", -EINVAL, NULL},
    {"[fe80::1%eth0]:5000/debian", -EINVAL, NULL},
    {"[2001:db8:3:4::192.0.2.33]:5000/debian", -EINVAL, NULL},
    {"[]:5000/foo", -EINVAL, NULL},
    {"localhost:abc/foo", -EINVAL, NULL},
    {"example.com:/foo", -EINVAL, NULL},
    {"example-.com/foo", -EINVAL, NULL},
    {"example..com/foo", -EINVAL, NULL},
    {"foo:tag/bar", -EINVAL, NULL},
    {"foo:", -EINVAL, NULL},
    {"foo:-bar", -EINVAL, NULL},
    {"foo:.bar", -EINVAL, NULL},
    {"foo:b@r", -EINVAL, NULL},
    {":tag", -EINVAL, NULL},
    {"foo@", -EINVAL, NULL},
    {"@sha256:" H64, -EINVAL, NULL},
    {"foo@sha256:abc", -EINVAL, NULL},
    {"foo@sha256:" H64 "0", -EINVAL, NULL},
    {"foo@sha256:DBCC1C35AC38DF41FD2F5E4130B32FFDB93EBAE8B3DBE638C23575912276FC9C", -EINVAL, NULL},
    {"foo@SHA256:" H64, -EINVAL, NULL},
    {"foo@md5:dbcc1c35ac38df41fd2f5e4130b32ffd", -EINVAL, NULL},
    {"foo@sha512:" H64, -EINVAL, NULL},
    {"foo@sha256:" H64 "@sha256:" H64, -EINVAL, NULL},
    {"foo bar", -EINVAL, NULL},
    {"ubuntu:latest ", -EINVAL, NULL},
    {" ubuntu", -EINVAL, NULL},
    {"ubuntu\n", -EINVAL, NULL},
    {"caf\xc3\xa9", -EINVAL, NULL},
    {"foo/bar/", -EINVAL, NULL},
};

static void test_normalize_table(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]); i++) {
    const struct norm_case *c = &norm_cases[i];
    char out[DC_REF_MAX];
    memset(out, 'X', sizeof(out));
    int rc = dc_ref_normalize(c->in, out, sizeof(out));
    if (rc != c->rc || (rc == 0 && strcmp(out, c->want) != 0) || (rc != 0 && out[0] != '\0')) {
      print_error("case %zu \"%s\": rc %d, \"%.100s\"; expected rc %d, \"%s\"\n", i, c->in, rc, out, c->rc,
                  c->want ? c->want : "");
      fail();
    }
    if (rc == 0) {
      /* A normalised reference normalises to itself. */
      char again[DC_REF_MAX];
      assert_rc(dc_ref_normalize(out, again, sizeof(again)), 0);
      assert_str(again, out);
    }
  }
}

/* Builds "<prefix><n times 'a'><suffix>" in buf. */
static const char *build(char *buf, size_t cap, const char *prefix, size_t n, const char *suffix) {
  size_t p = strlen(prefix), s = strlen(suffix);
  assert_true(p + n + s < cap);
  memcpy(buf, prefix, p);
  memset(buf + p, 'a', n);
  memcpy(buf + p + n, suffix, s + 1);
  return buf;
}

static void test_normalize_lengths(void **state) {
  (void)state;
  char in[1024], want[1024], out[DC_REF_MAX];
  /* The repository path (after the host, "library/" included) holds at most 255 bytes. */
  build(in, sizeof(in), "", 255 - 8, "");
  build(want, sizeof(want), "docker.io/library/", 255 - 8, ":latest");
  assert_rc(dc_ref_normalize(in, out, sizeof(out)), 0);
  assert_str(out, want);
  build(in, sizeof(in), "", 255 - 8 + 1, "");
  assert_rc(dc_ref_normalize(in, out, sizeof(out)), -EINVAL);
  build(in, sizeof(in), "x/", 253, "");
  assert_rc(dc_ref_normalize(in, out, sizeof(out)), 0);
  build(in, sizeof(in), "x/", 254, "");
  assert_rc(dc_ref_normalize(in, out, sizeof(out)), -EINVAL);
  /* The host does not count (v0.6.0 checks the path only). */
  build(in, sizeof(in), "registry.example.com:5000/", 255, ":t");
  build(want, sizeof(want), "registry.example.com:5000/", 255, ":t");
  assert_rc(dc_ref_normalize(in, out, sizeof(out)), 0);
  assert_str(out, want);
  /* A tag holds at most 128 bytes. */
  build(in, sizeof(in), "foo:", 128, "");
  assert_rc(dc_ref_normalize(in, out, sizeof(out)), 0);
  build(in, sizeof(in), "foo:", 129, "");
  assert_rc(dc_ref_normalize(in, out, sizeof(out)), -EINVAL);
  /* A legal reference longer than DC_REF_MAX: said so, not cut. */
  build(in, sizeof(in), "registry.example.com:5000/", 255, ":" H64 H64 "@sha512:" H128);
  memset(out, 'X', sizeof(out));
  assert_rc(dc_ref_normalize(in, out, sizeof(out)), -ENAMETOOLONG);
  assert_str(out, "");
  /* Every cap: too small by one byte, then exactly enough. */
  const char *w = "docker.io/library/ubuntu:latest";
  for (size_t cap = 0; cap <= strlen(w) + 1; cap++) {
    char small[64];
    memset(small, 'X', sizeof(small));
    int rc = dc_ref_normalize("ubuntu", small, cap);
    if (cap <= strlen(w)) {
      assert_rc(rc, -ENAMETOOLONG);
      if (cap > 0)
        assert_str(small, "");
      assert_true(small[cap] == 'X');
    } else {
      assert_rc(rc, 0);
      assert_str(small, w);
    }
  }
  assert_rc(dc_ref_normalize(NULL, out, sizeof(out)), -EINVAL);
}

static void test_repository(void **state) {
  (void)state;
  static const struct norm_case cases[] = {
      {"postgres:16", 0, "docker.io/library/postgres"},
      {"postgres", 0, "docker.io/library/postgres"},
      {"docker.io/library/postgres:latest", 0, "docker.io/library/postgres"},
      {"registry.example.com:5000/team/app@sha256:" H64, 0, "registry.example.com:5000/team/app"},
      {"foo/bar:tag@sha256:" H64, 0, "docker.io/foo/bar"},
      {"localhost:5000/foo:tag", 0, "localhost:5000/foo"},
      {"[::1]:5000/foo:1", 0, "[::1]:5000/foo"},
      {"a_b.c/x:latest", 0, "a_b.c/x"},
      {"<none>:<none>", -EINVAL, NULL},
      {"<none>@<none>", -EINVAL, NULL},
      {"", -EINVAL, NULL},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char out[DC_REF_MAX];
    int rc = dc_ref_repository(cases[i].in, out, sizeof(out));
    if (rc != cases[i].rc || (rc == 0 && strcmp(out, cases[i].want) != 0)) {
      print_error("case %zu \"%s\": rc %d, \"%s\"\n", i, cases[i].in, rc, rc == 0 ? out : "");
      fail();
    }
  }
  char small[10];
  assert_rc(dc_ref_repository("postgres:16", small, sizeof(small)), -ENAMETOOLONG);
}

static void test_pattern_compile(void **state) {
  (void)state;
  static const struct {
    const char *pattern, *glob;
  } cases[] = {
      {"postgres", "docker.io/library/postgres:latest"},
      {"postgres:*", "docker.io/library/postgres:*"},
      {"postgres*", "docker.io/library/postgres*"},
      {"postgres:16*", "docker.io/library/postgres:16*"},
      {"*/node:*", "*/node:*"},
      {"*", "*"},
      {"registry.example.com:5000/team/*", "registry.example.com:5000/team/*"},
      {"team/*", "docker.io/team/*"},
      {"team/*/app", "docker.io/team/*/app:latest"},
      {"ghcr.io/*/app:v*", "ghcr.io/*/app:v*"},
      {"redis:7", "docker.io/library/redis:7"},
      {"library/redis:7", "docker.io/library/redis:7"},
      {"docker.io/redis:7", "docker.io/library/redis:7"},
      {"index.docker.io/library/redis:7", "docker.io/library/redis:7"},
      {"name@sha256:" H64, "docker.io/library/name@sha256:" H64},
      {"name@*", "docker.io/library/name@*"},
      {"name@sha256:dbcc*", "docker.io/library/name@sha256:dbcc*"},
      {"localhost:5000/app", "localhost:5000/app:latest"},
      {"[::1]:5000/app:*", "[::1]:5000/app:*"},
      {"Registry.example.com/app", "Registry.example.com/app:latest"},
      {"foo:Latest", "docker.io/library/foo:Latest"},
      {"*:Latest", "*:Latest"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    dc_ref_pattern_t p;
    char err[256] = "";
    int rc = dc_ref_pattern_compile(cases[i].pattern, &p, err, sizeof(err));
    if (rc != 0 || strcmp(p.glob, cases[i].glob) != 0) {
      print_error("\"%s\": rc %d, glob \"%s\", err \"%s\"; expected \"%s\"\n", cases[i].pattern, rc, p.glob, err,
                  cases[i].glob);
      fail();
    }
  }
  /* Every valid reference of the normalisation table, as a pattern, names exactly itself. */
  for (size_t i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]); i++) {
    if (norm_cases[i].rc != 0)
      continue;
    dc_ref_pattern_t p;
    char err[256] = "";
    assert_rc(dc_ref_pattern_compile(norm_cases[i].in, &p, err, sizeof(err)), 0);
    assert_str(p.glob, norm_cases[i].want);
    assert_true(dc_ref_pattern_match(&p, norm_cases[i].want));
  }
}

static void test_pattern_match(void **state) {
  (void)state;
  static const struct {
    const char *pattern, *ref;
    bool match;
  } cases[] = {
      {"postgres", "docker.io/library/postgres:latest", true},
      {"postgres", "docker.io/library/postgres:16", false},
      {"postgres:*", "docker.io/library/postgres:16", true},
      {"postgres:*", "docker.io/library/postgres:latest", true},
      {"postgres:*", "docker.io/library/postgres-exporter:1", false},
      {"postgres:*", "docker.io/library/postgres@sha256:" H64, false},
      {"postgres*", "docker.io/library/postgres:16", true},
      {"postgres*", "docker.io/library/postgres-exporter:1", true},
      {"postgres*", "docker.io/library/mypostgres:1", false},
      {"postgres*", "ghcr.io/library/postgres:1", false},
      {"*/node:*", "docker.io/library/node:20", true},
      {"*/node:*", "ghcr.io/x/node:1", true},
      {"*/node:*", "docker.io/library/nodejs:1", false},
      {"*/node:*", "docker.io/library/node", false},
      {"registry.example.com:5000/team/*", "registry.example.com:5000/team/app:1", true},
      {"registry.example.com:5000/team/*", "registry.example.com:5000/team/sub/app@sha256:" H64, true},
      {"registry.example.com:5000/team/*", "registry.example.com:5000/other/app:1", false},
      {"registry.example.com:5000/team/*", "registry.example.com/team/app:1", false},
      {"name@sha256:" H64, "docker.io/library/name@sha256:" H64, true},
      {"name@sha256:" H64, "docker.io/library/name:latest", false},
      {"name@*", "docker.io/library/name@sha256:" H64, true},
      {"*", "docker.io/library/postgres:16", true},
      {"*", "registry.example.com:5000/team/app@sha256:" H64, true},
      {"*", "x", true},
      {"redis:7", "docker.io/library/redis:7", true},
      {"library/redis:7", "docker.io/library/redis:7", true},
      {"docker.io/redis:7", "docker.io/library/redis:7", true},
      {"redis:7", "docker.io/library/redis:7.2", false},
      {"redis:7*", "docker.io/library/redis:7.2", true},
      {"team/*", "docker.io/team/app:1", true},
      {"team/*", "docker.io/library/team:1", false},
      {"*a*b", "docker.io/library/x:ab", true},
      {"*a*b", "docker.io/library/x:ba", false},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    dc_ref_pattern_t p;
    char err[256] = "";
    assert_rc(dc_ref_pattern_compile(cases[i].pattern, &p, err, sizeof(err)), 0);
    if (dc_ref_pattern_match(&p, cases[i].ref) != cases[i].match) {
      print_error("\"%s\" (glob \"%s\") against \"%s\": expected %s\n", cases[i].pattern, p.glob, cases[i].ref,
                  cases[i].match ? "a match" : "no match");
      fail();
    }
  }
  /* "library/redis:7" == "redis:7" == "docker.io/redis:7": one glob. */
  dc_ref_pattern_t a, b, c;
  assert_rc(dc_ref_pattern_compile("library/redis:7", &a, NULL, 0), 0);
  assert_rc(dc_ref_pattern_compile("redis:7", &b, NULL, 0), 0);
  assert_rc(dc_ref_pattern_compile("docker.io/redis:7", &c, NULL, 0), 0);
  assert_str(a.glob, b.glob);
  assert_str(b.glob, c.glob);
  assert_false(dc_ref_pattern_match(NULL, "docker.io/library/redis:7"));
  assert_false(dc_ref_pattern_match(&a, NULL));
}

/* The glob never backtracks past its last '*': a pattern made to blow up a recursive
 * matcher ends with the right answer (no timing asserted). */
static void test_pattern_match_adversarial(void **state) {
  (void)state;
  char pat[400], ref[DC_REF_MAX];
  size_t o = 0;
  while (o + 2 < 380) {
    pat[o++] = '*';
    pat[o++] = 'a';
  }
  memcpy(pat + o, "*b", 3);
  dc_ref_pattern_t p;
  char err[256] = "";
  assert_rc(dc_ref_pattern_compile(pat, &p, err, sizeof(err)), 0);
  memset(ref, 'a', sizeof(ref) - 1);
  ref[sizeof(ref) - 1] = '\0';
  assert_false(dc_ref_pattern_match(&p, ref));
  ref[sizeof(ref) - 2] = 'b';
  assert_true(dc_ref_pattern_match(&p, ref));
}

static void test_pattern_invalid(void **state) {
  (void)state;
  static const struct {
    const char *pattern, *shown, *reason;
  } cases[] = {
      {"", "\"\"", "empty"},
      {"postgres 16", "\"postgres 16\"", "whitespace"},
      {" postgres", "\" postgres\"", "whitespace"},
      {"post\tgres", "\"post\\x09gres\"", "whitespace"},
      {"postgres\n", "\"postgres\\x0a\"", "whitespace"},
      {"post\x01gres", "\"post\\x01gres\"", "control byte"},
      {"post\x7fgres", "\"post\\x7fgres\"", "control byte"},
      {"caf\xc3\xa9", "\"caf\\xc3\\xa9\"", "outside ASCII"},
      {"a\"b\\c", "\"a\\x22b\\x5cc\"", ""},
      {"a@b@c", "\"a@b@c\"", "more than one '@'"},
      {"Postgres", "\"Postgres\"", "upper-case"},
      {"postgres/Exporter:1", "\"postgres/Exporter:1\"", "upper-case"},
      {"*/Node:*", "\"*/Node:*\"", "upper-case"},
      {"*Foo", "\"*Foo\"", "upper-case"},
      {"postgres:-x", "\"postgres:-x\"", "tag"},
      {"postgres:a/b", "\"postgres:a/b\"", "registry"},
      {"foo@sha256:abc", "\"foo@sha256:abc\"", "digest"},
      {"foo@md5:*", "\"foo@md5:*\"", ""},
      {"<none>:<none>", "\"<none>:<none>\"", "tag"},
      {"<none>@<none>", "\"<none>@<none>\"", "digest"},
      {"/postgres", "\"/postgres\"", "repository name"},
      {"postgres/", "\"postgres/\"", "repository name"},
      {"team//app", "\"team//app\"", "repository name"},
      {"-postgres", "\"-postgres\"", "repository name"},
      {H64, "\"" H64 "\"", "ID"},
      {"*,redis", "\"*,redis\"", "',' appears in no image reference"},
      {"*/node", "\"*/node\"", "can match no reference"},
      {"*/team/app", "\"*/team/app\"", "can match no reference"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    dc_ref_pattern_t p;
    memset(p.glob, 'X', sizeof(p.glob));
    char err[512] = "";
    int rc = dc_ref_pattern_compile(cases[i].pattern, &p, err, sizeof(err));
    if (rc != -EINVAL) {
      print_error("case %zu: rc %d, glob \"%s\"\n", i, rc, p.glob);
      fail();
    }
    assert_str(p.glob, "");
    assert_false(dc_ref_pattern_match(&p, "docker.io/library/postgres:latest"));
    char want[256];
    snprintf(want, sizeof(want), "invalid KEEP_IMAGES pattern %s: ", cases[i].shown);
    assert_true(strncmp(err, want, strlen(want)) == 0 || (print_error("err \"%s\"\n", err), false));
    assert_contains(err + strlen(want), cases[i].reason);
    for (const char *e = err; *e; e++)
      assert_true(*e >= 0x20 && *e < 0x7f);
  }

  /* Length: 383 bytes compile, 384 do not; the line shows the start of the pattern. */
  char pat[400], err[512];
  dc_ref_pattern_t p;
  memset(pat, 'a', 383);
  pat[383] = '\0';
  pat[0] = '*';
  assert_rc(dc_ref_pattern_compile(pat, &p, err, sizeof(err)), 0);
  pat[383] = 'a';
  pat[384] = '\0';
  assert_rc(dc_ref_pattern_compile(pat, &p, err, sizeof(err)), -EINVAL);
  assert_contains(err, "longer than 383 bytes");
  assert_contains(err, "\"*aaaa");
  assert_contains(err, "...\"");
  assert_true(strlen(err) < 200);

  /* A short err buffer is filled and terminated; NULL is allowed. */
  char tiny[8];
  memset(tiny, 'X', sizeof(tiny));
  assert_rc(dc_ref_pattern_compile("Postgres", &p, tiny, sizeof(tiny)), -EINVAL);
  assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
  assert_rc(dc_ref_pattern_compile("Postgres", &p, NULL, 0), -EINVAL);
  assert_rc(dc_ref_pattern_compile(NULL, &p, err, sizeof(err)), -EINVAL);
  assert_contains(err, "empty");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_normalize_table),   cmocka_unit_test(test_normalize_lengths),
      cmocka_unit_test(test_repository),        cmocka_unit_test(test_pattern_compile),
      cmocka_unit_test(test_pattern_match),     cmocka_unit_test(test_pattern_match_adversarial),
      cmocka_unit_test(test_pattern_invalid),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
