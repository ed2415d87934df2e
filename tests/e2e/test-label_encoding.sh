#!/usr/bin/env bash
# A label filter that is not UTF-8 (audit 2026-11, F1): `team=Jos\xe9`, as typed in an
# ISO-8859-1 terminal, used to vanish from the filter the engine got ("label":{}), so the
# network prune removed every unprotected network. It is now a configuration error: exit 2,
# one line on stderr with the byte shown escaped, no request, and every network is still there.
#  1. networks net-jose (team=Jose), net-ops (team=ops), net-keep (protected); containers,
#     images and build cache off, so no container inventory can hold the prune back;
#  2. PRUNE_FILTER_LABEL=$'team=Jos\xe9', dry and real: exit 2, one line, all three stay;
#  3. PROTECT_LABEL=$'keep=\xe9': the same;
#  4. the filter in UTF-8 (team=Jose): only net-jose goes.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
use_engine "${1:-}"

O=(CLEANUP_CONTAINERS=false CLEANUP_IMAGES=false CLEANUP_BUILD_CACHE=false)

# assert_config_error WANT: the last run exited 2 with exactly one stderr line containing WANT
# (a fixed string), and sent nothing that removed a network.
assert_config_error() {
	local err="$WORK/run$RUNS.err" lines
	assert_exit 2
	lines="$(wc -l <"$err")"
	assert_eq 1 "$lines" "stderr lines of run $RUNS"
	grep -F -q -- "$1" "$err" || fail "run $RUNS: stderr does not say $1: $(head -c 300 "$err")"
	if LC_ALL=C grep -q $'\xe9' "$err"; then fail "run $RUNS: the raw byte reached stderr"; fi
	assert_eq "" "$(grep '^Deleted' "$WORK/run$RUNS.out" || true)" "audit lines of run $RUNS"
	assert_exists network net-jose "run $RUNS"
	assert_exists network net-ops "run $RUNS"
	assert_exists network net-keep "run $RUNS"
}

reset_engine
mk_network net-jose team=Jose >/dev/null
mk_network net-ops team=ops >/dev/null
mk_network net-keep docker-cleaner.protect >/dev/null

run_cleaner "${O[@]}" DRY_RUN=true PRUNE_FILTER_LABEL=$'team=Jos\xe9'
assert_config_error 'invalid PRUNE_FILTER_LABEL="team=Jos\xe9": label value is not valid UTF-8'
run_cleaner "${O[@]}" PRUNE_FILTER_LABEL=$'team=Jos\xe9'
assert_config_error 'invalid PRUNE_FILTER_LABEL="team=Jos\xe9": label value is not valid UTF-8'
run_cleaner "${O[@]}" PROTECT_LABEL=$'keep=\xe9'
assert_config_error 'invalid PROTECT_LABEL="keep=\xe9": label value is not valid UTF-8'

# The filter as meant: exactly the matching network goes.
run_cleaner "${O[@]}" PRUNE_FILTER_LABEL=team=Jose
assert_exit 0
assert_gone network net-jose "labelled team=Jose, filter team=Jose"
assert_exists network net-ops "labelled team=ops, filter team=Jose"
assert_exists network net-keep "protected"
grep -q '^Deleted network [0-9a-f]\{12\} net-jose$' "$WORK/run$RUNS.out" || fail "no audit line for net-jose"

finish
