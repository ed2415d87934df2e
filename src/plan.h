/* plan.h: one cleaning run: negotiation, inventory, the prunes in their safe order, the
 * deadline and the signals, and the report.
 *
 * Schedule: containers and build cache together; once containers are done, networks,
 * images and volumes together (stopped containers pin all three, and the container and
 * network prunes share one daemon lock). Inventory requests run concurrently. */
#ifndef DC_PLAN_H
#define DC_PLAN_H

#include <stdbool.h>
#include <uv.h>

#include "api.h"
#include "config.h"
#include "privdrop.h"
#include "transport.h"

#define DC_DELETE_CONCURRENCY 4 /* per-resource deletions (or reaps) in flight per type */
#define DC_PRUNE_RETRIES 5      /* 409 "prune already running": bounded backoff */
#define DC_PRUNE_BACKOFF_MS 200 /* doubled at each retry: 0.2 s to 3.2 s, 6.2 s in all */

typedef enum { OP_WAITING = 0, OP_RUNNING, OP_OK, OP_FAILED, OP_SKIPPED, OP_TIMEOUT } dc_op_status_t;
typedef enum { INV_NONE = 0, INV_RUNNING, INV_DONE, INV_FAILED } dc_inv_state_t;

typedef struct dc_run dc_run_t;
typedef struct dc_op dc_op_t;

typedef struct dc_inventory {
  dc_run_t *run;
  dc_kind_t kind;
  dc_inv_state_t state;
  dc_request_t req;
  dc_resource_list_t list;
} dc_inventory_t;

typedef struct dc_delete_slot {
  dc_op_t *op;
  bool busy;
  size_t idx; /* into op->from */
  bool stopping_first; /* the reaper: this request is the stop, the removal follows */
  long long t0, stop_ms;
  dc_request_t req;
} dc_delete_slot_t;

struct dc_op {
  dc_run_t *run;
  dc_kind_t kind;
  bool selected;
  bool client_side; /* select locally and delete one by one, rather than the daemon's prune */
  dc_op_status_t status;
  long long start_ms;
  int64_t count;
  int64_t bytes; /* -1: unknown */
  char error[512];
  int attempts;
  uv_timer_t retry_timer;
  dc_request_t *retry_req; /* a listing to send again when the timer fires; NULL: the prune */
  dc_request_t req; /* the prune, or the listing a client-side selection works from */
  dc_request_t aux; /* a second listing: disk usage for volumes, containers for images */
  int listing;      /* listings in flight */
  bool listing_failed;
  dc_resource_list_t list, aux_list;
  dc_resource_list_t *from; /* the list the selection indexes: list, or the container inventory */
  dc_strset_t used;          /* images: bare IDs in use; volumes (dry run): names mounted */
  dc_strset_t reaped_mounts; /* volumes (dry run): names mounted by reaped containers */
  /* volumes: aux_list holds the disk-usage sizes (id, size), decoded on arrival, until the list is in */
  char last_error[512]; /* of the last failed removal */
  size_t *sel;
  size_t nsel, next, inflight, failures, gone;
  dc_delete_slot_t slots[DC_DELETE_CONCURRENCY];
  bool prune_inflight; /* the daemon's prune was sent and has not answered */
  /* Cut short while removing: the resources the engine may have removed (cand, indices into
   * cand_from), learnt by listing them again (recon_req); the operation's line waits for it. */
  bool recon;
  const dc_resource_list_t *cand_from;
  size_t *cand, ncand;
  bool cand_sent; /* removals sent one by one (else a daemon prune) */
  dc_request_t recon_req;
};

struct dc_run {
  uv_loop_t *loop;
  const dc_config_t *cfg;
  dc_client_t client;
  dc_engine_t engine;
  dc_request_t ping;
  dc_request_t version_probe; /* GET /version: a pinned version against a new engine's minimum */
  dc_inv_state_t ping_state;
  char error[640]; /* why the engine could not be used */
  dc_inventory_t inv[DC_KIND__COUNT];
  dc_op_t ops[DC_KIND__COUNT];
  uv_timer_t deadline;
  uv_signal_t sigterm, sigint;
  long long start_ms;
  uint64_t deadline_ns; /* uv_hrtime() past which nothing more is sent */
  uv_timer_t recon_timer; /* after a cut: the settle delay, then the budget of the listings */
  int reconciling;        /* operations waiting for their listing after a cut */
  uint64_t recon_end_ns;  /* uv_hrtime() by which the listings must be in */
  const char *label_keys[2 * DC_LABEL_TERMS_MAX + 2]; /* the label keys decisions read */
  bool stopping;  /* deadline or signal: nothing more is sent */
  bool abandoned; /* stop() has run: everything in flight abandoned */
  int destructive_inflight; /* prunes, stops and removals sent and not yet answered */
  bool cut_destructive;     /* some were in flight when the run was stopped */
  bool finished;
  int exit_code;
};

/* Starts a run on loop, over the connections in pre when the privilege drop opened them (a
 * root-only socket; pre may be NULL), which the run then owns; the caller then runs the loop until it returns, after which every
 * handle is closed and run->exit_code holds 0, 1 or 2. Returns 0, or a negative libuv code
 * when the loop could not be set up (nothing was sent; the caller still runs the loop, so
 * that the handles opened so far finish closing). */
int dc_run_start(dc_run_t *run, uv_loop_t *loop, const dc_config_t *cfg, const dc_preconnect_t *pre);

#endif
