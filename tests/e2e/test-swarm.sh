#!/usr/bin/env bash
# Fleet use: examples/swarm/clean-swarm.sh cleans every node of a swarm once with a global-job
# service. On a one-node swarm (a private Docker 26 engine of its own, so that swarm mode does
# not touch the engine the other tests share), the job runs, cleans, completes, its report is
# collected, the protected container stays, and the service is gone afterwards.
# The image is the built binary with its shared libraries, imported (no registry, no build).
# shellcheck source-path=SCRIPTDIR source=lib.sh
export DC_ENGINE_DIR="${DC_SWARM_ENGINE_DIR:-/tmp/dc-swarm}" DC_POOL_BASE="${DC_SWARM_POOL_BASE:-26}"
source "$(dirname "$0")/lib.sh"
use_engine docker26
# Leave the swarm and stop this private engine, then lib.sh's own exit handling (status kept).
# shellcheck disable=SC2154 # _rc is assigned inside the trap itself
trap '_rc=$?; { d swarm leave --force; "$ENGINE_SH" stop docker26; } >/dev/null 2>&1; (exit $_rc); _e2e_on_exit' EXIT
reset_engine
d swarm init --advertise-addr 127.0.0.1 >/dev/null

rootfs="$WORK/rootfs"
mkdir -p "$rootfs"
# The binary's loader and libraries, at their paths (symlinks followed).
for lib in $(ldd "$DC_BIN" | grep -o '/[^ ]*'); do
	mkdir -p "$rootfs$(dirname "$lib")"
	cp -L "$lib" "$rootfs$lib"
done
cp "$DC_BIN" "$rootfs/docker-cleaner"
tar -C "$rootfs" -c . | d import --change 'ENTRYPOINT ["/docker-cleaner"]' - dc-swarm:test >/dev/null

for i in 1 2 3; do mk_stopped --novol "old_$i" >/dev/null; done
mk_stopped --novol keep docker-cleaner.protect >/dev/null

out="$WORK/swarm.out"
rc=0
DOCKER_HOST="unix://$DC_ENGINE_SOCK" SOCKET="$DC_ENGINE_SOCK" WAIT=120 CLEANER_ENV="LOG_LEVEL=info" \
	bash "$(dirname "$0")/../../examples/swarm/clean-swarm.sh" dc-swarm:test >"$out" 2>&1 || rc=$?
RC=$rc
assert_exit 0
grep -q 'Finished in .*: success (exit 0)' "$out" || fail "no report from the node's task in the output: $(cat "$out")"
grep -Eq '  Complete ' "$out" || fail "the task did not complete: $(cat "$out")"
for i in 1 2 3; do assert_gone container "old_$i" "cleaned by the global job"; done
assert_exists container keep "protected"
[ -z "$(d service ls -q)" ] || fail "the service is left behind: $(d service ls)"
finish
