/* text.h: engine-supplied strings made safe for the output: one line of text that no terminal
 * or line splitter can act on, or a JSON string that always encodes. Every name, message and
 * header from the engine goes through here before it is printed. */
#ifndef DC_TEXT_H
#define DC_TEXT_H

#include <jansson.h>
#include <stddef.h>

/* Flags of dc_text_clean. */
enum {
  DC_TEXT_ASCII = 1,  /* every byte outside printable ASCII becomes '?', one per byte */
  DC_TEXT_BLANKS = 2, /* tab, LF and CR become a space instead of '?' */
};

/* Writes the n bytes of s (NULL: none) to out as one printable line of at most cap - 1 bytes,
 * always terminated (nothing is written when cap is 0). Each of these becomes one '?': a C0
 * control, DEL, a C1 control (U+0080..U+009F: NEL, CSI...), a line or paragraph separator
 * (U+2028, U+2029), a bidi control (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069),
 * and each byte that is not part of a valid UTF-8 sequence. Other characters are copied.
 * Truncation never splits a character. out may equal s (the output is never longer than
 * what it has read). Returns the length written. */
size_t dc_text_clean(char *out, size_t cap, const char *s, size_t n, unsigned flags);

/* dc_text_clean of a NUL-terminated string (NULL: empty), no flags. */
size_t dc_printable(char *out, size_t cap, const char *s);

/* The length of the longest prefix of s of at most max bytes that does not end inside a
 * UTF-8 sequence: where to cut s to keep it valid. */
size_t dc_utf8_prefix(const char *s, size_t max);

/* Cuts s in place so that it does not end inside a UTF-8 sequence: for a string that a
 * byte-bounded copy (snprintf) has just truncated. */
void dc_utf8_trim(char *s);

/* s as a new JSON string, with each byte that is not part of a valid UTF-8 sequence replaced
 * by U+FFFD, so that it always encodes. NULL when s is NULL or memory runs out. */
json_t *dc_json_text(const char *s);

/* json_dumps(o, flags), with every character that dc_text_clean would replace (DEL, C1
 * controls, separators, bidi controls; jansson escapes C0 itself) written as a \uXXXX escape:
 * the same JSON value, but one line for any splitter and inert on a terminal. Caller frees;
 * NULL when o is NULL or memory runs out. */
char *dc_json_line(const json_t *o, size_t flags);

#endif
