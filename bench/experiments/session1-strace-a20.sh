#!/usr/bin/env bash
# Session 1: the container prune alone with docker-cleaner's filter, then docker-cleaner at scale 20
# under strace (connect/write/read with times): its steps and the requests it sent.
#   bench/experiments/session1-strace-a20.sh   (the bench engine must be running)
# shellcheck source-path=SCRIPTDIR source=session1-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/session1-lib.sh"
make_workload 20
settle
echo "containers prune alone, A's filter: $(prune_ms '/containers/prune?filters=%7B%22label%21%22%3A%7B%22docker-cleaner.protect%22%3Atrue%7D%7D') ms"
reset
make_workload 20
settle
t0=$(now_ns)
env -i PATH=/usr/bin:/bin DOCKER_HOST="unix://$SOCK" PRUNE_ALL=true PRUNE_VOLUMES=true PRUNE_FORCE=true LOG_LEVEL=debug \
	strace -f -tt -T -e trace=connect,write,read -s 160 -o "$WORK/strace-A20.txt" "$DC_BIN" >"$WORK/A20.out" 2>"$WORK/A20.err"
echo "A under strace: $(ms_since "$t0") ms"
grep -E "^(containers|images|networks|volumes|build cache|Finished)" "$WORK/A20.out"
grep -- "->" "$WORK/A20.err" | awk '{print $3, $4}' | sed 's/[0-9a-f]\{64\}/<id>/' | sort | uniq -c | sort -rn | head
uptime
