#!/usr/bin/env bash
# Root-only sockets (Docker Desktop mounts srwxr-xr-x root:root; a hand-started podman makes 0600
# root:root): started as root, the cleaner connects first, drops to uid 65532 with no group, and
# cleans as on a group socket. Then a run that needs hundreds of requests (stopped containers
# with anonymous volumes, PRUNE_ALL, volumes, the reaper) ends with the same result on a
# root-only socket as on a group-accessible one: it lives on the connections opened as root.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
use_engine "${1:-}"

SOCK_PERM="$(stat -c '%u:%g %a' "$DC_ENGINE_SOCK")"
restore_socket() {
	chown "${SOCK_PERM% *}" "$DC_ENGINE_SOCK" 2>/dev/null || true
	chmod "${SOCK_PERM#* }" "$DC_ENGINE_SOCK" 2>/dev/null || true
}
trap 'rc=$?; restore_socket; (exit $rc); _e2e_on_exit' EXIT
# set_socket OWNER:GROUP MODE. The CLI calls of the test run as root and are not affected.
set_socket() {
	chown "$1" "$DC_ENGINE_SOCK"
	chmod "$2" "$DC_ENGINE_SOCK"
}

ROOT_ONLY_LINE="is root-only (owner uid 0, group gid 0, mode"
DROPPED="dropped root: uid 65532 gid 65532 groups none"

# --- the standard scene, on 0755 and on 0600 root:root ---
for mode in 755 600; do
	reset_engine
	mk_stopped c_created >/dev/null
	anon="$(anon_volume_of c_created)"
	mk_exited c_exited >/dev/null
	mk_stopped c_prot docker-cleaner.protect >/dev/null
	mk_volume v_named >/dev/null
	mk_running r_base >/dev/null
	dang="$(mk_dangling dang)"
	tagged="$(mk_tagged tagged)"
	mk_network n_unused >/dev/null
	mk_network n_prot docker-cleaner.protect >/dev/null
	mk_network n_used >/dev/null
	mk_running --network n_used r_net >/dev/null
	set_socket 0:0 "$mode"

	run_cleaner DRY_RUN=true LOG_FORMAT=json
	assert_exit 0
	grep -q "$ROOT_ONLY_LINE 0$mode)" "$WORK/run$RUNS.err" || fail "mode $mode dry run: no root-only line"
	grep -q "$DROPPED" "$WORK/run$RUNS.err" || fail "mode $mode dry run: not uid 65532 without groups"
	listed="$(jq -r 'select(.event == "deleted") | .type + " " + .name' "$WORK/run$RUNS.out" | sort | tr '\n' ,)"
	for want in "container c_created" "container c_exited" "network n_unused"; do
		case ",$listed" in *",$want,"*) ;; *) fail "mode $mode dry run does not list $want (listed: $listed)" ;; esac
	done
	assert_exists container c_created "the dry run removes nothing"

	run_cleaner
	assert_exit 0
	grep -q "$ROOT_ONLY_LINE 0$mode)" "$WORK/run$RUNS.err" || fail "mode $mode: no root-only line"
	grep -q "$DROPPED" "$WORK/run$RUNS.err" || fail "mode $mode: not uid 65532 without groups"
	assert_gone container c_created "stopped (mode $mode)"
	assert_gone container c_exited "exited (mode $mode)"
	assert_exists container c_prot "protected (mode $mode)"
	assert_running r_base
	assert_running r_net
	assert_gone image "$dang" "dangling (mode $mode)"
	assert_exists image "$tagged" "tagged (mode $mode)"
	assert_exists volume "$anon" "volumes are off by default (mode $mode)"
	assert_exists volume v_named "named volume (mode $mode)"
	assert_gone network n_unused "unused network (mode $mode)"
	assert_exists network n_prot "protected network (mode $mode)"
	assert_exists network n_used "used network (mode $mode)"
	restore_socket
done

# --- many requests: the same result on a group socket and on a root-only one ---
N="${DC_E2E_ROOTONLY_CONTAINERS:-200}"
big_scene() {
	reset_engine
	mk_many_stopped "$N" s /data
	local i
	for i in 1 2 3 4; do mk_running "reap$i" job=ci >/dev/null; done
	mk_running --novol keep_running >/dev/null
	for i in 1 2 3 4 5; do mk_tagged "unused$i" >/dev/null; done
	for i in 1 2 3 4 5; do mk_network "net$i" >/dev/null; done
	mk_volume v_named >/dev/null
}
many=(PRUNE_ALL=true CLEANUP_VOLUMES=true REAP_LABEL=job=ci REAP_AFTER=1ms REAP_STOP_TIMEOUT=1s LOG_FORMAT=json)
summary() { # N: the run's deletions per type, then what is left
	jq -r 'select(.event == "deleted" or .event == "reaped") | .event + " " + .type' "$WORK/run$1.out" | sort | uniq -c | tr -s ' ' | tr '\n' ';'
	printf 'left: %s containers, %s images, %s volumes, %s networks\n' "$(count container)" "$(count image)" \
		"$(count volume)" "$(count network)"
}

big_scene
set_socket 0:4242 660 # a group (not root) may read and write: GID matching
run_cleaner "${many[@]}"
assert_exit 0
grep -q "dropped root: uid 65532 gid 65532 groups 4242" "$WORK/run$RUNS.err" || fail "group socket: no GID matching"
group_result="$(summary "$RUNS")"
restore_socket

big_scene
set_socket 0:0 600
run_cleaner "${many[@]}"
assert_exit 0
grep -q "$DROPPED" "$WORK/run$RUNS.err" || fail "root-only socket: not uid 65532 without groups"
root_result="$(summary "$RUNS")"
restore_socket

log "group socket: $group_result"
log "root-only socket: $root_result"
assert_eq "$group_result" "$root_result" "deletions and what is left, root-only vs group socket"
case "$root_result" in *"$N deleted container"*) ;; *) fail "the big run did not remove the $N stopped containers: $root_result" ;; esac
assert_exists volume v_named "named volume (CLEANUP_VOLUMES removes anonymous ones only)"
assert_running keep_running
finish
