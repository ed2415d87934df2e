#!/usr/bin/env bash
# A prune is sent only when the inventory shows it has work, so the check must count what the
# container prune of the same run frees: here the only image that can go is the one a stopped
# container pins, and the only network is one that container alone is attached to. Before
# that, with nothing to remove, a run keeps everything and exits 0.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
use_engine "${1:-}"
reset_engine

mk_running r_base >/dev/null # testbase:latest in use
img_keep="$(mk_runnable_image keepimg)"
mk_stopped --image keepimg:latest c_keep docker-cleaner.protect=1 >/dev/null

run_cleaner PRUNE_ALL=true
assert_exit 0
assert_running r_base
assert_exists container c_keep "protected"
assert_exists image "$img_keep" "used by the protected stopped container"
assert_exists image testbase:latest "used by running r_base"

img_stop="$(mk_runnable_image stopimg)"
mk_network n_stop >/dev/null
mk_stopped --image stopimg:latest --network n_stop c_stop >/dev/null

run_cleaner PRUNE_ALL=true
assert_exit 0
assert_gone container c_stop "stopped"
assert_gone image "$img_stop" "freed by the container prune of the same run"
assert_gone network n_stop "attached only to the pruned container"
assert_exists container c_keep "protected"
assert_exists image "$img_keep" "used by the protected stopped container"
assert_running r_base
finish
