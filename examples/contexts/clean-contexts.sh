#!/usr/bin/env bash
# Cleans several Docker hosts through their docker contexts, a bounded number at a time.
# Each host runs docker-cleaner itself (the container cleans the engine it runs on).
#
#   examples/contexts/clean-contexts.sh [CONTEXT...]     default: every context but "default"
#   PARALLEL=4 IMAGE=docker-cleaner CLEANER_ENV="PRUNE_FILTER_UNTIL=24h CLEANUP_TIMEOUT=5m"
#
# Prints one line per host with its exit status (0 success, 1 partial, 2 failure, other: the
# context could not run the container) and exits with the worst status. Logs: $LOGDIR.
set -euo pipefail

PARALLEL="${PARALLEL:-4}"
IMAGE="${IMAGE:-docker-cleaner}"
CLEANER_ENV="${CLEANER_ENV:-PRUNE_FILTER_UNTIL=24h CLEANUP_TIMEOUT=5m}"
LOGDIR="${LOGDIR:-$(mktemp -d)}"
export IMAGE CLEANER_ENV LOGDIR

if [ $# -gt 0 ]; then
	contexts=("$@")
else
	mapfile -t contexts < <(docker context ls --format '{{.Name}}' | grep -vx default)
fi
[ "${#contexts[@]}" -gt 0 ] || { echo "no docker context to clean" >&2; exit 2; }

# Called through xargs (one bash per context), which shellcheck cannot follow.
# shellcheck disable=SC2317
clean_one() {
	local ctx="$1" envs=() kv status=0
	for kv in $CLEANER_ENV; do envs+=(-e "$kv"); done
	docker --context "$ctx" run --rm -v /var/run/docker.sock:/var/run/docker.sock "${envs[@]}" "$IMAGE" \
		>"$LOGDIR/$ctx.log" 2>&1 || status=$?
	printf '%s %d\n' "$ctx" "$status"
}
export -f clean_one

# shellcheck disable=SC2016 # $1 is the inner bash's argument, not this script's
results="$(printf '%s\n' "${contexts[@]}" | xargs -P "$PARALLEL" -I{} bash -c 'clean_one "$1"' _ {})"
worst=0
while read -r ctx status; do
	printf '%-24s exit %s  (%s)\n' "$ctx" "$status" "$LOGDIR/$ctx.log"
	[ "$status" -le "$worst" ] || worst="$status"
done <<<"$results"
exit "$worst"
