/* filters.h: docker-style prune filters parsed once and matched locally.
 *
 * Every `until` form docker accepts is turned into one absolute instant here, so the
 * daemon-side prunes and the client-side selections (volumes, dry run) use the very same
 * cut-off. */
#ifndef DC_FILTERS_H
#define DC_FILTERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DC_LABEL_MAX 256     /* bytes in one term's key or value */
#define DC_LABEL_TERMS_MAX 16

typedef struct dc_label_term {
  char key[DC_LABEL_MAX];
  char value[DC_LABEL_MAX];
  bool has_value; /* k=v rather than k */
  bool negate;    /* label! rather than label */
} dc_label_term_t;

/* Parses one term: k, k=v, !k, !k=v, label=k[=v], label!=k[=v].
 * Returns 0, or -EINVAL with a reason in err (-EILSEQ when the value is not valid UTF-8:
 * such a term could neither match a label nor be sent). */
int dc_label_term_parse(dc_label_term_t *t, const char *s, char *err, size_t errlen);

/* Renders a term without its sign ("k" or "k=v"), as the daemon's filter map key.
 * Returns the length, or -ENAMETOOLONG when it does not fit in cap. */
int dc_label_term_format(const dc_label_term_t *t, char *out, size_t cap);

/* The length (1 to 4) of the valid UTF-8 sequence at s (at most n bytes), with its code
 * point in *cp; 0 when the bytes there are not valid UTF-8 (a stray continuation byte, a
 * truncated, overlong or surrogate sequence, beyond U+10FFFF), as jansson judges them. */
size_t dc_utf8_decode(const char *s, size_t n, uint32_t *cp);

/* True when the n bytes at s are valid UTF-8. */
bool dc_utf8_valid(const char *s, size_t n);

/* True when a labels object (JSON object of strings, or NULL/null for none) carries the
 * label the term names (ignoring the term's sign). */
bool dc_label_present(const dc_label_term_t *t, const json_t *labels);

/* True when every positive term is present and no negative term is. */
bool dc_labels_match(const dc_label_term_t *terms, size_t n, const json_t *labels);

/* Parses a docker `until` value: Go duration (10m, 1h30m, 1.5h), RFC 3339 with Z or an
 * offset, YYYY-MM-DD[THH[:MM[:SS[.frac]]]] in the local time zone, or Unix seconds with an
 * optional fraction. now_ns is the reference for durations. The result is nanoseconds since
 * the epoch. Returns 0 or -EINVAL. */
int dc_until_parse(const char *s, int64_t now_ns, int64_t *out_ns);

/* Parses a Go duration such as 5m, 90s, 1h30m, 1.5h (no sign; units ns us ms s m h).
 * Returns 0 or -EINVAL; the result is in nanoseconds. */
int dc_duration_parse(const char *s, int64_t *out_ns);

/* Parses an RFC 3339 timestamp as the daemon prints it (2024-01-02T03:04:05.123Z or with an
 * offset). Returns 0 or -EINVAL. */
int dc_rfc3339_parse(const char *s, int64_t *out_ns);

/* The settings a request's `filters=` value is built from (see dc_api_filters_build). */
typedef struct dc_filter_fields {
  bool has_until;
  int64_t until_ns; /* the absolute cut-off */
  const dc_label_term_t *labels; /* the user's terms; only positive ones travel */
  size_t nlabels;
  const dc_label_term_t *protect; /* sent as label!=<protect> */
} dc_filter_fields_t;

/* The daemon prunes a resource when !created.After(until). */
static inline bool dc_until_selects(int64_t until_ns, int64_t created_ns) {
  return created_ns <= until_ns;
}

#endif
