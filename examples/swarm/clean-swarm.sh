#!/usr/bin/env bash
# Cleans every node of a Docker Swarm once: a global-job service runs one docker-cleaner task
# per node (each cleans its own node's engine through the bind-mounted socket), then completes.
# Run on a manager. Prints each node's report and status; exits 1 if any task did not complete.
#
#   examples/swarm/clean-swarm.sh [IMAGE]       IMAGE defaults to docker-cleaner
#   CLEANER_ENV="PRUNE_FILTER_UNTIL=24h"  WAIT=600 (seconds)
#   SOCKET=/var/run/docker.sock   the engine socket's path on the nodes
set -euo pipefail

IMAGE="${1:-docker-cleaner}"
NAME="docker-cleaner-$(date +%s)"
WAIT="${WAIT:-600}"
SOCKET="${SOCKET:-/var/run/docker.sock}"
envs=()
for kv in ${CLEANER_ENV:-PRUNE_FILTER_UNTIL=24h}; do envs+=(--env "$kv"); done

docker service create --detach --quiet --name "$NAME" --mode global-job --restart-condition none \
	--mount "type=bind,src=$SOCKET,dst=/var/run/docker.sock" "${envs[@]}" "$IMAGE" >/dev/null
trap 'docker service rm "$NAME" >/dev/null 2>&1 || true' EXIT

# Wait until no task is still new, pending, assigned, preparing, starting or running.
deadline=$((SECONDS + WAIT))
while :; do
	states="$(docker service ps "$NAME" --format '{{.CurrentState}}')"
	if [ -n "$states" ] && ! grep -Eq '^(New|Allocated|Pending|Assigned|Accepted|Preparing|Ready|Starting|Running)' <<<"$states"; then
		break
	fi
	[ "$SECONDS" -lt "$deadline" ] || { echo "tasks still running after ${WAIT}s" >&2; break; }
	sleep 2
done

docker service logs --raw "$NAME" 2>/dev/null || true
echo "--- tasks"
docker service ps "$NAME" --format '{{.Node}}  {{.CurrentState}}  {{.Error}}'
# A task that exits non-zero (1 partial, 2 failure) ends "Failed" with "task: non-zero exit (N)".
if docker service ps "$NAME" --format '{{.CurrentState}}' | grep -vq '^Complete'; then
	exit 1
fi
