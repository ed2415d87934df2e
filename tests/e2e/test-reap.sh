#!/usr/bin/env bash
# The reaper: containers carrying a reap label (any of REAP_LABEL's terms) and created longer
# ago than REAP_AFTER are stopped (grace REAP_STOP_TIMEOUT) and removed with their anonymous
# volumes, running or not; the protection label wins; younger and unlabelled containers stay.
# The dry run lists exactly the containers the real run then reaps, and touches nothing.
# A `sleep` running as PID 1 ignores SIGTERM, so its stop takes the whole grace, then a kill.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
use_engine "${1:-}"
reset_engine

GRACE=2
# The old containers are GAP seconds older than the young one; REAP_AFTER is half of it, so the
# young one stays young through both runs even when they are slow (valgrind: a few seconds).
GAP="${DC_E2E_REAP_GAP:-16}"
AFTER=$((GAP / 2))
old_run="$(mk_running r_old_lab job=ci)"
old_stop="$(mk_stopped s_old_lab job=ci)"
old_vol="$(anon_volume_of s_old_lab)"
old_sandbox="$(mk_running r_old_sandbox sandbox)"
mk_running r_old_prot job=ci docker-cleaner.protect >/dev/null
mk_running r_old_nolab >/dev/null
mk_stopped s_old_other job=other >/dev/null
sleep "$GAP"
mk_running r_young_lab job=ci >/dev/null

# Reaping alone: the other cleanups would remove stopped containers too.
reap=(REAP_LABEL=job=ci,sandbox "REAP_AFTER=${AFTER}s" "REAP_STOP_TIMEOUT=${GRACE}s" CLEANUP_CONTAINERS=false
	CLEANUP_IMAGES=false CLEANUP_NETWORKS=false CLEANUP_BUILD_CACHE=false LOG_FORMAT=json)
reaped_ids() { jq -r 'select(.event == "reaped") | .id' "$WORK/run$1.out" | sort; }
want="$(printf '%s\n' "$old_run" "$old_stop" "$old_sandbox" | sort)"

run_cleaner "${reap[@]}" DRY_RUN=true
assert_exit 0
assert_eq "$want" "$(reaped_ids "$RUNS")" "containers the dry run would reap"
for c in r_old_lab r_old_sandbox r_old_prot r_old_nolab r_young_lab; do assert_running "$c"; done
assert_exists container s_old_lab "the dry run stops and removes nothing"

run_cleaner "${reap[@]}"
assert_exit 0
assert_eq "$want" "$(reaped_ids "$RUNS")" "containers the real run reaped"
for c in r_old_lab s_old_lab r_old_sandbox; do assert_gone container "$c" "old and labelled"; done
assert_gone volume "$old_vol" "the anonymous volume goes with its reaped container"
assert_running r_old_prot
assert_running r_old_nolab
assert_running r_young_lab
assert_exists container s_old_other "its label value does not match"

# The running one ignored SIGTERM: the engine waited the grace, then killed it.
stop_ms="$(jq -r --arg id "$old_run" 'select(.event == "reaped" and .id == $id) | .stop_ms' "$WORK/run$RUNS.out")"
[ -n "$stop_ms" ] && [ "$stop_ms" != null ] || fail "no stop_ms for the running container reaped"
if [ -n "$stop_ms" ] && [ "$stop_ms" != null ]; then
	[ "$stop_ms" -ge $((GRACE * 1000 - 200)) ] ||
		fail "stop time: expected at least the ${GRACE}s grace (SIGTERM is ignored), actual ${stop_ms} ms"
	assert_le "$stop_ms" "$((GRACE * 1000 + 8000))" "stop time (ms), not much longer than the grace"
fi
finish
