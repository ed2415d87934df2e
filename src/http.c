/* http.c: request bytes and response parsing with llhttp.
 *
 * llhttp may hand a header name, a value or the body over in pieces, so pieces are
 * accumulated until the matching *_complete callback. Only the few headers the client acts
 * on are kept; the rest are counted against the header cap and dropped. */
#include "http.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "version.h"

int dc_http_format_request(char *out, size_t cap, const char *method, const char *path, const char *host) {
  /* POSTs carry no body; Content-Length: 0 says so explicitly (RFC 9110 8.6). */
  bool post = strcmp(method, "POST") == 0;
  int n = snprintf(out, cap,
                   "%s %s HTTP/1.1\r\n"
                   "Host: %s\r\n"
                   "User-Agent: docker-cleaner/" DC_VERSION "\r\n"
                   "%s"
                   "\r\n",
                   method, path, host, post ? "Content-Length: 0\r\n" : "");
  if (n < 0 || (size_t)n >= cap)
    return -ENAMETOOLONG;
  return n;
}

static dc_http_parser_t *self(llhttp_t *lp) { return (dc_http_parser_t *)lp; }

static int user_error(llhttp_t *lp, const char *reason) {
  self(lp)->error = reason;
  llhttp_set_error_reason(lp, reason);
  return HPE_USER;
}

static int count_header_bytes(llhttp_t *lp, size_t len) {
  dc_http_parser_t *p = self(lp);
  p->header_bytes += len;
  if (p->header_bytes > DC_HTTP_MAX_HEADER_BYTES)
    return user_error(lp, "response headers too large");
  return 0;
}

static int on_status(llhttp_t *lp, const char *at, size_t len) {
  (void)at;
  return count_header_bytes(lp, len);
}

static int on_header_field(llhttp_t *lp, const char *at, size_t len) {
  dc_http_parser_t *p = self(lp);
  if (count_header_bytes(lp, len))
    return HPE_USER;
  for (size_t i = 0; i < len; i++) {
    if (p->field_len + 1 >= sizeof(p->field)) {
      p->field_overflow = true;
      break;
    }
    p->field[p->field_len++] = (char)tolower((unsigned char)at[i]);
  }
  p->field[p->field_len] = '\0';
  return 0;
}

static int on_header_value(llhttp_t *lp, const char *at, size_t len) {
  dc_http_parser_t *p = self(lp);
  if (count_header_bytes(lp, len))
    return HPE_USER;
  size_t room = sizeof(p->value) - 1 - p->value_len;
  size_t n = len < room ? len : room;
  memcpy(p->value + p->value_len, at, n);
  p->value_len += n;
  p->value[p->value_len] = '\0';
  return 0;
}

static void keep(char *dst, size_t cap, const char *src) {
  size_t n = strlen(src);
  if (n >= cap)
    n = cap - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

static int on_header_value_complete(llhttp_t *lp) {
  dc_http_parser_t *p = self(lp);
  if (++p->nheaders > DC_HTTP_MAX_HEADERS)
    return user_error(lp, "too many response headers");
  if (!p->field_overflow) {
    dc_http_response_t *r = &p->resp;
    if (strcmp(p->field, "api-version") == 0)
      keep(r->api_version, sizeof(r->api_version), p->value);
    else if (strcmp(p->field, "libpod-api-version") == 0)
      keep(r->libpod_api_version, sizeof(r->libpod_api_version), p->value);
    else if (strcmp(p->field, "server") == 0)
      keep(r->server, sizeof(r->server), p->value);
    else if (strcmp(p->field, "content-type") == 0)
      keep(r->content_type, sizeof(r->content_type), p->value);
  }
  p->field_len = 0;
  p->field[0] = '\0';
  p->field_overflow = false;
  p->value_len = 0;
  p->value[0] = '\0';
  return 0;
}

static int on_headers_complete(llhttp_t *lp) {
  dc_http_parser_t *p = self(lp);
  p->resp.status = lp->status_code;
  if ((lp->flags & F_CONTENT_LENGTH) && lp->content_length > p->body_cap)
    return user_error(lp, "response body too large");
  return 0;
}

static int on_body(llhttp_t *lp, const char *at, size_t len) {
  dc_http_parser_t *p = self(lp);
  dc_http_response_t *r = &p->resp;
  if (len > p->body_cap - r->body_len)
    return user_error(lp, "response body too large");
  if (r->body_len + len + 1 > p->body_alloc) {
    size_t want = p->body_alloc ? p->body_alloc : 4096;
    while (want < r->body_len + len + 1)
      want *= 2;
    if (want > p->body_cap + 1)
      want = p->body_cap + 1;
    char *nb = realloc(r->body, want);
    if (!nb)
      return user_error(lp, "out of memory for the response body");
    r->body = nb;
    p->body_alloc = want;
  }
  memcpy(r->body + r->body_len, at, len);
  r->body_len += len;
  r->body[r->body_len] = '\0';
  return 0;
}

static int on_message_complete(llhttp_t *lp) {
  dc_http_parser_t *p = self(lp);
  if (lp->status_code < 200) {
    /* An interim 1xx response: the real one follows on the same stream. An engine has no
     * reason to send more than one or two; an endless stream of them (each with an empty
     * reason phrase, so that almost nothing counts against the header cap) must end the
     * request, not run until the deadline. */
    if (++p->interim > DC_HTTP_MAX_INTERIM)
      return user_error(lp, "too many interim (1xx) responses");
    return 0;
  }
  p->complete = true;
  p->resp.keep_alive = llhttp_should_keep_alive(lp) != 0;
  return HPE_PAUSED;
}

static const llhttp_settings_t settings = {
    .on_status = on_status,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_header_value_complete = on_header_value_complete,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void dc_http_parser_init(dc_http_parser_t *p, size_t body_cap) {
  memset(p, 0, sizeof(*p));
  llhttp_init(&p->parser, HTTP_RESPONSE, &settings);
  p->body_cap = body_cap;
}

void dc_http_parser_free(dc_http_parser_t *p) {
  free(p->resp.body);
  p->resp.body = NULL;
  p->resp.body_len = 0;
  p->body_alloc = 0;
}

static int parse_failed(dc_http_parser_t *p) {
  if (!p->error) {
    const char *reason = llhttp_get_error_reason(&p->parser);
    p->error = reason && *reason ? reason : llhttp_errno_name(llhttp_get_errno(&p->parser));
  }
  return -EPROTO;
}

int dc_http_parser_feed(dc_http_parser_t *p, const char *data, size_t len, bool *extra) {
  *extra = false;
  if (p->complete) {
    *extra = len > 0;
    return DC_HTTP_DONE;
  }
  if (p->error)
    return -EPROTO;
  llhttp_errno_t e = llhttp_execute(&p->parser, data, len);
  if (e == HPE_PAUSED && p->complete) {
    const char *pos = llhttp_get_error_pos(&p->parser);
    *extra = pos && pos < data + len;
    return DC_HTTP_DONE;
  }
  if (e != HPE_OK)
    return parse_failed(p);
  return DC_HTTP_MORE;
}

int dc_http_parser_eof(dc_http_parser_t *p) {
  if (p->complete)
    return DC_HTTP_DONE;
  if (p->error)
    return -EPROTO;
  llhttp_errno_t e = llhttp_finish(&p->parser);
  if ((e == HPE_OK || e == HPE_PAUSED) && p->complete) {
    /* A body delimited by the close: the connection is gone either way. */
    p->resp.keep_alive = false;
    return DC_HTTP_DONE;
  }
  /* llhttp reports a close in the middle of a message as "Invalid EOF state", which tells a
   * user nothing: say what happened. */
  if (e != HPE_OK && e != HPE_PAUSED && e != HPE_INVALID_EOF_STATE)
    return parse_failed(p);
  p->error = "connection closed before the response was complete";
  return -EPROTO;
}
