/* transport.h: HTTP/1.1 exchanges with the engine over a small pool of libuv connections.
 *
 * Each request gets a connection of its own (an idle kept-alive one or a new one), so
 * independent requests run at the same time. The write side is never shut down: the engine
 * treats a half-close as a disconnect and cancels the request. */
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

/* Called once per request: status 0 with resp, or a negative libuv/errno code with resp NULL
 * (UV_ECANCELED when the client was aborted). resp and its body are valid only during the
 * call unless the callback takes the body (sets resp->body to NULL after taking it). */
typedef void (*dc_request_cb)(dc_request_t *req, int status, dc_http_response_t *resp);

struct dc_request {
  /* Set by the caller. The caller owns the request; it must stay valid until cb runs. */
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
  char error[160]; /* a protocol error's reason, when status is -EPROTO */
};

struct dc_client {
  uv_loop_t *loop;
  const dc_config_t *cfg;
  char host_header[280];
  dc_conn_t *conns; /* every live connection */
  int nconns;
  dc_request_t *pending_head, *pending_tail;
  bool aborting;
  bool closing;
  void (*close_cb)(dc_client_t *);
};

/* Prepares a client for cfg's engine on loop. Opens nothing yet. */
void dc_client_init(dc_client_t *c, uv_loop_t *loop, const dc_config_t *cfg);

/* Starts req. Returns 0 (req->cb will run exactly once), or a negative code when the request
 * could not be started (then the callback never runs). */
int dc_client_send(dc_client_t *c, dc_request_t *req);

/* Abandons every request in flight or queued: their connections are closed (the engine then
 * stops between items) and each callback runs with UV_ECANCELED. Later sends fail. */
void dc_client_abort(dc_client_t *c);

/* Closes every connection; cb runs when the last one is closed (maybe immediately). */
void dc_client_close(dc_client_t *c, void (*cb)(dc_client_t *));

#endif
