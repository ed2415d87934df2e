#!/usr/bin/env bash
# Head to head: two docker-cleaner binaries alternating on fresh workloads of the bench engine.
#   aa.sh SCALE PAIRS OLD_BINARY NEW_BINARY   (the bench engine must be running: BENCH_KEEP=1 bench/run.sh ...)
source "$(dirname "$0")/../../run.sh"
OUT=/tmp/dcb-aa; WORK=$OUT/work; mkdir -p $WORK; export DOCKER_CONFIG=$WORK/cli; mkdir -p $DOCKER_CONFIG
s=$1; n=$2; old=$3; new=$4
for ((r=1; r<=n; r++)); do for bin in "$old" "$new"; do
  make_workload $s >/dev/null 2>&1; settle; t0=$(now_ns)
  env -i PATH=/usr/bin:/bin DOCKER_HOST=unix://$SOCK PRUNE_ALL=true PRUNE_VOLUMES=true PRUNE_FORCE=true $bin > $WORK/out 2>&1
  echo "s$s $(basename $(dirname $bin))/$(basename $bin) $(ms_since $t0) $(grep -v '^Deleted\|^Untagged\|Total\|^docker' $WORK/out | awk '{printf "%s=%s ", $1, $(NF)}')"
done; done
