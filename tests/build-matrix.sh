#!/usr/bin/env bash
# Builds docker-cleaner in the configurations a user can choose besides the test build, each with
# the project's -Werror warnings: `make static` (Release, static glibc), Debug, MinSizeRel (the
# image's optimisation level) and clang Release. Optimisation levels change what the compiler
# proves (gcc's -Wformat-truncation at -O2/-O3 found a buffer in remove.c that the
# RelWithDebInfo test build did not), so a warning in any of them fails here, not on a user's
# machine. Each configuration builds in its own directory under ${TMPDIR:-/tmp}; the binary must
# then print its version.
#
#   tests/build-matrix.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

out="$(mktemp -d "${TMPDIR:-/tmp}/dc-build-matrix.XXXXXX")"
trap 'rm -rf "$out"' EXIT
fail=0

build() { # NAME CC [cmake args...]
	local name="$1" cc="$2"
	shift 2
	local dir="$out/$name"
	if ! command -v "$cc" >/dev/null; then
		echo "build-matrix: $name: compiler $cc not found" >&2
		fail=1
		return
	fi
	if CC="$cc" cmake -S . -B "$dir" -DDC_TESTS=OFF "$@" >"$out/$name.log" 2>&1 &&
		cmake --build "$dir" -j "$(nproc)" >>"$out/$name.log" 2>&1 &&
		"$dir/docker-cleaner" --version >>"$out/$name.log" 2>&1; then
		echo "build-matrix: $name: ok"
	else
		echo "build-matrix: $name: FAILED" >&2
		grep -E 'error|warning' "$out/$name.log" | head -20 >&2 || tail -20 "$out/$name.log" >&2
		fail=1
	fi
}

# make static's configuration (Makefile: static).
build static-release cc -DCMAKE_BUILD_TYPE=Release -DDC_STATIC=ON
build debug cc -DCMAKE_BUILD_TYPE=Debug
build minsizerel cc -DCMAKE_BUILD_TYPE=MinSizeRel
build clang-release clang -DCMAKE_BUILD_TYPE=Release
exit "$fail"
