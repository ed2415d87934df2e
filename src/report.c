/* report.c: what docker-cleaner tells the user it did. */
#include "report.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "out.h"
#include "text.h"
#include "version.h"

static dc_log_format_t fmt = DC_FMT_TEXT;
static bool dry = false;
static const dc_report_observer_t *observer;
static int64_t summary_deleted = -1; /* what the summary counted, for dc_report_output_end */
static bool output_error_said;

void dc_report_observe(const dc_report_observer_t *obs) { observer = obs; }

int dc_report_output_end(int exit_code) {
  int e = 0;
  uint64_t lost = 0;
  if (!dc_out_failed(1, &e, &lost))
    return exit_code;
  if (!output_error_said) {
    output_error_said = true;
    char why[96], counted[96] = "";
    if (e)
      snprintf(why, sizeof(why), "%s", strerror(e));
    else
      snprintf(why, sizeof(why), "%llu bytes not taken in time", (unsigned long long)lost);
    if (summary_deleted >= 0)
      snprintf(counted, sizeof(counted), "; the %s %lld resource%s%s", dry ? "dry run listed" : "run deleted",
               (long long)summary_deleted, summary_deleted == 1 ? "" : "s", dry ? " to delete" : "");
    dc_error("could not write the report to stdout (%s): the audit trail is incomplete%s", why, counted);
  }
  return exit_code == 0 ? 1 : exit_code;
}

void dc_human_size(char *out, size_t cap, int64_t bytes) {
  static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  double v = (double)(bytes < 0 ? 0 : bytes);
  size_t i = 0;
  while (v >= 1000.0 && i + 1 < sizeof(units) / sizeof(units[0])) {
    v /= 1000.0;
    i++;
  }
  snprintf(out, cap, "%.4g%s", v, units[i]);
}

/* Names, IDs and messages come from the engine: in text they go through dc_printable (one
 * line, no control sequence), in JSON through dc_json_text (always encodes), so that no line,
 * event or field is forged or lost. */

static void emit(json_t *o) {
  char ts[40];
  dc_format_time(ts, sizeof(ts), dc_now_ms());
  json_object_set_new(o, "time", json_string(ts));
  char *line = dc_json_line(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
  if (line)
    dc_out_printf(1, "%s\n", line);
  free(line);
  json_decref(o);
}

void dc_report_event(json_t *o) { emit(o); }

void dc_report_init(const dc_config_t *cfg) {
  fmt = cfg->log_format;
  dry = cfg->dry_run;
}

void dc_report_start(const char *host) {
  if (fmt == DC_FMT_JSON)
    emit(json_pack("{s:s, s:s, s:o, s:b}", "event", "start", "version", DC_VERSION_STRING, "host",
                   dc_json_text(host), "dry_run", dry));
  else
    dc_info("%s the engine at %s", dry ? "dry run (nothing is deleted) on" : "cleaning", host);
}

void dc_report_engine(const dc_engine_t *e) {
  if (fmt == DC_FMT_JSON) {
    emit(json_pack("{s:s, s:o, s:o, s:o, s:b, s:b}", "event", "engine", "api_version", dc_json_text(e->version),
                   "engine_api_version", dc_json_text(e->daemon_max), "server", dc_json_text(e->server), "podman",
                   e->podman, "dry_run", dry));
    return;
  }
  char server[sizeof(e->server)], max[sizeof(e->daemon_max)];
  dc_printable(server, sizeof(server), e->server);
  dc_printable(max, sizeof(max), e->daemon_max);
  dc_info("engine %s%s, API %s (engine supports %s)", server[0] ? server : "(unnamed)", e->podman ? " (Podman)" : "",
          e->version, max);
}

static const char *short_id(const char *id, char *buf, size_t cap) {
  if (strncmp(id, "sha256:", 7) == 0)
    id += 7;
  dc_printable(buf, cap < 13 ? cap : 13, id);
  return buf;
}

void dc_report_deleted(dc_kind_t kind, const char *id, const char *name, int64_t bytes) {
  if (fmt == DC_FMT_JSON) {
    json_t *o = json_pack("{s:s, s:s, s:o, s:o?, s:b}", "event", "deleted", "type", dc_kind_json(kind), "id",
                          dc_json_text(id), "name", dc_json_text(name), "dry_run", dry);
    if (o && bytes >= 0)
      json_object_set_new(o, "bytes", json_integer(bytes));
    if (o)
      emit(o);
    return;
  }
  char sid[16], sname[256];
  dc_printable(sname, sizeof(sname), name);
  /* Networks and volumes are known by name; an ID adds nothing for volumes. */
  const char *verb = dry ? "Would delete" : "Deleted";
  if (kind == DC_VOLUMES)
    dc_out_printf(1, "%s volume %s\n", verb, sname);
  else
    dc_out_printf(1, "%s %s %s%s%s\n", verb, dc_kind_singular(kind), short_id(id, sid, sizeof(sid)),
                  name ? " " : "", sname);
}

void dc_report_untagged(const char *reference) {
  if (fmt == DC_FMT_JSON) {
    emit(json_pack("{s:s, s:s, s:o, s:b}", "event", "untagged", "type", "image", "reference",
                   dc_json_text(reference), "dry_run", dry));
    return;
  }
  char s[256];
  dc_printable(s, sizeof(s), reference);
  dc_out_printf(1, "Untagged image %s\n", s);
}

/* An age in its two largest units: 42s, 3m12s, 2h05m, 3d04h. */
static void human_age(char *out, size_t cap, int64_t s) {
  if (s < 0)
    s = 0;
  if (s < 60)
    snprintf(out, cap, "%llds", (long long)s);
  else if (s < 3600)
    snprintf(out, cap, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
  else if (s < 86400)
    snprintf(out, cap, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
  else
    snprintf(out, cap, "%lldd%02lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
}

void dc_report_reaped(const char *id, const char *name, int64_t age_s, long long stop_ms) {
  if (fmt == DC_FMT_JSON) {
    json_t *o = json_pack("{s:s, s:s, s:o, s:o?, s:I, s:b}", "event", "reaped", "type", "container", "id",
                          dc_json_text(id), "name", dc_json_text(name), "age_seconds", (json_int_t)age_s, "dry_run",
                          dry);
    if (o && stop_ms >= 0)
      json_object_set_new(o, "stop_ms", json_integer(stop_ms));
    if (o)
      emit(o);
    return;
  }
  char sid[16], sname[256], stopped[48] = "", age[32];
  dc_printable(sname, sizeof(sname), name);
  human_age(age, sizeof(age), age_s);
  if (stop_ms >= 0)
    snprintf(stopped, sizeof(stopped), ", stopped in %.2fs", (double)stop_ms / 1000.0);
  dc_out_printf(1, "%s container %s%s%s (age %s%s)\n", dry ? "Would reap" : "Reaped",
                short_id(id, sid, sizeof(sid)), name ? " " : "", sname, age, stopped);
}

void dc_report_operation(dc_kind_t kind, const char *status, int64_t count, int64_t bytes, long long duration_ms,
                         const char *error) {
  /* The reason quotes names and messages from the engine. */
  char why[512];
  dc_printable(why, sizeof(why), error);
  if (observer && observer->operation)
    observer->operation(kind, count, bytes);
  if (fmt == DC_FMT_JSON) {
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:b}", "event", "operation", "type", dc_kind_json_plural(kind),
                          "status", status, "count", (json_int_t)count, "dry_run", dry);
    if (!o)
      return;
    if (bytes >= 0)
      json_object_set_new(o, "bytes", json_integer(bytes));
    json_object_set_new(o, "duration_ms", json_integer(duration_ms));
    if (why[0])
      json_object_set_new(o, "error", json_string(why));
    emit(o);
    return;
  }
  char size[32] = "-";
  if (bytes >= 0)
    dc_human_size(size, sizeof(size), bytes);
  dc_out_printf(1, "%-12s %-8s %6lld %s %10s %s %7.2fs%s%s\n", dc_kind_plural(kind), status, (long long)count,
                dry ? "to delete" : "deleted", size, dry ? "reclaimable" : "reclaimed", (double)duration_ms / 1000.0,
                why[0] ? "  " : "", why);
}

int dc_report_summary(int exit_code, const int64_t counts[DC_KIND__COUNT], int64_t bytes, long long duration_ms) {
  static const char *const names[] = {"success", "partial", "failure"};
  /* The audit trail is part of the result: a run whose report could not be written whole
   * (so far, or in this very line; main.c asks again once the output is drained) did not
   * fully succeed. */
  if (dc_out_failed(1, NULL, NULL) && exit_code == 0)
    exit_code = 1;
  const char *status = names[exit_code < 0 || exit_code > 2 ? 2 : exit_code];
  summary_deleted = 0;
  for (int k = 0; k < DC_KIND__COUNT; k++)
    summary_deleted += counts[k] > 0 ? counts[k] : 0;
  if (fmt == DC_FMT_JSON) {
    json_t *deleted = json_object();
    for (int k = 0; k < DC_KIND__COUNT; k++)
      json_object_set_new(deleted, dc_kind_json_plural((dc_kind_t)k), json_integer(counts[k]));
    emit(json_pack("{s:s, s:s, s:i, s:o, s:I, s:I, s:b}", "event", "summary", "status", status, "exit_code",
                   exit_code, "deleted", deleted, "bytes", (json_int_t)bytes, "duration_ms", (json_int_t)duration_ms,
                   "dry_run", dry));
  } else {
    char size[32];
    dc_human_size(size, sizeof(size), bytes);
    if (dry)
      dc_out_printf(1, "Total reclaimable space: %s (dry run: nothing was deleted)\n", size);
    else
      dc_out_printf(1, "Total reclaimed space: %s\n", size);
    dc_out_printf(1, "Finished in %.2fs: %s (exit %d)\n", (double)duration_ms / 1000.0, status, exit_code);
    }
  if (dc_out_failed(1, NULL, NULL) && exit_code == 0)
    exit_code = 1; /* the summary itself was lost */
  if (observer && observer->summary)
    observer->summary(exit_code, duration_ms);
  return exit_code;
}
