/* recon.c: after a cut, what the engine removed before it noticed. */
#include "op.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "report.h"

/*
 * Closing a prune's connection makes the engine stop between two items, and a removal in
 * flight may still complete: either way the reply that would name what went never comes.
 * So the resources the cut operation could have removed (what its selection or the engine's
 * rules pick from the inventory, or the removals in flight) are held against a fresh listing,
 * taken once the engine has had DC_RECON_SETTLE_MS to notice, with GETs only: what is missing
 * was removed and is named like any other removal. A removal in flight whose resource is still
 * listed may yet complete (Podman finishes what it started): it is named as possibly removed.
 * The whole of it fits in DC_RECON_BUDGET_MS from the cut, so the run still ends within 0.5 s
 * of it; a listing that is not in by then leaves "not known" in the report. */
#define DC_RECON_SETTLE_MS 150
#define DC_RECON_BUDGET_MS 350

static void on_recon_listing(dc_request_t *req, int status, dc_http_response_t *resp);

/* Collects what op may have removed; false when it had nothing in flight (or the run is dry). */
bool recon_prepare(dc_op_t *op) {
  dc_run_t *run = op->run;
  if (run->cfg->dry_run)
    return false;
  const dc_resource_list_t *from = NULL;
  bool sent = false;
  if (op->inflight > 0 && op->from) {
    from = op->from;
    sent = true;
  } else if (op->prune_inflight) {
    if (op->kind == DC_BUILD_CACHE)
      from = &op->list;
    else if (run->inv[op->kind].state == INV_DONE)
      from = &run->inv[op->kind].list;
  }
  if (!from) {
    if (op->prune_inflight)
      dc_warn("%s: the prune was cut short, with no list to tell what it removed before the engine stopped",
              dc_kind_plural(op->kind));
    return false;
  }
  size_t cap = sent ? DC_DELETE_CONCURRENCY : from->n;
  op->cand = calloc(cap ? cap : 1, sizeof(*op->cand));
  if (!op->cand)
    return false;
  op->ncand = 0;
  if (sent) {
    for (size_t i = 0; i < DC_DELETE_CONCURRENCY; i++)
      if (op->slots[i].busy)
        op->cand[op->ncand++] = op->slots[i].idx;
  } else {
    for (size_t i = 0; i < from->n; i++)
      if (op_selects(op, &from->items[i]))
        op->cand[op->ncand++] = i;
  }
  op->cand_from = from;
  op->cand_sent = sent;
  op->recon = op->ncand > 0;
  return op->recon;
}

/* Ends op's reconciliation: its line goes out (why: the listing's failure, or NULL). */
static void recon_done(dc_op_t *op, const char *why) {
  dc_run_t *run = op->run;
  if (!op->recon)
    return;
  if (why)
    dc_warn("%s: what the engine removed of the %zu it could have removed before the cut is not known (%s)",
            dc_kind_plural(op->kind), op->ncand, why);
  op->recon = false;
  op_report(op);
  if (--run->reconciling == 0) {
    uv_timer_stop(&run->recon_timer);
    run_advance(run);
  }
}

static void on_recon_budget(uv_timer_t *t) {
  dc_run_t *run = t->data;
  for (int k = 0; k < DC_KIND__COUNT; k++)
    recon_done(&run->ops[k], "the engine was not listed in time");
}

static void on_recon_settled(uv_timer_t *t) {
  dc_run_t *run = t->data;
  for (int k = 0; k < DC_KIND__COUNT; k++) {
    dc_op_t *op = &run->ops[k];
    if (!op->recon)
      continue;
    const dc_kind_info_t *kind = dc_kind(op->kind);
    dc_request_t *req = &op->recon_req;
    req->method = "GET";
    req->cb = on_recon_listing;
    req->data = op;
    req->body_cap = 0;
    /* Not run_send_get: the run is past its deadline, and this is a read (the client, aborted,
     * refuses anything else). */
    int rc = dc_api_path(req->path, sizeof(req->path), &run->engine, kind->list_path, kind->list_query);
    if (rc == 0)
      rc = dc_client_send(&run->client, req);
    if (rc < 0)
      recon_done(op, uv_strerror(rc));
  }
  if (run->reconciling > 0) {
    uint64_t now = uv_hrtime();
    uint64_t left = run->recon_end_ns > now ? (run->recon_end_ns - now) / 1000000u : 0;
    uv_timer_start(&run->recon_timer, on_recon_budget, left, 0);
  }
}

static void on_recon_listing(dc_request_t *req, int status, dc_http_response_t *resp) {
  dc_op_t *op = req->data;
  dc_run_t *run = op->run;
  if (run->finished || !op->recon)
    return;
  char err[256];
  dc_resource_list_t now = {0};
  int rc = -EPROTO;
  if (status == 0 && resp->status == 200) {
    rc = dc_kind(op->kind)->decode(resp->body, resp->body_len, &now, err, sizeof(err));
  } else {
    describe_failure(err, sizeof(err), req, status, resp);
  }
  dc_resource_index_t ix = {0};
  if (rc == 0 && dc_resource_index_build(&ix, &now) < 0) {
    rc = -ENOMEM;
    snprintf(err, sizeof(err), "out of memory");
  }
  if (rc < 0) {
    dc_resource_list_free(&now);
    recon_done(op, err);
    return;
  }
  size_t gone = 0, pending = 0;
  int64_t now_s = dc_now_ms() / 1000;
  for (size_t i = 0; i < op->ncand; i++) {
    const dc_resource_t *r = &op->cand_from->items[op->cand[i]];
    if (dc_resource_index_find(&ix, r->id)) {
      if (op->cand_sent) {
        char name[128];
        dc_warn("%s: the removal of %s was in flight at the cut and the engine may still complete it",
                dc_kind_plural(op->kind), shown_name(name, sizeof(name), r));
        pending++;
      }
      continue;
    }
    gone++;
    op->count++;
    if (op->kind == DC_REAP)
      dc_report_reaped(r->id, r->name, r->created_ns == INT64_MIN ? 0 : now_s - r->created_ns / 1000000000, -1);
    else
      dc_report_deleted(op->kind, r->id, r->name, op->kind == DC_IMAGES ? r->size : -1);
  }
  if (!op->cand_sent && gone < op->ncand)
    dc_info("%s: the prune was cut short: the engine removed %zu before it stopped (listed again after the cut)",
            dc_kind_plural(op->kind), gone);
  (void)pending;
  dc_resource_index_free(&ix);
  dc_resource_list_free(&now);
  recon_done(op, NULL);
}

/* Deadline or signal: abandon everything in flight (closing the connections makes the
 * engine stop between items) and report what was done. */

void recon_start(dc_run_t *run) {
  run->recon_end_ns = uv_hrtime() + (uint64_t)DC_RECON_BUDGET_MS * 1000000u;
  dc_api_set_decode_deadline(run->recon_end_ns);
  uv_timer_start(&run->recon_timer, on_recon_settled, DC_RECON_SETTLE_MS, 0);
}
