#!/usr/bin/env bash
# PRUNE_FILTER_UNTIL in its three forms: RFC3339, Go duration, Unix time. Batches A, B, C, D of
# stopped containers, dangling images and networks; each cut-off is a whole second taken from the
# engine's own creation timestamps (docker inspect): no resource of the batches before it is
# newer, and the batches after it were made once the clock had passed it by a second or more
# (lib.sh cut_after). The batch before the cut-off goes and the batches after it stay, however
# long the machine takes. A Go duration counts back from the cleaner's own clock at start-up,
# which the test reads back from the run's "start" event.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
use_engine "${1:-}"
reset_engine

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
cut_after
cut_ab=$CUT_NS
batch B
check_after_cut
# The Go duration's cut-off moves with the cleaner's start-up time: C comes 2 s after it.
cut_after 2
cut_bc=$CUT_NS
batch C
check_after_cut
cut_after
cut_cd=$CUT_NS
batch D
check_after_cut

# RFC3339 (UTC, Z): A goes; B, C, D stay.
t_ab_rfc="$(rfc3339_of "$cut_ab")"
run_cleaner LOG_FORMAT=json "PRUNE_FILTER_UNTIL=$t_ab_rfc"
assert_exit 0
assert_batch_gone A "$t_ab_rfc"
for b in B C D; do assert_batch_stays "$b" "$t_ab_rfc"; done

# Go duration, counted from the cleaner's clock when it reads its settings, some time T after
# t0 below: its cut-off is cut_bc + T (>= cut_bc, so B goes). C and D were made at or after
# cut_bc + 2 s: they must stay when the run shows T was shorter than that, which its "start"
# event tells (read after the clock, at most 1 ms late); otherwise their fate says nothing.
t0_ms=$(($(now_ns) / 1000000))
dur_ms=$((t0_ms - cut_bc / 1000000))
dur="${dur_ms}ms"
run_cleaner LOG_FORMAT=json "PRUNE_FILTER_UNTIL=$dur"
assert_exit 0
assert_batch_gone B "$dur"
cut_hi_ms=$(($(start_ms_of "$RUNS") + 1 - dur_ms))
if [ "$cut_hi_ms" -lt $((cut_bc / 1000000 + 2000)) ]; then
	for b in C D; do assert_batch_stays "$b" "$dur (cut-off at most $cut_hi_ms ms)"; done
else
	log "note: the run started $((cut_hi_ms - cut_bc / 1000000)) ms after t0: its cut-off reached C's second, C and D not checked"
fi

# Unix time (seconds): C goes; D stays.
t_cd_unix=$((cut_cd / 1000000000))
run_cleaner LOG_FORMAT=json "PRUNE_FILTER_UNTIL=$t_cd_unix"
assert_exit 0
assert_batch_gone C "$t_cd_unix"
assert_batch_stays D "$t_cd_unix"
finish
