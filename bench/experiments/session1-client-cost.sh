#!/usr/bin/env bash
# Session 1: docker-cleaner's own CPU and memory at scale 20 (/usr/bin/time).
#   bench/experiments/session1-client-cost.sh   (the bench engine must be running)
# shellcheck source-path=SCRIPTDIR source=session1-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/session1-lib.sh"
reset; make_workload 20 >/dev/null 2>&1; settle
env -i PATH=/usr/bin:/bin DOCKER_HOST="unix://$SOCK" PRUNE_ALL=true PRUNE_VOLUMES=true PRUNE_FORCE=true \
	/usr/bin/time -f '%e s wall %U user %S sys %M KiB' "$DC_BIN" 2>&1 >/dev/null | tail -1
