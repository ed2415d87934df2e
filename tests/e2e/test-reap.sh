#!/usr/bin/env bash
# The reaper: containers carrying a reap label (any of REAP_LABEL's terms) and created longer
# ago than REAP_AFTER are stopped (grace REAP_STOP_TIMEOUT) and removed with their anonymous
# volumes, running or not; the protection label wins; younger and unlabelled containers stay.
# The dry run lists exactly the containers the real run then reaps, and touches nothing.
# A `sleep` running as PID 1 ignores SIGTERM, so its stop takes the whole grace, then a kill.
#
# REAP_AFTER counts back from the cleaner's own clock, so no cut-off between an older and a
# younger container can hold on a machine of unknown speed. Instead every container is young
# for REAP_AFTER=1h (no test runs that long) and old for REAP_AFTER=1s, once the clock has
# passed the newest creation time the engine recorded by more than a second.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
use_engine "${1:-}"
reset_engine

GRACE=2
lab_run="$(mk_running r_lab job=ci)"
lab_stop="$(mk_stopped s_lab job=ci)"
lab_vol="$(anon_volume_of s_lab)"
lab_sandbox="$(mk_running r_sandbox sandbox)"
mk_running r_prot job=ci docker-cleaner.protect >/dev/null
mk_running r_nolab >/dev/null
mk_stopped s_other job=other >/dev/null

# Reaping alone: the other cleanups would remove stopped containers too.
reap=(REAP_LABEL=job=ci,sandbox "REAP_STOP_TIMEOUT=${GRACE}s" CLEANUP_CONTAINERS=false
	CLEANUP_IMAGES=false CLEANUP_NETWORKS=false CLEANUP_BUILD_CACHE=false LOG_FORMAT=json)
reaped_ids() { jq -r 'select(.event == "reaped") | .id' "$WORK/run$1.out" | sort; }
want="$(printf '%s\n' "$lab_run" "$lab_stop" "$lab_sandbox" | sort)"
assert_all_stay() { # WHY
	for c in r_lab r_sandbox r_prot r_nolab; do assert_running "$c"; done
	for c in s_lab s_other; do assert_exists container "$c" "$1"; done
	assert_exists volume "$lab_vol" "$1"
}

# Younger than REAP_AFTER: nothing is reaped, by the dry run nor by the real run.
run_cleaner "${reap[@]}" REAP_AFTER=1h DRY_RUN=true
assert_exit 0
assert_eq "" "$(reaped_ids "$RUNS")" "containers the dry run would reap, all younger than 1h"
run_cleaner "${reap[@]}" REAP_AFTER=1h
assert_exit 0
assert_eq "" "$(reaped_ids "$RUNS")" "containers the real run reaped, all younger than 1h"
assert_all_stay "younger than REAP_AFTER=1h"

# Older than REAP_AFTER: every container is, by the engine's own record, more than 1 s old.
_engine_times_checked
newest="$(grep ' container ' "$WORK/times" | sort -n | tail -n1 | cut -d' ' -f1)"
wait_clock_past $((newest + 1000000000))

run_cleaner "${reap[@]}" REAP_AFTER=1s DRY_RUN=true
assert_exit 0
assert_eq "$want" "$(reaped_ids "$RUNS")" "containers the dry run would reap"
assert_all_stay "the dry run stops and removes nothing"

run_cleaner "${reap[@]}" REAP_AFTER=1s
assert_exit 0
assert_eq "$want" "$(reaped_ids "$RUNS")" "containers the real run reaped"
for c in r_lab s_lab r_sandbox; do assert_gone container "$c" "old and labelled"; done
assert_gone volume "$lab_vol" "the anonymous volume goes with its reaped container"
assert_running r_prot
assert_running r_nolab
assert_exists container s_other "its label value does not match"

# The running one ignored SIGTERM: the engine waited the grace, then killed it. The stop asked
# for that grace (the request's t), so a longer stop_ms is the machine's time, not a wrong grace.
stop_ms="$(jq -r --arg id "$lab_run" 'select(.event == "reaped" and .id == $id) | .stop_ms' "$WORK/run$RUNS.out")"
[ -n "$stop_ms" ] && [ "$stop_ms" != null ] || fail "no stop_ms for the running container reaped"
if [ -n "$stop_ms" ] && [ "$stop_ms" != null ]; then
	[ "$stop_ms" -ge $((GRACE * 1000 - 200)) ] ||
		fail "stop time: expected at least the ${GRACE}s grace (SIGTERM is ignored), actual ${stop_ms} ms"
fi
grep -q "POST /v[0-9.]*/containers/$lab_run/stop?t=$GRACE\"" "$WORK/run$RUNS.err" ||
	fail "no stop request with t=$GRACE for $lab_run in the debug log: $(grep -o '"-> POST [^"]*stop[^"]*"' "$WORK/run$RUNS.err" | head -3 | tr '\n' ' ')"
finish
