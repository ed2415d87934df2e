/* recon.c: after a cut (or a prune's lost answer), what the engine removed before it noticed. */
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
 * taken once the engine has had DC_RECON_SETTLE_MS to notice, with GETs only, and taken again
 * DC_RECON_AGAIN_MS later until two in a row agree (the engine finishes the item it was on
 * when it noticed): what is missing was removed and is named like any other removal. A removal in flight whose resource is still
 * listed may yet complete (Podman finishes what it started): it is named as possibly removed.
 * The whole of it fits in DC_RECON_BUDGET_MS from the cut, so the run still ends within 0.5 s
 * of it; a listing that is not in by then leaves "not known" in the report. */
#define DC_RECON_SETTLE_MS 100
#define DC_RECON_AGAIN_MS 60    /* between two listings */
#define DC_RECON_LISTING_MS 40  /* what one listing is allowed to take, for planning the next */
#define DC_RECON_BUDGET_MS 350

static void on_recon_listing(dc_request_t *req, int status, dc_http_response_t *resp);

/* Collects what op may have removed: its removals in flight, or (prune) what its prune could
 * take; false when there is nothing (or the run is dry). */
static bool collect(dc_op_t *op, bool prune) {
  dc_run_t *run = op->run;
  if (run->cfg->dry_run)
    return false;
  const dc_resource_list_t *from = NULL;
  bool sent = false;
  if (op->inflight > 0 && op->from) {
    from = op->from;
    sent = true;
  } else if (prune) {
    if (op->kind == DC_BUILD_CACHE)
      from = &op->list;
    else if (run->inv[op->kind].state == INV_DONE)
      from = &run->inv[op->kind].list;
  }
  if (!from) {
    if (prune)
      dc_warn("%s: the prune was cut short, with no list to tell what it removed before the engine stopped",
              dc_kind_plural(op->kind));
    return false;
  }
  /* A second reconciliation (a cut in the second pass of a split operation whose first pass
   * lost its prune's answer) starts afresh. */
  free(op->cand);
  op->cand = NULL;
  dc_resource_list_free(&op->recon_last);
  op->recon_listings = op->recon_gone = 0;
  op->recon_lost = false;
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
      if (!from->items[i].doomed && op_selects(op, &from->items[i])) /* doomed: gone already (sched.c) */
        op->cand[op->ncand++] = i;
  }
  op->cand_from = from;
  op->cand_sent = sent;
  op->recon = op->ncand > 0;
  return op->recon;
}

bool recon_prepare(dc_op_t *op) { return collect(op, op->prune_inflight); }

/* Ends op's reconciliation: its line goes out (why: the listing's failure, or NULL). */
static void recon_done(dc_op_t *op, const char *why) {
  dc_run_t *run = op->run;
  if (!op->recon)
    return;
  if (why) {
    dc_warn("%s: what the engine removed of the %zu it could have removed %s is not known (%s)",
            dc_kind_plural(op->kind), op->ncand, op->recon_lost ? "before the answer was lost" : "before the cut", why);
    /* Removals one by one: which ones were in flight is known, so each is named. */
    for (size_t i = 0; op->cand_sent && i < op->ncand; i++) {
      char name[128];
      dc_warn("%s: the removal of %s was in flight at the cut and the engine may still complete it",
              dc_kind_plural(op->kind), shown_name(name, sizeof(name), &op->cand_from->items[op->cand[i]]));
    }
  }
  op->recon = false;
  /* Not over: a split operation's first pass, whose second pass waited for this (plan.c). */
  bool held = !op_terminal(op);
  if (!held)
    op_report(op);
  if (--run->reconciling == 0)
    uv_timer_stop(&run->recon_timer);
  if (held || run->reconciling == 0)
    run_advance(run);
}

static void recon_report(dc_op_t *op);

/* The budget is spent: what was listed is reported; an operation not yet listed is not known. */
static void on_recon_budget(uv_timer_t *t) {
  dc_run_t *run = t->data;
  for (int k = 0; k < DC_KIND__COUNT; k++) {
    dc_op_t *op = &run->ops[k];
    if (op->recon && op->recon_listings > 0)
      recon_report(op);
    else
      recon_done(op, "the engine was not listed in time");
  }
}

/* Lists op's kind again, GETs only. */
static void recon_send(dc_op_t *op) {
  dc_run_t *run = op->run;
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

static void on_recon_again(uv_timer_t *t) {
  dc_op_t *op = t->data;
  if (!op->run->finished && op->recon)
    recon_send(op);
}

static void on_recon_settled(uv_timer_t *t) {
  dc_run_t *run = t->data;
  for (int k = 0; k < DC_KIND__COUNT; k++) {
    dc_op_t *op = &run->ops[k];
    if (!op->recon || op->recon_lost) /* on its own timers, within this budget now */
      continue;
    recon_send(op);
  }
  if (run->reconciling > 0) {
    uint64_t now = uv_hrtime();
    uint64_t left = run->recon_end_ns > now ? (run->recon_end_ns - now) / 1000000u : 0;
    uv_timer_start(&run->recon_timer, on_recon_budget, left, 0);
  }
}

/* Names what op's last listing after the cut shows gone, and ends the reconciliation. */
static void recon_report(dc_op_t *op) {
  dc_resource_index_t ix = {0};
  if (dc_resource_index_build(&ix, &op->recon_last) < 0) {
    recon_done(op, "out of memory");
    return;
  }
  size_t gone = 0;
  int64_t now_s = dc_now_ms() / 1000;
  for (size_t i = 0; i < op->ncand; i++) {
    const dc_resource_t *r = &op->cand_from->items[op->cand[i]];
    if (dc_resource_index_find(&ix, r->id)) {
      if (op->cand_sent) {
        char name[128];
        dc_warn("%s: the removal of %s was in flight at the cut and the engine may still complete it",
                dc_kind_plural(op->kind), shown_name(name, sizeof(name), r));
      }
      continue;
    }
    gone++;
    op->count++;
    op->cand_from->items[op->cand[i]].doomed = true; /* a second pass must not name it again */
    if (op->kind == DC_REAP)
      dc_report_reaped(r->id, r->name, r->created_ns == INT64_MIN ? 0 : now_s - r->created_ns / 1000000000, -1);
    else
      dc_report_deleted(op->kind, r->id, r->name, op->kind == DC_IMAGES ? r->size : -1);
  }
  if (op->recon_lost)
    dc_info("%s: the prune's answer was lost: the engine removed %zu (listed again)", dc_kind_plural(op->kind), gone);
  else if (!op->cand_sent && gone < op->ncand)
    dc_info("%s: the prune was cut short: the engine removed %zu before it stopped (listed again after the cut)",
            dc_kind_plural(op->kind), gone);
  dc_resource_index_free(&ix);
  recon_done(op, NULL);
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
    if (op->recon_listings > 0)
      recon_report(op); /* the one before is the best there is */
    else
      recon_done(op, err);
    return;
  }
  /* The engine may still be finishing the item it was on when it noticed the cut: list again
   * until two listings in a row agree, while the budget allows one more. */
  size_t gone = 0;
  for (size_t i = 0; i < op->ncand; i++)
    gone += dc_resource_index_find(&ix, op->cand_from->items[op->cand[i]].id) == NULL;
  dc_resource_index_free(&ix);
  bool settled = op->recon_listings > 0 && gone == op->recon_gone;
  op->recon_listings++;
  op->recon_gone = gone;
  dc_resource_list_free(&op->recon_last);
  op->recon_last = now;
  uint64_t after_next = uv_hrtime() + (uint64_t)(DC_RECON_AGAIN_MS + DC_RECON_LISTING_MS) * 1000000u;
  if (!settled && after_next < op->recon_end_ns)
    uv_timer_start(&op->retry_timer, on_recon_again, DC_RECON_AGAIN_MS, 0);
  else
    recon_report(op);
}

/* Deadline or signal: abandon everything in flight (closing the connections makes the
 * engine stop between items) and report what was done. */

void recon_start(dc_run_t *run) {
  run->recon_end_ns = uv_hrtime() + (uint64_t)DC_RECON_BUDGET_MS * 1000000u;
  for (int k = 0; k < DC_KIND__COUNT; k++) {
    dc_op_t *op = &run->ops[k];
    if (op->recon && (!op->recon_lost || op->recon_end_ns > run->recon_end_ns))
      op->recon_end_ns = run->recon_end_ns;
  }
  dc_api_set_decode_deadline(run->recon_end_ns);
  uv_timer_start(&run->recon_timer, on_recon_settled, DC_RECON_SETTLE_MS, 0);
}

/* The prune's connection broke after it was sent (or a proxy answered for the engine, or the
 * answer cannot be read): the engine may have removed any of what it would, and may still be
 * removing (it stops between two items when it notices the closed connection). As after a
 * cut: once it has had DC_RECON_SETTLE_MS, list until two listings agree, within
 * DC_RECON_BUDGET_MS, and name what is gone; the run goes on meanwhile. The prune is not sent
 * again: the operation stays failed, and what it left is for the next run. */
bool recon_after_lost_answer(dc_op_t *op) {
  if (op->recon || !collect(op, true))
    return false;
  op->recon_lost = true;
  op->recon_end_ns = uv_hrtime() + (uint64_t)DC_RECON_BUDGET_MS * 1000000u;
  op->run->reconciling++;
  uv_timer_start(&op->retry_timer, on_recon_again, DC_RECON_SETTLE_MS, 0);
  return true;
}
