#!/bin/bash
# sanitize.sh asan|valgrind [CTEST ARGS...]: the whole test suite under a memory checker.
#
#   asan      builds build-asan/ with -DDC_SANITIZE=address,undefined and runs every ctest
#             (unit, protocol, e2e) there, LeakSanitizer on.
#   valgrind  builds build-valgrind/ (a plain build) and runs the unit executables, and the
#             protocol and e2e tests with the docker-cleaner binary, under valgrind memcheck
#             (--error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite), all but
#             rootonly.* (the protocol tests again on a 0600 socket).
#
# Fails on a failed test and on any sanitizer or valgrind report, even one a test did not
# notice: reports go to files in BUILD/reports/, counted at the end. The e2e tests start
# their own engines (tests/engines/engine.sh; DC_ENGINE_DIR and DC_POOL_BASE are honoured).
# The e2e tests run on DC_SANITIZE_ENGINES under ASan (default: docker26;podman, one engine of
# each family) and on DC_VALGRIND_ENGINES under valgrind (default: docker26), not on the whole
# matrix that `make test` covers: what the checkers look at is the cleaner's own memory, which
# the protocol and fault tests exercise on every engine's replies (under both checkers), while
# each engine more adds its whole e2e time again to CI (Docker 20.10's tests were a third of the
# ASan pass's 2,900 s of e2e test time on a slow CI machine).
# Extra configure arguments: DC_CMAKE_ARGS. Parallelism: DC_JOBS (default: 4).
set -uo pipefail

MODE="${1:-}"
shift || true
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
JOBS="${DC_JOBS:-4}"
read -r -a EXTRA <<<"${DC_CMAKE_ARGS:-}"

configure_and_build() { # BUILD [CMAKE ARGS...]
	local build="$1"
	shift
	cmake -S "$ROOT" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DDC_E2E_ENGINES="${DC_SANITIZE_ENGINES:-docker26;podman}" "$@" "${EXTRA[@]}" >/dev/null || exit 2
	cmake --build "$build" -j"$(nproc)" >/dev/null || { cmake --build "$build" 2>&1 | grep -E 'error' >&2; exit 2; }
}

count_reports() { # DIR: non-empty report files
	find "$1" -type f -size +0 2>/dev/null | wc -l
}

case "$MODE" in
asan)
	BUILD="$ROOT/build-asan"
	configure_and_build "$BUILD" -DDC_SANITIZE=address,undefined
	REPORTS="$BUILD/reports"
	rm -rf "$REPORTS" && mkdir -p "$REPORTS"
	# exitcode=99: a report can never pass for the program's own 1 (partial). log_path keeps
	# every report, also from runs whose tests only look at the exit status.
	export ASAN_OPTIONS="detect_leaks=1:exitcode=99:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:log_path=$REPORTS/asan"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=99:log_path=$REPORTS/ubsan"
	export LSAN_OPTIONS="exitcode=99"
	# The protocol tests give the binary a clean environment: pass the options through.
	export DC_PROTOCOL_WRAPPER="env ASAN_OPTIONS=$ASAN_OPTIONS UBSAN_OPTIONS=$UBSAN_OPTIONS LSAN_OPTIONS=$LSAN_OPTIONS"
	# The fault tests time the process from its exec to its exit: ASan's start-up (the shadow
	# memory) and LeakSanitizer's scan at exit lie outside the program's own clock and, on a
	# loaded 2-core machine, took 0.8 s of a run whose report said 2.07 s for a 2 s deadline.
	# The 0.5 s promise is held by the plain build (make test); here the limits are scaled, as
	# under valgrind (8).
	export DC_FAULTS_SLACK="${DC_FAULTS_SLACK:-3}"
	rc=0
	ctest --test-dir "$BUILD" --output-on-failure -j"$JOBS" "$@" || rc=1
	;;
valgrind)
	command -v valgrind >/dev/null || { echo "sanitize.sh: valgrind not installed (apt-get install valgrind)" >&2; exit 2; }
	BUILD="$ROOT/build-valgrind"
	DC_SANITIZE_ENGINES="${DC_VALGRIND_ENGINES:-docker26}" configure_and_build "$BUILD"
	REPORTS="$BUILD/reports"
	rm -rf "$REPORTS" && mkdir -p "$REPORTS"
	# -q: only errors reach the log (one file per process); definite leaks are errors, other
	# kinds are not shown. --vgdb=no: started as root, the program drops to an unprivileged
	# uid and could not remove valgrind's gdbserver FIFOs from /tmp (a line in every log).
	# The fault tests scale their time limits for valgrind's start-up; the e2e `until` test
	# gets wider gaps between its batches for the same reason.
	export DC_E2E_UNTIL_GAP="${DC_E2E_UNTIL_GAP:-10}"
	VG="valgrind -q --vgdb=no --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite --track-fds=no"
	export DC_PROTOCOL_WRAPPER="$VG --log-file=$REPORTS/protocol.%p"
	export DC_WRAPPER="$VG --log-file=$REPORTS/e2e.%p"
	rc=0
	# Unit executables: each under valgrind, as ctest would run them, nproc + 1 at a time (they
	# are CPU-bound: test_state and test_api, which build replies and files at their caps, take
	# ~45 s each under valgrind, the other twelve ~20 s together; one at a time, 110 s of CI).
	unit_vg() { # EXECUTABLE: one unit test under valgrind; its verdict on stdout or stderr
		local name
		name="$(basename "$1")"
		if ! CMOCKA_MESSAGE_OUTPUT=stdout $VG --log-file="$REPORTS/unit.$name.%p" "$1" >"$REPORTS/../unit-$name.out" 2>&1; then
			echo "unit $name: FAILED under valgrind (see $REPORTS/../unit-$name.out)" >&2
			return 1
		fi
		echo "unit $name: ok under valgrind"
	}
	slots=$(($(nproc) + 1)) running=0
	for t in "$BUILD"/tests/unit/test_*; do
		[ -x "$t" ] || continue
		if [ "$running" -ge "$slots" ]; then
			wait -n || rc=1
			running=$((running - 1))
		fi
		unit_vg "$t" &
		running=$((running + 1))
	done
	while [ "$running" -gt 0 ]; do
		wait -n || rc=1
		running=$((running - 1))
	done
	# rootonly.* repeat the protocol tests on a 0600 socket (the same code once connected); the
	# adopted connections' memory is checked here by privileges.*, so valgrind skips the repeat
	# (~130 s of valgrind time; ASan and the plain suite run it).
	ctest --test-dir "$BUILD" --output-on-failure -j"$JOBS" -LE '^unit$' -E '^rootonly[.]' "$@" || rc=1
	;;
*)
	echo "usage: $0 asan|valgrind [CTEST ARGS...]" >&2
	exit 2
	;;
esac

n="$(count_reports "$REPORTS")"
if [ "$n" -gt 0 ]; then
	echo "sanitize.sh $MODE: $n report(s) in $REPORTS:" >&2
	find "$REPORTS" -type f -size +0 | head -5 | while read -r f; do echo "== $f" >&2; head -30 "$f" >&2; done
	rc=1
fi
echo "sanitize.sh $MODE: $([ "$rc" -eq 0 ] && echo ok || echo FAILED), $n report(s)"
exit "$rc"
