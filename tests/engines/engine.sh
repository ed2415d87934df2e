#!/usr/bin/env bash
# Start, stop and describe private container engines for the end-to-end tests.
#
#   tests/engines/engine.sh start  KIND   # start (idempotent), wait for /_ping, import testbase:latest
#   tests/engines/engine.sh stop   KIND   # stop by pidfile, unmount leftovers, remove the runtime dir
#   tests/engines/engine.sh env    KIND   # print `export DOCKER_HOST=unix://...` (eval it)
#   tests/engines/engine.sh status KIND   # exit 0 if the engine answers /_ping
#
# KIND: docker20 (bookworm's Docker 20.10, API 1.41), docker26 (trixie's Docker 26.1.5, API 1.45,
# from ${DC_CACHE:-/var/cache/docker-cleaner}/docker26, see install-deps.sh), docker28 (sid's
# Docker 28.5.2 with containerd 2.1.9, API 1.51, graph drivers: overlay2), docker28c (the same
# Docker 28.5.2 with the containerd image store, `features: containerd-snapshotter`, the default
# of fresh Docker 29 installs), podman (bookworm's Podman 4.3.1 Docker-compatible service),
# podman5 (sid's Podman 5.8.6 with netavark 1.17, compat API 1.41, from $DC_CACHE/podman5 with
# its own glibc, see install-deps.sh), podman6 (experimental's Podman 6.1.1 with netavark 2.0,
# compat API 1.44, on podman5's glibc, from $DC_CACHE/podman6; it refuses cgroup v1, so on a v1
# host its service and every podman command of this script run in a private mount namespace
# whose /sys/fs/cgroup is the (empty) unified hierarchy: see podman_paths).
#
# Everything an engine owns lives in ${DC_ENGINE_DIR:-/tmp/dc-engines}/KIND: its socket
# (engine.sock), data root, exec/run roots, pidfiles, configuration and daemon.log. Nothing here ever
# talks to /var/run/docker.sock or to a daemon this script did not start:
#  - every docker/podman CLI call names the private socket (DOCKER_HOST/DOCKER_CONTEXT are unset);
#  - each dockerd gets its own containerd (left alone, dockerd would attach to a system containerd
#    at /run/containerd/containerd.sock if one were running) and its own empty daemon.json;
#  - podman gets private --root/--runroot, a private containers.conf (CONTAINERS_CONF) and
#    storage.conf, its network configs under the runtime dir (nothing in /etc/cni or
#    /etc/containers/networks), file locks instead of the machine-wide /dev/shm/libpod_lock;
#  - daemons are stopped only by the pid in their own pidfile (and only if that process's command
#    line names this runtime dir).
# All engines can run at the same time (distinct sockets, roots and address pools:
# 172.29.0.0/16 docker20, 172.30.0.0/16 docker26, 172.28.0.0/16 docker28, 172.27.0.0/16
# docker28c, 172.31.0.0/16 podman, 172.25.0.0/16 podman5, 172.24.0.0/16 podman6, /24 each). A
# second engine of the same kind (another DC_ENGINE_DIR) needs its own pool: DC_POOL_BASE=N uses
# 172.N.0.0/16 (pick 16 to 23 or 26).
# What is shared with the host by design: a dockerd's user networks are bridges on the host
# (removed on stop) with its iptables chains, and containers/image keeps a blob-info cache in
# /var/lib/containers/cache. Each Podman runs in network and mount namespaces of its own (its
# bridges, nftables/iptables rules, aardvark-dns and /run/containers/networks go with it).
# Sockets are 0660 (dockerd: root:docker; podman: root:root, as podman.socket makes it) because
# docker-cleaner started as root drops to an unprivileged uid with the socket's group.
set -euo pipefail

PING_TIMEOUT="${DC_PING_TIMEOUT:-60}"

die() { printf 'engine.sh: ERROR: %s\n' "$*" >&2; exit 1; }
log() { printf 'engine.sh[%s]: %s\n' "$KIND" "$*" >&2; }

usage() {
	echo "usage: $0 start|stop|env|status docker20|docker26|docker28|docker28c|podman|podman5|podman6" >&2
	exit 2
}

[ $# -eq 2 ] || usage
CMD="$1"
KIND="$2"
case "$KIND" in docker20 | docker26 | docker28 | docker28c | podman | podman5 | podman6) ;; *) usage ;; esac
# The engine family: what is started, and how.
case "$KIND" in podman*) FAMILY=podman ;; *) FAMILY=docker ;; esac

unset DOCKER_CONTEXT DOCKER_HOST DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_API_VERSION CONTAINER_HOST

BASE="${DC_ENGINE_DIR:-/tmp/dc-engines}"
DIR="$BASE/$KIND"
SOCK="$DIR/engine.sock"
CACHE="${DC_CACHE:-/var/cache/docker-cleaner}"
D26="$CACHE/docker26"
D28="$CACHE/docker28"
P5="$CACHE/podman5"
P6="$CACHE/podman6"
LOGF="$DIR/daemon.log"
PIDF="$DIR/daemon.pid"
CTRD_PIDF="$DIR/containerd.pid"
# The Docker CLI used for setup. /usr/bin/docker (20.10, from docker.io) is always installed by
# install-deps.sh; its built-in BuildKit is what the tests use for build cache.
DOCKER_CLI="${DC_DOCKER_CLI:-/usr/bin/docker}"

case "$DIR" in /*) ;; *) die "DC_ENGINE_DIR must be absolute: $BASE" ;; esac
# sun_path is 108 bytes; containerd's and the shims' sockets are a little longer than ours.
[ "${#SOCK}" -le 90 ] || die "socket path too long (${#SOCK} > 90 bytes): $SOCK; use a shorter DC_ENGINE_DIR"

# Docker CLI bound to this engine's private socket, with a private CLI config dir, bounded in time.
dk() { DOCKER_CONFIG="$DIR/cli" timeout -k 5 "${DK_TIMEOUT:-120}" "$DOCKER_CLI" -H "unix://$SOCK" "$@"; }

# pid_alive PIDFILE: the pid in PIDFILE runs and is one of ours (its command line names $DIR), so
# a stale pidfile whose pid was reused by another process is never acted on.
pid_alive() {
	local pid
	[ -s "$1" ] || return 1
	pid="$(cat "$1" 2>/dev/null)" || return 1
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$DIR/"
}

ping_ok() {
	[ -S "$SOCK" ] || return 1
	[ "$(curl -s --max-time 2 --unix-socket "$SOCK" http://d/_ping 2>/dev/null)" = OK ]
}

wait_ping() { # spawned-pid
	local spawned="$1" deadline=$((SECONDS + PING_TIMEOUT))
	while ! ping_ok; do
		if ! kill -0 "$spawned" 2>/dev/null; then
			log "daemon exited during start-up; tail of $LOGF:"
			tail -n 40 "$LOGF" >&2 || true
			return 1
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			log "no /_ping answer on $SOCK after ${PING_TIMEOUT}s; tail of $LOGF:"
			tail -n 40 "$LOGF" >&2 || true
			return 1
		fi
		sleep 0.1
	done
}

# ------------------------------------------------------------------------------ base image
# testbase:latest: a busybox-static rootfs imported with `tar | docker import`, no labels (the
# label tests rely on containers not inheriting any label from it).
make_rootfs_tar() {
	local rootfs="$DIR/rootfs" a
	[ -s "$DIR/testbase.tar" ] && return 0
	[ -x /bin/busybox ] || die "/bin/busybox missing (install busybox-static)"
	rm -rf "$rootfs"
	mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/data" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev"
	cp /bin/busybox "$rootfs/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -sf busybox "$rootfs/bin/$a"
	done
	echo 'root:x:0:0:root:/:/bin/sh' >"$rootfs/etc/passwd"
	echo 'root:x:0:' >"$rootfs/etc/group"
	tar -C "$rootfs" -cf "$DIR/testbase.tar.tmp" .
	mv "$DIR/testbase.tar.tmp" "$DIR/testbase.tar"
	rm -rf "$rootfs"
}

ensure_testbase() {
	if dk image inspect testbase:latest >/dev/null 2>&1; then return 0; fi
	make_rootfs_tar
	dk import --change 'CMD ["/bin/sh"]' "$DIR/testbase.tar" testbase:latest >/dev/null ||
		die "docker import of testbase:latest failed"
	dk image inspect testbase:latest >/dev/null 2>&1 || die "testbase:latest missing after import"
}

# ------------------------------------------------------------------------------ docker engines
docker_paths() {
	case "$KIND" in
	docker20)
		DOCKERD=/usr/sbin/dockerd
		CONTAINERD=/usr/bin/containerd
		ENGINE_PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
		POOL="172.${DC_POOL_BASE:-29}.0.0/16"
		;;
	docker26)
		[ -x "$D26/usr/sbin/dockerd" ] || die "$D26/usr/sbin/dockerd missing: run tests/engines/install-deps.sh"
		[ ! -e "$D26/usr/sbin/runc" ] || die "$D26/usr/sbin/runc must be deleted (needs glibc 2.38)"
		DOCKERD="$D26/usr/sbin/dockerd"
		CONTAINERD="$D26/usr/bin/containerd"
		# trixie's containerd, shims and docker-proxy first; bookworm's runc after them.
		ENGINE_PATH="$D26/usr/sbin:$D26/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
		POOL="172.${DC_POOL_BASE:-30}.0.0/16"
		;;
	docker28 | docker28c)
		[ -x "$D28/usr/sbin/dockerd" ] || die "$D28/usr/sbin/dockerd missing: run tests/engines/install-deps.sh"
		[ ! -e "$D28/usr/sbin/runc" ] || die "$D28/usr/sbin/runc must be deleted (needs glibc 2.38)"
		DOCKERD="$D28/usr/sbin/dockerd"
		CONTAINERD="$D28/usr/bin/containerd"
		# sid's containerd 2.1, shims and docker-proxy first; bookworm's runc 1.1.5 after them.
		ENGINE_PATH="$D28/usr/sbin:$D28/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
		if [ "$KIND" = docker28 ]; then
			POOL="172.${DC_POOL_BASE:-28}.0.0/16"
		else
			POOL="172.${DC_POOL_BASE:-27}.0.0/16"
		fi
		;;
	esac
}

start_docker() {
	docker_paths
	mkdir -p "$DIR/root" "$DIR/exec" "$DIR/cli" "$DIR/containerd/root" "$DIR/containerd/state" "$DIR/containerd/opt"
	# An own daemon.json, so /etc/docker/daemon.json is never read; 20.10 would also write its
	# trust key to /etc/docker/key.json unless told otherwise.
	if [ "$KIND" = docker20 ]; then
		printf '{"deprecated-key-path": "%s/key.json"}\n' "$DIR" >"$DIR/daemon.json"
	elif [ "$KIND" = docker28c ]; then
		# The containerd image store (images and build cache live in containerd's content store).
		echo '{"features": {"containerd-snapshotter": true}}' >"$DIR/daemon.json"
	else
		echo '{}' >"$DIR/daemon.json"
	fi
	cat >"$DIR/containerd.toml" <<EOF
version = 2
root = "$DIR/containerd/root"
state = "$DIR/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
oom_score = 0
[grpc]
  address = "$DIR/ctrd.sock"
[ttrpc]
  address = "$DIR/ctrd.sock.ttrpc"
[debug]
  address = "$DIR/ctrd-debug.sock"
  level = "warn"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$DIR/containerd/opt"
EOF
	# setsid: the daemons must outlive this script and the ctest process that ran it.
	PATH="$ENGINE_PATH" setsid "$CONTAINERD" --config "$DIR/containerd.toml" \
		>>"$DIR/containerd.log" 2>&1 </dev/null &
	local cpid=$!
	echo "$cpid" >"$CTRD_PIDF"
	local deadline=$((SECONDS + 30))
	until [ -S "$DIR/ctrd.sock" ]; do
		if ! kill -0 "$cpid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
			log "containerd did not start; tail of $DIR/containerd.log:"
			tail -n 30 "$DIR/containerd.log" >&2 || true
			do_stop
			die "$KIND did not start"
		fi
		sleep 0.05
	done

	PATH="$ENGINE_PATH" setsid "$DOCKERD" \
		--host "unix://$SOCK" \
		--containerd "$DIR/ctrd.sock" \
		--config-file "$DIR/daemon.json" \
		--data-root "$DIR/root" \
		--exec-root "$DIR/exec" \
		--pidfile "$PIDF" \
		--bridge none --iptables=false --ip6tables=false \
		--default-address-pool "base=$POOL,size=24" \
		--shutdown-timeout 2 \
		>>"$LOGF" 2>&1 </dev/null &
	SPAWNED=$!
}

# ------------------------------------------------------------------------------ podman
# PODMAN: the podman binary of this kind. podman5's and podman6's binaries (podman, netavark,
# aardvark-dns) run on sid's glibc in $P5 or $P6 (patchelf'd by install-deps.sh); conmon and runc
# are bookworm's. NS: what runs each podman command: private network and mount namespaces (below).
# PIDS: podman6 on a v1 host has no pids controller (it stays with the v1 hierarchy), so
# containers get no pids limit.
podman_paths() {
	local tree=""
	# Each Podman runs in network and mount namespaces of its own: its bridges, firewall rules and
	# aardvark-dns, netavark's state in /run/containers/networks and the container namespaces in
	# /run/netns are its own (tmpfs there), so the Podmans' tests run side by side. On the host's
	# they took turns: while one removed a bridge, another's `network create` could fail with
	# "route ip+net: no such network interface", and all shared one aardvark-dns. unshare (no
	# --fork) and sh's exec keep one pid: the pidfile's is podman's own. (The mount points are
	# made on the host's /run, which the namespace shares, before the tmpfs go over them.)
	NS_SETUP='for d in /run/containers /run/netns; do mkdir -p $d && mount -t tmpfs -o mode=0755 tmpfs $d || exit; done'
	PIDS=""
	case "$KIND" in
	podman)
		PODMAN=podman
		HELPERS=""
		PODMAN_POOL=31
		FIREWALL=""
		;;
	podman5)
		tree="$P5"
		PODMAN_POOL=25
		# netavark 1.17 would default to nftables; it uses iptables, as the other engines do.
		FIREWALL='firewall_driver = "iptables"'
		;;
	podman6)
		tree="$P6"
		PODMAN_POOL=24
		# netavark 2.0 has only nftables (`nft`, from Debian's nftables package).
		FIREWALL='firewall_driver = "nftables"'
		# Podman 6 refuses cgroup v1: only its namespace sees the unified hierarchy on /sys/fs/cgroup.
		if [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ]; then
			NS_SETUP="$NS_SETUP && mount -t cgroup2 cgroup2 /sys/fs/cgroup"
			PIDS="pids_limit = 0"
		fi
		;;
	esac
	if [ -n "$tree" ]; then
		[ -x "$tree/usr/bin/podman" ] || die "$tree/usr/bin/podman missing: run tests/engines/install-deps.sh"
		PODMAN="$tree/usr/bin/podman"
		HELPERS="helper_binaries_dir = [\"$tree/usr/lib/podman\", \"/usr/libexec/podman\", \"/usr/lib/podman\"]"
	fi
	# shellcheck disable=SC2016
	NS=(unshare -m -n --propagation private sh -c "$NS_SETUP"' && exec "$@"' sh)
}

podman_conf() {
	podman_paths
	mkdir -p "$DIR/root" "$DIR/runroot" "$DIR/tmp" "$DIR/networks" "$DIR/cli"
	cat >"$DIR/containers.conf" <<EOF
[containers]
# podman's default rlimits fail to apply in this VM ("podman run" needs these otherwise).
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
$PIDS
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$DIR/events.log"
lock_type = "file"
tmp_dir = "$DIR/tmp"
image_copy_tmp_dir = "$DIR/tmp"
$HELPERS
[network]
network_backend = "netavark"
network_config_dir = "$DIR/networks"
default_subnet = "172.${DC_POOL_BASE:-$PODMAN_POOL}.255.0/24"
default_subnet_pools = [{"base" = "172.${DC_POOL_BASE:-$PODMAN_POOL}.0.0/16", "size" = 24}]
$FIREWALL
EOF
	cat >"$DIR/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$DIR/root"
runroot = "$DIR/runroot"
EOF
}

# podman CLI on the private storage (teardown when the service is gone; tests use the socket).
pm() {
	podman_paths
	CONTAINERS_CONF="$DIR/containers.conf" CONTAINERS_STORAGE_CONF="$DIR/storage.conf" \
		timeout -k 5 60 "${NS[@]}" "$PODMAN" --root "$DIR/root" --runroot "$DIR/runroot" --tmpdir "$DIR/tmp" \
		--network-config-dir "$DIR/networks" --cgroup-manager cgroupfs --events-backend file "$@"
}

start_podman() {
	podman_conf
	# TMPDIR: the compat image import leaves its upload (api_load.tar*) in $TMPDIR (/var/tmp).
	TMPDIR="$DIR/tmp" CONTAINERS_CONF="$DIR/containers.conf" CONTAINERS_STORAGE_CONF="$DIR/storage.conf" \
		setsid "${NS[@]}" "$PODMAN" --root "$DIR/root" --runroot "$DIR/runroot" --tmpdir "$DIR/tmp" \
		--network-config-dir "$DIR/networks" --cgroup-manager cgroupfs --events-backend file \
		--log-level info system service --time=0 "unix://$SOCK" \
		>>"$LOGF" 2>&1 </dev/null &
	SPAWNED=$!
	echo "$SPAWNED" >"$PIDF"
}

# ------------------------------------------------------------------------------ stop
kill_pidfile() { # pidfile name timeout-seconds
	local pidf="$1" name="$2" t="$3" pid i
	pid_alive "$pidf" || return 0
	pid="$(cat "$pidf")"
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < t * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	log "$name (pid $pid) still running after ${t}s: SIGKILL"
	kill -KILL "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	log "$name (pid $pid) did not exit"
	return 1
}

unmount_under() { # dir
	local m left
	# Deepest first. findmnt lists each mount point once per mount; umount each until none is left.
	for _ in 1 2 3 4 5; do
		left=0
		while IFS= read -r m; do
			[ -n "$m" ] || continue
			left=1
			umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
		done < <(awk -v d="$1/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
		[ "$left" = 1 ] || return 0
	done
	awk -v d="$1/" 'index($5, d) == 1 { print "still mounted: " $5 }' /proc/self/mountinfo >&2
}

do_stop() {
	[ -d "$DIR" ] || return 0
	local ids nets="" n
	# Remove containers and user networks through the engine first: dockerd takes ~10 s to stop
	# a running `sleep` (PID 1 ignores SIGTERM) whatever --shutdown-timeout says, podman's
	# containers live on under conmon after its service exits, and dockerd leaves the bridges
	# of user networks on the host when it exits.
	if pid_alive "$PIDF" && ping_ok; then
		# SIGKILL first: `rm -f` gives a running container the stop grace (10 s on Podman 5).
		ids="$(DK_TIMEOUT=20 dk ps -q 2>/dev/null || true)"
		# shellcheck disable=SC2086
		[ -z "$ids" ] || DK_TIMEOUT=60 dk kill $ids >/dev/null 2>&1 || true
		ids="$(DK_TIMEOUT=20 dk ps -aq 2>/dev/null || true)"
		# shellcheck disable=SC2086
		[ -z "$ids" ] || DK_TIMEOUT=60 dk rm -f -v $ids >/dev/null 2>&1 || true
		nets="$(DK_TIMEOUT=20 dk network ls -q --no-trunc --filter type=custom 2>/dev/null || true)"
		# shellcheck disable=SC2086
		[ -z "$nets" ] || DK_TIMEOUT=60 dk network rm $nets >/dev/null 2>&1 || true
	elif [ "$FAMILY" = podman ] && [ -f "$DIR/containers.conf" ]; then
		pm rm -a -f -t 0 >/dev/null 2>&1 || true
	fi
	if [ "$FAMILY" = podman ]; then
		# (netavark deletes a network's bridge with its last container.)
		kill_pidfile "$PIDF" "podman service" 15 || true
	else
		kill_pidfile "$PIDF" dockerd 30 || true
		for n in $nets; do
			if ip link show "br-${n:0:12}" >/dev/null 2>&1; then ip link delete "br-${n:0:12}" || true; fi
		done
		kill_pidfile "$CTRD_PIDF" containerd 15 || true
	fi
	unmount_under "$DIR"
	rm -rf "$DIR" || { sleep 1; unmount_under "$DIR"; rm -rf "$DIR"; }
}

# ------------------------------------------------------------------------------ commands
do_start() {
	if pid_alive "$PIDF" && ping_ok; then
		[ "$FAMILY" != podman ] || chmod 660 "$SOCK"
		ensure_testbase
		log "already running on $SOCK"
		return 0
	fi
	# Not answering: whatever is left from an earlier run is stopped and removed first.
	do_stop
	mkdir -p "$DIR"
	local t0=$SECONDS
	: >"$LOGF"
	case "$FAMILY" in
	docker) start_docker ;;
	podman) start_podman ;;
	esac
	if ! wait_ping "$SPAWNED"; then
		do_stop
		die "$KIND did not start"
	fi
	# Podman's service creates its socket 0600; podman.socket (systemd) makes it 0660 root:root
	# and dockerd makes its own 0660 root:docker. docker-cleaner, started as root, drops to an
	# unprivileged uid with the socket's group, so it needs the group access real installs give.
	[ "$FAMILY" != podman ] || chmod 660 "$SOCK"
	ensure_testbase
	log "started on $SOCK ($(curl -s --unix-socket "$SOCK" http://d/version |
		sed -n 's/.*"Version":"\([^"]*\)".*"ApiVersion":"\([^"]*\)".*/version \1 api \2/p' | head -n1)) in $((SECONDS - t0))s"
}

case "$CMD" in
start) do_start ;;
stop) do_stop ;;
env)
	echo "unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH"
	printf 'export DOCKER_HOST=%q\n' "unix://$SOCK"
	printf 'export DC_ENGINE=%q\n' "$KIND"
	printf 'export DC_ENGINE_SOCK=%q\n' "$SOCK"
	printf 'export DC_ENGINE_RUNDIR=%q\n' "$DIR"
	;;
status) pid_alive "$PIDF" && ping_ok ;;
*) usage ;;
esac
