/* test_transport.c: the connection pool against a tiny HTTP/1.1 server in the same loop.
 *
 * The server is a uv_pipe_t listener on a Unix socket in a fresh temporary directory. It
 * answers every request with a body naming the connection it came on ("c3 r2": third
 * connection accepted, its second request), so a test can tell which requests shared a
 * connection. It can hold its answers until enough connections carry a request, and it can
 * drop a connection that brings a second request without answering (a kept-alive connection
 * the engine closed just as the client reused it). Nothing waits on a clock: the loop runs
 * until a condition holds, and an alarm ends a hung test. Every test ends with
 * uv_loop_close() == 0. */
#include "dc_test.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/un.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "transport.h"

#define NREQ 12

typedef struct srv srv_t;

typedef struct sconn {
  uv_pipe_t pipe;
  srv_t *srv;
  struct sconn *next;
  int id;       /* 1 for the first connection accepted or opened */
  int served;   /* requests answered on this connection */
  bool holding; /* a request waits for its answer */
  bool closing;
  char buf[4096];
  size_t len;
  char method[8];
  char path[256];
} sconn_t;

struct srv {
  uv_loop_t *loop;
  uv_pipe_t listener;
  bool listening;
  sconn_t *conns;
  int nconns;      /* connections ever accepted or opened */
  int accepted;    /* by the listener */
  int open;        /* right now */
  int max_open;
  int requests;    /* received, answered or not */
  int posts;       /* of which POST */
  int hold_until;  /* hold answers until this many connections hold one (0: answer at once) */
  int drop_reused; /* drop this many requests that arrive on a connection that served one */
  int nholding;
};

typedef struct treq {
  dc_request_t req;
  int calls;         /* times the callback ran */
  int calls_inside;  /* of which inside dc_client_send */
  int status;
  int http_status;
  char body[64];
  char error[160];
} treq_t;

typedef struct fixture {
  uv_loop_t loop;
  srv_t srv;
  dc_config_t cfg;
  dc_client_t client;
  char dir[64];
  bool client_closed; /* the test closed the client itself */
  int close_calls;
  int close_calls_inside;
  treq_t r[NREQ];
} fixture_t;

/* Set around every dc_client_send and dc_client_close. */
static bool in_send, in_close;

/* --- the server --- */

static void on_sclose(uv_handle_t *h) {
  sconn_t *sc = h->data;
  srv_t *s = sc->srv;
  for (sconn_t **pp = &s->conns; *pp; pp = &(*pp)->next)
    if (*pp == sc) {
      *pp = sc->next;
      break;
    }
  s->open--;
  free(sc);
}

static void sconn_close(sconn_t *sc) {
  if (sc->closing)
    return;
  if (sc->holding)
    sc->srv->nholding--;
  sc->holding = false;
  sc->closing = true;
  uv_close((uv_handle_t *)&sc->pipe, on_sclose);
}

typedef struct swrite {
  uv_write_t w;
  char data[256];
} swrite_t;

static void on_swrite(uv_write_t *w, int status) {
  (void)status;
  free(w);
}

static void answer(sconn_t *sc) {
  swrite_t *w = calloc(1, sizeof(*w));
  assert_non_null(w);
  char body[64];
  sc->served++;
  int blen = snprintf(body, sizeof(body), "c%d r%d", sc->id, sc->served);
  int n = snprintf(w->data, sizeof(w->data),
                   "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s", blen, body);
  uv_buf_t b = uv_buf_init(w->data, (unsigned)n);
  assert_rc(uv_write(&w->w, (uv_stream_t *)&sc->pipe, &b, 1, on_swrite), 0);
}

static void release_held(srv_t *s) {
  for (sconn_t *sc = s->conns; sc; sc = sc->next)
    if (sc->holding && !sc->closing) {
      sc->holding = false;
      s->nholding--;
      answer(sc);
    }
}

/* A whole request (no body) is in sc->buf: answer, hold or drop it. */
static void on_request(sconn_t *sc) {
  srv_t *s = sc->srv;
  s->requests++;
  if (sscanf(sc->buf, "%7s %255s", sc->method, sc->path) != 2)
    fail_msg("bad request line: %s", sc->buf);
  if (strcmp(sc->method, "POST") == 0)
    s->posts++;
  if (s->drop_reused > 0 && sc->served > 0) {
    s->drop_reused--;
    sconn_close(sc);
    return;
  }
  if (s->hold_until > 0) {
    sc->holding = true;
    if (++s->nholding >= s->hold_until) {
      s->hold_until = 0;
      release_held(s);
    }
    return;
  }
  answer(sc);
}

static void on_salloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  sconn_t *sc = h->data;
  buf->base = sc->buf + sc->len;
  buf->len = sizeof(sc->buf) - 1 - sc->len;
}

static void on_sread(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf) {
  (void)buf;
  sconn_t *sc = st->data;
  if (nread < 0) {
    sconn_close(sc);
    return;
  }
  sc->len += (size_t)nread;
  sc->buf[sc->len] = '\0';
  char *end;
  while (!sc->closing && (end = strstr(sc->buf, "\r\n\r\n"))) {
    size_t used = (size_t)(end + 4 - sc->buf);
    on_request(sc);
    memmove(sc->buf, sc->buf + used, sc->len - used + 1);
    sc->len -= used;
  }
}

static sconn_t *sconn_new(srv_t *s) {
  sconn_t *sc = calloc(1, sizeof(*sc));
  assert_non_null(sc);
  sc->srv = s;
  sc->id = ++s->nconns;
  assert_rc(uv_pipe_init(s->loop, &sc->pipe, 0), 0);
  sc->pipe.data = sc;
  sc->next = s->conns;
  s->conns = sc;
  if (++s->open > s->max_open)
    s->max_open = s->open;
  return sc;
}

static void sconn_start(sconn_t *sc) {
  assert_rc(uv_read_start((uv_stream_t *)&sc->pipe, on_salloc, on_sread), 0);
}

static void on_connection(uv_stream_t *l, int status) {
  srv_t *s = l->data;
  assert_rc(status, 0);
  sconn_t *sc = sconn_new(s);
  assert_rc(uv_accept(l, (uv_stream_t *)&sc->pipe), 0);
  s->accepted++;
  sconn_start(sc);
}

static void srv_close_conns(srv_t *s) {
  for (sconn_t *sc = s->conns; sc; sc = sc->next)
    sconn_close(sc);
}

/* --- the fixture --- */

static int setup(void **state) {
  fixture_t *f = calloc(1, sizeof(*f));
  assert_non_null(f);
  const char *tmp = getenv("TMPDIR");
  snprintf(f->dir, sizeof(f->dir), "%.40s/dc-transport-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  assert_non_null(mkdtemp(f->dir));
  assert_rc(uv_loop_init(&f->loop), 0);
  f->srv.loop = &f->loop;
  f->cfg.host_kind = DC_HOST_UNIX;
  snprintf(f->cfg.socket_path, sizeof(f->cfg.socket_path), "%s/engine.sock", f->dir);
  assert_rc(uv_pipe_init(&f->loop, &f->srv.listener, 0), 0);
  f->srv.listener.data = &f->srv;
  f->srv.listening = true;
  assert_rc(uv_pipe_bind(&f->srv.listener, f->cfg.socket_path), 0);
  assert_rc(uv_listen((uv_stream_t *)&f->srv.listener, 64, on_connection), 0);
  dc_client_init(&f->client, &f->loop, &f->cfg);
  alarm(60); /* a hung test is a failed test */
  *state = f;
  return 0;
}

static void on_client_closed(dc_client_t *c) {
  fixture_t *f = (fixture_t *)((char *)c - offsetof(fixture_t, client));
  f->close_calls++;
  if (in_close)
    f->close_calls_inside++;
}

/* (g) in every test: dc_client_close calls back from the loop, once, and the loop closes clean. */
static int teardown(void **state) {
  fixture_t *f = *state;
  if (!f->client_closed) {
    in_close = true;
    dc_client_close(&f->client, on_client_closed);
    in_close = false;
    assert_i64(f->close_calls, 0);
  }
  if (f->srv.listening)
    uv_close((uv_handle_t *)&f->srv.listener, NULL);
  srv_close_conns(&f->srv);
  assert_rc(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
  assert_i64(f->close_calls, 1);
  assert_i64(f->close_calls_inside, 0);
  assert_true(dc_client_stuck(&f->client) == false);
  assert_rc(uv_loop_close(&f->loop), 0);
  unlink(f->cfg.socket_path);
  rmdir(f->dir);
  alarm(0);
  free(f);
  return 0;
}

static void on_response(dc_request_t *req, int status, dc_http_response_t *resp) {
  treq_t *t = req->data;
  t->calls++;
  if (in_send)
    t->calls_inside++;
  t->status = status;
  snprintf(t->error, sizeof(t->error), "%s", req->error);
  if (resp) {
    t->http_status = resp->status;
    snprintf(t->body, sizeof(t->body), "%s", resp->body ? resp->body : "");
  }
}

static int send_req(fixture_t *f, treq_t *t, const char *method, const char *path) {
  memset(t, 0, sizeof(*t));
  t->req.method = method;
  snprintf(t->req.path, sizeof(t->req.path), "%s", path);
  t->req.cb = on_response;
  t->req.data = t;
  in_send = true;
  int rc = dc_client_send(&f->client, &t->req);
  in_send = false;
  return rc;
}

/* Runs the loop until cond holds. */
#define RUN_UNTIL(f, cond)                                                                                   \
  do {                                                                                                       \
    while (!(cond))                                                                                          \
      uv_run(&(f)->loop, UV_RUN_ONCE);                                                                       \
  } while (0)

static void assert_answered(const treq_t *t, const char *body) {
  assert_i64(t->calls, 1);
  assert_i64(t->calls_inside, 0);
  assert_rc(t->status, 0);
  assert_i64(t->http_status, 200);
  if (body)
    assert_str(t->body, body);
}

/* --- (a) a callback never runs inside dc_client_send --- */

static void test_callback_never_inside_send(void **state) {
  fixture_t *f = *state;
  assert_rc(send_req(f, &f->r[0], "GET", "/_ping"), 0);
  assert_i64(f->r[0].calls, 0);
  RUN_UNTIL(f, f->r[0].calls > 0);
  assert_answered(&f->r[0], "c1 r1");
  assert_str(f->srv.conns->path, "/_ping");
}

static void test_connect_failure_called_back_later(void **state) {
  fixture_t *f = *state;
  /* A socket path with nothing behind it: the connect fails at once. */
  snprintf(f->cfg.socket_path, sizeof(f->cfg.socket_path), "%s/missing.sock", f->dir);
  assert_rc(send_req(f, &f->r[0], "GET", "/_ping"), 0);
  assert_rc(send_req(f, &f->r[1], "DELETE", "/images/x"), 0);
  assert_i64(f->r[0].calls + f->r[1].calls, 0);
  RUN_UNTIL(f, f->r[0].calls > 0 && f->r[1].calls > 0);
  for (int i = 0; i < 2; i++) {
    assert_i64(f->r[i].calls, 1);
    assert_i64(f->r[i].calls_inside, 0);
    assert_rc(f->r[i].status, UV_ENOENT);
  }
  snprintf(f->cfg.socket_path, sizeof(f->cfg.socket_path), "%s/engine.sock", f->dir);
  assert_i64(f->srv.accepted, 0);
}

static int tcp_closed;

static void on_tcp_closed(dc_client_t *c) {
  (void)c;
  tcp_closed++;
}

/* tcp:// to a port bound but not listening: refused at once, reported from the loop after the
 * address is resolved. */
static void test_tcp_refused_called_back_later(void **state) {
  fixture_t *f = *state;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  assert_rc(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
  socklen_t len = sizeof(sin);
  assert_rc(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
  dc_config_t tcp = {.host_kind = DC_HOST_TCP, .tcp_port = ntohs(sin.sin_port)};
  snprintf(tcp.tcp_host, sizeof(tcp.tcp_host), "127.0.0.1");
  dc_client_t c;
  dc_client_init(&c, &f->loop, &tcp);
  treq_t *t = &f->r[0];
  memset(t, 0, sizeof(*t));
  t->req.method = "DELETE";
  snprintf(t->req.path, sizeof(t->req.path), "/containers/x");
  t->req.cb = on_response;
  t->req.data = t;
  in_send = true;
  assert_rc(dc_client_send(&c, &t->req), 0);
  in_send = false;
  assert_i64(t->calls, 0);
  RUN_UNTIL(f, t->calls > 0);
  assert_i64(t->calls, 1);
  assert_i64(t->calls_inside, 0);
  assert_rc(t->status, UV_ECONNREFUSED);
  tcp_closed = 0;
  dc_client_close(&c, on_tcp_closed);
  RUN_UNTIL(f, tcp_closed > 0);
  assert_i64(tcp_closed, 1);
  close(fd);
}

/* --- (b) the pool limit --- */

static void test_pool_limit(void **state) {
  fixture_t *f = *state;
  f->srv.hold_until = DC_MAX_CONNECTIONS;
  for (int i = 0; i < NREQ; i++)
    assert_rc(send_req(f, &f->r[i], "GET", "/containers/json"), 0);
  bool all = false;
  while (!all) {
    uv_run(&f->loop, UV_RUN_ONCE);
    assert_true(f->srv.accepted <= DC_MAX_CONNECTIONS);
    assert_true(f->client.nconns <= DC_MAX_CONNECTIONS);
    all = true;
    for (int i = 0; i < NREQ; i++)
      all = all && f->r[i].calls > 0;
  }
  /* The server answered nothing before it held 8 requests on 8 connections; all 12 were
   * answered, the last 4 on connections that had carried one already. */
  assert_i64(f->srv.accepted, DC_MAX_CONNECTIONS);
  assert_i64(f->srv.max_open, DC_MAX_CONNECTIONS);
  assert_i64(f->srv.requests, NREQ);
  int second = 0;
  for (int i = 0; i < NREQ; i++) {
    assert_answered(&f->r[i], NULL);
    if (strstr(f->r[i].body, " r2"))
      second++;
  }
  assert_i64(second, NREQ - DC_MAX_CONNECTIONS);
}

/* --- (c) keep-alive reuse --- */

static void test_keep_alive_reuse(void **state) {
  fixture_t *f = *state;
  const char *want[] = {"c1 r1", "c1 r2", "c1 r3"};
  for (int i = 0; i < 3; i++) {
    assert_rc(send_req(f, &f->r[i], "GET", "/images/json"), 0);
    RUN_UNTIL(f, f->r[i].calls > 0);
    assert_answered(&f->r[i], want[i]);
  }
  assert_i64(f->srv.accepted, 1);
  assert_i64(f->client.nconns, 1);
}

/* --- (d) a kept-alive connection closed as it is reused --- */

static void test_stale_get_retried_post_not(void **state) {
  fixture_t *f = *state;
  assert_rc(send_req(f, &f->r[0], "GET", "/_ping"), 0);
  RUN_UNTIL(f, f->r[0].calls > 0);
  assert_answered(&f->r[0], "c1 r1");

  /* The engine closes c1 when the next request arrives on it, unanswered: a GET goes again,
   * once, on a new connection. */
  f->srv.drop_reused = 1;
  assert_rc(send_req(f, &f->r[1], "GET", "/images/json"), 0);
  RUN_UNTIL(f, f->r[1].calls > 0);
  assert_answered(&f->r[1], "c2 r1");
  assert_i64(f->srv.accepted, 2);
  assert_i64(f->srv.requests, 3);

  /* The same on c2 for a POST: it may have been acted on, so it fails and is not sent again. */
  f->srv.drop_reused = 1;
  assert_rc(send_req(f, &f->r[2], "POST", "/images/prune"), 0);
  RUN_UNTIL(f, f->r[2].calls > 0);
  assert_i64(f->r[2].calls, 1);
  assert_rc(f->r[2].status, -EPROTO);
  assert_str(f->r[2].error, "connection closed by the engine");
  assert_i64(f->srv.posts, 1);
  assert_i64(f->srv.accepted, 2);
  RUN_UNTIL(f, f->client.nconns == 0);
}

static void test_stale_get_retried_only_once(void **state) {
  fixture_t *f = *state;
  /* Two kept-alive connections... */
  f->srv.hold_until = 2;
  assert_rc(send_req(f, &f->r[0], "GET", "/_ping"), 0);
  assert_rc(send_req(f, &f->r[1], "GET", "/_ping"), 0);
  RUN_UNTIL(f, f->r[0].calls > 0 && f->r[1].calls > 0);
  assert_answered(&f->r[0], NULL);
  assert_answered(&f->r[1], NULL);
  /* ...both closed by the engine as they are reused: the retry finds the second one stale too,
   * and the GET fails rather than go round again. */
  f->srv.drop_reused = 2;
  assert_rc(send_req(f, &f->r[2], "GET", "/images/json"), 0);
  RUN_UNTIL(f, f->r[2].calls > 0);
  assert_i64(f->r[2].calls, 1);
  assert_rc(f->r[2].status, -EPROTO);
  assert_i64(f->srv.requests, 4);
  assert_i64(f->srv.accepted, 2);
}

/* The engine closed an idle kept-alive connection (Podman's service: idle for twice its --time)
 * and the loop has not read its end yet when the next request goes out (the queue starts from
 * the idle phase, before the loop polls): the request goes on a new connection, not on the
 * closed one, where a POST would fail (EPIPE) and could not be sent again. */
static void test_idle_closed_not_reused(void **state) {
  fixture_t *f = *state;
  assert_rc(send_req(f, &f->r[0], "GET", "/_ping"), 0);
  RUN_UNTIL(f, f->r[0].calls > 0);
  assert_answered(&f->r[0], "c1 r1");
  srv_close_conns(&f->srv); /* closes the server's end now; the client learns it only by reading */
  assert_rc(send_req(f, &f->r[1], "POST", "/images/prune"), 0);
  RUN_UNTIL(f, f->r[1].calls > 0);
  assert_answered(&f->r[1], "c2 r1");
  assert_i64(f->srv.posts, 1);
  assert_i64(f->srv.accepted, 2);
  RUN_UNTIL(f, f->client.nconns == 1);
}

/* --- (e) adopted connections --- */

static void test_adopted_connections(void **state) {
  fixture_t *f = *state;
  int fds[2], sv[2][2];
  for (int i = 0; i < 2; i++) {
    assert_rc(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv[i]), 0);
    sconn_t *sc = sconn_new(&f->srv);
    assert_rc(uv_pipe_open(&sc->pipe, sv[i][1]), 0);
    sconn_start(sc);
    fds[i] = sv[i][0];
  }
  dc_client_adopt(&f->client, fds, 2, 0);
  /* Three requests on two connections: the third waits for one to be idle. */
  for (int i = 0; i < 3; i++)
    assert_rc(send_req(f, &f->r[i], "GET", "/containers/json"), 0);
  RUN_UNTIL(f, f->r[0].calls > 0 && f->r[1].calls > 0 && f->r[2].calls > 0);
  for (int i = 0; i < 3; i++)
    assert_answered(&f->r[i], NULL);
  assert_i64(f->srv.accepted, 0); /* no connect of its own */
  assert_i64(f->srv.requests, 3);

  /* The engine closes them all: the next request fails with the status saying so. */
  srv_close_conns(&f->srv);
  RUN_UNTIL(f, f->client.nconns == 0);
  assert_rc(send_req(f, &f->r[3], "GET", "/_ping"), 0);
  assert_i64(f->r[3].calls, 0);
  RUN_UNTIL(f, f->r[3].calls > 0);
  assert_i64(f->r[3].calls_inside, 0);
  assert_rc(f->r[3].status, UV_ECONNRESET);
  assert_contains(f->r[3].error, "closed every connection");
  assert_i64(f->srv.accepted, 0);
}

static void test_adopted_none(void **state) {
  fixture_t *f = *state;
  dc_client_adopt(&f->client, NULL, 0, UV_EACCES);
  assert_rc(send_req(f, &f->r[0], "GET", "/_ping"), 0);
  RUN_UNTIL(f, f->r[0].calls > 0);
  assert_i64(f->r[0].calls_inside, 0);
  assert_rc(f->r[0].status, UV_EACCES);
  assert_contains(f->r[0].error, "as root");
  assert_i64(f->srv.accepted, 0);
}

/* --- (f) abort --- */

static void test_abort(void **state) {
  fixture_t *f = *state;
  /* Two idle connections. */
  f->srv.hold_until = 2;
  assert_rc(send_req(f, &f->r[0], "GET", "/_ping"), 0);
  assert_rc(send_req(f, &f->r[1], "GET", "/_ping"), 0);
  RUN_UNTIL(f, f->r[0].calls > 0 && f->r[1].calls > 0);
  /* One request the engine is working on, one still queued. */
  f->srv.hold_until = 99;
  assert_rc(send_req(f, &f->r[2], "POST", "/images/prune"), 0);
  RUN_UNTIL(f, f->srv.nholding == 1);
  assert_rc(send_req(f, &f->r[3], "DELETE", "/volumes/v"), 0);
  dc_client_abort(&f->client);
  for (int i = 2; i < 4; i++) {
    assert_i64(f->r[i].calls, 1);
    assert_rc(f->r[i].status, UV_ECANCELED);
  }
  /* The busy connection is closed (the engine sees it go), the idle one stays. */
  RUN_UNTIL(f, f->srv.open == 1);
  assert_i64(f->client.nconns, 1);
  assert_i64(f->srv.requests, 3);

  /* Reads still go, on the idle connection; anything else is refused and never called back. */
  f->srv.hold_until = 0;
  assert_rc(send_req(f, &f->r[4], "GET", "/images/json"), 0);
  assert_rc(send_req(f, &f->r[5], "POST", "/containers/prune"), UV_ECANCELED);
  RUN_UNTIL(f, f->r[4].calls > 0);
  assert_answered(&f->r[4], NULL);
  assert_contains(f->r[4].body, " r2");
  assert_i64(f->srv.accepted, 2);
  assert_i64(f->srv.posts, 1);
  assert_i64(f->r[5].calls, 0);
}

/* --- (g) close with a request in flight --- */

static void test_close_in_flight(void **state) {
  fixture_t *f = *state;
  f->srv.hold_until = 99;
  assert_rc(send_req(f, &f->r[0], "GET", "/_ping"), 0);
  RUN_UNTIL(f, f->srv.nholding == 1);
  assert_rc(send_req(f, &f->r[1], "GET", "/_ping"), 0);
  in_close = true;
  dc_client_close(&f->client, on_client_closed);
  in_close = false;
  f->client_closed = true;
  assert_i64(f->close_calls, 0);
  assert_rc(f->r[0].status, UV_ECANCELED);
  assert_rc(f->r[1].status, UV_ECANCELED);
  assert_rc(send_req(f, &f->r[2], "GET", "/_ping"), UV_ECANCELED);
  RUN_UNTIL(f, f->close_calls > 0);
  assert_i64(f->close_calls_inside, 0);
  assert_i64(f->r[2].calls, 0);
}

/* --- (h) a reply that comes in before libuv reports the request written --- */

/* A server on its own thread, answering each request the moment it has read it, so that a
 * reply can be in the client's socket before the client's loop has run its write callback
 * (requests sent from the idle phase have it queued for the next turn). Each connection has a
 * thread of its own; the counts are atomic. */
typedef struct tsrv {
  int fd;
  atomic_int accepted;
  pthread_t acceptor;
} tsrv_t;

static void *tsrv_conn(void *arg) {
  int fd = (int)(intptr_t)arg;
  static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok";
  char buf[4096];
  size_t len = 0;
  for (;;) {
    ssize_t n = read(fd, buf + len, sizeof(buf) - len - 1);
    if (n <= 0)
      break;
    len += (size_t)n;
    buf[len] = '\0';
    char *end;
    while ((end = strstr(buf, "\r\n\r\n"))) {
      if (write(fd, reply, sizeof(reply) - 1) != (ssize_t)(sizeof(reply) - 1))
        goto out;
      size_t used = (size_t)(end + 4 - buf);
      memmove(buf, buf + used, len - used);
      len -= used;
      buf[len] = '\0';
    }
  }
out:
  close(fd);
  return NULL;
}

static void *tsrv_accept(void *arg) {
  tsrv_t *s = arg;
  for (;;) {
    int c = accept(s->fd, NULL, NULL);
    if (c < 0)
      return NULL; /* shut down */
    atomic_fetch_add(&s->accepted, 1);
    pthread_t t;
    if (pthread_create(&t, NULL, tsrv_conn, (void *)(intptr_t)c) != 0) {
      close(c);
      continue;
    }
    pthread_detach(t);
  }
}

static void on_counted(dc_request_t *req, int status, dc_http_response_t *resp) {
  treq_t *t = req->data;
  t->calls++;
  t->status = status;
  t->http_status = resp ? resp->status : 0;
}

static void test_early_reply_keeps_connection(void **state) {
  fixture_t *f = *state;
  /* The in-loop server gives way to the threaded one, on the same path. */
  uv_close((uv_handle_t *)&f->srv.listener, NULL);
  f->srv.listening = false;
  uv_run(&f->loop, UV_RUN_NOWAIT);
  unlink(f->cfg.socket_path);
  tsrv_t s = {.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  assert_true(s.fd >= 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  snprintf(a.sun_path, sizeof(a.sun_path), "%s", f->cfg.socket_path);
  assert_rc(bind(s.fd, (struct sockaddr *)&a, sizeof(a)), 0);
  assert_rc(listen(s.fd, 64), 0);
  assert_rc(pthread_create(&s.acceptor, NULL, tsrv_accept, &s), 0);
  /* 200 rounds of 4 requests sent together (one turn of the loop writes them all). */
  enum { ROUNDS = 200, AT_ONCE = 4 };
  for (int round = 0; round < ROUNDS; round++) {
    for (int i = 0; i < AT_ONCE; i++) {
      treq_t *t = &f->r[i];
      memset(t, 0, sizeof(*t));
      t->req.method = "GET";
      snprintf(t->req.path, sizeof(t->req.path), "/images/%d/json", i);
      t->req.cb = on_counted;
      t->req.data = t;
      assert_rc(dc_client_send(&f->client, &t->req), 0);
    }
    RUN_UNTIL(f, f->r[0].calls && f->r[1].calls && f->r[2].calls && f->r[3].calls);
    for (int i = 0; i < AT_ONCE; i++) {
      assert_rc(f->r[i].status, 0);
      assert_i64(f->r[i].http_status, 200);
    }
  }
  /* Kept alive throughout: never more connections than the pool holds. Closing each one whose
   * reply beat its write callback opened a new one for most requests. */
  int accepted = atomic_load(&s.accepted);
  if (accepted > DC_MAX_CONNECTIONS) {
    print_error("%d connections for %d requests\n", accepted, ROUNDS * AT_ONCE);
    fail();
  }
  shutdown(s.fd, SHUT_RDWR);
  pthread_join(s.acceptor, NULL);
  close(s.fd);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN); /* a write to a closed peer is an error, not the end of the test */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_callback_never_inside_send, setup, teardown),
      cmocka_unit_test_setup_teardown(test_connect_failure_called_back_later, setup, teardown),
      cmocka_unit_test_setup_teardown(test_tcp_refused_called_back_later, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pool_limit, setup, teardown),
      cmocka_unit_test_setup_teardown(test_keep_alive_reuse, setup, teardown),
      cmocka_unit_test_setup_teardown(test_stale_get_retried_post_not, setup, teardown),
      cmocka_unit_test_setup_teardown(test_stale_get_retried_only_once, setup, teardown),
      cmocka_unit_test_setup_teardown(test_idle_closed_not_reused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_adopted_connections, setup, teardown),
      cmocka_unit_test_setup_teardown(test_adopted_none, setup, teardown),
      cmocka_unit_test_setup_teardown(test_abort, setup, teardown),
      cmocka_unit_test_setup_teardown(test_close_in_flight, setup, teardown),
      cmocka_unit_test_setup_teardown(test_early_reply_keeps_connection, setup, teardown),
  };
  return cmocka_run_group_tests_name("transport", tests, NULL, NULL);
}
