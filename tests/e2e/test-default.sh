#!/usr/bin/env bash
# Default settings: stopped containers, dangling images, unused networks and (docker) build cache
# are pruned; running containers, their images, tagged images, volumes and used networks stay.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
use_engine "${1:-}"
reset_engine

mk_stopped c_created >/dev/null             # created, never started, anonymous volume on /data
anon="$(anon_volume_of c_created)"
mk_exited c_exited >/dev/null               # ran and exited
mk_volume v_named >/dev/null
mk_running r_base >/dev/null                # uses testbase:latest
img_run="$(mk_runnable_image runimg)"
mk_running --image runimg:latest r_img >/dev/null
dang="$(mk_dangling dang)"                  # imported without a tag
dang2="$(mk_dangling_retag retag)"          # imported twice under retag:latest
tagged="$(mk_tagged tagged)"
mk_network n_unused >/dev/null
mk_network n_used >/dev/null
mk_running --network n_used r_net >/dev/null
if is_docker; then
	mk_build_cache bc
	d rmi bc:latest >/dev/null # its records are no longer shared with an image
	bc_before="$(build_cache_reclaimable)"
	assert_gt "$bc_before" 0 "reclaimable build cache records before the run"
fi
[ -n "$anon" ] || die "no anonymous volume on c_created"

# shellcheck disable=SC2119
run_cleaner
assert_exit 0

assert_gone container c_created "stopped (created)"
assert_gone container c_exited "stopped (exited)"
assert_running r_base
assert_running r_img
assert_running r_net
assert_exists image testbase:latest "used by running r_base"
assert_exists image "$img_run" "used by running r_img"
assert_gone image "$dang" "dangling (untagged import)"
assert_gone image "$dang2" "dangling (re-tagged import)"
assert_exists image retag:latest "tagged"
assert_exists image "$tagged" "tagged, unused: only PRUNE_ALL removes it"
assert_exists volume "$anon" "anonymous: volumes are off by default"
assert_exists volume v_named "named: volumes are off by default"
assert_gone network n_unused "unused user network"
assert_exists network n_used "used by running r_net"
if is_docker; then
	assert_eq 0 "$(build_cache_reclaimable)" "reclaimable build cache records after the run (before: $bc_before)"
fi
finish
