/* fuzz_http.c: libFuzzer target for the HTTP response path (src/http.h).
 *
 * Input: two control bytes, then the bytes the engine sends. The first control byte picks
 * the body cap (tiny caps reach the "too large" paths without megabytes of input); the
 * second seeds where the stream is cut, so one input is fed in many different splits, as
 * the socket may deliver it. Whatever the bytes, the parser must end in a parsed response
 * or a clean -EPROTO with a reason, never read or write out of bounds, and never report a
 * body longer than its cap. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const size_t caps[] = {0, 1, 16, 4096, DC_HTTP_MAX_BODY};

static void check_done(const dc_http_parser_t *p, size_t cap) {
  const dc_http_response_t *r = &p->resp;
  if (r->body_len > cap)
    abort();
  if (r->body && r->body[r->body_len] != '\0')
    abort();
  if (r->status < 100 || r->status > 999)
    abort();
  /* The kept headers are NUL-terminated within their buffers. */
  if (!memchr(r->api_version, 0, sizeof(r->api_version)) || !memchr(r->server, 0, sizeof(r->server)) ||
      !memchr(r->content_type, 0, sizeof(r->content_type)) ||
      !memchr(r->libpod_api_version, 0, sizeof(r->libpod_api_version)))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2)
    return 0;
  size_t cap = caps[data[0] % (sizeof(caps) / sizeof(caps[0]))];
  uint32_t seed = data[1] * 2654435761u + 1;
  data += 2;
  size -= 2;

  dc_http_parser_t p;
  dc_http_parser_init(&p, cap);
  size_t off = 0;
  int rc = DC_HTTP_MORE;
  while (off < size && rc == DC_HTTP_MORE) {
    seed = seed * 1103515245u + 12345u;
    size_t n = 1 + (seed >> 16) % 64;
    if (n > size - off)
      n = size - off;
    /* A copy of exactly n bytes, so the sanitizer sees any read past the piece. */
    char *piece = malloc(n);
    if (!piece)
      abort();
    memcpy(piece, data + off, n);
    bool extra = false;
    rc = dc_http_parser_feed(&p, piece, n, &extra);
    free(piece);
    off += n;
  }
  if (rc == DC_HTTP_MORE)
    rc = dc_http_parser_eof(&p);
  if (rc == DC_HTTP_DONE) {
    check_done(&p, cap);
    /* A finished parser stays finished. */
    bool extra;
    if (dc_http_parser_feed(&p, "x", 1, &extra) != DC_HTTP_DONE || !extra)
      abort();
  } else if (rc == -EPROTO) {
    if (!p.error || !*p.error)
      abort();
  } else {
    abort();
  }
  dc_http_parser_free(&p);
  dc_http_parser_free(&p);
  return 0;
}
