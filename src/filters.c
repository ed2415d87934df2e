/* filters.c: label terms and docker's `until` forms. */
#include "filters.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define NS_PER_SEC INT64_C(1000000000)
/* Seconds that still fit in int64 nanoseconds (years 1677 to 2262) with any fraction. */
#define MAX_SECS INT64_C(9223372035)

static bool valid_key(const char *k, size_t n) {
  if (n == 0 || n >= DC_LABEL_MAX)
    return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)k[i];
    if (c <= ' ' || c == '!' || c == '=' || c == ',' || c >= 0x7f)
      return false;
  }
  return true;
}

size_t dc_utf8_decode(const char *s, size_t n, uint32_t *cp) {
  const unsigned char *u = (const unsigned char *)s;
  if (n == 0)
    return 0;
  if (u[0] < 0x80) {
    *cp = u[0];
    return 1;
  }
  size_t len;
  uint32_t c, min;
  if (u[0] >= 0xc2 && u[0] <= 0xdf) {
    len = 2, c = u[0] & 0x1f, min = 0x80;
  } else if (u[0] >= 0xe0 && u[0] <= 0xef) {
    len = 3, c = u[0] & 0x0f, min = 0x800;
  } else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
    len = 4, c = u[0] & 0x07, min = 0x10000;
  } else {
    return 0; /* a continuation byte, an overlong lead (c0, c1) or beyond U+10FFFF */
  }
  if (n < len)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((u[i] & 0xc0) != 0x80)
      return 0;
    c = (c << 6) | (u[i] & 0x3f);
  }
  if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
    return 0; /* overlong, out of range, or a UTF-16 surrogate */
  *cp = c;
  return len;
}

bool dc_utf8_valid(const char *s, size_t n) {
  uint32_t cp;
  for (size_t i = 0, k; i < n; i += k)
    if ((k = dc_utf8_decode(s + i, n - i, &cp)) == 0)
      return false;
  return true;
}

int dc_label_term_parse(dc_label_term_t *t, const char *s, char *err, size_t errlen) {
  memset(t, 0, sizeof(*t));
  if (strncmp(s, "label!=", 7) == 0) {
    t->negate = true;
    s += 7;
  } else if (strncmp(s, "label=", 6) == 0) {
    s += 6;
  } else if (s[0] == '!') {
    t->negate = true;
    s += 1;
  }
  const char *eq = strchr(s, '=');
  size_t klen = eq ? (size_t)(eq - s) : strlen(s);
  if (!valid_key(s, klen)) {
    snprintf(err, errlen, "label key must be 1 to %d printable characters without spaces, '!', '=' or ','",
             DC_LABEL_MAX - 1);
    return -EINVAL;
  }
  memcpy(t->key, s, klen);
  if (eq) {
    size_t vlen = strlen(eq + 1);
    if (vlen >= DC_LABEL_MAX) {
      snprintf(err, errlen, "label value longer than %d bytes", DC_LABEL_MAX - 1);
      return -EINVAL;
    }
    /* Labels are JSON strings on the engine and in every filter sent: bytes that are not
     * UTF-8 can match no label and cannot be encoded (jansson refuses them), so they are a
     * mistake to report, never a term to drop. */
    if (!dc_utf8_valid(eq + 1, vlen)) {
      snprintf(err, errlen, "label value is not valid UTF-8");
      return -EILSEQ;
    }
    memcpy(t->value, eq + 1, vlen + 1);
    t->has_value = true;
  }
  return 0;
}

int dc_label_term_format(const dc_label_term_t *t, char *out, size_t cap) {
  int n = t->has_value ? snprintf(out, cap, "%s=%s", t->key, t->value) : snprintf(out, cap, "%s", t->key);
  return (n < 0 || (size_t)n >= cap) ? -ENAMETOOLONG : n;
}

bool dc_label_present(const dc_label_term_t *t, const json_t *labels) {
  if (!json_is_object(labels))
    return false;
  json_t *v = json_object_get(labels, t->key);
  if (!v)
    return false;
  if (!t->has_value)
    return true;
  return json_is_string(v) && strcmp(json_string_value(v), t->value) == 0;
}

bool dc_labels_match(const dc_label_term_t *terms, size_t n, const json_t *labels) {
  for (size_t i = 0; i < n; i++)
    if (dc_label_present(&terms[i], labels) == terms[i].negate)
      return false;
  return true;
}

/* Reads 1..max digits; returns the count read, 0 if none. */
static int read_digits(const char **p, int max, int64_t *out) {
  int n = 0;
  int64_t v = 0;
  while (n < max && isdigit((unsigned char)**p)) {
    v = v * 10 + (**p - '0');
    (*p)++;
    n++;
  }
  *out = v;
  return n;
}

/* Reads a fraction after '.', to nanoseconds (digits past the ninth are ignored). */
static int read_fraction_ns(const char **p, int64_t *ns) {
  int n = 0;
  int64_t v = 0;
  while (isdigit((unsigned char)**p)) {
    if (n < 9) {
      v = v * 10 + (**p - '0');
      n++;
    } else {
      n++;
    }
    (*p)++;
  }
  if (n == 0)
    return -EINVAL;
  for (int i = n < 9 ? n : 9; i < 9; i++)
    v *= 10;
  *ns = v;
  return 0;
}

int dc_duration_parse(const char *s, int64_t *out_ns) {
  static const struct {
    const char *name;
    int64_t ns;
  } units[] = {{"ns", 1},
               {"us", 1000},
               {"\xc2\xb5s", 1000},
               {"ms", 1000000},
               {"h", 3600 * NS_PER_SEC},
               {"m", 60 * NS_PER_SEC},
               {"s", NS_PER_SEC}};
  const char *p = s;
  if (strcmp(s, "0") == 0) {
    *out_ns = 0;
    return 0;
  }
  if (*p == '\0')
    return -EINVAL;
  int64_t total = 0;
  while (*p) {
    if (!isdigit((unsigned char)*p) && *p != '.')
      return -EINVAL;
    int64_t whole = 0;
    int nd = 0;
    while (isdigit((unsigned char)*p)) {
      if (whole > (INT64_MAX - (*p - '0')) / 10)
        return -EINVAL;
      whole = whole * 10 + (*p - '0');
      p++;
      nd++;
    }
    int64_t frac = 0; /* in units of 1e-18 of the unit, kept as digits/scale */
    int64_t scale = 1;
    if (*p == '.') {
      p++;
      int nf = 0;
      while (isdigit((unsigned char)*p)) {
        if (scale < INT64_C(1000000000000000)) {
          frac = frac * 10 + (*p - '0');
          scale *= 10;
        }
        p++;
        nf++;
      }
      if (nd == 0 && nf == 0)
        return -EINVAL;
    } else if (nd == 0) {
      return -EINVAL;
    }
    int64_t unit = 0;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
      size_t ul = strlen(units[i].name);
      if (strncmp(p, units[i].name, ul) == 0) {
        /* "m" must not swallow the "m" of "ms". */
        if (units[i].ns == 60 * NS_PER_SEC && p[1] == 's')
          continue;
        unit = units[i].ns;
        p += ul;
        break;
      }
    }
    if (unit == 0)
      return -EINVAL;
    if (whole > INT64_MAX / unit)
      return -EINVAL;
    int64_t part = whole * unit;
    /* frac/scale of a unit; unit <= 3.6e12 and scale <= 1e15, so compute in double. */
    int64_t fpart = (int64_t)((double)frac * (double)unit / (double)scale);
    if (part > INT64_MAX - fpart)
      return -EINVAL;
    part += fpart;
    if (total > INT64_MAX - part)
      return -EINVAL;
    total += part;
  }
  *out_ns = total;
  return 0;
}

/* Days since the epoch of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* Date and time forms. zone_required: reject forms without Z or an offset. */
static int parse_datetime(const char *s, bool zone_required, int64_t *out_ns) {
  const char *p = s;
  int64_t y, mo, d, h = 0, mi = 0, sec = 0, frac = 0;
  if (read_digits(&p, 4, &y) != 4 || *p++ != '-' || read_digits(&p, 2, &mo) != 2 || *p++ != '-' ||
      read_digits(&p, 2, &d) != 2)
    return -EINVAL;
  if (*p == 'T' || *p == 't') {
    p++;
    if (read_digits(&p, 2, &h) != 2)
      return -EINVAL;
    if (*p == ':') {
      p++;
      if (read_digits(&p, 2, &mi) != 2)
        return -EINVAL;
      if (*p == ':') {
        p++;
        if (read_digits(&p, 2, &sec) != 2)
          return -EINVAL;
        if (*p == '.' || *p == ',') {
          p++;
          if (read_fraction_ns(&p, &frac) < 0)
            return -EINVAL;
        }
      }
    }
  }
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 60)
    return -EINVAL;
  if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
    return -EINVAL;

  bool has_zone = false;
  int64_t offset = 0;
  if (*p == 'Z' || *p == 'z') {
    has_zone = true;
    p++;
  } else if (*p == '+' || *p == '-') {
    int sign = *p == '-' ? -1 : 1;
    int64_t oh, om;
    p++;
    if (read_digits(&p, 2, &oh) != 2 || *p++ != ':' || read_digits(&p, 2, &om) != 2 || oh > 23 ||
        om > 59)
      return -EINVAL;
    offset = sign * (oh * 3600 + om * 60);
    has_zone = true;
  }
  if (*p != '\0' || (zone_required && !has_zone))
    return -EINVAL;

  int64_t secs;
  if (has_zone) {
    secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
  } else {
    struct tm tm = {0};
    tm.tm_year = (int)(y - 1900);
    tm.tm_mon = (int)(mo - 1);
    tm.tm_mday = (int)d;
    tm.tm_hour = (int)h;
    tm.tm_min = (int)mi;
    tm.tm_sec = (int)sec;
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    if (t == (time_t)-1 && !(y == 1969 && mo == 12 && d == 31))
      return -EINVAL;
    secs = (int64_t)t;
  }
  if (secs < -MAX_SECS || secs > MAX_SECS)
    return -EINVAL; /* e.g. Go's zero time 0001-01-01T00:00:00Z: not representable */
  *out_ns = secs * NS_PER_SEC + frac;
  return 0;
}

int dc_rfc3339_parse(const char *s, int64_t *out_ns) { return parse_datetime(s, true, out_ns); }

int dc_until_parse(const char *s, int64_t now_ns, int64_t *out_ns) {
  int64_t d;
  if (strlen(s) == 0 || strlen(s) > 64)
    return -EINVAL;
  /* As docker: a Go duration counts back from now, except the bare "0", a timestamp. */
  if (strcmp(s, "0") != 0 && dc_duration_parse(s, &d) == 0) {
    *out_ns = now_ns - d;
    return 0;
  }
  if (strchr(s, '-'))
    return parse_datetime(s, false, out_ns);
  /* Unix seconds with an optional fraction. */
  const char *p = s;
  int64_t secs = 0, frac = 0;
  int n = read_digits(&p, 12, &secs);
  if (n == 0)
    return -EINVAL;
  if (*p == '.') {
    p++;
    if (read_fraction_ns(&p, &frac) < 0)
      return -EINVAL;
  }
  if (*p != '\0' || secs > MAX_SECS)
    return -EINVAL;
  *out_ns = secs * NS_PER_SEC + frac;
  return 0;
}
