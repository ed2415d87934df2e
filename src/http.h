/* http.h: HTTP/1.1 requests to the engine and llhttp-based response parsing.
 * Pure code: no I/O, so tests feed it canned bytes in any split. */
#ifndef DC_HTTP_H
#define DC_HTTP_H

#include <llhttp.h>
#include <stdbool.h>
#include <stddef.h>

#define DC_HTTP_MAX_HEADER_BYTES (64 * 1024)
#define DC_HTTP_MAX_HEADERS 128
#define DC_HTTP_MAX_BODY (64 * 1024 * 1024)
#define DC_HTTP_MAX_INTERIM 16 /* 1xx responses before the final one */

/* Writes a request with no body into out. host is the Host header value.
 * Returns the length, or -ENAMETOOLONG when it does not fit in cap. */
int dc_http_format_request(char *out, size_t cap, const char *method, const char *path, const char *host);

/* The headers the client acts on; values are copied and NUL-terminated. */
typedef struct dc_http_response {
  int status;
  char api_version[16];        /* Api-Version */
  char libpod_api_version[16]; /* Libpod-Api-Version: present only on Podman */
  char server[64];
  char content_type[64];
  /* NUL-terminated, or NULL when there was none. Owned by the parser (dc_http_parser_free
   * frees it) until a caller takes it: keeps the pointer, then sets body to NULL and the
   * parser's body_alloc to 0. */
  char *body;
  size_t body_len;
  bool keep_alive; /* the connection may carry another request */
} dc_http_response_t;

typedef struct dc_http_parser {
  llhttp_t parser;
  dc_http_response_t resp;
  size_t body_cap;
  size_t body_alloc;
  size_t header_bytes;
  size_t nheaders;
  size_t interim; /* 1xx responses read so far */
  char field[64];       /* current header name, lower-cased (longer names are not ours) */
  size_t field_len;
  bool field_overflow;
  char value[256];      /* current header value, truncated to what we keep */
  size_t value_len;
  bool complete;
  const char *error;
} dc_http_parser_t;

/* Prepares a parser for one response whose body may hold at most body_cap bytes. */
void dc_http_parser_init(dc_http_parser_t *p, size_t body_cap);

/* Releases what the parser holds. Safe to call twice. */
void dc_http_parser_free(dc_http_parser_t *p);

enum {
  DC_HTTP_MORE = 0,     /* need more bytes */
  DC_HTTP_DONE = 1,     /* a whole response was read */
};

/* Feeds bytes. Returns DC_HTTP_MORE, DC_HTTP_DONE, or -EPROTO with p->error set.
 * *extra is set when bytes arrived past the end of the response (the connection must then
 * not be reused). */
int dc_http_parser_feed(dc_http_parser_t *p, const char *data, size_t len, bool *extra);

/* The peer closed the connection. Returns DC_HTTP_DONE when that ended a body delimited by
 * the close, else -EPROTO with p->error set. */
int dc_http_parser_eof(dc_http_parser_t *p);

#endif
