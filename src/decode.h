/* decode.h: decoding the engine's replies (every byte of which is untrusted) into records. */
#ifndef DC_DECODE_H
#define DC_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jsonwalk.h"
#include "resource.h"

#define DC_MAX_ITEMS 1000000

/* Memory bound of the decoders (F3 of the 2026-11 audit). A reply is never one jansson tree:
 * the walker (jsonwalk.c) reads its structure themselves and hand jansson one entry, key or
 * scalar at a time, and skips what they do not read down to its scalars. So one reply costs,
 * on top of its body (at most DC_HTTP_MAX_BODY, 64 MiB):
 *   - one entry's tree, at most DC_MAX_VALUE_NODES values and DC_MAX_VALUE_BYTES of text
 *     (about 10 MiB), or one scalar (at most DC_MAX_VALUE_BYTES, twice while jansson grows it);
 *   - what the run keeps: at most DC_MAX_ITEMS records (about 200 B each) or prune IDs per
 *     reply, with copied strings (at most the body's size), only the labels that decisions
 *     read (dc_api_keep_labels) and the images' tags and digests (at most DC_IMAGE_REFS_MAX
 *     per image and DC_IMAGE_REFS_PER_REPLY per reply, ~90 B each: under 50 MB).
 * Stated bound: a run whose replies are each within the 64 MiB cap peaks under 300 MiB RSS
 * for any one hostile reply (tests/protocol/test_faults.py, test_hostile_reply_memory:
 * a 60 MB prune reply 103 MB, one 55 MB list entry 66 MB, where they took 1.4 GB and
 * 1.05 GB; a list of 1,000,000 minimal entries 213 MB). Replies in flight together add up. */


/* Keeps, of each listed resource's labels, only those with one of the n keys (exact match,
 * as the engine's label filters): the keys the run decides by. The array and strings are
 * the caller's and must outlive the decoding. keys NULL: keep every label (the default). */
void dc_api_keep_labels(const char *const *keys, size_t n);

/* Decoders of inventory replies. Each returns 0, or -EPROTO (-ENOMEM, -ETIMEDOUT) with a reason in err;
 * on error the list is left empty. A reply is decoded entry by entry, never held as one
 * JSON tree: memory is the records plus one entry. */
int dc_api_decode_containers(const char *body, size_t len, dc_resource_list_t *out, char *err, size_t errlen);
int dc_api_decode_images(const char *body, size_t len, dc_resource_list_t *out, char *err, size_t errlen);
int dc_api_decode_networks(const char *body, size_t len, dc_resource_list_t *out, char *err, size_t errlen);
int dc_api_decode_volumes(const char *body, size_t len, dc_resource_list_t *out, char *err, size_t errlen);
/* The volume sizes of a /system/df reply as records holding only id (the volume's name) and
 * size, in the reply's order, so that the reply need not be kept until the volume list is in. */
int dc_api_decode_volume_sizes(const char *body, size_t len, dc_resource_list_t *out, char *err, size_t errlen);
/* Build cache records from a /system/df reply; created_ns holds LastUsedAt (INT64_MIN when
 * never used), state the record's Type. */
int dc_api_decode_df_build_cache(const char *body, size_t len, dc_resource_list_t *out, char *err, size_t errlen);
/* The images of a /system/df reply (whole, or ?type=image), decoded as the image list is
 * (every tag and digest, see DC_IMAGE_REFS_MAX) with shared_size set from SharedSize (-1 when
 * absent or negative), and *layers_size the reply's LayersSize (-1 when absent or not a count).
 * A reply without an Images member is an error ("Images":null is no images). Podman (4.3, 5.8)
 * lists an image once per tag, with a bare ID and RepoTags holding the tag alone ("1"), and
 * reports LayersSize 0 (4.3): match entries to images by dc_bare_id, never read their tags. */
int dc_api_decode_df_images(const char *body, size_t len, dc_resource_list_t *out, int64_t *layers_size, char *err,
                            size_t errlen);
/* One image's details (GET /images/{id}/json): Id (required), Created, Metadata.LastTagTime
 * and RootFS.Layers (see dc_image_detail_t). Returns 0, or -EPROTO (-ENOMEM, -ETIMEDOUT) with
 * a reason in err: not an object, no Id, a RootFS or layer list that is not one (more than
 * DC_IMAGE_LAYERS_MAX layers, a layer ID that is not a string of 1..DC_IMAGE_LAYER_ID_MAX
 * bytes); on error out is emptied. Times that are absent, unreadable or not after the epoch
 * (Go's zero time) are INT64_MIN. */
int dc_api_decode_image_inspect(const char *body, size_t len, dc_image_detail_t *out, char *err, size_t errlen);
void dc_resource_list_free(dc_resource_list_t *l);

/* A prune reply: the deleted IDs (names for networks and volumes) and the space reclaimed
 * (-1 when the reply has none). For images, ids are the Deleted entries and untagged the
 * Untagged references. */
typedef struct dc_prune_result {
  char **ids;
  size_t n;
  char **untagged;
  size_t nuntagged;
  int64_t space;
} dc_prune_result_t;

/* A prune reply whose list is the member named member (images: entries are objects with
 * Deleted or Untagged). Returns 0, or -EPROTO (-ENOMEM, -ETIMEDOUT) with a reason in err; on
 * error out is empty. */
int dc_decode_prune_reply(const char *member, bool images, const char *body, size_t len, dc_prune_result_t *out,
                          char *err, size_t errlen);
void dc_prune_result_free(dc_prune_result_t *r);

#endif
