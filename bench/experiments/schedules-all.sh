#!/usr/bin/env bash
# Every schedule of schedules.sh at scales 5 and 20, 3 rounds, alternating; one "== ..." header
# per run, then its lines (the totals are the "TOTAL" lines).
#   bench/experiments/schedules-all.sh   (the bench engine must be running: BENCH_KEEP=1 bench/run.sh ...)
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash -c 'source "$1/../run.sh"; reset' _ "$here" >/dev/null 2>&1
for s in 5 20; do
	for r in 1 2 3; do
		for w in base netearly allearly cdel cli; do
			echo "== s$s r$r $w $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
			bash "$here/schedules.sh" "$s" "$w" 2>&1 | grep -v "^.bench [0-9]"
		done
	done
done
