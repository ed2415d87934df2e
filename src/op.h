/* op.h (private to the run): the run's state and its operations, shared by the schedule
 * (plan.c), the operation state (op.c), the daemon's prunes (prune.c), the client-side
 * removals and the reaper (remove.c), retention (retain.c), the schedule per resource
 * (sched.c) and the reconciliation after a cut (recon.c).
 *
 * Handlers record outcomes and then call run_advance(), the schedule's one entry (a pointer
 * plan.c sets, so that no module calls up into the schedule): only the schedule decides what
 * runs next. */
#ifndef DC_OP_H
#define DC_OP_H

#include <stdbool.h>
#include <uv.h>

#include "api.h"
#include "budget.h"
#include "config.h"
#include "select.h"
#include "state.h"
#include "transport.h"

typedef struct dc_run dc_run_t; /* as in plan.h */

#define DC_DELETE_CONCURRENCY 4 /* per-resource deletions (or reaps) in flight per type */
#define DC_PRUNE_RETRIES 5      /* 409 "prune already running": bounded backoff */
#define DC_PRUNE_BACKOFF_MS 200 /* doubled at each retry: 0.2 s to 3.2 s, 6.2 s in all */

typedef enum { OP_WAITING = 0, OP_RUNNING, OP_OK, OP_FAILED, OP_SKIPPED, OP_TIMEOUT } dc_op_status_t;
typedef enum { INV_NONE = 0, INV_RUNNING, INV_DONE, INV_FAILED } dc_inv_state_t;

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
  char lost_why[256]; /* the removal's answer was lost, and this is why (as long as the callers' why): the engine is asked */
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
  /* Removals selected and failed in the earlier passes and rounds of a split operation
   * (sched.c): its line counts them all, as its "deleted" does. */
  size_t nsel_before, failures_before;
  dc_delete_slot_t slots[DC_DELETE_CONCURRENCY];
  bool prune_inflight; /* the daemon's prune was sent and has not answered */
  /* Cut short while removing, or a prune's answer lost: the resources the engine may have
   * removed (cand, indices into cand_from), learnt by listing them again (recon_req); the
   * operation's line waits for it. */
  bool recon;
  bool recon_lost;       /* after a lost answer (recon_after_lost_answer), on its own timers */
  uint64_t recon_end_ns; /* uv_hrtime() by which its listings must be in */
  const dc_resource_list_t *cand_from;
  size_t *cand, ncand;
  bool cand_sent; /* removals sent one by one (else a daemon prune) */
  dc_request_t recon_req;
  int recon_listings;            /* listings taken after the cut so far */
  size_t recon_gone;             /* how many candidates the last of them found gone */
  dc_resource_list_t recon_last; /* the last of them, reported from if the budget ends first */
  /* The schedule per resource (sched.c): a later type's first pass runs beside the container
   * step and takes what no container pins; its second, once the containers are gone, what
   * they pinned. pass: 0 not split (or not started), 1, 2. */
  bool split;
  int pass;
  dc_op_status_t pass1_status; /* OP_OK or OP_FAILED (its reason stays in error) */
  bool sizes_kept; /* volumes: the first pass's disk usage (aux_list) serves the second */
  bool sizes_wanted; /* volumes: the disk usage is to be asked after the listing, if it shows a removal */
  bool by_sched; /* split by sched_plan (a single pass if the containers were done first) */
  bool side_by_sched; /* chosen here (client_side) only because sched_plan made it so */
  /* Volumes: the first pass runs again (a round) whenever containers that mounted volumes
   * have gone since its last round started, so that a pinned volume goes soon after the
   * containers that pinned it, not after the whole container step. */
  uint64_t round_mark; /* run->mounts_freed when this round started */
};

#define DC_INSPECT_MAX 2048        /* retention: images read for their last use and layers, oldest first */
#define DC_INSPECT_CONCURRENCY 4   /* ... at a time */

/* A step of an operation, handed to a helper that calls it once its own requests answer. */
typedef void (*dc_op_step_fn)(dc_op_t *op);

/* Retention (retain.c): what the images operation gathers besides its listings. */
typedef struct dc_retain {
  dc_state_t state; /* STATE_FILE as read */
  /* The images operation's next steps (remove.c's), called as retention's requests answer:
   * the disk-usage report counted down as a listing, the details all in, an eviction done. */
  dc_op_step_fn listed, detailed, evicted;
  bool state_loaded;
  /* KEEP_STORAGE: the disk-usage report */
  dc_request_t df_req;
  bool df_ok;
  dc_resource_list_t df_images, df_cache;
  int64_t layers_size;
  /* each image's details, by index into the images listing */
  dc_image_detail_t *details;
  int64_t *last_tag;
  bool *read;
  size_t *inspect_order; /* indices into the listing, oldest first: past the cap, the newest stay unread */
  size_t ndetails, ninspect, next_inspect, inspect_inflight, inspect_failures;
  bool details_done;
  dc_request_t inspect_req[DC_INSPECT_CONCURRENCY];
  size_t inspect_idx[DC_INSPECT_CONCURRENCY];
  bool inspect_busy[DC_INSPECT_CONCURRENCY];
  /* the budget's plan, and its build cache evictions (indices into df_cache) */
  dc_budget_plan_t plan;
  bool cache_evictable; /* the engine removes one record by its ID */
  size_t *cache_evict, ncache_evict, next_cache;
  dc_request_t cache_req;
  bool cache_inflight;
  int64_t cache_evicted, cache_evicted_bytes;
} dc_retain_t;

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
  uint64_t signal_ns;   /* uv_hrtime() of the SIGTERM or SIGINT that stopped the run, or 0 */
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
  uint64_t mounts_freed; /* containers removed (or reaped) that mounted a volume (sched.c rounds) */
  dc_retain_t *retain; /* NULL unless a retention setting is on */
  void (*advance)(dc_run_t *run); /* the schedule (plan.c), reached through run_advance() */
  uv_timer_cb on_deadline;        /* the schedule's deadline handler */
};

/* --- op.c: an operation's state --- */

/* Back to the schedule, which starts whatever has become possible and finishes the run when
 * nothing is left. */
void run_advance(dc_run_t *run);
/* The deadline, checked where work starts: true (and the run is stopping) once past it. */
bool run_past_deadline(dc_run_t *run);

bool op_terminal(const dc_op_t *op);
/* The operation's line (and its warning). */
void op_report(const dc_op_t *op);
/* Records an operation's outcome and reports it; the one place an operation ends. */
void op_end(dc_op_t *op, dc_op_status_t status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The answer does not say what the engine did with a removal or a prune (op.c). */
bool answer_lost(int status, const dc_http_response_t *resp);
/* Why a request failed, in words: the transport's reason, or the engine's message. */
void describe_failure(char *out, size_t cap, const dc_request_t *req, int status, const dc_http_response_t *resp);
/* A resource as messages name it, one printable line of at most cap - 1 bytes. Returns out. */
const char *shown_name(char *out, size_t cap, const dc_resource_t *r);
/* GET endpoint?query, unless past the deadline. Returns 0 or a negative code (nothing pending). */
int run_send_get(dc_run_t *run, dc_request_t *req, const char *endpoint, const char *query, dc_request_cb cb,
                 void *data);
/* Calls again (on op's retry timer) after the bounded backoff, 0.2 s doubled at each of op's
 * attempts: req is the listing to ask again, NULL the prune. False when the attempts are used
 * up, the run is stopping or a listing already waits. */
bool op_backoff(dc_op_t *op, dc_request_t *req, const char *why, uv_timer_cb again);
/* Asks for the listing req again after the backoff. */
bool op_schedule_retry(dc_op_t *op, dc_request_t *req, const char *why);
bool error_says(const dc_http_response_t *resp, int http_status, const char *needle);
bool gone_on_podman(const dc_run_t *run, const dc_http_response_t *resp);
const dc_resource_list_t *op_judged_against(const dc_op_t *op);
/* A first (or only) pass of a type sched_plan split, that judges use from the container
 * inventory rather than a listing of its own: networks on Docker, where only a running
 * container holds one (an endpoint), and one started since the inventory makes the removal
 * the engine's 403, a reasoned skip. */
bool op_judges_by_inventory(const dc_op_t *op);
int op_use_sets(dc_op_t *op);
/* What the rules know of the engine for op (now_ns: the reaper's instant). */
dc_facts_t op_facts(const dc_op_t *op, int64_t now_ns);
bool op_selects(const dc_op_t *op, const dc_resource_t *r);
bool op_any_selected(const dc_op_t *op, const dc_resource_list_t *l);

/* --- prune.c: the daemon's prunes --- */

/* A daemon prune, unless the inventory shows it has nothing to remove. */
void prune_start(dc_op_t *op);
/* Sends the prune itself. */
void prune_send(dc_op_t *op);

/* --- remove.c: client-side removals and the reaper --- */

void remove_start(dc_op_t *op);
void reap_start(dc_op_t *op);

/* --- retain.c: retention for the images operation --- */

/* Reads the state file. Returns 0 or -ENOMEM. */
int retain_init(dc_run_t *run);
void retain_free(dc_run_t *run);
/* The disk-usage report KEEP_STORAGE needs, beside the listings (op->listing counts it, and
 * listed is called when it has answered). */
int retain_list_extra(dc_op_t *op, dc_op_step_fn listed);
/* Starts reading each image's details when the rules need them; true while they are read
 * (detailed, the selection, is called again when they are in). */
bool retain_fetch_details(dc_op_t *op, dc_op_step_fn detailed);
/* Each image's last use and KEEP_LATEST rank, before the rules. Returns 0 or -ENOMEM. */
int retain_annotate(dc_op_t *op);
/* After the rules: the budget's plan (its images appended to op->sel in eviction order) and
 * every image's decision reported. Returns 0 or -ENOMEM. */
int retain_after_selection(dc_op_t *op, const dc_verdict_t *verdicts);
/* The build cache evictions: sent (real run; evicted is called as each answers), or reported
 * (dry run). */
void retain_start_evictions(dc_op_t *op, dc_op_step_fn evicted);
void retain_dry_evictions(dc_op_t *op);
/* Are build cache evictions still to send or in flight? */
bool retain_busy(const dc_op_t *op);
/* How many build cache evictions the budget planned (counted among op's removals). */
size_t retain_evictions(const dc_op_t *op);
/* Cut short (deadline, signal): a build cache eviction in flight is named as possibly removed. */
void retain_cut(dc_run_t *run);
/* At the end of a real run: the state file, written. */
void retain_finish(dc_run_t *run);

/* --- sched.c: the schedule per resource --- */

/* After plan_ops: which later types are split in two passes (and so chosen how). */
void sched_plan(dc_run_t *run);
/* The container inventory could not be read: what the schedule per resource has not started
 * goes back to the per-type schedule (the daemon's prunes choose). */
void sched_without_inventory(dc_run_t *run);
/* A first pass that needs nothing of the container inventory, so starts before it is in. */
bool sched_starts_early(const dc_op_t *op);
/* Volumes: after a listing, whether to keep the disk usage in aux_list for the second pass
 * (the engine walks every volume to report it: once per run is enough). */
bool sched_keep_sizes(dc_op_t *op);
/* How many of op's removals may be in flight (at most DC_DELETE_CONCURRENCY). */
size_t sched_max_inflight(const dc_op_t *op);
/* A first pass is starting (its first round): marks what it will see. */
void sched_first_pass(dc_op_t *op);
/* op's first pass is held (OP_WAITING) while the container step goes on, before any cut: if op
 * is the volumes' and containers that mounted volumes have gone since its last round started,
 * readies the first pass to run again. True if the schedule is to send it. */
bool sched_next_round(dc_op_t *op);
/* The containers (and the reaper) are done: readies the second pass of op, paused after its
 * first (true: the schedule is to send it), or ends op when the containers that went pinned
 * nothing of its type. */
bool sched_second_pass(dc_op_t *op);

/* --- recon.c: after a cut, or a prune's lost answer --- */

/* Collects what op may have removed; false when it had nothing in flight (or the run is dry). */
bool recon_prepare(dc_op_t *op);
/* A prune's answer was lost: lists the engine again, as after a cut, and names what went. True
 * when started (the caller then ends the operation; its line waits for the listings). */
bool recon_after_lost_answer(dc_op_t *op);
/* Lists the engine again once it has settled, for every operation prepared. */
void recon_start(dc_run_t *run);

#endif
