/* report.h: the audit trail and the summary, on stdout, as text or JSON lines.
 *
 * JSON events (one object per line, field names are stable; README's table is the same). Every
 * event has "event", "time" (RFC 3339, UTC) and "dry_run"; "?" marks a field given only when
 * known:
 *   start      version, host
 *   engine     api_version, engine_api_version, server, podman
 *   deleted    type (container, image, network, volume, build_cache), id, name?, bytes?
 *   untagged   type (image), reference                  an image reference removed
 *   reaped     type (container), id, name, age_seconds, stop_ms? (when it was running)
 *   operation  type (containers, images, networks, volumes, build_cache, reaped_containers),
 *              status (ok, failed, timeout, skipped), count, bytes?, duration_ms, error?
 *   decision   type (image), id, name?, decision (remove, keep), reason, last_use (RFC 3339 or
 *              null)                                     with a retention setting, each image
 *   budget     budget, before, after_normal, after, evicted [{type, id, name?, last_use, bytes}],
 *              shortfall                                 with KEEP_STORAGE
 *   summary    status (success, partial, failure), exit_code, deleted (count per type), bytes,
 *              duration_ms */
#ifndef DC_REPORT_H
#define DC_REPORT_H

#include <jansson.h>
#include <stdint.h>

#include "api.h"
#include "config.h"

/* Formats bytes as the Docker CLI does (decimal units, 4 significant digits: 1.235GB). */
void dc_human_size(char *out, size_t cap, int64_t bytes);

void dc_report_init(const dc_config_t *cfg);
void dc_report_start(const char *host);
void dc_report_engine(const dc_engine_t *e);
/* bytes < 0: unknown. name may be NULL. */
void dc_report_deleted(dc_kind_t kind, const char *id, const char *name, int64_t bytes);
void dc_report_untagged(const char *reference);
/* A JSON event built elsewhere (retain.c): "time" is added, o is consumed. */
void dc_report_event(json_t *o);
/* A container the reaper stopped (stop_ms < 0: it was not running) and removed. */
void dc_report_reaped(const char *id, const char *name, int64_t age_s, long long stop_ms);
void dc_report_operation(dc_kind_t kind, const char *status, int64_t count, int64_t bytes, long long duration_ms,
                         const char *error);
/* An observer of the run's results (the metrics file): it gets each operation's numbers and
 * the end of the run, exactly as the report prints them. */
typedef struct dc_report_observer {
  void (*operation)(dc_kind_t kind, int64_t count, int64_t bytes);
  void (*summary)(int exit_code, long long duration_ms);
} dc_report_observer_t;

/* Sets the observer (NULL: none); obs must outlive the run. */
void dc_report_observe(const dc_report_observer_t *obs);

/* exit_code 0/1/2; bytes is the total reclaimed. Returns the exit status the run ends with as
 * far as is known then: exit_code, or 1 instead of 0 when part of the report could not be
 * written to stdout (a full disk, a closed pipe), so that the summary line and the metrics
 * file agree with it. */
int dc_report_summary(int exit_code, const int64_t counts[DC_KIND__COUNT], int64_t bytes, long long duration_ms);

/* Once the output is drained (or given up on: dc_out_drain): when the report could not be
 * written whole to stdout, says so on stderr, once, with the count the summary gave, and
 * returns 1 instead of 0; else exit_code. */
int dc_report_output_end(int exit_code);

#endif
