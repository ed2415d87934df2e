#!/usr/bin/env bash
# CPU accounting of one A and one B run at scale S: wall, dockerd+containerd CPU, whole-machine busy/idle/iowait.
source "$(dirname "$0")/../../run.sh"
OUT=/tmp/dcb-cpu; WORK=$OUT/work; mkdir -p $WORK; export DOCKER_CONFIG=$WORK/cli; mkdir -p $DOCKER_CONFIG
s=$1
P=$(pgrep -f "dockerd.*dc-bench" | head -1); C=$(pgrep -f "containerd --config /tmp/dc-bench" | head -1)
ticks() { awk '{print $14+$15}' /proc/$1/stat; }
st() { awk '/^cpu /{print $2+$3+$4+$7+$8, $5, $6}' /proc/stat; }
for who in A B A B; do
  make_workload $s >/dev/null 2>&1; settle
  d0=$(ticks $P); c0=$(ticks $C); read -r b0 i0 w0 < <(st); t0=$(now_ns)
  if [ $who = A ]; then env -i PATH=/usr/bin:/bin DOCKER_HOST=unix://$SOCK PRUNE_ALL=true PRUNE_VOLUMES=true PRUNE_FORCE=true "$(dirname "$0")/../../../build-bench/docker-cleaner" >/dev/null 2>&1
  else /usr/local/bin/docker -H unix://$SOCK system prune -af --volumes >/dev/null; fi
  ms=$(ms_since $t0); d1=$(ticks $P); c1=$(ticks $C); read -r b1 i1 w1 < <(st)
  echo "s$s $who wall_ms $ms dockerd_cpu_s $(awk -v a=$d0 -v b=$d1 'BEGIN{print (b-a)/100}') containerd_cpu_s $(awk -v a=$c0 -v b=$c1 'BEGIN{print (b-a)/100}') machine_busy_s $(awk -v a=$b0 -v b=$b1 'BEGIN{print (b-a)/100}') idle_s $(awk -v a=$i0 -v b=$i1 'BEGIN{print (b-a)/100}') iowait_s $(awk -v a=$w0 -v b=$w1 'BEGIN{print (b-a)/100}')"
done
