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
# Docker 28.5.2 (with containerd 2.1.9) and Podman 5.8.6 come from Debian sid the same way, pinned
# to exact versions and SHA-256 sums (below), into $DC_CACHE/docker28 and $DC_CACHE/podman5.
# Podman 5.8 needs glibc 2.38+ and sid-only libraries: sid's libc6 and those libraries are unpacked
# into the private root too, and podman, netavark and aardvark-dns (and the unpacked libraries) are
# pointed at that root's loader and libraries with patchelf (--set-interpreter, --set-rpath); no
# LD_LIBRARY_PATH, so bookworm's conmon and runc, which podman starts, still use the host's glibc.
# When sid moves past a pin, the fetch fails with a clear message: update the pins and sums.
# Podman 6.1.1 and netavark 2.0 come from Debian experimental, the rest of their tree from
# podman5's, into $DC_CACHE/podman6.
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
# nftables: netavark 2.0 (Podman 6, below) drives the firewall with `nft` only.
PKGS_ENGINES+=(nftables)
# Test tooling: busybox-static for the base image, curl for /_ping, GNU time for the fault
# tests' peak RSS (test_faults.py), and what the scripts use.
PKGS_TOOLS=(busybox-static curl jq python3 python3-yaml shellcheck systemd man-db ca-certificates util-linux procps coreutils tar xz-utils strace stress-ng time)
# Robustness checks: clang with libFuzzer and the sanitizer runtimes (tests/fuzz/run.sh), valgrind
# (tests/sanitize.sh valgrind).
PKGS_TOOLS+=(clang libclang-rt-14-dev valgrind)
# promtool (Debian's prometheus, ~96 MB installed: the real checker, no smaller package has it)
# checks the METRICS_FILE output (tests/protocol/test_metrics.py).
PKGS_TOOLS+=(prometheus)
# patchelf: Podman 5's binaries are pointed at sid's glibc in a private root (see above).
PKGS_TOOLS+=(patchelf)

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

# ---------------------------------------------------------------- private apt fetches
CACHE="${DC_CACHE:-/var/cache/docker-cleaner}"
mkdir -p "$CACHE"

# fetch_debs SUITE DEST SPEC...: download the packages SPEC ("name=version sha256") from Debian
# SUITE with a private apt configuration (nothing of the host's apt state is read or changed),
# check each .deb's SHA-256 against its pin, and `dpkg -x` them all into DEST (created).
fetch_debs() {
	local suite="$1" dest="$2" spec name ver sum deb n=0
	shift 2
	local apt="$CACHE/apt-$suite" keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	[ -f "$keyring" ] || die "missing $keyring (debian-archive-keyring)"
	rm -rf "$apt"
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/debs" "$dest"
	printf 'deb [signed-by=%s] http://deb.debian.org/debian %s main\n' "$keyring" "$suite" >"$apt/sources.list"
	local aptopts=(
		-o "Dir::Etc::SourceList=$apt/sources.list"
		-o "Dir::Etc::SourceParts=/dev/null"
		-o "Dir::Etc::Preferences=/dev/null"
		-o "Dir::Etc::PreferencesParts=/dev/null"
		-o "Dir::State::Lists=$apt/lists"
		-o "Dir::Cache=$apt/cache"
		-o "Acquire::Languages=none"
		-o "APT::Get::List-Cleanup=false"
	)
	apt-get "${aptopts[@]}" update -q || die "apt-get update ($suite, private config) failed"
	# apt drops to the _apt user for downloads; let it write there (else a warning, and it runs as root).
	chown _apt "$apt/debs" 2>/dev/null || true
	local want=()
	for spec in "$@"; do want+=("${spec%% *}"); done
	(cd "$apt/debs" && apt-get "${aptopts[@]}" download "${want[@]}") ||
		die "apt-get download from $suite failed: ${want[*]} (has $suite moved past a pin? update the pins in $0)"
	for spec in "$@"; do
		name="${spec%%=*}"
		ver="${spec#*=}"
		ver="${ver%% *}"
		sum="${spec##* }"
		deb="$(find "$apt/debs" -maxdepth 1 -name "${name}_*.deb" | head -n1)"
		[ -n "$deb" ] || die "$name=$ver: no .deb downloaded"
		[ "$(dpkg-deb -f "$deb" Version)" = "$ver" ] || die "$deb: version $(dpkg-deb -f "$deb" Version), pinned $ver"
		[ "$(sha256sum <"$deb" | cut -d' ' -f1)" = "$sum" ] || die "$deb: SHA-256 differs from the pin $sum"
		dpkg -x "$deb" "$dest" || die "dpkg -x $deb failed"
		n=$((n + 1))
	done
	[ "$n" = "$#" ] || die "expected $# packages from $suite, got $n"
	rm -rf "$apt" # the lists are ~100 MB; the extracted files are all we keep
}

# ---------------------------------------------------------------- Docker 26.1.5 from trixie
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
else
	log "fetching Docker 26 (docker.io, containerd) from Debian trixie into $D26"
	rm -rf "$D26.tmp"
	APT="$CACHE/apt-trixie"
	rm -rf "$APT"
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
	rm -rf "$APT"
	docker26_valid || die "docker26 in $D26 is not usable: $("$D26/usr/sbin/dockerd" --version 2>&1 || true)"
	log "docker26 ready: $("$D26/usr/sbin/dockerd" --version)"
fi

# ---------------------------------------------------------------- Docker 28.5.2 from sid
# Used by two engine kinds: docker28 (graph drivers) and docker28c (containerd image store).
D28="$CACHE/docker28"
D28_PINS=(
	"docker.io=28.5.2+dfsg4-5 69a59cc77a1fb8ee9ad6859abc2e6de5d76b70887405595c2b1307818fecf682"
	"containerd=2.1.9+ds1-5 2dda86ce7033fd612fc50e136679d8174ccad680eb29cd4611e0d2a1b84cf591"
)

docker28_valid() {
	[ -f "$D28/.complete" ] &&
		[ "$(cat "$D28/.complete")" = "${D28_PINS[*]}" ] &&
		[ -x "$D28/usr/sbin/dockerd" ] &&
		[ -x "$D28/usr/bin/containerd" ] &&
		[ -x "$D28/usr/bin/containerd-shim-runc-v2" ] &&
		[ ! -e "$D28/usr/sbin/runc" ] && [ ! -e "$D28/usr/bin/runc" ] &&
		"$D28/usr/sbin/dockerd" --version 2>/dev/null | grep -q ' 28\.5\.2' &&
		"$D28/usr/bin/containerd" --version 2>/dev/null | grep -q ' 2\.1\.9'
}

if docker28_valid; then
	log "docker28 already in $D28 ($("$D28/usr/sbin/dockerd" --version))"
else
	log "fetching Docker 28.5.2 (docker.io, containerd 2.1.9) from Debian sid into $D28"
	rm -rf "$D28.tmp"
	fetch_debs sid "$D28.tmp" "${D28_PINS[@]}"
	# sid's runc needs glibc 2.38; without it on PATH, bookworm's /usr/sbin/runc is found.
	rm -f "$D28.tmp/usr/sbin/runc" "$D28.tmp/usr/bin/runc"
	printf '%s' "${D28_PINS[*]}" >"$D28.tmp/.complete"
	rm -rf "$D28"
	mv "$D28.tmp" "$D28"
	docker28_valid || die "docker28 in $D28 is not usable: $("$D28/usr/sbin/dockerd" --version 2>&1 || true)"
	log "docker28 ready: $("$D28/usr/sbin/dockerd" --version)"
fi

# ---------------------------------------------------------------- Podman 5.8.6 from sid
# patch_podman_tree TMP FINAL: points podman, netavark and aardvark-dns unpacked in TMP (and the
# libraries unpacked beside them) at the loader and libraries the tree will have once renamed
# to FINAL.
patch_podman_tree() {
	local tmp="$1" lib="$2/usr/lib/x86_64-linux-gnu" b f
	for b in usr/bin/podman usr/lib/podman/netavark usr/lib/podman/aardvark-dns; do
		patchelf --set-interpreter "$lib/ld-linux-x86-64.so.2" --set-rpath "$lib" "$tmp/$b" ||
			die "patchelf $b failed"
	done
	# A RUNPATH is not inherited: the unpacked libraries that need each other (or sid's libm for
	# sqlite) find them through their own.
	for f in "$tmp"/usr/lib/x86_64-linux-gnu/*.so*; do
		if [ ! -f "$f" ] || [ -L "$f" ]; then continue; fi
		case "${f##*/}" in ld-linux-* | libc.so.*) continue ;; esac
		patchelf --set-rpath "$lib" "$f" 2>/dev/null || true # (non-ELF files, such as linker scripts)
	done
}

P5="$CACHE/podman5"
P5_PINS=(
	"podman=5.8.6+ds1-3 45258cc511e603ab5414dffaaa0be729fdf6fdba816eccdd1074bdc74421f9c0"
	"netavark=1.17.2-3 5d810107d0910a2b538eab2d51eba78390ca58f8193a57f75f737843ac194553"
	"aardvark-dns=1.17.1-3 600b6fbedad8061b0aa80efe7818bcae6e2d2efe22eec0aec6530a6c548c3539"
	# glibc 2.43 and the libraries that bookworm lacks or has too old (podman: libsubid.so.6,
	# libgpgme.so.45 with libassuan.so.9 and libgpg-error, libseccomp 2.6, sqlite; netavark:
	# libgcc_s); every other library comes from the host, loaded by sid's loader.
	"libc6=2.43-7 5c71715c51103beb4fbba9fe9f8dff604af6610dfa71c70bff342f54a7860803"
	"libgcc-s1=16.2.0-4 d251ea642c3795e8723ac2b9eeebe511467ca04590ba70f3d555a7616787d7e3"
	"libsubid6=1:4.20.3-1 071637c5c05d6431827b45f00ec1de298f469a1e10cb6207fc015b07be018a98"
	"libgpgme45=2.2.0-2 fac6ca780ade1cd55897015563f6a756854aefd8918e0af55aacfb5e9e032ad3"
	"libassuan9=3.0.2-2+b2 3f63fc652b19b5720dec7fa75275d9c1bb06de865f3ec748e1512cccac3738d9"
	"libgpg-error0=1.61-5 ef307016953fca2d257786cb323ad7c3b8b84fe9e17a64c9adeaae5d5a434d30"
	"libseccomp2=2.6.1-1+b2 2d97c9f6ce55043caff1f6818ff9f85693528604f9d7538bd1ff61a492db8567"
	"libsqlite3-0=3.53.4-2 bbf13c9326764d05e37e6590debdaa6f33af6bd822e3ca1204789d9d1dc23b11"
)

podman5_valid() {
	[ -f "$P5/.complete" ] &&
		[ "$(cat "$P5/.complete")" = "${P5_PINS[*]}" ] &&
		[ -x "$P5/usr/bin/podman" ] &&
		[ -x "$P5/usr/lib/podman/netavark" ] &&
		[ -x "$P5/usr/lib/podman/aardvark-dns" ] &&
		"$P5/usr/bin/podman" --version 2>/dev/null | grep -q ' 5\.8\.6$' &&
		"$P5/usr/lib/podman/netavark" --version >/dev/null 2>&1
}

if podman5_valid; then
	log "podman5 already in $P5 ($("$P5/usr/bin/podman" --version))"
else
	log "fetching Podman 5.8.6 (podman, netavark, aardvark-dns, glibc 2.43 and libraries) from Debian sid into $P5"
	rm -rf "$P5.tmp"
	fetch_debs sid "$P5.tmp" "${P5_PINS[@]}"
	patch_podman_tree "$P5.tmp" "$P5"
	printf '%s' "${P5_PINS[*]}" >"$P5.tmp/.complete"
	rm -rf "$P5"
	mv "$P5.tmp" "$P5"
	podman5_valid || die "podman5 in $P5 is not usable: $("$P5/usr/bin/podman" --version 2>&1 || true)"
	log "podman5 ready: $("$P5/usr/bin/podman" --version)"
fi

# ---------------------------------------------------------------- Podman 6.1.1 from experimental
# Podman 6 and the netavark it needs (2.0: its network configuration changed, and it has only the
# nftables firewall, hence Debian's nftables package above) from Debian experimental; aardvark-dns,
# glibc and the libraries are podman5's (the same pins), copied from its tree. Podman 6 refuses
# cgroup v1: engine.sh runs it in a mount namespace of its own on a v1 host.
P6="$CACHE/podman6"
P6_PINS=(
	"podman=6.1.1+ds1-1+b1 b7cbb0043b073d4100fc725ced3968a4df3f0298411b9f9079dd2790c4fb8eac"
	"netavark=2.0.0-1 de3f8f790ce97c6a6c0fe5361cd901c7ab480fcf28f23b2c9aac23c3b8bc39da"
)
P6_STAMP="${P6_PINS[*]} ${P5_PINS[*]}" # what the tree is made of (podman5's part included)

podman6_valid() {
	[ -f "$P6/.complete" ] &&
		[ "$(cat "$P6/.complete")" = "$P6_STAMP" ] &&
		[ -x "$P6/usr/lib/podman/aardvark-dns" ] &&
		"$P6/usr/bin/podman" --version 2>/dev/null | grep -q ' 6\.1\.1$' &&
		"$P6/usr/lib/podman/netavark" --version 2>/dev/null | grep -q ' 2\.0\.0$'
}

if podman6_valid; then
	log "podman6 already in $P6 ($("$P6/usr/bin/podman" --version))"
else
	log "fetching Podman 6.1.1 (podman, netavark 2.0) from Debian experimental into $P6"
	rm -rf "$P6.tmp"
	cp -a "$P5" "$P6.tmp" || die "cannot copy $P5 to $P6.tmp"
	rm -f "$P6.tmp/.complete"
	fetch_debs experimental "$P6.tmp" "${P6_PINS[@]}"
	patch_podman_tree "$P6.tmp" "$P6"
	printf '%s' "$P6_STAMP" >"$P6.tmp/.complete"
	rm -rf "$P6"
	mv "$P6.tmp" "$P6"
	podman6_valid || die "podman6 in $P6 is not usable: $("$P6/usr/bin/podman" --version 2>&1 || true)"
	log "podman6 ready: $("$P6/usr/bin/podman" --version)"
fi
