/* text.c: engine-supplied strings made safe for one line of text or for a JSON string. */
#include "text.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The length (1 to 4) of the valid UTF-8 sequence at p, with its code point in *cp, or 0
 * when the bytes there are not one: a stray continuation byte, an overlong form, a
 * surrogate, a code point above U+10FFFF, or a sequence cut short by n. These are the rules
 * jansson applies, so what passes here encodes as a JSON string. */
static size_t utf8_seq(const unsigned char *p, size_t n, uint32_t *cp) {
  unsigned char c = p[0];
  size_t len;
  unsigned char lo = 0x80, hi = 0xbf; /* the allowed range of the second byte */
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
    *cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    *cp = c & 0x0f;
    if (c == 0xe0)
      lo = 0xa0; /* overlong below */
    else if (c == 0xed)
      hi = 0x9f; /* surrogates above */
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    *cp = c & 0x07;
    if (c == 0xf0)
      lo = 0x90; /* overlong below */
    else if (c == 0xf4)
      hi = 0x8f; /* beyond U+10FFFF above */
  } else {
    return 0;
  }
  if (n < len || p[1] < lo || p[1] > hi)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((p[i] & 0xc0) != 0x80)
      return 0;
    *cp = (*cp << 6) | (p[i] & 0x3f);
  }
  return len;
}

/* Characters that act on a terminal, split a line for a Unicode-aware reader, or reorder
 * what is displayed around them. */
static bool unsafe(uint32_t cp) {
  return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 || cp == 0x061c ||
         cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

size_t dc_text_clean(char *out, size_t cap, const char *s, size_t n, unsigned flags) {
  if (cap == 0)
    return 0;
  const unsigned char *p = (const unsigned char *)s;
  size_t o = 0;
  for (size_t i = 0; s && i < n;) {
    uint32_t cp = 0;
    size_t len = (flags & DC_TEXT_ASCII) && p[i] >= 0x80 ? 0 : utf8_seq(p + i, n - i, &cp);
    if (len == 0 || unsafe(cp)) {
      if (o + 1 >= cap)
        break;
      bool blank = (flags & DC_TEXT_BLANKS) && (p[i] == '\t' || p[i] == '\n' || p[i] == '\r');
      out[o++] = blank ? ' ' : '?';
      i += len ? len : 1;
    } else {
      if (o + len >= cap)
        break; /* the whole character or nothing */
      memmove(out + o, p + i, len); /* o <= i: in place is fine */
      o += len;
      i += len;
    }
  }
  out[o] = '\0';
  return o;
}

size_t dc_printable(char *out, size_t cap, const char *s) { return dc_text_clean(out, cap, s, s ? strlen(s) : 0, 0); }

size_t dc_utf8_prefix(const char *s, size_t max) {
  size_t n = strnlen(s, max);
  if (n < max)
    return n;
  /* s goes on past max: step back over the continuation bytes of a character cut there. */
  size_t c = max;
  while (c > 0 && max - c < 3 && ((unsigned char)s[c] & 0xc0) == 0x80)
    c--;
  return ((unsigned char)s[c] & 0xc0) == 0x80 ? max : c;
}

void dc_utf8_trim(char *s) {
  size_t n = strlen(s), lead = n;
  while (lead > 0 && n - lead < 4 && ((unsigned char)s[lead - 1] & 0xc0) == 0x80)
    lead--;
  if (lead == 0)
    return;
  unsigned char c = (unsigned char)s[--lead];
  size_t want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
  if (n - lead < want)
    s[lead] = '\0';
}

json_t *dc_json_text(const char *s) {
  if (!s)
    return NULL;
  json_t *j = json_string(s);
  if (j)
    return j;
  /* Not UTF-8: each stray byte becomes U+FFFD (3 bytes), so the event keeps every field. */
  size_t n = strlen(s), o = 0;
  char *buf = malloc(n * 3 + 1);
  if (!buf)
    return NULL;
  const unsigned char *p = (const unsigned char *)s;
  for (size_t i = 0; i < n;) {
    uint32_t cp;
    size_t len = utf8_seq(p + i, n - i, &cp);
    if (len) {
      memcpy(buf + o, p + i, len);
      o += len;
      i += len;
    } else {
      memcpy(buf + o, "\xef\xbf\xbd", 3);
      o += 3;
      i++;
    }
  }
  buf[o] = '\0';
  j = json_string(buf);
  free(buf);
  return j;
}

char *dc_json_line(const json_t *o, size_t flags) {
  char *line = o ? json_dumps(o, flags) : NULL;
  if (!line)
    return NULL;
  /* The structure is ASCII, so these can only be inside strings, where an escape means the
   * same character. Each takes at most 6 bytes for at least 1. */
  size_t n = strlen(line), extra = 0;
  const unsigned char *p = (const unsigned char *)line;
  for (size_t i = 0; i < n;) {
    uint32_t cp;
    size_t len = utf8_seq(p + i, n - i, &cp);
    if (len == 0)
      len = 1; /* jansson writes valid UTF-8 only */
    else if (cp >= 0x7f && unsafe(cp))
      extra += 6 - len;
    i += len;
  }
  if (extra == 0)
    return line;
  char *out = malloc(n + extra + 1);
  if (!out) {
    free(line);
    return NULL;
  }
  size_t o2 = 0;
  for (size_t i = 0; i < n;) {
    uint32_t cp = 0;
    size_t len = utf8_seq(p + i, n - i, &cp);
    if (len && cp >= 0x7f && unsafe(cp)) {
      static const char hex[] = "0123456789ABCDEF"; /* as jansson writes its own */
      char esc[6] = {'\\', 'u', hex[(cp >> 12) & 0xf], hex[(cp >> 8) & 0xf], hex[(cp >> 4) & 0xf], hex[cp & 0xf]};
      memcpy(out + o2, esc, 6);
      o2 += 6;
    } else {
      if (len == 0)
        len = 1;
      memcpy(out + o2, p + i, len);
      o2 += len;
    }
    i += len ? len : 1;
  }
  out[o2] = '\0';
  free(line);
  return out;
}
