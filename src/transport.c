/* transport.c: the connection pool.
 *
 * A connection's life: connecting -> busy (one request) -> idle (kept alive) -> busy ... and
 * finally closing. conn_close() is the only teardown path (conn_fail() is conn_close() plus
 * the report of the request the connection carried); the memory goes in on_close(), after
 * libuv has let go of the handle, and on_close() starts whatever waited for a free slot.
 *
 * Nothing here runs a request's callback from inside dc_client_send: sending only queues the
 * request and starts the idle handle `kick`, whose callback (from the loop) starts the queue. */
#include "transport.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

enum conn_state { C_CONNECTING, C_BUSY, C_IDLE, C_CLOSING };

struct dc_conn {
  union {
    uv_handle_t handle;
    uv_stream_t stream;
    uv_pipe_t pipe;
    uv_tcp_t tcp;
  } h;
  uv_connect_t connect_req;
  uv_write_t write_req;
  dc_client_t *client;
  dc_conn_t *next;
  enum conn_state state;
  bool writing;
  bool release_after_write; /* answered before libuv reported the write: released in on_write */
  bool reused;    /* carried an earlier request */
  bool got_bytes; /* of the current response */
  dc_request_t *req;
  dc_http_parser_t parser;
  char wbuf[8704];
  /* 16 KiB a read: a listing of hundreds of containers then takes a few more reads, and the
   * per-resource schedule's six connections touch up to 288 KiB less (bench/README.md, "Read
   * buffers"). */
  char rbuf[16 * 1024];
};
_Static_assert(offsetof(dc_conn_t, rbuf) == offsetof(dc_conn_t, wbuf) + sizeof(((dc_conn_t *)0)->wbuf) &&
                   offsetof(dc_conn_t, rbuf) + sizeof(((dc_conn_t *)0)->rbuf) == sizeof(dc_conn_t),
               "conn_open zeroes everything before wbuf: the two buffers stay the last members");

static void conn_close(dc_conn_t *conn);
static void start_pending(dc_client_t *c);
static void on_kick(uv_idle_t *h);

void dc_client_init(dc_client_t *c, uv_loop_t *loop, const dc_config_t *cfg) {
  memset(c, 0, sizeof(*c));
  c->loop = loop;
  c->cfg = cfg;
  uv_idle_init(loop, &c->kick); /* cannot fail: it only links the handle into the loop */
  c->kick.data = c;
  c->kick_open = true;
  if (cfg->host_kind == DC_HOST_TCP) {
    if (strchr(cfg->tcp_host, ':'))
      snprintf(c->host_header, sizeof(c->host_header), "[%s]:%d", cfg->tcp_host, cfg->tcp_port);
    else
      snprintf(c->host_header, sizeof(c->host_header), "%s:%d", cfg->tcp_host, cfg->tcp_port);
  } else {
    snprintf(c->host_header, sizeof(c->host_header), "docker");
  }
}

void dc_client_adopt(dc_client_t *c, const int *fds, int n, int status) {
  c->adopted = true;
  c->nspare = 0;
  for (int i = 0; i < n && i < DC_MAX_CONNECTIONS; i++)
    c->spare[c->nspare++] = fds[i];
  for (int i = DC_MAX_CONNECTIONS; i < n; i++)
    close(fds[i]);
  const char *path = c->cfg->socket_path;
  if (n > 0) {
    c->no_conn_status = UV_ECONNRESET;
    snprintf(c->no_conn_why, sizeof(c->no_conn_why),
             "the engine closed every connection opened as root to the root-only socket %.80s", path);
  } else {
    c->no_conn_status = status < 0 ? status : UV_ECONNREFUSED;
    snprintf(c->no_conn_why, sizeof(c->no_conn_why), "cannot connect to %.80s as root: %s", path,
             uv_strerror(c->no_conn_status));
  }
}

static void close_spares(dc_client_t *c) {
  while (c->nspare > 0)
    close(c->spare[--c->nspare]);
}

/* Detaches the request from its connection and reports it; the callback may send more. */
static void finish_request(dc_request_t *req, int status, dc_http_response_t *resp) {
  req->conn = NULL;
  req->cb(req, status, resp);
}

/* The first queued request, taken off the queue (NULL when none). */
static dc_request_t *pop_pending(dc_client_t *c) {
  dc_request_t *req = c->pending_head;
  if (req) {
    c->pending_head = req->next_pending;
    if (!c->pending_head)
      c->pending_tail = NULL;
    req->next_pending = NULL;
  }
  return req;
}

/* Puts req first in the queue: a request sent again goes before those still waiting. */
static void push_pending_front(dc_client_t *c, dc_request_t *req) {
  req->next_pending = c->pending_head;
  c->pending_head = req;
  if (!c->pending_tail)
    c->pending_tail = req;
}

/* Reports every queued request with status (and why, when given). */
static void fail_pending(dc_client_t *c, int status, const char *why) {
  dc_request_t *req;
  while ((req = pop_pending(c))) {
    if (why)
      snprintf(req->error, sizeof(req->error), "%s", why);
    finish_request(req, status, NULL);
  }
}

/* Runs the close callback once the last connection and the kick handle are gone. */
static void maybe_closed(dc_client_t *c) {
  if (c->nconns == 0 && !c->kick_open && !c->resolving && c->close_cb) {
    void (*cb)(dc_client_t *) = c->close_cb;
    c->close_cb = NULL;
    cb(c);
  }
}

static void on_kick_closed(uv_handle_t *h) {
  dc_client_t *c = h->data;
  c->kick_open = false;
  maybe_closed(c);
}

static void on_close(uv_handle_t *h) {
  dc_conn_t *conn = h->data;
  dc_client_t *c = conn->client;
  for (dc_conn_t **pp = &c->conns; *pp; pp = &(*pp)->next) {
    if (*pp == conn) {
      *pp = conn->next;
      break;
    }
  }
  c->nconns--;
  dc_http_parser_free(&conn->parser);
  free(conn);
  if (c->closing) {
    maybe_closed(c);
    return;
  }
  start_pending(c);
}

static void conn_close(dc_conn_t *conn) {
  if (conn->state == C_CLOSING)
    return;
  conn->state = C_CLOSING;
  uv_close(&conn->h.handle, on_close);
}

/* Closes the connection and reports its request, if it carries one, with status and why (a
 * reason copied into req->error; NULL leaves it empty). The connection is closed first, so a
 * callback that sends again never gets this connection back; why may point into the
 * connection (its parser's error), which lives until on_close. */
static void conn_fail(dc_conn_t *conn, int status, const char *why) {
  dc_request_t *req = conn->req;
  conn_close(conn);
  if (!req)
    return;
  conn->req = NULL;
  if (why)
    snprintf(req->error, sizeof(req->error), "%s", why);
  finish_request(req, status, NULL);
}

static void start_request(dc_conn_t *conn, dc_request_t *req);

static void conn_release(dc_conn_t *conn, bool reusable) {
  if (!reusable || conn->client->closing) {
    conn_close(conn);
    return;
  }
  conn->state = C_IDLE;
  conn->reused = true;
  dc_client_t *c = conn->client;
  dc_request_t *req = pop_pending(c);
  if (req)
    start_request(conn, req);
}

static void complete(dc_conn_t *conn, bool extra) {
  dc_request_t *req = conn->req;
  /* Move the response out of the parser first: the callback may send a request that reuses
   * this very connection, which resets the parser. */
  dc_http_response_t resp = conn->parser.resp;
  conn->parser.resp.body = NULL;
  conn->parser.body_alloc = 0;
  conn->req = NULL;
  bool reusable = resp.keep_alive && !extra;
  if (reusable && conn->writing)
    /* The reply came in before libuv reported the request written: a request sent from the
     * idle phase has its write callback queued for the next turn of the loop, and a fast engine
     * answers within the same turn. The connection is released in on_write rather than closed
     * here: closing cost a connection per request, and on a root-only socket, whose
     * connections cannot be replaced, the run lost them all within a dozen requests (Podman). */
    conn->release_after_write = true;
  else
    conn_release(conn, reusable);
  finish_request(req, 0, &resp);
  free(resp.body);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  dc_conn_t *conn = h->data;
  buf->base = conn->rbuf;
  buf->len = sizeof(conn->rbuf);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  dc_conn_t *conn = s->data;
  if (conn->state == C_CLOSING)
    return;
  if (nread > 0) {
    if (!conn->req) {
      /* Bytes nobody asked for: this connection cannot be trusted any more. */
      conn_close(conn);
      return;
    }
    conn->got_bytes = true;
    bool extra;
    int rc = dc_http_parser_feed(&conn->parser, buf->base, (size_t)nread, &extra);
    if (rc == DC_HTTP_DONE) {
      complete(conn, extra);
    } else if (rc < 0) {
      conn_fail(conn, -EPROTO, conn->parser.error);
    }
    return;
  }
  if (nread == 0)
    return;
  /* EOF or a read error. */
  dc_request_t *req = conn->req;
  if (!req) {
    conn_close(conn);
    return;
  }
  if (nread == UV_EOF && dc_http_parser_eof(&conn->parser) == DC_HTTP_DONE) {
    complete(conn, false);
    return;
  }
  /* A kept-alive connection the engine closed just as we reused it: nothing was answered, so
   * a read-only request is safe to send again on a fresh connection. */
  if (conn->reused && !conn->got_bytes && strcmp(req->method, "GET") == 0 && req->retries == 0) {
    req->retries++;
    conn->req = NULL;
    req->conn = NULL;
    push_pending_front(conn->client, req);
    conn_close(conn); /* on_close starts the pending request */
    return;
  }
  const char *why = nread == UV_EOF ? (conn->got_bytes ? conn->parser.error : "connection closed by the engine")
                                    : uv_strerror((int)nread);
  int status = nread == UV_EOF ? -EPROTO : (int)nread;
  conn_fail(conn, status, why);
}

static void on_write(uv_write_t *w, int status) {
  dc_conn_t *conn = w->data;
  conn->writing = false;
  if (conn->state == C_CLOSING)
    return;
  if (status < 0) {
    conn_fail(conn, status, uv_strerror(status));
  } else if (!conn->req && conn->state == C_BUSY) {
    bool release = conn->release_after_write;
    conn->release_after_write = false;
    if (release)
      conn_release(conn, true);
    else
      conn_close(conn);
  }
}

static void start_request(dc_conn_t *conn, dc_request_t *req) {
  conn->req = req;
  conn->state = C_BUSY;
  conn->got_bytes = false;
  conn->release_after_write = false;
  req->conn = conn;
  dc_http_parser_free(&conn->parser);
  dc_http_parser_init(&conn->parser, req->body_cap ? req->body_cap : DC_HTTP_MAX_BODY);
  int n = dc_http_format_request(conn->wbuf, sizeof(conn->wbuf), req->method, req->path,
                                 conn->client->host_header);
  if (n < 0) {
    conn_fail(conn, n, "request too long");
    return;
  }
  dc_debug("-> %s %s", req->method, req->path);
  uv_buf_t b = uv_buf_init(conn->wbuf, (unsigned)n);
  conn->write_req.data = conn;
  int rc = uv_write(&conn->write_req, &conn->h.stream, &b, 1, on_write);
  if (rc < 0) {
    conn_fail(conn, rc, uv_strerror(rc));
    return;
  }
  conn->writing = true;
}

/* The connection is open: read, and send the request it was opened for. */
static void conn_ready(dc_conn_t *conn) {
  int rc = uv_read_start(&conn->h.stream, on_alloc, on_read);
  if (rc < 0) {
    conn_fail(conn, rc, uv_strerror(rc));
    return;
  }
  dc_request_t *req = conn->req;
  conn->req = NULL;
  start_request(conn, req);
}

static void on_connect(uv_connect_t *cr, int status) {
  dc_conn_t *conn = cr->data;
  if (conn->state == C_CLOSING)
    return;
  if (status < 0) {
    conn_fail(conn, status, uv_strerror(status));
    return;
  }
  conn_ready(conn);
}

/* Opens a connection for req. Returns 0 when req went to the new connection (any later failure
 * is reported through its callback), or a negative code when no connection could be made (req
 * untouched: the caller reports it). */
static int conn_open(dc_client_t *c, dc_request_t *req) {
  const dc_config_t *cfg = c->cfg;
  /* Only the state is zeroed, not the buffers (wbuf and rbuf, the last members): each is
   * written before it is read (a request's bytes, each read's), so their pages are touched only
   * as far as that, and a run does not clear 24 KiB per connection. */
  dc_conn_t *conn = malloc(sizeof(*conn));
  if (!conn)
    return UV_ENOMEM;
  memset(conn, 0, offsetof(dc_conn_t, wbuf));
  conn->client = c;
  conn->state = C_CONNECTING;
  int rc;
  if (cfg->host_kind == DC_HOST_TCP && !c->adopted) {
    rc = uv_tcp_init(c->loop, &conn->h.tcp);
  } else {
    rc = uv_pipe_init(c->loop, &conn->h.pipe, 0);
  }
  if (rc < 0) {
    free(conn);
    return rc;
  }
  conn->h.handle.data = conn;
  conn->connect_req.data = conn;
  conn->next = c->conns;
  c->conns = conn;
  c->nconns++;
  conn->req = req;
  req->conn = conn;

  if (c->adopted) {
    /* Connected before the privilege drop. It may have waited a while, so a read-only request
     * that finds it closed is retried on another, as on a kept-alive connection. */
    int fd = c->spare[--c->nspare];
    conn->reused = true;
    rc = uv_pipe_open(&conn->h.pipe, fd);
    if (rc < 0) {
      close(fd);
      conn_fail(conn, rc, uv_strerror(rc));
      return 0;
    }
    conn_ready(conn);
  } else if (cfg->host_kind == DC_HOST_TCP) {
    uv_tcp_nodelay(&conn->h.tcp, 1);
    rc = uv_tcp_connect(&conn->connect_req, &conn->h.tcp, (const struct sockaddr *)&c->addr, on_connect);
    if (rc < 0)
      conn_fail(conn, rc, uv_strerror(rc));
  } else {
    uv_pipe_connect(&conn->connect_req, &conn->h.pipe, cfg->socket_path, on_connect);
  }
  return 0;
}

static void on_resolved(uv_getaddrinfo_t *r, int status, struct addrinfo *ai) {
  dc_client_t *c = r->data;
  c->resolving = false;
  if (status == 0 && ai && ai->ai_addrlen <= sizeof(c->addr)) {
    memcpy(&c->addr, ai->ai_addr, ai->ai_addrlen);
    c->resolved = true;
  } else if (status != UV_EAI_CANCELED) {
    c->resolve_status = status < 0 ? status : UV_EAI_NONAME;
    snprintf(c->resolve_why, sizeof(c->resolve_why), "cannot resolve %.80s: %s", c->cfg->tcp_host,
             uv_strerror(c->resolve_status));
  }
  uv_freeaddrinfo(ai);
  if (c->closing)
    maybe_closed(c);
  else
    start_pending(c);
}

/* tcp://: whether a connection can be opened now. Starts the one resolution the client makes
 * (a numeric address resolves without asking anyone) and says no until it has ended. */
static bool address_ready(dc_client_t *c) {
  if (c->cfg->host_kind != DC_HOST_TCP || c->adopted || c->resolved || c->resolve_status < 0)
    return true;
  if (c->resolving)
    return false;
  struct addrinfo hints = {0};
  char port[8];
  hints.ai_socktype = SOCK_STREAM;
  snprintf(port, sizeof(port), "%d", c->cfg->tcp_port);
  c->resolver.data = c;
  int rc = uv_getaddrinfo(c->loop, &c->resolver, on_resolved, c->cfg->tcp_host, port, &hints);
  if (rc < 0) {
    c->resolve_status = rc;
    snprintf(c->resolve_why, sizeof(c->resolve_why), "cannot resolve %.80s: %s", c->cfg->tcp_host, uv_strerror(rc));
    return true;
  }
  c->resolving = true;
  return false;
}

/* Whether a kept-alive connection is still open at the engine's end. The engine may close one
 * that has been idle (Podman's service: idle for twice its --time, 10 s by default) while the
 * loop is busy, so that its end is not read yet when a request is to go out: one non-blocking
 * peek finds it (0: the end; bytes: ones nobody asked for), so that a request that is not
 * read-only is not written on it, where it would fail and could not be sent again. */
static bool conn_alive(dc_conn_t *conn) {
  uv_os_fd_t fd;
  if (uv_fileno(&conn->h.handle, &fd) < 0)
    return false;
  char b;
  ssize_t n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static void start_pending(dc_client_t *c) {
  while (c->pending_head && !c->closing) {
    dc_conn_t *idle = NULL;
    for (dc_conn_t *conn = c->conns; conn && !idle; conn = conn->next)
      if (conn->state == C_IDLE) {
        if (conn_alive(conn))
          idle = conn;
        else
          conn_close(conn); /* on_close comes back here */
      }
    if (!idle && c->adopted && c->nspare == 0) {
      if (c->nconns > 0)
        return; /* wait for one of the adopted connections to be idle (or closed) */
      fail_pending(c, c->no_conn_status, c->no_conn_why);
      return;
    }
    if (!idle && c->nconns >= (c->max_conns > 0 && c->max_conns < DC_MAX_CONNECTIONS ? c->max_conns : DC_MAX_CONNECTIONS))
      return;
    if (!idle && !address_ready(c))
      return; /* on_resolved starts them */
    if (!idle && c->resolve_status < 0) {
      fail_pending(c, c->resolve_status, c->resolve_why);
      return;
    }
    dc_request_t *req = pop_pending(c);
    if (idle) {
      start_request(idle, req);
    } else {
      int rc = conn_open(c, req);
      if (rc < 0) {
        snprintf(req->error, sizeof(req->error), "%s", uv_strerror(rc));
        finish_request(req, rc, NULL);
      }
    }
  }
}

int dc_client_send(dc_client_t *c, dc_request_t *req) {
  if (c->closing || (c->reads_only && strcmp(req->method, "GET") != 0))
    return UV_ECANCELED;
  req->client = c;
  req->conn = NULL;
  req->next_pending = NULL;
  req->error[0] = '\0';
  if (c->pending_tail)
    c->pending_tail->next_pending = req;
  else
    c->pending_head = req;
  c->pending_tail = req;
  uv_idle_start(&c->kick, on_kick);
  return 0;
}

static void on_kick(uv_idle_t *h) {
  dc_client_t *c = h->data;
  uv_idle_stop(h);
  start_pending(c);
}

/* A resolution not yet picked up by a thread is cancelled; one in progress cannot be. */
static void cancel_resolver(dc_client_t *c) {
  if (c->resolving)
    uv_cancel((uv_req_t *)&c->resolver);
}

void dc_client_abort(dc_client_t *c) {
  c->reads_only = true;
  cancel_resolver(c);
  fail_pending(c, UV_ECANCELED, NULL);
  /* Idle connections carry nothing the engine is working on: they stay for the reads that
   * may follow (on a root-only socket no other connection can be had). */
  dc_conn_t *next;
  for (dc_conn_t *conn = c->conns; conn; conn = next) {
    next = conn->next;
    if (conn->state == C_IDLE)
      continue;
    conn_fail(conn, UV_ECANCELED, "abandoned");
  }
}

void dc_client_close(dc_client_t *c, void (*cb)(dc_client_t *)) {
  c->closing = true;
  c->close_cb = cb;
  close_spares(c);
  cancel_resolver(c);
  fail_pending(c, UV_ECANCELED, NULL);
  for (dc_conn_t *conn = c->conns; conn; conn = conn->next) {
    conn_fail(conn, UV_ECANCELED, "closing");
  }
  if (!uv_is_closing((uv_handle_t *)&c->kick))
    uv_close((uv_handle_t *)&c->kick, on_kick_closed);
}

bool dc_client_stuck(const dc_client_t *c) {
  return c->closing && c->resolving && c->nconns == 0 && !c->kick_open;
}
