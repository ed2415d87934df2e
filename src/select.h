/* select.h: the deletion rules. Given a resource, the settings and what is known of the
 * engine, says whether the resource goes and why. Pure: no I/O, no loop, no clock (the
 * instant the reaper measures age against is passed in). The dry run and the real run ask
 * the same questions here; only what they do with the answer differs. */
#ifndef DC_SELECT_H
#define DC_SELECT_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "kinds.h"
#include "resource.h"
#include "state.h"

typedef enum { DC_KEEP = 0, DC_REMOVE } dc_decision_t;

typedef enum {
  DC_WHY_SELECTED = 0,     /* every rule lets it go */
  DC_WHY_PROTECTED,        /* carries the protection label: always kept */
  DC_WHY_LABELS,           /* the label filters do not match (the reaper: no reap label) */
  DC_WHY_CREATED_UNKNOWN,  /* `until` (or the reaper's age) is set and the creation time is not known */
  DC_WHY_TOO_NEW,          /* created (build cache: last used) after the cut-off */
  DC_WHY_GOING,            /* containers: removed already, by the reaper */
  DC_WHY_RUNNING,          /* containers: not in a stopped state */
  DC_WHY_DEFAULT_NETWORK,  /* networks: bridge, host, none */
  DC_WHY_IN_USE,           /* used by a container that stays (images, networks, volumes) */
  DC_WHY_TAGGED,           /* images: tagged, without PRUNE_ALL */
  DC_WHY_DRIVER,           /* volumes: not the local driver, or with driver options */
  DC_WHY_REAPED_ALONG,     /* volumes, dry run: anonymous, mounted by a reaped container, goes with it */
  DC_WHY_NAMED_VOLUME,     /* volumes: named, without PRUNE_VOLUMES_ALL */
  DC_WHY_CACHE_IN_USE,     /* build cache: the record is in use */
  DC_WHY_CACHE_INTERNAL,   /* build cache: an internal or frontend record, without PRUNE_ALL */
  DC_WHY_CACHE_SHARED,     /* build cache: shared with an image, without PRUNE_ALL */
  DC_WHY_KEEP_PATTERN,     /* images: a reference matches KEEP_IMAGES */
  DC_WHY_REFS_UNKNOWN,     /* images, with a retention setting: more references than were read */
  DC_WHY_KEEP_LATEST,      /* images: among the KEEP_LATEST newest of a repository */
  DC_WHY_LAST_USE_UNKNOWN, /* images, with KEEP_USED_WITHIN: the last use is not known */
  DC_WHY_USED_RECENTLY,    /* images and build cache: used since the KEEP_USED_WITHIN cut-off */
  DC_WHY__COUNT
} dc_why_t;

typedef struct dc_verdict {
  dc_decision_t decision;
  dc_why_t why;
} dc_verdict_t;

/* What the rules need to know of the engine, besides the resource itself. */
typedef struct dc_facts {
  bool podman; /* Podman counts every container on a network, Docker only running ones */
  /* networks: the containers their use is judged against (those marked doomed go anyway) */
  const dc_resource_list_t *containers;
  const dc_strset_t *used;          /* images: bare IDs in use; volumes (dry run): names mounted */
  const dc_strset_t *reaped_mounts; /* volumes (dry run): names mounted by reaped containers */
  int64_t now_ns;                   /* the reaper: the instant ages are measured at */
} dc_facts_t;

/* The daemon's own rules for a resource of kind k (the reaper's for DC_REAP). */
dc_verdict_t dc_select(dc_kind_t k, const dc_resource_t *r, const dc_config_t *cfg, const dc_facts_t *facts);

static inline bool dc_selects(dc_kind_t k, const dc_resource_t *r, const dc_config_t *cfg, const dc_facts_t *facts) {
  return dc_select(k, r, cfg, facts).decision == DC_REMOVE;
}

/* The reason as a short phrase ("protected", "in use", ...). */
const char *dc_why_name(dc_why_t why);

/* Fills the use sets of kind k from the containers cs (those not doomed): for images, the
 * bare IDs they use; for volumes in a dry run, the volumes they mount, and those that reaped
 * containers mount into reaped_mounts. Other kinds need none. Seals both sets. Returns 0 or
 * -ENOMEM. */
int dc_select_use_sets(dc_kind_t k, bool dry_run, const dc_resource_list_t *cs, dc_strset_t *used,
                       dc_strset_t *reaped_mounts);

/* Retention. */

/* Does a reference of the image (a tag or a digest) match a KEEP_IMAGES pattern? */
bool dc_image_kept_by_pattern(const dc_resource_t *img, const dc_config_t *cfg);

/* May KEEP_STORAGE evict a resource the rules keep for this reason? Only what is kept for being
 * tagged (without PRUNE_ALL) or used recently: never what is in use, protected, outside the
 * label filters or `until`, matched by KEEP_IMAGES or kept by KEEP_LATEST. */
bool dc_budget_may_evict(dc_verdict_t v);

/* Fills each image's last_use_ns and newest_kept. Last use: the newest of its LastTagTime
 * (last_tag_ns[i], INT64_MIN when the engine has none; last_tag_ns NULL: not asked), the
 * creation of the newest container of cs created from it (any state, those this run removes
 * included), and the state file's last sighting (state NULL: none); when none of them is
 * known, its creation. An image whose details were asked for and not read (read[i] false)
 * has no known last use. KEEP_LATEST: in each repository (of every tag, normalised), the
 * cfg->keep_latest images used last (then created last, then by ID) are kept; those in use
 * count. Returns 0 or -ENOMEM. */
int dc_retain_annotate(dc_resource_list_t *imgs, const int64_t *last_tag_ns, const bool *read,
                       const dc_resource_list_t *cs, const dc_state_t *state, const dc_config_t *cfg);

/* A container in a running state (running, paused, restarting). */
bool dc_container_running(const dc_resource_t *c);
/* An image's tags other than "<none>:<none>". */
size_t dc_image_tags(const dc_resource_t *img);
/* A volume the engine created for a container: labelled so, or named with 64 hex digits. */
bool dc_volume_anonymous(const dc_resource_t *v);

#endif
