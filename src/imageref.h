/* imageref.h: image references as the Docker CLI reads them, and the KEEP_IMAGES patterns.
 * Pure: no I/O. */
#ifndef DC_IMAGEREF_H
#define DC_IMAGEREF_H

#include <stdbool.h>
#include <stddef.h>

/* A normalised reference's bytes, NUL included: a name of at most 255 bytes, a tag of at
 * most 128, or a digest ("sha256:" and 64 hex digits; other algorithms up to 128 bytes). */
#define DC_REF_MAX 512
/* KEEP_IMAGES: at most this many patterns. */
#define DC_REF_PATTERNS_MAX 64

/* Normalises ref as the Docker CLI does (distribution/reference ParseNormalizedNamed, then
 * TagNameOnly): a name whose first component is not a registry host (no '.', no ':', not
 * "localhost") gets "docker.io/"; a docker.io name of one component gets "library/";
 * "index.docker.io" reads as "docker.io"; a reference with neither tag nor digest gets
 * ":latest". Returns 0; -EINVAL when ref is not a reference (the grammar of
 * distribution/reference: lower-case path components, tag [A-Za-z0-9_][A-Za-z0-9_.-]{0,127},
 * digest algorithm:hex; "<none>:<none>" and "<none>@<none>" are not references); or
 * -ENAMETOOLONG when the result does not fit in cap bytes. */
int dc_ref_normalize(const char *ref, char *out, size_t cap);

/* The repository of a normalised reference: the name without tag or digest
 * ("docker.io/library/postgres"). Returns 0, -EINVAL or -ENAMETOOLONG. */
int dc_ref_repository(const char *normalised, char *out, size_t cap);

/* A compiled KEEP_IMAGES pattern: a glob over normalised references, where '*' matches any
 * run of characters ('/', ':' and '@' included) and every other byte matches itself. */
typedef struct dc_ref_pattern {
  char glob[DC_REF_MAX];
} dc_ref_pattern_t;

/* Compiles one pattern. A pattern that begins with '*' is matched as written ("*/node:*"
 * matches "docker.io/library/node:20" and "ghcr.io/x/node:1"). Any other is normalised as a
 * reference, '*' being allowed wherever a name, tag or digest character is: "postgres" ->
 * "docker.io/library/postgres:latest", "postgres:*" -> "docker.io/library/postgres:*",
 * "registry.example.com:5000/team/*" stays as written (its last component has a '*', so no
 * default tag), "name@sha256:<hex>" -> "docker.io/library/name@sha256:<hex>". Returns 0 or
 * -EINVAL with one line in err naming the pattern and what is wrong. */
int dc_ref_pattern_compile(const char *pattern, dc_ref_pattern_t *out, char *err, size_t errlen);

/* Does the normalised reference match the pattern? */
bool dc_ref_pattern_match(const dc_ref_pattern_t *p, const char *normalised);

#endif
