/* resource.h: the records a run works on (one per listed resource), and the sets and indexes
 * it looks them up in. */
#ifndef DC_RESOURCE_H
#define DC_RESOURCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
  json_t *tags;      /* images: every real tag of RepoTags ("<none>:<none>" left out), or NULL
                      * when the reply has no RepoTags array; see DC_IMAGE_REFS_MAX */
  json_t *digests;   /* images: every RepoDigests entry ("<none>@<none>" left out), or NULL */
  char **mount_volumes; /* containers: names of the volumes mounted (Mounts of Type "volume") */
  size_t nmount_volumes;
  dc_net_ref_t *nets; /* containers: NetworkSettings.Networks, by name and NetworkID */
  size_t nnets;
  char state[32];    /* containers: State; build cache: Type */
  char *image_id;    /* containers */
  char driver[32];   /* volumes, networks */
  bool has_options;  /* volumes with driver options (e.g. bind mounts) */
  int64_t size;      /* bytes, -1 when unknown */
  int64_t shared_size; /* images: SharedSize (/system/df), -1 when unknown or negative */
  bool in_use, shared; /* build cache */
  bool doomed;       /* containers: the run removes (or, dry, would remove) it; images: a prune removed it */
  bool reaped;       /* containers: by the reaper, with its anonymous volumes */
  bool refs_truncated; /* images: tags or digests are not all known (more than DC_IMAGE_REFS_MAX,
                        * a reference that is not a string, RepoTags or RepoDigests of another
                        * type, or the reply's budget spent): the rules must keep the image */
  bool newest_kept;    /* images: KEEP_LATEST keeps it as one of the newest of a repository */
  /* Retention (images): the last use the rules judge by (INT64_MIN: not known). Filled, with
   * newest_kept, by dc_retain_annotate. */
  int64_t last_use_ns;
} dc_resource_t;

typedef struct dc_resource_list {
  dc_resource_t *items;
  size_t n;
} dc_resource_list_t;

void dc_resource_list_free(dc_resource_list_t *l);

/* The most references (tags plus digests) kept of one image. An image with more is marked
 * refs_truncated (kept by the rules); real images have a handful. */
#define DC_IMAGE_REFS_MAX 256
/* The most references kept over one reply, so that a hostile reply of tiny tags cannot cost
 * more than ~100 MB of jansson strings (each ~90 B); images past it are refs_truncated. */
#define DC_IMAGE_REFS_PER_REPLY 500000

/* The details of one image from GET /images/{id}/json that the retention rules need. */
#define DC_IMAGE_LAYERS_MAX 1024 /* RootFS.Layers: more is refused as malformed */
#define DC_IMAGE_LAYER_ID_MAX 100 /* bytes of one layer ID ("sha256:" and 64 hex digits: 71) */
typedef struct dc_image_detail {
  char *id;            /* Id as the engine gives it */
  char **layers;       /* RootFS.Layers, base first; NULL (nlayers 0) when the reply has none */
  size_t nlayers;
  int64_t last_tag_ns; /* Metadata.LastTagTime; INT64_MIN when absent, unreadable or the zero time */
  int64_t created_ns;  /* Created; INT64_MIN when absent or unreadable */
} dc_image_detail_t;

/* Frees what d holds and empties it (safe on an emptied or zeroed detail). */
void dc_image_detail_free(dc_image_detail_t *d);

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

/* Sets the size of each volume of vols named in sizes (the others keep theirs), in
 * O((V + S) log V). Returns 0 or -ENOMEM. */
int dc_api_apply_volume_sizes(dc_resource_list_t *vols, const dc_resource_list_t *sizes);

#endif
