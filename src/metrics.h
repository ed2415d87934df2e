/* metrics.h: the run's result as a Prometheus text file (node_exporter's textfile collector).
 *
 * The file is written whole to a temp file in the same directory, then renamed over the
 * target, so a reader sees the previous run's file or this one's, never a part. The counters
 * (_total) carry on from the previous file, so they only grow; the gauges describe the last
 * run. Fed by the report (dc_report_observe), so the numbers are the ones the summary prints. */
#ifndef DC_METRICS_H
#define DC_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"

/* One run's numbers. */
typedef struct dc_metrics_run {
  bool dry_run;
  int exit_code;        /* 0 success, 1 partial, 2 failure */
  long long duration_ms;
  int64_t end_s;        /* Unix seconds at the end of the run */
  bool seen[DC_KIND__COUNT];   /* the type's operation ran (and reported) */
  int64_t count[DC_KIND__COUNT];
  int64_t bytes[DC_KIND__COUNT]; /* < 0: unknown */
} dc_metrics_run_t;

/* What the previous file carried forward: counters and the last success. */
typedef struct dc_metrics_prev {
  int64_t removed[DC_KIND__COUNT];
  int64_t reclaimed[DC_KIND__COUNT];
  int64_t runs[3]; /* by exit code */
  int64_t last_success_s; /* 0: never */
} dc_metrics_prev_t;

/* Reads the counters and the last success from a previous file's text; anything it does not
 * recognise is skipped (a missing or foreign file starts the counters at 0, which Prometheus
 * reads as a reset). Pure. */
void dc_metrics_parse_prev(const char *text, dc_metrics_prev_t *prev);

/* Formats the file: HELP and TYPE lines, then the samples. Pure. Returns the length written
 * (NUL-terminated), or -ENOSPC when cap is too small. */
int dc_metrics_format(char *buf, size_t cap, const dc_metrics_run_t *run, const dc_metrics_prev_t *prev);

/* Creates the temp file beside path now, so that a directory this user cannot write to is
 * found before anything is removed. Returns 0 or a negative errno with one line in err. */
int dc_metrics_open(const char *path, bool dry_run, char *err, size_t errlen);

/* The report's observer hooks: an operation's result, and the run's end. */
void dc_metrics_operation(dc_kind_t kind, int64_t count, int64_t bytes);

/* Writes the file for a run that ended with exit_code after duration_ms (the report's summary,
 * or main's own failure before the run) and renames it into place; only the first call per
 * process writes. No-op when dc_metrics_open was not called or failed. Returns 0 or a negative
 * errno with one line in err. */
int dc_metrics_commit(int exit_code, long long duration_ms, char *err, size_t errlen);

#endif
