/* transport.h: HTTP/1.1 exchanges with the engine over a small pool of libuv connections.
 *
 * Each request gets a connection of its own (an idle kept-alive one or a new one, at most
 * DC_MAX_CONNECTIONS at a time; the rest wait in order), so independent requests run at the
 * same time. The write side is never shut down: the engine treats a half-close as a
 * disconnect and cancels the request.
 *
 * The contract, as in libuv: a request accepted by dc_client_send is reported exactly once,
 * through its callback, and never from inside dc_client_send: failures found while starting it
 * (no address, a refused connect, no connection left) are delivered from the loop like any
 * answer. Only dc_client_abort and dc_client_close report requests from inside the call, with
 * UV_ECANCELED, because the caller asked for exactly that. The client and every request are
 * owned by the caller; the client owns its connections, its libuv handles and any descriptor
 * it adopts. */
#ifndef DC_TRANSPORT_H
#define DC_TRANSPORT_H

#include <stdbool.h>
#include <uv.h>

#include "config.h"
#include "http.h"

#define DC_MAX_CONNECTIONS 8

typedef struct dc_client dc_client_t;
typedef struct dc_request dc_request_t;
typedef struct dc_conn dc_conn_t;

/* Called once per request: status 0 with resp (whatever its HTTP status), or a negative
 * libuv/errno code with resp NULL and req->error saying why (-EPROTO: the reply broke HTTP or
 * the connection closed before it was whole; UV_ECANCELED: aborted or closing). resp and its
 * body are valid only during the call unless the callback takes the body (keeps resp->body and
 * sets it to NULL; it must then free it). The callback may send more requests and may call
 * dc_client_abort or dc_client_close. */
typedef void (*dc_request_cb)(dc_request_t *req, int status, dc_http_response_t *resp);

struct dc_request {
  /* Set by the caller. The caller owns the request; it must stay valid, and must not be sent
   * again, until cb runs. */
  const char *method;
  char path[8192];
  size_t body_cap; /* 0 means DC_HTTP_MAX_BODY */
  dc_request_cb cb;
  void *data;
  /* Private. */
  dc_client_t *client;
  dc_conn_t *conn;
  dc_request_t *next_pending;
  int retries;
  char error[160]; /* why it failed, when cb got a status < 0 (may be empty for UV_ECANCELED) */
};

struct dc_client {
  uv_loop_t *loop;
  const dc_config_t *cfg;
  char host_header[280];
  dc_conn_t *conns; /* every live connection */
  int nconns;
  int max_conns; /* at most this many at once (1 to DC_MAX_CONNECTIONS); 0: DC_MAX_CONNECTIONS */
  dc_request_t *pending_head, *pending_tail;
  uv_idle_t kick; /* starts queued requests from the loop, never inside dc_client_send */
  bool kick_open;
  bool reads_only; /* aborted: only GET requests may still be sent */
  bool closing;
  /* tcp://: the host is resolved once, on libuv's thread pool, before the first connection. */
  uv_getaddrinfo_t resolver;
  bool resolving, resolved;
  int resolve_status; /* < 0: resolution failed, and every request fails with it */
  char resolve_why[160];
  struct sockaddr_storage addr;
  /* Root-only socket: the run lives on connections opened before the privilege drop. */
  bool adopted;
  int nspare;                      /* adopted connections not yet used */
  int spare[DC_MAX_CONNECTIONS];   /* their descriptors */
  int no_conn_status;              /* what a request gets when none is left */
  char no_conn_why[160];
  void (*close_cb)(dc_client_t *);
};

/* Prepares a client for cfg's engine on loop. Opens no connection and cannot fail. cfg is
 * borrowed: it must outlive the client. The client owns one libuv handle from here on, so
 * every initialised client must be closed with dc_client_close before the loop closes. */
void dc_client_init(dc_client_t *c, uv_loop_t *loop, const dc_config_t *cfg);

/* Root-only sockets: hands the client n connections opened (connect only) before the privilege
 * drop. Call it once, after dc_client_init and before the first dc_client_send. The client
 * takes ownership of the descriptors (it closes any beyond DC_MAX_CONNECTIONS at once, the
 * others when their connection closes or in dc_client_close). It then never opens a connection
 * of its own, which would fail unprivileged: requests wait for one of these to be idle, and
 * fail with UV_ECONNRESET and a reason saying the engine closed every connection once none is
 * left. n may be 0 (the connect as root failed with status, a negative errno): every request
 * then fails with status. */
void dc_client_adopt(dc_client_t *c, const int *fds, int n, int status);

/* Queues req; it starts from the loop, on the next iteration. Returns 0 (req->cb will run
 * exactly once, later, from the loop: never inside this call), or UV_ECANCELED when the client
 * is closing, or aborted and req is not a GET (then the callback never runs). A GET whose
 * kept-alive or adopted connection is closed by the engine before any byte of the reply is
 * sent once more, on another connection; other methods are never sent twice. */
int dc_client_send(dc_client_t *c, dc_request_t *req);

/* Abandons every request in flight or queued: their connections are closed (the engine then
 * stops between items) and each callback runs with UV_ECANCELED inside this call. Idle
 * connections stay open. From then on the client sends only GET requests (reads, to learn what
 * the abandoned requests did); anything else is refused by dc_client_send, so nothing that
 * deletes can leave after an abort. */
void dc_client_abort(dc_client_t *c);

/* Closes every connection and the client's handle. Requests in flight or queued are reported
 * with UV_ECANCELED inside this call; later sends are refused. cb (may be NULL) runs once, from
 * the loop, never inside this call, when the last handle is closed; only then may the client's
 * memory be reused. Call it once. A host name still being resolved cannot always be cancelled
 * (the thread waits for the resolver): then cb waits for it too, and dc_client_stuck() says
 * so. */
void dc_client_close(dc_client_t *c, void (*cb)(dc_client_t *));

/* True when the client is closed but for a host-name resolution it could not cancel: the loop
 * would wait for the resolver's own time-out, so the caller may stop the loop and leave. */
bool dc_client_stuck(const dc_client_t *c);

#endif
