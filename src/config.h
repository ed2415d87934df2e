/* config.h: the run's configuration, from environment variables and flags (flags win).
 * Everything is validated here, before any API call. */
#ifndef DC_CONFIG_H
#define DC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "filters.h"
#include "imageref.h"
#include "log.h"

#define DC_DEFAULT_SOCKET "/var/run/docker.sock"
#define DC_DEFAULT_PROTECT_LABEL "docker-cleaner.protect"
#define DC_DEFAULT_TIMEOUT_MS (5 * 60 * 1000)
#define DC_DEFAULT_RUN_UID 65532

typedef enum { DC_HOST_UNIX = 0, DC_HOST_TCP } dc_host_kind_t;

/* CLEANUP_SPLIT_SCHEDULE: auto (the default: per resource on the engines where it was measured
 * faster, sched.c), true (per resource) or false (per type: every later type after the
 * containers). */
typedef enum { DC_SCHEDULE_AUTO = 0, DC_SCHEDULE_PER_RESOURCE, DC_SCHEDULE_PER_TYPE } dc_schedule_t;

typedef struct dc_config {
  /* Engine access. */
  dc_host_kind_t host_kind;
  char socket_path[108];
  char tcp_host[256];
  int tcp_port;
  char api_version[16]; /* pinned by DOCKER_API_VERSION, else empty */

  /* What to clean. */
  bool containers, images, networks, build_cache, volumes, volumes_all, prune_all;

  /* Filters. */
  bool has_until;
  int64_t until_ns; /* absolute cut-off; every `until` form is resolved once */
  char until_raw[72];
  dc_label_term_t labels[DC_LABEL_TERMS_MAX];
  size_t nlabels;
  dc_label_term_t protect; /* never negated */

  /* Reaper: containers carrying any reap label, created more than reap_after_ns ago, are
   * stopped (grace reap_stop_timeout_s) and removed with their anonymous volumes. Off when
   * nreap is 0. */
  dc_label_term_t reap[DC_LABEL_TERMS_MAX];
  size_t nreap;
  int64_t reap_after_ns;
  int reap_stop_timeout_s;

  /* Retention (issue 14): what stays although the rules above would let it go. */
  dc_ref_pattern_t keep_images[DC_REF_PATTERNS_MAX]; /* KEEP_IMAGES */
  size_t nkeep_images;
  int keep_latest;        /* KEEP_LATEST: per repository; 0 off */
  bool has_used_within;   /* KEEP_USED_WITHIN */
  int64_t used_cutoff_ns; /* removable only if last used before this instant */
  char used_within_raw[72];
  bool has_keep_storage;  /* KEEP_STORAGE */
  int64_t keep_storage;   /* bytes */
  char state_file[1024];  /* STATE_FILE, or empty */

  /* Behaviour. */
  bool force, dry_run;
  int64_t timeout_ms;
  dc_log_level_t log_level;
  dc_log_format_t log_format;
  char metrics_file[1024]; /* METRICS_FILE: the Prometheus text file to write, or empty */
  bool plugin;             /* run by the Docker CLI as `docker cleaner` */
  dc_schedule_t schedule;  /* CLEANUP_SPLIT_SCHEDULE: do later types start beside the containers (sched.c)? */

  /* Privilege drop when started as root. */
  uid_t run_uid;
  gid_t run_gid;
} dc_config_t;

/* Where configuration comes from: a getenv-like lookup (tests pass their own). */
typedef const char *(*dc_getenv_fn)(const char *name);

enum {
  DC_CONFIG_OK = 0,
  DC_CONFIG_HELP = 1,    /* --help was given: usage printed, exit 0 */
  DC_CONFIG_VERSION = 2, /* --version was given: printed, exit 0 */
};

/* Fills cfg from env and argv. now_ns resolves relative `until` values.
 * Returns DC_CONFIG_OK, DC_CONFIG_HELP, DC_CONFIG_VERSION, or -EINVAL with one line in err
 * naming the setting, the value and what is accepted. */
/* The filter settings of cfg, pointing into it. */
dc_filter_fields_t dc_config_filter_fields(const dc_config_t *cfg);

int dc_config_load(dc_config_t *cfg, int argc, char **argv, dc_getenv_fn env, int64_t now_ns,
                   char *err, size_t errlen);

/* Prints the usage text. */
void dc_config_usage(FILE *out);

/* Does any retention setting need the images chosen here, one by one, with their last use? */
bool dc_config_retention(const dc_config_t *cfg);
/* Does it need each image's last use (and so an inspect of each)? */
bool dc_config_needs_last_use(const dc_config_t *cfg);
/* Does a run take the schedule per resource (sched.c) on this engine? mode is
 * CLEANUP_SPLIT_SCHEDULE; auto chooses by the engine, as measured (bench/README.md, "Schedule
 * per resource"): per resource on Docker, per type on Podman. */
bool dc_schedule_per_resource(dc_schedule_t mode, bool podman);

/* Parses a size as docker's --keep-storage does (go-units RAMInBytes: 20GB, 512m, 1.5g, 100;
 * binary multiples, case-insensitive, optional i and b). Returns 0 or -EINVAL. */
int dc_parse_ram_size(const char *s, int64_t *out);

/* Parses true/false/1/0/yes/no in any case. Returns 0 or -EINVAL. */
int dc_parse_bool(const char *s, bool *out);

#endif
