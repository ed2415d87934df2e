/* api.h: the Docker Engine API as docker-cleaner uses it: version negotiation, request
 * paths and filters, and decoding of the replies (every byte of which is untrusted). */
#ifndef DC_API_H
#define DC_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"

#define DC_API_MIN "1.25" /* the prune endpoints */
#define DC_API_MAX "1.51" /* the newest version this client speaks */
#define DC_API_BUILD_PRUNE "1.31"
#define DC_API_VOLUME_LABEL "1.42" /* anonymous volumes carry com.docker.volume.anonymous */

#define DC_MAX_ITEMS 1000000
/* The most values (array elements, object members, keys counted) that one decoded value may
 * hold when the decoders hand it to jansson whole: a list entry, an image's prune entry. A
 * larger one is refused with the reply. Real entries hold tens to a few hundred. */
#define DC_MAX_VALUE_NODES 65536
/* The most bytes of text of such a value, or of any one key or scalar: one jansson call then
 * takes milliseconds, and the decoders can check the deadline between calls. */
#define DC_MAX_VALUE_BYTES 4194304
#define DC_STR_(x) #x
#define DC_STR(x) DC_STR_(x)

/* Memory bound of the decoders (F3 of the 2026-11 audit). A reply is never one jansson tree:
 * the walkers in api.c read its structure themselves and hand jansson one entry, key or
 * scalar at a time, and skip what they do not read down to its scalars. So one reply costs,
 * on top of its body (at most DC_HTTP_MAX_BODY, 64 MiB):
 *   - one entry's tree, at most DC_MAX_VALUE_NODES values and DC_MAX_VALUE_BYTES of text
 *     (about 10 MiB), or one scalar (at most DC_MAX_VALUE_BYTES, twice while jansson grows it);
 *   - what the run keeps: at most DC_MAX_ITEMS records (about 200 B each) or prune IDs per
 *     reply, with copied strings (at most the body's size), only the labels that decisions
 *     read (dc_api_keep_labels) and at most two tags per image.
 * Stated bound: a run whose replies are each within the 64 MiB cap peaks under 300 MiB RSS
 * for any one hostile reply (tests/protocol/test_faults.py, test_hostile_reply_memory:
 * a 60 MB prune reply 103 MB, one 55 MB list entry 66 MB, where they took 1.4 GB and
 * 1.05 GB; a list of 1,000,000 minimal entries 213 MB). Replies in flight together add up. */

struct dc_config;

/* DC_REAP: containers stopped and removed by the reaper (REAP_LABEL/REAP_AFTER). */
typedef enum { DC_CONTAINERS = 0, DC_BUILD_CACHE, DC_NETWORKS, DC_IMAGES, DC_VOLUMES, DC_REAP, DC_KIND__COUNT } dc_kind_t;

/* "container", "build cache", ... for audit lines; "containers", ... for totals. */
const char *dc_kind_singular(dc_kind_t k);
const char *dc_kind_plural(dc_kind_t k);
/* The same as JSON values and keys: "container"/"containers", "build_cache", ... */
const char *dc_kind_json(dc_kind_t k);
const char *dc_kind_json_plural(dc_kind_t k);

bool dc_api_version_valid(const char *v);
/* <0, 0, >0 like strcmp, comparing major then minor numerically. */
int dc_api_version_cmp(const char *a, const char *b);

typedef struct dc_engine {
  char version[16];    /* the version sent in every path */
  char daemon_max[16]; /* what the engine reported */
  char server[64];
  bool podman;
} dc_engine_t;

/* Negotiates from a /_ping reply: min(DC_API_MAX, engine's Api-Version), or the pinned
 * version. Returns 0, or -EPROTO with err set (engine too old, not an engine, a pinned
 * version newer than the engine's). */
int dc_api_negotiate(const dc_http_response_t *ping, const char *pinned, dc_engine_t *out, char *err,
                     size_t errlen);

/* Engines up to this API version serve every version from DC_API_MIN (Docker 20.10 to 28:
 * MinAPIVersion 1.12 or 1.24); a newer one may not (Docker 29: 1.44), so a pinned version is
 * checked against its /version MinAPIVersion before anything else. */
#define DC_API_MIN_KNOWN_SERVED "1.51"

/* From a /version reply: 0 when pinned is at least the engine's MinAPIVersion (or the reply
 * does not say), -EPROTO with a one-line err when the engine cannot serve it. */
int dc_api_check_min(const char *body, size_t len, const char *pinned, char *err, size_t errlen);

/* Percent-encodes s (everything but RFC 3986 unreserved characters). Returns the length or
 * -ENAMETOOLONG. */
int dc_urlencode(char *out, size_t cap, const char *s);

/* Filter parts to include, see dc_api_filters. */
enum {
  DC_F_UNTIL = 1,
  DC_F_LABELS = 2,  /* the user's positive label terms */
  DC_F_PROTECT = 4, /* label!=<protection label> */
  DC_F_UNTIL_AGE = 8, /* `until` as the age of the cut-off ("90061000ms"): build prune before
                         Docker 23 accepts only a duration */
};

/* Builds the encoded `filters=` value for a request: the parts named by flags, plus
 * dangling (NULL to omit), exactly or not at all. Returns 0 with a malloc'd string in *out
 * (caller frees; empty with no filter at all), or -EILSEQ (a term is not valid UTF-8, so it
 * cannot travel as JSON), -ENAMETOOLONG (a term does not fit), -ENOMEM, with *out NULL.
 * A request whose filters cannot be built must not be sent: without a term it would select
 * more than configured. */
int dc_api_filters_build(const struct dc_config *cfg, unsigned flags, const char *dangling, char **out);

/* dc_api_filters_build's string, or NULL on any of its errors. */
char *dc_api_filters(const struct dc_config *cfg, unsigned flags, const char *dangling);

/* total + n for byte counts the engine reports: a negative total (unknown) counts as 0, a
 * negative n adds nothing, and the sum stops at INT64_MAX instead of overflowing (an engine
 * may report any int64 as a Size or SpaceReclaimed). */
int64_t dc_bytes_add(int64_t total, int64_t n);

/* The age of an `until` cut-off at now_ns, in milliseconds (0 when it is in the future),
 * without overflow for any pair of int64 instants. */
int64_t dc_api_until_age_ms(int64_t now_ns, int64_t until_ns);

/* Writes "/v<version><endpoint>[?query]". Returns 0 or -ENAMETOOLONG. */
int dc_api_path(char *out, size_t cap, const dc_engine_t *e, const char *endpoint, const char *query);

/* Writes "/v<version><prefix><id><suffix>[?query]" with id percent-encoded. Returns 0,
 * -EINVAL for an id no resource has (empty, ".", "..", or with a "/": it could name another
 * path), or -ENAMETOOLONG. */
int dc_api_resource_path(char *out, size_t cap, const dc_engine_t *e, const char *prefix, const char *id,
                         const char *suffix, const char *query);

/* A network a container is attached to: its name, and its ID (NULL when the reply has none). */
typedef struct dc_net_ref {
  char *name;
  char *id;
} dc_net_ref_t;

/* One resource from an inventory list. Strings are owned by the list. */
typedef struct dc_resource {
  char *id;
  char *name;        /* container name without '/', image's first tag, network or volume name */
  int64_t created_ns; /* INT64_MIN when unknown */
  json_t *labels;    /* object or NULL; a reference owned by the list */
  json_t *tags;      /* images: RepoTags array or NULL */
  char **mount_volumes; /* containers: names of the volumes mounted (Mounts of Type "volume") */
  size_t nmount_volumes;
  dc_net_ref_t *nets; /* containers: NetworkSettings.Networks, by name and NetworkID */
  size_t nnets;
  char state[32];    /* containers: State; build cache: Type */
  char *image_id;    /* containers */
  char driver[32];   /* volumes, networks */
  bool has_options;  /* volumes with driver options (e.g. bind mounts) */
  int64_t size;      /* bytes, -1 when unknown */
  bool in_use, shared; /* build cache */
  bool doomed;       /* containers: the run removes (or, dry, would remove) it */
  bool reaped;       /* containers: by the reaper, with its anonymous volumes */
} dc_resource_t;

typedef struct dc_resource_list {
  dc_resource_t *items;
  size_t n;
} dc_resource_list_t;

/* Makes every decoder below give up with -ETIMEDOUT (and a reason in err) once the monotonic
 * clock (CLOCK_MONOTONIC, as uv_hrtime) passes mono_ns; 0 for no limit (the default). The
 * clock is read every few dozen values, so a reply of any size is abandoned within
 * milliseconds of the deadline rather than after its whole decode. */
void dc_api_set_decode_deadline(uint64_t mono_ns);

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
/* Sets the size of each volume of vols named in sizes (the others keep theirs), in
 * O((V + S) log V). Returns 0 or -ENOMEM. */
int dc_api_apply_volume_sizes(dc_resource_list_t *vols, const dc_resource_list_t *sizes);
/* Build cache records from a /system/df reply; created_ns holds LastUsedAt (INT64_MIN when
 * never used), state the record's Type. */
int dc_api_decode_df_build_cache(const char *body, size_t len, dc_resource_list_t *out, char *err, size_t errlen);
void dc_resource_list_free(dc_resource_list_t *l);
const dc_resource_t *dc_resource_find(const dc_resource_list_t *l, const char *id);

/* The ID without its "sha256:" prefix: engines report image IDs with and without it. */
const char *dc_bare_id(const char *id);

/* A sorted set of strings it does not own (they must outlive it), for lookups in O(log n)
 * where a run would otherwise compare every item of one list with every item of another. */
typedef struct dc_strset {
  const char **v;
  size_t n, cap;
} dc_strset_t;

/* Adds s (not copied). Returns 0 or -ENOMEM. Call dc_strset_seal before the first lookup. */
int dc_strset_add(dc_strset_t *set, const char *s);
void dc_strset_seal(dc_strset_t *set);
bool dc_strset_has(const dc_strset_t *set, const char *s);
void dc_strset_free(dc_strset_t *set);

/* A list's resources sorted by bare ID (pointers into the list, valid while it is). */
typedef struct dc_resource_index {
  const dc_resource_t **by_id;
  size_t n;
} dc_resource_index_t;

/* Returns 0 or -ENOMEM. */
int dc_resource_index_build(dc_resource_index_t *ix, const dc_resource_list_t *l);
/* The resource whose bare ID equals id's bare ID, or NULL. */
const dc_resource_t *dc_resource_index_find(const dc_resource_index_t *ix, const char *id);
void dc_resource_index_free(dc_resource_index_t *ix);

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

/* Returns 0, or -EPROTO (-ENOMEM, -ETIMEDOUT) with a reason in err; on error out is empty. */
int dc_api_decode_prune(dc_kind_t kind, const char *body, size_t len, dc_prune_result_t *out, char *err,
                        size_t errlen);
void dc_prune_result_free(dc_prune_result_t *r);

/* The engine's error text from an error reply ({"message": ...} or plain text), sanitised
 * to printable ASCII and truncated to cap. */
void dc_api_error_message(const char *body, size_t len, char *out, size_t cap);

#endif
