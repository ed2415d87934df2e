/* remove.c: client-side removals: the listings a selection works from, the removals one by
 * one (DC_DELETE_CONCURRENCY at a time), and the reaper's stops and removals. */
#include "op.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "report.h"
#include "text.h"

/* Sends what is left of the selection, and ends the operation once all has answered. */
static void pump_deletes(dc_op_t *op);
static void remove_listing_done(dc_op_t *op);

/* Sends method prefix<id>suffix?query for the slot's resource (the ID percent-encoded). On
 * success the slot is busy and counted in flight, and cb runs once; on failure nothing is
 * pending and the negative code is returned. */
static int send_slot(dc_op_t *op, dc_delete_slot_t *slot, const char *method, const char *prefix,
                     const char *suffix, const char *query, dc_request_cb cb) {
  dc_run_t *run = op->run;
  if (run_past_deadline(run))
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
  if (op->run->finished || op_terminal(op))
    return NULL;
  op->inflight--;
  return op;
}

/* A resource gone: the engine said so, or (dry run) it would have. */
static void record_removed(dc_op_t *op, dc_resource_t *r) {
  r->doomed = true;
  if (op->kind == DC_CONTAINERS && r->nmount_volumes > 0)
    op->run->mounts_freed++;
  dc_report_deleted(op->kind, r->id, r->name, r->size);
  op->count++;
  if (r->size >= 0)
    op->bytes = dc_bytes_add(op->bytes, r->size);
}

/* A container reaped (stop_ms: its stop's duration, -1 for none), its age counted at now_ns. */
static void record_reaped(dc_op_t *op, dc_resource_t *c, int64_t now_ns, long long stop_ms) {
  c->doomed = c->reaped = true;
  if (c->nmount_volumes > 0)
    op->run->mounts_freed++;
  dc_report_reaped(c->id, c->name, (now_ns - c->created_ns) / 1000000000, stop_ms);
  op->count++;
}

/* The one point where a dry run and a real run part: the real run sends the selection's
 * removals (pump), whose answers record them; the dry run records them all as done at once. */
static void act(dc_op_t *op, void (*pump)(dc_op_t *op), int64_t now_ns) {
  if (!op->run->cfg->dry_run) {
    retain_start_evictions(op, pump_deletes);
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
  retain_dry_evictions(op);
  op_end(op, OP_OK, NULL);
}

/* A removal that failed: counted, its reason kept for the operation's line, and warned. */
static void removal_failed(dc_op_t *op, const dc_delete_slot_t *slot, const char *why, const char *more) {
  char name[101];
  op->failures++;
  snprintf(op->last_error, sizeof(op->last_error), "%s%s %s: %s%s",
           op->kind == DC_REAP ? (slot->stopping_first ? "could not stop " : "could not remove ") : "",
           dc_kind_singular(op->kind), shown_name(name, sizeof(name), &op->from->items[slot->idx]), why, more);
  if (op->kind == DC_REAP)
    dc_warn("%s", op->last_error);
  else
    dc_warn("could not remove %s", op->last_error);
}

static void pump_reaps(dc_op_t *op);
static void on_removal_checked(dc_request_t *req, int status, dc_http_response_t *resp);

/* Asks the engine whether the slot's resource is still there (on_removal_checked). False
 * when the question cannot be sent (past the deadline): the failure then stands, unknown. */
static bool ask_if_gone(dc_op_t *op, dc_delete_slot_t *slot, const char *why) {
  const dc_kind_info_t *k = dc_kind(op->kind);
  snprintf(slot->lost_why, sizeof(slot->lost_why), "%s", why);
  if (send_slot(op, slot, "GET", k->remove_prefix, k->inspect_suffix, NULL, on_removal_checked) == 0)
    return true;
  slot->lost_why[0] = '\0';
  return false;
}

/* The engine's answer about a resource whose removal's answer was lost: 404 (a route the
 * engine lacks answers 404 "page not found": not an answer) or Podman's "no such": it went,
 * and the removal is recorded as the run's, which it most likely was; still there: the
 * removal failed; anything else: whether it went is not known, and the failure stands. */
static void on_removal_checked(dc_request_t *req, int status, dc_http_response_t *resp) {
  dc_delete_slot_t *slot = req->data;
  char why[sizeof(slot->lost_why)];
  snprintf(why, sizeof(why), "%s", slot->lost_why);
  slot->lost_why[0] = '\0';
  dc_op_t *op = slot_answered(slot);
  if (!op)
    return;
  dc_run_t *run = op->run;
  dc_resource_t *r = &op->from->items[slot->idx];
  char name[256];
  if (status == 0 && ((resp->status == 404 && !error_says(resp, 404, "page not found")) || gone_on_podman(run, resp))) {
    dc_info("%s %s: the answer to its removal was lost (%s); the engine no longer has it", dc_kind_singular(op->kind),
            shown_name(name, sizeof(name), r), why);
    if (op->kind == DC_REAP)
      record_reaped(op, r, dc_now_ns(), slot->stop_ms);
    else
      record_removed(op, r);
  } else if (status == 0 && resp->status == 200) {
    removal_failed(op, slot, why, "");
  } else {
    char how[200];
    describe_failure(how, sizeof(how), req, status, resp);
    char more[sizeof(how) + 64];
    snprintf(more, sizeof(more), " (whether the engine removed it is not known: %s)", how);
    removal_failed(op, slot, why, more);
  }
  if (op->kind == DC_REAP)
    pump_reaps(op);
  else
    pump_deletes(op);
  run_advance(run);
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
    char why[256];
    describe_failure(why, sizeof(why), req, status, resp);
    if (answer_lost(status, resp) && ask_if_gone(op, slot, why))
      return;
    removal_failed(op, slot, why, "");
  }
  pump_deletes(op);
  run_advance(run);
}

/* Ends a one-by-one operation once every removal has answered. */
static void removals_done(dc_op_t *op) {
  /* Stopping: stop() ends the operation as cut short, whatever is left unsent. */
  if (op->next < op->nsel || op->inflight > 0 || op_terminal(op) || op->run->stopping || retain_busy(op))
    return;
  const size_t failures = op->failures_before + op->failures;
  if (failures)
    /* The budget's build cache evictions are among the removals (and may be all of them); a
     * split operation's earlier passes too (a removal that failed in one may go in the next). */
    op_end(op, OP_FAILED, "%zu of %zu removals failed; last: %s", failures,
           op->nsel_before + op->nsel + retain_evictions(op), op->last_error);
  else
    op_end(op, OP_OK, NULL);
}

/* Gives each idle slot the selection's next resource and starts it (start counts a failure
 * to send); then ends the operation if every removal has answered. */
static void pump(dc_op_t *op, void (*start)(dc_op_t *op, dc_delete_slot_t *slot)) {
  dc_run_t *run = op->run;
  const size_t limit = sched_max_inflight(op);
  for (size_t i = 0; i < DC_DELETE_CONCURRENCY && op->next < op->nsel && op->inflight < limit && !run_past_deadline(run);
       i++) {
    dc_delete_slot_t *slot = &op->slots[i];
    if (slot->busy)
      continue;
    slot->op = op;
    slot->idx = op->sel[op->next++];
    start(op, slot);
  }
  removals_done(op);
}

static void start_delete(dc_op_t *op, dc_delete_slot_t *slot) {
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

static void pump_deletes(dc_op_t *op) { pump(op, start_delete); }

/* The listings are in: choose, then delete (again, once retention has its details). */
static void remove_select(dc_op_t *op) {
  if (op->listing_failed) {
    op_end(op, OP_FAILED, NULL); /* op->error holds the reason */
    return;
  }
  /* Containers are chosen from the inventory itself, so that the later phases see which
   * ones go. */
  dc_resource_list_t *from = op->kind == DC_CONTAINERS ? &op->run->inv[DC_CONTAINERS].list : &op->list;
  op->from = from;
  /* Retention first reads each image's details; this is called again when they are in. */
  if (retain_fetch_details(op, remove_select))
    return;
  if (op_use_sets(op) < 0 || retain_annotate(op) < 0) {
    op_end(op, OP_FAILED, "out of memory");
    return;
  }
  op->sel = calloc(from->n ? from->n : 1, sizeof(size_t));
  dc_verdict_t *verdicts = op->run->retain ? calloc(from->n ? from->n : 1, sizeof(*verdicts)) : NULL;
  if (!op->sel || (op->run->retain && !verdicts)) {
    free(verdicts);
    op_end(op, OP_FAILED, "out of memory");
    return;
  }
  /* A selection can be long (networks: every listed one against every container), so the
   * deadline is checked as it goes; past it, stop() ends the operation. */
  dc_facts_t facts = op_facts(op, 0);
  for (size_t i = 0; i < from->n; i++) {
    if (run_past_deadline(op->run)) {
      free(verdicts);
      return;
    }
    dc_verdict_t v = dc_select(op->kind, &from->items[i], op->run->cfg, &facts);
    if (verdicts)
      verdicts[i] = v;
    if (v.decision == DC_REMOVE)
      op->sel[op->nsel++] = i;
  }
  dc_debug("%s: %zu of %zu listed selected", dc_kind_plural(op->kind), op->nsel, from->n);
  int rc = verdicts ? retain_after_selection(op, verdicts) : 0;
  free(verdicts);
  if (rc < 0) {
    op_end(op, OP_FAILED, "out of memory");
    return;
  }
  act(op, pump_deletes, 0);
}

static void on_listing(dc_request_t *req, int status, dc_http_response_t *resp) {
  dc_op_t *op = req->data;
  dc_run_t *run = op->run;
  if (run->finished || op_terminal(op))
    return;
  bool is_aux = req == &op->aux;
  /* A listing asked again stays in flight (op->listing keeps counting it): the other listing
   * must not find the count at 0 and select from a list that is not in. */
  /* Docker computes one disk-usage report at a time and answers a second with 500 "a disk
   * usage operation is already running" (volumes and build cache both ask for one). */
  if (status == 0 && error_says(resp, 500, "already running") &&
      op_schedule_retry(op, req, "the engine is busy with another disk usage report"))
    return;
  /* Podman 4 reads each image (its layers, labels, parents) to list images, and answers 500
   * when another run (a second cleaner) removes one meanwhile: "layer not known", "retrieving
   * label for image ...", "checking if image ... is dangling: ... image not known", and more.
   * The image listing is asked again, with the same bounded backoff. */
  if (status == 0 && run->engine.podman && resp->status == 500 && op->kind == DC_IMAGES && !is_aux &&
      op_schedule_retry(op, req, "another run is removing images"))
    return;
  op->listing--;
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
  if (run_past_deadline(run))
    return;
  if (rc < 0) {
    if (op->kind == DC_VOLUMES && is_aux) {
      dc_warn("could not read volume sizes (%s): reclaimed space for volumes is not known", err);
    } else {
      op->listing_failed = true;
      snprintf(op->error, sizeof(op->error), "could not list %s: %.256s", dc_kind_plural(op->kind), err);
    }
  }
  remove_listing_done(op);
}

/* Volumes: will the rules remove any of those listed? Their sizes are asked only then: Docker
 * computes its disk-usage report by walking every volume (2.4 ms for 100 empty volumes on
 * Docker 26, where the listing takes 1.0 ms), the longest request of a run with nothing to
 * remove. Errs towards yes (out of memory). */
static bool volumes_selected(dc_op_t *op) {
  bool any = true;
  if (op_use_sets(op) == 0) {
    dc_facts_t facts = op_facts(op, 0);
    any = false;
    for (size_t i = 0; i < op->list.n && !any; i++)
      any = dc_select(DC_VOLUMES, &op->list.items[i], op->run->cfg, &facts).decision == DC_REMOVE;
  }
  dc_strset_free(&op->used); /* remove_select makes them again */
  dc_strset_free(&op->reaped_mounts);
  return any;
}

/* The volumes' sizes (from API 1.42 only what is needed, type=volume), as a second listing. */
static int send_volume_sizes(dc_op_t *op) {
  dc_run_t *run = op->run;
  bool typed_df = dc_api_version_cmp(run->engine.version, DC_API_TYPED_DF) >= 0;
  op->listing++;
  int rc = run_send_get(run, &op->aux, "/system/df", typed_df ? "type=volume" : NULL, on_listing, op);
  if (rc < 0)
    op->listing--;
  return rc;
}

/* A listing of op's has answered (op->listing counted down): once none is left, select. */
static void remove_listing_done(dc_op_t *op) {
  if (op->listing > 0)
    return;
  if (op->kind == DC_VOLUMES) {
    bool ask = op->sizes_wanted && !op->listing_failed && volumes_selected(op);
    op->sizes_wanted = false;
    if (ask && send_volume_sizes(op) == 0)
      return; /* selected again once the sizes are in */
    /* The sizes were decoded as they came, in whatever order the two replies arrived;
     * applied now that the volume list is in, and no longer needed after. */
    if (!op->listing_failed && dc_api_apply_volume_sizes(&op->list, &op->aux_list) < 0)
      dc_warn("could not read volume sizes (out of memory): reclaimed space for volumes is not known");
    if (!sched_keep_sizes(op))
      dc_resource_list_free(&op->aux_list);
  }
  remove_select(op);
  run_advance(op->run);
}

/* Lists the op's own type and, in a real run, the containers as they are now (after the
 * container prune), against which use is judged; a dry run uses the inventory instead. */
static int list_with_containers(dc_op_t *op) {
  dc_run_t *run = op->run;
  const dc_kind_info_t *k = dc_kind(op->kind), *ck = dc_kind(DC_CONTAINERS);
  const bool dry = run->cfg->dry_run || op_judges_by_inventory(op); /* no container listing */
  op->listing = dry ? 1 : 2;
  int rc = run_send_get(run, &op->req, k->list_path, k->list_query, on_listing, op);
  if (rc == 0 && !dry && run_send_get(run, &op->aux, ck->list_path, ck->list_query, on_listing, op) < 0) {
    op->listing = 1;
    op->listing_failed = true;
    snprintf(op->error, sizeof(op->error), "could not list containers");
  }
  return rc;
}

void remove_start(dc_op_t *op) {
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
    rc = run_send_get(run, &op->req, dc_kind(DC_BUILD_CACHE)->list_path, typed_df ? dc_kind(DC_BUILD_CACHE)->list_query : NULL,
                  on_listing, op);
    break;
  case DC_CONTAINERS:
    if (run->inv[DC_CONTAINERS].state != INV_DONE) {
      op_end(op, OP_FAILED, "could not list containers");
      return;
    }
    remove_select(op);
    return;
  case DC_NETWORKS:
    rc = list_with_containers(op);
    break;
  case DC_IMAGES:
    rc = list_with_containers(op);
    if (rc == 0)
      rc = retain_list_extra(op, remove_listing_done);
    break;
  case DC_VOLUMES: {
    char *f = NULL;
    char q[256];
    dc_filter_fields_t ff = dc_config_filter_fields(run->cfg);
    int n = dc_api_filters_build(&ff, 0, dangling, dc_now_ns(), &f) < 0
                ? -1
                : snprintf(q, sizeof(q), "%s%s", *f ? "filters=" : "", f);
    free(f);
    if (n < 0 || (size_t)n >= sizeof(q)) {
      op_end(op, OP_FAILED, "cannot build the volume listing's filters: nothing sent");
      return;
    }
    op->listing = 1;
    /* The sizes: beside the listing once this run has removed containers that mounted volumes
     * (one by one: per resource, and on Podman), since it will likely show theirs; else only
     * once it shows a volume to remove. A second pass or a later round has the first's. */
    op->sizes_wanted = !op->sizes_kept && run->mounts_freed == 0;
    rc = run_send_get(run, &op->req, dc_kind(DC_VOLUMES)->list_path, q, on_listing, op);
    if (rc == 0 && !op->sizes_kept && run->mounts_freed > 0)
      (void)send_volume_sizes(op); /* not sent: no sizes, as when the engine cannot say */
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
    char why[256];
    describe_failure(why, sizeof(why), req, status, resp);
    /* The stop's answer lost: the container stands either way, and its removal is not sent. */
    if (!slot->stopping_first && answer_lost(status, resp) && ask_if_gone(op, slot, why))
      return;
    removal_failed(op, slot, why, "");
  }
  pump_reaps(op);
  run_advance(run);
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

static void start_reap_slot(dc_op_t *op, dc_delete_slot_t *slot) {
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

static void pump_reaps(dc_op_t *op) { pump(op, start_reap_slot); }

void reap_start(dc_op_t *op) {
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
  dc_facts_t facts = op_facts(op, now);
  for (size_t i = 0; i < op->from->n; i++)
    if (dc_selects(DC_REAP, &op->from->items[i], run->cfg, &facts))
      op->sel[op->nsel++] = i;
  dc_debug("reaper: %zu of %zu containers selected", op->nsel, op->from->n);
  act(op, pump_reaps, now);
}

