#!/usr/bin/env bash
# Install everything the build and the real-engine tests need, on a Debian 12 (bookworm) machine.
#
#   tests/engines/install-deps.sh            # as root
#
# Idempotent and quick on re-runs: apt is only called for packages that are missing, and the
# Docker 26 daemon binaries are only fetched when the cache does not already hold a valid copy.
#
# Docker 26.1.5 comes from Debian trixie's packages (bookworm cannot install them, but their
# daemon binaries run on bookworm): a private apt configuration downloads docker.io and containerd
# from trixie and `dpkg -x` unpacks them into ${DC_CACHE:-/var/cache/docker-cleaner}/docker26.
# The extracted runc is deleted: it needs glibc 2.38, bookworm's /usr/sbin/runc is used instead.
#
# Installing packages never starts a daemon: a temporary policy-rc.d forbids service starts
# (no test may ever talk to a daemon it did not start itself, such as one on /var/run/docker.sock).
set -euo pipefail

log() { printf 'install-deps: %s\n' "$*" >&2; }
die() { printf 'install-deps: ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (apt-get, dpkg)"

export DEBIAN_FRONTEND=noninteractive
export NEEDRESTART_SUSPEND=1 NEEDRESTART_MODE=l

# Build: compiler, cmake, libraries (llhttp's C sources ship in node-llhttp).
PKGS_BUILD=(build-essential cmake pkg-config libuv1-dev node-llhttp libjansson-dev libcmocka-dev)
# Engines: Docker 20.10 (dockerd, containerd, runc, and a 20.10 CLI with built-in BuildKit at
# /usr/bin/docker), Podman 4.3 with netavark (rootful; no rootless helpers are needed:
# uidmap, slirp4netns, fuse-overlayfs and catatonit are only used by rootless podman),
# aardvark-dns (podman turns DNS on for user networks), iptables (netavark and dockerd need the binary).
PKGS_ENGINES=(docker.io containerd runc podman netavark aardvark-dns conmon iptables)
# Test tooling: busybox-static for the base image, curl for /_ping, and what the scripts use.
PKGS_TOOLS=(busybox-static curl jq python3 python3-yaml shellcheck systemd man-db ca-certificates util-linux procps coreutils tar xz-utils strace stress-ng)
# Robustness checks: clang with libFuzzer and the sanitizer runtimes (tests/fuzz/run.sh), valgrind
# (tests/sanitize.sh valgrind).
PKGS_TOOLS+=(clang libclang-rt-14-dev valgrind)
# promtool (Debian's prometheus, ~96 MB installed: the real checker, no smaller package has it)
# checks the METRICS_FILE output (tests/protocol/test_metrics.py).
PKGS_TOOLS+=(prometheus)

is_installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = installed ]
}

missing=()
for p in "${PKGS_BUILD[@]}" "${PKGS_ENGINES[@]}" "${PKGS_TOOLS[@]}"; do
	is_installed "$p" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
	log "installing: ${missing[*]}"
	# Forbid service starts while packages are configured, but only if no policy is in place.
	policy=/usr/sbin/policy-rc.d
	own_policy=0
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		own_policy=1
		trap '[ "$own_policy" = 1 ] && rm -f "$policy"' EXIT
	fi
	apt-get update -q || die "apt-get update failed"
	apt-get install -y -q --no-install-recommends "${missing[@]}" ||
		die "apt-get install failed: ${missing[*]}"
	if [ "$own_policy" = 1 ]; then rm -f "$policy"; own_policy=0; fi
	for p in "${missing[@]}"; do
		is_installed "$p" || die "package $p is still not installed"
	done
else
	log "all Debian packages already installed"
fi

for b in dockerd containerd runc /usr/bin/docker podman conmon busybox curl cmake; do
	command -v "$b" >/dev/null 2>&1 || [ -x "$b" ] || die "missing binary after install: $b"
done
[ -x /usr/lib/podman/netavark ] || command -v netavark >/dev/null 2>&1 ||
	die "netavark not found after install"
# busybox-static's binary must be static: it is copied alone into the base image.
if ldd /bin/busybox >/dev/null 2>&1; then die "/bin/busybox is not static (is busybox-static installed?)"; fi

# ---------------------------------------------------------------- Docker 26.1.5 from trixie
CACHE="${DC_CACHE:-/var/cache/docker-cleaner}"
D26="$CACHE/docker26"

docker26_valid() {
	[ -f "$D26/.complete" ] &&
		[ -x "$D26/usr/sbin/dockerd" ] &&
		[ -x "$D26/usr/bin/containerd" ] &&
		[ -x "$D26/usr/bin/containerd-shim-runc-v2" ] &&
		[ ! -e "$D26/usr/sbin/runc" ] && [ ! -e "$D26/usr/bin/runc" ] &&
		"$D26/usr/sbin/dockerd" --version 2>/dev/null | grep -q ' 26\.'
}

if docker26_valid; then
	log "docker26 already in $D26 ($("$D26/usr/sbin/dockerd" --version))"
	exit 0
fi

log "fetching Docker 26 (docker.io, containerd) from Debian trixie into $D26"
APT="$CACHE/apt-trixie"
rm -rf "$APT" "$D26.tmp"
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/debs" "$D26.tmp"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || die "missing $keyring (debian-archive-keyring)"
printf 'deb [signed-by=%s] http://deb.debian.org/debian trixie main\n' "$keyring" >"$APT/sources.list"
aptopts=(
	-o "Dir::Etc::SourceList=$APT/sources.list"
	-o "Dir::Etc::SourceParts=/dev/null"
	-o "Dir::Etc::Preferences=/dev/null"
	-o "Dir::Etc::PreferencesParts=/dev/null"
	-o "Dir::State::Lists=$APT/lists"
	-o "Dir::Cache=$APT/cache"
	-o "Acquire::Languages=none"
	-o "APT::Get::List-Cleanup=false"
)
apt-get "${aptopts[@]}" update -q || die "apt-get update (trixie, private config) failed"
# apt drops to the _apt user for downloads; let it write there (else a warning, and it runs as root).
chown _apt "$APT/debs" 2>/dev/null || true
(cd "$APT/debs" && apt-get "${aptopts[@]}" download docker.io/trixie containerd/trixie) ||
	die "apt-get download docker.io/trixie containerd/trixie failed"
n=0
for deb in "$APT"/debs/*.deb; do
	[ -f "$deb" ] || continue
	dpkg-deb --info "$deb" >/dev/null || die "corrupt package $deb"
	dpkg -x "$deb" "$D26.tmp" || die "dpkg -x $deb failed"
	n=$((n + 1))
done
[ "$n" = 2 ] || die "expected 2 packages in $APT/debs, got $n"
# trixie's runc needs glibc 2.38; without it on PATH, bookworm's /usr/sbin/runc is found.
rm -f "$D26.tmp/usr/sbin/runc" "$D26.tmp/usr/bin/runc"
touch "$D26.tmp/.complete"
rm -rf "$D26"
mv "$D26.tmp" "$D26"
rm -rf "$APT" # the lists are ~100 MB; the extracted binaries are all we keep
docker26_valid || die "docker26 in $D26 is not usable: $("$D26/usr/sbin/dockerd" --version 2>&1 || true)"
log "docker26 ready: $("$D26/usr/sbin/dockerd" --version)"
