/* fuzz_api.c: libFuzzer target for decoding every engine reply we read (src/api.h).
 *
 * Input: one selector byte, then a reply body. The selector picks the decoder: the four
 * inventories, the two disk-usage readers, the prune results of each kind, the error
 * message extractor, the container and image lists keeping only some label keys (as a run
 * does), the images of /system/df and one image's details (retention), and version negotiation from a /_ping reply parsed by the real HTTP
 * parser (so the body is then a whole response). Every decoder must return 0 or a negative
 * code with a reason, leave no half-built list behind on error, and never crash or leak. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "http.h"
#include "resource.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef int (*list_fn)(const char *, size_t, dc_resource_list_t *, char *, size_t);

static void check_list(int rc, const dc_resource_list_t *l, const char *err) {
  if (rc < 0) {
    if (l->n != 0 || l->items != NULL || !err[0])
      abort();
    return;
  }
  if (rc != 0)
    abort();
  dc_resource_index_t ix = {0};
  if (dc_resource_index_build(&ix, l) < 0)
    abort();
  for (size_t i = 0; i < l->n; i++) {
    const dc_resource_t *r = &l->items[i];
    if (!r->id || !r->id[0])
      abort();
    if (dc_resource_index_find(&ix, r->id) == NULL)
      abort();
    if (!memchr(r->state, 0, sizeof(r->state)) || !memchr(r->driver, 0, sizeof(r->driver)))
      abort();
    /* Containers: what keeps volumes and networks in use, copied out of the reply. */
    if ((r->nmount_volumes > 0) != (r->mount_volumes != NULL) || (r->nnets > 0) != (r->nets != NULL))
      abort();
    for (size_t k = 0; k < r->nmount_volumes; k++)
      if (!r->mount_volumes[k])
        abort();
    for (size_t k = 0; k < r->nnets; k++)
      if (!r->nets[k].name)
        abort();
    /* Images: every reference kept is a string, within the bound (tags first). */
    if (json_array_size(r->tags) + json_array_size(r->digests) > DC_IMAGE_REFS_MAX || r->shared_size < -1)
      abort();
    for (size_t k = 0; k < json_array_size(r->tags); k++)
      if (!json_is_string(json_array_get(r->tags, k)))
        abort();
    for (size_t k = 0; k < json_array_size(r->digests); k++)
      if (!json_is_string(json_array_get(r->digests, k)))
        abort();
  }
  dc_resource_index_free(&ix);
}

static void decode_list(list_fn fn, const char *body, size_t len) {
  dc_resource_list_t l;
  char err[256] = "";
  int rc = fn(body, len, &l, err, sizeof(err));
  check_list(rc, &l, err);
  dc_resource_list_free(&l);
  dc_resource_list_free(&l);
}

static void decode_df_volumes(const char *body, size_t len) {
  /* Sizes are matched to a listing: take the listing from the same bytes when they decode
   * as one, else from a fixed one. */
  static const char fixed[] = "{\"Volumes\":[{\"Name\":\"v1\"},{\"Name\":\"v2\",\"Driver\":\"local\"}]}";
  dc_resource_list_t vols;
  char err[256] = "";
  if (dc_api_decode_volumes(body, len, &vols, err, sizeof(err)) < 0 &&
      dc_api_decode_volumes(fixed, sizeof(fixed) - 1, &vols, err, sizeof(err)) < 0)
    abort();
  /* The sizes, as the run decodes them on arrival (named records, or nothing), then applied
   * to the list. */
  dc_resource_list_t sizes;
  err[0] = '\0';
  int rc = dc_api_decode_volume_sizes(body, len, &sizes, err, sizeof(err));
  check_list(rc, &sizes, err);
  if (rc == 0 && dc_api_apply_volume_sizes(&vols, &sizes) < 0)
    abort();
  dc_resource_list_free(&sizes);
  dc_resource_list_free(&vols);
}

static void decode_df_images(const char *body, size_t len) {
  dc_resource_list_t l;
  int64_t layers = 42;
  char err[256] = "";
  int rc = dc_api_decode_df_images(body, len, &l, &layers, err, sizeof(err));
  check_list(rc, &l, err);
  if (layers < -1 || (rc < 0 && layers != -1))
    abort();
  dc_resource_list_free(&l);
  dc_resource_list_free(&l);
}

static void decode_inspect(const char *body, size_t len) {
  dc_image_detail_t d;
  char err[256] = "";
  int rc = dc_api_decode_image_inspect(body, len, &d, err, sizeof(err));
  if (rc < 0) {
    if (d.id || d.layers || d.nlayers || !err[0])
      abort();
  } else {
    if (rc != 0 || !d.id || !d.id[0] || d.nlayers > DC_IMAGE_LAYERS_MAX || (d.nlayers > 0) != (d.layers != NULL))
      abort();
    if ((d.last_tag_ns != INT64_MIN && d.last_tag_ns <= 0) || (d.created_ns != INT64_MIN && d.created_ns <= 0))
      abort();
    for (size_t i = 0; i < d.nlayers; i++) {
      size_t n = d.layers[i] ? strlen(d.layers[i]) : 0;
      if (n == 0 || n > DC_IMAGE_LAYER_ID_MAX)
        abort();
    }
  }
  dc_image_detail_free(&d);
  dc_image_detail_free(&d);
}

static void decode_prune(dc_kind_t kind, const char *body, size_t len) {
  dc_prune_result_t r;
  char err[256] = "";
  int rc = dc_api_decode_prune(kind, body, len, &r, err, sizeof(err));
  if (rc < 0) {
    if (r.ids || r.untagged || r.n || r.nuntagged || !err[0])
      abort();
  } else {
    if (rc != 0 || r.space < -1)
      abort();
    for (size_t i = 0; i < r.n; i++)
      if (!r.ids[i] || !r.ids[i][0])
        abort();
    for (size_t i = 0; i < r.nuntagged; i++)
      if (!r.untagged[i] || !r.untagged[i][0])
        abort();
  }
  dc_prune_result_free(&r);
  dc_prune_result_free(&r);
}

/* A list decoded keeping only some label keys, as a run does: every label kept has one. */
static void decode_list_keeping(list_fn fn, const char *body, size_t len) {
  static const char *const keys[] = {"keep", "docker-cleaner.protect", "a"};
  dc_api_keep_labels(keys, 3);
  dc_resource_list_t l;
  char err[256] = "";
  int rc = fn(body, len, &l, err, sizeof(err));
  check_list(rc, &l, err);
  for (size_t i = 0; rc == 0 && i < l.n; i++) {
    const char *key;
    json_t *v;
    if (l.items[i].labels && json_object_size(l.items[i].labels) == 0)
      abort(); /* none kept is NULL */
    json_object_foreach(l.items[i].labels, key, v) {
      if (strcmp(key, "keep") != 0 && strcmp(key, "docker-cleaner.protect") != 0 && strcmp(key, "a") != 0)
        abort();
    }
    if (json_array_size(l.items[i].tags) > DC_IMAGE_REFS_MAX)
      abort();
  }
  dc_resource_list_free(&l);
  dc_api_keep_labels(NULL, 0);
}

static void decode_error(const char *body, size_t len) {
  char out[128];
  for (size_t cap = 0; cap <= sizeof(out); cap += 64) {
    memset(out, 'Z', sizeof(out));
    dc_api_error_message(body, len, out, cap);
    if (cap == 0)
      continue;
    size_t n = strnlen(out, cap);
    if (n >= cap)
      abort();
    for (size_t i = 0; i < n; i++)
      if (out[i] < 0x20 || out[i] >= 0x7f)
        abort();
  }
}

static void negotiate(const char *body, size_t len) {
  dc_http_parser_t p;
  dc_http_parser_init(&p, 4096);
  bool extra;
  int rc = dc_http_parser_feed(&p, body, len, &extra);
  if (rc == DC_HTTP_MORE)
    rc = dc_http_parser_eof(&p);
  if (rc == DC_HTTP_DONE) {
    static const char *const pins[] = {NULL, "", "1.41"};
    for (size_t i = 0; i < 3; i++) {
      dc_engine_t e;
      char err[256] = "";
      int n = dc_api_negotiate(&p.resp, pins[i], &e, err, sizeof(err));
      if (n == 0) {
        if (!dc_api_version_valid(e.version))
          abort();
        if (!pins[i] || !*pins[i]) {
          if (dc_api_version_cmp(e.version, DC_API_MAX) > 0 || dc_api_version_cmp(e.version, DC_API_MIN) < 0)
            abort();
        }
        char path[256];
        if (dc_api_path(path, sizeof(path), &e, "/containers/prune", "a=1") != 0)
          abort();
      } else if (n != -EPROTO || !err[0]) {
        abort();
      }
    }
  }
  dc_http_parser_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  unsigned sel = data[0];
  const char *body = (const char *)data + 1;
  size_t len = size - 1;
  /* An exact-size copy, so a read past the reply is caught. */
  char *copy = malloc(len ? len : 1);
  if (!copy)
    abort();
  memcpy(copy, body, len);
  /* 0..15 as before (the committed seeds keep their meaning); 16, 17: retention. */
  switch (sel % 18) {
  case 0: decode_list(dc_api_decode_containers, copy, len); break;
  case 1: decode_list(dc_api_decode_images, copy, len); break;
  case 2: decode_list(dc_api_decode_networks, copy, len); break;
  case 3: decode_list(dc_api_decode_volumes, copy, len); break;
  case 4: decode_df_volumes(copy, len); break;
  case 5: decode_list(dc_api_decode_df_build_cache, copy, len); break;
  case 6: decode_prune(DC_CONTAINERS, copy, len); break;
  case 7: decode_prune(DC_BUILD_CACHE, copy, len); break;
  case 8: decode_prune(DC_NETWORKS, copy, len); break;
  case 9: decode_prune(DC_IMAGES, copy, len); break;
  case 10: decode_prune(DC_VOLUMES, copy, len); break;
  case 11: decode_error(copy, len); break;
  case 12: negotiate(copy, len); break;
  case 13: decode_error(len ? copy : NULL, len); break;
  case 14: decode_list_keeping(dc_api_decode_containers, copy, len); break;
  case 15: decode_list_keeping(dc_api_decode_images, copy, len); break;
  case 16: decode_df_images(copy, len); break;
  case 17: decode_inspect(copy, len); break;
  }
  free(copy);
  return 0;
}
