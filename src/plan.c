/* plan.c: the run's state machine.
 *
 * Every event (a reply, a timer, a signal) ends in advance(), which starts whatever has
 * become possible and finishes the run when nothing is left. Only advance() and finish()
 * decide what happens next; the handlers just record outcomes. */
#include "plan.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "privdrop.h"
#include "report.h"
#include "select.h"
#include "text.h"

static void advance(dc_run_t *run);
static void on_deadline(uv_timer_t *t);

/* The deadline, checked where work starts and not only when its timer fires: libuv runs due
 * timers only between callbacks, while a reply's decode and the selection run inside one, so a
 * request could otherwise leave long after the deadline. Before every request and between
 * phases the monotonic clock is read; once past the deadline the run is stopping and nothing
 * more is sent. The abandonment itself (stop) then runs from the loop at once, through the
 * deadline timer re-armed to 0, rather than under a caller whose state it would free.
 * Returns true when nothing may be sent. */
static bool past_deadline(dc_run_t *run) {
  if (run->stopping)
    return true;
  if (uv_hrtime() < run->deadline_ns)
    return false;
  run->stopping = true;
  uv_timer_start(&run->deadline, on_deadline, 0, 0);
  return true;
}

static bool terminal(const dc_op_t *op) { return op->status >= OP_OK; }

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
static void op_report(const dc_op_t *op) {
  long long dur = op->start_ms ? dc_now_ms() - op->start_ms : 0;
  if (op->status == OP_FAILED || op->status == OP_TIMEOUT)
    dc_warn("%s: %s", dc_kind_plural(op->kind), op->error);
  else if (op->status == OP_SKIPPED)
    dc_info("%s skipped: %s", dc_kind_plural(op->kind), op->error);
  dc_report_operation(op->kind, status_name(op->status), op->count, op->bytes, dur, op->error);
}

static void op_end(dc_op_t *op, dc_op_status_t status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Records an operation's outcome and reports it; the one place an operation ends. */
static void op_end(dc_op_t *op, dc_op_status_t status, const char *fmt, ...) {
  if (terminal(op))
    return;
  op->status = status;
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(op->error, sizeof(op->error), fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof(op->error))
      dc_utf8_trim(op->error); /* the cut may fall inside a character of a name */
  }
  if (!op->recon)
    op_report(op);
}

/* Why a request failed, in words: the transport's reason, or the engine's message. */
static void describe_failure(char *out, size_t cap, const dc_request_t *req, int status,
                             const dc_http_response_t *resp) {
  if (status < 0) {
    dc_printable(out, cap, req->error[0] ? req->error : uv_strerror(status));
    return;
  }
  char msg[200];
  dc_api_error_message(resp->body, resp->body_len, msg, sizeof(msg));
  snprintf(out, cap, "HTTP %d%s%s", resp->status, msg[0] ? ": " : "", msg);
}

/* A resource as messages name it: its name (else its ID) from the engine, made one printable
 * line of at most cap - 1 bytes, cut between characters. Returns out. */
static const char *shown_name(char *out, size_t cap, const dc_resource_t *r) {
  dc_printable(out, cap, r->name ? r->name : r->id);
  return out;
}

static int send_get(dc_run_t *run, dc_request_t *req, const char *endpoint, const char *query,
                    dc_request_cb cb, void *data) {
  if (past_deadline(run))
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

/* --- inventories taken before deleting, for the audit trail --- */

static void on_inventory(dc_request_t *req, int status, dc_http_response_t *resp) {
  dc_inventory_t *inv = req->data;
  dc_run_t *run = inv->run;
  if (run->finished)
    return;
  char err[256];
  int rc = -EPROTO;
  if (status == 0 && resp->status == 200) {
    rc = dc_kind(inv->kind)->decode(resp->body, resp->body_len, &inv->list, err, sizeof(err));
  } else {
    describe_failure(err, sizeof(err), req, status, resp);
  }
  if (rc == 0) {
    inv->state = INV_DONE;
  } else {
    inv->state = INV_FAILED;
    if (!past_deadline(run))
      dc_warn("could not list %s (%s): the audit trail will lack their names", dc_kind_plural(inv->kind), err);
  }
  advance(run);
}

static void start_inventory(dc_run_t *run, dc_kind_t kind) {
  dc_inventory_t *inv = &run->inv[kind];
  const dc_kind_info_t *k = dc_kind(kind);
  inv->run = run;
  inv->kind = kind;
  inv->state = INV_RUNNING;
  if (send_get(run, &inv->req, k->list_path, k->list_query, on_inventory, inv) < 0)
    inv->state = INV_FAILED;
}

/* --- the daemon's prunes --- */

static void start_prune(dc_op_t *op);

static void on_listing(dc_request_t *req, int status, dc_http_response_t *resp);

static void on_retry_timer(uv_timer_t *t) {
  dc_op_t *op = t->data;
  if (op->run->finished || terminal(op))
    return;
  if (!op->retry_req) {
    start_prune(op);
    return;
  }
  dc_request_t *req = op->retry_req;
  op->retry_req = NULL;
  op->listing++;
  int rc = past_deadline(op->run) ? UV_ECANCELED : dc_client_send(&op->run->client, req);
  if (rc < 0) {
    /* Report it as the listing's own failure, through the one path that handles those. */
    snprintf(req->error, sizeof(req->error), "%s", uv_strerror(rc));
    on_listing(req, rc, NULL);
  }
}

typedef struct named {
  const char *name;
  size_t idx;
} named_t;

static int cmp_named(const void *a, const void *b) {
  const named_t *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* The range [*lo, *hi) of v (sorted by name) whose entries are named name. */
static void named_range(const named_t *v, size_t n, const char *name, size_t *lo, size_t *hi) {
  size_t a = 0, b = n;
  while (a < b) {
    size_t m = a + (b - a) / 2;
    if (strcmp(v[m].name, name) < 0)
      a = m + 1;
    else
      b = m;
  }
  *lo = a;
  for (b = n; a < b;) {
    size_t m = a + (b - a) / 2;
    if (strcmp(v[m].name, name) <= 0)
      a = m + 1;
    else
      b = m;
  }
  *hi = a;
}

/* s as printable ASCII ('?' for anything else), at most cap - 1 bytes: names and IDs come
 * from the engine and must not carry a line break or an escape into the warning. */
static const char *ascii_only(char *buf, size_t cap, const char *s) {
  size_t o = 0;
  for (; *s && o + 1 < cap; s++)
    buf[o++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
  buf[o] = '\0';
  return buf;
}

/* Names the networks a prune removed. The reply gives only names, and engines before API
 * 1.44 allow several networks of one name: the k-th reply entry of a name takes the k-th
 * listed network of that name, so no ID is named twice. When more networks of a name were
 * listed than the reply removed, which ones went cannot be known: those entries keep the
 * bare name, and one warning lists the IDs they were among. O((L + R) log(L + R)). */
static void report_networks(dc_op_t *op, const dc_prune_result_t *r) {
  const dc_resource_list_t *l = &op->run->inv[DC_NETWORKS].list;
  named_t *listed = calloc(l->n ? l->n : 1, sizeof(*listed));
  named_t *reply = calloc(r->n ? r->n : 1, sizeof(*reply));
  size_t *rank = calloc(r->n ? r->n : 1, sizeof(*rank));
  size_t nl = 0;
  if (listed && reply && rank) {
    for (size_t j = 0; j < l->n; j++)
      if (l->items[j].name)
        listed[nl++] = (named_t){l->items[j].name, j};
    for (size_t i = 0; i < r->n; i++)
      reply[i] = (named_t){r->ids[i], i};
    qsort(listed, nl, sizeof(*listed), cmp_named);
    qsort(reply, r->n, sizeof(*reply), cmp_named);
    for (size_t k = 0; k < r->n; k++)
      rank[reply[k].idx] = k; /* made relative to the name's range below */
  }
  for (size_t i = 0; i < r->n; i++) {
    const char *name = r->ids[i], *id = name;
    if (listed && reply && rank) {
      size_t llo, lhi, rlo, rhi;
      named_range(listed, nl, name, &llo, &lhi);
      named_range(reply, r->n, name, &rlo, &rhi);
      size_t nlisted = lhi - llo, nremoved = rhi - rlo, k = rank[i] - rlo;
      if (nlisted > 0 && nlisted <= nremoved) {
        if (k < nlisted)
          id = l->items[listed[llo + k].idx].id;
      } else if (nlisted > 1 && k == 0) {
        char ids[160] = "", one[13], sname[101];
        size_t o = 0, shown = 0;
        for (; shown < nlisted && o + 16 < sizeof(ids); shown++)
          o += (size_t)snprintf(ids + o, sizeof(ids) - o, "%s%s", shown ? ", " : "",
                                ascii_only(one, sizeof(one), l->items[listed[llo + shown].idx].id));
        dc_warn("networks: the engine removed %zu of the %zu networks named %s (%s%s) and names them only by "
                "name: which %s is not known", nremoved, nlisted, ascii_only(sname, sizeof(sname), name), ids,
                shown < nlisted ? ", ..." : "", nremoved == 1 ? "one" : "ones");
      }
    }
    dc_report_deleted(op->kind, id, name, -1);
    op->count++;
  }
  free(listed);
  free(reply);
  free(rank);
}

static void report_prune(dc_op_t *op, const dc_prune_result_t *r) {
  dc_run_t *run = op->run;
  const dc_resource_list_t *names = &run->inv[op->kind].list;
  /* Only container and image replies carry IDs to name; networks are named already. */
  dc_resource_index_t ix = {0};
  if ((op->kind == DC_CONTAINERS || op->kind == DC_IMAGES) && dc_resource_index_build(&ix, names) < 0)
    ix.n = 0; /* no memory for the index: the audit lines lack names, nothing else */
  op->bytes = r->space;
  if (op->kind == DC_IMAGES) {
    for (size_t i = 0; i < r->nuntagged; i++)
      dc_report_untagged(r->untagged[i]);
    /* Deleted mixes image IDs and layer IDs: an image is what the inventory knew. */
    bool known = run->inv[DC_IMAGES].state == INV_DONE;
    for (size_t i = 0; i < r->n; i++) {
      const dc_resource_t *img = dc_resource_index_find(&ix, r->ids[i]);
      if (img || !known) {
        dc_report_deleted(op->kind, r->ids[i], img ? img->name : NULL, img ? img->size : -1);
        op->count++;
      }
    }
    dc_resource_index_free(&ix);
    return;
  }
  if (op->kind == DC_NETWORKS) {
    report_networks(op, r);
    return;
  }
  for (size_t i = 0; i < r->n; i++) {
    const char *id = r->ids[i], *name = NULL;
    if (op->kind == DC_CONTAINERS) {
      /* The index points into the run's own inventory: mark what went, for the later phases. */
      dc_resource_t *c = (dc_resource_t *)dc_resource_index_find(&ix, id);
      name = c ? c->name : NULL;
      if (c)
        c->doomed = true;
    }
    dc_report_deleted(op->kind, id, name, -1);
    op->count++;
  }
  dc_resource_index_free(&ix);
}

/* True when the reply has this status and the engine's message contains needle: some
 * conditions are told apart only by their text (Podman's 500s, Docker's busy disk usage). */
static bool error_says(const dc_http_response_t *resp, int http_status, const char *needle) {
  if (resp->status != http_status)
    return false;
  char msg[512];
  dc_api_error_message(resp->body, resp->body_len, msg, sizeof(msg));
  return strstr(msg, needle) != NULL;
}

/* Podman answers 500 "no such container" (image, network, volume) for an item a concurrent
 * prune or removal took first. */
static bool gone_on_podman(const dc_run_t *run, const dc_http_response_t *resp) {
  return run->engine.podman && error_says(resp, 500, "no such ");
}

/* Another prune got in the way: Docker says 409 (its prune lock is held); Podman has no lock
 * and fails the whole prune when another one removed an item first. */
static bool prune_collided(const dc_run_t *run, const dc_http_response_t *resp) {
  return resp->status == 409 || gone_on_podman(run, resp);
}

/* Schedules req again (NULL: the prune) after the bounded backoff: 0.2 s, doubled each time.
 * Returns false when the attempts are used up or the run is stopping. */
static bool schedule_retry(dc_op_t *op, dc_request_t *req, const char *why) {
  if (op->attempts >= DC_PRUNE_RETRIES || op->run->stopping || op->retry_req)
    return false;
  uint64_t delay = (uint64_t)DC_PRUNE_BACKOFF_MS << op->attempts;
  op->attempts++;
  op->retry_req = req;
  dc_log(req ? DC_LOG_DEBUG : DC_LOG_INFO, "%s: %s; %s in %llu ms", dc_kind_plural(op->kind), why,
         req ? "asking again" : "retrying", (unsigned long long)delay);
  uv_timer_start(&op->retry_timer, on_retry_timer, delay, 0);
  return true;
}

static void on_prune(dc_request_t *req, int status, dc_http_response_t *resp) {
  dc_op_t *op = req->data;
  dc_run_t *run = op->run;
  run->destructive_inflight--;
  op->prune_inflight = false;
  if (run->finished || terminal(op))
    return;
  if (status == 0 && resp->status == 200) {
    dc_prune_result_t r;
    char err[256];
    int rc = dc_api_decode_prune(op->kind, resp->body, resp->body_len, &r, err, sizeof(err));
    if (rc == -ETIMEDOUT) {
      /* The prune ran, but the deadline came before its reply was read. */
      run->cut_destructive = true;
      op_end(op, OP_TIMEOUT, "%s: what the prune removed is not known", err);
    } else if (rc < 0) {
      op_end(op, OP_FAILED, "%s", err);
    } else {
      report_prune(op, &r);
      dc_prune_result_free(&r);
      op_end(op, OP_OK, NULL);
    }
  } else if (status == 0 && prune_collided(run, resp) &&
             schedule_retry(op, NULL, "another prune is running on the engine")) {
    /* The container and network prunes share a daemon lock, and another cleaner may hold
     * it: wait a little and try again, a bounded number of times. A prune is idempotent. */
    return;
  } else if (status == 0 && resp->status == 404 && op->kind == DC_BUILD_CACHE) {
    op_end(op, OP_SKIPPED, "the engine has no build cache API");
  } else {
    char why[256];
    describe_failure(why, sizeof(why), req, status, resp);
    if (status == 0 && prune_collided(run, resp))
      op_end(op, OP_FAILED, "another prune kept the engine busy (%s)", why);
    else
      op_end(op, OP_FAILED, "%s", why);
  }
  advance(run);
}

static void start_prune(dc_op_t *op) {
  dc_run_t *run = op->run;
  const dc_config_t *cfg = run->cfg;
  char *filters;
  char query[sizeof(op->req.path)];
  int rc;
  if (past_deadline(run))
    return; /* stop() ends the operation, from the loop */
  if (op->kind == DC_BUILD_CACHE) {
    /* Build cache records carry no labels: the daemon ignores label filters here. Docker 20.10
     * takes `until` only as a duration (the cut-off's age, counted when sent); Docker 26 takes
     * a timestamp too, and cuts a duration down to whole seconds, which would keep records of
     * the second before the cut-off: it gets the cut-off itself. */
    rc = dc_api_filters_build(cfg, dc_api_version_cmp(run->engine.version, DC_API_BUILD_UNTIL_TS) >= 0 ? DC_F_UNTIL : DC_F_UNTIL_AGE,
                              NULL, &filters);
  } else {
    rc = dc_api_filters_build(cfg, DC_F_UNTIL | DC_F_LABELS | DC_F_PROTECT,
                              op->kind == DC_IMAGES ? (cfg->prune_all ? "false" : "true") : NULL, &filters);
  }
  /* A prune is sent with exactly the filters configured or not at all: one term less would
   * remove more than asked. */
  if (rc < 0) {
    op_end(op, OP_FAILED, "%s: nothing sent",
           rc == -EILSEQ ? "cannot encode the filters (a label is not valid UTF-8)"
           : rc == -ENOMEM ? "out of memory" : "cannot encode the filters");
    return;
  }
  int n = snprintf(query, sizeof(query), "%s%s%s%s", (op->kind == DC_BUILD_CACHE && cfg->prune_all) ? "all=1" : "",
                   (op->kind == DC_BUILD_CACHE && cfg->prune_all && *filters) ? "&" : "", *filters ? "filters=" : "",
                   filters);
  free(filters);
  if (n < 0 || (size_t)n >= sizeof(query)) {
    op_end(op, OP_FAILED, "filters too long (%d bytes encoded): nothing sent", n);
    return;
  }
  op->req.method = "POST";
  op->req.cb = on_prune;
  op->req.data = op;
  op->req.body_cap = 0;
  rc = dc_api_path(op->req.path, sizeof(op->req.path), &run->engine, dc_kind(op->kind)->prune_path, query);
  if (rc == 0)
    rc = dc_client_send(&run->client, &op->req);
  if (rc == 0) {
    run->destructive_inflight++;
    op->prune_inflight = true;
  }
  if (rc < 0)
    op_end(op, run->stopping ? OP_TIMEOUT : OP_FAILED, "%s",
           rc == -ENAMETOOLONG ? "filters too long: nothing sent" : uv_strerror(rc));
}

/* --- client-side selection and per-resource deletion --- */

/* The containers against which use is judged. A client-side real run lists them afresh
 * after the container prune (op->aux_list); a dry run, and the check before a daemon prune,
 * use the inventory, in which the containers the run removes (or would) are doomed. Only for
 * images and networks, and volumes in a dry run: a real run's volume op keeps the volume
 * sizes in its aux_list. */
static const dc_resource_list_t *judged_against(const dc_op_t *op) {
  const dc_run_t *run = op->run;
  return run->cfg->dry_run || !op->client_side ? &run->inv[DC_CONTAINERS].list : &op->aux_list;
}

/* The sets a selection looks things up in, built once per operation: the images the
 * remaining containers use; in a dry run, the volumes they mount and those the reaper's
 * containers take with them. Returns 0 or -ENOMEM. */
static int build_use_sets(dc_op_t *op) {
  return dc_select_use_sets(op->kind, op->run->cfg->dry_run, judged_against(op), &op->used, &op->reaped_mounts);
}


/* What the rules know of the engine for op. */
static dc_facts_t facts_of(const dc_op_t *op, int64_t now_ns) {
  return (dc_facts_t){.podman = op->run->engine.podman,
                      .containers = op->kind == DC_NETWORKS ? judged_against(op) : NULL,
                      .used = &op->used,
                      .reaped_mounts = &op->reaped_mounts,
                      .now_ns = now_ns};
}

/* The daemon's own rules, applied to one listed resource. */
static bool selects(const dc_op_t *op, const dc_resource_t *r) {
  dc_facts_t f = facts_of(op, 0);
  return dc_selects(op->kind, r, op->run->cfg, &f);
}

/* Past the deadline the answer is yes: the prune that follows is then not sent anyway. */
static bool any_selected(const dc_op_t *op, const dc_resource_list_t *l) {
  for (size_t i = 0; i < l->n; i++)
    if (past_deadline(op->run) || selects(op, &l->items[i]))
      return true;
  return false;
}

/* The daemon's prune when it may remove something; otherwise the operation ends here, having
 * removed nothing. */
static void prune_unless_idle(dc_op_t *op, bool may_remove) {
  if (may_remove) {
    start_prune(op);
  } else {
    dc_debug("%s: nothing to prune", dc_kind_plural(op->kind));
    op_end(op, OP_OK, NULL);
  }
}

/* Would the daemon's prune find anything? Judged from the inventory with the daemon's own
 * rules (those of the dry run), since on an idle engine the prunes themselves are most of the
 * run. The answer errs towards yes: without the inventories, or when a container step did not
 * end cleanly (what is still in use is then not known), the prune is sent. */
static bool prune_may_remove(dc_op_t *op) {
  dc_run_t *run = op->run;
  const dc_op_t *containers = &run->ops[DC_CONTAINERS], *reap = &run->ops[DC_REAP];
  if (run->inv[DC_CONTAINERS].state != INV_DONE)
    return true;
  if (op->kind == DC_IMAGES || op->kind == DC_NETWORKS) {
    if (run->inv[op->kind].state != INV_DONE || (containers->selected && containers->status != OP_OK) ||
        (reap->selected && reap->status != OP_OK))
      return true;
  } else if (op->kind != DC_CONTAINERS) {
    return true;
  }
  return build_use_sets(op) < 0 || any_selected(op, &run->inv[op->kind].list);
}

/* The build cache's own check: the records from a typed disk-usage report (API 1.42), a
 * request of a millisecond or two where an empty build prune takes 20-50 ms. Any failure
 * here just sends the prune. */
static void on_build_probe(dc_request_t *req, int status, dc_http_response_t *resp) {
  dc_op_t *op = req->data;
  dc_run_t *run = op->run;
  if (run->finished || terminal(op))
    return;
  char err[256];
  bool may_remove = true;
  if (status == 0 && resp->status == 200 &&
      dc_api_decode_df_build_cache(resp->body, resp->body_len, &op->list, err, sizeof(err)) == 0) {
    /* Kept: should the prune be cut short, it is what the listing after the cut is held to. */
    may_remove = any_selected(op, &op->list);
  }
  prune_unless_idle(op, may_remove);
  advance(run);
}

/* A daemon prune, unless the inventory shows it has nothing to remove. */
static void start_daemon_prune(dc_op_t *op) {
  dc_run_t *run = op->run;
  if (op->kind == DC_BUILD_CACHE) {
    if (dc_api_version_cmp(run->engine.version, DC_API_BUILD_CACHE_DF) < 0 ||
        send_get(run, &op->req, dc_kind(DC_BUILD_CACHE)->list_path, dc_kind(DC_BUILD_CACHE)->list_query, on_build_probe,
                 op) < 0)
      start_prune(op);
    return;
  }
  prune_unless_idle(op, prune_may_remove(op));
}

static void pump_deletes(dc_op_t *op);

/* Sends method prefix<id>suffix?query for the slot's resource (the ID percent-encoded). On
 * success the slot is busy and counted in flight, and cb runs once; on failure nothing is
 * pending and the negative code is returned. */
static int send_slot(dc_op_t *op, dc_delete_slot_t *slot, const char *method, const char *prefix,
                     const char *suffix, const char *query, dc_request_cb cb) {
  dc_run_t *run = op->run;
  if (past_deadline(run))
    return UV_ECANCELED;
  slot->req.method = method;
  slot->req.cb = cb;
  slot->req.data = slot;
  slot->req.body_cap = 1 << 20;
  int rc = dc_api_resource_path(slot->req.path, sizeof(slot->req.path), &run->engine, prefix,
                                op->from->items[slot->idx].id, suffix, query);
  if (rc == 0)
    rc = dc_client_send(&run->client, &slot->req);
  if (rc == 0) {
    slot->busy = true;
    op->inflight++;
    run->destructive_inflight++;
  }
  return rc;
}

/* A removal slot's request has answered: frees the slot and returns its operation, or NULL
 * when the answer no longer matters (the run or the operation is over). */
static dc_op_t *slot_answered(dc_delete_slot_t *slot) {
  dc_op_t *op = slot->op;
  slot->busy = false;
  op->run->destructive_inflight--;
  if (op->run->finished || terminal(op))
    return NULL;
  op->inflight--;
  return op;
}

/* A resource gone: the engine said so, or (dry run) it would have. */
static void record_removed(dc_op_t *op, dc_resource_t *r) {
  r->doomed = true;
  dc_report_deleted(op->kind, r->id, r->name, r->size);
  op->count++;
  if (r->size >= 0)
    op->bytes = dc_bytes_add(op->bytes, r->size);
}

/* A container reaped (stop_ms: its stop's duration, -1 for none), its age counted at now_ns. */
static void record_reaped(dc_op_t *op, dc_resource_t *c, int64_t now_ns, long long stop_ms) {
  c->doomed = c->reaped = true;
  dc_report_reaped(c->id, c->name, (now_ns - c->created_ns) / 1000000000, stop_ms);
  op->count++;
}

/* The one point where a dry run and a real run part: the real run sends the selection's
 * removals (pump), whose answers record them; the dry run records them all as done at once. */
static void act(dc_op_t *op, void (*pump)(dc_op_t *op), int64_t now_ns) {
  if (!op->run->cfg->dry_run) {
    pump(op);
    return;
  }
  for (; op->next < op->nsel; op->next++) {
    dc_resource_t *r = &op->from->items[op->sel[op->next]];
    if (op->kind == DC_REAP)
      record_reaped(op, r, now_ns, -1);
    else
      record_removed(op, r);
  }
  op_end(op, OP_OK, NULL);
}

static void on_delete(dc_request_t *req, int status, dc_http_response_t *resp) {
  dc_delete_slot_t *slot = req->data;
  dc_op_t *op = slot_answered(slot);
  if (!op)
    return;
  dc_run_t *run = op->run;
  dc_resource_t *r = &op->from->items[slot->idx];
  if (status == 0 && (resp->status == 200 || resp->status == 204)) {
    record_removed(op, r);
  } else if (status == 0 && (resp->status == 404 || gone_on_podman(run, resp))) {
    op->gone++; /* removed by someone else meanwhile: nothing left to do */
  } else if (status == 0 && (resp->status == 409 || resp->status == 403)) {
    /* In use (again) since the listing: the engine refused, which is right. Docker says 409
     * for containers, images and volumes, 403 for a network with active endpoints. */
    char msg[200], name[256];
    dc_api_error_message(resp->body, resp->body_len, msg, sizeof(msg));
    dc_info("kept %s %s: %s", dc_kind_singular(op->kind), shown_name(name, sizeof(name), r), msg);
  } else {
    char why[256], name[101];
    describe_failure(why, sizeof(why), req, status, resp);
    op->failures++;
    snprintf(op->last_error, sizeof(op->last_error), "%s %s: %s", dc_kind_singular(op->kind),
             shown_name(name, sizeof(name), r), why);
    dc_warn("could not remove %s", op->last_error);
  }
  pump_deletes(op);
  advance(run);
}

/* Ends a one-by-one operation once every removal has answered. */
static void removals_done(dc_op_t *op) {
  /* Stopping: stop() ends the operation as cut short, whatever is left unsent. */
  if (op->next < op->nsel || op->inflight > 0 || terminal(op) || op->run->stopping)
    return;
  if (op->failures)
    op_end(op, OP_FAILED, "%zu of %zu removals failed; last: %s", op->failures, op->nsel, op->last_error);
  else
    op_end(op, OP_OK, NULL);
}

static void pump_deletes(dc_op_t *op) {
  dc_run_t *run = op->run;
  for (size_t i = 0; i < DC_DELETE_CONCURRENCY && op->next < op->nsel && !past_deadline(run); i++) {
    dc_delete_slot_t *slot = &op->slots[i];
    if (slot->busy)
      continue;
    slot->op = op;
    slot->idx = op->sel[op->next++];
    const dc_resource_t *r = &op->from->items[slot->idx];
    /* An image with several tags can only go by force; it was checked unused just now. */
    const char *query = op->kind == DC_IMAGES && dc_image_tags(r) > 1 ? "force=1" : NULL;
    int rc = send_slot(op, slot, "DELETE", dc_kind(op->kind)->remove_prefix, "", query, on_delete);
    if (rc < 0) {
      op->failures++;
      if (rc == -ENAMETOOLONG)
        snprintf(op->last_error, sizeof(op->last_error), "%s name too long", dc_kind_singular(op->kind));
      else if (rc == -EINVAL)
        snprintf(op->last_error, sizeof(op->last_error), "%s with an invalid ID: not sent", dc_kind_singular(op->kind));
      else
        snprintf(op->last_error, sizeof(op->last_error), "%s", uv_strerror(rc));
    }
  }
  removals_done(op);
}

/* The listings are in: choose, then delete. */
static void select_and_delete(dc_op_t *op) {
  if (op->listing_failed) {
    op_end(op, OP_FAILED, NULL); /* op->error holds the reason */
    return;
  }
  /* Containers are chosen from the inventory itself, so that the later phases see which
   * ones go. */
  dc_resource_list_t *from = op->kind == DC_CONTAINERS ? &op->run->inv[DC_CONTAINERS].list : &op->list;
  op->from = from;
  if (build_use_sets(op) < 0) {
    op_end(op, OP_FAILED, "out of memory");
    return;
  }
  op->sel = calloc(from->n ? from->n : 1, sizeof(size_t));
  if (!op->sel) {
    op_end(op, OP_FAILED, "out of memory");
    return;
  }
  /* A selection can be long (networks: every listed one against every container), so the
   * deadline is checked as it goes; past it, stop() ends the operation. */
  for (size_t i = 0; i < from->n; i++) {
    if (past_deadline(op->run))
      return;
    if (selects(op, &from->items[i]))
      op->sel[op->nsel++] = i;
  }
  dc_debug("%s: %zu of %zu listed selected", dc_kind_plural(op->kind), op->nsel, from->n);
  act(op, pump_deletes, 0);
}

static void on_listing(dc_request_t *req, int status, dc_http_response_t *resp) {
  dc_op_t *op = req->data;
  dc_run_t *run = op->run;
  if (run->finished || terminal(op))
    return;
  op->listing--;
  bool is_aux = req == &op->aux;
  /* Docker computes one disk-usage report at a time and answers a second with 500 "a disk
   * usage operation is already running" (volumes and build cache both ask for one). */
  if (status == 0 && error_says(resp, 500, "already running") &&
      schedule_retry(op, req, "the engine is busy with another disk usage report"))
    return;
  char err[256] = "";
  int rc = -EPROTO;
  if (status == 0 && resp->status == 200) {
    /* The second listing: volume sizes for volumes, the containers for the others. */
    dc_decode_fn decode = !is_aux ? dc_kind(op->kind)->decode
                          : op->kind == DC_VOLUMES ? dc_api_decode_volume_sizes
                                                   : dc_kind(DC_CONTAINERS)->decode;
    rc = decode(resp->body, resp->body_len, is_aux ? &op->aux_list : &op->list, err, sizeof(err));
  } else {
    describe_failure(err, sizeof(err), req, status, resp);
  }
  /* A long decode may have run past the deadline: then nothing is acted on (stop() ends
   * the operation as cut short). */
  if (past_deadline(run))
    return;
  if (rc < 0) {
    if (op->kind == DC_VOLUMES && is_aux) {
      dc_warn("could not read volume sizes (%s): reclaimed space for volumes is not known", err);
    } else {
      op->listing_failed = true;
      snprintf(op->error, sizeof(op->error), "could not list %s: %.256s", dc_kind_plural(op->kind), err);
    }
  }
  if (op->listing > 0)
    return;
  if (op->kind == DC_VOLUMES) {
    /* The sizes were decoded as they came, in whatever order the two replies arrived;
     * applied now that the volume list is in, and no longer needed after. */
    if (!op->listing_failed && dc_api_apply_volume_sizes(&op->list, &op->aux_list) < 0)
      dc_warn("could not read volume sizes (out of memory): reclaimed space for volumes is not known");
    dc_resource_list_free(&op->aux_list);
  }
  select_and_delete(op);
  advance(run);
}

/* Lists the op's own type and, in a real run, the containers as they are now (after the
 * container prune), against which use is judged; a dry run uses the inventory instead. */
static int list_with_containers(dc_op_t *op) {
  dc_run_t *run = op->run;
  const dc_kind_info_t *k = dc_kind(op->kind), *ck = dc_kind(DC_CONTAINERS);
  const bool dry = run->cfg->dry_run;
  op->listing = dry ? 1 : 2;
  int rc = send_get(run, &op->req, k->list_path, k->list_query, on_listing, op);
  if (rc == 0 && !dry && send_get(run, &op->aux, ck->list_path, ck->list_query, on_listing, op) < 0) {
    op->listing = 1;
    op->listing_failed = true;
    snprintf(op->error, sizeof(op->error), "could not list containers");
  }
  return rc;
}

static void start_client_side(dc_op_t *op) {
  dc_run_t *run = op->run;
  const dc_engine_t *e = &run->engine;
  const bool dry = run->cfg->dry_run;
  /* A real run lists what is unused now, after the container prune; a dry run lists
   * everything and works out what that prune would free. */
  const char *dangling = dry ? NULL : "true";
  bool typed_df = dc_api_version_cmp(e->version, DC_API_TYPED_DF) >= 0;
  int rc = 0;
  if (dry && op->kind != DC_BUILD_CACHE && run->inv[DC_CONTAINERS].state != INV_DONE) {
    /* Without the containers, everything would look unused: say nothing rather than wrong. */
    op_end(op, OP_FAILED, "could not list containers, so what is in use is not known");
    return;
  }
  switch (op->kind) {
  case DC_BUILD_CACHE:
    op->listing = 1;
    rc = send_get(run, &op->req, dc_kind(DC_BUILD_CACHE)->list_path, typed_df ? dc_kind(DC_BUILD_CACHE)->list_query : NULL,
                  on_listing, op);
    break;
  case DC_CONTAINERS:
    if (run->inv[DC_CONTAINERS].state != INV_DONE) {
      op_end(op, OP_FAILED, "could not list containers");
      return;
    }
    select_and_delete(op);
    return;
  case DC_NETWORKS:
    rc = list_with_containers(op);
    break;
  case DC_IMAGES:
    rc = list_with_containers(op);
    break;
  case DC_VOLUMES: {
    char *f = NULL;
    char q[256];
    int n = dc_api_filters_build(run->cfg, 0, dangling, &f) < 0
                ? -1
                : snprintf(q, sizeof(q), "%s%s", *f ? "filters=" : "", f);
    free(f);
    if (n < 0 || (size_t)n >= sizeof(q)) {
      op_end(op, OP_FAILED, "cannot build the volume listing's filters: nothing sent");
      return;
    }
    op->listing = 2;
    rc = send_get(run, &op->req, dc_kind(DC_VOLUMES)->list_path, q, on_listing, op);
    /* Volume sizes: only what is needed where the engine can say so (type= from 1.42). */
    const char *dfq = typed_df ? "type=volume" : NULL;
    if (rc == 0 && send_get(run, &op->aux, "/system/df", dfq, on_listing, op) < 0)
      op->listing = 1;
    break;
  }
  default:
    break;
  }
  /* Not sent because the run is stopping: stop() ends the operation, saying why. */
  if (rc < 0 && !run->stopping)
    op_end(op, OP_FAILED, "%s", uv_strerror(rc));
}

/* --- the reaper: labelled containers past their age, running or not --- */

static void pump_reaps(dc_op_t *op);

static int send_reap_step(dc_op_t *op, dc_delete_slot_t *slot);

static void on_reap(dc_request_t *req, int status, dc_http_response_t *resp) {
  dc_delete_slot_t *slot = req->data;
  dc_op_t *op = slot_answered(slot);
  if (!op)
    return;
  dc_run_t *run = op->run;
  dc_resource_t *c = &op->from->items[slot->idx];
  bool ok = status == 0 && (resp->status == 204 || resp->status == 200 || (slot->stopping_first && resp->status == 304));
  if (ok && slot->stopping_first) {
    /* Stopped (or it had stopped by itself: 304): now remove it and its anonymous volumes. */
    slot->stop_ms = dc_now_ms() - slot->t0;
    slot->stopping_first = false;
    if (send_reap_step(op, slot) < 0) {
      char name[101];
      op->failures++;
      snprintf(op->last_error, sizeof(op->last_error), "container %s: cannot send the removal",
               shown_name(name, sizeof(name), c));
    }
  } else if (ok) {
    record_reaped(op, c, dc_now_ns(), slot->stop_ms);
  } else if (status == 0 && resp->status == 404) {
    op->gone++; /* removed by someone else meanwhile */
  } else {
    char why[256], name[101];
    describe_failure(why, sizeof(why), req, status, resp);
    op->failures++;
    snprintf(op->last_error, sizeof(op->last_error), "could not %s container %s: %s",
             slot->stopping_first ? "stop" : "remove", shown_name(name, sizeof(name), c), why);
    dc_warn("%s", op->last_error);
  }
  pump_reaps(op);
  advance(run);
}

static int send_reap_step(dc_op_t *op, dc_delete_slot_t *slot) {
  if (!slot->stopping_first)
    return send_slot(op, slot, "DELETE", dc_kind(DC_REAP)->remove_prefix, "", "v=1&force=1", on_reap);
  char query[32];
  int n = snprintf(query, sizeof(query), "t=%d", op->run->cfg->reap_stop_timeout_s);
  if (n < 0 || (size_t)n >= sizeof(query))
    return -ENAMETOOLONG;
  return send_slot(op, slot, "POST", dc_kind(DC_REAP)->remove_prefix, "/stop", query, on_reap);
}

static void pump_reaps(dc_op_t *op) {
  dc_run_t *run = op->run;
  for (size_t i = 0; i < DC_DELETE_CONCURRENCY && op->next < op->nsel && !past_deadline(run); i++) {
    dc_delete_slot_t *slot = &op->slots[i];
    if (slot->busy)
      continue;
    slot->op = op;
    slot->idx = op->sel[op->next++];
    const dc_resource_t *c = &op->from->items[slot->idx];
    /* Only a running container needs the stop (with its grace); the removal forces the rest. */
    slot->stopping_first = dc_container_running(c);
    slot->t0 = dc_now_ms();
    slot->stop_ms = -1;
    if (send_reap_step(op, slot) < 0) {
      char name[101];
      op->failures++;
      snprintf(op->last_error, sizeof(op->last_error), "container %s: cannot send the request",
               shown_name(name, sizeof(name), c));
    }
  }
  removals_done(op);
}

static void start_reap(dc_op_t *op) {
  dc_run_t *run = op->run;
  if (run->inv[DC_CONTAINERS].state != INV_DONE) {
    op_end(op, OP_FAILED, "could not list containers");
    return;
  }
  op->from = &run->inv[DC_CONTAINERS].list;
  op->sel = calloc(op->from->n ? op->from->n : 1, sizeof(size_t));
  if (!op->sel) {
    op_end(op, OP_FAILED, "out of memory");
    return;
  }
  int64_t now = dc_now_ns();
  dc_facts_t facts = facts_of(op, now);
  for (size_t i = 0; i < op->from->n; i++)
    if (dc_selects(DC_REAP, &op->from->items[i], run->cfg, &facts))
      op->sel[op->nsel++] = i;
  dc_debug("reaper: %zu of %zu containers selected", op->nsel, op->from->n);
  act(op, pump_reaps, now);
}

static void start_op(dc_op_t *op) {
  op->status = OP_RUNNING;
  op->start_ms = dc_now_ms();
  op->bytes = op->client_side || op->kind == DC_REAP ? -1 : 0;
  if (op->kind == DC_REAP)
    start_reap(op);
  else if (op->client_side)
    start_client_side(op);
  else
    start_daemon_prune(op);
}

/* --- the run --- */

static void on_handle_closed(uv_handle_t *h) { (void)h; }

static void close_handle(uv_handle_t *h) {
  if (h->loop && !uv_is_closing(h))
    uv_close(h, on_handle_closed);
}

static void finish(dc_run_t *run) {
  if (run->finished)
    return;
  run->finished = true;
  const dc_config_t *cfg = run->cfg;
  int64_t counts[DC_KIND__COUNT] = {0};
  int64_t bytes = 0, deleted = 0;
  int ok = 0, bad = 0, cut = 0;

  if (run->ping_state != INV_DONE) {
    run->exit_code = 2;
  } else {
    for (int k = 0; k < DC_KIND__COUNT; k++) {
      dc_op_t *op = &run->ops[k];
      if (!op->selected)
        continue;
      if (!terminal(op))
        op_end(op, OP_TIMEOUT, "%s", run->stopping ? "abandoned at the deadline or on a signal" : "not run");
      counts[k] = op->count;
      deleted += op->count;
      if (op->bytes > 0)
        bytes = dc_bytes_add(bytes, op->bytes);
      if (op->status == OP_OK)
        ok++;
      else if (op->status == OP_FAILED || op->status == OP_TIMEOUT)
        bad++;
      if (op->status == OP_TIMEOUT)
        cut++;
    }
    /* Cut short by the deadline or a signal, the status says only whether anything was
     * removed: 1 when something was (or may have been: a prune, stop or removal was in
     * flight), 2 when nothing was. The operations that had ended with nothing to remove do
     * not count, so the answer is the same on every engine, whether it works through the
     * daemon's prunes (Docker) or removals one by one (Podman, negative label filters). */
    if (cut > 0)
      run->exit_code = deleted > 0 || run->cut_destructive ? 1 : 2;
    else
      run->exit_code = bad == 0 ? 0 : (ok > 0 || deleted > 0) ? 1 : 2;
  }
  (void)cfg;
  dc_report_summary(run->exit_code, counts, bytes, dc_now_ms() - run->start_ms);

  close_handle((uv_handle_t *)&run->deadline);
  close_handle((uv_handle_t *)&run->sigterm);
  close_handle((uv_handle_t *)&run->sigint);
  close_handle((uv_handle_t *)&run->recon_timer);
  for (int k = 0; k < DC_KIND__COUNT; k++)
    close_handle((uv_handle_t *)&run->ops[k].retry_timer);
  dc_client_close(&run->client, NULL);
  for (int k = 0; k < DC_KIND__COUNT; k++) {
    dc_op_t *op = &run->ops[k];
    free(op->cand);
    op->cand = NULL;
    dc_resource_list_free(&run->inv[k].list);
    dc_resource_list_free(&op->list);
    dc_resource_list_free(&op->aux_list);
    free(op->sel);
    op->sel = NULL;
    dc_strset_free(&op->used);
    dc_strset_free(&op->reaped_mounts);
  }
}

/* --- after a cut: what the engine removed before it noticed ---
 *
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
#define DC_RECON_BUDGET_MS 420

static void on_recon_listing(dc_request_t *req, int status, dc_http_response_t *resp);

/* Collects what op may have removed; false when it had nothing in flight (or the run is dry). */
static bool recon_prepare(dc_op_t *op) {
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
      if (selects(op, &from->items[i]))
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
    advance(run);
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
    /* Not send_get: the run is past its deadline, and this is a read (the client, aborted,
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
static void stop(dc_run_t *run, const char *why) {
  if (run->finished || run->abandoned)
    return;
  run->stopping = run->abandoned = true;
  /* What the engine did with these is not known: it may have removed items before it
   * noticed the closed connection. */
  run->cut_destructive = run->destructive_inflight > 0;
  dc_warn("%s: abandoning the requests in flight", why);
  for (int k = 0; k < DC_KIND__COUNT; k++) {
    dc_op_t *op = &run->ops[k];
    if (!op->selected || terminal(op))
      continue;
    if (recon_prepare(op))
      run->reconciling++;
    op_end(op, OP_TIMEOUT, "%s", why);
  }
  if (run->ping_state == INV_RUNNING) {
    run->ping_state = INV_FAILED;
    snprintf(run->error, sizeof(run->error), "%s before the engine answered", why);
    dc_error("%s", run->error);
  }
  dc_client_abort(&run->client);
  if (run->reconciling > 0) {
    run->recon_end_ns = uv_hrtime() + (uint64_t)DC_RECON_BUDGET_MS * 1000000u;
    dc_api_set_decode_deadline(run->recon_end_ns);
    uv_timer_start(&run->recon_timer, on_recon_settled, DC_RECON_SETTLE_MS, 0);
  }
  advance(run);
}

static void on_deadline(uv_timer_t *t) {
  dc_run_t *run = t->data;
  char why[64];
  snprintf(why, sizeof(why), "deadline of %.3gs reached", (double)run->cfg->timeout_ms / 1000.0);
  stop(run, why);
}

static void on_signal(uv_signal_t *s, int signum) {
  dc_run_t *run = s->data;
  stop(run, signum == SIGTERM ? "SIGTERM received" : "SIGINT received");
}

static void advance(dc_run_t *run) {
  if (run->finished)
    return;
  if (run->ping_state == INV_RUNNING)
    return;
  if (run->ping_state != INV_DONE) {
    finish(run);
    return;
  }
  dc_op_t *ops = run->ops;
  if (!past_deadline(run)) {
    bool inventory_in = run->inv[DC_CONTAINERS].state != INV_RUNNING;
    if (ops[DC_REAP].selected && ops[DC_REAP].status == OP_WAITING && inventory_in)
      start_op(&ops[DC_REAP]);
    bool reaped = !ops[DC_REAP].selected || terminal(&ops[DC_REAP]);
    if (ops[DC_CONTAINERS].selected && ops[DC_CONTAINERS].status == OP_WAITING && inventory_in && reaped)
      start_op(&ops[DC_CONTAINERS]);
    if (ops[DC_BUILD_CACHE].selected && ops[DC_BUILD_CACHE].status == OP_WAITING)
      start_op(&ops[DC_BUILD_CACHE]);
    bool containers_done = reaped && (!ops[DC_CONTAINERS].selected || terminal(&ops[DC_CONTAINERS]));
    if (containers_done) {
      static const dc_kind_t second[] = {DC_NETWORKS, DC_IMAGES, DC_VOLUMES};
      for (size_t i = 0; i < 3; i++) {
        dc_op_t *op = &ops[second[i]];
        if (op->selected && op->status == OP_WAITING && run->inv[second[i]].state != INV_RUNNING &&
            run->inv[DC_CONTAINERS].state != INV_RUNNING)
          start_op(op);
      }
    }
  }
  for (int k = 0; k < DC_KIND__COUNT; k++) {
    if (ops[k].selected && !terminal(&ops[k]))
      return;
    if (run->inv[k].state == INV_RUNNING)
      return;
  }
  if (run->reconciling > 0)
    return;
  finish(run);
}

static void plan_ops(dc_run_t *run) {
  const dc_config_t *cfg = run->cfg;
  const dc_engine_t *e = &run->engine;
  bool user_negative = false, user_positive = false;
  for (size_t i = 0; i < cfg->nlabels; i++) {
    if (cfg->labels[i].negate)
      user_negative = true;
    else
      user_positive = true;
  }
  const bool wanted[DC_KIND__COUNT] = {
      [DC_CONTAINERS] = cfg->containers, [DC_BUILD_CACHE] = cfg->build_cache, [DC_NETWORKS] = cfg->networks,
      [DC_IMAGES] = cfg->images,         [DC_VOLUMES] = cfg->volumes,  [DC_REAP] = cfg->nreap > 0,
  };
  for (int k = 0; k < DC_KIND__COUNT; k++) {
    dc_op_t *op = &run->ops[k];
    op->selected = wanted[k];
    /* One request can carry only one label! term reliably (Docker excludes only what
     * matches all of them, other engines what matches any): the protection label takes
     * it, and the user's own negations are applied here, resource by resource. Volumes
     * are always chosen here, since the daemon's own prune removes named volumes below
     * API 1.42 and on Podman, and has no `until`. */
    op->client_side = k == DC_VOLUMES || (user_negative && k != DC_BUILD_CACHE);
  }
  /* Podman's compat prunes cannot be trusted with filters: its image prune ignores `label`
   * and `label!` (so it would remove protected images), its container prune cannot be
   * abandoned at the deadline and fails as a whole when a concurrent prune removes an item
   * first, and its image prune refuses dangling=false. Everything is chosen here instead and
   * removed one by one, each removal with its own answer. */
  if (cfg->dry_run || e->podman)
    for (int k = 0; k < DC_KIND__COUNT; k++)
      run->ops[k].client_side = true;
  dc_op_t *build = &run->ops[DC_BUILD_CACHE];
  if (build->selected) {
    const char *why = NULL;
    if (e->podman)
      why = "the engine (Podman) has no build cache API";
    else if (dc_api_version_cmp(e->version, DC_API_BUILD_PRUNE) < 0)
      why = "build cache pruning needs API " DC_API_BUILD_PRUNE;
    else if (user_positive)
      why = "build cache records carry no labels, so the label filter selects none";
    if (why) {
      build->start_ms = dc_now_ms();
      build->bytes = -1;
      op_end(build, OP_SKIPPED, "%s", why);
    }
  }
  if (run->ops[DC_NETWORKS].selected && run->ops[DC_NETWORKS].client_side &&
      dc_api_version_cmp(e->version, DC_API_NETWORK_FILTERS) < 0) {
    run->ops[DC_NETWORKS].bytes = -1;
    op_end(&run->ops[DC_NETWORKS], OP_FAILED, "a negative label filter on networks needs API " DC_API_NETWORK_FILTERS);
  }
}

static void on_ping(dc_request_t *req, int status, dc_http_response_t *resp) {
  dc_run_t *run = req->data;
  if (run->finished || run->ping_state != INV_RUNNING)
    return;
  const dc_config_t *cfg = run->cfg;
  char err[256];
  if (status < 0) {
    run->ping_state = INV_FAILED;
    if (cfg->host_kind == DC_HOST_UNIX && (status == UV_EACCES || status == UV_ENOENT)) {
      char hint[400];
      dc_socket_hint(cfg->socket_path, hint, sizeof(hint));
      snprintf(run->error, sizeof(run->error), "cannot open the engine socket: %s", hint);
    } else if (cfg->host_kind == DC_HOST_UNIX)
      snprintf(run->error, sizeof(run->error), "cannot reach the engine at unix://%.108s: %.200s", cfg->socket_path,
               req->error[0] ? req->error : uv_strerror(status));
    else
      snprintf(run->error, sizeof(run->error), "cannot reach the engine at tcp://%.100s:%d: %.200s", cfg->tcp_host,
               cfg->tcp_port, req->error[0] ? req->error : uv_strerror(status));
    dc_error("%s", run->error);
    advance(run);
    return;
  }
  if (dc_api_negotiate(resp, cfg->api_version, &run->engine, err, sizeof(err)) < 0) {
    run->ping_state = INV_FAILED;
    snprintf(run->error, sizeof(run->error), "%s", err);
    dc_error("%s", run->error);
    advance(run);
    return;
  }
  run->ping_state = INV_DONE;
  dc_report_engine(&run->engine);
  plan_ops(run);

  /* The inventories behind the audit trail, all at once. */
  /* A dry run judges what is in use against the containers that would remain. */
  bool dry_needs = cfg->dry_run && (run->ops[DC_IMAGES].selected || run->ops[DC_NETWORKS].selected ||
                                    run->ops[DC_VOLUMES].selected);
  if ((run->ops[DC_CONTAINERS].selected && !terminal(&run->ops[DC_CONTAINERS])) || dry_needs ||
      run->ops[DC_REAP].selected)
    start_inventory(run, DC_CONTAINERS);
  if (run->ops[DC_IMAGES].selected && !run->ops[DC_IMAGES].client_side)
    start_inventory(run, DC_IMAGES);
  if (run->ops[DC_NETWORKS].selected && !run->ops[DC_NETWORKS].client_side)
    start_inventory(run, DC_NETWORKS);
  advance(run);
}

int dc_run_start(dc_run_t *run, uv_loop_t *loop, const dc_config_t *cfg, const dc_preconnect_t *pre) {
  memset(run, 0, sizeof(*run));
  run->loop = loop;
  run->cfg = cfg;
  run->start_ms = dc_now_ms();
  dc_client_init(&run->client, loop, cfg);
  if (pre && pre->used)
    dc_client_adopt(&run->client, pre->fds, pre->n, pre->error);
  for (int k = 0; k < DC_KIND__COUNT; k++) {
    run->ops[k].run = run;
    run->ops[k].kind = (dc_kind_t)k;
    run->inv[k].run = run;
    run->inv[k].kind = (dc_kind_t)k;
    uv_timer_init(loop, &run->ops[k].retry_timer);
    run->ops[k].retry_timer.data = &run->ops[k];
  }
  uv_timer_init(loop, &run->recon_timer);
  run->recon_timer.data = run;
  int rc = uv_timer_init(loop, &run->deadline);
  if (rc == 0)
    rc = uv_signal_init(loop, &run->sigterm);
  if (rc == 0)
    rc = uv_signal_init(loop, &run->sigint);
  if (rc < 0) {
    /* Close whatever was set up; the caller runs the loop to let the closes complete. */
    close_handle((uv_handle_t *)&run->deadline);
    close_handle((uv_handle_t *)&run->sigterm);
    close_handle((uv_handle_t *)&run->sigint);
    close_handle((uv_handle_t *)&run->recon_timer);
    for (int k = 0; k < DC_KIND__COUNT; k++)
      close_handle((uv_handle_t *)&run->ops[k].retry_timer);
    dc_client_close(&run->client, NULL);
    return rc;
  }
  run->deadline.data = run->sigterm.data = run->sigint.data = run;
  run->deadline_ns = uv_hrtime() + (uint64_t)cfg->timeout_ms * 1000000u;
  /* The decoders give up at the deadline too: a reply of any size is abandoned within
   * milliseconds of it, not after its whole decode. */
  dc_api_set_decode_deadline(run->deadline_ns);
  /* Of each resource's labels, only those that decisions read are kept. */
  size_t nkeys = 0;
  run->label_keys[nkeys++] = cfg->protect.key;
  run->label_keys[nkeys++] = "com.docker.volume.anonymous";
  for (size_t i = 0; i < cfg->nlabels; i++)
    run->label_keys[nkeys++] = cfg->labels[i].key;
  for (size_t i = 0; i < cfg->nreap; i++)
    run->label_keys[nkeys++] = cfg->reap[i].key;
  dc_api_keep_labels(run->label_keys, nkeys);
  uv_timer_start(&run->deadline, on_deadline, (uint64_t)cfg->timeout_ms, 0);
  uv_signal_start(&run->sigterm, on_signal, SIGTERM);
  uv_signal_start(&run->sigint, on_signal, SIGINT);

  run->ping.method = "GET";
  snprintf(run->ping.path, sizeof(run->ping.path), "/_ping");
  run->ping.cb = on_ping;
  run->ping.data = run;
  run->ping.body_cap = 4096;
  run->ping_state = INV_RUNNING;
  rc = dc_client_send(&run->client, &run->ping);
  if (rc < 0) {
    run->ping_state = INV_FAILED;
    snprintf(run->error, sizeof(run->error), "%s", uv_strerror(rc));
    finish(run);
  }
  return 0;
}
