#!/usr/bin/env bash
# Session 1: two schedules driven by curl at scale S: the image prune moved into the first phase
# (and repeated after), against the current schedule.
#   S=5 bench/experiments/session1-schedule-curl.sh   (the bench engine must be running)
# shellcheck source-path=SCRIPTDIR source=session1-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/session1-lib.sh"
S=${S:-5}
for rep in 1 2 3; do
	reset; make_workload "$S" >/dev/null 2>&1; settle
	t0=$(now_ns)
	prune_ms /containers/prune >"$WORK/c.ms" & prune_ms "/images/prune?$FALL" >"$WORK/i.ms" & prune_ms '/build/prune?all=1' >"$WORK/b.ms" & wait
	t1=$(ms_since "$t0")
	prune_ms /networks/prune >"$WORK/n.ms" & prune_ms /volumes/prune >"$WORK/v.ms" & prune_ms "/images/prune?$FALL" >"$WORK/i2.ms" & wait
	echo "rep $rep: phase1 (containers $(cat "$WORK/c.ms") || images $(cat "$WORK/i.ms") || build $(cat "$WORK/b.ms")) = $t1 ms; phase2 (networks $(cat "$WORK/n.ms") || volumes $(cat "$WORK/v.ms") || images again $(cat "$WORK/i2.ms")); total $(ms_since "$t0") ms"
	reset; make_workload "$S" >/dev/null 2>&1; settle
	t0=$(now_ns)
	prune_ms /containers/prune >"$WORK/c.ms" & prune_ms '/build/prune?all=1' >"$WORK/b.ms" & wait
	t1=$(ms_since "$t0")
	prune_ms /networks/prune >"$WORK/n.ms" & prune_ms /volumes/prune >"$WORK/v.ms" & prune_ms "/images/prune?$FALL" >"$WORK/i2.ms" & wait
	echo "rep $rep: current schedule with curl: phase1 (containers $(cat "$WORK/c.ms") || build $(cat "$WORK/b.ms")) = $t1 ms; phase2 (networks $(cat "$WORK/n.ms") || volumes $(cat "$WORK/v.ms") || images $(cat "$WORK/i2.ms")); total $(ms_since "$t0") ms"
done
uptime
