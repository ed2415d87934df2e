/* op.c: an operation's state: how it ends (a split one's first pass waits for its second) and
 * is reported, its requests and their bounded retries, the deadline and the way back into the
 * schedule, and its selection (the rules of select.c, with the facts of the run). */
#include "op.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "report.h"
#include "text.h"

/* The one way back into the schedule: every handler ends here once it has recorded its
 * outcome; plan.c set run->advance to its advance(). */
void run_advance(dc_run_t *run) { run->advance(run); }

/* The deadline, checked where work starts and not only when its timer fires: libuv runs due
 * timers only between callbacks, while a reply's decode and the selection run inside one, so a
 * request could otherwise leave long after the deadline. Before every request and between
 * phases the monotonic clock is read; once past the deadline the run is stopping and nothing
 * more is sent. The abandonment itself (stop) then runs from the loop at once, through the
 * deadline timer re-armed to 0, rather than under a caller whose state it would free.
 * Returns true when nothing may be sent. */
bool run_past_deadline(dc_run_t *run) {
  if (run->stopping)
    return true;
  if (uv_hrtime() < run->deadline_ns)
    return false;
  run->stopping = true;
  uv_timer_start(&run->deadline, run->on_deadline, 0, 0);
  return true;
}

bool op_terminal(const dc_op_t *op) { return op->status >= OP_OK; }

static const char *status_name(dc_op_status_t s) {
  switch (s) {
  case OP_OK:
    return "ok";
  case OP_FAILED:
    return "failed";
  case OP_SKIPPED:
    return "skipped";
  case OP_TIMEOUT:
    return "timeout";
  default:
    return "pending";
  }
}

/* The operation's line (and its warning); op_end's, unless the operation was cut short while
 * removing, when it waits for the listing that tells what the engine removed. */
void op_report(const dc_op_t *op) {
  long long dur = op->start_ms ? dc_now_ms() - op->start_ms : 0;
  if (op->status == OP_FAILED || op->status == OP_TIMEOUT)
    dc_warn("%s: %s", dc_kind_plural(op->kind), op->error);
  else if (op->status == OP_SKIPPED)
    dc_info("%s skipped: %s", dc_kind_plural(op->kind), op->error);
  dc_report_operation(op->kind, status_name(op->status), op->count, op->bytes, dur, op->error);
}

/* A split operation (sched.c): true when the outcome is only the end of its first pass, which
 * then waits (OP_WAITING) for its second once the containers are done; a second pass's OP_OK
 * becomes the first pass's failure, whose reason is still in op->error. */
static bool first_pass_held(dc_op_t *op, dc_op_status_t *status) {
  if (!op->split || op->run->stopping)
    return false;
  if (op->pass == 1 && (*status == OP_OK || *status == OP_FAILED)) {
    if (op->pass1_status != OP_FAILED) /* a failed round's reason stays, as its outcome */
      op->pass1_status = *status;
    op->status = OP_WAITING;
    dc_debug("%s: first pass done (%s), waiting for the containers", dc_kind_plural(op->kind),
             *status == OP_OK ? "ok" : "failed");
    return true;
  }
  if (op->pass == 2 && *status == OP_OK && op->pass1_status == OP_FAILED)
    *status = OP_FAILED;
  return false;
}

/* Records an operation's outcome and reports it; the one place an operation ends. */
void op_end(dc_op_t *op, dc_op_status_t status, const char *fmt, ...) {
  if (op_terminal(op))
    return;
  bool held = first_pass_held(op, &status);
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(op->error, sizeof(op->error), fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof(op->error))
      dc_utf8_trim(op->error); /* the cut may fall inside a character of a name */
  }
  if (held)
    return;
  op->status = status;
  if (!op->recon)
    op_report(op);
}

/* Why a request failed, in words: the transport's reason, or the engine's message. */
void describe_failure(char *out, size_t cap, const dc_request_t *req, int status,
                             const dc_http_response_t *resp) {
  if (status < 0) {
    dc_printable(out, cap, req->error[0] ? req->error : uv_strerror(status));
    return;
  }
  char msg[200];
  dc_api_error_message(resp->body, resp->body_len, msg, sizeof(msg));
  snprintf(out, cap, "HTTP %d%s%s", resp->status, msg[0] ? ": " : "", msg);
}

/* The answer to a removal or a prune does not say what the engine did: the connection broke
 * after the request went (a proxy or the engine's side dropped it, a reply that is not HTTP),
 * or a server error, which a proxy in front of the engine may send while the engine goes on.
 * The engine may have removed what was asked; the caller asks it. Not for a request that never
 * reached the engine (refused, no socket) or that the run abandoned. */
bool answer_lost(int status, const dc_http_response_t *resp) {
  if (status < 0)
    return status != UV_ECANCELED && status != UV_ECONNREFUSED && status != UV_ENOENT && status != UV_EACCES;
  return resp->status >= 500;
}

/* A resource as messages name it: its name (else its ID) from the engine, made one printable
 * line of at most cap - 1 bytes, cut between characters. Returns out. */
const char *shown_name(char *out, size_t cap, const dc_resource_t *r) {
  dc_printable(out, cap, r->name ? r->name : r->id);
  return out;
}

int run_send_get(dc_run_t *run, dc_request_t *req, const char *endpoint, const char *query,
                    dc_request_cb cb, void *data) {
  if (run_past_deadline(run))
    return UV_ECANCELED;
  req->method = "GET";
  req->cb = cb;
  req->data = data;
  req->body_cap = 0;
  int rc = dc_api_path(req->path, sizeof(req->path), &run->engine, endpoint, query);
  if (rc == 0)
    rc = dc_client_send(&run->client, req);
  return rc;
}

/* The retry timer of a listing the engine was too busy to give: asks again. */
static void on_listing_again(uv_timer_t *t) {
  dc_op_t *op = t->data;
  if (op->run->finished || op_terminal(op))
    return;
  dc_request_t *req = op->retry_req;
  op->retry_req = NULL;
  int rc = run_past_deadline(op->run) ? UV_ECANCELED : dc_client_send(&op->run->client, req);
  if (rc < 0) {
    /* Report it as the listing's own failure, through the one path that handles those. */
    snprintf(req->error, sizeof(req->error), "%s", uv_strerror(rc));
    req->cb(req, rc, NULL);
  }
}

bool op_backoff(dc_op_t *op, dc_request_t *req, const char *why, uv_timer_cb again) {
  if (op->attempts >= DC_PRUNE_RETRIES || op->run->stopping || op->retry_req)
    return false;
  uint64_t delay = (uint64_t)DC_PRUNE_BACKOFF_MS << op->attempts;
  op->attempts++;
  op->retry_req = req;
  dc_log(req ? DC_LOG_DEBUG : DC_LOG_INFO, "%s: %s; %s in %llu ms", dc_kind_plural(op->kind), why,
         req ? "asking again" : "retrying", (unsigned long long)delay);
  uv_timer_start(&op->retry_timer, again, delay, 0);
  return true;
}

bool op_schedule_retry(dc_op_t *op, dc_request_t *req, const char *why) {
  return op_backoff(op, req, why, on_listing_again);
}

/* True when the reply has this status and the engine's message contains needle: some
 * conditions are told apart only by their text (Podman's 500s, Docker's busy disk usage). */
bool error_says(const dc_http_response_t *resp, int http_status, const char *needle) {
  if (resp->status != http_status)
    return false;
  char msg[512];
  dc_api_error_message(resp->body, resp->body_len, msg, sizeof(msg));
  return strstr(msg, needle) != NULL;
}

/* Podman answers 500 "no such container" (image, network, volume) for an item a concurrent
 * prune or removal took first. For an image, Podman 5 may instead answer 500 "normalizing
 * image: normalizing name ... invalid repository name (ID), cannot specify 64-byte hexadecimal
 * strings": the ID no longer names an image, so it was read as a repository name, which 64
 * hex digits cannot be. Only image references are normalized, and only on Podman. */
bool gone_on_podman(const dc_run_t *run, const dc_http_response_t *resp) {
  return run->engine.podman && (error_says(resp, 500, "no such ") || error_says(resp, 500, "invalid repository name"));
}

/* --- an operation's selection --- */

/* The containers against which use is judged. A client-side real run lists them afresh
 * after the container prune (op->aux_list); a dry run, and the check before a daemon prune,
 * use the inventory, in which the containers the run removes (or would) are doomed. Only for
 * images and networks, and volumes in a dry run: a real run's volume op keeps the volume
 * sizes in its aux_list. */
const dc_resource_list_t *op_judged_against(const dc_op_t *op) {
  const dc_run_t *run = op->run;
  return run->cfg->dry_run || !op->client_side || op_judges_by_inventory(op) ? &run->inv[DC_CONTAINERS].list
                                                                             : &op->aux_list;
}

bool op_judges_by_inventory(const dc_op_t *op) {
  const dc_run_t *run = op->run;
  /* The first pass, or the only one (the containers were done before it started: no
   * container listing either then, as the per-type schedule's network prune has none). */
  return op->by_sched && op->pass != 2 && op->kind == DC_NETWORKS && !run->engine.podman &&
         run->inv[DC_CONTAINERS].state == INV_DONE;
}

/* The sets a selection looks things up in, built once per operation: the images the
 * remaining containers use; in a dry run, the volumes they mount and those the reaper's
 * containers take with them. Returns 0 or -ENOMEM. */
int op_use_sets(dc_op_t *op) {
  return dc_select_use_sets(op->kind, op->run->cfg->dry_run, op_judged_against(op), &op->used, &op->reaped_mounts);
}

/* What the rules know of the engine for op. */
dc_facts_t op_facts(const dc_op_t *op, int64_t now_ns) {
  return (dc_facts_t){.podman = op->run->engine.podman,
                      .containers = op->kind == DC_NETWORKS ? op_judged_against(op) : NULL,
                      .used = &op->used,
                      .reaped_mounts = &op->reaped_mounts,
                      .now_ns = now_ns};
}

/* The daemon's own rules, applied to one listed resource. */
bool op_selects(const dc_op_t *op, const dc_resource_t *r) {
  dc_facts_t f = op_facts(op, 0);
  return dc_selects(op->kind, r, op->run->cfg, &f);
}

/* Past the deadline the answer is yes: the prune that follows is then not sent anyway. */
bool op_any_selected(const dc_op_t *op, const dc_resource_list_t *l) {
  for (size_t i = 0; i < l->n; i++)
    if (run_past_deadline(op->run) || op_selects(op, &l->items[i]))
      return true;
  return false;
}

/* The daemon's prune when it may remove something; otherwise the operation ends here, having
 * removed nothing. */
