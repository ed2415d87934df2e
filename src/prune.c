/* prune.c: the daemon's prunes: sent unless the inventory shows nothing to remove, retried
 * while another prune holds the engine (the same bounded backoff serves a listing the engine
 * is too busy to give), and their replies named in the audit trail. */
#include "op.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "report.h"
#include "text.h"

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
  op->bytes = dc_bytes_add(op->bytes, r->space); /* a split operation prunes twice */
  if (op->kind == DC_IMAGES) {
    for (size_t i = 0; i < r->nuntagged; i++)
      dc_report_untagged(r->untagged[i]);
    /* Deleted mixes image IDs and layer IDs: an image is what the inventory knew. */
    bool known = run->inv[DC_IMAGES].state == INV_DONE;
    for (size_t i = 0; i < r->n; i++) {
      dc_resource_t *img = (dc_resource_t *)dc_resource_index_find(&ix, r->ids[i]);
      if (img)
        img->doomed = true; /* gone: a split operation's second pass, cut short, must not name it again */
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

/* Another prune got in the way: Docker says 409 (its prune lock is held); Podman has no lock
 * and fails the whole prune when another one removed an item first. */
static bool prune_collided(const dc_run_t *run, const dc_http_response_t *resp) {
  return resp->status == 409 || gone_on_podman(run, resp);
}

/* The retry timer: the prune again. */
static void on_prune_again(uv_timer_t *t) {
  dc_op_t *op = t->data;
  if (op->run->finished || op_terminal(op))
    return;
  prune_send(op);
}

/* The prune's answer is lost: the operation fails, and what the engine removed is learnt by
 * listing again (recon.c). A split operation's first pass then waits for that listing before
 * its second pass (op_end holds it). */
static void answer_lost_end(dc_op_t *op, const char *why) {
  if (recon_after_lost_answer(op))
    op_end(op, OP_FAILED, "%s; listed again", why);
  else
    op_end(op, OP_FAILED, "%s; what the prune removed is not known", why);
}

static void on_prune(dc_request_t *req, int status, dc_http_response_t *resp) {
  dc_op_t *op = req->data;
  dc_run_t *run = op->run;
  run->destructive_inflight--;
  op->prune_inflight = false;
  if (run->finished || op_terminal(op))
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
      answer_lost_end(op, err); /* the prune ran: what it removed is in no answer */
    } else {
      report_prune(op, &r);
      dc_prune_result_free(&r);
      op_end(op, OP_OK, NULL);
    }
  } else if (status == 0 && prune_collided(run, resp) &&
             op_backoff(op, NULL, "another prune is running on the engine", on_prune_again)) {
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
    else if (answer_lost(status, resp))
      answer_lost_end(op, why);
    else
      op_end(op, OP_FAILED, "%s", why);
  }
  run_advance(run);
}

void prune_send(dc_op_t *op) {
  dc_run_t *run = op->run;
  const dc_config_t *cfg = run->cfg;
  dc_filter_fields_t ff = dc_config_filter_fields(cfg);
  char *filters;
  char query[sizeof(op->req.path)];
  int rc;
  if (run_past_deadline(run))
    return; /* stop() ends the operation, from the loop */
  if (op->kind == DC_BUILD_CACHE) {
    /* Build cache records carry no labels: the daemon ignores label filters here. Docker 20.10
     * takes `until` only as a duration (the cut-off's age, counted when sent); Docker 26 takes
     * a timestamp too, and cuts a duration down to whole seconds, which would keep records of
     * the second before the cut-off: it gets the cut-off itself. */
    unsigned until = dc_api_version_cmp(run->engine.version, DC_API_BUILD_UNTIL_TS) >= 0 ? DC_F_UNTIL : DC_F_UNTIL_AGE;
    /* KEEP_USED_WITHIN is `until` on the last use, which is what BuildKit's `until` reads: the
     * earlier of the two cut-offs is sent (select.c's build cache rule says the same). */
    if (cfg->has_used_within && (!ff.has_until || cfg->used_cutoff_ns < ff.until_ns)) {
      ff.has_until = true;
      ff.until_ns = cfg->used_cutoff_ns;
    }
    rc = dc_api_filters_build(&ff, until, NULL, dc_now_ns(), &filters);
  } else {
    rc = dc_api_filters_build(&ff, DC_F_UNTIL | DC_F_LABELS | DC_F_PROTECT,
                              op->kind == DC_IMAGES ? (cfg->prune_all ? "false" : "true") : NULL, dc_now_ns(), &filters);
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


static void prune_unless_idle(dc_op_t *op, bool may_remove) {
  if (may_remove) {
    prune_send(op);
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
  return op_use_sets(op) < 0 || op_any_selected(op, &run->inv[op->kind].list);
}

/* The build cache's own check: the records from a typed disk-usage report (API 1.42), a
 * request of a millisecond or two where an empty build prune takes 20-50 ms. Any failure
 * here just sends the prune. */
static void on_build_probe(dc_request_t *req, int status, dc_http_response_t *resp) {
  dc_op_t *op = req->data;
  dc_run_t *run = op->run;
  if (run->finished || op_terminal(op))
    return;
  char err[256];
  bool may_remove = true;
  if (status == 0 && resp->status == 200 &&
      dc_api_decode_df_build_cache(resp->body, resp->body_len, &op->list, err, sizeof(err)) == 0) {
    /* Kept: should the prune be cut short, it is what the listing after the cut is held to. */
    may_remove = op_any_selected(op, &op->list);
  }
  prune_unless_idle(op, may_remove);
  run_advance(run);
}

/* A daemon prune, unless the inventory shows it has nothing to remove. */
void prune_start(dc_op_t *op) {
  dc_run_t *run = op->run;
  if (op->kind == DC_BUILD_CACHE) {
    if (dc_api_version_cmp(run->engine.version, DC_API_BUILD_CACHE_DF) < 0 ||
        run_send_get(run, &op->req, dc_kind(DC_BUILD_CACHE)->list_path, dc_kind(DC_BUILD_CACHE)->list_query, on_build_probe,
                 op) < 0)
      prune_send(op);
    return;
  }
  prune_unless_idle(op, prune_may_remove(op));
}

