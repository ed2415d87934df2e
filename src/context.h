/* context.h: the engine a Docker CLI plugin must clean, found as the Docker CLI finds it.
 *
 * Run as `docker [GLOBAL OPTIONS] cleaner [OPTIONS]`, the CLI executes
 * `docker-cleaner [GLOBAL OPTIONS] cleaner [OPTIONS]` with DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND
 * set; the global options (--context, --host, --config) are not exported, so they are read
 * here. The engine then follows the CLI's precedence:
 *   --context, -H/--host, DOCKER_HOST, DOCKER_CONTEXT, currentContext in config.json, default;
 * a context's endpoint is Endpoints.docker.Host in
 * $DOCKER_CONFIG/contexts/meta/<sha256 of the name>/meta.json. */
#ifndef DC_CONTEXT_H
#define DC_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>

#define DC_PLUGIN_NAME "cleaner"
#define DC_DEFAULT_CONTEXT "default"

/* The Docker CLI's global options given before the plugin's name (pointers into argv). */
typedef struct dc_cli_globals {
  const char *config_dir; /* --config, or NULL */
  const char *context;    /* -c/--context, or NULL */
  const char *host;       /* -H/--host (the last one), or NULL */
  bool tls;               /* any of --tls, --tlsverify, --tlscacert, --tlscert, --tlskey */
} dc_cli_globals_t;

/* Where the engine address came from, in the CLI's order of precedence. */
typedef enum {
  DC_CTX_FLAG_CONTEXT = 0, /* docker --context NAME */
  DC_CTX_FLAG_HOST,        /* docker -H ADDR */
  DC_CTX_ENV_HOST,         /* DOCKER_HOST */
  DC_CTX_ENV_CONTEXT,      /* DOCKER_CONTEXT */
  DC_CTX_CONFIG,           /* currentContext in config.json */
  DC_CTX_DEFAULT,          /* nothing set: the default socket */
} dc_ctx_source_t;

/* Reads a plugin invocation: argv[1..] holds Docker CLI global options, then DC_PLUGIN_NAME.
 * Returns the index of the first argument after the plugin's name (> 0) with g filled, 0 when
 * argv is not a plugin invocation (g untouched), or -EINVAL with one line in err (a global
 * option without its value). */
int dc_plugin_args(int argc, char **argv, dc_cli_globals_t *g, char *err, size_t errlen);

/* The CLI's precedence, pure: which source decides. env_host, env_context and config_current
 * may be NULL or empty (unset). */
dc_ctx_source_t dc_context_pick(const dc_cli_globals_t *g, const char *env_host, const char *env_context,
                                const char *config_current);

/* currentContext from the text of config.json into out ("" when absent). Returns 0, or
 * -EINVAL when the text is not a JSON object or the field is not a string that fits. */
int dc_context_parse_config(const char *json, size_t len, char *out, size_t cap);

/* Endpoints.docker.Host from the text of a context's meta.json into host. Returns 0, or
 * -EINVAL with one line in err. */
int dc_context_parse_meta(const char *json, size_t len, char *host, size_t cap, char *err, size_t errlen);

/* The lowercase hex SHA-256 of data (the context store's directory names). */
void dc_sha256_hex(const void *data, size_t len, char out[65]);

/* Resolves the engine address the Docker CLI would use, reading config.json and the context
 * store under the CLI's configuration directory (--config, DOCKER_CONFIG, ~/.docker). On 0,
 * host holds a unix:// or tcp:// address, or "" for the default socket, and origin names where
 * it came from for messages (`context "x"`, `DOCKER_HOST`). Returns -EINVAL with one line in
 * err for a context that does not exist, has TLS material, or reaches its engine over ssh://
 * (the line then gives the container route to run on that host instead). */
int dc_context_resolve(const dc_cli_globals_t *g, const char *(*env)(const char *name), char *host, size_t cap,
                       char *origin, size_t ocap, char *err, size_t errlen);

#endif
