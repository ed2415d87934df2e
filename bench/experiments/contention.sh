#!/usr/bin/env bash
# Do per-resource network and image removals contend with container removal? (issue 18)
#   BENCH_KIND=docker26 bench/experiments/contention.sh SCALE ROUNDS
# Each round, on two fresh workloads of the bench mix (no builds):
#   alone: the stopped containers removed one by one, 4 in flight (bench/del_parallel.py);
#   beside: the same, while the user networks are removed one by one (1 in flight) and the
#     images pruned, as the schedule per resource does (src/sched.c).
# One line per round: the container removal's ms alone and beside, the networks' and the image
# prune's own ms, and the load. The engine must be running (BENCH_KEEP=1 bench/run.sh ...) or is
# started by setup.
# shellcheck source-path=SCRIPTDIR source=../run.sh
source "$(dirname "${BASH_SOURCE[0]}")/../run.sh"
export BENCH_NO_BUILD=1
OUT="$OUT/contention-$KIND"
WORK="$OUT/work"
export DOCKER_CONFIG="$WORK/cli"
mkdir -p "$WORK" "$DOCKER_CONFIG"
setup >/dev/null 2>&1
s="${1:-20}" n="${2:-3}"
ctr_ids() { api GET '/containers/json?all=1' | jq -r '.[] | select(.State != "running") | .Id'; }
net_ids() { api GET /networks | jq -r '.[] | select(.Name | startswith("bench-net-")) | .Id'; }
for ((r = 1; r <= n; r++)); do
	reset >/dev/null 2>&1 || true
	make_workload "$s" >/dev/null 2>&1
	settle
	alone=$(ctr_ids | del_ms containers)
	reset >/dev/null 2>&1 || true
	make_workload "$s" >/dev/null 2>&1
	settle
	net_ids >"$WORK/nets"
	(python3 "$REPO/bench/del_parallel.py" "$SOCK" "$API" networks 1 <"$WORK/nets" >"$WORK/net_ms") &
	(prune_ms "/images/prune?$FALL" >"$WORK/img_ms") &
	beside=$(ctr_ids | del_ms containers)
	wait
	echo "$KIND s$s round $r: containers alone $alone ms, beside networks+images $beside ms (networks $(cat "$WORK/net_ms") ms, image prune $(cat "$WORK/img_ms") ms); load $(cut -d' ' -f1-3 /proc/loadavg)"
done
