#!/usr/bin/env bash
# CLEANUP_VOLUMES=true PRUNE_VOLUMES_ALL=true (as `docker volume prune --all`): named unused
# volumes go too; volumes used by running containers stay.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
use_engine "${1:-}"
reset_engine

mk_stopped c_anon >/dev/null
anon_stopped="$(anon_volume_of c_anon)"
mk_stopped -v v_named_stopped:/data c_named >/dev/null
mk_volume v_named >/dev/null
mk_running -v /data r_anon >/dev/null
anon_running="$(anon_volume_of r_anon)"
mk_running -v v_used:/data r_named >/dev/null
{ [ -n "$anon_stopped" ] && [ -n "$anon_running" ]; } || die "anonymous volumes not found"

run_cleaner CLEANUP_VOLUMES=true PRUNE_VOLUMES_ALL=true
assert_exit 0

assert_gone container c_anon "stopped"
assert_gone container c_named "stopped"
assert_gone volume "$anon_stopped" "anonymous, freed by the container prune of the same run"
assert_gone volume v_named "named, unused"
assert_gone volume v_named_stopped "named, freed by the container prune of the same run"
assert_exists volume "$anon_running" "anonymous, used by running r_anon"
assert_exists volume v_used "named, used by running r_named"
assert_running r_anon
assert_running r_named
finish
