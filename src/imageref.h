/* imageref.h: image references as the Docker CLI reads them, and the KEEP_IMAGES patterns.
 * Pure: no I/O. */
#ifndef DC_IMAGEREF_H
#define DC_IMAGEREF_H

#include <stdbool.h>
#include <stddef.h>

/* A normalised reference's bytes, NUL included: a repository name of at most 255 bytes
 * after its registry host, a tag of at most 128, a digest ("sha256:" and 64 hex digits,
 * "sha384:" and 96, "sha512:" and 128). Most fit; the longest legal ones (both a tag and a
 * sha512 digest, or a long host) do not, and the functions below say -ENAMETOOLONG. */
#define DC_REF_MAX 512
/* KEEP_IMAGES: at most this many patterns. */
#define DC_REF_PATTERNS_MAX 64

/* Normalises ref as the Docker CLI does (distribution/reference v0.6.0 ParseNormalizedNamed,
 * then TagNameOnly): a name whose first component is not a registry host (no '.', no ':',
 * no upper-case letter, not "localhost") gets "docker.io/"; a docker.io name of one
 * component gets "library/"; "index.docker.io" reads as "docker.io"; a reference with
 * neither tag nor digest gets ":latest"; a tag and a digest are both kept. Writes the result
 * to out (cap bytes; it must not overlap ref). Returns 0; -EINVAL when ref is NULL or not a
 * reference (the grammar of distribution/reference: lower-case path components of at most
 * 255 bytes in all, tag [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}, digest sha256/sha384/sha512 with
 * its length of lower-case hex, as go-digest checks it; a bare 64-digit hex ID,
 * "<none>:<none>" and "<none>@<none>" are not references); or -ENAMETOOLONG when the result
 * does not fit in cap bytes. On error out holds "" (when cap > 0). */
int dc_ref_normalize(const char *ref, char *out, size_t cap);

/* The repository of a reference: its normalised name without tag or digest
 * ("docker.io/library/postgres" for "postgres:16" or "docker.io/library/postgres:16").
 * Returns 0, -EINVAL or -ENAMETOOLONG as dc_ref_normalize. */
int dc_ref_repository(const char *ref, char *out, size_t cap);

/* A compiled KEEP_IMAGES pattern: a glob over normalised references, where '*' matches any
 * run of characters ('/', ':' and '@' included) and every other byte matches itself. */
typedef struct dc_ref_pattern {
  char glob[DC_REF_MAX];
} dc_ref_pattern_t;

/* Compiles one pattern. (Patterns with "/" next to "*" are written below as concatenated C
 * strings, which a comment cannot hold whole.) A pattern that begins with '*' is matched as
 * written ("*" "/node:*" matches "docker.io/library/node:20" and "ghcr.io/x/node:1"). Any
 * other is normalised as a reference, '*' being allowed wherever a letter or digit of a
 * name, tag or digest is: "postgres" -> "docker.io/library/postgres:latest", "postgres:*" ->
 * "docker.io/library/postgres:*", "postgres*" -> "docker.io/library/postgres*",
 * "registry.example.com:5000/team/" "*" stays as written (its last component has a '*', so no
 * default tag), "name@sha256:<hex>" -> "docker.io/library/name@sha256:<hex>".
 * Rejected: NULL or empty; longer than 383 bytes (255 + 128); whitespace, control bytes or
 * bytes outside ASCII; more than one '@'; an upper-case letter in the repository name (the
 * part before the tag and digest, its first component excepted when a '/' follows it: a
 * registry host); any other pattern that is not a reference; and a pattern matched as
 * written that has a byte no reference holds, or that can match nothing because it does
 * not end in a tag, a digest or '*' ("*" "/node"). Returns 0, or -EINVAL with one line in err
 * (errlen bytes; may be NULL) naming the pattern, its bytes outside printable ASCII shown
 * as \xNN, and what is wrong; out->glob is then "", which matches nothing. */
int dc_ref_pattern_compile(const char *pattern, dc_ref_pattern_t *out, char *err, size_t errlen);

/* Does the normalised reference match the pattern? Greedy glob with one backtrack point
 * (the last '*'): at most strlen(glob) * strlen(normalised) steps. False for NULL. */
bool dc_ref_pattern_match(const dc_ref_pattern_t *p, const char *normalised);

#endif
