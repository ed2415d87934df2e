/* state.c: STATE_FILE, loaded with every bound checked before it is relied on, and saved
 * atomically. The file is written by this program but read back as untrusted input: it sits
 * on a volume that other containers may mount, so nothing in it is believed until checked. */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NS_PER_S INT64_C(1000000000)
/* The largest time the file may hold, in seconds: 2^62 ns, so that seconds * 1e9 and any
 * later arithmetic on the nanoseconds stay far from INT64_MAX. */
#define MAX_SECONDS (((int64_t)1 << 62) / NS_PER_S)
/* How many symbolic links dc_state_save follows to the file it replaces (as the kernel's
 * own limit, so that load and save agree on what the path names). */
#define MAX_LINKS 40

/* ---- IDs ---------------------------------------------------------------------------------- */

static bool all_of(const char *s, size_t n, bool hex_only) {
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (!hex_only && c >= 'g' && c <= 'z');
    if (!ok)
      return false;
  }
  return true;
}

/* The bare form of id, or NULL when id is not an image ID this file stores: "sha256:" and 64
 * lower-case hex digits (stored without the prefix), or 1..71 of [a-z0-9] (a bare sha256 ID
 * is one of these; so are the IDs of engines that use other digests without a prefix). Only
 * these characters are accepted so that the writer never has to escape a key. */
static const char *bare_id(const char *id) {
  if (!id)
    return NULL;
  if (strncmp(id, "sha256:", 7) == 0) {
    id += 7;
    size_t n = strnlen(id, 65);
    return n == 64 && all_of(id, n, true) ? id : NULL;
  }
  size_t n = strnlen(id, sizeof(((dc_state_entry_t *)0)->id));
  return n >= 1 && n < sizeof(((dc_state_entry_t *)0)->id) && all_of(id, n, false) ? id : NULL;
}

/* ---- Messages ------------------------------------------------------------------------------ */

/* Appends s to out (cap bytes, NUL-terminated) with each byte outside printable ASCII, and
 * the backslash (so that the escaping reads back unambiguously), written as \xNN: a path
 * may hold any byte but the message must stay one inert line. */
static void put_escaped(char *out, size_t cap, const char *s) {
  static const char hex[] = "0123456789abcdef";
  size_t len = strlen(out);
  for (; *s && len + 1 < cap; s++) {
    unsigned char c = (unsigned char)*s;
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out[len++] = (char)c;
    } else {
      if (len + 4 >= cap)
        break;
      out[len++] = '\\';
      out[len++] = 'x';
      out[len++] = hex[c >> 4];
      out[len++] = hex[c & 15];
    }
  }
  out[len] = '\0';
}

/* Writes "state file <path>: " and then the formatted text to out: one line. The formatted
 * part comes from this file (numbers, strerror, jansson's fixed texts) and is made printable
 * too, in case a library's message ever carries a byte it should not. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static void say(char *out, size_t cap, const char *path, const char *fmt, ...) {
  if (!out || cap == 0)
    return;
  out[0] = '\0';
  put_escaped(out, cap, "state file ");
  put_escaped(out, cap, path);
  put_escaped(out, cap, ": ");
  char tail[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(tail, sizeof(tail), fmt, ap);
  va_end(ap);
  put_escaped(out, cap, tail);
}

/* ---- The table ---------------------------------------------------------------------------- */

static int cmp_id(const void *a, const void *b) {
  return strcmp(((const dc_state_entry_t *)a)->id, ((const dc_state_entry_t *)b)->id);
}

/* Most recently seen first; equal times by id, so that the cap is deterministic. */
static int cmp_recent(const void *a, const void *b) {
  const dc_state_entry_t *x = a, *y = b;
  if (x->seen_ns != y->seen_ns)
    return x->seen_ns > y->seen_ns ? -1 : 1;
  return strcmp(x->id, y->id);
}

static int reserve(dc_state_t *st, size_t want) {
  if (want <= st->cap)
    return 0;
  size_t cap = st->cap ? st->cap : 64;
  while (cap < want) {
    if (cap > SIZE_MAX / 2 / sizeof(*st->v))
      return -ENOMEM;
    cap *= 2;
  }
  dc_state_entry_t *v = realloc(st->v, cap * sizeof(*v));
  if (!v)
    return -ENOMEM;
  st->v = v;
  st->cap = cap;
  return 0;
}

/* Keeps the DC_STATE_MAX_ENTRIES most recently seen entries of a table sorted by id, which it
 * leaves sorted by id. Returns how many it dropped. O(n log n), only when over the cap. */
static size_t cap_entries(dc_state_t *st) {
  if (st->n <= DC_STATE_MAX_ENTRIES)
    return 0;
  size_t dropped = st->n - DC_STATE_MAX_ENTRIES;
  qsort(st->v, st->n, sizeof(*st->v), cmp_recent);
  st->n = DC_STATE_MAX_ENTRIES;
  qsort(st->v, st->n, sizeof(*st->v), cmp_id);
  return dropped;
}

/* The index of the entry with this bare id, or (found false) where it would be inserted. */
static size_t find(const dc_state_t *st, const char *bare, bool *found) {
  size_t lo = 0, hi = st->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(st->v[mid].id, bare);
    if (c == 0) {
      *found = true;
      return mid;
    }
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  *found = false;
  return lo;
}

int64_t dc_state_seen(const dc_state_t *st, const char *id) {
  const char *bare = bare_id(id);
  bool found;
  if (!bare)
    return INT64_MIN;
  size_t i = find(st, bare, &found);
  return found ? st->v[i].seen_ns : INT64_MIN;
}

int dc_state_note(dc_state_t *st, const char *id, int64_t seen_ns) {
  const char *bare = bare_id(id);
  if (!bare || seen_ns < 0 || seen_ns / NS_PER_S > MAX_SECONDS)
    return -EINVAL;
  seen_ns -= seen_ns % NS_PER_S; /* what the file can hold: a save and load give it back */
  bool found;
  size_t i = find(st, bare, &found);
  if (found) {
    if (seen_ns > st->v[i].seen_ns)
      st->v[i].seen_ns = seen_ns;
    return 0;
  }
  if (reserve(st, st->n + 1) < 0)
    return -ENOMEM;
  memmove(&st->v[i + 1], &st->v[i], (st->n - i) * sizeof(*st->v));
  memset(&st->v[i], 0, sizeof(st->v[i]));
  memcpy(st->v[i].id, bare, strlen(bare) + 1);
  st->v[i].seen_ns = seen_ns;
  st->n++;
  return 0;
}

void dc_state_prune(dc_state_t *st, const dc_strset_t *exist) {
  if (exist) {
    size_t k = 0;
    for (size_t i = 0; i < st->n; i++)
      if (dc_strset_has(exist, st->v[i].id))
        st->v[k++] = st->v[i];
    st->n = k; /* the order by id is kept: a filtered sorted list is sorted */
  }
  cap_entries(st);
}

void dc_state_free(dc_state_t *st) {
  free(st->v);
  st->v = NULL;
  st->n = st->cap = 0;
}

/* ---- Load ---------------------------------------------------------------------------------- */

/* Reads the whole regular file open on fd, of the size fstat reported, into a new buffer;
 * never more than DC_STATE_MAX_BYTES + 1 bytes, so that a file that grew since fstat is seen
 * to be too large without being read to its end. Returns 0, -EFBIG, -ENOMEM or -errno. */
static int read_bounded(int fd, off_t size, char **out, size_t *outlen) {
  size_t cap = (size_t)size + 1; /* one more, to see whether it grew */
  char *buf = malloc(cap);
  if (!buf)
    return -ENOMEM;
  size_t len = 0;
  for (;;) {
    ssize_t r = read(fd, buf + len, cap - len);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      int e = -errno;
      free(buf);
      return e;
    }
    if (r == 0)
      break;
    len += (size_t)r;
    if (len == cap) {
      if (cap > DC_STATE_MAX_BYTES) {
        free(buf);
        return -EFBIG;
      }
      size_t ncap = cap * 2 > DC_STATE_MAX_BYTES + 1 ? DC_STATE_MAX_BYTES + 1 : cap * 2;
      char *nb = realloc(buf, ncap);
      if (!nb) {
        free(buf);
        return -ENOMEM;
      }
      buf = nb;
      cap = ncap;
    }
  }
  *out = buf;
  *outlen = len;
  return 0;
}

/* Sorts the entries appended by from_json by id, merges an image given both with and
 * without "sha256:" (two keys to JSON, one image to us) keeping its later time, as
 * dc_state_note would, and caps the result. Returns how many the cap dropped. */
static size_t compact(dc_state_t *st) {
  if (st->n > 1)
    qsort(st->v, st->n, sizeof(*st->v), cmp_id);
  size_t k = 0;
  for (size_t i = 0; i < st->n; i++) {
    if (k > 0 && strcmp(st->v[k - 1].id, st->v[i].id) == 0) {
      if (st->v[i].seen_ns > st->v[k - 1].seen_ns)
        st->v[k - 1].seen_ns = st->v[i].seen_ns;
      continue;
    }
    st->v[k++] = st->v[i];
  }
  st->n = k;
  return cap_entries(st);
}

/* Fills st from the parsed document, or sets *why to a static reason why the document is
 * not a state file (st then empty). *invalid counts the entries that are not valid, *dropped
 * those beyond the cap. The table never grows past twice the cap (it is compacted when it
 * gets there): a hostile 8 MiB file of a million tiny entries costs jansson's memory, not
 * ours too. Returns 0 or -ENOMEM. */
static int from_json(dc_state_t *st, json_t *doc, size_t *invalid, size_t *dropped, const char **why) {
  *why = NULL;
  *invalid = *dropped = 0;
  if (!json_is_object(doc)) {
    *why = "not a JSON object";
    return 0;
  }
  json_t *ver = json_object_get(doc, "version");
  if (!json_is_integer(ver)) {
    *why = "no integer \"version\"";
    return 0;
  }
  if (json_integer_value(ver) != 1) {
    *why = "version is not 1";
    return 0;
  }
  json_t *images = json_object_get(doc, "images");
  if (!json_is_object(images)) {
    *why = "no object \"images\"";
    return 0;
  }
  size_t want = json_object_size(images);
  if (reserve(st, want < 2 * DC_STATE_MAX_ENTRIES ? want : 2 * DC_STATE_MAX_ENTRIES) < 0)
    return -ENOMEM;
  const char *key;
  json_t *val;
  json_object_foreach(images, key, val) {
    const char *bare = bare_id(key);
    json_int_t secs = json_is_integer(val) ? json_integer_value(val) : -1;
    if (!bare || secs < 0 || secs > MAX_SECONDS) {
      (*invalid)++;
      continue;
    }
    if (st->n == 2 * DC_STATE_MAX_ENTRIES)
      *dropped += compact(st);
    dc_state_entry_t *e = &st->v[st->n++];
    memset(e, 0, sizeof(*e));
    memcpy(e->id, bare, strlen(bare) + 1);
    e->seen_ns = (int64_t)secs * NS_PER_S;
  }
  *dropped += compact(st);
  return 0;
}

static const char *entries(size_t n) { return n == 1 ? "entry" : "entries"; }

int dc_state_load(dc_state_t *st, const char *path, char *warn, size_t warnlen) {
  st->n = 0;
  if (warn && warnlen)
    warn[0] = '\0';
  /* Symbolic links are followed (no O_NOFOLLOW): a volume may well hold a link to the file
   * that is kept, and dc_state_save writes through the same links. Following one gives no
   * reach beyond what the process's uid can read anyway, the file is only parsed (never
   * echoed), and what is opened is checked with fstat before one byte is read. O_NONBLOCK
   * so that a FIFO put at the path does not block the open; it changes nothing for a
   * regular file. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT)
      return 0; /* a first run */
    if (e == EACCES || e == EPERM)
      say(warn, warnlen, path, "permission denied (running as uid %lu): starting afresh",
          (unsigned long)geteuid());
    else
      say(warn, warnlen, path, "cannot open: %s: starting afresh", strerror(e));
    return 0;
  }
  struct stat sb;
  char *buf = NULL;
  size_t len = 0;
  json_t *doc = NULL;
  int rc = 0;
  if (fstat(fd, &sb) < 0) {
    say(warn, warnlen, path, "cannot stat: %s: starting afresh", strerror(errno));
    goto out;
  }
  if (!S_ISREG(sb.st_mode)) {
    say(warn, warnlen, path, "not a regular file: starting afresh");
    goto out;
  }
  if (sb.st_size > (off_t)DC_STATE_MAX_BYTES) {
    say(warn, warnlen, path, "larger than %u bytes: starting afresh", (unsigned)DC_STATE_MAX_BYTES);
    goto out;
  }
  int r = read_bounded(fd, sb.st_size, &buf, &len);
  if (r == -ENOMEM) {
    rc = -ENOMEM;
    goto out;
  }
  if (r == -EFBIG) {
    say(warn, warnlen, path, "larger than %u bytes: starting afresh", (unsigned)DC_STATE_MAX_BYTES);
    goto out;
  }
  if (r < 0) {
    say(warn, warnlen, path, "cannot read: %s: starting afresh", strerror(-r));
    goto out;
  }
  json_error_t jerr;
  doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
  if (!doc) {
    if (json_error_code(&jerr) == json_error_out_of_memory) {
      rc = -ENOMEM;
      goto out;
    }
    say(warn, warnlen, path, "not valid JSON (line %d: %s): starting afresh", jerr.line, jerr.text);
    goto out;
  }
  size_t invalid = 0, dropped = 0;
  const char *why = NULL;
  if (from_json(st, doc, &invalid, &dropped, &why) < 0) {
    st->n = 0;
    rc = -ENOMEM;
    goto out;
  }
  if (why) {
    st->n = 0;
    say(warn, warnlen, path, "not a state file (%s): starting afresh", why);
    goto out;
  }
  if (invalid && dropped)
    say(warn, warnlen, path, "%zu %s ignored (not valid), %zu beyond the %u most recently seen ignored",
        invalid, entries(invalid), dropped, (unsigned)DC_STATE_MAX_ENTRIES);
  else if (invalid)
    say(warn, warnlen, path, "%zu %s ignored (not valid)", invalid, entries(invalid));
  else if (dropped)
    say(warn, warnlen, path, "%zu %s ignored (beyond the %u most recently seen)", dropped, entries(dropped),
        (unsigned)DC_STATE_MAX_ENTRIES);
out:
  json_decref(doc);
  free(buf);
  close(fd);
  return rc;
}

/* ---- Save ---------------------------------------------------------------------------------- */

/* The file that path names once its symbolic links are followed (as open(2) follows them in
 * dc_state_load), as a new string: path itself when it is not a link or does not exist. A
 * link is replaced by its target, relative to the link's folder when relative. Returns 0,
 * -ELOOP, -ENOMEM, or -errno of lstat/readlink. */
static int resolve_links(const char *path, char **out) {
  char *cur = strdup(path);
  if (!cur)
    return -ENOMEM;
  for (int hops = 0;; hops++) {
    struct stat sb;
    if (lstat(cur, &sb) < 0) {
      if (errno == ENOENT)
        break; /* a first save, or a link to a file not yet written */
      int e = -errno;
      free(cur);
      return e;
    }
    if (!S_ISLNK(sb.st_mode))
      break;
    if (hops == MAX_LINKS) {
      free(cur);
      return -ELOOP;
    }
    char target[4096];
    ssize_t n = readlink(cur, target, sizeof(target) - 1);
    if (n < 0 || (size_t)n >= sizeof(target) - 1) {
      int e = n < 0 ? -errno : -ENAMETOOLONG;
      free(cur);
      return e;
    }
    target[n] = '\0';
    char *next;
    const char *slash = strrchr(cur, '/');
    if (target[0] == '/' || !slash) {
      next = strdup(target);
    } else {
      size_t dl = (size_t)(slash - cur) + 1;
      next = malloc(dl + (size_t)n + 1);
      if (next) {
        memcpy(next, cur, dl);
        memcpy(next + dl, target, (size_t)n + 1);
      }
    }
    free(cur);
    if (!next)
      return -ENOMEM;
    cur = next;
  }
  *out = cur;
  return 0;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* The file's bytes: {"version":1,"images":{ then one "<id>":<seconds> per line, sorted by
 * id, then }}. Written by hand rather than through jansson because the IDs hold only
 * [a-z0-9] (checked again here), and so that the same state always gives the same bytes.
 * At most DC_STATE_MAX_ENTRIES entries (the most recently seen), so that the file is always
 * well under DC_STATE_MAX_BYTES and a later load reads it. Returns 0, -EINVAL or -ENOMEM. */
static int render(const dc_state_t *st, char **out, size_t *outlen) {
  const dc_state_entry_t *v = st->v;
  size_t n = st->n;
  dc_state_entry_t *copy = NULL;
  if (n > DC_STATE_MAX_ENTRIES) {
    copy = malloc(n * sizeof(*copy));
    if (!copy)
      return -ENOMEM;
    memcpy(copy, st->v, n * sizeof(*copy));
    dc_state_t tmp = {.v = copy, .n = n, .cap = n};
    cap_entries(&tmp);
    v = copy;
    n = tmp.n;
  }
  /* Per entry: quotes, colon, comma, newline (5), up to 71 id bytes, up to 10 digits; and
   * a margin, so that no snprintf below can ever be cut. */
  size_t cap = 64 + n * (5 + 71 + 10 + 8);
  char *buf = malloc(cap);
  if (!buf) {
    free(copy);
    return -ENOMEM;
  }
  size_t len = (size_t)snprintf(buf, cap, "{\"version\":1,\"images\":{");
  for (size_t i = 0; i < n; i++) {
    if (bare_id(v[i].id) != v[i].id || v[i].seen_ns < 0 || v[i].seen_ns / NS_PER_S > MAX_SECONDS ||
        (i > 0 && strcmp(v[i - 1].id, v[i].id) >= 0)) {
      free(buf);
      free(copy);
      return -EINVAL;
    }
    len += (size_t)snprintf(buf + len, cap - len, "%s\n\"%s\":%" PRId64, i ? "," : "", v[i].id,
                            v[i].seen_ns / NS_PER_S);
  }
  len += (size_t)snprintf(buf + len, cap - len, "%s}}\n", n ? "\n" : "");
  free(copy);
  *out = buf;
  *outlen = len;
  return 0;
}

int dc_state_save(const dc_state_t *st, const char *path, char *err, size_t errlen) {
  if (err && errlen)
    err[0] = '\0';
  char *target = NULL, *tmp = NULL, *dir = NULL, *data = NULL;
  size_t len = 0;
  int fd = -1, rc;
  rc = render(st, &data, &len);
  if (rc < 0) {
    say(err, errlen, path, "%s", rc == -EINVAL ? "the state holds an entry that is not valid" : strerror(-rc));
    goto out;
  }
  rc = resolve_links(path, &target);
  if (rc < 0) {
    say(err, errlen, path, "cannot follow the path: %s", strerror(-rc));
    goto out;
  }
  /* The temporary file in the folder of the file it replaces, so that rename(2) is atomic;
   * hidden, named after the file, with a random suffix. mkostemp opens it O_CREAT|O_EXCL
   * with mode 0600: never an existing file, never a link, never readable by others. */
  const char *slash = strrchr(target, '/');
  const char *base = slash ? slash + 1 : target;
  size_t dl = slash ? (size_t)(slash - target) : 0;
  dir = slash ? strndup(target, dl ? dl : 1) : strdup(".");
  size_t tmplen = dl + strlen(base) + 16;
  tmp = malloc(tmplen);
  if (!dir || !tmp) {
    rc = -ENOMEM;
    say(err, errlen, path, "%s", strerror(ENOMEM));
    goto out;
  }
  snprintf(tmp, tmplen, "%.*s%s.%s.XXXXXX", (int)dl, target, slash ? "/" : "", base);
  fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0) {
    rc = -errno;
    free(tmp);
    tmp = NULL; /* nothing to unlink */
    say(err, errlen, path, "cannot create a temporary file in %s: %s", dir, strerror(-rc));
    goto out;
  }
  rc = write_all(fd, data, len);
  if (rc == 0 && fsync(fd) < 0)
    rc = -errno;
  if (rc < 0) {
    say(err, errlen, path, "cannot write %s: %s", tmp, strerror(-rc));
    goto out;
  }
  int c = close(fd);
  fd = -1;
  if (c < 0) {
    rc = -errno;
    say(err, errlen, path, "cannot write %s: %s", tmp, strerror(-rc));
    goto out;
  }
  if (rename(tmp, target) < 0) {
    rc = -errno;
    say(err, errlen, path, "cannot rename %s to %s: %s", tmp, target, strerror(-rc));
    goto out;
  }
  free(tmp);
  tmp = NULL; /* renamed: nothing to unlink */
  /* The rename is durable once the folder is: fsync it. When that fails the file already
   * holds the new state (the next load reads it) but a crash could still lose it: an
   * error, said so. Filesystems that cannot fsync a folder (EINVAL) are not an error. */
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || (fsync(dfd) < 0 && errno != EINVAL)) {
    rc = -errno;
    say(err, errlen, path, "written, but the folder %s could not be synced: %s", dir, strerror(-rc));
  }
  if (dfd >= 0)
    close(dfd);
out:
  if (fd >= 0)
    close(fd);
  if (tmp)
    unlink(tmp);
  free(tmp);
  free(dir);
  free(target);
  free(data);
  return rc;
}
