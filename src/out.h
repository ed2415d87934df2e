/* out.h: the program's own output (the report on stdout, diagnostics on stderr), written so that
 * a reader that stalls cannot hold the run.
 *
 * A pipe nobody reads, a logging driver in blocking mode that cannot deliver (Docker's default
 * mode), a terminal stopped with Ctrl-S: a plain write(2) to such a descriptor blocks, and with
 * it the event loop, so the deadline could not fire and SIGTERM could not be handled. In the
 * run's mode (DC_OUT_ASYNC) a line goes straight out only when nothing is queued before it and
 * its descriptor takes it now (poll, no wait, at most DC_OUT_DIRECT_MAX bytes, not a terminal,
 * which polls writable with any room at all); otherwise
 * it is queued, and a thread of its own (one per descriptor, started on the first need, so that
 * a stalled stdout does not hold the diagnostics on stderr) writes that queue in order, waiting
 * as long as the reader needs, also on a descriptor left non-blocking (O_NONBLOCK: EAGAIN is
 * waited out, not an error). The loop thread never waits for output. At the end dc_out_drain
 * waits for the queues, until a time bound or a signal.
 *
 * Memory: at most DC_OUT_QUEUE_MAX bytes are queued (both queues together); a line that would
 * not fit is dropped and counted lost (dc_out_failed). */
#ifndef DC_OUT_H
#define DC_OUT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DC_OUT_QUEUE_MAX (16u << 20) /* bytes queued at most */
#define DC_OUT_DIRECT_MAX 4096       /* a pipe that polls writable takes this much without blocking */

typedef enum {
  DC_OUT_BLOCKING = 0, /* the default: plain blocking writes (before the run: configuration errors) */
  DC_OUT_ASYNC,        /* the run: as above, never waiting */
  DC_OUT_LAST_WORDS,   /* after a drain gave up: one try now (poll, no wait), past the queue, else dropped */
} dc_out_mode_t;

/* Sets how dc_out_write writes. Called from the loop thread only. */
void dc_out_mode(dc_out_mode_t m);

/* fd (1 or 2) was closed when the program started (main.c fills the slot with /dev/null):
 * every write to it is dropped and counted, its error EBADF. */
void dc_out_closed(int fd);

/* Writes len bytes to fd (1 or 2) as above. Called from the loop thread only. */
void dc_out_write(int fd, const char *buf, size_t len);
/* printf to fd, as dc_out_write. */
void dc_out_printf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Has output to fd failed so far: a write error (EPIPE, ENOSPC, EIO: the first one's errno in
 * *err), or bytes dropped (the queue's bound, LAST_WORDS) or left unwritten when dc_out_drain
 * gave up (*lost)? err and lost may be NULL. */
bool dc_out_failed(int fd, int *err, uint64_t *lost);

/* Waits until every queued byte is written, until_ns passes (uv_hrtime's clock), or *stop is
 * set (a signal handler's flag, checked every 20 ms; may be NULL). Returns true when everything
 * was written; the writers then end. A writer still blocked in a write is left to the
 * process's exit, and what it holds counts as lost. */
bool dc_out_drain(uint64_t until_ns, volatile sig_atomic_t *stop);

#endif
