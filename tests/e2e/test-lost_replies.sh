#!/usr/bin/env bash
# Removals whose answers are lost: a proxy in front of the engine (lossy_proxy.py) relays the
# first DELETE of each type to the engine, reads the engine's whole answer, then resets the
# cleaner's connection instead of answering (a proxy or the engine's side dropping the
# connection). The engine removed the resource; the cleaner must ask and find it gone, name it
# in the audit trail like any other removal, and exit 0, leaving the engine as a run without
# losses does. Docker's default schedule removes containers, networks and volumes one by one;
# Podman removes at least its volumes so. Then the same for the image prune's answer, whose
# loss the run cannot ask one resource about: it lists the images again.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
use_engine "${1:-}"
reset_engine

for i in 1 2 3; do mk_stopped "c$i" >/dev/null; done # each with an anonymous volume
mk_network n1 >/dev/null
mk_network n2 >/dev/null
mk_network n_keep >/dev/null
mk_volume v_keep >/dev/null
mk_running --network n_keep -v v_keep:/data r_keep >/dev/null
assert_eq 4 "$(count volume)" "volumes before the run (three anonymous, v_keep)"

PROXY_SOCK="$WORK/proxy.sock"
python3 "$(dirname "$0")/lossy_proxy.py" "$PROXY_SOCK" "$DC_ENGINE_SOCK" "$WORK/lost.jsonl" \
	"DELETE /containers/ 1" "DELETE /networks/ 1" "DELETE /volumes/ 1" >"$WORK/proxy.log" 2>&1 &
PROXY_PID=$!
trap 'rc=$?; kill $PROXY_PID 2>/dev/null || true; (exit $rc); _e2e_on_exit' EXIT
for _ in $(seq 100); do grep -q ready "$WORK/proxy.log" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$WORK/proxy.log" || die "the proxy did not start: $(cat "$WORK/proxy.log")"

run_cleaner DOCKER_HOST="unix://$PROXY_SOCK" CLEANUP_VOLUMES=true
assert_exit 0

# The losses happened: each is a removal the engine did (2xx) and the cleaner did not hear of.
touch "$WORK/lost.jsonl"
lost="$(wc -l <"$WORK/lost.jsonl")"
if is_docker; then
	assert_eq 3 "$lost" "removals whose answers the proxy lost"
else
	assert_gt "$lost" 0 "removals whose answers the proxy lost"
	grep -q '"DELETE", "path": "/v[0-9.]*/volumes/' "$WORK/lost.jsonl" || fail "no volume removal's answer was lost"
fi
while read -r line; do
	status="$(jq -r .status <<<"$line")"
	path="$(jq -r .path <<<"$line")"
	[ "${status:0:1}" = 2 ] || fail "the engine answered $status to $path (expected a removal)"
	type="$(cut -d/ -f3 <<<"$path")" # containers, networks or volumes
	ref="$(cut -d/ -f4 <<<"$path")"
	case "$type" in
	containers) kind=container shown="${ref:0:12} " ;;
	networks) kind=network shown="${ref:0:12} " ;;
	volumes) kind=volume shown="$ref" ;;
	*) fail "unexpected loss: $path"; continue ;;
	esac
	d "${kind}" inspect "$ref" >/dev/null 2>&1 && fail "$kind $ref still exists after its removal was answered $status"
	grep -q "^Deleted $kind $shown" "$WORK/run1.out" || fail "$kind $ref: removed by the engine, not in the audit trail"
done <"$WORK/lost.jsonl"
assert_eq "$lost" "$(grep -c 'the answer to its removal was lost' "$WORK/run1.err")" "removals asked after a lost answer"

# The end state of a run without losses, and everything the engine removed is named.
assert_eq 1 "$(count container)" "containers left (only running r_keep)"
assert_running r_keep
assert_eq 1 "$(count network)" "user networks left (only n_keep, used by r_keep)"
assert_exists network n_keep "used by running r_keep"
assert_eq 1 "$(count volume)" "volumes left (only v_keep)"
assert_exists volume v_keep "named, in use"
assert_eq 3 "$(grep -c '^Deleted container ' "$WORK/run1.out")" "containers in the audit trail"
assert_eq 2 "$(grep -c '^Deleted network ' "$WORK/run1.out")" "networks in the audit trail"
assert_eq 3 "$(grep -c '^Deleted volume ' "$WORK/run1.out")" "volumes in the audit trail"

# 2. Docker prunes dangling images with the daemon's prune: its answer lost, the run lists the
# images again, names both, and exits 1 (the prune's own answer never came). With a stopped
# container to remove too, that prune is the first pass of Docker's default schedule, sent
# while the container goes. Podman removes them one by one: the first removal's answer lost,
# it is asked as above (exit 0).
ids=()
for i in 1 2; do ids+=("$(mk_dangling "dl$i")"); done
assert_eq 2 "$(count dangling)" "dangling images before run 2"
mk_stopped c4 >/dev/null
if is_docker; then lose="POST /images/prune 1" rc=1; else lose="DELETE /images/ 1" rc=0; fi
python3 "$(dirname "$0")/lossy_proxy.py" "$WORK/proxy2.sock" "$DC_ENGINE_SOCK" "$WORK/lost2.jsonl" "$lose" \
	>"$WORK/proxy2.log" 2>&1 &
PROXY_PID="$PROXY_PID $!"
trap 'rc=$?; kill $PROXY_PID 2>/dev/null || true; (exit $rc); _e2e_on_exit' EXIT
for _ in $(seq 100); do grep -q ready "$WORK/proxy2.log" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$WORK/proxy2.log" || die "the proxy did not start: $(cat "$WORK/proxy2.log")"
run_cleaner DOCKER_HOST="unix://$WORK/proxy2.sock"
assert_exit "$rc"
touch "$WORK/lost2.jsonl"
assert_eq 1 "$(wc -l <"$WORK/lost2.jsonl")" "image answers the proxy lost ($lose)"
assert_eq 2 "$(jq -r '.status' "$WORK/lost2.jsonl" | cut -c1)" "the engine's answer to the lost request: 2xx"
assert_eq 0 "$(count dangling)" "dangling images after run 2"
assert_eq 1 "$(count container)" "containers left after run 2 (only running r_keep)"
grep -q "^Deleted container .* c4$" "$WORK/run2.out" || fail "run 2: container c4 not in the audit trail"
for id in "${ids[@]}"; do
	short="${id#sha256:}"
	grep -q "^Deleted image ${short:0:12}" "$WORK/run2.out" || fail "image $id: removed by the engine, not in the audit trail"
done
if is_docker; then
	grep -q "images: the prune's answer was lost: the engine removed 2 (listed again)" "$WORK/run2.err" ||
		fail "run 2 does not say what the lost prune removed"
else
	assert_eq 1 "$(grep -c 'the answer to its removal was lost' "$WORK/run2.err")" "image removals asked after a lost answer"
fi
finish
