source /work/main/bench/run.sh
set +e
OUT=/tmp/dc-bench-exp; WORK=$OUT/work
reset; make_workload 20 >/dev/null 2>&1; settle
env -i PATH=/usr/bin:/bin DOCKER_HOST="unix://$SOCK" PRUNE_ALL=true PRUNE_VOLUMES=true PRUNE_FORCE=true \
	/usr/bin/time -f '%e s wall %U user %S sys %M KiB' "$DC_BIN" 2>&1 >/dev/null | tail -1
