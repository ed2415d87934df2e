/* api.h: the Docker Engine API as docker-cleaner speaks it: version negotiation, request paths
 * and filters, and the engine's error text. The replies are decoded by decode.h, into the
 * records of resource.h; the kinds are described in kinds.h. */
#ifndef DC_API_H
#define DC_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apiversion.h"
#include "decode.h"
#include "filters.h"
#include "http.h"
#include "kinds.h"
#include "resource.h"

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

/* From a /version reply: 0 when pinned is at least the engine's MinAPIVersion (or the reply
 * does not say), -EPROTO with a one-line err when the engine cannot serve it. */
int dc_api_check_min(const char *body, size_t len, const char *pinned, char *err, size_t errlen);

/* Percent-encodes s (everything but RFC 3986 unreserved characters). Returns the length or
 * -ENAMETOOLONG. */
int dc_urlencode(char *out, size_t cap, const char *s);

/* Filter parts to include, see dc_api_filters_build. */
enum {
  DC_F_UNTIL = 1,
  DC_F_LABELS = 2,  /* the user's positive label terms */
  DC_F_PROTECT = 4, /* label!=<protection label> */
  DC_F_UNTIL_AGE = 8, /* `until` as the age of the cut-off at now_ns ("90061000ms"): build prune before
                         Docker 23 accepts only a duration */
};

/* Builds the encoded `filters=` value for a request from f: the parts named by flags, plus
 * dangling (NULL to omit), exactly or not at all. Returns 0 with a malloc'd string in *out
 * (caller frees; empty with no filter at all), or -EILSEQ (a term is not valid UTF-8, so it
 * cannot travel as JSON), -ENAMETOOLONG (a term does not fit), -ENOMEM, with *out NULL.
 * A request whose filters cannot be built must not be sent: without a term it would select
 * more than configured. */
int dc_api_filters_build(const dc_filter_fields_t *f, unsigned flags, const char *dangling, int64_t now_ns,
                         char **out);

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

/* The engine's error text from an error reply ({"message": ...} or plain text), sanitised
 * to printable ASCII and truncated to cap. */
void dc_api_error_message(const char *body, size_t len, char *out, size_t cap);

#endif
