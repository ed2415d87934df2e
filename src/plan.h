/* plan.h: one cleaning run: negotiation, inventory, the operations in their safe order, the
 * deadline and the signals, and the report.
 *
 * Schedule: /_ping (and, for a version pinned on an engine newer than API 1.51, /version);
 * then the inventories, all at once, and the build cache; the reaper once the container
 * inventory is in, then the containers; once both are done, networks, images and volumes
 * together (stopped containers pin all three, and the container and network prunes share one
 * daemon lock). That is the per-type schedule, Podman's and CLEANUP_SPLIT_SCHEDULE=false's. On
 * Docker (auto) and with true, the schedule per resource (sched.c): those three start beside
 * the containers (removed one by one) with what no container pins, and take the rest once the
 * containers are gone. A cut (deadline or signal) ends with the reconciliation of recon.c. */
#ifndef DC_PLAN_H
#define DC_PLAN_H

#include <stdbool.h>
#include <uv.h>

#include "api.h"
#include "config.h"
#include "privdrop.h"
#include "transport.h"

typedef struct dc_run dc_run_t;

/* A run's state, zeroed; NULL when out of memory. Freed by dc_run_free once the loop is
 * closed. */
dc_run_t *dc_run_new(void);
void dc_run_free(dc_run_t *run);

/* Starts a run, fresh from dc_run_new (it is not zeroed again), on loop, over the connections
 * in pre when the privilege drop opened them (a root-only socket; pre may be NULL), which the
 * run then owns; the caller then runs the loop until it returns, after which every handle is
 * closed and dc_run_exit_code gives 0, 1 or 2. Returns 0, or a negative libuv code
 * when the loop could not be set up (nothing was sent; the caller still runs the loop, so
 * that the handles opened so far finish closing). */
int dc_run_start(dc_run_t *run, uv_loop_t *loop, const dc_config_t *cfg, const dc_preconnect_t *pre);

/* The run has reported and closed its handles. From then on SIGTERM and SIGINT are blocked
 * (held for the caller, whose handlers must be in place before it unblocks them). */
bool dc_run_finished(const dc_run_t *run);
/* When the run had to be over, on uv_hrtime's clock: its deadline, or the SIGTERM or SIGINT
 * that stopped it before (the process must end within 0.5 s of either). */
uint64_t dc_run_end_ns(const dc_run_t *run);
/* 0, 1 or 2, once finished. */
int dc_run_exit_code(const dc_run_t *run);
/* The run's client (for dc_client_stuck). */
dc_client_t *dc_run_client(dc_run_t *run);

#endif
