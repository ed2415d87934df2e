/* select.c: the deletion rules, one resource at a time. */
#include "select.h"

#include <errno.h>
#include <string.h>

#include "filters.h"

static const char *const why_names[DC_WHY__COUNT] = {
    [DC_WHY_SELECTED] = "selected",
    [DC_WHY_PROTECTED] = "protected",
    [DC_WHY_LABELS] = "label mismatch",
    [DC_WHY_CREATED_UNKNOWN] = "creation time unknown",
    [DC_WHY_TOO_NEW] = "too new",
    [DC_WHY_GOING] = "going already",
    [DC_WHY_RUNNING] = "running",
    [DC_WHY_DEFAULT_NETWORK] = "default network",
    [DC_WHY_IN_USE] = "in use",
    [DC_WHY_TAGGED] = "tagged",
    [DC_WHY_DRIVER] = "driver or options",
    [DC_WHY_REAPED_ALONG] = "goes with its reaped container",
    [DC_WHY_NAMED_VOLUME] = "named volume",
    [DC_WHY_CACHE_IN_USE] = "cache in use",
    [DC_WHY_CACHE_INTERNAL] = "internal or frontend cache",
    [DC_WHY_CACHE_SHARED] = "shared cache",
};

const char *dc_why_name(dc_why_t why) { return why < DC_WHY__COUNT ? why_names[why] : "?"; }

static dc_verdict_t keep(dc_why_t why) { return (dc_verdict_t){DC_KEEP, why}; }
static const dc_verdict_t removal = {DC_REMOVE, DC_WHY_SELECTED};

bool dc_volume_anonymous(const dc_resource_t *v) {
  static const dc_label_term_t anon = {.key = "com.docker.volume.anonymous"};
  if (dc_label_present(&anon, v->labels))
    return true;
  /* Engines before API 1.42, and Podman, do not label anonymous volumes: they are known by
   * their generated name, 64 lower-case hex digits. */
  if (strlen(v->id) != 64)
    return false;
  for (const char *p = v->id; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
      return false;
  return true;
}

bool dc_container_running(const dc_resource_t *c) {
  return strcmp(c->state, "running") == 0 || strcmp(c->state, "paused") == 0 || strcmp(c->state, "restarting") == 0;
}

size_t dc_image_tags(const dc_resource_t *img) {
  size_t n = 0, i;
  json_t *t;
  json_array_foreach(img->tags, i, t) {
    if (json_is_string(t) && strcmp(json_string_value(t), "<none>:<none>") != 0)
      n++;
  }
  return n;
}

int dc_select_use_sets(dc_kind_t k, bool dry_run, const dc_resource_list_t *cs, dc_strset_t *used,
                       dc_strset_t *reaped_mounts) {
  if (k != DC_IMAGES && !(k == DC_VOLUMES && dry_run))
    return 0;
  for (size_t i = 0; i < cs->n; i++) {
    const dc_resource_t *c = &cs->items[i];
    if (k == DC_IMAGES && !c->doomed && c->image_id && dc_strset_add(used, dc_bare_id(c->image_id)) < 0)
      return -ENOMEM;
    if (k == DC_VOLUMES && (!c->doomed || c->reaped)) {
      for (size_t m = 0; m < c->nmount_volumes; m++)
        if (dc_strset_add(c->doomed ? reaped_mounts : used, c->mount_volumes[m]) < 0)
          return -ENOMEM;
    }
  }
  dc_strset_seal(used);
  dc_strset_seal(reaped_mounts);
  return 0;
}

/* Is the network in use by a container of cs that stays? Docker counts endpoints, which only
 * running containers hold; Podman counts every container. */
static bool network_in_use(const dc_facts_t *f, const dc_resource_t *net) {
  const dc_resource_list_t *cs = f->containers;
  for (size_t i = 0; cs && i < cs->n; i++) {
    const dc_resource_t *c = &cs->items[i];
    if (c->doomed || (!f->podman && !dc_container_running(c)))
      continue;
    for (size_t k = 0; k < c->nnets; k++) {
      const dc_net_ref_t *n = &c->nets[k];
      if ((net->name && strcmp(n->name, net->name) == 0) || (n->id && strcmp(n->id, net->id) == 0))
        return true;
    }
  }
  return false;
}

static bool in_set(const dc_strset_t *s, const char *v) { return s && dc_strset_has(s, v); }

/* BuildKit's rules: never a record in use; without `all`, not internal or frontend records
 * nor those shared with images; `until` against the last use, and a record never used goes
 * whatever `until` says. Records carry no labels. */
static dc_verdict_t build_cache(const dc_resource_t *r, const dc_config_t *cfg) {
  if (r->in_use)
    return keep(DC_WHY_CACHE_IN_USE);
  if (!cfg->prune_all && r->shared)
    return keep(DC_WHY_CACHE_SHARED);
  if (!cfg->prune_all && (strcmp(r->state, "internal") == 0 || strcmp(r->state, "frontend") == 0))
    return keep(DC_WHY_CACHE_INTERNAL);
  if (cfg->has_until && r->created_ns != INT64_MIN && !dc_until_selects(cfg->until_ns, r->created_ns))
    return keep(DC_WHY_TOO_NEW);
  return removal;
}

/* The reaper: a container carrying a reap label, created more than reap_after_ns ago,
 * running or not. */
static dc_verdict_t reap(const dc_resource_t *c, const dc_config_t *cfg, int64_t now_ns) {
  if (dc_label_present(&cfg->protect, c->labels))
    return keep(DC_WHY_PROTECTED);
  if (c->created_ns == INT64_MIN)
    return keep(DC_WHY_CREATED_UNKNOWN);
  bool labelled = false;
  for (size_t i = 0; i < cfg->nreap && !labelled; i++)
    labelled = dc_label_present(&cfg->reap[i], c->labels);
  if (!labelled)
    return keep(DC_WHY_LABELS);
  return now_ns - c->created_ns > cfg->reap_after_ns ? removal : keep(DC_WHY_TOO_NEW);
}

dc_verdict_t dc_select(dc_kind_t k, const dc_resource_t *r, const dc_config_t *cfg, const dc_facts_t *f) {
  if (k == DC_BUILD_CACHE)
    return build_cache(r, cfg);
  if (k == DC_REAP)
    return reap(r, cfg, f->now_ns);
  if (dc_label_present(&cfg->protect, r->labels))
    return keep(DC_WHY_PROTECTED);
  if (!dc_labels_match(cfg->labels, cfg->nlabels, r->labels))
    return keep(DC_WHY_LABELS);
  if (cfg->has_until && r->created_ns == INT64_MIN)
    return keep(DC_WHY_CREATED_UNKNOWN);
  if (cfg->has_until && !dc_until_selects(cfg->until_ns, r->created_ns))
    return keep(DC_WHY_TOO_NEW);
  switch (k) {
  case DC_CONTAINERS:
    if (r->doomed)
      return keep(DC_WHY_GOING); /* reaped already */
    /* Docker's stopped states, and Podman's own names for them. Removal without force is
     * refused for a running container, so a state misread errs on the safe side. */
    if (strcmp(r->state, "created") == 0 || strcmp(r->state, "exited") == 0 || strcmp(r->state, "dead") == 0 ||
        strcmp(r->state, "configured") == 0 || strcmp(r->state, "stopped") == 0)
      return removal;
    return keep(DC_WHY_RUNNING);
  case DC_NETWORKS:
    if (strcmp(r->id, "bridge") == 0 || (r->name && (strcmp(r->name, "bridge") == 0 || strcmp(r->name, "host") == 0 ||
                                                      strcmp(r->name, "none") == 0)))
      return keep(DC_WHY_DEFAULT_NETWORK);
    /* Docker's `dangling` filter on the network list does not see endpoints, so both runs
     * judge use from the containers: those that would remain (dry), or those left now. */
    return network_in_use(f, r) ? keep(DC_WHY_IN_USE) : removal;
  case DC_IMAGES:
    if (in_set(f->used, dc_bare_id(r->id)))
      return keep(DC_WHY_IN_USE);
    return cfg->prune_all || dc_image_tags(r) == 0 ? removal : keep(DC_WHY_TAGGED);
  case DC_VOLUMES:
    if (strcmp(r->driver, "local") != 0 || r->has_options)
      return keep(DC_WHY_DRIVER);
    /* The use sets are filled in a dry run only (a real run lists dangling volumes): still
     * mounted by a container that stays; or anonymous and mounted by a reaped container,
     * which takes it along (v=1), so the volume cleanup never sees it. */
    if (in_set(f->used, r->id))
      return keep(DC_WHY_IN_USE);
    if (dc_volume_anonymous(r) && in_set(f->reaped_mounts, r->id))
      return keep(DC_WHY_REAPED_ALONG);
    return cfg->volumes_all || dc_volume_anonymous(r) ? removal : keep(DC_WHY_NAMED_VOLUME);
  default:
    return keep(DC_WHY_LABELS);
  }
}
