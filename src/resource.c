/* resource.c: resource lists, string sets and ID indexes. */
#include "resource.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int dc_api_apply_volume_sizes(dc_resource_list_t *vols, const dc_resource_list_t *sizes) {
  if (sizes->n == 0)
    return 0;
  dc_resource_index_t ix;
  if (dc_resource_index_build(&ix, vols) < 0)
    return -ENOMEM;
  /* In the reply's order, so that a name given twice ends with its last size. */
  for (size_t i = 0; i < sizes->n; i++) {
    /* Volume names are unique: the index finds the one listed volume of that name. */
    dc_resource_t *vol = (dc_resource_t *)dc_resource_index_find(&ix, sizes->items[i].id);
    if (vol)
      vol->size = sizes->items[i].size;
  }
  dc_resource_index_free(&ix);
  return 0;
}

void dc_resource_list_free(dc_resource_list_t *l) {
  for (size_t i = 0; i < l->n; i++) {
    dc_resource_t *r = &l->items[i];
    free(r->id);
    free(r->name);
    free(r->image_id);
    json_decref(r->labels);
    json_decref(r->tags);
    json_decref(r->digests);
    for (size_t k = 0; k < r->nmount_volumes; k++)
      free(r->mount_volumes[k]);
    free(r->mount_volumes);
    for (size_t k = 0; k < r->nnets; k++) {
      free(r->nets[k].name);
      free(r->nets[k].id);
    }
    free(r->nets);
  }
  free(l->items);
  l->items = NULL;
  l->n = 0;
}

void dc_image_detail_free(dc_image_detail_t *d) {
  free(d->id);
  for (size_t i = 0; i < d->nlayers; i++)
    free(d->layers[i]);
  free(d->layers);
  memset(d, 0, sizeof(*d));
  d->last_tag_ns = d->created_ns = INT64_MIN;
}

const char *dc_bare_id(const char *id) { return strncmp(id, "sha256:", 7) == 0 ? id + 7 : id; }

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int dc_strset_add(dc_strset_t *set, const char *s) {
  if (set->n == set->cap) {
    size_t cap = set->cap ? set->cap * 2 : 64;
    const char **v = realloc(set->v, cap * sizeof(*v));
    if (!v)
      return -ENOMEM;
    set->v = v;
    set->cap = cap;
  }
  set->v[set->n++] = s;
  return 0;
}

void dc_strset_seal(dc_strset_t *set) {
  if (set->n > 1)
    qsort(set->v, set->n, sizeof(*set->v), cmp_str);
}

bool dc_strset_has(const dc_strset_t *set, const char *s) {
  return set->n > 0 && bsearch(&s, set->v, set->n, sizeof(*set->v), cmp_str) != NULL;
}

void dc_strset_free(dc_strset_t *set) {
  free(set->v);
  memset(set, 0, sizeof(*set));
}

static int cmp_resource_id(const void *a, const void *b) {
  const dc_resource_t *ra = *(const dc_resource_t *const *)a, *rb = *(const dc_resource_t *const *)b;
  return strcmp(dc_bare_id(ra->id), dc_bare_id(rb->id));
}

int dc_resource_index_build(dc_resource_index_t *ix, const dc_resource_list_t *l) {
  ix->n = 0;
  ix->by_id = malloc((l->n ? l->n : 1) * sizeof(*ix->by_id));
  if (!ix->by_id)
    return -ENOMEM;
  for (size_t i = 0; i < l->n; i++)
    ix->by_id[ix->n++] = &l->items[i];
  if (ix->n > 1)
    qsort(ix->by_id, ix->n, sizeof(*ix->by_id), cmp_resource_id);
  return 0;
}

const dc_resource_t *dc_resource_index_find(const dc_resource_index_t *ix, const char *id) {
  const char *key = dc_bare_id(id);
  size_t lo = 0, hi = ix->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(dc_bare_id(ix->by_id[mid]->id), key);
    if (c == 0)
      return ix->by_id[mid];
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

void dc_resource_index_free(dc_resource_index_t *ix) {
  free(ix->by_id);
  ix->by_id = NULL;
  ix->n = 0;
}
