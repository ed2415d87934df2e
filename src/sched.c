/* sched.c: the schedule per resource (CLEANUP_SPLIT_SCHEDULE: auto, the default, takes it on
 * Docker, where it was measured faster at every scale; true and false on any engine).
 *
 * The per-type schedule starts networks, images and volumes only once every container the run
 * removes is gone, because a container pins its image, its volumes and (Podman; Docker only
 * while it runs) its networks. But most of those resources are pinned by no container at all.
 * Split, each of these operations runs twice, with its own unchanged selection each time:
 *
 *   pass 1, beside the container step: it lists (or the daemon prunes) what is unused *now*,
 *     while the containers still stand, so it takes only what no container pins. Volumes run
 *     it again, in rounds, as the containers that mounted them go (sched_next_round): a
 *     pinned volume goes soon after the containers that pinned it, not after them all;
 *   pass 2, once the container step (and the reaper) is done: the same again, for what the
 *     containers that went pinned; skipped when the inventory shows they pinned nothing of
 *     the type (the common case for networks on Docker, and for images whose containers'
 *     image another container still uses), or when the volumes' last round was listed after
 *     every container that mounted one had gone.
 *
 * Nothing is forced that was not before: each removal keeps the engine's own guards, so a
 * resource a container still holds is refused (a reasoned skip), never removed. The two passes
 * together remove what the single pass after the containers would have: what is unused once
 * the containers are gone. The dry run is not split (it removes nothing, all at once), so it
 * lists exactly what the real run removes.
 *
 * On Docker the network prune shares one daemon lock with the container prune, so a split
 * network operation is chosen here and removed network by network (without force: an active
 * endpoint is the engine's 403, a reasoned skip); the containers too go one by one, several in
 * flight. Images keep the daemon's prune where they had it (one prune per pass), volumes
 * their listing and removals. */
#include "op.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "text.h"

#define DC_SPLIT_CONNECTIONS 6 /* DC_DELETE_CONCURRENCY for the containers, two for the rest */

void sched_plan(dc_run_t *run) {
  const dc_config_t *cfg = run->cfg;
  bool per_resource = dc_schedule_per_resource(cfg->schedule, run->engine.podman);
  dc_debug("schedule: %s%s", per_resource && !cfg->dry_run ? "per resource" : "per type",
           cfg->dry_run && per_resource ? " (a dry run is not split)" : "");
  if (cfg->dry_run || !per_resource)
    return;
  /* Nothing to wait for when no container goes. */
  if (!run->ops[DC_CONTAINERS].selected && !run->ops[DC_REAP].selected)
    return;
  /* The container prune removes one container after another, under a lock that the network
   * prune shares; removals one by one (DC_DELETE_CONCURRENCY in flight, without force, so a
   * container started since the listing is refused) took less time on Docker 26 at every
   * scale measured (bench/README.md), and mark each container gone as it goes. */
  dc_op_t *containers = &run->ops[DC_CONTAINERS];
  if (containers->selected && !op_terminal(containers) && !containers->client_side)
    containers->client_side = containers->side_by_sched = true;
  /* Everything at once would take every connection, each with its read buffer filled by some
   * listing: the containers' four and two for the rest keep the peak RSS where the per-type
   * schedule had it (under 4 MiB at scale 20). */
  run->client.max_conns = DC_SPLIT_CONNECTIONS;
  static const dc_kind_t later[] = {DC_NETWORKS, DC_IMAGES, DC_VOLUMES};
  for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++) {
    dc_op_t *op = &run->ops[later[i]];
    if (!op->selected || op_terminal(op))
      continue;
    /* Retention keeps its own single pass for images (its listing, details and budget). */
    if (later[i] == DC_IMAGES && run->retain)
      continue;
    /* Before API 1.42 the volumes' sizes come in the whole disk-usage report (every image,
     * container, volume and build record): read beside the container step it raised the peak
     * RSS from 3.8 to 5.0 MiB at scale 20 on Docker 20.10, for a first pass worth ~50 ms. */
    if (later[i] == DC_VOLUMES && dc_api_version_cmp(run->engine.version, DC_API_TYPED_DF) < 0)
      continue;
    op->split = true;
    op->by_sched = true;
    if (later[i] == DC_NETWORKS && !op->client_side)
      op->client_side = op->side_by_sched = true; /* the network prune would wait for the container prune's lock */
  }
}

/* Without the inventory the containers cannot be chosen one by one, nor can what they pin be
 * judged; the daemon's prunes need neither, so what has not started is planned as the per-type
 * schedule would have it, and the run removes what it would have removed without the split.
 * A volumes' first pass already under way (sched_starts_early) needs nothing of the inventory
 * and goes on; its second pass runs, since what the containers pinned is not known. */
void sched_without_inventory(dc_run_t *run) {
  for (int k = 0; k < DC_KIND__COUNT; k++) {
    dc_op_t *op = &run->ops[k];
    if (!op->selected || op->status != OP_WAITING || op->pass != 0)
      continue;
    if (op->side_by_sched)
      op->client_side = op->side_by_sched = false;
    if (op->by_sched)
      op->split = op->by_sched = false;
  }
}

/* The volumes' first pass lists what is dangling now, judged by the engine: it needs nothing of
 * the container inventory, so it is sent beside it, and a run with nothing to remove waits for
 * one round trip after /_ping, not two. (The networks' first pass judges use from the
 * inventory; the images' prune is held to the image inventory.) */
bool sched_starts_early(const dc_op_t *op) { return op->split && op->pass == 0 && op->kind == DC_VOLUMES; }

/* Keeps of the disk usage only the volumes a container of the inventory mounts (the second
 * pass can only find those newly unused), the list cut to its length: peak RSS. */
static void trim_sizes(dc_op_t *op) {
  const dc_resource_list_t *cs = &op->run->inv[DC_CONTAINERS].list;
  dc_resource_list_t *l = &op->aux_list;
  dc_strset_t mounted = {0};
  for (size_t i = 0; i < cs->n; i++)
    for (size_t m = 0; m < cs->items[i].nmount_volumes; m++)
      if (dc_strset_add(&mounted, cs->items[i].mount_volumes[m]) < 0) {
        dc_strset_free(&mounted);
        return; /* no memory to trim: all kept */
      }
  dc_strset_seal(&mounted);
  size_t k = 0;
  for (size_t i = 0; i < l->n; i++) {
    /* A size entry holds its name alone (decode.c add_size). */
    if (dc_strset_has(&mounted, l->items[i].id))
      l->items[k++] = l->items[i];
    else
      free(l->items[i].id);
  }
  dc_strset_free(&mounted);
  l->n = k;
  dc_resource_t *items = realloc(l->items, (k ? k : 1) * sizeof(*items));
  if (items)
    l->items = items;
}

bool sched_keep_sizes(dc_op_t *op) {
  if (op->split && op->pass == 1 && op->kind == DC_VOLUMES && op->aux_list.n > 0 && !op->sizes_kept) {
    /* A first pass that ends before the inventory is in (it starts beside it:
     * sched_starts_early), or without it, keeps them all: one entry per volume reported. */
    if (op->run->inv[DC_CONTAINERS].state == INV_DONE)
      trim_sizes(op);
    op->sizes_kept = true;
  }
  return op->sizes_kept;
}

/* Removals in flight for op: beside the container step (the critical path, 4 in flight), the
 * first passes take one connection each, so that the run holds no more connections than the
 * per-type schedule did at its peak (peak RSS), and leave the engine to the containers. */
size_t sched_max_inflight(const dc_op_t *op) {
  return op->split && op->pass == 1 ? 1 : DC_DELETE_CONCURRENCY;
}

/* The containers the run removed (doomed in the inventory): did they pin anything of op's
 * type that no remaining container holds? Errs towards yes when what went is not known. */
static bool pinned_any(dc_op_t *op) {
  dc_run_t *run = op->run;
  const dc_op_t *containers = &run->ops[DC_CONTAINERS], *reap = &run->ops[DC_REAP];
  if (run->inv[DC_CONTAINERS].state != INV_DONE || (containers->selected && containers->status != OP_OK) ||
      (reap->selected && reap->status != OP_OK))
    return true;
  const dc_resource_list_t *cs = &run->inv[DC_CONTAINERS].list;
  dc_strset_t kept = {0};
  bool any = false, oom = false;
  /* What the remaining containers hold. */
  for (size_t i = 0; i < cs->n && !oom; i++) {
    const dc_resource_t *c = &cs->items[i];
    if (c->doomed)
      continue;
    if (op->kind == DC_IMAGES && c->image_id)
      oom = dc_strset_add(&kept, dc_bare_id(c->image_id)) < 0;
    for (size_t m = 0; op->kind == DC_VOLUMES && m < c->nmount_volumes && !oom; m++)
      oom = dc_strset_add(&kept, c->mount_volumes[m]) < 0;
  }
  dc_strset_seal(&kept);
  for (size_t i = 0; i < cs->n && !any && !oom; i++) {
    const dc_resource_t *c = &cs->items[i];
    if (!c->doomed)
      continue;
    switch (op->kind) {
    case DC_IMAGES:
      /* The daemon's prune is held to the image inventory: only an image it would select. */
      if (c->image_id && !dc_strset_has(&kept, dc_bare_id(c->image_id)))
        any = true;
      break;
    case DC_VOLUMES:
      for (size_t m = 0; m < c->nmount_volumes && !any; m++)
        any = !dc_strset_has(&kept, c->mount_volumes[m]);
      break;
    case DC_NETWORKS:
      /* Docker counts endpoints, which only a running container holds (select.c). */
      any = c->nnets > 0 && (run->engine.podman || dc_container_running(c));
      break;
    default:
      any = true;
    }
  }
  dc_strset_free(&kept);
  if (oom || !any || op->kind != DC_IMAGES || op->client_side || run->inv[DC_IMAGES].state != INV_DONE)
    return oom || any;
  /* Images by the daemon's prune: only if the inventory holds one the prune would take now. */
  any = false;
  dc_strset_free(&op->used); /* the first pass's */
  if (op_use_sets(op) < 0) {
    any = true;
  } else {
    dc_strset_t gone = {0};
    for (size_t i = 0; i < cs->n && !oom; i++)
      if (cs->items[i].doomed && cs->items[i].image_id)
        oom = dc_strset_add(&gone, dc_bare_id(cs->items[i].image_id)) < 0;
    dc_strset_seal(&gone);
    const dc_resource_list_t *imgs = &run->inv[DC_IMAGES].list;
    for (size_t i = 0; i < imgs->n && !any; i++)
      any = oom || (!imgs->items[i].doomed && dc_strset_has(&gone, dc_bare_id(imgs->items[i].id)) &&
                    op_selects(op, &imgs->items[i]));
    dc_strset_free(&gone);
  }
  dc_strset_free(&op->used);
  return any;
}

/* Back to a fresh start, keeping what the passes so far counted and the start. */
static void reset_for_next_pass(dc_op_t *op) {
  dc_resource_list_free(&op->list);
  if (!op->sizes_kept)
    dc_resource_list_free(&op->aux_list);
  free(op->sel);
  op->sel = NULL;
  dc_strset_free(&op->used);
  dc_strset_free(&op->reaped_mounts);
  op->from = NULL;
  op->nsel_before += op->nsel;
  op->failures_before += op->failures;
  op->nsel = op->next = op->inflight = op->failures = op->gone = 0;
  op->listing = 0;
  op->listing_failed = false;
  op->attempts = 0;
  op->retry_req = NULL;
}

bool sched_second_pass(dc_op_t *op) {
  /* Volumes: the last round listed after every container that mounted one was gone. */
  bool seen = op->kind == DC_VOLUMES && op->pass1_status == OP_OK && op->round_mark == op->run->mounts_freed;
  if (seen || !pinned_any(op)) {
    dc_debug("%s: %s: no second pass", dc_kind_plural(op->kind),
             seen ? "the last round came after the containers that mounted volumes"
                  : "the containers removed pinned none");
    op->pass = 0; /* so that op_end ends it */
    op->split = false;
    op_end(op, op->pass1_status, NULL);
    return false;
  }
  reset_for_next_pass(op);
  op->pass = 2;
  op->status = OP_RUNNING;
  dc_debug("%s: second pass, for what the removed containers pinned", dc_kind_plural(op->kind));
  return true;
}

void sched_first_pass(dc_op_t *op) {
  op->pass = 1;
  op->round_mark = op->run->mounts_freed;
}

/* Volumes only: the network and image first passes take what no container pins, and a Docker
 * network is pinned only by a running container (which the run does not remove); the images'
 * daemon prune would contend with the container removals for the engine at every round. Each
 * round is the first pass again, unchanged (a listing of what is dangling now, the same
 * rules, removals without force): what the containers removed so far pinned and no remaining
 * one holds is dangling now. Rounds do not overlap; one is started when containers that
 * mounted a volume have gone since the last one started, so that they follow the container
 * step at the pace of one listing and its removals. The second pass takes whatever is left. */
bool sched_next_round(dc_op_t *op) {
  dc_run_t *run = op->run;
  if (op->kind != DC_VOLUMES || op->round_mark == run->mounts_freed)
    return false;
  reset_for_next_pass(op);
  op->round_mark = run->mounts_freed;
  op->status = OP_RUNNING;
  dc_debug("volumes: first pass again, for what the containers removed so far pinned");
  return true;
}
