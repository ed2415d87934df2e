#!/bin/bash
# run.sh [SECONDS_PER_TARGET]: builds the libFuzzer targets with clang (ASan+UBSan) in
# build-fuzz/ and fuzzes each from its committed seed corpus (tests/fuzz/corpus/<target>)
# for a bounded time (default 60 s). Fails on any crash, leak, timeout or sanitizer report;
# the failing input is left in build-fuzz/artifacts/. New inputs the fuzzer finds go to a
# scratch corpus in build-fuzz/, never into the committed one.
set -euo pipefail

SECS="${1:-60}"
case "$SECS" in '' | *[!0-9]*) echo "usage: $0 [SECONDS_PER_TARGET]" >&2; exit 2 ;; esac
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="$ROOT/build-fuzz"
CC="${CC:-clang}"
command -v "$CC" >/dev/null || { echo "run.sh: $CC not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_C_COMPILER="$CC" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DDC_FUZZ=ON -DDC_SANITIZE=address,undefined -DDC_E2E_ENGINES= >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target fuzz_http fuzz_api fuzz_json fuzz_input >/dev/null

status=0
mkdir -p "$BUILD/artifacts"
for t in http api json input; do
  seeds="$ROOT/tests/fuzz/corpus/$t"
  work="$BUILD/corpus-$t"
  mkdir -p "$work"
  log="$BUILD/fuzz-$t.log"
  # -max_total_time bounds the run; -timeout catches hangs on one input; -rss_limit_mb a
  # runaway allocation; leaks are reports (LeakSanitizer). The scratch corpus comes first:
  # libFuzzer writes new inputs into the first directory.
  rc=0
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=0" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "$BUILD/tests/fuzz/fuzz_$t" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$BUILD/artifacts/$t-" "$work" "$seeds" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
  if [ "$rc" -ne 0 ] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$log"; then
    echo "fuzz_$t: FAILED (exit $rc) after ${execs:-?} executions; see $log and $BUILD/artifacts/" >&2
    grep -E 'ERROR|runtime error|SUMMARY|Test unit written' "$log" | head -20 >&2 || true
    status=1
  else
    echo "fuzz_$t: ok, ${execs:-?} executions in ${SECS}s (${rate:-?}/s), ${cov:-cov: ?}, corpus $(find "$seeds" -type f | wc -l) seeds + $(find "$work" -type f | wc -l) found"
  fi
done
exit $status
