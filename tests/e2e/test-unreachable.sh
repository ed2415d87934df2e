#!/usr/bin/env bash
# An engine that cannot be reached: exit 2 (nothing could be done), promptly, without a crash.
# "Promptly": the run ends on the failed connection, not on its deadline (set to 10 min here,
# beyond any time the machine may take; the run timeout of lib.sh is raised above it).
# Needs no engine. (An optional engine argument is ignored.)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
[ -x "$DC_BIN" ] || die "docker-cleaner binary not found: DC_BIN=$DC_BIN"

check_run() { # WHAT VAR=VALUE...
	local what="$1" t0=$SECONDS
	shift
	DC_E2E_RUN_TIMEOUT=900 run_cleaner CLEANUP_TIMEOUT=10m "$@"
	assert_exit 2
	[ $((SECONDS - t0)) -lt 600 ] || fail "$what: took $((SECONDS - t0))s, the whole deadline: expected a prompt failure"
	if grep -q 'deadline' "$WORK/run$RUNS.err"; then fail "$what: ended on its deadline, expected a prompt failure"; fi
	[ -s "$WORK/run$RUNS.err" ] || fail "$what: nothing on stderr, expected an error message"
}

check_run "missing unix socket" "DOCKER_HOST=unix://$WORK/nonexistent.sock"
check_run "closed tcp port" DOCKER_HOST=tcp://127.0.0.1:1
# A unix path that exists but is no socket.
: >"$WORK/not-a-socket"
chmod 666 "$WORK/not-a-socket" # readable and writable for the unprivileged uid: only "not a socket" is wrong
check_run "not a socket" "DOCKER_HOST=unix://$WORK/not-a-socket"
# An unsupported scheme is a configuration error.
check_run "unsupported scheme" DOCKER_HOST=ssh://nobody@127.0.0.1
finish
