#!/usr/bin/env bash
# Installs the build's dependencies from Debian's packages and verifies them against
# vendor/pins.txt. No third-party source is kept in this repository.
#
#   vendor/fetch.sh            install what is missing (as root, or through sudo), then verify
#   vendor/fetch.sh --verify   verify only
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pins="$here/pins.txt"
say() { printf 'vendor: %s\n' "$*" >&2; }
die() { printf 'vendor: ERROR: %s\n' "$*" >&2; exit 1; }

build_pkgs=(build-essential cmake pkg-config help2man)
mapfile -t pinned < <(awk '$1 == "package" { print $2 }' "$pins")

installed_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }

if [ "${1:-}" != "--verify" ]; then
	missing=()
	for p in "${build_pkgs[@]}" "${pinned[@]}"; do
		[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" = installed ] || missing+=("$p")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		sudo=""
		[ "$(id -u)" = 0 ] || sudo="sudo"
		say "installing ${missing[*]}"
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
	fi
fi

status=0
while read -r kind a b; do
	case "$kind" in
	package)
		v="$(installed_version "$a")"
		[ -n "$v" ] || { say "$a is not installed"; status=1; continue; }
		case "$v" in
		"$b"*) ;;
		*) say "$a: installed $v, pinned $b: review the new upstream version, then update vendor/pins.txt"; status=1 ;;
		esac
		;;
	sha256)
		# A system libllhttp makes the compiled sources unnecessary.
		if [ -e /usr/include/llhttp.h ] && ls /usr/lib/*/libllhttp.so* >/dev/null 2>&1; then continue; fi
		[ -f "$b" ] || { say "missing $b"; status=1; continue; }
		got="$(sha256sum "$b" | cut -d' ' -f1)"
		[ "$got" = "$a" ] || { say "$b: sha256 $got, pinned $a: review the change, then update vendor/pins.txt"; status=1; }
		;;
	esac
done < <(grep -Ev '^[[:space:]]*(#|$)' "$pins")
[ "$status" = 0 ] || die "dependencies do not match vendor/pins.txt"
say "dependencies match vendor/pins.txt"
