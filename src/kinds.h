/* kinds.h: one row per kind of resource: its names, its endpoints, its prune reply and the
 * decoder of its listing. Everything that differs between kinds and is not a rule. */
#ifndef DC_KINDS_H
#define DC_KINDS_H

#include <stddef.h>

#include "decode.h"

/* DC_REAP: containers stopped and removed by the reaper (REAP_LABEL/REAP_AFTER). */
typedef enum { DC_CONTAINERS = 0, DC_BUILD_CACHE, DC_NETWORKS, DC_IMAGES, DC_VOLUMES, DC_REAP, DC_KIND__COUNT } dc_kind_t;

/* Decodes a listing reply into out. Returns 0, or a negative errno with a reason in err. */
typedef int (*dc_decode_fn)(const char *body, size_t len, dc_resource_list_t *out, char *err, size_t errlen);

typedef struct dc_kind_info {
  const char *singular, *plural;     /* "container", "containers": audit lines and totals */
  const char *json, *json_plural;    /* the same as JSON values and keys */
  const char *list_path, *list_query; /* GET: every resource of the kind (query NULL: none) */
  dc_decode_fn decode;               /* the listing's decoder */
  const char *prune_path;            /* POST: the daemon's prune */
  const char *prune_member;          /* the prune reply's list of what went */
  const char *remove_prefix;         /* DELETE <prefix><id>; NULL: removed otherwise */
  const char *inspect_suffix;        /* GET <prefix><id><suffix>: the one resource (404: gone) */
} dc_kind_info_t;

const dc_kind_info_t *dc_kind(dc_kind_t k);

/* "container", "build cache", ... for audit lines; "containers", ... for totals. */
const char *dc_kind_singular(dc_kind_t k);
const char *dc_kind_plural(dc_kind_t k);
/* The same as JSON values and keys: "container"/"containers", "build_cache", ... */
const char *dc_kind_json(dc_kind_t k);
const char *dc_kind_json_plural(dc_kind_t k);

/* The kind's prune reply (dc_decode_prune_reply with the kind's member). */
int dc_api_decode_prune(dc_kind_t kind, const char *body, size_t len, dc_prune_result_t *out, char *err,
                        size_t errlen);

#endif
