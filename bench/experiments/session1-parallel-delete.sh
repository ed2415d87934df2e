#!/usr/bin/env bash
# Session 1: the container prune against removing the same containers by parallel
# DELETE /containers/{id}?v=1 (4 and 8 in flight), each followed by the volume prune.
#   S=5 bench/experiments/session1-parallel-delete.sh   (the bench engine must be running)
# shellcheck source-path=SCRIPTDIR source=session1-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/session1-lib.sh"
S=${S:-5}
for rep in 1 2; do
	reset; make_workload "$S" >/dev/null 2>&1; settle
	echo "rep $rep: containers prune: $(prune_ms /containers/prune) ms; then volumes prune $(prune_ms /volumes/prune) ms"
	for P in 4 8; do
		reset; make_workload "$S" >/dev/null 2>&1; settle
		ids=$(api GET '/containers/json?all=1&filters=%7B%22status%22%3A%7B%22created%22%3Atrue%7D%7D' | jq -r '.[].Id')
		t0=$(now_ns)
		echo "$ids" | xargs -P "$P" -I@@ curl -sS --fail --unix-socket "$SOCK" -X DELETE -o /dev/null "http://d/$API/containers/@@?v=1"
		echo "rep $rep: $(echo "$ids" | wc -l) containers by $P parallel DELETE ?v=1: $(ms_since "$t0") ms; then volumes prune $(prune_ms /volumes/prune) ms"
	done
done
uptime
