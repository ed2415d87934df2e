/* test_http.c: the response parser fed canned replies in every split, its limits and
 * errors, and the exact request bytes. */
#include "dc_test.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "http.h"
#include "version.h"

#define CAP (1024 * 1024)

/* What feeding a whole reply produced. */
typedef struct outcome {
  int rc;        /* of the last call */
  bool extra;    /* any call reported bytes past the end */
  int done_at;   /* index of the call that first returned DONE, -1 if none */
  int status;
  char api_version[16];
  char libpod[16];
  char server[64];
  char content_type[64];
  char body[4096];
  size_t body_len;
  bool body_null;
  bool keep_alive;
  char error[160];
} outcome_t;

static void snapshot(dc_http_parser_t *p, outcome_t *o) {
  const dc_http_response_t *r = &p->resp;
  o->status = r->status;
  snprintf(o->api_version, sizeof(o->api_version), "%s", r->api_version);
  snprintf(o->libpod, sizeof(o->libpod), "%s", r->libpod_api_version);
  snprintf(o->server, sizeof(o->server), "%s", r->server);
  snprintf(o->content_type, sizeof(o->content_type), "%s", r->content_type);
  o->body_null = r->body == NULL;
  o->body_len = r->body_len;
  if (r->body) {
    assert_true(r->body_len < sizeof(o->body));
    memcpy(o->body, r->body, r->body_len);
    o->body[r->body_len] = '\0';
    assert_int_equal(r->body[r->body_len], '\0'); /* always NUL-terminated */
  } else {
    o->body[0] = '\0';
  }
  o->keep_alive = r->keep_alive;
  snprintf(o->error, sizeof(o->error), "%s", p->error ? p->error : "");
}

/* Feeds data in the pieces given by cuts (ascending offsets, 0 < cut < len), then EOF if
 * eof is set and the parser is not done. */
static outcome_t feed_cuts(const char *data, size_t len, const size_t *cuts, size_t ncuts, bool eof, size_t cap) {
  dc_http_parser_t p;
  outcome_t o;
  memset(&o, 0, sizeof(o));
  o.done_at = -1;
  dc_http_parser_init(&p, cap);
  size_t start = 0;
  int call = 0;
  for (size_t i = 0; i <= ncuts; i++, call++) {
    size_t end = i < ncuts ? cuts[i] : len;
    bool extra = false;
    o.rc = dc_http_parser_feed(&p, data + start, end - start, &extra);
    o.extra |= extra;
    if (o.rc == DC_HTTP_DONE && o.done_at < 0)
      o.done_at = call;
    if (o.rc < 0)
      break;
    start = end;
  }
  if (eof && o.rc == DC_HTTP_MORE)
    o.rc = dc_http_parser_eof(&p);
  snapshot(&p, &o);
  dc_http_parser_free(&p);
  dc_http_parser_free(&p); /* twice is safe */
  return o;
}

static void assert_same(const outcome_t *a, const outcome_t *b, const char *how) {
  if (a->rc < 0 || b->rc < 0) {
    /* A failure may come at a different byte; what was read before it does not matter. */
    if (a->rc != b->rc || strcmp(a->error, b->error) != 0) {
      print_error("%s: rc %d/%d error \"%s\"/\"%s\"\n", how, a->rc, b->rc, a->error, b->error);
      fail();
    }
    return;
  }
  if (a->rc != b->rc || a->status != b->status || a->extra != b->extra || a->body_len != b->body_len ||
      memcmp(a->body, b->body, a->body_len) != 0 || strcmp(a->api_version, b->api_version) != 0 ||
      strcmp(a->libpod, b->libpod) != 0 || strcmp(a->server, b->server) != 0 ||
      strcmp(a->content_type, b->content_type) != 0 || a->keep_alive != b->keep_alive) {
    print_error("%s: rc %d/%d status %d/%d extra %d/%d keep_alive %d/%d body \"%s\"/\"%s\" api \"%s\"/\"%s\"\n", how,
                a->rc, b->rc, a->status, b->status, a->extra, b->extra, a->keep_alive, b->keep_alive, a->body,
                b->body, a->api_version, b->api_version);
    fail();
  }
}

/* Feeds the reply whole, in every two-piece split, and byte by byte; every way must give
 * the same outcome, which is returned. */
static outcome_t feed_all_ways(const char *data, size_t len, bool eof, size_t cap) {
  outcome_t whole = feed_cuts(data, len, NULL, 0, eof, cap);
  char how[64];
  for (size_t i = 1; i < len; i++) {
    outcome_t o = feed_cuts(data, len, &i, 1, eof, cap);
    snprintf(how, sizeof(how), "split at %zu of %zu", i, len);
    assert_same(&o, &whole, how);
  }
  size_t *cuts = malloc(len * sizeof(size_t));
  assert_non_null(cuts);
  for (size_t i = 1; i < len; i++)
    cuts[i - 1] = i;
  outcome_t o = feed_cuts(data, len, cuts, len ? len - 1 : 0, eof, cap);
  free(cuts);
  assert_same(&o, &whole, "byte by byte");
  return whole;
}

#define FEED(lit, eof) feed_all_ways(lit, sizeof(lit) - 1, eof, CAP)

/* --- good replies --- */

static void test_content_length(void **state) {
  (void)state;
  static const char r[] = "HTTP/1.1 200 OK\r\n"
                          "Api-Version: 1.45\r\n"
                          "Content-Type: application/json\r\n"
                          "Docker-Experimental: false\r\n"
                          "Server: Docker/26.1.5 (linux)\r\n"
                          "Date: Mon, 01 Jan 2024 00:00:00 GMT\r\n"
                          "Content-Length: 45\r\n"
                          "\r\n"
                          "{\"ContainersDeleted\":null,\"SpaceReclaimed\":0}";
  outcome_t o = FEED(r, false);
  assert_rc(o.rc, DC_HTTP_DONE);
  assert_i64(o.status, 200);
  assert_str(o.api_version, "1.45");
  assert_str(o.libpod, "");
  assert_str(o.server, "Docker/26.1.5 (linux)");
  assert_str(o.content_type, "application/json");
  assert_str(o.body, "{\"ContainersDeleted\":null,\"SpaceReclaimed\":0}");
  assert_i64(o.body_len, 45);
  assert_true(o.keep_alive);
  assert_false(o.extra);
}

static void test_chunked(void **state) {
  (void)state;
  static const char r[] = "HTTP/1.1 200 OK\r\n"
                          "API-VERSION: 1.41\r\n"
                          "Transfer-Encoding: chunked\r\n"
                          "\r\n"
                          "5\r\nhello\r\n"
                          "1;name=value\r\n,\r\n"
                          "A;ext\r\n world 123\r\n"
                          "0\r\n"
                          "\r\n";
  outcome_t o = FEED(r, false);
  assert_rc(o.rc, DC_HTTP_DONE);
  assert_i64(o.status, 200);
  assert_str(o.api_version, "1.41");
  assert_str(o.body, "hello, world 123");
  assert_i64(o.body_len, 16);
  assert_true(o.keep_alive);
  assert_false(o.extra);
}

static void test_chunked_with_trailer(void **state) {
  (void)state;
  static const char r[] = "HTTP/1.1 200 OK\r\n"
                          "Transfer-Encoding: chunked\r\n"
                          "\r\n"
                          "2\r\nok\r\n"
                          "0\r\n"
                          "X-Trailer: yes\r\n"
                          "\r\n";
  outcome_t o = FEED(r, false);
  assert_rc(o.rc, DC_HTTP_DONE);
  assert_str(o.body, "ok");
  assert_false(o.extra);
}

static void test_body_delimited_by_close(void **state) {
  (void)state;
  static const char r[] = "HTTP/1.1 200 OK\r\n"
                          "Api-Version: 1.45\r\n"
                          "\r\n"
                          "{\"a\":1}";
  outcome_t o = FEED(r, true);
  assert_rc(o.rc, DC_HTTP_DONE);
  assert_i64(o.status, 200);
  assert_str(o.body, "{\"a\":1}");
  assert_false(o.keep_alive);

  /* Without the EOF, it is not over. */
  outcome_t m = feed_cuts(r, sizeof(r) - 1, NULL, 0, false, CAP);
  assert_rc(m.rc, DC_HTTP_MORE);

  static const char r10[] = "HTTP/1.0 200 OK\r\n\r\nold";
  o = FEED(r10, true);
  assert_rc(o.rc, DC_HTTP_DONE);
  assert_str(o.body, "old");
  assert_false(o.keep_alive);
}

static void test_header_case(void **state) {
  (void)state;
  static const char a[] = "HTTP/1.1 200 OK\r\napi-version: 1.43\r\nSERVER: x\r\ncontent-length: 2\r\n\r\nOK";
  static const char b[] = "HTTP/1.1 200 OK\r\nAPI-Version: 1.44\r\nsErVeR: y\r\nCONTENT-LENGTH: 2\r\n\r\nOK";
  outcome_t o = FEED(a, false);
  assert_rc(o.rc, DC_HTTP_DONE);
  assert_str(o.api_version, "1.43");
  assert_str(o.server, "x");
  assert_str(o.body, "OK");
  o = FEED(b, false);
  assert_rc(o.rc, DC_HTTP_DONE);
  assert_str(o.api_version, "1.44");
  assert_str(o.server, "y");
}

static void test_podman_ping(void **state) {
  (void)state;
  static const char r[] = "HTTP/1.1 200 OK\r\n"
                          "Api-Version: 1.41\r\n"
                          "Buildkit-Version: \r\n"
                          "Cache-Control: no-cache\r\n"
                          "Docker-Experimental: true\r\n"
                          "Libpod-Api-Version: 4.3.1\r\n"
                          "Libpod-Buildha-Version: 1.28.0\r\n"
                          "Pragma: no-cache\r\n"
                          "Server: Libpod/4.3.1 (linux)\r\n"
                          "Content-Type: text/plain; charset=utf-8\r\n"
                          "Content-Length: 2\r\n"
                          "\r\n"
                          "OK";
  outcome_t o = FEED(r, false);
  assert_rc(o.rc, DC_HTTP_DONE);
  assert_str(o.api_version, "1.41");
  assert_str(o.libpod, "4.3.1");
  assert_str(o.server, "Libpod/4.3.1 (linux)");
  assert_str(o.content_type, "text/plain; charset=utf-8");
  assert_str(o.body, "OK");

  static const char lower[] = "HTTP/1.1 200 OK\r\nLIBPOD-API-VERSION: 5.0.0\r\nContent-Length: 0\r\n\r\n";
  o = FEED(lower, false);
  assert_rc(o.rc, DC_HTTP_DONE);
  assert_str(o.libpod, "5.0.0");
  assert_str(o.api_version, "");
  assert_i64(o.body_len, 0);
}

static void test_keep_alive(void **state) {
  (void)state;
  static const char ka[] = "HTTP/1.1 204 No Content\r\n\r\n";
  outcome_t o = FEED(ka, false);
  assert_rc(o.rc, DC_HTTP_DONE);
  assert_i64(o.status, 204);
  assert_true(o.keep_alive);
  assert_true(o.body_null);

  static const char close[] = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nOK";
  o = FEED(close, false);
  assert_rc(o.rc, DC_HTTP_DONE);
  assert_str(o.body, "OK");
  assert_false(o.keep_alive);

  static const char close_uc[] = "HTTP/1.1 200 OK\r\nCONNECTION: Close\r\nContent-Length: 0\r\n\r\n";
  o = FEED(close_uc, false);
  assert_false(o.keep_alive);

  static const char http10[] = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nOK";
  o = FEED(http10, false);
  assert_rc(o.rc, DC_HTTP_DONE);
  assert_false(o.keep_alive);
}

static void test_error_statuses(void **state) {
  (void)state;
  static const char r[] = "HTTP/1.1 409 Conflict\r\n"
                          "Content-Type: application/json\r\n"
                          "Content-Length: 53\r\n"
                          "\r\n"
                          "{\"message\":\"a prune operation is already running\"}\n\r\n";
  /* The body's own CRLF is body, not the end of anything. */
  outcome_t o = FEED(r, false);
  assert_rc(o.rc, DC_HTTP_DONE);
  assert_i64(o.status, 409);
  assert_i64(o.body_len, 53);
  assert_str(o.body, "{\"message\":\"a prune operation is already running\"}\n\r\n");
  assert_false(o.extra);

  static const char nf[] = "HTTP/1.1 404 Not Found\r\n"
                           "Content-Type: text/plain; charset=utf-8\r\n"
                           "X-Content-Type-Options: nosniff\r\n"
                           "Content-Length: 19\r\n"
                           "\r\n"
                           "404 page not found\n";
  o = FEED(nf, false);
  assert_rc(o.rc, DC_HTTP_DONE);
  assert_i64(o.status, 404);
  assert_str(o.body, "404 page not found\n");
}

static void test_interim_100_continue(void **state) {
  (void)state;
  static const char r[] = "HTTP/1.1 100 Continue\r\n\r\n"
                          "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK";
  outcome_t o = FEED(r, false);
  assert_rc(o.rc, DC_HTTP_DONE);
  assert_i64(o.status, 200);
  assert_str(o.body, "OK");
  assert_false(o.extra);
}

/* Audit N4: an endless stream of "HTTP/1.1 100 \r\n\r\n" (an empty reason, so nothing counts
 * against the header cap) ends in an error after DC_HTTP_MAX_INTERIM interim responses; up
 * to that many are still fine. */
static void expect_error(const char *data, size_t len, bool eof, size_t cap, const char *reason);

static void test_interim_responses_bounded(void **state) {
  (void)state;
  static const char one[] = "HTTP/1.1 100 \r\n\r\n";
  static const char final[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK";
  char buf[4096];
  size_t n = 0;
  for (int i = 0; i < DC_HTTP_MAX_INTERIM; i++, n += sizeof(one) - 1)
    memcpy(buf + n, one, sizeof(one) - 1);
  memcpy(buf + n, final, sizeof(final) - 1);
  outcome_t o = feed_all_ways(buf, n + sizeof(final) - 1, false, CAP);
  assert_rc(o.rc, DC_HTTP_DONE);
  assert_i64(o.status, 200);
  assert_str(o.body, "OK");

  /* One more interim response than allowed: an error, whatever follows. */
  n = 0;
  for (int i = 0; i <= DC_HTTP_MAX_INTERIM; i++, n += sizeof(one) - 1)
    memcpy(buf + n, one, sizeof(one) - 1);
  memcpy(buf + n, final, sizeof(final) - 1);
  expect_error(buf, n + sizeof(final) - 1, false, CAP, "too many interim (1xx) responses");

  /* And a stream that never ends: fed in one go, 64 KiB of them, the parser stops. */
  static char stream[65536];
  size_t m = 0;
  while (m + sizeof(one) - 1 <= sizeof(stream)) {
    memcpy(stream + m, one, sizeof(one) - 1);
    m += sizeof(one) - 1;
  }
  dc_http_parser_t p;
  bool extra;
  dc_http_parser_init(&p, CAP);
  assert_rc(dc_http_parser_feed(&p, stream, m, &extra), -EPROTO);
  assert_str(p.error, "too many interim (1xx) responses");
  dc_http_parser_free(&p);
}

static void test_extra_bytes(void **state) {
  (void)state;
  static const char r[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOKHTTP/1.1 200 OK\r\n";
  outcome_t o = FEED(r, false);
  assert_rc(o.rc, DC_HTTP_DONE);
  assert_true(o.extra);
  assert_str(o.body, "OK");

  static const char c[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nOK\r\n0\r\n\r\nX";
  o = FEED(c, false);
  assert_rc(o.rc, DC_HTTP_DONE);
  assert_true(o.extra);
  assert_str(o.body, "OK");

  /* Feeding after DONE: more bytes are extra, nothing is not. */
  static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  dc_http_parser_t p;
  bool extra = true;
  dc_http_parser_init(&p, CAP);
  assert_rc(dc_http_parser_feed(&p, ok, sizeof(ok) - 1, &extra), DC_HTTP_DONE);
  assert_false(extra);
  assert_rc(dc_http_parser_feed(&p, "", 0, &extra), DC_HTTP_DONE);
  assert_false(extra);
  assert_rc(dc_http_parser_feed(&p, "x", 1, &extra), DC_HTTP_DONE);
  assert_true(extra);
  assert_rc(dc_http_parser_eof(&p), DC_HTTP_DONE);
  dc_http_parser_free(&p);
}

static void test_body_exactly_at_cap(void **state) {
  (void)state;
  static const char r[] = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789";
  outcome_t o = feed_all_ways(r, sizeof(r) - 1, false, 10);
  assert_rc(o.rc, DC_HTTP_DONE);
  assert_str(o.body, "0123456789");
  static const char c[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n";
  o = feed_all_ways(c, sizeof(c) - 1, false, 10);
  assert_rc(o.rc, DC_HTTP_DONE);
  assert_str(o.body, "0123456789");
}

static void test_large_body(void **state) {
  (void)state;
  /* A body far past the first allocation, in chunks, must come out whole. */
  const size_t n = 300000;
  char head[128];
  int hl = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", n);
  char *r = malloc((size_t)hl + n);
  assert_non_null(r);
  memcpy(r, head, (size_t)hl);
  for (size_t i = 0; i < n; i++)
    r[(size_t)hl + i] = (char)('a' + i % 26);
  dc_http_parser_t p;
  bool extra;
  dc_http_parser_init(&p, n);
  int rc = DC_HTTP_MORE;
  for (size_t off = 0; off < (size_t)hl + n; off += 4099) {
    size_t len = (size_t)hl + n - off < 4099 ? (size_t)hl + n - off : 4099;
    rc = dc_http_parser_feed(&p, r + off, len, &extra);
  }
  assert_rc(rc, DC_HTTP_DONE);
  assert_i64(p.resp.body_len, n);
  assert_memory_equal(p.resp.body, r + hl, n);
  assert_int_equal(p.resp.body[n], '\0');
  dc_http_parser_free(&p);
  free(r);
}

/* --- errors --- */

static void expect_error(const char *data, size_t len, bool eof, size_t cap, const char *reason) {
  outcome_t o = feed_all_ways(data, len, eof, cap);
  assert_rc(o.rc, -EPROTO);
  assert_true(o.error[0] != '\0');
  if (reason)
    assert_str(o.error, reason);
}
#define EXPECT_ERROR(lit, eof, cap, reason) expect_error(lit, sizeof(lit) - 1, eof, cap, reason)

static void test_malformed_status_line(void **state) {
  (void)state;
  EXPECT_ERROR("HTTX/1.1 200 OK\r\n\r\n", false, CAP, NULL);
  EXPECT_ERROR("HTTP/1.1 2x0 OK\r\n\r\n", false, CAP, NULL);
  EXPECT_ERROR("hello world\r\n\r\n", false, CAP, NULL);
  EXPECT_ERROR("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", false, CAP, NULL); /* a TLS hello */
  EXPECT_ERROR("HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n", false, CAP, NULL);
  EXPECT_ERROR("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", false, CAP, NULL);
  EXPECT_ERROR("HTTP/1.1 200 OK\r\nBad Header\r\n\r\n", false, CAP, NULL);
}

static void test_bad_chunk_size(void **state) {
  (void)state;
  EXPECT_ERROR("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", false, CAP, NULL);
  EXPECT_ERROR("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", false, CAP, NULL);
  EXPECT_ERROR("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n", false, CAP, NULL);
  EXPECT_ERROR("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", false, CAP, NULL);
}

static char *repeat(const char *head, char c, size_t n, const char *tail, size_t *len) {
  size_t hl = strlen(head), tl = strlen(tail);
  char *s = malloc(hl + n + tl + 1);
  assert_non_null(s);
  memcpy(s, head, hl);
  memset(s + hl, c, n);
  memcpy(s + hl + n, tail, tl + 1);
  *len = hl + n + tl;
  return s;
}

/* Feeds in 1000-byte pieces (big inputs: every split would be slow). */
static outcome_t feed_pieces(const char *s, size_t len, size_t cap) {
  size_t n = len / 1000, *cuts = malloc((n + 1) * sizeof(size_t)), k = 0;
  assert_non_null(cuts);
  for (size_t off = 1000; off < len; off += 1000)
    cuts[k++] = off;
  outcome_t o = feed_cuts(s, len, cuts, k, false, cap);
  free(cuts);
  return o;
}

static void test_headers_too_large(void **state) {
  (void)state;
  size_t len;
  /* One 70 KiB header value. */
  char *s = repeat("HTTP/1.1 200 OK\r\nX-Big: ", 'a', 70 * 1024, "\r\nContent-Length: 0\r\n\r\n", &len);
  outcome_t o = feed_cuts(s, len, NULL, 0, false, CAP);
  assert_rc(o.rc, -EPROTO);
  assert_str(o.error, "response headers too large");
  o = feed_pieces(s, len, CAP);
  assert_rc(o.rc, -EPROTO);
  assert_str(o.error, "response headers too large");
  free(s);

  /* Many small headers adding up past 64 KiB (and past the header count). */
  size_t n = 3000, off = 0;
  char *m = malloc(n * 32 + 64);
  assert_non_null(m);
  off += (size_t)sprintf(m, "HTTP/1.1 200 OK\r\n");
  for (size_t i = 0; i < n; i++)
    off += (size_t)sprintf(m + off, "X-H%05zu: %016zu\r\n", i, i);
  off += (size_t)sprintf(m + off, "\r\n");
  o = feed_pieces(m, off, CAP);
  assert_rc(o.rc, -EPROTO);
  assert_true(strcmp(o.error, "too many response headers") == 0 || strcmp(o.error, "response headers too large") == 0);
  free(m);

  /* A huge header name. */
  s = repeat("HTTP/1.1 200 OK\r\nX-", 'n', 70 * 1024, ": v\r\n\r\n", &len);
  o = feed_pieces(s, len, CAP);
  assert_rc(o.rc, -EPROTO);
  assert_str(o.error, "response headers too large");
  free(s);

  /* Just under the limit is fine, and a long value of a header we keep is truncated. */
  s = repeat("HTTP/1.1 200 OK\r\nServer: ", 's', 60 * 1024, "\r\nContent-Length: 0\r\n\r\n", &len);
  o = feed_pieces(s, len, CAP);
  assert_rc(o.rc, DC_HTTP_DONE);
  assert_i64(strlen(o.server), 63);
  free(s);
}

static void test_too_many_headers(void **state) {
  (void)state;
  char buf[8192];
  size_t off = (size_t)snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\n");
  for (int i = 0; i < DC_HTTP_MAX_HEADERS; i++)
    off += (size_t)snprintf(buf + off, sizeof(buf) - off, "X-%d: v\r\n", i);
  /* Exactly the maximum (and Content-Length makes one more). */
  outcome_t o = feed_cuts(buf, off + (size_t)snprintf(buf + off, sizeof(buf) - off, "\r\n"), NULL, 0, true, CAP);
  assert_rc(o.rc, DC_HTTP_DONE);
  off += (size_t)snprintf(buf + off, sizeof(buf) - off, "Content-Length: 0\r\n\r\n");
  o = feed_cuts(buf, off, NULL, 0, false, CAP);
  assert_rc(o.rc, -EPROTO);
  assert_str(o.error, "too many response headers");
}

static void test_body_over_cap(void **state) {
  (void)state;
  EXPECT_ERROR("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n0123456789A", false, 10, "response body too large");
  /* Refused from the header alone, before any body byte. */
  EXPECT_ERROR("HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n", false, CAP, "response body too large");
  EXPECT_ERROR("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n5\r\n6789A\r\n0\r\n\r\n", false,
               10, "response body too large");
  EXPECT_ERROR("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n0123456789A\r\n0\r\n\r\n", false, 10,
               "response body too large");
  /* A body delimited by the close. */
  EXPECT_ERROR("HTTP/1.1 200 OK\r\n\r\n0123456789A", true, 10, "response body too large");
}

static void test_eof_mid_response(void **state) {
  (void)state;
  /* In the body. */
  EXPECT_ERROR("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234", true, CAP, NULL);
  EXPECT_ERROR("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n01", true, CAP, NULL);
  EXPECT_ERROR("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n01234\r\n", true, CAP, NULL);
  /* In the headers, in the status line. */
  EXPECT_ERROR("HTTP/1.1 200 OK\r\nContent-Le", true, CAP, NULL);
  EXPECT_ERROR("HTTP/1.1 2", true, CAP, NULL);
}

static void test_eof_before_any_byte(void **state) {
  (void)state;
  dc_http_parser_t p;
  dc_http_parser_init(&p, CAP);
  assert_rc(dc_http_parser_eof(&p), -EPROTO);
  assert_str(p.error, "connection closed before the response was complete");
  /* Still an error on a second look, and feeding after it too. */
  assert_rc(dc_http_parser_eof(&p), -EPROTO);
  bool extra;
  assert_rc(dc_http_parser_feed(&p, "HTTP/1.1 200 OK\r\n\r\n", 19, &extra), -EPROTO);
  dc_http_parser_free(&p);
}

static void test_feed_after_error(void **state) {
  (void)state;
  dc_http_parser_t p;
  bool extra;
  dc_http_parser_init(&p, CAP);
  assert_rc(dc_http_parser_feed(&p, "garbage\r\n", 9, &extra), -EPROTO);
  const char *why = p.error;
  assert_non_null(why);
  assert_rc(dc_http_parser_feed(&p, "HTTP/1.1 200 OK\r\n\r\n", 19, &extra), -EPROTO);
  assert_ptr_equal(p.error, why);
  assert_rc(dc_http_parser_eof(&p), -EPROTO);
  dc_http_parser_free(&p);
}

/* --- requests --- */

static void test_format_get(void **state) {
  (void)state;
  char out[512];
  int n = dc_http_format_request(out, sizeof(out), "GET", "/_ping", "docker");
  const char *want = "GET /_ping HTTP/1.1\r\n"
                     "Host: docker\r\n"
                     "User-Agent: docker-cleaner/" DC_VERSION "\r\n"
                     "\r\n";
  assert_str(out, want);
  assert_i64(n, strlen(want));
}

static void test_format_post(void **state) {
  (void)state;
  char out[512];
  int n = dc_http_format_request(out, sizeof(out), "POST", "/v1.45/containers/prune?filters=%7B%7D",
                                 "192.0.2.1:2375");
  const char *want = "POST /v1.45/containers/prune?filters=%7B%7D HTTP/1.1\r\n"
                     "Host: 192.0.2.1:2375\r\n"
                     "User-Agent: docker-cleaner/" DC_VERSION "\r\n"
                     "Content-Length: 0\r\n"
                     "\r\n";
  assert_str(out, want);
  assert_i64(n, strlen(want));

  n = dc_http_format_request(out, sizeof(out), "DELETE", "/v1.45/volumes/x", "docker");
  const char *del = "DELETE /v1.45/volumes/x HTTP/1.1\r\n"
                    "Host: docker\r\n"
                    "User-Agent: docker-cleaner/" DC_VERSION "\r\n"
                    "\r\n";
  assert_str(out, del);
  assert_i64(n, strlen(del));
}

static void test_format_too_long(void **state) {
  (void)state;
  char out[512];
  const char *want = "GET /_ping HTTP/1.1\r\nHost: docker\r\nUser-Agent: docker-cleaner/" DC_VERSION "\r\n\r\n";
  size_t len = strlen(want);
  /* The exact fit (with its NUL) works; one byte less does not. */
  assert_i64(dc_http_format_request(out, len + 1, "GET", "/_ping", "docker"), len);
  assert_rc(dc_http_format_request(out, len, "GET", "/_ping", "docker"), -ENAMETOOLONG);
  assert_rc(dc_http_format_request(out, 10, "GET", "/_ping", "docker"), -ENAMETOOLONG);
  static char path[9000];
  memset(path, 'a', sizeof(path) - 1);
  path[0] = '/';
  assert_rc(dc_http_format_request(out, sizeof(out), "GET", path, "docker"), -ENAMETOOLONG);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_content_length),
      cmocka_unit_test(test_chunked),
      cmocka_unit_test(test_chunked_with_trailer),
      cmocka_unit_test(test_body_delimited_by_close),
      cmocka_unit_test(test_header_case),
      cmocka_unit_test(test_podman_ping),
      cmocka_unit_test(test_keep_alive),
      cmocka_unit_test(test_error_statuses),
      cmocka_unit_test(test_interim_100_continue),
      cmocka_unit_test(test_interim_responses_bounded),
      cmocka_unit_test(test_extra_bytes),
      cmocka_unit_test(test_body_exactly_at_cap),
      cmocka_unit_test(test_large_body),
      cmocka_unit_test(test_malformed_status_line),
      cmocka_unit_test(test_bad_chunk_size),
      cmocka_unit_test(test_headers_too_large),
      cmocka_unit_test(test_too_many_headers),
      cmocka_unit_test(test_body_over_cap),
      cmocka_unit_test(test_eof_mid_response),
      cmocka_unit_test(test_eof_before_any_byte),
      cmocka_unit_test(test_feed_after_error),
      cmocka_unit_test(test_format_get),
      cmocka_unit_test(test_format_post),
      cmocka_unit_test(test_format_too_long),
  };
  return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
