#!/usr/bin/env bash
# PRUNE_FILTER_UNTIL in its three forms: RFC3339, Go duration, Unix time. Batches of stopped
# containers, dangling images and networks are made a few seconds apart; each run's cut-off lies
# in the middle of a gap, so the batch before it goes and the batches after it stay. The margins
# (GAP/2 on each side, 2 s by default) absorb start-up time and whole-second rounding.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
use_engine "${1:-}"
reset_engine

GAP="${DC_E2E_UNTIL_GAP:-4}"
HALF="$(awk -v g="$GAP" 'BEGIN { print g / 2 }')"

batch() { # NAME: one stopped container, one dangling image, one network
	mk_stopped --novol "c_$1" >/dev/null
	eval "img_$1=\$(mk_dangling d_$1)"
	mk_network "n_$1" >/dev/null
}
assert_batch_gone() {
	local img="img_$1"
	assert_gone container "c_$1" "batch $1, older than the cut-off ($2)"
	assert_gone image "${!img}" "dangling image of batch $1, older than the cut-off ($2)"
	assert_gone network "n_$1" "batch $1, older than the cut-off ($2)"
}
assert_batch_stays() {
	local img="img_$1"
	assert_exists container "c_$1" "batch $1, newer than the cut-off ($2)"
	assert_exists image "${!img}" "dangling image of batch $1, newer than the cut-off ($2)"
	assert_exists network "n_$1" "batch $1, newer than the cut-off ($2)"
}

batch A
sleep "$HALF"
t_ab_rfc="$(date -u +%Y-%m-%dT%H:%M:%SZ)" # whole seconds: up to 1 s before the middle of the gap
sleep "$HALF"
batch B
sleep "$HALF"
t_bc="$(date +%s.%N)"
sleep "$HALF"
batch C
sleep "$HALF"
t_cd_unix="$(date +%s)"
sleep "$HALF"
batch D

# RFC3339 (UTC, Z): A goes; B, C, D stay.
run_cleaner "PRUNE_FILTER_UNTIL=$t_ab_rfc"
assert_exit 0
assert_batch_gone A "$t_ab_rfc"
for b in B C D; do assert_batch_stays "$b" "$t_ab_rfc"; done

# Go duration: now minus the duration is the middle of the B-C gap: B goes; C, D stay.
dur="$(awk -v t="$t_bc" -v now="$(date +%s.%N)" 'BEGIN { printf "%ds", now - t + 0.5 }')"
run_cleaner "PRUNE_FILTER_UNTIL=$dur"
assert_exit 0
assert_batch_gone B "$dur"
for b in C D; do assert_batch_stays "$b" "$dur"; done

# Unix time (seconds): C goes; D stays.
run_cleaner "PRUNE_FILTER_UNTIL=$t_cd_unix"
assert_exit 0
assert_batch_gone C "$t_cd_unix"
assert_batch_stays D "$t_cd_unix"
finish
