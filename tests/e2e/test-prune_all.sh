#!/usr/bin/env bash
# PRUNE_ALL=true (as `docker system prune --all`): every image no container uses goes, tagged or
# not, including images freed by the container prune of the same run; images of running
# containers stay; on docker engines every unused build-cache record goes.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
use_engine "${1:-}"
reset_engine

mk_running r_base >/dev/null                      # testbase:latest in use
img_run="$(mk_runnable_image runimg)"
mk_running --image runimg:latest r_img >/dev/null
img_stop="$(mk_runnable_image stopimg)"
mk_stopped --image stopimg:latest c_stop >/dev/null # pins stopimg until the container goes
dang="$(mk_dangling dang)"
tagged="$(mk_tagged tagged)"
tagged2="$(mk_tagged tagged2 some.label=x)"
mk_network n_unused >/dev/null
if is_docker; then
	mk_build_cache bc # keeps bc:latest, so some records are shared with an image
	assert_gt "$(build_cache_count)" 0 "build cache records before the run"
fi

run_cleaner PRUNE_ALL=true
assert_exit 0

assert_running r_base
assert_running r_img
assert_exists image testbase:latest "used by running r_base"
assert_exists image "$img_run" "used by running r_img"
assert_gone container c_stop "stopped"
assert_gone image "$img_stop" "used only by a stopped container pruned in the same run"
assert_gone image "$dang" "dangling"
assert_gone image "$tagged" "tagged, unused"
assert_gone image "$tagged2" "tagged, unused, labelled"
assert_gone network n_unused "unused user network"
if is_docker; then
	assert_gone image bc:latest "built image, unused"
	assert_eq 0 "$(build_cache_count)" "build cache records after the run"
fi
finish
