/* decode.c: the engine's replies into records: list entries, volume sizes, prune replies.
 *
 * Replies are decoded with jansson into small structs; a field of the wrong type is treated
 * as absent where the field is optional and as an error where it is not, so no reply can
 * crash the program or make it act on a half-read inventory. */
#include "decode.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters.h"
#include "jsonwalk.h"
#include "log.h"
#include "text.h"

#define MAX_STRING 4096

/* A string field, copied; NULL when absent, not a string, empty or too long. */
static char *dup_field(json_t *o, const char *name) {
  json_t *v = json_object_get(o, name);
  if (!json_is_string(v))
    return NULL;
  size_t n = json_string_length(v);
  if (n == 0 || n > MAX_STRING)
    return NULL;
  return strndup(json_string_value(v), n);
}

static void copy_field(json_t *o, const char *name, char *dst, size_t cap) {
  json_t *v = json_object_get(o, name);
  dst[0] = '\0';
  if (json_is_string(v))
    snprintf(dst, cap, "%s", json_string_value(v));
}

/* The label keys the run decides by (see dc_api_keep_labels); all of them when not set. */
static const char *const *kept_keys;
static size_t nkept_keys;
static bool keys_set;

void dc_api_keep_labels(const char *const *keys, size_t n) {
  kept_keys = keys;
  nkept_keys = keys ? n : 0;
  keys_set = keys != NULL;
}

/* Sets *out to the entry's labels that the run decides by (NULL for none). Only those are
 * kept: a resource's labels stay for the whole run, and a list of many labelled entries would
 * otherwise cost ~20 times its text. A label the run cannot keep would make the resource look
 * unprotected, so running out of memory is an error here, not an omission. */
static int keep_labels(json_t *o, json_t **out) {
  json_t *l = json_object_get(o, "Labels");
  *out = NULL;
  if (!json_is_object(l))
    return 0;
  if (!keys_set) {
    *out = json_incref(l);
    return 0;
  }
  json_t *kept = NULL;
  for (size_t i = 0; i < nkept_keys; i++) {
    json_t *v = json_object_get(l, kept_keys[i]);
    if (!v)
      continue;
    if ((!kept && !(kept = json_object())) || json_object_set(kept, kept_keys[i], v) < 0) {
      json_decref(kept);
      return -ENOMEM;
    }
  }
  *out = kept;
  return 0;
}

static int64_t int_field(json_t *o, const char *name, int64_t def) {
  json_t *v = json_object_get(o, name);
  if (json_is_integer(v))
    return (int64_t)json_integer_value(v);
  if (json_is_real(v)) {
    double d = json_real_value(v);
    if (d > -9e18 && d < 9e18)
      return (int64_t)d;
  }
  return def;
}

static int64_t rfc3339_field(json_t *o, const char *name) {
  json_t *v = json_object_get(o, name);
  int64_t ns;
  if (json_is_string(v) && dc_rfc3339_parse(json_string_value(v), &ns) == 0)
    return ns;
  return INT64_MIN;
}

static int64_t unix_secs_to_ns(int64_t s) {
  if (s == INT64_MIN || s < 0 || s > INT64_C(9000000000))
    return INT64_MIN;
  return s * 1000000000;
}

/* --- list entries ---
 *
 * Each decoder copies what the run needs out of one entry's jansson object; the object is
 * freed as soon as it returns. Returns 0, -EPROTO when the entry is unusable, or -ENOMEM. */
typedef int (*item_fn)(json_t *item, dc_resource_t *r);

/* The volume name of a Mounts entry of Type "volume", or NULL. */
static const char *mounted_volume(json_t *m) {
  json_t *type = json_object_get(m, "Type"), *name = json_object_get(m, "Name");
  if (!json_is_string(type) || strcmp(json_string_value(type), "volume") != 0 || !json_is_string(name))
    return NULL;
  return json_string_value(name);
}

/* The names of the volumes a container mounts: what keeps a volume in use. A name that could
 * not be copied would make its volume look unused, so that is an error, not an omission. */
static int copy_mount_volumes(json_t *mounts, dc_resource_t *r) {
  size_t n = 0, i;
  json_t *m;
  json_array_foreach(mounts, i, m) {
    if (mounted_volume(m))
      n++;
  }
  if (n == 0)
    return 0;
  if (!(r->mount_volumes = calloc(n, sizeof(char *))))
    return -ENOMEM;
  json_array_foreach(mounts, i, m) {
    const char *name = mounted_volume(m);
    if (!name)
      continue;
    if (!(r->mount_volumes[r->nmount_volumes] = strdup(name)))
      return -ENOMEM;
    r->nmount_volumes++;
  }
  return 0;
}

/* The networks a container is attached to (NetworkSettings.Networks), by name and NetworkID:
 * what keeps a network in use. Same rule as above for what cannot be copied. */
static int copy_networks(json_t *nets, dc_resource_t *r) {
  size_t n = json_object_size(nets);
  if (n == 0)
    return 0;
  if (!(r->nets = calloc(n, sizeof(*r->nets))))
    return -ENOMEM;
  const char *name;
  json_t *v;
  json_object_foreach(nets, name, v) {
    json_t *nid = json_object_get(v, "NetworkID");
    dc_net_ref_t *ref = &r->nets[r->nnets++]; /* counted at once: the list's cleanup frees it */
    ref->name = strdup(name);
    ref->id = json_is_string(nid) ? strdup(json_string_value(nid)) : NULL;
    if (!ref->name || (json_is_string(nid) && !ref->id))
      return -ENOMEM;
  }
  return 0;
}

static int container_item(json_t *o, dc_resource_t *r) {
  if (!(r->id = dup_field(o, "Id")))
    return -EPROTO;
  json_t *names = json_object_get(o, "Names");
  json_t *first = json_is_array(names) ? json_array_get(names, 0) : NULL;
  if (json_is_string(first)) {
    const char *n = json_string_value(first);
    if (n[0] == '/')
      n++;
    r->name = strndup(n, dc_utf8_prefix(n, MAX_STRING));
  }
  copy_field(o, "State", r->state, sizeof(r->state));
  r->created_ns = unix_secs_to_ns(int_field(o, "Created", INT64_MIN));
  if (keep_labels(o, &r->labels) < 0)
    return -ENOMEM;
  r->image_id = dup_field(o, "ImageID");
  json_t *ns = json_object_get(o, "NetworkSettings");
  json_t *nets = json_is_object(ns) ? json_object_get(ns, "Networks") : NULL;
  int rc = json_is_object(nets) ? copy_networks(nets, r) : 0;
  json_t *mounts = json_object_get(o, "Mounts");
  if (rc == 0 && json_is_array(mounts))
    rc = copy_mount_volumes(mounts, r);
  return rc;
}

/* References kept so far of the reply being decoded (see DC_IMAGE_REFS_PER_REPLY); reset by
 * each image decoder. */
static size_t reply_refs;

/* Keeps the references of one RepoTags or RepoDigests array in *out (a new array; NULL when
 * the member is absent or null), leaving out the placeholder none ("<none>:<none>",
 * "<none>@<none>"). Whatever cannot be kept (past the image's or the reply's bound, not a
 * string, a member of another type) marks the image refs_truncated; *kept counts the image's
 * references so far. Returns 0 or -ENOMEM. */
static int keep_refs(json_t *o, const char *member, const char *none, dc_resource_t *r, size_t *kept,
                     json_t **out) {
  json_t *refs = json_object_get(o, member);
  *out = NULL;
  if (!refs || json_is_null(refs))
    return 0;
  if (!json_is_array(refs)) {
    r->refs_truncated = true;
    return 0;
  }
  if (!(*out = json_array()))
    return -ENOMEM;
  size_t i;
  json_t *t;
  json_array_foreach(refs, i, t) {
    if (!json_is_string(t)) {
      r->refs_truncated = true;
      continue;
    }
    if (strcmp(json_string_value(t), none) == 0)
      continue;
    if (*kept >= DC_IMAGE_REFS_MAX || reply_refs >= DC_IMAGE_REFS_PER_REPLY) {
      r->refs_truncated = true;
      break;
    }
    if (json_array_append(*out, t) < 0)
      return -ENOMEM;
    (*kept)++;
    reply_refs++;
  }
  return 0;
}

static int image_item(json_t *o, dc_resource_t *r) {
  if (!(r->id = dup_field(o, "Id")))
    return -EPROTO;
  /* Every tag and digest, up to DC_IMAGE_REFS_MAX together: the retention rules match each
   * against the KEEP_IMAGES patterns and rank images per repository. Tags first, so that a
   * truncated image still has its tags counted by dc_image_tags. */
  size_t kept = 0;
  if (keep_refs(o, "RepoTags", "<none>:<none>", r, &kept, &r->tags) < 0 ||
      keep_refs(o, "RepoDigests", "<none>@<none>", r, &kept, &r->digests) < 0)
    return -ENOMEM;
  json_t *tags = json_object_get(o, "RepoTags");
  json_t *first = json_is_array(tags) ? json_array_get(tags, 0) : NULL;
  if (json_is_string(first) && strcmp(json_string_value(first), "<none>:<none>") != 0)
    r->name = strndup(json_string_value(first), dc_utf8_prefix(json_string_value(first), MAX_STRING));
  r->created_ns = unix_secs_to_ns(int_field(o, "Created", INT64_MIN));
  if (keep_labels(o, &r->labels) < 0)
    return -ENOMEM;
  r->size = int_field(o, "Size", -1);
  r->shared_size = int_field(o, "SharedSize", -1);
  if (r->shared_size < 0)
    r->shared_size = -1;
  return 0;
}

static int network_item(json_t *o, dc_resource_t *r) {
  if (!(r->id = dup_field(o, "Id")))
    return -EPROTO;
  r->name = dup_field(o, "Name");
  copy_field(o, "Driver", r->driver, sizeof(r->driver));
  r->created_ns = rfc3339_field(o, "Created");
  if (keep_labels(o, &r->labels) < 0)
    return -ENOMEM;
  return 0;
}

static int volume_item(json_t *o, dc_resource_t *r) {
  if (!(r->id = dup_field(o, "Name")))
    return -EPROTO;
  r->name = strdup(r->id);
  copy_field(o, "Driver", r->driver, sizeof(r->driver));
  json_t *opts = json_object_get(o, "Options");
  r->has_options = json_is_object(opts) && json_object_size(opts) > 0;
  r->created_ns = rfc3339_field(o, "CreatedAt");
  if (keep_labels(o, &r->labels) < 0)
    return -ENOMEM;
  return 0;
}

static int build_cache_item(json_t *o, dc_resource_t *r) {
  if (!(r->id = dup_field(o, "ID")))
    return -EPROTO;
  r->name = dup_field(o, "Description");
  copy_field(o, "Type", r->state, sizeof(r->state));
  r->in_use = json_is_true(json_object_get(o, "InUse"));
  r->shared = json_is_true(json_object_get(o, "Shared"));
  r->size = int_field(o, "Size", -1);
  r->created_ns = rfc3339_field(o, "LastUsedAt");
  return 0;
}

/* --- building lists --- */

typedef struct list_builder {
  dc_resource_list_t *out;
  size_t cap;
  jw_entry_fn add;        /* turns one array element into records */
  item_fn item;        /* for add_item */
  const char *what;    /* "container list", ... for messages */
  const char *not_list; /* what a member that is neither an array nor null is called */
  bool found;          /* the member holding the list was there */
  char *err;
  size_t errlen;
} list_builder_t;

/* Appends a zeroed record (unknown time and size) and sets *r to it. It is counted at once,
 * so that the list's cleanup frees whatever a half-decoded entry holds. Returns 0, -EPROTO
 * past DC_MAX_ITEMS or -ENOMEM, with err set. */
static int list_push(list_builder_t *b, dc_resource_t **r) {
  dc_resource_list_t *l = b->out;
  if (l->n >= DC_MAX_ITEMS) {
    snprintf(b->err, b->errlen, "%s reply has too many entries (more than %d)", b->what, DC_MAX_ITEMS);
    return -EPROTO;
  }
  if (l->n == b->cap) {
    /* The count is known only at the end: grow geometrically. */
    size_t cap = b->cap ? b->cap * 2 : 16;
    if (cap > DC_MAX_ITEMS)
      cap = DC_MAX_ITEMS;
    dc_resource_t *items = realloc(l->items, cap * sizeof(*items));
    if (!items) {
      snprintf(b->err, b->errlen, "out of memory");
      return -ENOMEM;
    }
    l->items = items;
    b->cap = cap;
  }
  *r = &l->items[l->n++];
  memset(*r, 0, sizeof(**r));
  (*r)->created_ns = INT64_MIN;
  (*r)->size = -1;
  (*r)->shared_size = -1;
  return 0;
}

/* One list entry: an object the item decoder accepts, or the whole reply is refused. */
static int add_item(json_t *v, size_t index, void *ctx) {
  list_builder_t *b = ctx;
  dc_resource_t *r;
  int rc = list_push(b, &r);
  if (rc < 0)
    return rc;
  rc = json_is_object(v) ? b->item(v, r) : -EPROTO;
  if (rc == -ENOMEM)
    snprintf(b->err, b->errlen, "out of memory");
  else if (rc < 0)
    snprintf(b->err, b->errlen, "%s reply has a malformed entry at index %zu", b->what, index);
  return rc;
}

/* The value holding the list: an array, or null for none (Docker's "Volumes":null). */
static int list_value(jw_cursor_t *c, void *ctx) {
  list_builder_t *b = ctx;
  /* A member given twice: the last one counts, as in jansson's tree. */
  dc_resource_list_free(b->out);
  b->cap = 0;
  b->found = true;
  if (jw_peek(c) == '[')
    return jw_walk_array(c, b->add, b);
  json_t *v = jw_next_value(c);
  if (!v)
    return -EPROTO;
  bool null = json_is_null(v);
  json_decref(v);
  if (null)
    return 0;
  snprintf(b->err, b->errlen, "%s reply %s", b->what, b->not_list);
  return -EPROTO;
}

/* Decodes a reply that is a list, or (member set) an object holding the list in that member,
 * with one item decoder per entry. On error the list is left empty. */
static int decode_list(const char *body, size_t len, dc_resource_list_t *out, item_fn fn, const char *what,
                       const char *member, char *err, size_t errlen) {
  memset(out, 0, sizeof(*out));
  list_builder_t b = {.out = out, .add = add_item, .item = fn, .what = what, .not_list = "is not a list",
                      .err = err, .errlen = errlen};
  jw_cursor_t c;
  int rc = jw_cursor_open(&c, body, len, err, errlen);
  if (rc == 0 && member) {
    rc = jw_expect_top(&c, '{', what, "not an object");
    if (rc == 0)
      rc = jw_walk_object(&c, &(jw_member_t){member, list_value}, 1, &b);
  } else if (rc == 0) {
    rc = jw_expect_top(&c, '[', what, "not a list");
    if (rc == 0)
      rc = jw_walk_array(&c, add_item, &b);
  }
  if (rc == 0)
    rc = jw_expect_end(&c);
  if (rc == 0 && member && !b.found) {
    snprintf(err, errlen, "%s reply is not a list", what); /* no list at all: malformed, not empty */
    rc = -EPROTO;
  }
  if (rc < 0)
    dc_resource_list_free(out);
  return rc < 0 && c.timed_out ? -ETIMEDOUT : rc;
}

int dc_api_decode_containers(const char *body, size_t len, dc_resource_list_t *out, char *err, size_t errlen) {
  return decode_list(body, len, out, container_item, "container list", NULL, err, errlen);
}

int dc_api_decode_images(const char *body, size_t len, dc_resource_list_t *out, char *err, size_t errlen) {
  reply_refs = 0;
  return decode_list(body, len, out, image_item, "image list", NULL, err, errlen);
}

int dc_api_decode_networks(const char *body, size_t len, dc_resource_list_t *out, char *err, size_t errlen) {
  return decode_list(body, len, out, network_item, "network list", NULL, err, errlen);
}

int dc_api_decode_volumes(const char *body, size_t len, dc_resource_list_t *out, char *err, size_t errlen) {
  return decode_list(body, len, out, volume_item, "volume list", "Volumes", err, errlen);
}

int dc_api_decode_df_build_cache(const char *body, size_t len, dc_resource_list_t *out, char *err, size_t errlen) {
  return decode_list(body, len, out, build_cache_item, "build cache usage", "BuildCache", err, errlen);
}

/* --- images of /system/df --- */

typedef struct df_images_builder {
  list_builder_t b; /* first: list_value takes the builder as its context */
  int64_t layers_size;
} df_images_builder_t;

static int layers_size_value(jw_cursor_t *c, void *ctx) {
  df_images_builder_t *db = ctx;
  if (jw_peek(c) == '[' || jw_peek(c) == '{') {
    db->layers_size = -1;
    return jw_skip_value(c);
  }
  json_t *v = jw_next_value(c);
  if (!v)
    return -EPROTO;
  /* Given twice, the last one counts; anything but a count of bytes is unknown. */
  db->layers_size = json_is_integer(v) && json_integer_value(v) >= 0 ? (int64_t)json_integer_value(v) : -1;
  json_decref(v);
  return 0;
}

int dc_api_decode_df_images(const char *body, size_t len, dc_resource_list_t *out, int64_t *layers_size, char *err,
                            size_t errlen) {
  memset(out, 0, sizeof(*out));
  *layers_size = -1;
  reply_refs = 0;
  df_images_builder_t db = {.b = {.out = out, .add = add_item, .item = image_item, .what = "image disk usage",
                                  .not_list = "has a malformed image list", .err = err, .errlen = errlen},
                            .layers_size = -1};
  const jw_member_t members[] = {{"Images", list_value}, {"LayersSize", layers_size_value}};
  jw_cursor_t c;
  int rc = jw_cursor_open(&c, body, len, err, errlen);
  if (rc == 0)
    rc = jw_expect_top(&c, '{', "image disk usage", "not an object");
  if (rc == 0)
    rc = jw_walk_object(&c, members, 2, &db);
  if (rc == 0)
    rc = jw_expect_end(&c);
  if (rc == 0 && !db.b.found) {
    /* No image list at all (a reply of another ?type=): not "no images". */
    snprintf(err, errlen, "image disk usage reply has no image list");
    rc = -EPROTO;
  }
  if (rc < 0) {
    dc_resource_list_free(out);
    return c.timed_out ? -ETIMEDOUT : rc;
  }
  *layers_size = db.layers_size;
  return 0;
}

/* --- one image's details (GET /images/{id}/json) --- */

typedef struct inspect_builder {
  dc_image_detail_t *out;
  char *err;
  size_t errlen;
} inspect_builder_t;


static int inspect_id(jw_cursor_t *c, void *ctx) {
  inspect_builder_t *ib = ctx;
  json_t *v = jw_next_value(c);
  if (!v)
    return -EPROTO;
  free(ib->out->id);
  ib->out->id = NULL;
  if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) <= MAX_STRING &&
      !(ib->out->id = strndup(json_string_value(v), json_string_length(v)))) {
    json_decref(v);
    snprintf(ib->err, ib->errlen, "out of memory");
    return -ENOMEM;
  }
  json_decref(v);
  return 0;
}

/* An RFC 3339 time as nanoseconds; INT64_MIN when it is not one or is not after the epoch
 * (Go's zero time "0001-01-01T00:00:00Z" is what Docker reports for "never"). */
static int64_t time_value(json_t *v) {
  int64_t ns;
  if (json_is_string(v) && json_string_length(v) <= 64 && dc_rfc3339_parse(json_string_value(v), &ns) == 0 && ns > 0)
    return ns;
  return INT64_MIN;
}

static int inspect_created(jw_cursor_t *c, void *ctx) {
  inspect_builder_t *ib = ctx;
  json_t *v = jw_next_value(c);
  if (!v)
    return -EPROTO;
  ib->out->created_ns = time_value(v);
  json_decref(v);
  return 0;
}

static int inspect_metadata(jw_cursor_t *c, void *ctx) {
  inspect_builder_t *ib = ctx;
  json_t *v = jw_next_value(c);
  if (!v)
    return -EPROTO;
  ib->out->last_tag_ns = json_is_object(v) ? time_value(json_object_get(v, "LastTagTime")) : INT64_MIN;
  json_decref(v);
  return 0;
}

static void free_layers(dc_image_detail_t *d) {
  for (size_t i = 0; i < d->nlayers; i++)
    free(d->layers[i]);
  free(d->layers);
  d->layers = NULL;
  d->nlayers = 0;
}

/* RootFS: Layers must be an array of at most DC_IMAGE_LAYERS_MAX non-empty strings of at most
 * DC_IMAGE_LAYER_ID_MAX bytes (a partial chain would make the storage model credit a removal
 * with bytes it does not free). RootFS or Layers absent or null: layers unknown. */
static int inspect_rootfs(jw_cursor_t *c, void *ctx) {
  inspect_builder_t *ib = ctx;
  dc_image_detail_t *d = ib->out;
  json_t *v = jw_next_value(c);
  if (!v)
    return -EPROTO;
  free_layers(d);
  int rc = 0;
  json_t *layers = json_is_object(v) ? json_object_get(v, "Layers") : NULL;
  if (!json_is_null(v) && !json_is_object(v)) {
    snprintf(ib->err, ib->errlen, "image details have a malformed RootFS");
    rc = -EPROTO;
  } else if (layers && !json_is_null(layers)) {
    size_t n = json_is_array(layers) ? json_array_size(layers) : 0;
    if (!json_is_array(layers) || n > DC_IMAGE_LAYERS_MAX) {
      snprintf(ib->err, ib->errlen, "image details have a malformed layer list (more than %d layers or not a list)",
               DC_IMAGE_LAYERS_MAX);
      rc = -EPROTO;
    } else if (n > 0 && !(d->layers = calloc(n, sizeof(char *)))) {
      snprintf(ib->err, ib->errlen, "out of memory");
      rc = -ENOMEM;
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
      json_t *l = json_array_get(layers, i);
      size_t ln = json_is_string(l) ? json_string_length(l) : 0;
      if (ln == 0 || ln > DC_IMAGE_LAYER_ID_MAX || memchr(json_string_value(l), '\0', ln)) {
        snprintf(ib->err, ib->errlen, "image details have a malformed layer ID at index %zu", i);
        rc = -EPROTO;
      } else if (!(d->layers[i] = strndup(json_string_value(l), ln))) {
        snprintf(ib->err, ib->errlen, "out of memory");
        rc = -ENOMEM;
      } else {
        d->nlayers = i + 1;
      }
    }
  }
  json_decref(v);
  return rc;
}

int dc_api_decode_image_inspect(const char *body, size_t len, dc_image_detail_t *out, char *err, size_t errlen) {
  memset(out, 0, sizeof(*out));
  out->last_tag_ns = out->created_ns = INT64_MIN;
  inspect_builder_t ib = {.out = out, .err = err, .errlen = errlen};
  const jw_member_t members[] = {
      {"Id", inspect_id}, {"Created", inspect_created}, {"Metadata", inspect_metadata}, {"RootFS", inspect_rootfs}};
  jw_cursor_t c;
  int rc = jw_cursor_open(&c, body, len, err, errlen);
  if (rc == 0)
    rc = jw_expect_top(&c, '{', "image details", "not an object");
  if (rc == 0)
    rc = jw_walk_object(&c, members, 4, &ib);
  if (rc == 0)
    rc = jw_expect_end(&c);
  if (rc == 0 && !out->id) {
    snprintf(err, errlen, "image details have no Id");
    rc = -EPROTO;
  }
  if (rc < 0) {
    dc_image_detail_free(out);
    return c.timed_out ? -ETIMEDOUT : rc;
  }
  return 0;
}

/* --- volume sizes --- */

/* One /system/df volume: its name and size. An entry without a usable name or without
 * usage data says nothing about a listed volume and is passed over. */
static int add_size(json_t *v, size_t index, void *ctx) {
  (void)index;
  list_builder_t *b = ctx;
  json_t *usage = json_object_get(v, "UsageData");
  char *name = json_is_object(usage) ? dup_field(v, "Name") : NULL;
  if (!name)
    return 0;
  dc_resource_t *r;
  int rc = list_push(b, &r);
  if (rc < 0) {
    free(name);
    return rc;
  }
  r->id = name;
  r->size = int_field(usage, "Size", -1);
  return 0;
}

int dc_api_decode_volume_sizes(const char *body, size_t len, dc_resource_list_t *out, char *err, size_t errlen) {
  memset(out, 0, sizeof(*out));
  list_builder_t b = {.out = out, .add = add_size, .what = "disk usage", .not_list = "has a malformed volume list",
                      .err = err, .errlen = errlen};
  jw_cursor_t c;
  int rc = jw_cursor_open(&c, body, len, err, errlen);
  if (rc == 0) {
    char ch = jw_peek(&c);
    if (ch == '{')
      rc = jw_walk_object(&c, &(jw_member_t){"Volumes", list_value}, 1, &b);
    else if (ch == '[')
      rc = jw_skip_value(&c); /* valid, but no volumes in it */
    else
      rc = jw_syntax_error(&c, "'[' or '{'");
  }
  if (rc == 0)
    rc = jw_expect_end(&c);
  if (rc < 0)
    dc_resource_list_free(out);
  return rc < 0 && c.timed_out ? -ETIMEDOUT : rc;
}

/* --- prune replies ---
 *
 * Walked like the lists: member by member, the list of deleted IDs entry by entry, with the
 * item cap checked as it grows, so that a reply costs the IDs it names (at most DC_MAX_ITEMS)
 * and one entry, never one tree of the whole reply. */

typedef struct prune_builder {
  const char *member; /* the reply's list */
  bool images;        /* entries are objects with Deleted or Untagged */
  dc_prune_result_t *out;
  size_t cap_ids, cap_untagged;
  size_t entries;   /* of the list being walked */
  bool bad_space;   /* the last SpaceReclaimed seen is not a count of bytes */
  char *err;
  size_t errlen;
} prune_builder_t;

/* Appends a copy of s to *v (n entries, room for *cap). Returns 0 or -ENOMEM. */
static int push_string(char ***v, size_t *n, size_t *cap, const char *s) {
  if (*n == *cap) {
    size_t c = *cap ? *cap * 2 : 16;
    char **nv = realloc(*v, c * sizeof(*nv));
    if (!nv)
      return -ENOMEM;
    *v = nv;
    *cap = c;
  }
  /* A NULL here would later be printed and compared as an ID: fail the reply instead. */
  if (!((*v)[*n] = strdup(s)))
    return -ENOMEM;
  (*n)++;
  return 0;
}

static bool usable_id(json_t *s) {
  return json_is_string(s) && json_string_length(s) > 0 && json_string_length(s) <= MAX_STRING;
}

/* One entry of the deleted list: an ID, or for images an object with Deleted or Untagged
 * (anything else in an image entry is passed over, as the engine may add to it). */
static int add_pruned(json_t *v, size_t index, void *ctx) {
  prune_builder_t *b = ctx;
  dc_prune_result_t *out = b->out;
  if (++b->entries > DC_MAX_ITEMS) {
    snprintf(b->err, b->errlen, "prune reply has a malformed list (more than %d entries)", DC_MAX_ITEMS);
    return -EPROTO;
  }
  int rc = 0;
  if (!b->images) {
    if (!usable_id(v))
      rc = -EPROTO;
    else
      rc = push_string(&out->ids, &out->n, &b->cap_ids, json_string_value(v));
  } else if (json_is_object(v)) {
    json_t *del = json_object_get(v, "Deleted"), *untag = json_object_get(v, "Untagged");
    if ((del && !usable_id(del)) || (untag && !usable_id(untag)))
      rc = -EPROTO;
    if (rc == 0 && del)
      rc = push_string(&out->ids, &out->n, &b->cap_ids, json_string_value(del));
    if (rc == 0 && untag)
      rc = push_string(&out->untagged, &out->nuntagged, &b->cap_untagged, json_string_value(untag));
  }
  if (rc == -EPROTO)
    snprintf(b->err, b->errlen, "prune reply has a malformed entry at index %zu", index);
  else if (rc < 0)
    snprintf(b->err, b->errlen, "out of memory");
  return rc;
}

/* The list member: an array, or null for none. Given twice, the last one counts. */
static int pruned_list(jw_cursor_t *c, void *ctx) {
  prune_builder_t *b = ctx;
  dc_prune_result_free(b->out);
  b->cap_ids = b->cap_untagged = b->entries = 0;
  if (jw_peek(c) == '[')
    return jw_walk_array(c, add_pruned, b);
  json_t *v = jw_next_value(c);
  if (!v)
    return -EPROTO;
  bool null = json_is_null(v);
  json_decref(v);
  if (null)
    return 0;
  snprintf(b->err, b->errlen, "prune reply has a malformed list");
  return -EPROTO;
}

static int space_reclaimed(jw_cursor_t *c, void *ctx) {
  prune_builder_t *b = ctx;
  if (jw_peek(c) == '[' || jw_peek(c) == '{') {
    b->bad_space = true;
    return jw_skip_value(c);
  }
  json_t *v = jw_next_value(c);
  if (!v)
    return -EPROTO;
  b->bad_space = false;
  b->out->space = -1;
  if (json_is_integer(v) && json_integer_value(v) >= 0)
    b->out->space = (int64_t)json_integer_value(v);
  else if (!json_is_null(v))
    b->bad_space = true;
  json_decref(v);
  return 0;
}

/* Walks the reply object: the kind's list, SpaceReclaimed, and every other member checked and
 * dropped. */
static int walk_prune(jw_cursor_t *c, prune_builder_t *b) {
  const jw_member_t members[] = {{b->member, pruned_list}, {"SpaceReclaimed", space_reclaimed}};
  return jw_walk_object(c, members, 2, b);
}

int dc_decode_prune_reply(const char *member, bool images, const char *body, size_t len, dc_prune_result_t *out,
                          char *err,
                        size_t errlen) {
  memset(out, 0, sizeof(*out));
  out->space = -1;
  prune_builder_t b = {.member = member, .images = images, .out = out, .err = err, .errlen = errlen};
  jw_cursor_t c;
  int rc = jw_cursor_open(&c, body, len, err, errlen);
  if (rc == 0)
    rc = jw_expect_top(&c, '{', "prune", "not an object");
  if (rc == 0)
    rc = walk_prune(&c, &b);
  if (rc == 0)
    rc = jw_expect_end(&c);
  if (rc == 0 && b.bad_space) {
    snprintf(err, errlen, "prune reply has an invalid SpaceReclaimed");
    rc = -EPROTO;
  }
  if (rc < 0) {
    dc_prune_result_free(out);
    out->space = -1;
  }
  return c.timed_out ? -ETIMEDOUT : rc;
}

static void free_strings(char **v, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

void dc_prune_result_free(dc_prune_result_t *r) {
  free_strings(r->ids, r->n);
  free_strings(r->untagged, r->nuntagged);
  r->ids = r->untagged = NULL;
  r->n = r->nuntagged = 0;
}