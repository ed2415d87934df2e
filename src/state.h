/* state.h: STATE_FILE, what earlier runs saw: for each image, the last time a run saw a
 * container use it. Read at the start of a run, written at the end of a real run. */
#ifndef DC_STATE_H
#define DC_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "resource.h"

#define DC_STATE_MAX_ENTRIES 65536      /* images remembered; beyond, the least recently seen go */
#define DC_STATE_MAX_BYTES (8u << 20)   /* a larger file is not read (a warning, a fresh start) */

typedef struct dc_state_entry {
  char id[72];     /* the bare image ID: 64 lower-case hex digits (other digests: up to 71) */
  int64_t seen_ns; /* the last time a run saw a container use it (Unix ns, whole seconds) */
} dc_state_entry_t;

/* Entries sorted by id. */
typedef struct dc_state {
  dc_state_entry_t *v;
  size_t n, cap;
} dc_state_t;

/* Loads path into st (emptied first). A missing file: 0, st empty, warn empty (a first run).
 * A file that cannot be read, is larger than DC_STATE_MAX_BYTES, is not the format written by
 * dc_state_save, or has entries that are not valid: 0, with warn holding one line ("state file
 * <path>: <what>: starting afresh" or "...: N entries ignored"); never more than the valid
 * entries are kept, and a corrupt file yields an empty state. Returns -ENOMEM only otherwise. */
int dc_state_load(dc_state_t *st, const char *path, char *warn, size_t warnlen);

/* The last time the image (ID with or without "sha256:") was seen in use; INT64_MIN if never. */
int64_t dc_state_seen(const dc_state_t *st, const char *id);

/* Records the image as seen in use at seen_ns (the later of the old and the new time is kept).
 * Returns 0, -EINVAL for an ID that is not one, or -ENOMEM. */
int dc_state_note(dc_state_t *st, const char *id, int64_t seen_ns);

/* Drops the entries of images not in exist (a set of bare IDs); then, beyond
 * DC_STATE_MAX_ENTRIES, the least recently seen. */
void dc_state_prune(dc_state_t *st, const dc_strset_t *exist);

/* Writes st to path atomically: a temporary file in the same directory (mode 0600), fsync,
 * rename over path, fsync of the directory. Returns 0, or a negative errno with one line in
 * err; path is then unchanged. */
int dc_state_save(const dc_state_t *st, const char *path, char *err, size_t errlen);

void dc_state_free(dc_state_t *st);

#endif
