#!/usr/bin/env bash
# Session 1: the Docker CLI's system prune at scale 20 under strace: the requests it writes, in order.
#   bench/experiments/session1-strace-b20.sh   (the bench engine must be running)
# shellcheck source-path=SCRIPTDIR source=session1-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/session1-lib.sh"
reset
make_workload 20
settle
t0=$(now_ns)
strace -f -tt -e trace=write -s 200 -o "$WORK/strace-B20.txt" "$CLI28" -H "unix://$SOCK" system prune -af --volumes >"$WORK/B20.out" 2>&1
echo "B under strace: $(ms_since "$t0") ms"
grep -oE '^[0-9]+ +[0-9:.]+ write\([0-9]+, "(POST|GET|HEAD|DELETE) [^ ]+' "$WORK/strace-B20.txt" | awk '{print $2, $4, $5}' | cut -c1-150
