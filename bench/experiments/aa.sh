#!/usr/bin/env bash
# Head to head: two docker-cleaner binaries alternating on fresh workloads of the bench engine.
#   bench/experiments/aa.sh SCALE PAIRS OLD_BINARY NEW_BINARY
# The bench engine must be running (BENCH_KEEP=1 bench/run.sh ...). One line per run: scale,
# binary, wall ms and the run's own step times. Scratch files go to $BENCH_OUT/aa (bench/out/aa).
# shellcheck source-path=SCRIPTDIR source=../run.sh
source "$(dirname "${BASH_SOURCE[0]}")/../run.sh"
OUT="$OUT/aa"
WORK="$OUT/work"
export DOCKER_CONFIG="$WORK/cli"
mkdir -p "$WORK" "$DOCKER_CONFIG"
s="$1" n="$2" old="$3" new="$4"
for ((r = 1; r <= n; r++)); do
	for bin in "$old" "$new"; do
		make_workload "$s" >/dev/null 2>&1
		settle
		t0=$(now_ns)
		env -i PATH=/usr/bin:/bin DOCKER_HOST="unix://$SOCK" PRUNE_ALL=true PRUNE_VOLUMES=true PRUNE_FORCE=true \
			"$bin" >"$WORK/out" 2>&1 || true
		echo "s$s $(basename "$(dirname "$bin")")/$(basename "$bin") $(ms_since "$t0") $(grep -v '^Deleted\|^Untagged\|Total\|^docker' "$WORK/out" | awk '{printf "%s=%s ", $1, $(NF)}')"
	done
done
