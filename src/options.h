/* options.h (private to config.c and options.c): the settings docker-cleaner reads, and their
 * raw values as given (environment, then flags), before validation. */
#ifndef DC_OPTIONS_H
#define DC_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

enum opt_id {
  O_HOST,
  O_API_VERSION,
  O_CONTAINERS,
  O_IMAGES,
  O_NETWORKS,
  O_BUILD_CACHE,
  O_VOLUMES,
  O_PRUNE_VOLUMES,
  O_VOLUMES_ALL,
  O_PRUNE_ALL,
  O_UNTIL,
  O_LABEL,
  O_PROTECT,
  O_FORCE,
  O_DRY_RUN,
  O_TIMEOUT,
  O_LOG_LEVEL,
  O_LOG_FORMAT,
  O_RUN_UID,
  O_RUN_GID,
  O_REAP_LABEL,
  O_REAP_AFTER,
  O_REAP_STOP_TIMEOUT,
  O_METRICS_FILE,
  O_KEEP_IMAGES,
  O_KEEP_LATEST,
  O_KEEP_USED_WITHIN,
  O_KEEP_STORAGE,
  O_STATE_FILE,
  O_SPLIT_SCHEDULE,
  O__COUNT
};

enum opt_kind { K_STRING, K_BOOL, K_LIST };

struct opt {
  const char *env;
  const char *flag; /* long flag without dashes, NULL when env-only */
  char short_flag;
  enum opt_kind kind;
  const char *help;
};

extern const struct opt dc_opts[O__COUNT];

#define RAW_MAX 4096

/* A raw value and where it came from, for error messages. */
struct raw {
  const char *value;
  char origin[48]; /* "PRUNE_ALL" or "--all" */
};

struct raw_list {
  const char *values[DC_LABEL_TERMS_MAX * 2];
  size_t n;
  char origin[48];
};

/* Copies s for an error message that must stay one line of text (see options.c). Returns buf. */
const char *dc_one_line(const char *s, char *buf, size_t cap);
/* Sets err to 'invalid <origin>="<value>": <accepted>'; returns -EINVAL. */
int dc_config_fail(char *err, size_t errlen, const char *origin, const char *value, const char *accepted);
/* Sets a raw value and its origin. */
void dc_options_set(struct raw *r, const char *value, const char *origin);
/* Reads every option's environment variable into raws and lists. Returns 0 or -EINVAL. */
int dc_options_env(dc_getenv_fn env, struct raw *raws, struct raw_list *lists, char *err, size_t errlen);
/* Reads the flags argv[first..argc) into raws and lists (flags win over the environment).
 * Returns 0, DC_CONFIG_HELP, DC_CONFIG_VERSION or -EINVAL. */
int dc_options_args(int first, int argc, char **argv, struct raw *raws, struct raw_list *lists, char *err,
                    size_t errlen);

#endif
