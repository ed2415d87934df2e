/* log.c: one printf-checked function behind the levelled macros. */
#include "log.h"

#include <jansson.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "out.h"
#include "text.h"

static dc_log_level_t log_threshold = DC_LOG_INFO;
static dc_log_format_t log_format = DC_FMT_TEXT;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void dc_log_setup(dc_log_level_t level, dc_log_format_t format) {
  log_threshold = level;
  log_format = format;
}

dc_log_level_t dc_log_level(void) { return log_threshold; }
dc_log_format_t dc_log_format(void) { return log_format; }

long long dc_now_ms(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

long long dc_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void dc_format_time(char *out, size_t cap, long long ms) {
  time_t secs = (time_t)(ms / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  /* Sized for any int the fields could hold, so the compiler can prove no truncation. */
  char buf[96];
  snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
           tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
  snprintf(out, cap, "%s", buf);
}

void dc_log(dc_log_level_t level, const char *fmt, ...) {
  if (level < log_threshold)
    return;
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  /* Messages quote names and replies from the engine: one line, no control sequence, never
   * a character cut in half (which would also make the JSON line below fail to encode). */
  if (n >= (int)sizeof(msg))
    dc_utf8_trim(msg);
  dc_text_clean(msg, sizeof(msg), msg, strlen(msg), 0);

  if (log_format == DC_FMT_JSON) {
    char ts[40];
    dc_format_time(ts, sizeof(ts), dc_now_ms());
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "time", ts, "event", "log", "level",
                          level_names[level], "message", msg);
    char *line = dc_json_line(o, JSON_COMPACT);
    if (line)
      dc_out_printf(2, "%s\n", line);
    free(line);
    json_decref(o);
  } else {
    dc_out_printf(2, "docker-cleaner: %s: %s\n", level_names[level], msg);
  }
}
