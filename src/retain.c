/* retain.c: retention for the images operation (KEEP_IMAGES, KEEP_LATEST, KEEP_USED_WITHIN,
 * KEEP_STORAGE, STATE_FILE): the extra facts it needs from the engine (each image's details,
 * one disk-usage report), the state file, the storage budget's plan and its build cache
 * evictions. The rules themselves are pure (select.c, budget.c); this file only gathers what
 * they read and carries out what they decide, the same in a dry run and a real run. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "budget.h"
#include "log.h"
#include "op.h"
#include "report.h"
#include "text.h"

/* --- set-up --- */

int retain_init(dc_run_t *run) {
  const dc_config_t *cfg = run->cfg;
  if (!dc_config_retention(cfg))
    return 0;
  dc_retain_t *rt = calloc(1, sizeof(*rt));
  if (!rt)
    return -ENOMEM;
  run->retain = rt;
  if (cfg->state_file[0]) {
    char warn[600] = "";
    if (dc_state_load(&rt->state, cfg->state_file, warn, sizeof(warn)) < 0)
      return -ENOMEM;
    if (warn[0])
      dc_warn("%s", warn);
    else
      dc_debug("state file: %zu images remembered", rt->state.n);
    rt->state_loaded = true;
  }
  return 0;
}

static void free_details(dc_retain_t *rt) {
  for (size_t i = 0; i < rt->ndetails; i++)
    dc_image_detail_free(&rt->details[i]);
  free(rt->details);
  free(rt->last_tag);
  free(rt->read);
  free(rt->inspect_order);
  rt->inspect_order = NULL;
  rt->details = NULL;
  rt->last_tag = NULL;
  rt->read = NULL;
}

void retain_free(dc_run_t *run) {
  dc_retain_t *rt = run->retain;
  if (!rt)
    return;
  free_details(rt);
  dc_resource_list_free(&rt->df_images);
  dc_resource_list_free(&rt->df_cache);
  dc_budget_plan_free(&rt->plan);
  free(rt->cache_evict);
  dc_state_free(&rt->state);
  free(rt);
  run->retain = NULL;
}

/* --- the disk-usage report (KEEP_STORAGE) --- */

static void on_df(dc_request_t *req, int status, dc_http_response_t *resp) {
  dc_op_t *op = req->data;
  dc_run_t *run = op->run;
  if (run->finished || op_terminal(op))
    return;
  dc_retain_t *rt = run->retain;
  /* Docker computes one disk-usage report at a time (see remove.c). */
  if (status == 0 && error_says(resp, 500, "already running") &&
      op_schedule_retry(op, req, "the engine is busy with another disk usage report"))
    return;
  char err[256] = "";
  int rc = -EPROTO;
  if (status == 0 && resp->status == 200) {
    rc = dc_api_decode_df_images(resp->body, resp->body_len, &rt->df_images, &rt->layers_size, err, sizeof(err));
    if (rc == 0 && run->cfg->build_cache && !run->engine.podman)
      rc = dc_api_decode_df_build_cache(resp->body, resp->body_len, &rt->df_cache, err, sizeof(err));
  } else {
    describe_failure(err, sizeof(err), req, status, resp);
  }
  if (run_past_deadline(run))
    return;
  if (rc < 0) {
    /* Without the report nothing is evicted: the budget is a reason to remove more, so an
     * unknown figure is no reason at all. */
    dc_warn("could not read the engine's disk usage (%s): KEEP_STORAGE is not applied in this run", err);
  } else {
    rt->df_ok = true;
    /* Podman 4.3 reports LayersSize 0 whatever its images hold: the model's figure then. */
    if (rt->layers_size == 0 && rt->df_images.n > 0)
      rt->layers_size = -1;
  }
  op->listing--;
  rt->listed(op);
}

int retain_list_extra(dc_op_t *op, dc_op_step_fn listed) {
  dc_run_t *run = op->run;
  dc_retain_t *rt = run->retain;
  if (!rt || op->kind != DC_IMAGES || !run->cfg->has_keep_storage)
    return 0;
  rt->listed = listed;
  rt->layers_size = -1;
  bool typed = dc_api_version_cmp(run->engine.version, DC_API_TYPED_DF) >= 0;
  /* Only the parts the budget reads, where the engine can be asked for parts. */
  const char *q = typed ? (run->cfg->build_cache && !run->engine.podman ? "type=image&type=build-cache" : "type=image")
                        : NULL;
  op->listing++;
  int rc = run_send_get(run, &rt->df_req, "/system/df", q, on_df, op);
  if (rc < 0)
    op->listing--;
  return rc;
}

/* --- each image's details (last tag time, layers) --- */

static void pump_inspects(dc_op_t *op);

static void on_inspect(dc_request_t *req, int status, dc_http_response_t *resp) {
  dc_op_t *op = req->data;
  dc_run_t *run = op->run;
  if (run->finished) /* the retention state is gone with the run */
    return;
  dc_retain_t *rt = run->retain;
  size_t slot = (size_t)(req - rt->inspect_req);
  rt->inspect_busy[slot] = false;
  rt->inspect_inflight--;
  if (op_terminal(op))
    return;
  size_t i = rt->inspect_idx[slot];
  char err[256] = "";
  if (status == 0 && resp->status == 200 &&
      dc_api_decode_image_inspect(resp->body, resp->body_len, &rt->details[i], err, sizeof(err)) == 0) {
    rt->read[i] = true;
    rt->last_tag[i] = rt->details[i].last_tag_ns;
  } else if (status == 0 && (resp->status == 404 || gone_on_podman(run, resp))) {
    rt->read[i] = true; /* removed meanwhile: nothing to judge; its removal will say gone */
  } else {
    if (status != 0 || resp->status != 200)
      describe_failure(err, sizeof(err), req, status, resp);
    char name[101];
    rt->inspect_failures++;
    dc_warn("could not read image %s (%s): it is kept", shown_name(name, sizeof(name), &op->from->items[i]), err);
  }
  pump_inspects(op);
  if (rt->next_inspect >= rt->ninspect && rt->inspect_inflight == 0 && !run_past_deadline(run)) {
    rt->details_done = true;
    rt->detailed(op);
  }
  run_advance(run);
}

static void pump_inspects(dc_op_t *op) {
  dc_run_t *run = op->run;
  dc_retain_t *rt = run->retain;
  for (size_t s = 0; s < DC_INSPECT_CONCURRENCY && rt->next_inspect < rt->ninspect; s++) {
    if (rt->inspect_busy[s])
      continue;
    if (run_past_deadline(run))
      return;
    size_t i = rt->inspect_order[rt->next_inspect++];
    dc_request_t *req = &rt->inspect_req[s];
    req->method = "GET";
    req->cb = on_inspect;
    req->data = op;
    req->body_cap = 1 << 20;
    int rc = dc_api_resource_path(req->path, sizeof(req->path), &run->engine, "/images/", op->from->items[i].id,
                                  "/json", NULL);
    if (rc == 0)
      rc = dc_client_send(&run->client, req);
    if (rc < 0) {
      rt->inspect_failures++; /* not read: kept */
      continue;
    }
    rt->inspect_idx[s] = i;
    rt->inspect_busy[s] = true;
    rt->inspect_inflight++;
  }
}

static const dc_resource_list_t *order_by_created; /* for older_first (qsort has no argument) */

static int older_first(const void *pa, const void *pb) {
  size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
  int64_t ca = order_by_created->items[a].created_ns, cb = order_by_created->items[b].created_ns;
  if (ca != cb)
    return ca < cb ? -1 : 1;
  return a < b ? -1 : a > b;
}

bool retain_fetch_details(dc_op_t *op, dc_op_step_fn detailed) {
  dc_run_t *run = op->run;
  dc_retain_t *rt = run->retain;
  if (!rt || op->kind != DC_IMAGES || rt->details_done || !dc_config_needs_last_use(run->cfg))
    return false;
  rt->detailed = detailed;
  size_t n = op->from->n;
  rt->ndetails = n;
  rt->details = calloc(n ? n : 1, sizeof(*rt->details));
  rt->last_tag = malloc((n ? n : 1) * sizeof(*rt->last_tag));
  rt->read = calloc(n ? n : 1, sizeof(*rt->read));
  rt->inspect_order = malloc((n ? n : 1) * sizeof(*rt->inspect_order));
  if (!rt->details || !rt->last_tag || !rt->read || !rt->inspect_order) {
    free_details(rt);
    rt->ndetails = 0;
    op_end(op, OP_FAILED, "out of memory");
    return true;
  }
  for (size_t i = 0; i < n; i++) {
    rt->last_tag[i] = INT64_MIN;
    rt->inspect_order[i] = i;
  }
  /* Oldest first: if the cap leaves some unread, they are the newest images (kept anyway by
   * the rules that need a last use, and the least likely to be cold). */
  order_by_created = op->from;
  qsort(rt->inspect_order, n, sizeof(*rt->inspect_order), older_first);
  order_by_created = NULL;
  /* At most DC_INSPECT_MAX images are read, DC_INSPECT_CONCURRENCY at a time; those beyond
   * have no known last use, and so are kept by the rules that need one. */
  rt->ninspect = n < DC_INSPECT_MAX ? n : DC_INSPECT_MAX;
  if (n > DC_INSPECT_MAX)
    dc_warn("%zu images: only the %d oldest are read for their last use; the others are kept", n, DC_INSPECT_MAX);
  if (rt->ninspect == 0) {
    rt->details_done = true;
    return false;
  }
  pump_inspects(op);
  if (rt->inspect_inflight == 0 && rt->next_inspect >= rt->ninspect) {
    rt->details_done = true; /* nothing could be sent: every image stays unread */
    return false;
  }
  return true;
}

/* --- the decision for each image --- */

int retain_annotate(dc_op_t *op) {
  dc_run_t *run = op->run;
  dc_retain_t *rt = run->retain;
  if (!rt || op->kind != DC_IMAGES)
    return 0;
  /* The details give the creation to the nanosecond, where the listing has whole seconds:
   * two images made within one second are still told apart by age. */
  for (size_t i = 0; rt->read && i < rt->ndetails; i++)
    if (rt->read[i] && rt->details[i].created_ns != INT64_MIN)
      op->from->items[i].created_ns = rt->details[i].created_ns;
  const dc_resource_list_t *cs = run->inv[DC_CONTAINERS].state == INV_DONE ? &run->inv[DC_CONTAINERS].list : NULL;
  if (!cs && dc_config_needs_last_use(run->cfg))
    dc_warn("the container inventory is missing: last use is judged without the containers");
  return dc_retain_annotate(op->from, rt->read ? rt->last_tag : NULL, rt->read, cs,
                            rt->state_loaded ? &rt->state : NULL, run->cfg);
}

/* The engine's build prune reads its `id` filter as a regular expression matched anywhere in
 * a record's ID: only an ID of BuildKit's own form (25 lower-case letters and digits) names
 * exactly one record that way. Another is never sent. */
static bool cache_id_exact(const char *id) {
  size_t n = 0;
  for (; id[n]; n++)
    if (!((id[n] >= 'a' && id[n] <= 'z') || (id[n] >= '0' && id[n] <= '9')))
      return false;
  return n == 25;
}

static void format_last_use(char *out, size_t cap, int64_t ns) {
  if (ns == INT64_MIN)
    snprintf(out, cap, "unknown");
  else
    dc_format_time(out, cap, ns / 1000000);
}

static void report_decision(const dc_run_t *run, const dc_resource_t *r, bool removed, const char *why) {
  char last[40];
  format_last_use(last, sizeof(last), r->last_use_ns);
  if (run->cfg->log_format == DC_FMT_JSON) {
    json_t *o = json_pack("{s:s, s:s, s:o, s:o?, s:s, s:s, s:b}", "event", "decision", "type", "image", "id",
                          dc_json_text(r->id), "name", dc_json_text(r->name), "decision", removed ? "remove" : "keep",
                          "reason", why, "dry_run", run->cfg->dry_run);
    if (o)
      json_object_set_new(o, "last_use", r->last_use_ns == INT64_MIN ? json_null() : json_string(last));
    if (o)
      dc_report_event(o);
    return;
  }
  char name[101];
  dc_debug("%s image %s: %s (last used %s)", removed ? "removing" : "keeping", shown_name(name, sizeof(name), r), why,
           last);
}

/* --- the storage budget --- */

/* The budget's items: the listed images, then the disk-usage report's build cache records. */
static int plan_budget(dc_op_t *op, const dc_verdict_t *verdicts) {
  dc_run_t *run = op->run;
  dc_retain_t *rt = run->retain;
  const dc_config_t *cfg = run->cfg;
  const dc_resource_list_t *imgs = op->from, *cache = &rt->df_cache;
  size_t n = imgs->n + cache->n;
  dc_budget_item_t *items = calloc(n ? n : 1, sizeof(*items));
  if (!items)
    return -ENOMEM;
  dc_resource_index_t ix = {0};
  if (dc_resource_index_build(&ix, &rt->df_images) < 0) {
    free(items);
    return -ENOMEM;
  }
  for (size_t i = 0; i < imgs->n; i++) {
    const dc_resource_t *r = &imgs->items[i];
    const dc_resource_t *du = dc_resource_index_find(&ix, r->id);
    dc_budget_item_t *it = &items[i];
    it->kind = DC_IMAGES;
    it->id = r->id;
    it->last_use_ns = r->last_use_ns;
    it->created_ns = r->created_ns;
    it->size = du ? du->size : r->size;
    it->shared_size = du ? du->shared_size : -1;
    if (rt->read && i < rt->ndetails && rt->read[i] && rt->details[i].layers) {
      it->layers = (const char *const *)rt->details[i].layers;
      it->nlayers = rt->details[i].nlayers;
    }
    it->going = verdicts[i].decision == DC_REMOVE;
    it->evictable = dc_budget_may_evict(verdicts[i]) && r->last_use_ns != INT64_MIN;
  }
  dc_resource_index_free(&ix);
  dc_facts_t none = {0};
  bool cache_on = run->ops[DC_BUILD_CACHE].selected && run->ops[DC_BUILD_CACHE].status != OP_SKIPPED;
  for (size_t j = 0; j < cache->n; j++) {
    const dc_resource_t *r = &cache->items[j];
    dc_budget_item_t *it = &items[imgs->n + j];
    dc_verdict_t v = dc_select(DC_BUILD_CACHE, r, cfg, &none);
    it->kind = DC_BUILD_CACHE;
    it->id = r->id;
    it->last_use_ns = r->created_ns; /* LastUsedAt */
    it->created_ns = r->created_ns;
    it->size = r->size;
    it->shared_size = -1;
    it->shared = r->shared;
    it->going = cache_on && v.decision == DC_REMOVE;
    it->evictable = cache_on && rt->cache_evictable && !r->shared && dc_budget_may_evict(v) &&
                    r->created_ns != INT64_MIN && cache_id_exact(r->id);
    if (cache_on && !it->going && !it->evictable) {
      char name[101];
      dc_printable(name, sizeof(name), r->id);
      dc_debug("budget: build cache %s stays: %s", name,
               r->shared ? "shared with an image" : !cache_id_exact(r->id) ? "an ID the engine's filter cannot name exactly"
                                                                       : dc_why_name(v.why));
    }
  }
  int rc = dc_budget_plan(items, n, rt->layers_size, cfg->keep_storage, &rt->plan);
  free(items);
  return rc;
}

static void report_budget(dc_op_t *op) {
  dc_run_t *run = op->run;
  dc_retain_t *rt = run->retain;
  const dc_budget_plan_t *p = &rt->plan;
  const dc_resource_list_t *imgs = op->from, *cache = &rt->df_cache;
  char before[32], budget[32], normal[32], after[32], shortfall[32];
  dc_human_size(before, sizeof(before), p->before);
  dc_human_size(budget, sizeof(budget), run->cfg->keep_storage);
  dc_human_size(normal, sizeof(normal), p->after_normal);
  dc_human_size(after, sizeof(after), p->after);
  dc_human_size(shortfall, sizeof(shortfall), p->shortfall);
  if (run->cfg->log_format == DC_FMT_JSON) {
    json_t *ev = json_array();
    for (size_t k = 0; ev && k < p->n; k++) {
      size_t i = p->order[k];
      const dc_resource_t *r = i < imgs->n ? &imgs->items[i] : &cache->items[i - imgs->n];
      char last[40];
      format_last_use(last, sizeof(last), i < imgs->n ? r->last_use_ns : r->created_ns);
      json_array_append_new(ev, json_pack("{s:s, s:o, s:o?, s:s, s:I}", "type",
                                          i < imgs->n ? "image" : "build_cache", "id", dc_json_text(r->id), "name",
                                          dc_json_text(r->name), "last_use", last, "bytes", (json_int_t)p->freed[k]));
    }
    json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:o, s:I, s:b}", "event", "budget", "budget",
                          (json_int_t)run->cfg->keep_storage, "before", (json_int_t)p->before, "after_normal",
                          (json_int_t)p->after_normal, "after", (json_int_t)p->after, "evicted",
                          ev ? ev : json_array(), "shortfall", (json_int_t)p->shortfall, "dry_run", run->cfg->dry_run);
    if (o)
      dc_report_event(o);
  } else {
    dc_info("storage budget %s (%lld bytes): images and build cache take %s, %s after the rules; evicting %zu, "
            "least recently used first; %s after",
            budget, (long long)run->cfg->keep_storage, before, normal, p->n, after);
    for (size_t k = 0; k < p->n; k++) {
      size_t i = p->order[k];
      const dc_resource_t *r = i < imgs->n ? &imgs->items[i] : &cache->items[i - imgs->n];
      char last[40], freed[32], name[101];
      format_last_use(last, sizeof(last), i < imgs->n ? r->last_use_ns : r->created_ns);
      dc_human_size(freed, sizeof(freed), p->freed[k]);
      dc_info("  evict %zu: %s %s (last used %s, frees %s)", k + 1, i < imgs->n ? "image" : "build cache",
              shown_name(name, sizeof(name), r), last, freed);
    }
  }
  if (p->shortfall > 0)
    dc_warn("storage budget %s cannot be met: %s over it after every eviction allowed (what is in use, protected, "
            "matched by KEEP_IMAGES or kept by KEEP_LATEST stays)",
            budget, shortfall);
}

int retain_after_selection(dc_op_t *op, const dc_verdict_t *verdicts) {
  dc_run_t *run = op->run;
  dc_retain_t *rt = run->retain;
  if (!rt || op->kind != DC_IMAGES)
    return 0;
  const dc_resource_list_t *imgs = op->from;
  bool evicted_any = false;
  if (run->cfg->has_keep_storage && rt->df_ok) {
    if (plan_budget(op, verdicts) < 0)
      return -ENOMEM;
    report_budget(op);
    /* The images to evict follow the rules' selection, in eviction order; the build cache
     * records are pruned one by one by retain_pump_cache. */
    size_t nc = 0;
    rt->cache_evict = calloc(rt->plan.n ? rt->plan.n : 1, sizeof(size_t));
    if (!rt->cache_evict)
      return -ENOMEM;
    for (size_t k = 0; k < rt->plan.n; k++) {
      size_t i = rt->plan.order[k];
      if (i < imgs->n)
        op->sel[op->nsel++] = i;
      else
        rt->cache_evict[nc++] = i - imgs->n;
      evicted_any = true;
    }
    rt->ncache_evict = nc;
  }
  /* Every image's decision, with its reason and last use. */
  for (size_t i = 0; i < imgs->n; i++) {
    bool evicted = false;
    for (size_t k = 0; evicted_any && k < rt->plan.n && !evicted; k++)
      evicted = rt->plan.order[k] == i;
    report_decision(run, &imgs->items[i], verdicts[i].decision == DC_REMOVE || evicted,
                    evicted ? "storage budget" : dc_why_name(verdicts[i].why));
  }
  return 0;
}

/* --- build cache evictions: one prune per record, filtered by its ID --- */

static void send_cache_evict(dc_op_t *op);

static void on_cache_evict(dc_request_t *req, int status, dc_http_response_t *resp) {
  dc_op_t *op = req->data;
  dc_run_t *run = op->run;
  run->destructive_inflight--;
  if (run->finished) /* the retention state is gone with the run */
    return;
  dc_retain_t *rt = run->retain;
  rt->cache_inflight = false;
  if (op_terminal(op))
    return;
  const dc_resource_t *r = &rt->df_cache.items[rt->cache_evict[rt->next_cache - 1]];
  dc_prune_result_t res = {0};
  char err[256] = "";
  if (status == 0 && resp->status == 200 &&
      dc_api_decode_prune(DC_BUILD_CACHE, resp->body, resp->body_len, &res, err, sizeof(err)) == 0) {
    /* Whatever the engine says it removed is named, the record asked for or not (it should
     * be only that one: see cache_id_exact). */
    for (size_t i = 0; i < res.n; i++) {
      const dc_resource_t *hit = NULL;
      for (size_t j = 0; j < rt->df_cache.n && !hit; j++)
        if (strcmp(rt->df_cache.items[j].id, res.ids[i]) == 0)
          hit = &rt->df_cache.items[j];
      if (hit != r) {
        char id[80];
        dc_printable(id, sizeof(id), res.ids[i]);
        dc_warn("the engine removed build cache %s when asked to remove %s", id, r->id);
      }
      dc_report_deleted(DC_BUILD_CACHE, res.ids[i], hit ? hit->name : NULL, hit ? hit->size : -1);
      rt->cache_evicted++;
      if (hit && hit->size > 0)
        rt->cache_evicted_bytes = dc_bytes_add(rt->cache_evicted_bytes, hit->size);
    }
    dc_prune_result_free(&res);
  } else {
    if (status != 0 || resp->status != 200)
      describe_failure(err, sizeof(err), req, status, resp);
    char name[101];
    op->failures++;
    snprintf(op->last_error, sizeof(op->last_error), "build cache %s: %s", shown_name(name, sizeof(name), r), err);
    dc_warn("could not evict %s", op->last_error);
  }
  send_cache_evict(op);
  rt->evicted(op);
  run_advance(run);
}

static void send_cache_evict(dc_op_t *op) {
  dc_run_t *run = op->run;
  dc_retain_t *rt = run->retain;
  while (rt->next_cache < rt->ncache_evict && !rt->cache_inflight && !run_past_deadline(run)) {
    const dc_resource_t *r = &rt->df_cache.items[rt->cache_evict[rt->next_cache++]];
    dc_request_t *req = &rt->cache_req;
    json_t *f = json_pack("{s:[s]}", "id", r->id);
    char *fs = f ? json_dumps(f, JSON_COMPACT) : NULL;
    json_decref(f);
    char enc[400], q[420];
    int rc = fs && dc_urlencode(enc, sizeof(enc), fs) >= 0 ? 0 : -ENAMETOOLONG;
    free(fs);
    if (rc == 0) {
      int n = snprintf(q, sizeof(q), "%sfilters=%s", run->cfg->prune_all ? "all=1&" : "", enc);
      rc = n < 0 || (size_t)n >= sizeof(q) ? -ENAMETOOLONG : 0;
    }
    if (rc == 0)
      rc = dc_api_path(req->path, sizeof(req->path), &run->engine, "/build/prune", q);
    req->method = "POST";
    req->cb = on_cache_evict;
    req->data = op;
    req->body_cap = 1 << 20;
    if (rc == 0)
      rc = dc_client_send(&run->client, req);
    if (rc < 0) {
      op->failures++;
      snprintf(op->last_error, sizeof(op->last_error), "build cache eviction not sent: %s", uv_strerror(rc));
      continue;
    }
    rt->cache_inflight = true;
    run->destructive_inflight++;
  }
}

void retain_cut(dc_run_t *run) {
  dc_retain_t *rt = run->retain;
  if (!rt || !rt->cache_inflight || rt->next_cache == 0)
    return;
  /* What the engine did with it is not known: it may have removed the record before it
   * noticed the closed connection. */
  const dc_resource_t *r = &rt->df_cache.items[rt->cache_evict[rt->next_cache - 1]];
  char name[101];
  dc_warn("build cache %s: its eviction was in flight when the run was cut short, so it may have been removed",
          shown_name(name, sizeof(name), r));
}

void retain_start_evictions(dc_op_t *op, dc_op_step_fn evicted) {
  dc_retain_t *rt = op->run->retain;
  if (rt && op->kind == DC_IMAGES && !op->run->cfg->dry_run) {
    rt->evicted = evicted;
    send_cache_evict(op);
  }
}

bool retain_busy(const dc_op_t *op) {
  const dc_retain_t *rt = op->run->retain;
  return rt && op->kind == DC_IMAGES && (rt->cache_inflight || rt->next_cache < rt->ncache_evict);
}

size_t retain_evictions(const dc_op_t *op) {
  const dc_retain_t *rt = op->run->retain;
  return rt && op->kind == DC_IMAGES ? rt->ncache_evict : 0;
}

void retain_dry_evictions(dc_op_t *op) {
  dc_retain_t *rt = op->run->retain;
  if (!rt || op->kind != DC_IMAGES)
    return;
  for (size_t k = 0; k < rt->ncache_evict; k++) {
    const dc_resource_t *r = &rt->df_cache.items[rt->cache_evict[k]];
    dc_report_deleted(DC_BUILD_CACHE, r->id, r->name, r->size);
    rt->cache_evicted++;
    if (r->size > 0)
      rt->cache_evicted_bytes = dc_bytes_add(rt->cache_evicted_bytes, r->size);
  }
  rt->next_cache = rt->ncache_evict;
}

/* --- the state file, at the end of a real run --- */

void retain_finish(dc_run_t *run) {
  dc_retain_t *rt = run->retain;
  const dc_config_t *cfg = run->cfg;
  if (!rt || !cfg->state_file[0])
    return;
  if (cfg->dry_run) {
    dc_debug("dry run: the state file is not written");
    return;
  }
  const dc_inventory_t *inv = &run->inv[DC_CONTAINERS];
  if (inv->state != INV_DONE) {
    dc_warn("state file %s not updated: the containers were not listed", cfg->state_file);
    return;
  }
  /* Seen in use now: every image a container was made from, whatever its state. */
  int64_t now = (int64_t)dc_now_ns() / 1000000000 * 1000000000;
  for (size_t i = 0; i < inv->list.n; i++) {
    const dc_resource_t *c = &inv->list.items[i];
    if (c->image_id && dc_state_note(&rt->state, c->image_id, now) == -ENOMEM) {
      dc_warn("state file %s not updated: out of memory", cfg->state_file);
      return;
    }
  }
  /* Forget images that no longer exist, when it is known which do: those listed, less those
   * this run removed. */
  const dc_op_t *op = &run->ops[DC_IMAGES];
  if (op->selected && op->from && !op->listing_failed) {
    dc_strset_t exist = {0};
    bool oom = false;
    for (size_t i = 0; i < op->from->n && !oom; i++)
      if (!op->from->items[i].doomed)
        oom = dc_strset_add(&exist, dc_bare_id(op->from->items[i].id)) < 0;
    if (!oom) {
      dc_strset_seal(&exist);
      dc_state_prune(&rt->state, &exist);
    }
    dc_strset_free(&exist);
  }
  char err[600];
  if (dc_state_save(&rt->state, cfg->state_file, err, sizeof(err)) < 0)
    dc_warn("%s", err);
  else
    dc_debug("state file %s: %zu images remembered", cfg->state_file, rt->state.n);
}
