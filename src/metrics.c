/* metrics.c: the run's result as a Prometheus text file, written atomically. */
#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const run_status[] = {"success", "partial", "failure"};

/* The label value of a type: the JSON report's plural name (containers, build_cache, ...). */
static const char *type_label(int k) { return dc_kind_json_plural((dc_kind_t)k); }

void dc_metrics_parse_prev(const char *text, dc_metrics_prev_t *prev) {
  memset(prev, 0, sizeof(*prev));
  static const struct {
    const char *prefix;
    size_t offset; /* into dc_metrics_prev_t: an array by type, by status, or one value */
    enum { BY_TYPE, BY_STATUS, ONE } shape;
  } carried[] = {
      {"docker_cleaner_removed_total{type=\"", offsetof(dc_metrics_prev_t, removed), BY_TYPE},
      {"docker_cleaner_reclaimed_bytes_total{type=\"", offsetof(dc_metrics_prev_t, reclaimed), BY_TYPE},
      {"docker_cleaner_runs_total{status=\"", offsetof(dc_metrics_prev_t, runs), BY_STATUS},
      {"docker_cleaner_last_success_timestamp_seconds ", offsetof(dc_metrics_prev_t, last_success_s), ONE},
  };
  for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
    for (size_t c = 0; c < sizeof(carried) / sizeof(carried[0]); c++) {
      size_t plen = strlen(carried[c].prefix);
      if (strncmp(line, carried[c].prefix, plen) != 0)
        continue;
      const char *p = line + plen;
      int idx = 0;
      if (carried[c].shape != ONE) {
        const char *q = strchr(p, '"');
        if (!q || strncmp(q, "\"} ", 3) != 0)
          break;
        size_t n = (size_t)(q - p);
        idx = -1;
        int count = carried[c].shape == BY_TYPE ? DC_KIND__COUNT : 3;
        for (int i = 0; i < count; i++) {
          const char *name = carried[c].shape == BY_TYPE ? type_label(i) : run_status[i];
          if (strlen(name) == n && strncmp(name, p, n) == 0)
            idx = i;
        }
        if (idx < 0)
          break;
        p = q + 3;
      }
      char *end;
      errno = 0;
      long long v = strtoll(p, &end, 10);
      if (errno || end == p || (*end != '\n' && *end != '\0' && *end != ' ') || v < 0)
        break;
      ((int64_t *)((char *)prev + carried[c].offset))[idx] = v;
      break;
    }
  }
}

/* Appends to buf at *len; a buffer that fills up sets *len past cap, which the caller checks. */
static void put(char *buf, size_t cap, size_t *len, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void put(char *buf, size_t cap, size_t *len, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(*len < cap ? buf + *len : NULL, *len < cap ? cap - *len : 0, fmt, ap);
  va_end(ap);
  if (n > 0)
    *len += (size_t)n;
}

static int64_t add(int64_t a, int64_t b) { return b > 0 && a > INT64_MAX - b ? INT64_MAX : a + b; }

int dc_metrics_format(char *buf, size_t cap, const dc_metrics_run_t *run, const dc_metrics_prev_t *prev) {
  size_t len = 0;
  int ec = run->exit_code < 0 || run->exit_code > 2 ? 2 : run->exit_code;
  bool real = !run->dry_run;

  put(buf, cap, &len, "# HELP docker_cleaner_removed_total Resources removed, by type, over all runs that wrote "
                      "this file.\n# TYPE docker_cleaner_removed_total counter\n");
  for (int k = 0; k < DC_KIND__COUNT; k++)
    put(buf, cap, &len, "docker_cleaner_removed_total{type=\"%s\"} %lld\n", type_label(k),
        (long long)add(prev->removed[k], real && run->seen[k] ? run->count[k] : 0));
  put(buf, cap, &len, "# HELP docker_cleaner_reclaimed_bytes_total Bytes reclaimed, by type, over all runs that "
                      "wrote this file.\n# TYPE docker_cleaner_reclaimed_bytes_total counter\n");
  for (int k = 0; k < DC_KIND__COUNT; k++)
    put(buf, cap, &len, "docker_cleaner_reclaimed_bytes_total{type=\"%s\"} %lld\n", type_label(k),
        (long long)add(prev->reclaimed[k], real && run->seen[k] && run->bytes[k] > 0 ? run->bytes[k] : 0));
  put(buf, cap, &len, "# HELP docker_cleaner_runs_total Runs that wrote this file, by status.\n"
                      "# TYPE docker_cleaner_runs_total counter\n");
  for (int s = 0; s < 3; s++)
    put(buf, cap, &len, "docker_cleaner_runs_total{status=\"%s\"} %lld\n", run_status[s],
        (long long)add(prev->runs[s], s == ec ? 1 : 0));

  put(buf, cap, &len, "# HELP docker_cleaner_last_run_removed Resources the last run removed (a dry run: would "
                      "remove), by type.\n# TYPE docker_cleaner_last_run_removed gauge\n");
  for (int k = 0; k < DC_KIND__COUNT; k++)
    put(buf, cap, &len, "docker_cleaner_last_run_removed{type=\"%s\"} %lld\n", type_label(k),
        (long long)(run->seen[k] ? run->count[k] : 0));
  const char *bytes_name = real ? "docker_cleaner_last_run_reclaimed_bytes" : "docker_cleaner_last_run_reclaimable_bytes";
  put(buf, cap, &len, "# HELP %s Bytes the last run %s, by type.\n# TYPE %s gauge\n", bytes_name,
      real ? "reclaimed" : "(a dry run) would reclaim", bytes_name);
  for (int k = 0; k < DC_KIND__COUNT; k++)
    put(buf, cap, &len, "%s{type=\"%s\"} %lld\n", bytes_name, type_label(k),
        (long long)(run->seen[k] && run->bytes[k] > 0 ? run->bytes[k] : 0));

  put(buf, cap, &len, "# HELP docker_cleaner_last_run_status The last run's status: 1 for the one it had.\n"
                      "# TYPE docker_cleaner_last_run_status gauge\n");
  for (int s = 0; s < 3; s++)
    put(buf, cap, &len, "docker_cleaner_last_run_status{status=\"%s\"} %d\n", run_status[s], s == ec);
  put(buf, cap, &len, "# HELP docker_cleaner_exit_code The last run's exit status: 0 success, 1 partial, 2 failure.\n"
                      "# TYPE docker_cleaner_exit_code gauge\ndocker_cleaner_exit_code %d\n", ec);
  put(buf, cap, &len, "# HELP docker_cleaner_dry_run Whether the last run was a dry run (nothing removed).\n"
                      "# TYPE docker_cleaner_dry_run gauge\ndocker_cleaner_dry_run %d\n", run->dry_run ? 1 : 0);
  put(buf, cap, &len, "# HELP docker_cleaner_duration_seconds How long the last run took.\n"
                      "# TYPE docker_cleaner_duration_seconds gauge\ndocker_cleaner_duration_seconds %lld.%03lld\n",
      (long long)(run->duration_ms < 0 ? 0 : run->duration_ms / 1000),
      (long long)(run->duration_ms < 0 ? 0 : run->duration_ms % 1000));
  put(buf, cap, &len, "# HELP docker_cleaner_last_run_timestamp_seconds When the last run ended (Unix time).\n"
                      "# TYPE docker_cleaner_last_run_timestamp_seconds gauge\n"
                      "docker_cleaner_last_run_timestamp_seconds %lld\n", (long long)run->end_s);
  /* A failed run keeps the previous success, so that `time() - last_success` keeps growing. */
  int64_t last_ok = ec == 0 ? run->end_s : prev->last_success_s;
  if (last_ok > 0)
    put(buf, cap, &len, "# HELP docker_cleaner_last_success_timestamp_seconds When a run last ended with exit "
                        "status 0 (Unix time).\n# TYPE docker_cleaner_last_success_timestamp_seconds gauge\n"
                        "docker_cleaner_last_success_timestamp_seconds %lld\n", (long long)last_ok);
  if (len >= cap)
    return -ENOSPC;
  return (int)len;
}

/* The process's one metrics file. */
static struct {
  bool open, committed;
  int fd;
  char path[1024];
  char tmp[1100];
  dc_metrics_run_t run;
} m = {.fd = -1};

int dc_metrics_open(const char *path, bool dry_run, char *err, size_t errlen) {
  const char *slash = strrchr(path, '/');
  size_t dirlen = slash ? (size_t)(slash - path + 1) : 0;
  const char *base = slash ? slash + 1 : path;
  /* Hidden and not ending in .prom: the collector never reads a temp file left by a crash. */
  int n = snprintf(m.tmp, sizeof(m.tmp), "%.*s.%s.XXXXXX", (int)dirlen, path, base);
  if (n < 0 || (size_t)n >= sizeof(m.tmp) || strlen(path) >= sizeof(m.path)) {
    snprintf(err, errlen, "METRICS_FILE: path too long");
    return -ENAMETOOLONG;
  }
  snprintf(m.path, sizeof(m.path), "%s", path);
  m.fd = mkostemp(m.tmp, O_CLOEXEC);
  if (m.fd < 0) {
    int e = errno;
    snprintf(err, errlen, "cannot create a temp file beside METRICS_FILE %s as uid %u: %s (the directory must be "
             "writable by RUN_UID/RUN_GID when started as root)", path, (unsigned)geteuid(), strerror(e));
    return -e;
  }
  memset(&m.run, 0, sizeof(m.run));
  m.run.dry_run = dry_run;
  m.open = true;
  return 0;
}

void dc_metrics_operation(dc_kind_t kind, int64_t count, int64_t bytes) {
  if (kind < 0 || kind >= DC_KIND__COUNT)
    return;
  m.run.seen[kind] = true;
  m.run.count[kind] = count;
  m.run.bytes[kind] = bytes;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return -errno;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int dc_metrics_commit(int exit_code, long long duration_ms, char *err, size_t errlen) {
  if (!m.open || m.committed)
    return 0;
  m.committed = true;
  m.run.exit_code = exit_code;
  m.run.duration_ms = duration_ms;
  m.run.end_s = (int64_t)time(NULL);

  /* The previous file, for the counters and the last success. */
  static char prev_text[65536];
  dc_metrics_prev_t prev;
  prev_text[0] = '\0';
  int pfd = open(m.path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (pfd >= 0) {
    size_t got = 0;
    ssize_t r;
    while (got + 1 < sizeof(prev_text) && (r = read(pfd, prev_text + got, sizeof(prev_text) - 1 - got)) > 0)
      got += (size_t)r;
    prev_text[got] = '\0';
    close(pfd);
  }
  dc_metrics_parse_prev(prev_text, &prev);

  static char text[16384];
  int len = dc_metrics_format(text, sizeof(text), &m.run, &prev);
  int rc = len < 0 ? len : write_all(m.fd, text, (size_t)len);
  const char *step = "write";
  if (rc == 0 && fchmod(m.fd, 0644) < 0)
    rc = -errno, step = "chmod";
  if (rc == 0 && fsync(m.fd) < 0)
    rc = -errno, step = "fsync";
  if (close(m.fd) < 0 && rc == 0)
    rc = -errno, step = "close";
  m.fd = -1;
  if (rc == 0 && rename(m.tmp, m.path) < 0)
    rc = -errno, step = "rename";
  if (rc < 0) {
    unlink(m.tmp);
    snprintf(err, errlen, "cannot write METRICS_FILE %s (%s): %s", m.path, step, strerror(-rc));
  }
  return rc;
}
