/* imageref.c: image references as the Docker CLI reads them, and the KEEP_IMAGES patterns.
 *
 * The grammar is that of github.com/distribution/reference v0.6.0 (the module the Docker CLI
 * and the engine vendor since Docker 25), read from its regexp.go, reference.go and
 * normalize.go, with the digest rules of github.com/opencontainers/go-digest v1.0.0:
 *
 *   reference        := name [ ":" tag ] [ "@" digest ]
 *   name             := [ domain "/" ] remote-name
 *   domain           := host [ ":" port ]          host: domain-name | "[" IPv6 hex and ':' "]"
 *   domain-name      := component ( "." component )*   component: [a-zA-Z0-9] or
 *                       [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
 *   remote-name      := path-component ( "/" path-component )*, at most 255 bytes
 *   path-component   := [a-z0-9]+ ( separator [a-z0-9]+ )*   separator: "." | "_" | "__" | "-"+
 *   tag              := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *   digest           := "sha256:" 64 | "sha384:" 96 | "sha512:" 128 lower-case hex digits
 *
 * The digest grammar of reference.go is wider (any algorithm, 32 or more hex digits of either
 * case), but Parse then hands the digest to go-digest, which accepts only the algorithms it
 * has registered, each with its exact length in lower-case hex: we apply that final rule.
 *
 * Everything here works on the caller's bytes and on fixed buffers: no allocation, no
 * recursion, and the glob match is the two-pointer algorithm, which never backtracks more
 * than the last '*' (at most length(pattern) * length(reference) steps). */
#include "imageref.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define PATH_MAX_BYTES 255     /* distribution/reference RepositoryNameTotalLengthMax */
#define TAG_MAX_BYTES 128      /* the {0,127} after the tag's first character */
#define PATTERN_MAX_BYTES (255 + 128)

static const char default_domain[] = "docker.io";
static const char legacy_domain[] = "index.docker.io";
static const char official_prefix[] = "library/";

/* A reference cut into spans of the input (domain may also point at default_domain). */
struct ref_parts {
  const char *domain; /* NULL: none (a first component with a '.' that is no host name) */
  size_t domain_len;
  const char *prefix; /* "library/" for docker.io names of one component, else "" */
  const char *path;
  size_t path_len;
  const char *tag; /* NULL: none */
  size_t tag_len;
  const char *digest; /* NULL: none */
  size_t digest_len;
};

/* The character classes of the grammar. In a pattern (wild), '*' stands for a run of
 * characters, so it is accepted wherever a letter or digit of the name, tag or digest is. */
static bool lower_alnum(char c, bool wild) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (wild && c == '*');
}

static bool upper(char c) { return c >= 'A' && c <= 'Z'; }

static bool any_alnum(char c, bool wild) { return lower_alnum(c, wild) || upper(c); }

static bool word(char c, bool wild) { return any_alnum(c, wild) || c == '_'; }

static bool lower_hex(char c, bool wild) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (wild && c == '*');
}

static bool any_hex(char c, bool wild) { return lower_hex(c, wild) || (c >= 'A' && c <= 'F'); }

static bool span_eq(const char *s, size_t n, const char *lit) { return strlen(lit) == n && memcmp(s, lit, n) == 0; }

static bool span_has_upper(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (upper(s[i]))
      return true;
  return false;
}

/* path-component: runs of [a-z0-9] joined by exactly one separator each. */
static bool path_component_ok(const char *s, size_t n, bool wild) {
  size_t i = 0;
  for (;;) {
    size_t run = i;
    while (i < n && lower_alnum(s[i], wild))
      i++;
    if (i == run)
      return false; /* empty, leading separator, or two separators in a row */
    if (i == n)
      return true;
    if (s[i] == '.') {
      i++;
    } else if (s[i] == '_') {
      i++;
      if (i < n && s[i] == '_')
        i++;
    } else if (s[i] == '-') {
      while (i < n && s[i] == '-')
        i++;
    } else {
      return false;
    }
    if (i == n)
      return false; /* trailing separator */
  }
}

/* remote-name: path components separated by single '/'. */
static bool remote_name_ok(const char *s, size_t n, bool wild) {
  size_t start = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i == n || s[i] == '/') {
      if (!path_component_ok(s + start, i - start, wild))
        return false;
      start = i + 1;
    }
  }
  return true;
}

/* domain: a host name, a dotted IPv4 address (which the host name rule covers) or an IPv6
 * address in brackets, then an optional ":port". */
static bool domain_ok(const char *s, size_t n, bool wild) {
  size_t i = 0;
  if (n == 0)
    return false;
  if (s[0] == '[') {
    i = 1;
    while (i < n && (any_hex(s[i], wild) || s[i] == ':'))
      i++;
    if (i == 1 || i >= n || s[i] != ']')
      return false;
    i++;
  } else {
    for (;;) {
      if (i >= n || !any_alnum(s[i], wild))
        return false;
      while (i < n && (any_alnum(s[i], wild) || s[i] == '-'))
        i++;
      if (s[i - 1] == '-')
        return false;
      if (i < n && s[i] == '.') {
        i++;
        continue;
      }
      break;
    }
  }
  if (i == n)
    return true;
  if (s[i] != ':')
    return false;
  size_t port = ++i;
  while (i < n && ((s[i] >= '0' && s[i] <= '9') || (wild && s[i] == '*')))
    i++;
  return i > port && i == n;
}

static bool tag_ok(const char *s, size_t n, bool wild) {
  if (n == 0 || n > TAG_MAX_BYTES || !word(s[0], wild))
    return false;
  for (size_t i = 1; i < n; i++)
    if (!word(s[i], wild) && s[i] != '.' && s[i] != '-')
      return false;
  return true;
}

static bool digest_ok(const char *s, size_t n, bool wild) {
  static const struct {
    const char *algorithm;
    size_t hex;
  } known[] = {{"sha256", 64}, {"sha384", 96}, {"sha512", 128}};
  const char *colon = memchr(s, ':', n);
  size_t alen = colon ? (size_t)(colon - s) : n, hlen = colon ? n - alen - 1 : 0;
  if (wild && memchr(s, '*', n)) {
    /* A digest with a '*' has no fixed length: its algorithm, when written out, must be a
     * known one, and the rest at most as many hex digits or '*' as the longest digest. */
    bool alg_ok = memchr(s, '*', alen) != NULL;
    for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
      alg_ok = alg_ok || span_eq(s, alen, known[k].algorithm);
    if (!alg_ok || hlen > 128)
      return false;
    for (size_t i = 0; i < alen; i++)
      if (!any_alnum(s[i], true) && !strchr("+._-", s[i]))
        return false;
    for (size_t i = 0; i < hlen; i++)
      if (!lower_hex(colon[1 + i], true))
        return false;
    return true;
  }
  if (!colon)
    return false;
  for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
    if (!span_eq(s, alen, known[k].algorithm) || hlen != known[k].hex)
      continue;
    for (size_t i = 0; i < hlen; i++)
      if (!lower_hex(colon[1 + i], false))
        return false;
    return true;
  }
  return false;
}

/* Cuts s as ParseNormalizedNamed does and checks every part against the grammar. Returns 0,
 * or -EINVAL with *why saying what is wrong. */
static int parse(const char *s, bool wild, struct ref_parts *p, const char **why) {
  size_t n = strlen(s);
  memset(p, 0, sizeof(*p));
  p->prefix = "";
  if (n == 0) {
    *why = "it is empty";
    return -EINVAL;
  }
  if (n == 64) {
    size_t i = 0;
    while (i < n && lower_hex(s[i], false))
      i++;
    if (i == n) {
      *why = "a 64-digit hexadecimal ID is not a repository name";
      return -EINVAL;
    }
  }

  /* No part before the digest holds an '@', and the digest holds no '/': the first '@'
   * starts the digest. */
  const char *at = strchr(s, '@');
  size_t left = at ? (size_t)(at - s) : n;
  if (at) {
    p->digest = at + 1;
    p->digest_len = n - left - 1;
    if (!digest_ok(p->digest, p->digest_len, wild)) {
      *why = "the digest after '@' is not sha256: and 64 lower-case hex digits (or sha384: and 96, sha512: and 128)";
      return -EINVAL;
    }
  }

  /* The tag follows the last ':' when no '/' comes after it (a ':' before the last '/' is
   * a registry port). */
  size_t name_len = left;
  for (size_t i = left; i-- > 0;) {
    if (s[i] == '/')
      break;
    if (s[i] == ':') {
      p->tag = s + i + 1;
      p->tag_len = left - i - 1;
      name_len = i;
      break;
    }
  }
  if (p->tag && !tag_ok(p->tag, p->tag_len, wild)) {
    *why = "the tag after ':' is not 1 to 128 of A-Z a-z 0-9 _ . - beginning with neither '.' nor '-'";
    return -EINVAL;
  }

  /* splitDockerDomain: the first component is a registry host when it is "localhost" or
   * holds a '.', a ':' or an upper-case letter; otherwise the name is on docker.io. */
  const char *slash = memchr(s, '/', name_len);
  p->domain = default_domain;
  p->domain_len = sizeof(default_domain) - 1;
  p->path = s;
  p->path_len = name_len;
  if (slash) {
    size_t dlen = (size_t)(slash - s);
    bool host = span_eq(s, dlen, "localhost") || memchr(s, '.', dlen) || memchr(s, ':', dlen) ||
                span_has_upper(s, dlen);
    if (span_eq(s, dlen, legacy_domain)) {
      p->path = slash + 1;
      p->path_len = name_len - dlen - 1;
    } else if (host) {
      p->domain = s;
      p->domain_len = dlen;
      p->path = slash + 1;
      p->path_len = name_len - dlen - 1;
    }
  }
  if (span_eq(p->domain, p->domain_len, default_domain) && !memchr(p->path, '/', p->path_len))
    p->prefix = official_prefix;

  if (span_has_upper(p->path, p->path_len)) {
    *why = "the repository name has an upper-case letter";
    return -EINVAL;
  }
  if (!domain_ok(p->domain, p->domain_len, wild)) {
    /* The anchored name regexp then reads the whole name as a remote name: "a_b.c/x" has
     * no registry. */
    if (p->domain != s || !remote_name_ok(s, name_len, wild)) {
      *why = "the registry is not a host name or [IPv6 address] with an optional :port";
      return -EINVAL;
    }
    p->domain = NULL;
    p->domain_len = 0;
    p->path = s;
    p->path_len = name_len;
  }
  if (!remote_name_ok(p->path, p->path_len, wild)) {
    *why = "the repository name is not '/'-separated components of a-z 0-9 joined by one '.', '_', '__' or "
           "run of '-'";
    return -EINVAL;
  }
  if (strlen(p->prefix) + p->path_len > PATH_MAX_BYTES) {
    *why = "the repository name is longer than 255 bytes";
    return -EINVAL;
  }
  return 0;
}

/* Appends n bytes of s at *o, if they fit before the terminator. */
static bool put(char *out, size_t cap, size_t *o, const char *s, size_t n) {
  if (n >= cap - *o)
    return false;
  memcpy(out + *o, s, n);
  *o += n;
  return true;
}

static int emit(const struct ref_parts *p, bool with_suffix, bool add_latest, char *out, size_t cap) {
  size_t o = 0;
  bool ok = cap > 0;
  if (ok && p->domain)
    ok = put(out, cap, &o, p->domain, p->domain_len) && put(out, cap, &o, "/", 1);
  ok = ok && put(out, cap, &o, p->prefix, strlen(p->prefix)) && put(out, cap, &o, p->path, p->path_len);
  if (ok && with_suffix && p->tag)
    ok = put(out, cap, &o, ":", 1) && put(out, cap, &o, p->tag, p->tag_len);
  if (ok && with_suffix && p->digest)
    ok = put(out, cap, &o, "@", 1) && put(out, cap, &o, p->digest, p->digest_len);
  if (ok && add_latest)
    ok = put(out, cap, &o, ":latest", 7);
  if (!ok) {
    if (cap > 0)
      out[0] = '\0';
    return -ENAMETOOLONG;
  }
  out[o] = '\0';
  return 0;
}

/* Parses ref and writes it whole (with_tag: the tag or digest, ":latest" when it has neither)
 * or as its repository alone. */
static int normalize(const char *ref, bool with_tag, char *out, size_t cap) {
  struct ref_parts p;
  const char *why = NULL;
  int rc = ref ? parse(ref, false, &p, &why) : -EINVAL;
  if (rc < 0) {
    if (out && cap > 0)
      out[0] = '\0';
    return rc;
  }
  return emit(&p, with_tag, with_tag && !p.tag && !p.digest, out, cap);
}

int dc_ref_normalize(const char *ref, char *out, size_t cap) { return normalize(ref, true, out, cap); }

int dc_ref_repository(const char *ref, char *out, size_t cap) { return normalize(ref, false, out, cap); }

/* The pattern for an error line: at most 96 of its bytes, each byte outside printable ASCII
 * (and the '"' and '\' that would make the quoting ambiguous) as \xNN. */
static const char *shown(const char *s, char *buf, size_t cap) {
  size_t o = 0, i = 0;
  for (; s[i] && i < 96; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
      if (o + 4 >= cap)
        break;
      o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
    } else {
      if (o + 1 >= cap)
        break;
      buf[o++] = (char)c;
    }
  }
  if (s[i] && o + 3 < cap) {
    memcpy(buf + o, "...", 3);
    o += 3;
  }
  buf[o] = '\0';
  return buf;
}

/* The checks that hold for every pattern, including those matched as written. Returns the
 * reason, or NULL. */
static const char *pattern_general(const char *pat, char *why, size_t whylen) {
  size_t n = strlen(pat), ats = 0;
  if (n == 0)
    return "it is empty";
  if (n > PATTERN_MAX_BYTES) {
    snprintf(why, whylen, "it is longer than %d bytes", PATTERN_MAX_BYTES);
    return why;
  }
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)pat[i];
    if (c >= 0x80)
      return "it has a byte outside ASCII";
    if (c == ' ' || (c >= '\t' && c <= '\r'))
      return "it has whitespace";
    if (c < 0x20 || c == 0x7f)
      return "it has a control byte";
    if (c == '@')
      ats++;
  }
  if (ats > 1)
    return "it has more than one '@'";

  /* The name part: before the digest and the tag. Upper case there is an error (Docker
   * rejects it) except in a first component followed by '/', which is a registry host. */
  const char *at = strchr(pat, '@');
  size_t left = at ? (size_t)(at - pat) : n, name_len = left;
  for (size_t i = left; i-- > 0;) {
    if (pat[i] == '/')
      break;
    if (pat[i] == ':') {
      name_len = i;
      break;
    }
  }
  const char *slash = memchr(pat, '/', name_len);
  size_t from = slash ? (size_t)(slash - pat) : 0;
  if (span_has_upper(pat + from, name_len - from))
    return "the repository name has an upper-case letter (Docker names are lower case)";
  return NULL;
}

int dc_ref_pattern_compile(const char *pattern, dc_ref_pattern_t *out, char *err, size_t errlen) {
  char why_buf[64];
  const char *why = NULL;
  out->glob[0] = '\0';
  if (!pattern)
    pattern = "";
  why = pattern_general(pattern, why_buf, sizeof(why_buf));
  if (!why && pattern[0] == '*') {
    /* Matched as written: only the bytes that can appear in a normalised reference. */
    for (const char *c = pattern; *c && !why; c++)
      if (!any_alnum(*c, true) && !strchr("._-/:@+[]", *c)) {
        snprintf(why_buf, sizeof(why_buf), "'%c' appears in no image reference", *c);
        why = why_buf;
      }
    /* A normalised reference ends in a tag or a digest, so a pattern whose text after its
     * last '*' has a last '/'-component with neither ':' nor '@' can match nothing
     * ("*" "/node"): the user meant a tag. */
    const char *tail = strrchr(pattern, '*') + 1, *tslash = strrchr(tail, '/');
    if (!why && tslash && !strpbrk(tslash, ":@"))
      why = "it can match no reference, which always ends in a tag or digest (add \":*\" for any tag)";
    if (!why)
      memcpy(out->glob, pattern, strlen(pattern) + 1); /* at most PATTERN_MAX_BYTES + 1 */
  } else if (!why) {
    struct ref_parts p;
    if (parse(pattern, true, &p, &why) == 0) {
      /* A pattern without tag or digest names the "latest" tag, as "docker pull" would,
       * unless its last component has a '*' ("team/" "*" covers every tag of every repository
       * under team/). */
      const char *last = p.path + p.path_len;
      while (last > p.path && last[-1] != '/')
        last--;
      bool star_last = memchr(last, '*', (size_t)(p.path + p.path_len - last)) != NULL;
      if (emit(&p, true, !p.tag && !p.digest && !star_last, out->glob, sizeof(out->glob)) < 0)
        why = "it is too long"; /* not reached: 383 bytes + "docker.io/library/" + ":latest" fit */
    }
  }
  if (why) {
    char pat[96 * 4 + 4];
    out->glob[0] = '\0';
    if (err && errlen > 0)
      snprintf(err, errlen, "invalid KEEP_IMAGES pattern \"%s\": %s", shown(pattern, pat, sizeof(pat)), why);
    return -EINVAL;
  }
  return 0;
}

bool dc_ref_pattern_match(const dc_ref_pattern_t *p, const char *normalised) {
  if (!p || !normalised)
    return false;
  const char *g = p->glob, *s = normalised;
  size_t gi = 0, si = 0, star = SIZE_MAX, mark = 0;
  while (s[si]) {
    if (g[gi] == '*') {
      star = gi++;
      mark = si;
    } else if (g[gi] != '\0' && g[gi] == s[si]) {
      gi++;
      si++;
    } else if (star != SIZE_MAX) {
      /* Let the last '*' swallow one more byte and retry from just after it. */
      gi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (g[gi] == '*')
    gi++;
  return g[gi] == '\0';
}
