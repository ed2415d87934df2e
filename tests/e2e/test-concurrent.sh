#!/usr/bin/env bash
# Two cleaners started at the same moment on one engine (as on a shared CI runner, two jobs
# finishing together): both exit 0 (a 409 "prune already running" is retried; an item the other
# run removed first counts as gone; a listing the other run disturbs is asked again), and
# together they leave nothing prunable behind.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
use_engine "${1:-}"
reset_engine

N_CTR="${DC_E2E_CONCURRENT_CONTAINERS:-20}"
N_NET=10
N_IMG=10
for ((i = 0; i < N_NET; i++)); do mk_network "n$i" >/dev/null; done
for ((i = 0; i < N_CTR; i++)); do
	if [ "$i" -lt "$N_NET" ]; then
		mk_stopped --network "n$i" "c$i" >/dev/null # networks held by stopped containers
	else
		mk_stopped "c$i" >/dev/null
	fi
done
for ((i = 0; i < N_IMG; i++)); do mk_dangling "d$i" >/dev/null; done
mk_network n_keep >/dev/null
mk_volume v_keep >/dev/null
mk_running --network n_keep -v v_keep:/data r_keep >/dev/null
assert_eq "$((N_CTR + 1))" "$(count container)" "containers before the runs"
assert_eq "$N_IMG" "$(count dangling)" "dangling images before the runs"
assert_eq "$((N_CTR + 1))" "$(count volume)" "volumes before the runs (an anonymous one per stopped container, v_keep)"

start_cleaner CLEANUP_VOLUMES=true
start_cleaner CLEANUP_VOLUMES=true
wait_cleaners
for n in 1 2; do
	rc="$(rc_of "$n")"
	[ "$rc" = 0 ] || fail "run $n: expected exit status 0, actual: $rc ($(grep -m2 -E 'warn|error' "$WORK/run$n.err" | tr '\n' ' '))"
done

assert_eq 1 "$(count container)" "containers left (only running r_keep)"
assert_running r_keep
assert_eq 0 "$(count dangling)" "dangling images left"
assert_eq 1 "$(count network)" "user networks left (only n_keep, used by r_keep)"
assert_exists network n_keep "used by running r_keep"
assert_eq 1 "$(count volume)" "volumes left (only v_keep: anonymous ones are pruned, named stay)"
assert_exists volume v_keep "named, in use"
finish
