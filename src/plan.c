/* plan.c: the run's schedule.
 *
 * Every event (a reply, a timer, a signal) ends in advance(), reached from the other modules
 * through run_advance(), which starts whatever has become possible and finishes the run when
 * nothing is left. Only advance() and finish() decide what happens next; the handlers (op.c,
 * prune.c, remove.c, recon.c) just record outcomes. */
#include "plan.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "op.h"
#include "privdrop.h"
#include "report.h"
#include "text.h"

static void advance(dc_run_t *run);
static void on_deadline(uv_timer_t *t);

/* --- inventories taken before deleting, for the audit trail --- */

static void inventory_failed(dc_inventory_t *inv) {
  inv->state = INV_FAILED;
  if (inv->kind == DC_CONTAINERS)
    sched_without_inventory(inv->run);
}

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
    inventory_failed(inv);
    if (!run_past_deadline(run))
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
  if (run_send_get(run, &inv->req, k->list_path, k->list_query, on_inventory, inv) < 0)
    inventory_failed(inv);
}


/* Sends op's requests: when it starts, and for each later pass or round of a split one
 * (sched.c readies those, keeping its start and what it has counted). */
static void send_op(dc_op_t *op) {
  if (op->kind == DC_REAP)
    reap_start(op);
  else if (op->client_side)
    remove_start(op);
  else
    prune_start(op);
}

static void start_op(dc_op_t *op) {
  op->status = OP_RUNNING;
  op->start_ms = dc_now_ms();
  op->bytes = op->client_side || op->kind == DC_REAP ? -1 : 0;
  send_op(op);
}

/* --- the run --- */

static void on_handle_closed(uv_handle_t *h) { (void)h; }

static void close_handle(uv_handle_t *h) {
  if (h->loop && !uv_is_closing(h))
    uv_close(h, on_handle_closed);
}

/* Closes the run's handles and its client. */
static void close_run(dc_run_t *run) {
  close_handle((uv_handle_t *)&run->deadline);
  close_handle((uv_handle_t *)&run->sigterm);
  close_handle((uv_handle_t *)&run->sigint);
  close_handle((uv_handle_t *)&run->recon_timer);
  for (int k = 0; k < DC_KIND__COUNT; k++)
    close_handle((uv_handle_t *)&run->ops[k].retry_timer);
  dc_client_close(&run->client, NULL);
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
      if (!op_terminal(op))
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
  if (run->retain) {
    /* Build cache records evicted for the storage budget (by the images operation). */
    counts[DC_BUILD_CACHE] += run->retain->cache_evicted;
    bytes = dc_bytes_add(bytes, run->retain->cache_evicted_bytes);
    if (run->ping_state == INV_DONE)
      retain_finish(run);
  }
  run->exit_code = dc_report_summary(run->exit_code, counts, bytes, dc_now_ms() - run->start_ms);

  /* The run's signal handlers go with its handles (close_run). A SIGTERM or SIGINT that comes
   * from now on is held, not lost (to PID 1 a signal without a handler is nothing), until
   * main has its own handler in place for the output's last writes (dc_out_drain). */
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigaddset(&term, SIGINT);
  pthread_sigmask(SIG_BLOCK, &term, NULL);
  close_run(run);
  for (int k = 0; k < DC_KIND__COUNT; k++) {
    dc_op_t *op = &run->ops[k];
    free(op->cand);
    dc_resource_list_free(&op->recon_last);
    op->cand = NULL;
    dc_resource_list_free(&run->inv[k].list);
    dc_resource_list_free(&op->list);
    dc_resource_list_free(&op->aux_list);
    free(op->sel);
    op->sel = NULL;
    dc_strset_free(&op->used);
    dc_strset_free(&op->reaped_mounts);
  }
  retain_free(run);
}


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
    if (!op->selected || op_terminal(op))
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
  retain_cut(run);
  dc_client_abort(&run->client);
  if (run->reconciling > 0)
    recon_start(run);
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
  if (!run->signal_ns)
    run->signal_ns = uv_hrtime();
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
  if (!run_past_deadline(run)) {
    bool inventory_in = run->inv[DC_CONTAINERS].state != INV_RUNNING;
    if (ops[DC_REAP].selected && ops[DC_REAP].status == OP_WAITING && inventory_in)
      start_op(&ops[DC_REAP]);
    bool reaped = !ops[DC_REAP].selected || op_terminal(&ops[DC_REAP]);
    if (ops[DC_CONTAINERS].selected && ops[DC_CONTAINERS].status == OP_WAITING && inventory_in && reaped)
      start_op(&ops[DC_CONTAINERS]);
    if (ops[DC_BUILD_CACHE].selected && ops[DC_BUILD_CACHE].status == OP_WAITING)
      start_op(&ops[DC_BUILD_CACHE]);
    bool containers_done = reaped && (!ops[DC_CONTAINERS].selected || op_terminal(&ops[DC_CONTAINERS]));
    /* With KEEP_STORAGE the images operation reads the build cache's records from its own disk
     * usage report, once the build cache operation is over: BuildKit marks records in use while
     * it sizes them for another report, so two at once could show a record in use to one of
     * them (and the dry run and the real run would then plan different evictions). */
    bool cache_settled = !(run->retain && run->cfg->has_keep_storage) || !ops[DC_BUILD_CACHE].selected ||
                         op_terminal(&ops[DC_BUILD_CACHE]);
    static const dc_kind_t second[] = {DC_NETWORKS, DC_IMAGES, DC_VOLUMES};
    for (size_t i = 0; i < 3; i++) {
      dc_op_t *op = &ops[second[i]];
      /* op->recon: a first pass whose prune's answer was lost, listing again (recon.c). */
      if (!op->selected || op->status != OP_WAITING || op->recon || run->inv[second[i]].state == INV_RUNNING ||
          (run->inv[DC_CONTAINERS].state == INV_RUNNING && !sched_starts_early(op)) ||
          (second[i] == DC_IMAGES && !cache_settled))
        continue;
      /* Split (sched.c): the first pass beside the containers, the second after them. */
      if (op->split && op->pass == 1 && containers_done) {
        if (sched_second_pass(op))
          send_op(op);
      } else if (op->split && op->pass == 1) {
        if (sched_next_round(op))
          send_op(op);
      } else if (op->split && op->pass == 0 && !containers_done) {
        sched_first_pass(op);
        start_op(op);
      } else if (op->pass == 0 && containers_done) {
        op->split = false; /* the containers are done already: one pass */
        start_op(op);
      }
    }
  }
  for (int k = 0; k < DC_KIND__COUNT; k++) {
    if (ops[k].selected && !op_terminal(&ops[k]))
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
  /* Retention keeps images the daemon's prune would take: they are chosen here. */
  if (run->retain)
    run->ops[DC_IMAGES].client_side = true;
  dc_op_t *build = &run->ops[DC_BUILD_CACHE];
  if (build->selected) {
    const char *why = NULL;
    if (e->podman)
      why = "the engine (Podman) has no build cache API";
    else if (dc_api_version_cmp(e->version, DC_API_BUILD_PRUNE) < 0)
      why = "build cache pruning needs API " DC_API_BUILD_PRUNE;
    else if (user_positive)
      why = "build cache records carry no labels, so the label filter op_selects none";
    if (why) {
      build->start_ms = dc_now_ms();
      build->bytes = -1;
      op_end(build, OP_SKIPPED, "%s", why);
    }
  }
  sched_plan(run);
  /* Networks chosen here need nothing from API 1.40: they are listed unfiltered (GET
   * /networks), labels are matched here and use is judged from the containers, so a dry run
   * (always chosen here) agrees with the real run at every version from 1.25. */
}

static void begin(dc_run_t *run);
static void on_version_probe(dc_request_t *req, int status, dc_http_response_t *resp);

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
  /* A pin below a new engine's minimum: said once, up front, rather than by every request's
   * 400 "client version is too old". Older engines serve every version we accept. */
  if (cfg->api_version[0] && dc_api_version_cmp(run->engine.daemon_max, DC_API_MIN_KNOWN_SERVED) > 0) {
    run->version_probe.method = "GET";
    snprintf(run->version_probe.path, sizeof(run->version_probe.path), "/version");
    run->version_probe.cb = on_version_probe;
    run->version_probe.data = run;
    run->version_probe.body_cap = 65536;
    if (dc_client_send(&run->client, &run->version_probe) == 0)
      return; /* ping_state stays INV_RUNNING until the answer */
  }
  begin(run);
}

/* The answer to GET /version (see on_ping): refuse a pin below the engine's minimum; any
 * other outcome leaves the pin to the engine. */
static void on_version_probe(dc_request_t *req, int status, dc_http_response_t *resp) {
  dc_run_t *run = req->data;
  if (run->finished || run->ping_state != INV_RUNNING)
    return;
  char err[256];
  if (status == 0 && resp->status == 200 &&
      dc_api_check_min(resp->body, resp->body_len, run->cfg->api_version, err, sizeof(err)) < 0) {
    run->ping_state = INV_FAILED;
    snprintf(run->error, sizeof(run->error), "%s", err);
    dc_error("%s", run->error);
    advance(run);
    return;
  }
  begin(run);
}

/* The engine is known: plan, then take the inventories and start. */
static void begin(dc_run_t *run) {
  const dc_config_t *cfg = run->cfg;
  run->ping_state = INV_DONE;
  dc_report_engine(&run->engine);
  if (retain_init(run) < 0) {
    run->ping_state = INV_FAILED;
    snprintf(run->error, sizeof(run->error), "out of memory");
    dc_error("%s", run->error);
    advance(run);
    return;
  }
  if (run->retain)
    /* Evicting one build cache record by its ID takes the prune's id filter, which Docker
     * has for every API version here; Podman has no build cache. */
    run->retain->cache_evictable = !run->engine.podman;
  plan_ops(run);

  /* The inventories behind the audit trail, all at once. */
  /* A dry run judges what is in use against the containers that would remain. */
  bool dry_needs = cfg->dry_run && (run->ops[DC_IMAGES].selected || run->ops[DC_NETWORKS].selected ||
                                    run->ops[DC_VOLUMES].selected);
  /* Retention judges last use from every container, those this run removes included. */
  bool retain_needs = run->retain && run->ops[DC_IMAGES].selected;
  if ((run->ops[DC_CONTAINERS].selected && !op_terminal(&run->ops[DC_CONTAINERS])) || dry_needs ||
      run->ops[DC_REAP].selected || retain_needs)
    start_inventory(run, DC_CONTAINERS);
  if (run->ops[DC_IMAGES].selected && !run->ops[DC_IMAGES].client_side)
    start_inventory(run, DC_IMAGES);
  if (run->ops[DC_NETWORKS].selected && !run->ops[DC_NETWORKS].client_side)
    start_inventory(run, DC_NETWORKS);
  advance(run);
}

int dc_run_start(dc_run_t *run, uv_loop_t *loop, const dc_config_t *cfg, const dc_preconnect_t *pre) {
  /* run comes zeroed from dc_run_new (calloc: fresh pages, most of which a run never
   * touches; a memset here touched all 424 KiB of it, raising the peak RSS by as much). */
  run->loop = loop;
  run->cfg = cfg;
  run->advance = advance; /* the one way back into the schedule (run_advance) */
  run->on_deadline = on_deadline;
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
    close_run(run);
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


dc_run_t *dc_run_new(void) { return calloc(1, sizeof(dc_run_t)); }
void dc_run_free(dc_run_t *run) { free(run); }
bool dc_run_finished(const dc_run_t *run) { return run->finished; }
int dc_run_exit_code(const dc_run_t *run) { return run->exit_code; }

uint64_t dc_run_end_ns(const dc_run_t *run) {
  return run->signal_ns && run->signal_ns < run->deadline_ns ? run->signal_ns : run->deadline_ns;
}
dc_client_t *dc_run_client(dc_run_t *run) { return &run->client; }
