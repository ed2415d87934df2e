#!/usr/bin/env bash
# A run cut by its deadline names what the engine removed: 300 stopped containers and a 300 ms
# deadline, so the container prune (Docker) or the removals one by one (Podman) are cut short.
# Whatever the engine removed before it noticed must be named in the report (the listing after
# the cut), and nothing named may still exist: named as deleted <= gone <= named as deleted or
# as possibly removed (a removal in flight at the cut that the engine may still complete).
# The counts in the report equal the deleted events. Run a few times: where the cut falls
# depends on the machine, so one run proves little.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
use_engine "${1:-}"

N="${DC_E2E_CUT_CONTAINERS:-300}"
ROUNDS="${DC_E2E_CUT_ROUNDS:-3}"
cut_rounds=0
for round in $(seq 1 "$ROUNDS"); do
	reset_engine
	mk_many_stopped "$N" s
	mk_running keep_running >/dev/null
	# "ID NAME" of every container before the run.
	d ps -a --no-trunc --format '{{.ID}} {{.Names}}' | sort >"$WORK/before$round"
	before="$(cut -d' ' -f1 "$WORK/before$round")"

	run_cleaner CLEANUP_TIMEOUT=300ms LOG_FORMAT=json CLEANUP_IMAGES=false CLEANUP_NETWORKS=false \
		CLEANUP_BUILD_CACHE=false
	out="$WORK/run$RUNS.out" err="$WORK/run$RUNS.err"
	case "$RC" in 0 | 1 | 2) ;; *) fail "round $round: exit $RC" ;; esac
	# Let the engine finish what it may still be doing (Podman completes removals in flight).
	sleep 2
	after="$(d ps -aq --no-trunc | sort)"
	gone="$(comm -23 <(echo "$before") <(echo "$after"))"
	named="$(jq -rR 'fromjson? | select(.event == "deleted" and .type == "container") | .id' "$out" | sort)"
	# Possibly removed: named by their names in a warning; their IDs from the list taken before.
	possible="$(jq -rR 'fromjson? | select(.event == "log") | .message' "$err" |
		sed -n 's/^containers: the removal of \(.*\) was in flight at the cut and the engine may still complete it$/\1/p' |
		while read -r nm; do awk -v n="$nm" '$2 == n { print $1 }' "$WORK/before$round"; done | sort)"
	bad="$(comm -23 <(echo "$named") <(echo "$gone") | grep . || true)"
	assert_eq 0 "$(echo "$bad" | grep -c . || true)" \
		"round $round: containers named as deleted that still exist ($(echo "$bad" | head -3 | tr '\n' ' '))"
	bad="$(comm -23 <(echo "$gone") <(sort -u <(echo "$named") <(echo "$possible")) | grep . || true)"
	# A listing after the cut that did not come in time is reported as such, with how many the
	# engine could have removed: no more than that may be missing from the report.
	unknown="$(jq -rR 'fromjson? | select(.event == "log") | .message' "$err" |
		sed -n 's/^containers: what the engine removed of the \([0-9]*\) it could have removed before the cut is not known.*/\1/p')"
	if [ -n "$unknown" ]; then
		log "round $round: the report says what the engine removed of $unknown is not known"
		assert_le "$(echo "$bad" | grep -c . || true)" "$unknown" "round $round: containers gone and not named"
	else
		assert_eq 0 "$(echo "$bad" | grep -c . || true)" \
			"round $round: containers gone that the report names neither as deleted nor as possibly removed ($(echo "$bad" | head -3 | tr '\n' ' '))"
	fi
	count="$(jq -rR 'fromjson? | select(.event == "operation" and .type == "containers") | .count' "$out")"
	assert_eq "$(echo "$named" | grep -c . || true)" "${count:-0}" "round $round: the operation's count vs its deleted events"
	assert_running keep_running
	ngone="$(echo "$gone" | grep -c . || true)"
	log "round $round: exit $RC, $ngone removed, $(echo "$named" | grep -c . || true) named, possibly: $(echo "$possible" | grep -c . || true)"
	[ "$ngone" -gt 0 ] && [ "$ngone" -lt "$N" ] && cut_rounds=$((cut_rounds + 1))
done
log "$cut_rounds of $ROUNDS rounds cut the removals part way"
finish
