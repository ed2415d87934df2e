/* log.h: levelled diagnostics on stderr, as text or JSON lines. */
#ifndef DC_LOG_H
#define DC_LOG_H

#include <stdarg.h>
#include <stddef.h>

typedef enum { DC_LOG_DEBUG = 0, DC_LOG_INFO, DC_LOG_WARN, DC_LOG_ERROR } dc_log_level_t;
typedef enum { DC_FMT_TEXT = 0, DC_FMT_JSON } dc_log_format_t;

/* Sets the threshold and the format. Messages below the threshold are dropped. */
void dc_log_setup(dc_log_level_t level, dc_log_format_t format);
dc_log_level_t dc_log_level(void);
dc_log_format_t dc_log_format(void);

/* Writes one diagnostic line to stderr. Never fails visibly. */
void dc_log(dc_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define dc_debug(...) dc_log(DC_LOG_DEBUG, __VA_ARGS__)
#define dc_info(...) dc_log(DC_LOG_INFO, __VA_ARGS__)
#define dc_warn(...) dc_log(DC_LOG_WARN, __VA_ARGS__)
#define dc_error(...) dc_log(DC_LOG_ERROR, __VA_ARGS__)

/* Milliseconds and nanoseconds since the Unix epoch (wall clock), and an ISO 8601 UTC
 * rendering of the former. */
long long dc_now_ms(void);
long long dc_now_ns(void);
void dc_format_time(char *out, size_t cap, long long ms);

#endif
