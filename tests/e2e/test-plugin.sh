#!/usr/bin/env bash
# docker-cleaner as a Docker CLI plugin, run by Debian's real Docker CLI (20.10, /usr/bin/docker)
# from a private DOCKER_CONFIG, against the private engine:
#  - the CLI finds the plugin: `docker cleaner --version` runs it, `docker info` lists it;
#  - `docker --context ctx-private cleaner` cleans the engine that context points at (a dry run
#    first, which changes nothing), and writes METRICS_FILE that promtool accepts;
#  - the engine is chosen with the CLI's own precedence (--context, DOCKER_HOST, DOCKER_CONTEXT,
#    currentContext): for each case the cleaner reaches the engine exactly when `docker version`
#    run the same way does;
#  - an ssh:// context gives one line pointing to the container route, and exit 2.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
use_engine "${1:-}"
is_docker || die "test-plugin needs a Docker engine (the Docker CLI's contexts)"

# The plugin: the binary itself under the plugin's name (a script when it runs under a wrapper).
mkdir -p "$DOCKER_CONFIG/cli-plugins"
if [ -n "${DC_WRAPPER:-}" ]; then
	printf '#!/bin/sh\nexec %s %s "$@"\n' "$DC_WRAPPER" "$DC_BIN" >"$DOCKER_CONFIG/cli-plugins/docker-cleaner"
	chmod 755 "$DOCKER_CONFIG/cli-plugins/docker-cleaner"
else
	ln -s "$DC_BIN" "$DOCKER_CONFIG/cli-plugins/docker-cleaner"
fi
chmod 755 "$DOCKER_CONFIG"

NOWHERE="unix://$WORK/nowhere.sock"
ENGINE="unix://$DC_ENGINE_SOCK"

# cli [VAR=VALUE...] -- ARGS...: the Docker CLI in a clean environment (no DOCKER_HOST unless
# given), recorded as a run (outputs in $WORK/runN.*, shown if the test fails). Sets RC.
cli() {
	local envs=()
	while [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	RUNS=$((RUNS + 1))
	local base="$WORK/run$RUNS"
	printf '%s docker %s\n' "${envs[*]}" "$*" >"$base.args"
	RC=0
	env -i PATH="$PATH" HOME="${HOME:-/root}" DOCKER_CONFIG="$DOCKER_CONFIG" "${envs[@]}" \
		timeout -k 5 "${DC_E2E_RUN_TIMEOUT:-120}" "$DOCKER_CLI" "$@" >"$base.out" 2>"$base.err" </dev/null || RC=$?
	echo "$RC" >"$base.rc"
	log "run $RUNS: $(cat "$base.args") -> exit $RC"
	check_no_crash "$RUNS"
}
out() { cat "$WORK/run$RUNS.out"; }

# --- found by the CLI
cli -- cleaner --version
assert_exit 0
[[ "$(out)" == "docker-cleaner "* ]] || fail "docker cleaner --version printed: $(out)"

cli -- context create ctx-private --docker "host=$ENGINE"
assert_exit 0
cli -- context create ctx-nowhere --docker "host=$NOWHERE"
assert_exit 0
cli -- context create ctx-ssh --docker host=ssh://nobody@127.0.0.1
assert_exit 0

cli -- --context ctx-private info
assert_exit 0
grep -E -q '^ +cleaner: .+\(docker-cleaner, ' "$WORK/run$RUNS.out" || fail "docker info does not list the plugin"

# --- the context's engine is the one cleaned
reset_engine
ctr="$(mk_stopped c_plugin)"
img="$(mk_dangling dg_plugin)"
cli -- --context ctx-private cleaner --dry-run
assert_exit 0
grep -q "^Would delete container ${ctr:0:12} c_plugin" "$WORK/run$RUNS.out" || fail "the dry run does not list c_plugin"
assert_exists container c_plugin "a dry run"
assert_exists image "$img" "a dry run"

mkdir -p "$WORK/metrics"
chown 65532:65532 "$WORK/metrics" 2>/dev/null || chmod 777 "$WORK/metrics"
cli -- --context ctx-private cleaner --metrics-file "$WORK/metrics/docker_cleaner.prom"
assert_exit 0
assert_gone container c_plugin "cleaned through the context"
assert_gone image "$img" "cleaned through the context"
grep -q '^docker_cleaner_removed_total{type="containers"} 1$' "$WORK/metrics/docker_cleaner.prom" ||
	fail "metrics: $(cat "$WORK/metrics/docker_cleaner.prom" 2>&1)"
if command -v promtool >/dev/null; then
	promtool check metrics <"$WORK/metrics/docker_cleaner.prom" >"$WORK/promtool.out" 2>&1 ||
		fail "promtool check metrics: $(cat "$WORK/promtool.out")"
else
	fail "promtool not found (Debian's prometheus: tests/engines/install-deps.sh)"
fi

# --- the CLI's precedence: the cleaner reaches the engine exactly when the CLI itself does
check_same() { # WHAT [VAR=VALUE...] -- GLOBAL ARGS...
	local what="$1" want
	shift
	local envs=()
	while [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	cli "${envs[@]}" -- "$@" version --format '{{.Server.Version}}'
	want="$RC"
	[ "$want" = 0 ] || want=2
	cli "${envs[@]}" -- "$@" cleaner --dry-run
	[ "$RC" = "$want" ] || fail "$what: docker version exit says $want, the cleaner exited $RC"
	if [ "$RC" = 2 ]; then grep -q "nowhere.sock" "$WORK/run$RUNS.err" || fail "$what: the address is not named"; fi
}
check_same "--context beats DOCKER_HOST" "DOCKER_HOST=$NOWHERE" -- --context ctx-private
check_same "--context beats DOCKER_HOST (the other way)" "DOCKER_HOST=$ENGINE" -- --context ctx-nowhere
check_same "DOCKER_HOST beats DOCKER_CONTEXT" "DOCKER_HOST=$ENGINE" DOCKER_CONTEXT=ctx-nowhere --
check_same "DOCKER_HOST beats DOCKER_CONTEXT (the other way)" "DOCKER_HOST=$NOWHERE" DOCKER_CONTEXT=ctx-private --
check_same "DOCKER_CONTEXT" DOCKER_CONTEXT=ctx-private --
cli -- context use ctx-nowhere
assert_exit 0
check_same "currentContext" --
check_same "DOCKER_HOST beats currentContext" "DOCKER_HOST=$ENGINE" --
check_same "DOCKER_CONTEXT beats currentContext" DOCKER_CONTEXT=ctx-private --
check_same "-H beats currentContext" -- -H "$ENGINE"
cli -- context use default
assert_exit 0

# --- an ssh context: one line, the container route, exit 2
cli -- --context ctx-ssh cleaner --dry-run
assert_exit 2
assert_eq 1 "$(wc -l <"$WORK/run$RUNS.err")" "stderr lines for an ssh context"
grep -q -F 'docker --context ctx-ssh run --rm -v /var/run/docker.sock:/var/run/docker.sock docker-cleaner' \
	"$WORK/run$RUNS.err" || fail "the ssh context's line does not give the container route"

finish
