/* jsonwalk.c: the top level of a reply read value by value, jansson parsing each value (see
 * jsonwalk.h), and the decode deadline. */
#include "jsonwalk.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "text.h"

/* "invalid JSON in reply: <jansson's reason>": its "near '...'" quotes the reply, so the
 * quote goes through dc_printable like any text from the engine. */
static void json_error_text(char *err, size_t errlen, const json_error_t *je) {
  char why[81];
  dc_printable(why, sizeof(why), je->text);
  snprintf(err, errlen, "invalid JSON in reply: %s", why);
}



/* The decode deadline (CLOCK_MONOTONIC, ns; 0: none). The clock is read before every
 * DEADLINE_STRIDE-th value, and before any value once DEADLINE_BYTES have been parsed since
 * the last reading: a few dozen small values or one large entry (at most DC_MAX_VALUE_NODES
 * values, some milliseconds) pass between two readings. */
#define DEADLINE_STRIDE 64
#define DEADLINE_BYTES (64 * 1024)
static uint64_t decode_deadline_ns;
static unsigned decode_ticks;
static size_t decode_bytes;

void dc_api_set_decode_deadline(uint64_t mono_ns) { decode_deadline_ns = mono_ns; }

static bool jw_out_of_time(jw_cursor_t *c) {
  if (decode_deadline_ns == 0 || (++decode_ticks % DEADLINE_STRIDE != 0 && decode_bytes < DEADLINE_BYTES))
    return false;
  decode_bytes = 0;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  if ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec < decode_deadline_ns)
    return false;
  c->timed_out = true;
  snprintf(c->err, c->errlen, "deadline reached while decoding the reply");
  return true;
}

/* Starts a walk over body. Returns 0, or -EPROTO when there is nothing to walk. */
int jw_cursor_open(jw_cursor_t *c, const char *body, size_t len, char *err, size_t errlen) {
  c->start = c->p = body;
  c->end = body ? body + len : NULL;
  c->err = err;
  c->errlen = errlen;
  c->timed_out = false;
  if (!body || len == 0) {
    snprintf(err, errlen, "empty reply");
    return -EPROTO;
  }
  /* jansson reports how far it read as an int (replies are capped far below this anyway). */
  if (len > INT_MAX) {
    snprintf(err, errlen, "reply too large");
    return -EPROTO;
  }
  return 0;
}

/* p past JSON whitespace (exactly what jansson skips), at most to end. */
static const char *skip_ws(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  return p;
}

/* The next byte after JSON whitespace, or NUL at the end; a NUL byte in the reply is no
 * valid token either. */
char jw_peek(jw_cursor_t *c) {
  c->p = skip_ws(c->p, c->end);
  return c->p < c->end ? *c->p : '\0';
}

/* Consumes ch if it comes next. */
bool jw_take(jw_cursor_t *c, char ch) {
  if (jw_peek(c) != ch)
    return false;
  c->p++;
  return true;
}

int jw_syntax_error(jw_cursor_t *c, const char *expected) {
  if (c->p < c->end)
    snprintf(c->err, c->errlen, "invalid JSON in reply: %s expected at byte %zu", expected, (size_t)(c->p - c->start));
  else
    snprintf(c->err, c->errlen, "invalid JSON in reply: %s expected near end of file", expected);
  return -EPROTO;
}

/* Is the value at p (up to end) more than jansson should get in one call? Its extent and,
 * for an array or object, a bound on the values it holds (its ',' ':' '[' and '{' outside
 * strings, plus one) are found by scanning, without building or checking anything: jansson
 * still checks the value. The scan stops at the end of the value or at the first limit.
 * Returns 0, or the message's reason. */
static const char *jw_value_too_large(const char *p, const char *end) {
  const char *start = p;
  size_t n = 1, depth = 0;
  for (; p < end; p++) {
    if ((size_t)(p - start) > DC_MAX_VALUE_BYTES)
      return "larger than " DC_STR(DC_MAX_VALUE_BYTES) " bytes";
    char ch = *p;
    if (ch == '"') {
      for (p++; p < end && *p != '"' && (size_t)(p - start) <= DC_MAX_VALUE_BYTES; p++)
        if (*p == '\\' && p + 1 < end)
          p++;
      if (depth == 0)
        break; /* a string alone */
    } else if (ch == '[' || ch == '{') {
      depth++;
      n++;
    } else if (ch == ']' || ch == '}') {
      if (depth <= 1)
        break;
      depth--;
    } else if (ch == ',' || ch == ':') {
      n++;
      if (depth == 0)
        break; /* after a number or a literal */
    } else if (depth == 0 && (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') && p > start) {
      break;
    }
    if (n > DC_MAX_VALUE_NODES)
      return "of more than " DC_STR(DC_MAX_VALUE_NODES) " items";
  }
  if ((size_t)(p - start) > DC_MAX_VALUE_BYTES)
    return "larger than " DC_STR(DC_MAX_VALUE_BYTES) " bytes";
  return NULL;
}

/* The plain values, built without jansson's lexer. jansson copies each byte of a value
 * through a buffer of its own (a call per byte): on an engine with 100 named volumes that was
 * 70 % of a run's instructions. Most of what an engine sends is plain: objects and arrays of
 * printable ASCII strings without escapes, small integers, true, false and null. Such a value
 * is built here with jansson's own constructors, in document order, into the tree jansson
 * would build (json_equal, and the same bytes consumed: tests/fuzz/fuzz_json.c checks both
 * against jansson). Anything else in it (an escape, a byte outside 0x20-0x7f, a real number,
 * an integer of more than 18 digits, a malformed token, nesting deeper than FP_MAX_DEPTH)
 * makes the whole value go to jansson, which accepts or refuses it as before: this never
 * accepts what jansson refuses. It is a fast path, not a parser of its own. */
#define FP_MAX_DEPTH 32
#define FP_MAX_DIGITS 18 /* below 2^63: no overflow to check */

typedef struct {
  const char *p, *end;
} fp_t;

static void fp_ws(fp_t *f) { f->p = skip_ws(f->p, f->end); }

/* A plain string's contents (after its '"'), up to its closing '"', which it consumes.
 * Returns false to decline. */
static bool fp_string(fp_t *f, const char **s, size_t *len) {
  const char *start = f->p;
  for (const char *q = start; q < f->end; q++) {
    unsigned char ch = (unsigned char)*q;
    if (ch == '"') {
      *s = start;
      *len = (size_t)(q - start);
      f->p = q + 1;
      return true;
    }
    if (ch < 0x20 || ch >= 0x80 || ch == '\\')
      return false;
  }
  return false;
}

static bool fp_alpha(const fp_t *f) {
  return f->p < f->end && ((*f->p >= 'a' && *f->p <= 'z') || (*f->p >= 'A' && *f->p <= 'Z'));
}

static json_t *fp_value(fp_t *f, int depth);

static json_t *fp_literal(fp_t *f, const char *word, json_t *v) {
  size_t n = strlen(word);
  if ((size_t)(f->end - f->p) < n || memcmp(f->p, word, n) != 0)
    return NULL;
  f->p += n;
  return fp_alpha(f) ? NULL : v; /* jansson reads "nullx" as one (invalid) word */
}

/* -?(0|[1-9][0-9]*) of at most FP_MAX_DIGITS digits, not followed by a fraction, an exponent
 * or another digit. */
static json_t *fp_integer(fp_t *f) {
  bool neg = f->p < f->end && *f->p == '-';
  const char *q = f->p + neg, *digits = q;
  json_int_t v = 0;
  while (q < f->end && *q >= '0' && *q <= '9') {
    if (q - digits >= FP_MAX_DIGITS)
      return NULL;
    v = v * 10 + (*q - '0');
    q++;
  }
  size_t n = (size_t)(q - digits);
  if (n == 0 || (digits[0] == '0' && n > 1))
    return NULL;
  if (q < f->end && (*q == '.' || *q == 'e' || *q == 'E'))
    return NULL;
  f->p = q;
  return json_integer(neg ? -v : v);
}

/* The array or object at f->p, the depth-th of those it is nested in (1: the outermost). */
static json_t *fp_container(fp_t *f, int depth, bool object) {
  if (depth > FP_MAX_DEPTH)
    return NULL;
  char close = object ? '}' : ']';
  json_t *v = object ? json_object() : json_array();
  if (!v)
    return NULL;
  f->p++;
  fp_ws(f);
  if (f->p < f->end && *f->p == close) {
    f->p++;
    return v;
  }
  for (;;) {
    const char *key = NULL;
    size_t keylen = 0;
    if (object) {
      if (f->p >= f->end || *f->p != '"')
        break;
      f->p++;
      if (!fp_string(f, &key, &keylen))
        break;
      fp_ws(f);
      if (f->p >= f->end || *f->p != ':')
        break;
      f->p++;
      fp_ws(f);
    }
    json_t *member = fp_value(f, depth + 1);
    if (!member)
      break;
    if ((object ? json_object_setn_new_nocheck(v, key, keylen, member) : json_array_append_new(v, member)) < 0)
      break;
    fp_ws(f);
    if (f->p < f->end && *f->p == close) {
      f->p++;
      return v;
    }
    if (f->p >= f->end || *f->p != ',')
      break;
    f->p++;
    fp_ws(f);
  }
  json_decref(v);
  return NULL;
}

/* The value at f->p (no whitespace before it), or NULL to decline. */
static json_t *fp_value(fp_t *f, int depth) {
  if (f->p >= f->end)
    return NULL;
  switch (*f->p) {
  case '{':
    return fp_container(f, depth, true);
  case '[':
    return fp_container(f, depth, false);
  case '"': {
    const char *s;
    size_t len;
    f->p++;
    return fp_string(f, &s, &len) ? json_stringn_nocheck(s, len) : NULL;
  }
  case 'n':
    return fp_literal(f, "null", json_null());
  case 't':
    return fp_literal(f, "true", json_true());
  case 'f':
    return fp_literal(f, "false", json_false());
  default:
    return fp_integer(f);
  }
}

/* The array or object at p (up to end) if it is plain, with *used set to the bytes it took;
 * NULL otherwise (jansson then reads it). */
json_t *jw_fast_value(const char *p, const char *end, size_t *used) {
  if (p >= end || (*p != '{' && *p != '['))
    return NULL;
  fp_t f = {p, end};
  json_t *v = fp_value(&f, 1);
  if (v)
    *used = (size_t)(f.p - p);
  return v;
}

/* Parses the one value that comes next (jansson skips the whitespace before it) and steps
 * past it. NULL on error, with err set. */
json_t *jw_next_value(jw_cursor_t *c) {
  json_error_t je;
  size_t left = (size_t)(c->end - c->p);
  if (jw_out_of_time(c))
    return NULL;
  /* One tree costs ~20 times its text, and one call cannot be interrupted at the deadline:
   * no call gets more than DC_MAX_VALUE_NODES values or DC_MAX_VALUE_BYTES bytes. The walkers
   * hand jansson only entries, keys and scalars, so this bounds the memory and the time of
   * each step, whatever the reply holds. What is left of a reply shorter than
   * DC_MAX_VALUE_NODES bytes cannot break either limit (the scan counts at most one value per
   * byte), so it is not scanned: that scan was 7 % of decoding an empty engine's listings. */
  const char *too_large = left < DC_MAX_VALUE_NODES ? NULL : jw_value_too_large(c->p, c->end);
  if (too_large) {
    snprintf(c->err, c->errlen, "reply has a value %s at byte %zu", too_large, (size_t)(c->p - c->start));
    return NULL;
  }
  /* The whitespace jansson would skip, then the plain fast path (see jw_fast_value). */
  jw_peek(c);
  left = (size_t)(c->end - c->p);
  size_t used;
  json_t *v = jw_fast_value(c->p, c->end, &used);
  if (v) {
    c->p += used;
    decode_bytes += used;
    return v;
  }
  /* DISABLE_EOF_CHECK: stop after the value; DECODE_ANY: keys and scalars too. */
  v = json_loadb(c->p, left, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, &je);
  if (!v) {
    json_error_text(c->err, c->errlen, &je);
    return NULL;
  }
  /* jansson sets the position on success too: the bytes the value took. After a number or
   * a literal it looks one character ahead (the caveat of DISABLE_EOF_CHECK | DECODE_ANY)
   * but puts it back, so the position never covers the ',' ']' or '}' that follows. */
  if (je.position <= 0 || (size_t)je.position > left) {
    json_decref(v);
    snprintf(c->err, c->errlen, "invalid JSON in reply: cannot tell where a value ends");
    return NULL;
  }
  c->p += je.position;
  decode_bytes += (size_t)je.position;
  return v;
}


/* Walks the array that comes next, handing each element to fn (NULL: only checks it) and
 * freeing it when fn returns. Returns 0, or the first error (fn's or the reply's). */
int jw_walk_array(jw_cursor_t *c, jw_entry_fn fn, void *ctx) {
  if (!jw_take(c, '['))
    return jw_syntax_error(c, "'['");
  if (jw_take(c, ']'))
    return 0;
  for (size_t i = 0;; i++) {
    json_t *v = jw_next_value(c);
    if (!v)
      return -EPROTO;
    int rc = fn ? fn(v, i, ctx) : 0;
    json_decref(v);
    if (rc < 0)
      return rc;
    if (jw_take(c, ']'))
      return 0;
    if (!jw_take(c, ','))
      return jw_syntax_error(c, "',' or ']'");
  }
}

/* Checks and drops the value that comes next at nesting depth depth. Arrays and objects go
 * member by member, down to their scalars, so that a large value nobody reads (an old
 * engine's untyped /system/df, a hostile member of any size) never becomes a tree: memory is
 * one scalar and the recursion, which jansson's own depth limit bounds. */
static int jw_skip_nested(jw_cursor_t *c, int depth) {
  char open = jw_peek(c), close = open == '[' ? ']' : '}';
  if (open != '[' && open != '{') {
    json_t *v = jw_next_value(c);
    if (!v)
      return -EPROTO;
    json_decref(v);
    return 0;
  }
  if (depth >= JSON_PARSER_MAX_DEPTH) {
    snprintf(c->err, c->errlen, "invalid JSON in reply: maximum parsing depth reached at byte %zu",
             (size_t)(c->p - c->start));
    return -EPROTO;
  }
  c->p++;
  if (jw_take(c, close))
    return 0;
  for (;;) {
    if (open == '{') {
      if (jw_peek(c) != '"')
        return jw_syntax_error(c, "string or '}'");
      json_t *key = jw_next_value(c);
      if (!key)
        return -EPROTO;
      json_decref(key);
      if (!jw_take(c, ':'))
        return jw_syntax_error(c, "':'");
    }
    int rc = jw_skip_nested(c, depth + 1);
    if (rc < 0)
      return rc;
    if (jw_take(c, close))
      return 0;
    if (!jw_take(c, ','))
      return jw_syntax_error(c, open == '[' ? "',' or ']'" : "',' or '}'");
  }
}

int jw_skip_value(jw_cursor_t *c) { return jw_skip_nested(c, 0); }


int jw_skip_member(jw_cursor_t *c, void *ctx) {
  (void)ctx;
  return jw_skip_value(c);
}


/* Walks the object that comes next: the fn of each member named in members[0..n) consumes its
 * value (each one: a duplicate name is legal JSON, and jansson's tree kept the last, which fn
 * can do); every other value is checked and dropped. */
int jw_walk_object(jw_cursor_t *c, const jw_member_t *members, size_t n, void *ctx) {
  if (!jw_take(c, '{'))
    return jw_syntax_error(c, "'{'");
  if (jw_take(c, '}'))
    return 0;
  for (;;) {
    if (jw_peek(c) != '"')
      return jw_syntax_error(c, "string or '}'");
    json_t *key = jw_next_value(c);
    if (!key)
      return -EPROTO;
    jw_member_fn fn = jw_skip_member;
    for (size_t i = 0; i < n; i++)
      if (strcmp(json_string_value(key), members[i].name) == 0)
        fn = members[i].fn;
    json_decref(key);
    if (!jw_take(c, ':'))
      return jw_syntax_error(c, "':'");
    int rc = fn(c, ctx);
    if (rc < 0)
      return rc;
    if (jw_take(c, '}'))
      return 0;
    if (!jw_take(c, ','))
      return jw_syntax_error(c, "',' or '}'");
  }
}

/* Only whitespace may follow the reply's value. */
int jw_expect_end(jw_cursor_t *c) {
  jw_peek(c);
  return c->p == c->end ? 0 : jw_syntax_error(c, "end of file");
}

/* The reply must be an array or an object, as jansson requires of a document, and of the
 * shape want ('[' or '{'). Another shape is reported as such once the reply is known to be
 * valid JSON, as a whole-document parse did. */
int jw_expect_top(jw_cursor_t *c, char want, const char *what, const char *not_it) {
  char ch = jw_peek(c);
  if (ch == want)
    return 0;
  if (ch != '[' && ch != '{')
    return jw_syntax_error(c, "'[' or '{'");
  int rc = jw_skip_value(c);
  if (rc == 0)
    rc = jw_expect_end(c);
  if (rc == 0) {
    snprintf(c->err, c->errlen, "%s reply is %s", what, not_it);
    rc = -EPROTO;
  }
  return rc;
}
