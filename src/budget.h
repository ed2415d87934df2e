/* budget.h: KEEP_STORAGE: what images and build cache occupy on the engine, and which items
 * to evict, least recently used first, to get within a budget. Pure: no I/O, no clock.
 *
 * The bytes model. An image is a chain of layers (RootFS.Layers, base first); two images
 * share the layer at depth d iff their first d+1 layer IDs are equal, so the layers form a
 * prefix tree. Layer sizes are not reported, but cumulative sizes are: an image's Size is the
 * sum along its whole path, and its SharedSize (/system/df) the sum along the part of its path
 * that another image also has. The segments between those known points are what removing a
 * set of images frees: a segment is freed when no image left has it. Where a point's size is
 * not known (a branch below which every branch has two or more images), it is taken as large
 * as the known points allow, so that a partial removal is never credited with more than it
 * frees. Build cache records not shared with images count their own Size; shared ones count
 * nothing (their bytes are the images'). Sizes below 0 are unknown and count 0 bytes.
 *
 * An image whose layers are not known counts, and frees when it goes, only its own part
 * (Size - SharedSize); its shared part is never credited. So do all images when one of them
 * may share layers it does not list (layers NULL and SharedSize not 0), when the reports
 * disagree (two sizes for one node, or a SharedSize > 0 with no other image on the chain),
 * or when the items have more than DC_BUDGET_MAX_LAYERS layers in all (the work is bounded
 * by the number of layers: a hash of (parent node, layer ID)). The items should be every
 * image the engine has, untagged intermediate ones too (/images/json?all=1): one left out
 * that shares layers is seen only where the reports disagree. A SharedSize the engine does
 * not really compute must be passed as -1, not 0. */
#ifndef DC_BUDGET_H
#define DC_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kinds.h"

#define DC_BUDGET_MAX_LAYERS 1000000

typedef struct dc_budget_item {
  dc_kind_t kind;        /* DC_IMAGES or DC_BUILD_CACHE */
  const char *id;        /* the last tie-break of the order */
  int64_t last_use_ns;   /* the order's key: least recently used first */
  int64_t created_ns;    /* the tie-break: older first */
  int64_t size;          /* image: Size (the whole chain); record: its Size; -1 unknown */
  int64_t shared_size;   /* image: SharedSize; -1 unknown */
  bool shared;           /* record: shared with images */
  const char *const *layers; /* image: its layer IDs, base first; NULL when not known */
  size_t nlayers;
  bool going;            /* removed by the normal pass already */
  bool evictable;        /* may be evicted: unused, not protected, not kept by a rule */
} dc_budget_item_t;

typedef struct dc_budget_plan {
  int64_t before;       /* bytes images and build cache occupy now */
  int64_t after_normal; /* after the normal pass's removals */
  int64_t after;        /* after the evictions too */
  size_t *order;        /* indices of the items to evict, in eviction order */
  int64_t *freed;       /* the bytes each eviction frees, given the ones before it; it may be 0
                         * (its layers stay with an image that stays); the sum is before the
                         * evictions minus after, the images' part never going below 0 */
  size_t n;
  int64_t shortfall;    /* > 0: after is over the budget by this much, nothing left to evict */
} dc_budget_plan_t;

/* Plans the evictions: the items that are evictable and not going, least recently used first
 * (then older first, then by id), each evicted while the bytes left are over budget; it stops
 * as soon as they are within it. layers_size is the images' total as the engine reports it
 * (/system/df LayersSize, -1 unknown): when known it is `before`'s image part, else the
 * model's, and what removals free (computed on the model) comes off it. Items of other kinds
 * count nothing and are never evicted. Sums saturate at INT64_MAX. `items` (and their strings)
 * are only read during the call; out's arrays are the caller's, to free with
 * dc_budget_plan_free (NULL when nothing is evicted). Returns 0 or -ENOMEM (out emptied). */
int dc_budget_plan(const dc_budget_item_t *items, size_t n, int64_t layers_size, int64_t budget,
                   dc_budget_plan_t *out);

void dc_budget_plan_free(dc_budget_plan_t *p);

#endif
