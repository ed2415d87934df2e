/* test_state.c: STATE_FILE (issue 14): what a load makes of every kind of file it can meet
 * (a table of contents, then the files that are not files), the atomic save, and the table's
 * operations against a brute-force model. */
#include "dc_test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "resource.h"
#include "state.h"

#define S(n) ((int64_t)(n) * INT64_C(1000000000))
#define MAX_SECS INT64_C(4611686018) /* 2^62 ns in whole seconds */

static const char ID_A[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
static const char ID_B[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
static const char ID_C[] = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

/* ---- Helpers ------------------------------------------------------------------------------ */

typedef struct {
  char dir[256];
  char path[300]; /* dir/state.json */
} fixture_t;

static int setup(void **state) {
  fixture_t *f = calloc(1, sizeof(*f));
  if (!f)
    return -1;
  const char *tmp = getenv("TMPDIR");
  snprintf(f->dir, sizeof(f->dir), "%s/dc-state-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(f->dir)) {
    free(f);
    return -1;
  }
  snprintf(f->path, sizeof(f->path), "%s/state.json", f->dir);
  *state = f;
  return 0;
}

/* Removes dir and everything under it (the tests make at most two levels). */
static void rm_tree(const char *dir) {
  chmod(dir, 0700);
  DIR *d = opendir(dir);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d))) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
        continue;
      char p[1024];
      snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
      struct stat sb;
      if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
        rm_tree(p);
      else
        unlink(p);
    }
    closedir(d);
  }
  rmdir(dir);
}

static int teardown(void **state) {
  fixture_t *f = *state;
  rm_tree(f->dir);
  free(f);
  return 0;
}

static void write_file(const char *path, const char *data, size_t n) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  assert_true(fd >= 0);
  assert_i64(write(fd, data, n), (int64_t)n);
  assert_rc(close(fd), 0);
}

/* The file's bytes (NUL-terminated, caller frees) and length. */
static char *read_file(const char *path, size_t *n) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  assert_true(fd >= 0);
  struct stat sb;
  assert_rc(fstat(fd, &sb), 0);
  char *buf = malloc((size_t)sb.st_size + 1);
  assert_non_null(buf);
  assert_i64(read(fd, buf, (size_t)sb.st_size), sb.st_size);
  buf[sb.st_size] = '\0';
  close(fd);
  if (n)
    *n = (size_t)sb.st_size;
  return buf;
}

/* How many entries dir holds (besides . and ..). */
static size_t count_entries(const char *dir) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
      n++;
  closedir(d);
  return n;
}

static void assert_one_line(const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if (*p < 0x20 || *p >= 0x7f) {
      print_error("\"%s\" holds the byte 0x%02x\n", s, *p);
      fail();
    }
}

/* A 64-digit hex ID from a number. */
static void hex_id(char *out, size_t i) { snprintf(out, 65, "%064zx", i); }

/* Runs fn(arg) in a child process as an unprivileged user (uid and gid 65534 when the tests
 * run as root, where file modes deny nothing; else as is). Returns fn's result, or skips
 * when the child cannot drop root. */
static int as_unprivileged(int (*fn)(void *), void *arg) {
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0))
      _exit(77);
    _exit(fn(arg));
  }
  int ws;
  assert_i64(waitpid(pid, &ws, 0), pid);
  assert_true(WIFEXITED(ws));
  if (WEXITSTATUS(ws) == 77)
    skip();
  return WEXITSTATUS(ws);
}

/* ---- Load: contents ------------------------------------------------------------------------ */

typedef struct {
  const char *name;
  const char *json;
  const char *warn;   /* a substring of the warning; "" for none at all */
  size_t n;           /* entries kept */
  const char *id;     /* one of them (bare), or NULL */
  int64_t seen;       /* its time */
} load_case_t;

static const load_case_t load_cases[] = {
    {"empty file", "", "not valid JSON", 0, NULL, 0},
    {"truncated", "{\"version\":1,\"images\":{\"ab\":1", "not valid JSON", 0, NULL, 0},
    {"trailing garbage", "{\"version\":1,\"images\":{}} x", "not valid JSON", 0, NULL, 0},
    {"not an object", "[1,2]", "not a state file (not a JSON object)", 0, NULL, 0},
    {"no version", "{\"images\":{\"ab\":1}}", "no integer \"version\"", 0, NULL, 0},
    {"version string", "{\"version\":\"1\",\"images\":{\"ab\":1}}", "no integer \"version\"", 0, NULL, 0},
    {"version 2", "{\"version\":2,\"images\":{\"ab\":1}}", "version is not 1", 0, NULL, 0},
    {"version 0", "{\"version\":0,\"images\":{\"ab\":1}}", "version is not 1", 0, NULL, 0},
    {"no images", "{\"version\":1}", "no object \"images\"", 0, NULL, 0},
    {"images array", "{\"version\":1,\"images\":[\"ab\"]}", "no object \"images\"", 0, NULL, 0},
    {"images null", "{\"version\":1,\"images\":null}", "no object \"images\"", 0, NULL, 0},
    {"duplicate id", "{\"version\":1,\"images\":{\"ab\":1,\"ab\":2}}", "not valid JSON", 0, NULL, 0},
    {"duplicate version", "{\"version\":1,\"version\":1,\"images\":{\"ab\":1}}", "not valid JSON", 0, NULL, 0},
    {"integer too big for JSON", "{\"version\":1,\"images\":{\"ab\":99999999999999999999}}", "not valid JSON", 0,
     NULL, 0},
    {"NUL in an id", "{\"version\":1,\"images\":{\"a\\u0000b\":1}}", "not valid JSON", 0, NULL, 0},
    {"empty state", "{\"version\":1,\"images\":{}}", "", 0, NULL, 0},
    {"unknown keys are ignored", "{\"version\":1,\"x\":[],\"images\":{\"ab\":7}}", "", 1, "ab", S(7)},
    {"whitespace", " \n{ \"images\" : { \"ab\" : 7 } , \"version\" : 1 }\n\n", "", 1, "ab", S(7)},
    {"time 0 and the largest", "{\"version\":1,\"images\":{\"ab\":0,\"cd\":4611686018}}", "", 2, "cd", S(MAX_SECS)},
    {"sha256 prefix stored bare",
     "{\"version\":1,\"images\":{\"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":5}}",
     "", 1, ID_A, S(5)},
    {"both forms of one id keep the later time",
     "{\"version\":1,\"images\":{\"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":9,"
     "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":5}}",
     "", 1, ID_A, S(9)},
    {"both forms of one id keep the later time, other order",
     "{\"version\":1,\"images\":{\"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":5,"
     "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":9}}",
     "", 1, ID_A, S(9)},
    {"invalid ids dropped",
     "{\"version\":1,\"images\":{\"ABC\":1,\"sha256:abc\":2,\"a-b\":3,\"\":4,\"sha512:ab\":5,\"\xc3\xa9t\xc3\xa9\":6,"
     "\"sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\":7,"
     "\"a23456789012345678901234567890123456789012345678901234567890123456789012\":8,"
     "\"a2345678901234567890123456789012345678901234567890123456789012345678901\":9,\"good\":10}}",
     "state file ", 2, "a2345678901234567890123456789012345678901234567890123456789012345678901", S(9)},
    {"invalid times dropped",
     "{\"version\":1,\"images\":{\"a\":-1,\"b\":1.5,\"c\":\"10\",\"d\":null,\"e\":true,\"f\":4611686019,"
     "\"g\":-9223372036854775808,\"h\":9223372036854775807,\"i\":[1],\"ok\":11}}",
     "9 entries ignored (not valid)", 1, "ok", S(11)},
};

static void test_load_table(void **state) {
  fixture_t *f = *state;
  for (size_t i = 0; i < sizeof(load_cases) / sizeof(load_cases[0]); i++) {
    const load_case_t *c = &load_cases[i];
    write_file(f->path, c->json, strlen(c->json));
    dc_state_t st = {0};
    char warn[512];
    memset(warn, 'x', sizeof(warn));
    int rc = dc_state_load(&st, f->path, warn, sizeof(warn));
    if (rc != 0 || st.n != c->n || (c->warn[0] ? !strstr(warn, c->warn) : warn[0] != '\0') ||
        (c->id && dc_state_seen(&st, c->id) != c->seen)) {
      print_error("case \"%s\": rc %d, %zu entries (expected %zu), warning \"%s\" (expected \"%s\"), seen %" PRId64
                  " (expected %" PRId64 ")\n",
                  c->name, rc, st.n, c->n, warn, c->warn, c->id ? dc_state_seen(&st, c->id) : 0, c->seen);
      fail();
    }
    assert_one_line(warn);
    if (c->warn[0])
      assert_true(strncmp(warn, "state file ", 11) == 0);
    for (size_t k = 1; k < st.n; k++)
      assert_true(strcmp(st.v[k - 1].id, st.v[k].id) < 0);
    dc_state_free(&st);
  }
}

/* The invalid-ids case, exactly: how many and which one line. */
static void test_load_invalid_count(void **state) {
  fixture_t *f = *state;
  const load_case_t *c = &load_cases[22];
  assert_str(c->name, "invalid ids dropped");
  write_file(f->path, c->json, strlen(c->json));
  dc_state_t st = {0};
  char warn[512], want[600];
  assert_rc(dc_state_load(&st, f->path, warn, sizeof(warn)), 0);
  snprintf(want, sizeof(want), "state file %s: 8 entries ignored (not valid)", f->path);
  assert_str(warn, want);
  assert_i64(dc_state_seen(&st, "good"), S(10));
  dc_state_free(&st);
}

/* A load empties what st held, whatever the outcome. */
static void test_load_empties(void **state) {
  fixture_t *f = *state;
  dc_state_t st = {0};
  assert_rc(dc_state_note(&st, ID_A, S(1)), 0);
  char warn[256];
  assert_rc(dc_state_load(&st, f->path, warn, sizeof(warn)), 0); /* missing */
  assert_i64(st.n, 0);
  assert_rc(dc_state_note(&st, ID_A, S(1)), 0);
  write_file(f->path, "{", 1);
  assert_rc(dc_state_load(&st, f->path, warn, sizeof(warn)), 0); /* corrupt */
  assert_i64(st.n, 0);
  assert_i64(dc_state_seen(&st, ID_A), INT64_MIN);
  dc_state_free(&st);
}

/* ---- Load: files that are not files --------------------------------------------------------- */

static void test_load_missing(void **state) {
  fixture_t *f = *state;
  dc_state_t st = {0};
  char warn[256] = "junk";
  assert_rc(dc_state_load(&st, f->path, warn, sizeof(warn)), 0);
  assert_i64(st.n, 0);
  assert_str(warn, "");
  /* A folder that does not exist yet (a volume not yet populated): a first run too. */
  char p[400];
  snprintf(p, sizeof(p), "%s/no/state.json", f->dir);
  strcpy(warn, "junk");
  assert_rc(dc_state_load(&st, p, warn, sizeof(warn)), 0);
  assert_str(warn, "");
  /* NULL or zero-length warning buffers are allowed. */
  assert_rc(dc_state_load(&st, f->dir, NULL, 0), 0);
  dc_state_free(&st);
}

/* A file over the cap is refused on its size alone: the file here is a sparse one that holds
 * a valid state followed by NUL bytes, so that reading it would give a JSON error instead of
 * "larger than". One byte less (spaces, which JSON skips) is read. */
static void test_load_too_large(void **state) {
  fixture_t *f = *state;
  static const char head[] = "{\"version\":1,\"images\":{\"ab\":3}}";
  write_file(f->path, head, strlen(head));
  assert_rc(truncate(f->path, (off_t)DC_STATE_MAX_BYTES + 1), 0);
  dc_state_t st = {0};
  char warn[512], want[600];
  assert_rc(dc_state_load(&st, f->path, warn, sizeof(warn)), 0);
  snprintf(want, sizeof(want), "state file %s: larger than %u bytes: starting afresh", f->path,
           (unsigned)DC_STATE_MAX_BYTES);
  assert_str(warn, want);
  assert_i64(st.n, 0);

  /* Exactly the cap: read and accepted. */
  char *big = malloc(DC_STATE_MAX_BYTES);
  assert_non_null(big);
  memset(big, ' ', DC_STATE_MAX_BYTES);
  memcpy(big, head, strlen(head));
  write_file(f->path, big, DC_STATE_MAX_BYTES);
  free(big);
  assert_rc(dc_state_load(&st, f->path, warn, sizeof(warn)), 0);
  assert_str(warn, "");
  assert_i64(st.n, 1);
  assert_i64(dc_state_seen(&st, "ab"), S(3));
  dc_state_free(&st);
}

static void test_load_directory(void **state) {
  fixture_t *f = *state;
  assert_rc(mkdir(f->path, 0700), 0);
  dc_state_t st = {0};
  char warn[512], want[600];
  assert_rc(dc_state_load(&st, f->path, warn, sizeof(warn)), 0);
  snprintf(want, sizeof(want), "state file %s: not a regular file: starting afresh", f->path);
  assert_str(warn, want);
  assert_i64(st.n, 0);
  dc_state_free(&st);
}

/* A FIFO with no writer: a blocking open would wait forever; the alarm turns that into a
 * failure (the default action of SIGALRM ends the test process). */
static void test_load_fifo(void **state) {
  fixture_t *f = *state;
  assert_rc(mkfifo(f->path, 0600), 0);
  dc_state_t st = {0};
  char warn[512];
  alarm(30);
  assert_rc(dc_state_load(&st, f->path, warn, sizeof(warn)), 0);
  alarm(0);
  assert_contains(warn, ": not a regular file: starting afresh");
  assert_i64(st.n, 0);
  dc_state_free(&st);
}

static int load_unreadable_child(void *arg) {
  const char *path = arg;
  dc_state_t st = {0};
  char warn[512], want[600];
  if (dc_state_load(&st, path, warn, sizeof(warn)) != 0 || st.n != 0)
    return 1;
  snprintf(want, sizeof(want), "state file %s: permission denied (running as uid %lu): starting afresh", path,
           (unsigned long)geteuid());
  dc_state_free(&st);
  if (strcmp(warn, want) != 0) {
    fprintf(stderr, "warning \"%s\", expected \"%s\"\n", warn, want);
    return 2;
  }
  return 0;
}

static void test_load_unreadable(void **state) {
  fixture_t *f = *state;
  static const char doc[] = "{\"version\":1,\"images\":{\"ab\":3}}";
  write_file(f->path, doc, strlen(doc));
  assert_rc(chmod(f->dir, 0755), 0);
  assert_rc(chmod(f->path, 0), 0);
  assert_rc(as_unprivileged(load_unreadable_child, f->path), 0);
}

/* Every byte of the path outside printable ASCII, and the backslash, comes out as \xNN. */
static void test_warning_escapes_path(void **state) {
  fixture_t *f = *state;
  char p[400], want[600];
  snprintf(p, sizeof(p), "%s/a\nb\x1b[31m\\\xc3\xa9\x7f", f->dir);
  assert_rc(mkdir(p, 0700), 0);
  dc_state_t st = {0};
  char warn[512];
  assert_rc(dc_state_load(&st, p, warn, sizeof(warn)), 0);
  snprintf(want, sizeof(want),
           "state file %s/a\\x0ab\\x1b[31m\\x5c\\xc3\\xa9\\x7f: not a regular file: starting afresh", f->dir);
  assert_str(warn, want);
  /* A short buffer: cut, still one terminated line. */
  char small[24];
  assert_rc(dc_state_load(&st, p, small, sizeof(small)), 0);
  assert_i64(strlen(small), sizeof(small) - 1);
  assert_one_line(small);
  dc_state_free(&st);
}

/* ---- Save ---------------------------------------------------------------------------------- */

static void test_round_trip(void **state) {
  fixture_t *f = *state;
  dc_state_t st = {0};
  assert_rc(dc_state_note(&st, ID_B, S(1700000000) + 999999999), 0); /* whole seconds kept */
  assert_rc(dc_state_note(&st, "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210", S(5)), 0);
  assert_rc(dc_state_note(&st, ID_A, S(MAX_SECS)), 0);
  assert_rc(dc_state_note(&st, "z9", 0), 0);
  assert_i64(dc_state_seen(&st, ID_B), S(1700000000));
  char err[512] = "junk";
  mode_t old = umask(0);
  int rc = dc_state_save(&st, f->path, err, sizeof(err));
  umask(old);
  assert_rc(rc, 0);
  assert_str(err, "");
  struct stat sb;
  assert_rc(stat(f->path, &sb), 0);
  assert_i64(sb.st_mode & 07777, 0600);
  assert_i64(count_entries(f->dir), 1); /* no temporary file left */

  size_t n1;
  char *bytes = read_file(f->path, &n1);
  char want[512];
  snprintf(want, sizeof(want),
           "{\"version\":1,\"images\":{\n\"%s\":1700000000,\n\"%s\":%" PRId64 ",\n\"%s\":5,\n\"z9\":0\n}}\n", ID_B,
           ID_A, MAX_SECS, ID_C);
  assert_str(bytes, want);

  dc_state_t back = {0};
  char warn[256];
  assert_rc(dc_state_load(&back, f->path, warn, sizeof(warn)), 0);
  assert_str(warn, "");
  assert_i64(back.n, st.n);
  for (size_t i = 0; i < st.n; i++) {
    assert_str(back.v[i].id, st.v[i].id);
    assert_i64(back.v[i].seen_ns, st.v[i].seen_ns);
  }
  /* Saving what was loaded gives the same bytes. */
  assert_rc(dc_state_save(&back, f->path, err, sizeof(err)), 0);
  size_t n2;
  char *again = read_file(f->path, &n2);
  assert_i64(n2, n1);
  assert_true(memcmp(bytes, again, n1) == 0);
  assert_i64(count_entries(f->dir), 1);
  free(bytes);
  free(again);

  /* The empty state. */
  dc_state_t empty = {0};
  assert_rc(dc_state_save(&empty, f->path, err, sizeof(err)), 0);
  bytes = read_file(f->path, NULL);
  assert_str(bytes, "{\"version\":1,\"images\":{}}\n");
  free(bytes);
  assert_rc(dc_state_load(&back, f->path, warn, sizeof(warn)), 0);
  assert_i64(back.n, 0);
  assert_str(warn, "");
  dc_state_free(&st);
  dc_state_free(&back);
}

/* A relative path: the temporary file goes in the current folder. */
static void test_save_relative(void **state) {
  fixture_t *f = *state;
  char cwd[1024];
  assert_non_null(getcwd(cwd, sizeof(cwd)));
  assert_rc(chdir(f->dir), 0);
  dc_state_t st = {0};
  assert_rc(dc_state_note(&st, ID_A, S(2)), 0);
  char err[256];
  int rc = dc_state_save(&st, "state.json", err, sizeof(err));
  assert_rc(chdir(cwd), 0);
  assert_rc(rc, 0);
  assert_i64(count_entries(f->dir), 1);
  dc_state_t back = {0};
  assert_rc(dc_state_load(&back, f->path, NULL, 0), 0);
  assert_i64(dc_state_seen(&back, ID_A), S(2));
  dc_state_free(&st);
  dc_state_free(&back);
}

static const char old_doc[] = "{\"version\":1,\"images\":{\"old\":1}}";

static void assert_old_doc(const char *path) {
  char *bytes = read_file(path, NULL);
  assert_str(bytes, old_doc);
  free(bytes);
}

static void test_save_missing_dir(void **state) {
  fixture_t *f = *state;
  char p[400];
  snprintf(p, sizeof(p), "%s/no/state.json", f->dir);
  dc_state_t st = {0};
  assert_rc(dc_state_note(&st, ID_A, S(2)), 0);
  char err[512];
  assert_rc(dc_state_save(&st, p, err, sizeof(err)), -ENOENT);
  assert_contains(err, "state file ");
  assert_contains(err, p);
  assert_contains(err, "cannot create a temporary file");
  assert_one_line(err);
  assert_i64(count_entries(f->dir), 0);
  dc_state_free(&st);
}

/* The rename fails (the path is a folder that is not empty): the temporary file, already
 * written, is removed, and the folder is untouched. */
static void test_save_rename_fails(void **state) {
  fixture_t *f = *state;
  assert_rc(mkdir(f->path, 0700), 0);
  char inner[400];
  snprintf(inner, sizeof(inner), "%s/keep", f->path);
  write_file(inner, old_doc, strlen(old_doc));
  dc_state_t st = {0};
  assert_rc(dc_state_note(&st, ID_A, S(2)), 0);
  char err[512];
  int rc = dc_state_save(&st, f->path, err, sizeof(err));
  assert_true(rc < 0);
  assert_contains(err, "cannot rename");
  assert_one_line(err);
  assert_i64(count_entries(f->dir), 1); /* only the folder: no temporary file */
  assert_i64(count_entries(f->path), 1);
  assert_old_doc(inner);
  dc_state_free(&st);
}

static int save_readonly_child(void *arg) {
  const char *path = arg;
  dc_state_t st = {0};
  if (dc_state_note(&st, ID_A, S(2)) != 0)
    return 1;
  char err[512];
  int rc = dc_state_save(&st, path, err, sizeof(err));
  dc_state_free(&st);
  if (rc != -EACCES || !strstr(err, "cannot create a temporary file") || !strstr(err, path)) {
    fprintf(stderr, "rc %d, err \"%s\"\n", rc, err);
    return 2;
  }
  return 0;
}

static void test_save_readonly_dir(void **state) {
  fixture_t *f = *state;
  write_file(f->path, old_doc, strlen(old_doc));
  assert_rc(chmod(f->path, 0644), 0);
  assert_rc(chmod(f->dir, 0555), 0);
  assert_rc(as_unprivileged(save_readonly_child, f->path), 0);
  assert_rc(chmod(f->dir, 0700), 0);
  assert_i64(count_entries(f->dir), 1);
  assert_old_doc(f->path);
}

/* An entry that note would never have made is refused before anything is written. */
static void test_save_refuses_invalid(void **state) {
  fixture_t *f = *state;
  write_file(f->path, old_doc, strlen(old_doc));
  dc_state_entry_t bad[] = {{.id = "Bad\"id", .seen_ns = 0}};
  dc_state_t st = {.v = bad, .n = 1, .cap = 1};
  char err[512];
  assert_rc(dc_state_save(&st, f->path, err, sizeof(err)), -EINVAL);
  assert_contains(err, "not valid");
  dc_state_entry_t unsorted[] = {{.id = "b", .seen_ns = 0}, {.id = "a", .seen_ns = 0}};
  st.v = unsorted;
  st.n = st.cap = 2;
  assert_rc(dc_state_save(&st, f->path, err, sizeof(err)), -EINVAL);
  assert_i64(count_entries(f->dir), 1);
  assert_old_doc(f->path);
}

/* The path is a relative symbolic link to a file in another folder (a volume holding a link
 * to the file kept): load reads the target, save replaces the target and keeps the link. */
static void test_symlink_followed(void **state) {
  fixture_t *f = *state;
  char real_dir[400], real[400];
  snprintf(real_dir, sizeof(real_dir), "%s/real", f->dir);
  snprintf(real, sizeof(real), "%s/real/s.json", f->dir);
  assert_rc(mkdir(real_dir, 0700), 0);
  assert_rc(symlink("real/s.json", f->path), 0);

  /* A dangling link: a first run; the save creates the target. */
  dc_state_t st = {0};
  char warn[256] = "junk", err[256];
  assert_rc(dc_state_load(&st, f->path, warn, sizeof(warn)), 0);
  assert_str(warn, "");
  assert_rc(dc_state_note(&st, ID_C, S(4)), 0);
  assert_rc(dc_state_save(&st, f->path, err, sizeof(err)), 0);
  struct stat sb;
  assert_rc(lstat(f->path, &sb), 0);
  assert_true(S_ISLNK(sb.st_mode));
  assert_rc(lstat(real, &sb), 0);
  assert_true(S_ISREG(sb.st_mode));
  assert_i64(count_entries(real_dir), 1);
  assert_i64(count_entries(f->dir), 2);

  dc_state_t back = {0};
  assert_rc(dc_state_load(&back, f->path, warn, sizeof(warn)), 0);
  assert_str(warn, "");
  assert_i64(dc_state_seen(&back, ID_C), S(4));
  assert_rc(dc_state_note(&back, ID_A, S(6)), 0);
  assert_rc(dc_state_save(&back, f->path, err, sizeof(err)), 0);
  assert_rc(lstat(f->path, &sb), 0);
  assert_true(S_ISLNK(sb.st_mode));
  assert_rc(dc_state_load(&st, real, warn, sizeof(warn)), 0);
  assert_i64(st.n, 2);
  assert_i64(count_entries(real_dir), 1);
  assert_i64(count_entries(f->dir), 2);

  /* A loop of links: a warning on load, an error on save. */
  char l1[400], l2[400];
  snprintf(l1, sizeof(l1), "%s/l1", f->dir);
  snprintf(l2, sizeof(l2), "%s/l2", f->dir);
  assert_rc(symlink("l2", l1), 0);
  assert_rc(symlink("l1", l2), 0);
  assert_rc(dc_state_load(&st, l1, warn, sizeof(warn)), 0);
  assert_contains(warn, "cannot open");
  assert_i64(dc_state_save(&st, l1, err, sizeof(err)), -ELOOP);
  assert_one_line(err);
  dc_state_free(&st);
  dc_state_free(&back);
}

/* ---- The table ------------------------------------------------------------------------------ */

static void test_note_and_seen(void **state) {
  (void)state;
  dc_state_t st = {0};
  assert_i64(dc_state_seen(&st, ID_A), INT64_MIN);
  assert_rc(dc_state_note(&st, ID_A, S(20)), 0);
  assert_rc(dc_state_note(&st, ID_A, S(10)), 0); /* earlier: ignored */
  assert_i64(dc_state_seen(&st, ID_A), S(20));
  assert_rc(dc_state_note(&st, "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", S(30)), 0);
  assert_i64(st.n, 1);
  assert_i64(dc_state_seen(&st, ID_A), S(30));
  assert_i64(dc_state_seen(&st, "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), S(30));
  assert_rc(dc_state_note(&st, ID_A, S(30) + 5), 0); /* the same second */
  assert_i64(dc_state_seen(&st, ID_A), S(30));

  static const char *const bad_ids[] = {"", "ABC", "sha256:abc", "sha256:", "a:b", "a b", "sha512:ab",
                                        "a23456789012345678901234567890123456789012345678901234567890123456789012"};
  for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
    assert_rc(dc_state_note(&st, bad_ids[i], S(1)), -EINVAL);
    assert_i64(dc_state_seen(&st, bad_ids[i]), INT64_MIN);
  }
  assert_rc(dc_state_note(&st, NULL, S(1)), -EINVAL);
  assert_rc(dc_state_note(&st, ID_B, -1), -EINVAL);
  assert_rc(dc_state_note(&st, ID_B, INT64_MIN), -EINVAL);
  assert_rc(dc_state_note(&st, ID_B, S(MAX_SECS + 1)), -EINVAL);
  assert_rc(dc_state_note(&st, ID_B, INT64_MAX), -EINVAL);
  assert_rc(dc_state_note(&st, ID_B, S(MAX_SECS) + 999999999), 0);
  assert_i64(dc_state_seen(&st, ID_B), S(MAX_SECS));
  assert_i64(st.n, 2);
  dc_state_free(&st);
}

/* Random notes against a brute-force model: after every call, seen answers as the model and
 * the table is sorted by id. */
static void test_note_model(void **state) {
  (void)state;
  enum { IDS = 300, OPS = 3000 };
  int64_t model[IDS];
  for (size_t i = 0; i < IDS; i++)
    model[i] = INT64_MIN;
  dc_state_t st = {0};
  uint32_t x = 12345;
  for (size_t op = 0; op < OPS; op++) {
    x = x * 1103515245u + 12345u;
    size_t k = (x >> 8) % IDS;
    int64_t t = S((x >> 4) % 1000);
    char id[80];
    if (k % 3 == 0)
      snprintf(id, sizeof(id), "sha256:%064zx", k);
    else
      hex_id(id, k);
    assert_rc(dc_state_note(&st, id, t), 0);
    if (t > model[k])
      model[k] = t;
    if (op % 97 == 0 || op == OPS - 1) {
      size_t n = 0;
      for (size_t i = 0; i < IDS; i++) {
        hex_id(id, i);
        assert_i64(dc_state_seen(&st, id), model[i]);
        n += model[i] != INT64_MIN;
      }
      assert_i64(st.n, n);
      for (size_t i = 1; i < st.n; i++)
        assert_true(strcmp(st.v[i - 1].id, st.v[i].id) < 0);
    }
  }
  dc_state_free(&st);
}

static void test_prune(void **state) {
  (void)state;
  dc_state_t st = {0};
  static const char *const ids[] = {"e5", "a1", "d4", "b2", "c3"};
  for (size_t i = 0; i < 5; i++)
    assert_rc(dc_state_note(&st, ids[i], S(i)), 0);
  dc_strset_t exist = {0};
  assert_rc(dc_strset_add(&exist, "b2"), 0);
  assert_rc(dc_strset_add(&exist, "zz"), 0); /* exists, never seen */
  assert_rc(dc_strset_add(&exist, "e5"), 0);
  assert_rc(dc_strset_add(&exist, "a1"), 0);
  dc_strset_seal(&exist);
  dc_state_prune(&st, &exist);
  assert_i64(st.n, 3);
  assert_str(st.v[0].id, "a1");
  assert_str(st.v[1].id, "b2");
  assert_str(st.v[2].id, "e5");
  assert_i64(dc_state_seen(&st, "e5"), S(0));
  assert_i64(dc_state_seen(&st, "d4"), INT64_MIN);
  assert_i64(dc_state_seen(&st, "zz"), INT64_MIN);
  dc_strset_free(&exist);
  /* An empty set: nothing exists, nothing is kept. */
  dc_strset_seal(&exist);
  dc_state_prune(&st, &exist);
  assert_i64(st.n, 0);
  dc_state_free(&st);
}

/* n + extra entries, ID i seen at second i (so the extra oldest are IDs 0..extra-1). */
static void fill(dc_state_t *st, size_t n) {
  char id[80];
  for (size_t i = 0; i < n; i++) {
    hex_id(id, i);
    assert_rc(dc_state_note(st, id, S(1000 + (i * 7919) % n)), 0);
  }
}

/* The oldest of fill()'s entries are those with the smallest (i * 7919) % n. */
static void assert_newest_kept(const dc_state_t *st, size_t n, size_t extra) {
  char id[80];
  assert_i64(st->n, DC_STATE_MAX_ENTRIES);
  for (size_t i = 0; i < n; i++) {
    hex_id(id, i);
    size_t rank = (i * 7919) % n; /* 0 = oldest */
    assert_i64(dc_state_seen(st, id), rank < extra ? INT64_MIN : S(1000 + rank));
  }
  for (size_t i = 1; i < st->n; i++)
    assert_true(strcmp(st->v[i - 1].id, st->v[i].id) < 0);
}

/* Files over the cap: 64-digit IDs, and short ones, so many that the table is compacted
 * while it is filled (past twice the cap). One entry that is not valid, to see both counts. */
static void test_cap_on_load(void **state) {
  fixture_t *f = *state;
  static const struct {
    size_t n;
    bool short_ids;
  } cases[] = {
      {DC_STATE_MAX_ENTRIES + 1, false},
      {DC_STATE_MAX_ENTRIES + 10, false},
      {2 * DC_STATE_MAX_ENTRIES + 1, true},
      {3 * DC_STATE_MAX_ENTRIES + 777, true},
  };
  for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
    size_t n = cases[c].n;
    /* Written by hand: save itself never writes more than the cap. */
    size_t cap = 64 + n * 90, len = 0;
    char *doc = malloc(cap);
    assert_non_null(doc);
    len += (size_t)snprintf(doc + len, cap - len, "{\"version\":1,\"images\":{\"BAD\":1");
    for (size_t i = 0; i < n; i++)
      len += (size_t)snprintf(doc + len, cap - len, cases[c].short_ids ? ",\"%zx\":%zu" : ",\"%064zx\":%zu", i,
                              1000 + (i * 7919) % n);
    len += (size_t)snprintf(doc + len, cap - len, "}}");
    assert_true(len < DC_STATE_MAX_BYTES);
    write_file(f->path, doc, len);
    free(doc);
    dc_state_t st = {0};
    char warn[512], want[600], id[80];
    assert_rc(dc_state_load(&st, f->path, warn, sizeof(warn)), 0);
    snprintf(want, sizeof(want),
             "state file %s: 1 entry ignored (not valid), %zu beyond the %u most recently seen ignored", f->path,
             n - DC_STATE_MAX_ENTRIES, (unsigned)DC_STATE_MAX_ENTRIES);
    assert_str(warn, want);
    assert_i64(st.n, DC_STATE_MAX_ENTRIES);
    for (size_t i = 0; i < n; i++) {
      snprintf(id, sizeof(id), cases[c].short_ids ? "%zx" : "%064zx", i);
      size_t rank = (i * 7919) % n; /* 0 = oldest; 7919 is prime, so a permutation */
      assert_i64(dc_state_seen(&st, id), rank < n - DC_STATE_MAX_ENTRIES ? INT64_MIN : S(1000 + rank));
    }
    for (size_t i = 1; i < st.n; i++)
      assert_true(strcmp(st.v[i - 1].id, st.v[i].id) < 0);
    dc_state_free(&st);
  }
}

static void test_cap_on_prune_and_save(void **state) {
  fixture_t *f = *state;
  enum { EXTRA = 5 };
  size_t n = DC_STATE_MAX_ENTRIES + EXTRA;
  dc_state_t st = {0};
  fill(&st, n);
  assert_i64(st.n, n);

  /* Save writes the newest DC_STATE_MAX_ENTRIES, so that the file always loads. */
  char err[256], warn[256];
  assert_rc(dc_state_save(&st, f->path, err, sizeof(err)), 0);
  struct stat sb;
  assert_rc(stat(f->path, &sb), 0);
  assert_true(sb.st_size < (off_t)DC_STATE_MAX_BYTES);
  dc_state_t back = {0};
  assert_rc(dc_state_load(&back, f->path, warn, sizeof(warn)), 0);
  assert_str(warn, "");
  assert_newest_kept(&back, n, EXTRA);
  dc_state_free(&back);

  dc_state_prune(&st, NULL);
  assert_newest_kept(&st, n, EXTRA);
  dc_state_free(&st);
}

/* The largest file save can write (the cap of the longest IDs at the largest time) is under
 * the load cap. */
static void test_largest_file_loads(void **state) {
  fixture_t *f = *state;
  dc_state_t st = {0};
  char id[80];
  for (size_t i = 0; i < DC_STATE_MAX_ENTRIES; i++) {
    snprintf(id, sizeof(id), "%071zu", i);
    assert_rc(dc_state_note(&st, id, S(MAX_SECS)), 0);
  }
  char err[256], warn[256];
  assert_rc(dc_state_save(&st, f->path, err, sizeof(err)), 0);
  struct stat sb;
  assert_rc(stat(f->path, &sb), 0);
  assert_true(sb.st_size < 6 << 20); /* as state.h says */
  dc_state_t back = {0};
  assert_rc(dc_state_load(&back, f->path, warn, sizeof(warn)), 0);
  assert_str(warn, "");
  assert_i64(back.n, DC_STATE_MAX_ENTRIES);
  dc_state_free(&st);
  dc_state_free(&back);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_load_table),          T(test_load_invalid_count), T(test_load_empties),
      T(test_load_missing),        T(test_load_too_large),     T(test_load_directory),
      T(test_load_fifo),           T(test_load_unreadable),    T(test_warning_escapes_path),
      T(test_round_trip),          T(test_save_relative),      T(test_save_missing_dir),
      T(test_save_rename_fails),   T(test_save_readonly_dir),  T(test_save_refuses_invalid),
      T(test_symlink_followed),    T(test_note_and_seen),      T(test_note_model),
      T(test_prune),               T(test_cap_on_load),        T(test_cap_on_prune_and_save),
      T(test_largest_file_loads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
