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

/* Entries sorted by id (strictly: no id twice), each as dc_state_note would store it. Fill it
 * only through dc_state_load and dc_state_note: dc_state_save refuses a table that breaks
 * these rules. */
typedef struct dc_state {
  dc_state_entry_t *v;
  size_t n, cap;
} dc_state_t;

/* Loads path into st (emptied first). A missing file (or folder): 0, st empty, warn empty (a
 * first run). A file that cannot be read, is larger than DC_STATE_MAX_BYTES, is not the format
 * written by dc_state_save, or has entries that are not valid: 0, with warn holding one line
 * ("state file <path>: <what>: starting afresh" or "...: N entries ignored (...)"); never more
 * than the valid entries are kept, and a corrupt file yields an empty state. Returns -ENOMEM
 * only otherwise. warn may be NULL (warnlen 0); the path in it has every byte outside
 * printable ASCII, and the backslash, written as \xNN, so the line is never split.
 *
 * The file is untrusted input (a volume other containers may mount): what is opened is
 * checked with fstat before a byte is read, so that a folder, a FIFO (opened O_NONBLOCK, so
 * the open does not wait for a writer) or a device is refused, and so is a file larger than
 * the cap, without reading it; the read itself is bounded (a file growing meanwhile). JSON
 * with a key twice is corrupt (JSON_REJECT_DUPLICATES); an image given both with and without
 * "sha256:" keeps its later time. Permission denied names the uid the process runs as.
 *
 * Symbolic links are followed (no O_NOFOLLOW): a volume may well hold a link to the file
 * kept, following one reaches nothing the process's uid cannot read anyway, and the file is
 * only parsed, never echoed. dc_state_save writes through the same links. */
int dc_state_load(dc_state_t *st, const char *path, char *warn, size_t warnlen);

/* The last time the image (ID with or without "sha256:") was seen in use; INT64_MIN if never
 * (or if id is not an image ID). O(log n). */
int64_t dc_state_seen(const dc_state_t *st, const char *id);

/* Records the image as seen in use at seen_ns, rounded down to whole seconds (what the file
 * holds); the later of the old and the new time is kept. An ID is "sha256:" and 64 lower-case
 * hex digits (stored without the prefix) or 1..71 of [a-z0-9]. Returns 0, -EINVAL for an ID
 * that is not one or a time outside 0..2^62 ns, or -ENOMEM. O(log n) for an image already
 * there; a new one is inserted in place (a memmove of the entries after it: O(n), at most
 * some 5 MB at 65,536 entries), so that the table is sorted after every call. */
int dc_state_note(dc_state_t *st, const char *id, int64_t seen_ns);

/* Drops the entries of images not in exist (a sealed set of bare IDs; NULL: keeps them all);
 * then, beyond DC_STATE_MAX_ENTRIES, the least recently seen (equal times: the larger ids go).
 * O(n log |exist|), plus O(n log n) when over the cap. */
void dc_state_prune(dc_state_t *st, const dc_strset_t *exist);

/* Writes st to path atomically: a temporary file in the same directory (".<name>.XXXXXX",
 * created O_CREAT|O_EXCL with mode 0600 by mkostemp), write, fsync, rename over path, fsync of
 * the directory. When path is a symbolic link, its target is what is replaced (the link
 * stays, as dc_state_load reads through it). The bytes depend on st alone (sorted by id, one
 * entry a line): two saves of one state are identical. At most DC_STATE_MAX_ENTRIES entries,
 * the most recently seen, are written, so that the file always loads (under 6 MiB).
 * Returns 0, or a negative errno with one line in err (err may be NULL): -EINVAL when st
 * holds an entry dc_state_note would not have made. On any failure up to the rename the
 * temporary file is removed and path is unchanged; when only the fsync of the directory
 * fails, path already holds the new state (but a crash may still lose it) and the error says
 * so. */
int dc_state_save(const dc_state_t *st, const char *path, char *err, size_t errlen);

void dc_state_free(dc_state_t *st);

#endif
