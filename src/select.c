/* select.c: the deletion rules, one resource at a time. */
#include "select.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "filters.h"
#include "imageref.h"

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
    [DC_WHY_KEEP_PATTERN] = "matches KEEP_IMAGES",
    [DC_WHY_REFS_UNKNOWN] = "too many references to judge",
    [DC_WHY_KEEP_LATEST] = "among the newest of its repository",
    [DC_WHY_LAST_USE_UNKNOWN] = "last use not known",
    [DC_WHY_USED_RECENTLY] = "used recently",
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
  /* KEEP_USED_WITHIN is BuildKit's `until` on the last use, sent with the prune: a record
   * never used goes (BuildKit's rule), as with `until`. */
  if (cfg->has_used_within && r->created_ns != INT64_MIN && r->created_ns >= cfg->used_cutoff_ns)
    return keep(DC_WHY_USED_RECENTLY);
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
    if (cfg->nkeep_images > 0 && dc_image_kept_by_pattern(r, cfg))
      return keep(DC_WHY_KEEP_PATTERN);
    if (r->refs_truncated && dc_config_retention(cfg))
      return keep(DC_WHY_REFS_UNKNOWN);
    if (cfg->keep_latest > 0 && r->newest_kept)
      return keep(DC_WHY_KEEP_LATEST);
    if (!cfg->prune_all && dc_image_tags(r) > 0)
      return keep(DC_WHY_TAGGED);
    /* Whether it is one of the newest, or used recently, cannot be told. */
    if ((cfg->has_used_within || cfg->keep_latest > 0) && r->last_use_ns == INT64_MIN)
      return keep(DC_WHY_LAST_USE_UNKNOWN);
    if (cfg->has_used_within && r->last_use_ns >= cfg->used_cutoff_ns)
      return keep(DC_WHY_USED_RECENTLY);
    return removal;
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

/* --- retention --- */

bool dc_budget_may_evict(dc_verdict_t v) {
  return v.decision == DC_KEEP && (v.why == DC_WHY_TAGGED || v.why == DC_WHY_USED_RECENTLY);
}

/* Calls fn for each reference of the image (tags, then digests) that normalises; stops when it
 * returns true. */
static bool any_reference(const dc_resource_t *img, bool (*fn)(const char *norm, const void *arg), const void *arg) {
  json_t *arrays[2] = {img->tags, img->digests};
  for (int a = 0; a < 2; a++) {
    size_t i;
    json_t *t;
    json_array_foreach(arrays[a], i, t) {
      char norm[DC_REF_MAX];
      if (json_is_string(t) && dc_ref_normalize(json_string_value(t), norm, sizeof(norm)) == 0 && fn(norm, arg))
        return true;
    }
  }
  return false;
}

static bool matches_a_pattern(const char *norm, const void *arg) {
  const dc_config_t *cfg = arg;
  for (size_t i = 0; i < cfg->nkeep_images; i++)
    if (dc_ref_pattern_match(&cfg->keep_images[i], norm))
      return true;
  return false;
}

bool dc_image_kept_by_pattern(const dc_resource_t *img, const dc_config_t *cfg) {
  return any_reference(img, matches_a_pattern, cfg);
}

/* One image in one repository, for KEEP_LATEST's ranking. */
typedef struct repo_entry {
  char *repo;
  dc_resource_t *img;
} repo_entry_t;

static int later_first(int64_t a, int64_t b) { return a > b ? -1 : a < b ? 1 : 0; }

static int cmp_repo_entry(const void *pa, const void *pb) {
  const repo_entry_t *a = pa, *b = pb;
  int c = strcmp(a->repo, b->repo);
  if (c == 0)
    c = later_first(a->img->last_use_ns, b->img->last_use_ns);
  if (c == 0)
    c = later_first(a->img->created_ns, b->img->created_ns);
  if (c == 0)
    c = strcmp(a->img->id, b->img->id);
  return c;
}

typedef struct repo_collect {
  repo_entry_t *v;
  size_t n, cap;
  dc_resource_t *img;
  bool oom;
} repo_collect_t;

static bool add_repository(const char *norm, const void *arg) {
  repo_collect_t *rc = (repo_collect_t *)arg;
  char repo[DC_REF_MAX];
  if (dc_ref_repository(norm, repo, sizeof(repo)) < 0)
    return false;
  if (rc->n == rc->cap) {
    size_t cap = rc->cap ? 2 * rc->cap : 64;
    repo_entry_t *v = realloc(rc->v, cap * sizeof(*v));
    if (!v) {
      rc->oom = true;
      return true;
    }
    rc->v = v;
    rc->cap = cap;
  }
  if (!(rc->v[rc->n].repo = strdup(repo))) {
    rc->oom = true;
    return true;
  }
  rc->v[rc->n++].img = rc->img;
  return false;
}

static int rank_repositories(dc_resource_list_t *imgs, int keep) {
  repo_collect_t rc = {0};
  for (size_t i = 0; i < imgs->n && !rc.oom; i++) {
    imgs->items[i].newest_kept = false;
    rc.img = &imgs->items[i];
    /* Digests name the repository too; a digest-only image ("name@<none>" tags) is the
     * repository's as much as a tagged one. */
    any_reference(rc.img, add_repository, &rc);
  }
  if (!rc.oom) {
    qsort(rc.v, rc.n, sizeof(*rc.v), cmp_repo_entry);
    for (size_t i = 0; i < rc.n;) {
      size_t j = i, kept = 0;
      for (; j < rc.n && strcmp(rc.v[j].repo, rc.v[i].repo) == 0; j++) {
        /* An image with two tags of one repository counts once: its entries are adjacent. */
        if (j > i && rc.v[j].img == rc.v[j - 1].img)
          continue;
        if (kept < (size_t)keep) {
          rc.v[j].img->newest_kept = true;
          kept++;
        }
      }
      i = j;
    }
  }
  for (size_t i = 0; i < rc.n; i++)
    free(rc.v[i].repo);
  free(rc.v);
  return rc.oom ? -ENOMEM : 0;
}

int dc_retain_annotate(dc_resource_list_t *imgs, const int64_t *last_tag_ns, const bool *read,
                       const dc_resource_list_t *cs, const dc_state_t *state, const dc_config_t *cfg) {
  dc_resource_index_t ix = {0};
  if (dc_resource_index_build(&ix, imgs) < 0)
    return -ENOMEM;
  for (size_t i = 0; i < imgs->n; i++) {
    dc_resource_t *img = &imgs->items[i];
    int64_t t = last_tag_ns ? last_tag_ns[i] : INT64_MIN;
    if (state) {
      int64_t seen = dc_state_seen(state, img->id);
      if (seen > t)
        t = seen;
    }
    img->last_use_ns = t;
  }
  /* The newest container made from each image: an index lookup per container. */
  for (size_t i = 0; cs && i < cs->n; i++) {
    const dc_resource_t *c = &cs->items[i];
    const dc_resource_t *hit = c->image_id ? dc_resource_index_find(&ix, c->image_id) : NULL;
    if (hit && c->created_ns > hit->last_use_ns)
      ((dc_resource_t *)hit)->last_use_ns = c->created_ns;
  }
  dc_resource_index_free(&ix);
  for (size_t i = 0; i < imgs->n; i++) {
    dc_resource_t *img = &imgs->items[i];
    if (read && !read[i])
      img->last_use_ns = INT64_MIN; /* its LastTagTime may be later than anything known */
    else if (img->last_use_ns == INT64_MIN)
      img->last_use_ns = img->created_ns;
  }
  return cfg->keep_latest > 0 ? rank_repositories(imgs, cfg->keep_latest) : 0;
}
