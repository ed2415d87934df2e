#!/usr/bin/env bash
# Schedule experiments on the bench engine, driven by curl: one fresh workload at SCALE, then the
# prunes in the order NAME says (base: ours; netearly, allearly, cdel, buildlate: candidates;
# cli: the Docker CLI). Prints each step's ms and the TOTAL.
#   bench/experiments/schedules.sh SCALE NAME   (the bench engine must be running)
# shellcheck source-path=SCRIPTDIR source=../run.sh
source "$(dirname "${BASH_SOURCE[0]}")/../run.sh"
OUT="$OUT/schedules"
WORK="$OUT/work"
export DOCKER_CONFIG="$WORK/cli"
mkdir -p "$WORK" "$DOCKER_CONFIG"
s="$1" what="$2"
t() { local t0; t0=$(now_ns); "$@"; echo "$((($(now_ns) - t0) / 1000000))"; }
par_delete() { # kind ids...: DELETE in parallel 4
  local kind=$1 q=$2; shift 2
  printf '%s\n' "$@" | xargs -r -P "${PAR:-4}" -I@@ curl -sS -o /dev/null --unix-socket "$SOCK" -X DELETE "http://d/$API/$kind/@@$q"
}
make_workload "$s" >/dev/null 2>&1; settle
mapfile -t nets < <(api GET /networks | jq -r '.[] | select(.Name != "bridge" and .Name != "host" and .Name != "none") | .Id')
mapfile -t cids < <(api GET '/containers/json?all=1&filters=%7B%22status%22%3A%5B%22created%22%2C%22exited%22%5D%7D' | jq -r '.[].Id')
P=$(pgrep -f "dockerd.*$DC_ENGINE_DIR" | head -1)
cpu0=$(awk '{print $14+$15}' "/proc/$P/stat"); st0=$(awk '/^cpu /{print $2+$3+$4+$7+$8, $5, $6}' /proc/stat)
t0=$(now_ns)
case "$what" in
base)
  ( a=$(t api POST /containers/prune -o /dev/null); echo "c $a" ) &
  ( a=$(t api POST '/build/prune?all=1' -o /dev/null); echo "b $a" ) & wait
  echo "phase1 $(( ($(now_ns)-t0)/1000000 ))"
  ( a=$(t api POST /networks/prune -o /dev/null); echo "n $a" ) &
  ( a=$(t api POST "/images/prune?$FALL" -o /dev/null); echo "i $a" ) &
  ( a=$(t api POST /volumes/prune -o /dev/null); echo "v $a" ) & wait ;;
netearly)
  ( a=$(t api POST /containers/prune -o /dev/null); echo "c $a" ) &
  ( a=$(t api POST '/build/prune?all=1' -o /dev/null); echo "b $a" ) &
  ( a=$(t par_delete networks "" "${nets[@]}"); echo "n $a" ) & wait
  echo "phase1 $(( ($(now_ns)-t0)/1000000 ))"
  ( a=$(t api POST "/images/prune?$FALL" -o /dev/null); echo "i $a" ) &
  ( a=$(t api POST /volumes/prune -o /dev/null); echo "v $a" ) & wait ;;
allearly)
  ( a=$(t api POST /containers/prune -o /dev/null); echo "c $a" ) &
  ( a=$(t api POST '/build/prune?all=1' -o /dev/null); echo "b $a" ) &
  ( a=$(t par_delete networks "" "${nets[@]}"); echo "n $a" ) & 
  ( a=$(t api POST "/images/prune?$FALL" -o /dev/null); echo "i $a" ) & wait
  echo "phase1 $(( ($(now_ns)-t0)/1000000 ))"
  ( a=$(t api POST "/images/prune?$FALL" -o /dev/null); echo "i2 $a" ) &
  ( a=$(t api POST /volumes/prune -o /dev/null); echo "v $a" ) & wait ;;
cdel)
  ( a=$(t par_delete containers "?v=1" "${cids[@]}"); echo "c $a" ) &
  ( a=$(t api POST '/build/prune?all=1' -o /dev/null); echo "b $a" ) &
  ( a=$(t par_delete networks "" "${nets[@]}"); echo "n $a" ) & wait
  echo "phase1 $(( ($(now_ns)-t0)/1000000 ))"
  ( a=$(t api POST "/images/prune?$FALL" -o /dev/null); echo "i $a" ) &
  ( a=$(t api POST /volumes/prune -o /dev/null); echo "v $a" ) & wait ;;
buildlate)
  ( a=$(t api POST /containers/prune -o /dev/null); echo "c $a" ) & wait
  echo "phase1 $(( ($(now_ns)-t0)/1000000 ))"
  ( a=$(t api POST /networks/prune -o /dev/null); echo "n $a" ) &
  ( a=$(t api POST "/images/prune?$FALL" -o /dev/null); echo "i $a" ) &
  ( a=$(t api POST '/build/prune?all=1' -o /dev/null); echo "b $a" ) &
  ( a=$(t api POST /volumes/prune -o /dev/null); echo "v $a" ) & wait ;;
cli)
  "$CLI28" -H "unix://$SOCK" system prune -af --volumes >/dev/null ;;
esac
cpu1=$(awk '{print $14+$15}' "/proc/$P/stat"); st1=$(awk '/^cpu /{print $2+$3+$4+$7+$8, $5, $6}' /proc/stat)
echo "dockerd_ticks $((cpu1-cpu0)) sys(busy idle iowait) $st0 -> $st1"
echo "TOTAL $what s$s $(( ($(now_ns)-t0)/1000000 ))"
