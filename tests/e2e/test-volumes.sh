#!/usr/bin/env bash
# CLEANUP_VOLUMES=true: unused ANONYMOUS volumes go, including those freed by the container prune
# of the same run (containers are pruned first); named volumes stay even when unused; volumes of
# running containers stay. On API < 1.42 (docker20, podman) the daemon's own volume prune would
# delete the named volumes too.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
use_engine "${1:-}"
reset_engine

mk_stopped c_anon >/dev/null                       # docker create -v /data testbase true
anon_stopped="$(anon_volume_of c_anon)"
mk_stopped -v v_named_stopped:/data c_named >/dev/null
mk_volume v_named >/dev/null
mk_volume v_named_labelled some.label=x >/dev/null
mk_running -v /data r_anon >/dev/null
anon_running="$(anon_volume_of r_anon)"
mk_running -v v_used:/data r_named >/dev/null
{ [ -n "$anon_stopped" ] && [ -n "$anon_running" ]; } || die "anonymous volumes not found"
# An anonymous volume that no container refers to any more (its container removed without -v).
mk_stopped c_tmp >/dev/null
anon_free="$(anon_volume_of c_tmp)"
d rm c_tmp >/dev/null
if ! _exists volume "$anon_free"; then
	log "note: this engine removed the anonymous volume with its container (rm without -v)"
	anon_free=
fi

run_cleaner CLEANUP_VOLUMES=true
assert_exit 0

assert_gone container c_anon "stopped"
assert_gone container c_named "stopped"
assert_gone volume "$anon_stopped" "anonymous, freed by the container prune of the same run"
[ -z "$anon_free" ] || assert_gone volume "$anon_free" "anonymous, unused"
assert_exists volume v_named "named, unused: only PRUNE_VOLUMES_ALL removes it"
assert_exists volume v_named_labelled "named, unused, labelled"
assert_exists volume v_named_stopped "named, freed by the container prune"
assert_exists volume "$anon_running" "anonymous, used by running r_anon"
assert_exists volume v_used "named, used by running r_named"
assert_running r_anon
assert_running r_named
finish
