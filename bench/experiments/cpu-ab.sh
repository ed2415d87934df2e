#!/usr/bin/env bash
# CPU accounting of A and B runs (A B A B) at scale S: wall, dockerd and containerd CPU seconds,
# whole-machine busy/idle/iowait seconds.
#   bench/experiments/cpu-ab.sh SCALE
# The bench engine must be running (BENCH_KEEP=1 bench/run.sh ...). Scratch files go to
# $BENCH_OUT/cpu (bench/out/cpu).
# shellcheck source-path=SCRIPTDIR source=../run.sh
source "$(dirname "${BASH_SOURCE[0]}")/../run.sh"
OUT="$OUT/cpu"
WORK="$OUT/work"
export DOCKER_CONFIG="$WORK/cli"
mkdir -p "$WORK" "$DOCKER_CONFIG"
s="$1"
P=$(pgrep -f "dockerd.*$DC_ENGINE_DIR" | head -1)
C=$(pgrep -f "containerd --config $DC_ENGINE_DIR" | head -1)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
st() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8, $5, $6}' /proc/stat; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN {print (b - a) / 100}'; }
for who in A B A B; do
	make_workload "$s" >/dev/null 2>&1
	settle
	d0=$(ticks "$P"); c0=$(ticks "$C"); read -r b0 i0 w0 < <(st); t0=$(now_ns)
	if [ "$who" = A ]; then
		env -i PATH=/usr/bin:/bin DOCKER_HOST="unix://$SOCK" PRUNE_ALL=true PRUNE_VOLUMES=true PRUNE_FORCE=true \
			"$DC_BIN" >/dev/null 2>&1 || true
	else
		"$CLI28" -H "unix://$SOCK" system prune -af --volumes >/dev/null
	fi
	ms=$(ms_since "$t0"); d1=$(ticks "$P"); c1=$(ticks "$C"); read -r b1 i1 w1 < <(st)
	echo "s$s $who wall_ms $ms dockerd_cpu_s $(secs "$d0" "$d1") containerd_cpu_s $(secs "$c0" "$c1") machine_busy_s $(secs "$b0" "$b1") idle_s $(secs "$i0" "$i1") iowait_s $(secs "$w0" "$w1")"
done
