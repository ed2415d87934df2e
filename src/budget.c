/* budget.c: the storage budget: the bytes model of images and build cache, and the least
 * recently used evictions that bring them within KEEP_STORAGE. */
#include "budget.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX
#define UNKNOWN INT64_MIN

/* One node of the prefix tree: the layer `id` on top of the chain that `parent` ends. Node 0
 * is the empty chain (cumulative size 0); a parent always has a smaller index than its
 * children, so one pass up the array is top-down and one pass down it is bottom-up. */
typedef struct node {
  uint32_t parent;
  uint32_t children; /* how many nodes have this one as parent (saturates at 2) */
  const char *id;
  size_t ends;       /* images whose chain ends here */
  size_t alive;      /* images still there whose chain passes here or ends here */
  int64_t known;     /* a cumulative size reported for this node, UNKNOWN if none */
  int64_t cum;       /* the model's cumulative size */
  int64_t seg;       /* cum - the parent's cum: what goes when no image has this node */
} node_t;

typedef struct model {
  node_t *nodes;
  uint32_t nnodes;
  uint32_t *table; /* open addressing: node index + 1, 0 free */
  size_t mask;
  uint32_t *end;   /* per item: the node its chain ends at, NONE when not in the tree */
  bool conflict;   /* two reports disagree on one node's size */
} model_t;

static int64_t sat_add(int64_t a, int64_t b) {
  if (b > 0 && a > INT64_MAX - b)
    return INT64_MAX;
  return a + b;
}

static int64_t sat_sub(int64_t a, int64_t b) {
  if (b < 0 && a > INT64_MAX + b)
    return INT64_MAX;
  if (b > 0 && a < INT64_MIN + b)
    return INT64_MIN;
  return a - b;
}

/* a - b for a, b >= 0, never below 0. */
static int64_t sub_clamp(int64_t a, int64_t b) { return b >= a ? 0 : a - b; }

static int64_t nonneg(int64_t v) { return v < 0 ? 0 : v; }

static bool is_image(const dc_budget_item_t *it) { return it->kind == DC_IMAGES; }

static bool in_tree(const dc_budget_item_t *it) { return is_image(it) && it->layers; }

static const char *layer_id(const dc_budget_item_t *it, size_t k) {
  return it->layers[k] ? it->layers[k] : "";
}

static size_t hash(uint32_t parent, const char *id) {
  uint64_t h = UINT64_C(14695981039346656037) ^ parent;
  for (const unsigned char *p = (const unsigned char *)id; *p; p++)
    h = (h ^ *p) * UINT64_C(1099511628211);
  h ^= h >> 29;
  return (size_t)h;
}

/* The child of `parent` for layer `id`, added when missing. */
static uint32_t child(model_t *m, uint32_t parent, const char *id) {
  size_t i = hash(parent, id) & m->mask;
  while (m->table[i]) {
    node_t *c = &m->nodes[m->table[i] - 1];
    if (c->parent == parent && strcmp(c->id, id) == 0)
      return m->table[i] - 1;
    i = (i + 1) & m->mask;
  }
  uint32_t k = m->nnodes++;
  m->nodes[k] = (node_t){.parent = parent, .id = id, .known = UNKNOWN};
  if (m->nodes[parent].children < 2)
    m->nodes[parent].children++;
  m->table[i] = k + 1;
  return k;
}

static void model_free(model_t *m) {
  free(m->nodes);
  free(m->table);
  free(m->end);
  *m = (model_t){0};
}

static void set_known(model_t *m, node_t *nd, int64_t v) {
  if (v < 0)
    return;
  if (nd->known != UNKNOWN && nd->known != v)
    m->conflict = true;
  if (nd->known == UNKNOWN || v > nd->known)
    nd->known = v;
}

/* Builds the tree (when `tree`) and its segments. Returns 0 or -ENOMEM. */
static int model_build(model_t *m, const dc_budget_item_t *items, size_t n, bool tree) {
  *m = (model_t){0};
  size_t total = 0;
  bool fits = tree;
  for (size_t i = 0; i < n && fits; i++)
    if (is_image(&items[i]) && !items[i].layers && items[i].shared_size != 0)
      fits = false; /* it may share any node of the tree */
    else if (in_tree(&items[i])) {
      if (items[i].nlayers > DC_BUDGET_MAX_LAYERS - total) {
        fits = false;
        break;
      }
      total += items[i].nlayers;
    }
  if (!fits)
    total = 0;
  size_t cap = 2;
  while (cap < 2 * (total + 1))
    cap *= 2;
  m->nodes = malloc((total + 1) * sizeof *m->nodes);
  m->table = calloc(cap, sizeof *m->table);
  m->end = malloc((n ? n : 1) * sizeof *m->end);
  if (!m->nodes || !m->table || !m->end) {
    model_free(m);
    return -ENOMEM;
  }
  m->mask = cap - 1;
  m->nodes[0] = (node_t){.parent = NONE, .id = "", .known = 0};
  m->nnodes = 1;
  for (size_t i = 0; i < n; i++) {
    m->end[i] = NONE;
    if (!fits || !in_tree(&items[i]))
      continue;
    uint32_t k = 0;
    for (size_t d = 0; d < items[i].nlayers; d++)
      k = child(m, k, layer_id(&items[i], d));
    m->end[i] = k;
    m->nodes[k].ends++;
    for (uint32_t a = k; a != NONE; a = m->nodes[a].parent)
      m->nodes[a].alive++;
  }
  /* The reported points: an image's Size at the end of its chain; its SharedSize at the
   * deepest node of its chain that another image has too (alive >= 2 there, and alive only
   * falls going down a chain). */
  for (size_t i = 0; i < n; i++) {
    uint32_t k = m->end[i];
    if (k == NONE)
      continue;
    if (k != 0)
      set_known(m, &m->nodes[k], items[i].size);
    if (items[i].shared_size < 0)
      continue;
    while (k != 0 && m->nodes[k].alive < 2)
      k = m->nodes[k].parent;
    if (k != 0)
      set_known(m, &m->nodes[k], items[i].shared_size);
    else if (items[i].shared_size > 0)
      m->conflict = true; /* it shares with an image outside the tree */
  }
  /* Bottom-up: the smallest reported size at or below each node (an upper bound of its own). */
  bool *bounded = calloc(m->nnodes, sizeof *bounded);
  if (!bounded) {
    model_free(m);
    return -ENOMEM;
  }
  for (uint32_t k = 1; k < m->nnodes; k++) {
    bounded[k] = m->nodes[k].known != UNKNOWN;
    m->nodes[k].cum = bounded[k] ? m->nodes[k].known : INT64_MAX;
  }
  for (uint32_t k = m->nnodes - 1; k >= 1; k--) {
    node_t *nd = &m->nodes[k];
    if (nd->parent != 0 && bounded[k]) {
      node_t *p = &m->nodes[nd->parent];
      if (!bounded[nd->parent] || nd->cum < p->cum)
        p->cum = nd->cum;
      bounded[nd->parent] = true;
    }
  }
  /* Top-down: a node where the images through it change (a branch, or an end) takes its
   * reported size, or else the largest the points below allow, and never less than its
   * parent's; any other node is one layer of a segment and takes its parent's. */
  m->nodes[0].cum = 0;
  for (uint32_t k = 1; k < m->nnodes; k++) {
    node_t *nd = &m->nodes[k];
    int64_t up = m->nodes[nd->parent].cum;
    bool point = nd->ends > 0 || nd->children >= 2;
    int64_t v = !point || !bounded[k] ? up : nd->known != UNKNOWN ? nd->known : nd->cum;
    nd->cum = v > up ? v : up;
    nd->seg = nd->cum - up;
  }
  free(bounded);
  return 0;
}

/* What removing item i frees, given those removed before it. */
static int64_t model_remove(model_t *m, const dc_budget_item_t *items, size_t i) {
  const dc_budget_item_t *it = &items[i];
  if (it->kind == DC_BUILD_CACHE)
    return it->shared ? 0 : nonneg(it->size);
  if (!is_image(it))
    return 0;
  if (m->end[i] == NONE)
    return sub_clamp(nonneg(it->size), nonneg(it->shared_size));
  int64_t freed = 0;
  for (uint32_t a = m->end[i]; a != NONE; a = m->nodes[a].parent)
    if (--m->nodes[a].alive == 0)
      freed = sat_add(freed, m->nodes[a].seg);
  return freed;
}

static bool candidate(const dc_budget_item_t *it) {
  return it->evictable && !it->going && (is_image(it) || it->kind == DC_BUILD_CACHE);
}

/* Takes f bytes off *part, never below 0; returns what it took. */
static int64_t take(int64_t *part, int64_t f) {
  int64_t was = *part;
  *part = sub_clamp(was, f);
  return was - *part;
}

typedef struct cand {
  const dc_budget_item_t *it;
  size_t idx;
} cand_t;

static int cand_cmp(const void *pa, const void *pb) {
  const cand_t *a = pa, *b = pb;
  if (a->it->last_use_ns != b->it->last_use_ns)
    return a->it->last_use_ns < b->it->last_use_ns ? -1 : 1;
  if (a->it->created_ns != b->it->created_ns)
    return a->it->created_ns < b->it->created_ns ? -1 : 1;
  int c = strcmp(a->it->id ? a->it->id : "", b->it->id ? b->it->id : "");
  if (c)
    return c;
  return a->idx < b->idx ? -1 : a->idx > b->idx;
}

int dc_budget_plan(const dc_budget_item_t *items, size_t n, int64_t layers_size, int64_t budget,
                   dc_budget_plan_t *out) {
  *out = (dc_budget_plan_t){0};
  model_t m;
  cand_t *cands = NULL;
  int rc = model_build(&m, items, n, true);
  if (!rc && m.conflict) {
    model_free(&m);
    rc = model_build(&m, items, n, false);
  }
  if (rc)
    return rc;

  int64_t model_total = 0, cache = 0;
  for (uint32_t k = 1; k < m.nnodes; k++)
    model_total = sat_add(model_total, m.nodes[k].seg);
  for (size_t i = 0; i < n; i++) {
    const dc_budget_item_t *it = &items[i];
    if (is_image(it) && m.end[i] == NONE)
      model_total = sat_add(model_total, sub_clamp(nonneg(it->size), nonneg(it->shared_size)));
    else if (it->kind == DC_BUILD_CACHE && !it->shared)
      cache = sat_add(cache, nonneg(it->size));
  }
  int64_t images = layers_size >= 0 ? layers_size : model_total;
  out->before = sat_add(images, cache);

  for (size_t i = 0; i < n; i++) {
    if (!items[i].going)
      continue;
    take(is_image(&items[i]) ? &images : &cache, model_remove(&m, items, i));
  }
  out->after_normal = sat_add(images, cache);

  size_t nc = 0;
  for (size_t i = 0; i < n; i++)
    if (candidate(&items[i]))
      nc++;
  int64_t left = out->after_normal;
  if (nc > 0 && left > budget) {
    cands = malloc(nc * sizeof *cands);
    out->order = malloc(nc * sizeof *out->order);
    out->freed = malloc(nc * sizeof *out->freed);
    if (!cands || !out->order || !out->freed) {
      rc = -ENOMEM;
      goto done;
    }
    nc = 0;
    for (size_t i = 0; i < n; i++)
      if (candidate(&items[i]))
        cands[nc++] = (cand_t){&items[i], i};
    qsort(cands, nc, sizeof *cands, cand_cmp);
    for (size_t c = 0; c < nc && left > budget; c++) {
      size_t i = cands[c].idx;
      /* With the engine's figure the images' part may be smaller than the model's credit. */
      out->order[out->n] = i;
      out->freed[out->n] = take(is_image(&items[i]) ? &images : &cache, model_remove(&m, items, i));
      out->n++;
      left = sat_add(images, cache);
    }
  }
  out->after = left;
  out->shortfall = left > budget ? sat_sub(left, budget) : 0;

done:
  free(cands);
  model_free(&m);
  if (rc)
    dc_budget_plan_free(out);
  return rc;
}

void dc_budget_plan_free(dc_budget_plan_t *p) {
  free(p->order);
  free(p->freed);
  *p = (dc_budget_plan_t){0};
}
