/* context.c: the Docker CLI's global options, precedence and context store, for the plugin. */
#include "context.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The CLI's global options (docker --help): which take a value. The CLI has already refused
 * any other, so an unknown option before the plugin's name means this is no plugin call. */
static const struct global_opt {
  const char *name;
  char short_name;
  bool takes_value;
} globals[] = {
    {"config", 0, true},    {"context", 'c', true},  {"debug", 'D', false},   {"host", 'H', true},
    {"log-level", 'l', true}, {"tls", 0, false},      {"tlscacert", 0, true},  {"tlscert", 0, true},
    {"tlskey", 0, true},    {"tlsverify", 0, false},
};

static const struct global_opt *find_global(const char *name, size_t len, char short_name) {
  for (size_t i = 0; i < sizeof(globals) / sizeof(globals[0]); i++) {
    if (short_name ? globals[i].short_name == short_name
                   : strlen(globals[i].name) == len && strncmp(globals[i].name, name, len) == 0)
      return &globals[i];
  }
  return NULL;
}

static void set_global(dc_cli_globals_t *g, const struct global_opt *o, const char *value) {
  if (strcmp(o->name, "config") == 0)
    g->config_dir = value;
  else if (strcmp(o->name, "context") == 0)
    g->context = value;
  else if (strcmp(o->name, "host") == 0)
    g->host = value;
  else if (strncmp(o->name, "tls", 3) == 0 && !(value && strcmp(value, "false") == 0))
    g->tls = true;
}

int dc_plugin_args(int argc, char **argv, dc_cli_globals_t *g, char *err, size_t errlen) {
  dc_cli_globals_t found = {0};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const struct global_opt *o;
    const char *value = NULL;
    if (strcmp(a, DC_PLUGIN_NAME) == 0) {
      *g = found;
      return i + 1;
    }
    if (strncmp(a, "--", 2) == 0 && a[2]) {
      const char *eq = strchr(a + 2, '=');
      size_t len = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
      if (!(o = find_global(a + 2, len, 0)))
        return 0;
      if (eq)
        value = eq + 1;
    } else if (a[0] == '-' && a[1] && a[1] != '-') {
      if (!(o = find_global(NULL, 0, a[1])))
        return 0;
      if (a[2])
        value = a[2] == '=' ? a + 3 : a + 2;
    } else {
      return 0; /* the first word is not ours */
    }
    if (o->takes_value && !value) {
      if (i + 1 >= argc) {
        snprintf(err, errlen, "docker --%s needs a value", o->name);
        return -EINVAL;
      }
      value = argv[++i];
    }
    set_global(&found, o, value);
  }
  return 0;
}

static bool set(const char *s) { return s && *s; }

dc_ctx_source_t dc_context_pick(const dc_cli_globals_t *g, const char *env_host, const char *env_context,
                                const char *config_current) {
  /* As the CLI's resolveContextName: an explicit context, then any explicit host (which means
   * the default context), then the variables, then the configuration file. */
  if (set(g->context))
    return DC_CTX_FLAG_CONTEXT;
  if (set(g->host))
    return DC_CTX_FLAG_HOST;
  if (set(env_host))
    return DC_CTX_ENV_HOST;
  if (set(env_context))
    return DC_CTX_ENV_CONTEXT;
  if (set(config_current))
    return DC_CTX_CONFIG;
  return DC_CTX_DEFAULT;
}

int dc_context_parse_config(const char *json, size_t len, char *out, size_t cap) {
  out[0] = '\0';
  json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
  int rc = -EINVAL;
  if (!json_is_object(root))
    goto out;
  json_t *cur = json_object_get(root, "currentContext");
  if (cur && !json_is_string(cur))
    goto out;
  if (cur) {
    if (json_string_length(cur) >= cap || strlen(json_string_value(cur)) != json_string_length(cur))
      goto out;
    memcpy(out, json_string_value(cur), json_string_length(cur) + 1);
  }
  rc = 0;
out:
  json_decref(root);
  return rc;
}

int dc_context_parse_meta(const char *json, size_t len, char *host, size_t cap, char *err, size_t errlen) {
  host[0] = '\0';
  json_error_t jerr;
  json_t *root = json_loadb(json, len, 0, &jerr);
  int rc = -EINVAL;
  if (!json_is_object(root)) {
    snprintf(err, errlen, "not a JSON object");
    goto out;
  }
  json_t *h = json_object_get(json_object_get(json_object_get(root, "Endpoints"), "docker"), "Host");
  if (!json_is_string(h) || json_string_length(h) == 0) {
    snprintf(err, errlen, "no docker endpoint (Endpoints.docker.Host)");
    goto out;
  }
  if (json_string_length(h) >= cap || strlen(json_string_value(h)) != json_string_length(h)) {
    snprintf(err, errlen, "the docker endpoint is too long");
    goto out;
  }
  memcpy(host, json_string_value(h), json_string_length(h) + 1);
  rc = 0;
out:
  json_decref(root);
  return rc;
}

/* SHA-256 (FIPS 180-4), small and self-contained: the context store names each context's
 * directory by the digest of its name, and no library we link computes one. */
static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void sha256_block(uint32_t h[8], const unsigned char *p) {
  uint32_t w[64], s[8];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  memcpy(s, h, sizeof(s));
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = s[7] + (ror(s[4], 6) ^ ror(s[4], 11) ^ ror(s[4], 25)) + ((s[4] & s[5]) ^ (~s[4] & s[6])) + K256[i] +
                  w[i];
    uint32_t t2 = (ror(s[0], 2) ^ ror(s[0], 13) ^ ror(s[0], 22)) + ((s[0] & s[1]) ^ (s[0] & s[2]) ^ (s[1] & s[2]));
    memmove(s + 1, s, 7 * sizeof(s[0]));
    s[4] += t1;
    s[0] = t1 + t2;
  }
  for (int i = 0; i < 8; i++)
    h[i] += s[i];
}

void dc_sha256_hex(const void *data, size_t len, char out[65]) {
  uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  const unsigned char *p = data;
  unsigned char tail[128] = {0};
  size_t full = len - len % 64, rest = len % 64;
  for (size_t off = 0; off < full; off += 64)
    sha256_block(h, p + off);
  if (rest)
    memcpy(tail, p + full, rest);
  tail[rest] = 0x80;
  size_t tlen = rest < 56 ? 64 : 128;
  uint64_t bits = (uint64_t)len * 8;
  for (int i = 0; i < 8; i++)
    tail[tlen - 1 - i] = (unsigned char)(bits >> (8 * i));
  sha256_block(h, tail);
  if (tlen == 128)
    sha256_block(h, tail + 64);
  for (int i = 0; i < 8; i++)
    snprintf(out + 8 * i, 9, "%08x", h[i]);
}

/* A name from the user's own configuration, made safe for a one-line message. */
static const char *printable(const char *s, char *buf, size_t cap) {
  size_t o = 0;
  for (; *s && o + 1 < cap; s++)
    buf[o++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
  buf[o] = '\0';
  return buf;
}

/* Reads a small file whole into buf (NUL-terminated). Returns its length, or a negative errno. */
static ssize_t read_small(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  size_t n = 0;
  while (n + 1 < cap) {
    ssize_t r = read(fd, buf + n, cap - 1 - n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      int e = errno;
      close(fd);
      return -e;
    }
    if (r == 0)
      break;
    n += (size_t)r;
  }
  close(fd);
  if (n + 1 >= cap)
    return -EFBIG;
  buf[n] = '\0';
  return (ssize_t)n;
}

static int config_dir(const dc_cli_globals_t *g, const char *(*env)(const char *), char *out, size_t cap) {
  const char *home = env("HOME");
  int n;
  if (set(g->config_dir))
    n = snprintf(out, cap, "%s", g->config_dir);
  else if (set(env("DOCKER_CONFIG")))
    n = snprintf(out, cap, "%s", env("DOCKER_CONFIG"));
  else if (set(home))
    n = snprintf(out, cap, "%s/.docker", home);
  else
    return -ENOENT;
  return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int dc_context_resolve(const dc_cli_globals_t *g, const char *(*env)(const char *name), char *host, size_t cap,
                       char *origin, size_t ocap, char *err, size_t errlen) {
  char dir[1024], path[1200], current[256] = "", text[65536], shown[160];
  bool have_dir = config_dir(g, env, dir, sizeof(dir)) == 0;
  host[0] = '\0';

  /* config.json only matters when nothing more explicit is set: read it lazily, as the CLI
   * would not fail on a broken one that it does not need either. */
  dc_ctx_source_t src = dc_context_pick(g, env("DOCKER_HOST"), env("DOCKER_CONTEXT"), NULL);
  if (src == DC_CTX_DEFAULT && have_dir) {
    snprintf(path, sizeof(path), "%s/config.json", dir);
    ssize_t n = read_small(path, text, sizeof(text));
    if (n >= 0 && dc_context_parse_config(text, (size_t)n, current, sizeof(current)) < 0) {
      snprintf(err, errlen, "cannot read currentContext in %s: not valid JSON", printable(path, shown, sizeof(shown)));
      return -EINVAL;
    }
    src = dc_context_pick(g, NULL, NULL, current);
  }

  const char *name = NULL;
  switch (src) {
  case DC_CTX_FLAG_HOST:
    snprintf(host, cap, "%s", g->host);
    snprintf(origin, ocap, "docker --host");
    return 0;
  case DC_CTX_ENV_HOST:
    snprintf(host, cap, "%s", env("DOCKER_HOST"));
    snprintf(origin, ocap, "DOCKER_HOST");
    return 0;
  case DC_CTX_DEFAULT:
    snprintf(origin, ocap, "the default context");
    return 0;
  case DC_CTX_FLAG_CONTEXT:
    name = g->context;
    break;
  case DC_CTX_ENV_CONTEXT:
    name = env("DOCKER_CONTEXT");
    break;
  case DC_CTX_CONFIG:
    name = current;
    break;
  }
  printable(name, shown, 64);
  snprintf(origin, ocap, "context \"%s\"", shown);
  if (strcmp(name, DC_DEFAULT_CONTEXT) == 0) {
    /* The default context is not stored: it is DOCKER_HOST, else the default socket. */
    const char *dh = env("DOCKER_HOST");
    snprintf(host, cap, "%s", set(dh) ? dh : "");
    return 0;
  }
  if (!have_dir) {
    snprintf(err, errlen, "context \"%s\": no Docker configuration directory (set DOCKER_CONFIG or HOME)", shown);
    return -EINVAL;
  }
  char digest[65], why[160];
  dc_sha256_hex(name, strlen(name), digest);
  snprintf(path, sizeof(path), "%s/contexts/meta/%s/meta.json", dir, digest);
  ssize_t n = read_small(path, text, sizeof(text));
  if (n == -ENOENT) {
    snprintf(err, errlen, "context \"%s\" does not exist (docker context ls lists them)", shown);
    return -EINVAL;
  }
  if (n < 0) {
    snprintf(err, errlen, "context \"%s\": cannot read %s: %s", shown, path, strerror((int)-n));
    return -EINVAL;
  }
  if (dc_context_parse_meta(text, (size_t)n, host, cap, why, sizeof(why)) < 0) {
    snprintf(err, errlen, "context \"%s\": %s in %s", shown, why, path);
    return -EINVAL;
  }
  if (strncmp(host, "ssh://", 6) == 0) {
    snprintf(err, errlen,
             "context \"%s\" reaches its engine over ssh://, which docker-cleaner does not speak; run it on that "
             "host instead: docker --context %s run --rm -v /var/run/docker.sock:/var/run/docker.sock "
             "docker-cleaner",
             shown, shown);
    return -EINVAL;
  }
  /* TLS material is stored beside the metadata: refuse rather than talk in the clear to an
   * engine the user meant to reach over TLS. */
  struct stat st;
  snprintf(path, sizeof(path), "%s/contexts/tls/%s/docker", dir, digest);
  if (stat(path, &st) == 0) {
    snprintf(err, errlen, "context \"%s\" uses TLS, which docker-cleaner does not speak; use a unix:// or plain "
             "tcp:// endpoint", shown);
    return -EINVAL;
  }
  return 0;
}
