/* out.c: the report and the diagnostics, written without ever holding the loop (out.h).
 *
 * stdout and stderr each have their own queue and, once one is needed, their own writer
 * thread: a stalled stdout (the report) must not keep a warning on stderr from its reader. */
#include "out.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

typedef struct chunk {
  struct chunk *next;
  size_t len;
  char data[];
} chunk_t;

typedef struct stream {
  int fd;
  uv_thread_t writer;
  uv_cond_t more;       /* to the writer: a chunk was queued, or quit */
  bool started, quit;   /* the writer runs; it is to end once the queue is empty */
  bool writing;         /* the writer holds a chunk taken off the queue */
  chunk_t *head, *tail; /* in order */
  size_t queued;        /* bytes queued or being written */
  int first_err;        /* errno of the first failed write */
  uint64_t dropped;     /* bytes dropped: the queue's bound, no memory, or LAST_WORDS */
  bool gave_up;         /* dc_out_drain ended with bytes still queued */
  bool closed;          /* closed at the start: nothing is written (dc_out_closed) */
  int tty;              /* a terminal (1), not (0), not yet known (-1) */
} stream_t;

/* The loop thread queues, the writers write; mu guards the streams once a writer runs. */
static dc_out_mode_t mode = DC_OUT_BLOCKING;
static bool inited;
static uv_mutex_t mu;
static uv_cond_t idle; /* to the drainer: a queue became empty */
static stream_t streams[2] = {{.fd = 1, .tty = -1}, {.fd = 2, .tty = -1}};
static size_t queued_total; /* both queues: DC_OUT_QUEUE_MAX bounds it */

static stream_t *stream_of(int fd) { return fd == 1 ? &streams[0] : fd == 2 ? &streams[1] : NULL; }

static bool any_started(void) { return streams[0].started || streams[1].started; }
static void lock(void) {
  if (any_started())
    uv_mutex_lock(&mu);
}
static void unlock(void) {
  if (any_started())
    uv_mutex_unlock(&mu);
}

/* The whole of p, waiting as long as the reader needs (also on an O_NONBLOCK descriptor).
 * Returns 0 or the errno of a failed write. */
static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w > 0) {
      p += w;
      n -= (size_t)w;
    } else if (w < 0 && errno == EINTR) {
      continue;
    } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      struct pollfd pfd = {.fd = fd, .events = POLLOUT};
      if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
        return errno;
    } else {
      return w < 0 ? errno : EIO;
    }
  }
  return 0;
}

static void writer_main(void *arg) {
  stream_t *st = arg;
  uv_mutex_lock(&mu);
  for (;;) {
    while (!st->head && !st->quit)
      uv_cond_wait(&st->more, &mu);
    if (!st->head)
      break; /* quit, and nothing left */
    chunk_t *c = st->head;
    st->head = c->next;
    if (!st->head)
      st->tail = NULL;
    st->writing = true;
    uv_mutex_unlock(&mu);
    int e = write_all(st->fd, c->data, c->len);
    uv_mutex_lock(&mu);
    st->writing = false;
    st->queued -= c->len;
    queued_total -= c->len;
    if (e && !st->first_err)
      st->first_err = e;
    free(c);
    if (!st->head)
      uv_cond_broadcast(&idle);
  }
  uv_mutex_unlock(&mu);
}

/* The stream's writer, with every signal blocked (they are the loop thread's: libuv's
 * handlers, then main's). Returns false when it cannot be had. */
static bool start_writer(stream_t *st) {
  if (st->started)
    return true;
  if (!inited) {
    if (uv_mutex_init(&mu) != 0)
      return false;
    if (uv_cond_init(&idle) != 0) {
      uv_mutex_destroy(&mu);
      return false;
    }
    inited = true;
  }
  if (uv_cond_init(&st->more) != 0)
    return false;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  /* A small stack: the writer calls write and poll, nothing deep. */
  uv_thread_options_t opt = {.flags = UV_THREAD_HAS_STACK_SIZE, .stack_size = 64 * 1024};
  st->quit = false;
  int rc = uv_thread_create_ex(&st->writer, &opt, writer_main, st);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc != 0) {
    uv_cond_destroy(&st->more);
    return false;
  }
  st->started = true;
  return true;
}

void dc_out_mode(dc_out_mode_t m) { mode = m; }

/* Queues buf on the stream (its writer runs); past the bound, the bytes are dropped and
 * counted. */
static void enqueue(stream_t *st, const char *buf, size_t len) {
  chunk_t *c = malloc(sizeof(*c) + len);
  if (c) {
    c->next = NULL;
    c->len = len;
    memcpy(c->data, buf, len);
  }
  uv_mutex_lock(&mu);
  if (!c || queued_total + len > DC_OUT_QUEUE_MAX) {
    st->dropped += len;
    free(c);
  } else {
    if (st->tail)
      st->tail->next = c;
    else
      st->head = c;
    st->tail = c;
    st->queued += len;
    queued_total += len;
    uv_cond_signal(&st->more);
  }
  uv_mutex_unlock(&mu);
}

static void note(stream_t *st, int err, size_t dropped) {
  lock();
  if (err && !st->first_err)
    st->first_err = err;
  st->dropped += dropped;
  unlock();
}

void dc_out_closed(int fd) {
  stream_t *st = stream_of(fd);
  if (st) {
    st->closed = true;
    st->first_err = EBADF;
  }
}

void dc_out_write(int fd, const char *buf, size_t len) {
  stream_t *st = stream_of(fd);
  if (!st || len == 0)
    return;
  if (st->closed) {
    note(st, 0, len);
    return;
  }
  if (mode == DC_OUT_BLOCKING) {
    note(st, write_all(fd, buf, len), 0);
    return;
  }
  bool behind = false;
  if (st->started && mode != DC_OUT_LAST_WORDS) {
    uv_mutex_lock(&mu);
    behind = st->head || st->writing;
    uv_mutex_unlock(&mu);
  }
  /* A terminal polls writable with any room at all, and a write longer than that room waits
   * (for good, when the terminal is stopped with Ctrl-S): its lines always go through the
   * queue. A pipe polls writable with a free page, a stream socket with three quarters of its
   * buffer: DC_OUT_DIRECT_MAX bytes then never wait. */
  if (st->tty < 0)
    st->tty = isatty(fd) == 1;
  if (!behind && (mode == DC_OUT_LAST_WORDS || (len <= DC_OUT_DIRECT_MAX && !st->tty))) {
    /* Straight out when the descriptor takes it now. An error state (a pipe whose reader is
     * gone, a closed descriptor) is written to as well, so that its errno is known at once. */
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    int r;
    do
      r = poll(&pfd, 1, 0);
    while (r < 0 && errno == EINTR);
    if (r == 1) {
      ssize_t w;
      do
        w = write(fd, buf, len);
      while (w < 0 && errno == EINTR);
      if (w == (ssize_t)len)
        return;
      if (w > 0) {
        buf += w;
        len -= (size_t)w;
      } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
        note(st, errno, 0);
        return;
      }
    }
  }
  if (mode == DC_OUT_LAST_WORDS) {
    note(st, 0, len); /* one try only: the process is ending */
    return;
  }
  if (!start_writer(st)) {
    note(st, write_all(fd, buf, len), 0); /* no thread to be had: as before, blocking */
    return;
  }
  enqueue(st, buf, len);
}

void dc_out_printf(int fd, const char *fmt, ...) {
  char small[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof(small), fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if ((size_t)n < sizeof(small)) {
    dc_out_write(fd, small, (size_t)n);
    return;
  }
  char *big = malloc((size_t)n + 1);
  if (!big) {
    stream_t *st = stream_of(fd);
    if (st)
      note(st, 0, (size_t)n);
    return;
  }
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  dc_out_write(fd, big, (size_t)n);
  free(big);
}

bool dc_out_failed(int fd, int *err, uint64_t *lost) {
  stream_t *st = stream_of(fd);
  if (!st)
    return false;
  lock();
  int e = st->first_err;
  uint64_t l = st->dropped + (st->gave_up ? st->queued : 0);
  unlock();
  if (err)
    *err = e;
  if (lost)
    *lost = l;
  return e != 0 || l > 0;
}

static bool busy(const stream_t *st) { return st->head || st->writing; }

bool dc_out_drain(uint64_t until_ns, volatile sig_atomic_t *stop) {
  if (!any_started())
    return true;
  uv_mutex_lock(&mu);
  while ((busy(&streams[0]) || busy(&streams[1])) && !(stop && *stop)) {
    uint64_t now = uv_hrtime();
    if (now >= until_ns)
      break;
    uint64_t slice = until_ns - now < 20000000u ? until_ns - now : 20000000u; /* 20 ms: *stop is polled */
    (void)uv_cond_timedwait(&idle, &mu, slice);
  }
  bool all = true;
  stream_t *done[2];
  size_t ndone = 0;
  for (size_t i = 0; i < 2; i++) {
    stream_t *st = &streams[i];
    st->gave_up = busy(st);
    all = all && !st->gave_up;
    if (st->started && !st->gave_up) {
      st->quit = true;
      uv_cond_signal(&st->more);
      done[ndone++] = st;
    }
  }
  uv_mutex_unlock(&mu);
  /* The writers with nothing left end; one still blocked in a write is left to the exit. */
  for (size_t i = 0; i < ndone; i++) {
    uv_thread_join(&done[i]->writer);
    uv_cond_destroy(&done[i]->more);
    done[i]->started = false;
  }
  return all;
}
