/* jsonwalk.h: a reply walked value by value (for the decoders of decode.c), and its limits.
 *
 * An inventory reply can hold tens of thousands of entries (10,000 containers: 8.5 MB), and
 * as one jansson tree it costs ~4.5 times its text. So the top level of a reply is walked
 * here, reading nothing but whitespace and the punctuation between values ('[' ',' ']', and
 * '{' ':' '}' for replies that hold their list in an object member), while jansson parses
 * every value, key and entry itself, one at a time (we keep no JSON parser of our own: a
 * plain entry is built by a fast path into the tree jansson would build, and everything else,
 * and every error, is jansson's; see jw_fast_value). Each entry is copied into its record and
 * freed before the next is read, so the cost is one entry's tree. The whole reply is still
 * checked: what jansson would refuse as one document is refused (bar its depth limit, which
 * now counts from each entry). */
#ifndef DC_JSONWALK_H
#define DC_JSONWALK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most values (array elements, object members, keys counted) that one decoded value may
 * hold when the decoders hand it to jansson whole: a list entry, an image's prune entry. A
 * larger one is refused with the reply. Real entries hold tens to a few hundred. */
#define DC_MAX_VALUE_NODES 65536
/* The most bytes of text of such a value, or of any one key or scalar: one jansson call then
 * takes milliseconds, and the decoders can check the deadline between calls. */
#define DC_MAX_VALUE_BYTES 4194304
#define DC_STR_(x) #x
#define DC_STR(x) DC_STR_(x)

/* Makes every decoder give up with -ETIMEDOUT (and a reason in err) once the monotonic
 * clock (CLOCK_MONOTONIC, as uv_hrtime) passes mono_ns; 0 for no limit (the default). The
 * clock is read every few dozen values, so a reply of any size is abandoned within
 * milliseconds of the deadline rather than after its whole decode. */
void dc_api_set_decode_deadline(uint64_t mono_ns);


typedef struct cursor {
  const char *start, *p, *end;
  char *err;
  size_t errlen;
  bool timed_out; /* gave up at the decode deadline (err says so) */
} jw_cursor_t;

typedef int (*jw_entry_fn)(json_t *v, size_t index, void *ctx);
typedef int (*jw_member_fn)(jw_cursor_t *c, void *ctx);

typedef struct member {
  const char *name;
  jw_member_fn fn;
} jw_member_t;

/* Starts a walk over body. Returns 0, or -EPROTO when there is nothing to walk. */
int jw_cursor_open(jw_cursor_t *c, const char *body, size_t len, char *err, size_t errlen);
/* The next byte after JSON whitespace (exactly what jansson skips), or NUL at the end; a NUL
 * byte in the reply is no valid token either. */
char jw_peek(jw_cursor_t *c);
/* Consumes ch if it comes next. */
bool jw_take(jw_cursor_t *c, char ch);
int jw_syntax_error(jw_cursor_t *c, const char *expected);
/* The array or object at p (up to end) built without jansson's lexer when it is plain (see
 * jsonwalk.c), with *used set to the bytes it took; NULL to leave it to jansson. */
json_t *jw_fast_value(const char *p, const char *end, size_t *used);
/* Parses the one value that comes next (jansson skips the whitespace before it) and steps
 * past it. NULL on error, with err set. */
json_t *jw_next_value(jw_cursor_t *c);
/* Walks the array that comes next, handing each element to fn (NULL: only checks it) and
 * freeing it when fn returns. Returns 0, or the first error (fn's or the reply's). */
int jw_walk_array(jw_cursor_t *c, jw_entry_fn fn, void *ctx);
int jw_skip_value(jw_cursor_t *c);
int jw_skip_member(jw_cursor_t *c, void *ctx);
/* Walks the object that comes next: the fn of each member named in members[0..n) consumes its
 * value (each one: a duplicate name is legal JSON, and jansson's tree kept the last, which fn
 * can do); every other value is checked and dropped. */
int jw_walk_object(jw_cursor_t *c, const jw_member_t *members, size_t n, void *ctx);
/* Only whitespace may follow the reply's value. */
int jw_expect_end(jw_cursor_t *c);
/* The reply must be an array or an object, as jansson requires of a document, and of the
 * shape want ('[' or '{'). Another shape is reported as such once the reply is known to be
 * valid JSON, as a whole-document parse did. */
int jw_expect_top(jw_cursor_t *c, char want, const char *what, const char *not_it);

#endif
