#!/usr/bin/env bash
# Build the real image (docker/Dockerfile) and test it on a private Docker 26 engine, with no
# container registry: the builder's base image is made locally with debootstrap.
#
#   tests/image/run.sh        # as root, on a Debian 12 machine that reaches Debian's mirror
#
# 1. debootstrap a bookworm minbase rootfs from http://deb.debian.org/debian (cached as a tarball
#    under ${DC_CACHE:-/var/cache/docker-cleaner}, so re-runs skip it) and `docker import` it under
#    the name the Dockerfile's builder FROM uses (debian:bookworm-slim);
# 2. build docker/Dockerfile with the engine's classic builder, --network host (the builder's
#    RUN steps reach Debian's mirror; the private engine has no bridge);
# 3. assert: the image is under 1 MiB and carries its OCI labels; started as root with the
#    hardened flags against a socket of group 4242 (mode 0660) it cleans, and its debug log shows
#    uid 65532 with group 4242; `--user 65532 --group-add 4242` works; `--user 65532` alone exits 2
#    with the permission error naming the socket and the fix; on a root-only socket (0755 and 0600
#    root:root, as Docker Desktop and a hand-started podman make it) the root start with the
#    hardened flags cleans and `--user 65532` alone exits 2; `docker stop` ends a run that waits
#    on a silent server by itself (SIGTERM, not the kill after the stop timeout), with the report
#    printed.
#
# The engine is tests/engines/engine.sh's docker26 under DC_ENGINE_DIR (default /tmp/dc-img) with
# address pool DC_POOL_BASE (default 22), so it can run next to the e2e engines. The containers
# run on that engine and clean that same engine through its bind-mounted private socket. Nothing
# here touches /var/run/docker.sock of the machine. The engine is stopped at exit.
#
# Environment: DC_IMAGE_CONTEXT (build context, default this tree), DC_IMAGE_KEEP=1 (keep the
# outputs), DC_IMAGE_BUILDKIT=1 (build with BuildKit instead of the classic builder), DC_CACHE,
# DC_DEBIAN_MIRROR, DC_DOCKER_CLI, DC_STOP_TIMEOUT (docker stop -t, default 30 s: a run still
# there then is killed, exit 137), DC_WAIT_POLLS (tenths of a second to wait for the silent
# server and the connection, default 600). No check depends on how fast the machine is.
set -Eeuo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ENGINE_SH="$REPO/tests/engines/engine.sh"
# The build context (default: this tree); another checkout of the project may be named instead.
CONTEXT="${DC_IMAGE_CONTEXT:-$REPO}"
export DC_ENGINE_DIR="${DC_ENGINE_DIR:-/tmp/dc-img}"
export DC_POOL_BASE="${DC_POOL_BASE:-22}"
CACHE="${DC_CACHE:-/var/cache/docker-cleaner}"
MIRROR="${DC_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
ROOTFS_TAR="$CACHE/bookworm-minbase-rootfs.tar"
DOCKER_CLI="${DC_DOCKER_CLI:-/usr/bin/docker}"
IMAGE="docker-cleaner:image-test"
MAX_SIZE=1048576
STOP_TIMEOUT="${DC_STOP_TIMEOUT:-30}"
WAIT_POLLS="${DC_WAIT_POLLS:-600}"
GID=4242

unset DOCKER_CONTEXT DOCKER_HOST DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_API_VERSION CONTAINER_HOST

T0=$SECONDS
FAILS=0
SERVER_PID=
WORK=

log() { printf 'image-test [%3ds]: %s\n' "$((SECONDS - T0))" "$*" >&2; }
die() { printf 'image-test: ERROR: %s\n' "$*" >&2; exit 1; }
ok() { printf 'ok - %s\n' "$*"; }
not_ok() { printf 'not ok - %s\n' "$*"; FAILS=$((FAILS + 1)); }
check() { # description command...
	local what="$1"
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
ms() { echo $(($(date +%s%N) / 1000000)); }

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, the private engine)"

cleanup() {
	local rc=$?
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then kill "$SERVER_PID" 2>/dev/null || true; fi
	"$ENGINE_SH" stop docker26 || true
	if [ -n "$WORK" ]; then
		if [ "$rc" = 0 ] && [ "${DC_IMAGE_KEEP:-0}" != 1 ]; then rm -rf "$WORK"; else echo "work dir kept: $WORK" >&2; fi
	fi
	exit "$rc"
}
trap cleanup EXIT

# ------------------------------------------------------------------ tools
"$REPO/tests/engines/install-deps.sh"
if ! command -v debootstrap >/dev/null 2>&1; then
	log "installing debootstrap"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null ||
		die "apt-get install debootstrap failed"
fi

# ------------------------------------------------------------------ 1. base image rootfs
BASE_NAME="$(awk 'toupper($1) == "FROM" && toupper($3) == "AS" { print $2; exit }' "$CONTEXT/docker/Dockerfile")"
[ -n "$BASE_NAME" ] || die "no 'FROM <image> AS <stage>' line in docker/Dockerfile"
if [ ! -s "$ROOTFS_TAR" ]; then
	log "debootstrap bookworm (minbase) from $MIRROR"
	mkdir -p "$CACHE"
	rootfs="$CACHE/bookworm-rootfs.tmp"
	rm -rf "$rootfs" "$ROOTFS_TAR.tmp"
	debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 ||
		{ tail -n 30 "$CACHE/debootstrap.log" >&2; die "debootstrap failed (log: $CACHE/debootstrap.log)"; }
	# As in Debian's official images: no package lists or downloaded packages in the image.
	rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
	tar -C "$rootfs" --numeric-owner -cf "$ROOTFS_TAR.tmp" .
	mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
	rm -rf "$rootfs"
	log "rootfs cached: $ROOTFS_TAR ($(du -h "$ROOTFS_TAR" | cut -f1))"
else
	log "rootfs from cache: $ROOTFS_TAR"
fi

# ------------------------------------------------------------------ engine
"$ENGINE_SH" start docker26
eval "$("$ENGINE_SH" env docker26)"
unset DOCKER_HOST # every call below names the socket explicitly
SOCK="$DC_ENGINE_SOCK"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/dc-img-test.XXXXXX")"
chmod 755 "$WORK"
export DOCKER_CONFIG="$WORK/cli"
mkdir -p "$DOCKER_CONFIG"
dk() { timeout -k 5 "${DK_TIMEOUT:-120}" "$DOCKER_CLI" -H "unix://$SOCK" "$@"; }

log "importing the rootfs as $BASE_NAME"
dk import --change 'CMD ["bash"]' "$ROOTFS_TAR" "$BASE_NAME" >/dev/null || die "docker import failed"

# ------------------------------------------------------------------ 2. build
log "building docker/Dockerfile ($([ "${DC_IMAGE_BUILDKIT:-0}" = 1 ] && echo BuildKit || echo classic builder), --network host)"
tb=$SECONDS
version="$(sed -n 's/^project(docker-cleaner VERSION \([0-9.]*\).*/\1/p' "$CONTEXT/CMakeLists.txt")"
if ! DOCKER_BUILDKIT="${DC_IMAGE_BUILDKIT:-0}" DK_TIMEOUT=900 dk build --network host --build-arg "VERSION=$version" \
	-f "$CONTEXT/docker/Dockerfile" -t "$IMAGE" "$CONTEXT" >"$WORK/build.log" 2>&1; then
	tail -n 40 "$WORK/build.log" >&2
	die "docker build failed"
fi
log "built in $((SECONDS - tb))s"

# ------------------------------------------------------------------ 3. checks
size="$(dk image inspect -f '{{.Size}}' "$IMAGE")"
echo "image size: $size bytes ($((size / 1024)) KiB)"
check "image size $size < $MAX_SIZE bytes" [ "$size" -lt "$MAX_SIZE" ]
for l in title description version source licenses; do
	v="$(dk image inspect -f "{{index .Config.Labels \"org.opencontainers.image.$l\"}}" "$IMAGE")"
	check "label org.opencontainers.image.$l is set ($v)" [ -n "$v" ]
done
check "entrypoint is the binary, user is root by default" \
	[ "$(dk image inspect -f '{{json .Config.Entrypoint}} {{.Config.User}}' "$IMAGE")" = '["/docker-cleaner"] ' ]

# The engine's socket gets an unusual group: the program must find it by stat, not by name.
chgrp "$GID" "$SOCK"
chmod 0660 "$SOCK"
HARDENED=(--cap-drop ALL --cap-add SETUID --cap-add SETGID --security-opt no-new-privileges --read-only)

# run_cleaner NAME OUTFILE docker-run-args...: run the image to completion; sets RC.
run_cleaner() {
	local name="$1" out="$2"
	shift 2
	RC=0
	dk run --name "$name" --network none "$@" "$IMAGE" >"$out" 2>&1 || RC=$?
	dk rm -f "$name" >/dev/null 2>&1 || true
}
show() { sed 's/^/    | /' "$1"; }
gone() { ! dk container inspect "$1" >/dev/null 2>&1; }
lacks() { ! grep -Eq "$1" "$2"; }

# (a) root start, hardened: drops to 65532 with the socket's group, cleans.
dk create --network none --name dc-img-stopped-1 testbase:latest true >/dev/null
run_cleaner dc-img-root "$WORK/root.out" "${HARDENED[@]}" -e LOG_LEVEL=debug -v "$SOCK:/var/run/docker.sock"
check "root + hardened flags: exit 0 (got $RC)" [ "$RC" = 0 ]
check "root + hardened flags: the stopped container was removed" gone dc-img-stopped-1
check "root + hardened flags: log shows uid 65532 and group $GID" \
	grep -Eq "dropped root: uid 65532 gid 65532 groups $GID\b" "$WORK/root.out"
grep -E "dropped root" "$WORK/root.out" | sed 's/^/    /' || true
check "root + hardened flags: log never shows uid 0" \
	lacks "uid 0\b" "$WORK/root.out"
[ "$FAILS" = 0 ] || show "$WORK/root.out"

# (b) non-root start with the socket's group: runs as is.
f=$FAILS
dk create --network none --name dc-img-stopped-2 testbase:latest true >/dev/null
run_cleaner dc-img-user "$WORK/user.out" --user 65532 --group-add "$GID" "${HARDENED[@]}" \
	-e LOG_LEVEL=debug -v "$SOCK:/var/run/docker.sock"
check "--user 65532 --group-add $GID: exit 0 (got $RC)" [ "$RC" = 0 ]
check "--user 65532 --group-add $GID: the stopped container was removed" gone dc-img-stopped-2
check "--user 65532 --group-add $GID: log shows uid 65532" grep -q "running as uid 65532" "$WORK/user.out"
[ "$FAILS" = "$f" ] || show "$WORK/user.out"

# (c) non-root start without the group: exit 2 with the error that names the socket and the fix.
f=$FAILS
dk create --network none --name dc-img-stopped-3 testbase:latest true >/dev/null
run_cleaner dc-img-nogroup "$WORK/nogroup.out" --user 65532 "${HARDENED[@]}" -v "$SOCK:/var/run/docker.sock"
check "--user 65532 without the group: exit 2 (got $RC)" [ "$RC" = 2 ]
check "--user 65532 without the group: error names the socket, owner, group and mode" \
	grep -q "permission denied on /var/run/docker.sock (owner uid 0, group gid $GID, mode 0660)" "$WORK/nogroup.out"
check "--user 65532 without the group: error gives the fix (--group-add $GID)" \
	grep -q -- "--group-add $GID" "$WORK/nogroup.out"
check "--user 65532 without the group: nothing removed" dk container inspect dc-img-stopped-3 >/dev/null
[ "$FAILS" = "$f" ] || show "$WORK/nogroup.out"
dk rm -f dc-img-stopped-3 >/dev/null 2>&1 || true

# (e) Docker Desktop's socket, srwxr-xr-x root:root (and 0600 root:root, a hand-started podman):
# only root can open it. Started as root with the hardened flags, the image connects first,
# then drops to 65532 with no group, and cleans.
for mode in 0755 0600; do
	f=$FAILS
	chown 0:0 "$SOCK"
	chmod "$mode" "$SOCK"
	dk create --network none --name dc-img-stopped-4 testbase:latest true >/dev/null
	run_cleaner dc-img-rootonly "$WORK/rootonly.out" "${HARDENED[@]}" -e LOG_LEVEL=debug -v "$SOCK:/var/run/docker.sock"
	check "root-only socket $mode, root + hardened flags: exit 0 (got $RC)" [ "$RC" = 0 ]
	check "root-only socket $mode: the stopped container was removed" gone dc-img-stopped-4
	check "root-only socket $mode: connected before dropping to uid 65532" \
		grep -q "is root-only (owner uid 0, group gid 0, mode $mode): connected before dropping to uid 65532" "$WORK/rootonly.out"
	check "root-only socket $mode: log shows uid 65532 with no group" \
		grep -q "dropped root: uid 65532 gid 65532 groups none" "$WORK/rootonly.out"
	[ "$FAILS" = "$f" ] || show "$WORK/rootonly.out"
	dk rm -f dc-img-stopped-4 >/dev/null 2>&1 || true
done
# (f) the same socket, --user 65532 alone: exit 2 naming the socket and the fix; nothing removed.
f=$FAILS
dk create --network none --name dc-img-stopped-5 testbase:latest true >/dev/null
run_cleaner dc-img-rootonly-user "$WORK/rootonly-user.out" --user 65532 "${HARDENED[@]}" -v "$SOCK:/var/run/docker.sock"
check "root-only socket, --user 65532: exit 2 (got $RC)" [ "$RC" = 2 ]
check "root-only socket, --user 65532: error names the socket, owner, group and mode" \
	grep -q "permission denied on /var/run/docker.sock (owner uid 0, group gid 0, mode 0600)" "$WORK/rootonly-user.out"
check "root-only socket, --user 65532: error gives the fix (start as root)" \
	grep -q "only root can open it: start as root" "$WORK/rootonly-user.out"
check "root-only socket, --user 65532: nothing removed" dk container inspect dc-img-stopped-5 >/dev/null
[ "$FAILS" = "$f" ] || show "$WORK/rootonly-user.out"
dk rm -f dc-img-stopped-5 >/dev/null 2>&1 || true
chgrp "$GID" "$SOCK"
chmod 0660 "$SOCK"

# (d) docker stop while it waits on a server that accepts and never answers.
f=$FAILS
mkdir -p "$WORK/silent"
cat >"$WORK/silent.py" <<'EOF'
import os, socket, sys
path, accepted = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
os.chown(path, 0, int(sys.argv[3]))
os.chmod(path, 0o660)
s.listen(16)
held = []
while True:
    c, _ = s.accept()
    held.append(c)  # keep it open, never answer
    open(accepted, "a").write("accepted\n")
EOF
python3 "$WORK/silent.py" "$WORK/silent/silent.sock" "$WORK/silent/accepted" "$GID" &
SERVER_PID=$!
for _ in $(seq "$WAIT_POLLS"); do [ -S "$WORK/silent/silent.sock" ] && break; sleep 0.1; done
[ -S "$WORK/silent/silent.sock" ] || die "the silent server did not start"
dk run -d --name dc-img-stop --network none "${HARDENED[@]}" \
	-v "$WORK/silent/silent.sock:/var/run/docker.sock" "$IMAGE" >/dev/null
for _ in $(seq "$WAIT_POLLS"); do [ -s "$WORK/silent/accepted" ] && break; sleep 0.1; done
check "silent server: the cleaner connected" [ -s "$WORK/silent/accepted" ]
check "silent server: the cleaner is still waiting" \
	[ "$(dk container inspect -f '{{.State.Running}}' dc-img-stop)" = true ]
t=$(ms)
dk stop -t "$STOP_TIMEOUT" dc-img-stop >/dev/null
elapsed=$(($(ms) - t))
echo "docker stop took ${elapsed} ms"
# Ended by SIGTERM: its own exit status, not the kill (137) after the stop timeout.
code="$(dk container inspect -f '{{.State.ExitCode}}' dc-img-stop)"
check "docker stop: it exited by itself on SIGTERM (exit $code, not 137 after ${STOP_TIMEOUT} s)" [ "$code" != 137 ]
dk logs dc-img-stop >"$WORK/stop.out" 2>&1 || true
check "docker stop: the report was printed (\"Finished in\")" grep -q "Finished in" "$WORK/stop.out"
[ "$FAILS" = "$f" ] || show "$WORK/stop.out"
dk rm -f dc-img-stop >/dev/null 2>&1 || true
kill "$SERVER_PID" 2>/dev/null || true
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=

echo "image size: $size bytes"
log "done in $((SECONDS - T0))s: $FAILS failure(s)"
[ "$FAILS" = 0 ]
