# shellcheck shell=bash
# Helpers for the end-to-end tests: sourced by tests/e2e/test-*.sh.
#
#   source "$(dirname "$0")/lib.sh"
#   use_engine "${1:-}"        # docker20|docker26|docker28|docker28c|podman|podman5|podman6 (or $DC_ENGINE)
#   reset_engine               # every test starts from an engine holding only testbase:latest
#   ... makers, run_cleaner, assertions ...
#   finish                     # exit 0 if every assertion held, 1 otherwise
#
# Every docker call goes through `d` (the Docker CLI with -H naming the private socket of the
# engine that tests/engines/engine.sh started); nothing here talks to /var/run/docker.sock.
#
# Environment:
#   DC_BIN          the docker-cleaner binary (ctest sets it; default: <repo>/build/docker-cleaner)
#   DC_WRAPPER      a command to run it under, split on spaces (tests/sanitize.sh: valgrind)
#   DC_ENGINE       engine kind when no argument is given
#   DC_ENGINE_DIR   where engine.sh keeps the engines (default /tmp/dc-engines)
#   DC_DOCKER_CLI   Docker CLI for set-up and checks (default /usr/bin/docker, 20.10 with BuildKit)
#   DC_E2E_AUTOSTART=0   do not start the engine if it is not running (default: start it)
#   DC_E2E_RUN_TIMEOUT   seconds before a cleaner run is killed (default 420: a hang guard only,
#                        beyond the cleaner's own 5 min deadline, which ends a slow run first)
#   DC_E2E_KEEP=1   keep the test's work dir (cleaner outputs) even when it passes

set -Eeuo pipefail

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$E2E_DIR/../.." && pwd)"
ENGINE_SH="$REPO_ROOT/tests/engines/engine.sh"
DC_BIN="${DC_BIN:-$REPO_ROOT/build/docker-cleaner}"
DOCKER_CLI="${DC_DOCKER_CLI:-/usr/bin/docker}"
TEST_NAME="$(basename "$0" .sh)"
TEST_NAME="${TEST_NAME#test-}"

unset DOCKER_CONTEXT DOCKER_HOST DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_API_VERSION CONTAINER_HOST

WORK="$(mktemp -d "${TMPDIR:-/tmp}/dc-e2e-$TEST_NAME.XXXXXX")"
# docker-cleaner started as root drops to an unprivileged uid: paths it is given under WORK must
# be reachable for it (mktemp makes 0700).
chmod 755 "$WORK"
export DOCKER_CONFIG="$WORK/cli" # a private CLI config: no user context, no ~/.docker writes
mkdir -p "$DOCKER_CONFIG"

FAILS=0
RUNS=0
RC=
DC_ENGINE="${DC_ENGINE:-}"
DC_ENGINE_SOCK=
FINISHED=0
T_START=$SECONDS

_e2e_on_err() {
	printf 'ERROR [%s/%s]: command failed (exit %s) at %s:%s: %s\n' \
		"${DC_ENGINE:-none}" "$TEST_NAME" "$1" "${BASH_SOURCE[1]:-?}" "${BASH_LINENO[0]:-?}" "$BASH_COMMAND" >&2
}
trap '_e2e_on_err $?' ERR

_e2e_on_exit() {
	local rc=$?
	if [ "$FINISHED" = 0 ]; then
		# Aborted (set -e, die): show what the cleaner did before that.
		printf '=== %s on %s aborted (exit %s)\n' "$TEST_NAME" "${DC_ENGINE:-none}" "$rc" >&2
		dump_runs >&2 || true
		[ "$rc" != 0 ] || rc=1
	fi
	if [ "$rc" = 0 ] && [ "${DC_E2E_KEEP:-0}" != 1 ]; then
		rm -rf "$WORK"
	else
		echo "work dir kept: $WORK" >&2
	fi
	exit "$rc"
}
trap _e2e_on_exit EXIT

die() {
	printf 'ERROR [%s/%s]: %s\n' "${DC_ENGINE:-none}" "$TEST_NAME" "$*" >&2
	exit 1
}
log() { printf '[%s/%s] %s\n' "${DC_ENGINE:-none}" "$TEST_NAME" "$*" >&2; }

# ------------------------------------------------------------------ engine selection
# use_engine [KIND]: select the engine from the argument or $DC_ENGINE, start it if needed.
use_engine() {
	DC_ENGINE="${1:-$DC_ENGINE}"
	case "$DC_ENGINE" in
	docker20 | docker26 | docker28 | docker28c | podman | podman5 | podman6) ;;
	"") die "no engine given: pass docker20|docker26|docker28|docker28c|podman|podman5|podman6 as the first argument or set DC_ENGINE" ;;
	*) die "unknown engine '$DC_ENGINE' (docker20|docker26|docker28|docker28c|podman|podman5|podman6)" ;;
	esac
	eval "$("$ENGINE_SH" env "$DC_ENGINE")"
	# DOCKER_HOST now names the private socket: a stray docker call cannot reach another daemon.
	if ! "$ENGINE_SH" status "$DC_ENGINE"; then
		[ "${DC_E2E_AUTOSTART:-1}" != 0 ] || die "engine $DC_ENGINE is not running (tests/engines/engine.sh start $DC_ENGINE)"
		"$ENGINE_SH" start "$DC_ENGINE" || die "cannot start engine $DC_ENGINE"
	fi
	[ -x "$DC_BIN" ] || die "docker-cleaner binary not found: DC_BIN=$DC_BIN"
}

is_docker() { case "$DC_ENGINE" in docker*) true ;; *) false ;; esac; }
is_podman() { case "$DC_ENGINE" in podman*) true ;; *) false ;; esac; }

# d ARGS...: the Docker CLI bound to the selected engine's private socket.
d() {
	[ -n "$DC_ENGINE_SOCK" ] || die "d: no engine selected"
	timeout -k 5 120 "$DOCKER_CLI" -H "unix://$DC_ENGINE_SOCK" "$@"
}

# api METHOD PATH: raw API call on the private socket (version 1.41: all three engines serve it).
api() {
	[ -n "$DC_ENGINE_SOCK" ] || die "api: no engine selected"
	curl -sS --fail-with-body --max-time 60 --unix-socket "$DC_ENGINE_SOCK" -X "$1" "http://d/v1.41$2"
}

# build_cache_df: the engine's build-cache records, as /system/df reports them ({"BuildCache":[...]}).
# From API 1.42 only the build cache is asked for (?type=build-cache): a whole /system/df on the
# containerd image store (docker28c) now and then answers 404 while it sizes images.
build_cache_df() {
	if [ "$DC_ENGINE" = docker20 ]; then
		api GET /system/df
	else
		curl -sS --fail-with-body --max-time 60 --unix-socket "$DC_ENGINE_SOCK" "http://d/v1.44/system/df?type=build-cache"
	fi
}

# ------------------------------------------------------------------ reset
DEFAULT_NETWORKS=" bridge host none podman "

ensure_testbase() {
	d image inspect testbase:latest >/dev/null 2>&1 && return 0
	[ -s "$DC_ENGINE_RUNDIR/testbase.tar" ] || die "no $DC_ENGINE_RUNDIR/testbase.tar (engine.sh start makes it)"
	d import --change 'CMD ["/bin/sh"]' "$DC_ENGINE_RUNDIR/testbase.tar" testbase:latest >/dev/null
}

# reset_engine: remove every container, image (but testbase:latest), volume, user network and
# build-cache record of the selected (private) engine, and check that it is so.
reset_engine() {
	local ids id tb ref n i refs imgs nets
	# Running containers are killed first: `rm -f` on Podman 5 stops them with the 10 s grace a
	# `sleep` ignores (10 s per test there), where SIGKILL ends them at once on every engine.
	ids="$(d ps -q)"
	# shellcheck disable=SC2086
	[ -z "$ids" ] || d kill $ids >/dev/null 2>&1 || true
	ids="$(d ps -aq)"
	# shellcheck disable=SC2086
	[ -z "$ids" ] || d rm -f -v $ids >/dev/null
	ensure_testbase
	tb="$(d image inspect -f '{{.Id}}' testbase:latest)"
	# One CLI call per step, not per resource (each call costs the CLI's start-up: ~15 ms of
	# CPU, a third of the e2e suite's CLI calls were here). An image a pass cannot remove yet
	# (a parent of one removed after it) goes in the next.
	for i in 1 2 3; do
		# Other tags on testbase's own image are only untagged.
		refs=()
		for ref in $(d images --format '{{.Repository}}:{{.Tag}}@{{.ID}}' --no-trunc); do
			id="${ref##*@}" ref="${ref%@*}"
			if [ "$id" = "$tb" ] && [ "$ref" != testbase:latest ] && [ "$ref" != '<none>:<none>' ]; then
				refs+=("$ref")
			fi
		done
		[ "${#refs[@]}" -eq 0 ] || d rmi "${refs[@]}" >/dev/null 2>&1 || true
		imgs=()
		for id in $(d images -aq --no-trunc | sort -u); do
			[ "$id" = "$tb" ] || imgs+=("$id")
		done
		[ "${#imgs[@]}" -gt 0 ] || break
		d rmi -f "${imgs[@]}" >/dev/null 2>&1 || true
	done
	ids="$(d volume ls -q)"
	# shellcheck disable=SC2086
	[ -z "$ids" ] || d volume rm -f $ids >/dev/null
	nets=()
	for n in $(d network ls --format '{{.Name}}'); do
		case "$DEFAULT_NETWORKS" in *" $n "*) ;; *) nets+=("$n") ;; esac
	done
	[ "${#nets[@]}" -eq 0 ] || d network rm "${nets[@]}" >/dev/null
	if is_docker; then d builder prune -a -f >/dev/null; fi

	# Check it.
	[ -z "$(d ps -aq)" ] || die "reset_engine: containers left: $(d ps -a --format '{{.Names}}' | tr '\n' ' ')"
	n="$(d images -aq --no-trunc | sort -u | wc -l)"
	[ "$n" = 1 ] || die "reset_engine: $n images left: $(d images -a --format '{{.Repository}}:{{.Tag}} {{.ID}}' | tr '\n' ' ')"
	[ -z "$(d volume ls -q)" ] || die "reset_engine: volumes left"
	for n in $(d network ls --format '{{.Name}}'); do
		case "$DEFAULT_NETWORKS" in *" $n "*) ;; *) die "reset_engine: network left: $n" ;; esac
	done
	if is_docker; then
		n="$(build_cache_count)"
		[ "$n" = 0 ] || die "reset_engine: $n build cache records left"
	fi
}

# ------------------------------------------------------------------ makers
# Makers print the ID (or name) of what they made on stdout. LABEL arguments are `k=v` or `k`.

_labels() { # sets LBL (--label args) and CHG (--change args for docker import)
	LBL=()
	CHG=()
	local l
	for l in "$@"; do
		case "$l" in
		*=*)
			LBL+=(--label "$l")
			CHG+=(--change "LABEL ${l%%=*}=\"${l#*=}\"")
			;;
		*)
			LBL+=(--label "$l=")
			CHG+=(--change "LABEL $l=\"\"")
			;;
		esac
	done
}

# Options of the container makers, before NAME: --network NET, -v SPEC, --image IMAGE, --novol.
_ctr_opts() {
	CNET=none
	CVOL=()
	CIMG=testbase:latest
	NOVOL=0
	SHIFT=0
	while [ $# -gt 0 ]; do
		case "$1" in
		--novol) NOVOL=1; shift; SHIFT=$((SHIFT + 1)) ;;
		--network) CNET="$2"; shift 2; SHIFT=$((SHIFT + 2)) ;;
		-v) CVOL+=(-v "$2"); shift 2; SHIFT=$((SHIFT + 2)) ;;
		--image) CIMG="$2"; shift 2; SHIFT=$((SHIFT + 2)) ;;
		*) break ;;
		esac
	done
}

# mk_stopped [--network N] [-v SPEC] [--image I] [--novol] NAME [LABEL...]: a created (never
# started) container. Without -v or --novol it gets an anonymous volume on /data (anon_volume_of).
mk_stopped() {
	_ctr_opts "$@"
	shift "$SHIFT"
	local name="$1"
	shift
	_labels "$@"
	[ "${#CVOL[@]}" -gt 0 ] || [ "$NOVOL" = 1 ] || CVOL=(-v /data)
	d create --network "$CNET" "${CVOL[@]}" --name "$name" "${LBL[@]}" "$CIMG" true
}

# mk_exited [opts] NAME [LABEL...]: a container that ran `true` and exited.
mk_exited() {
	_ctr_opts "$@"
	shift "$SHIFT"
	local name="$1" id st
	shift
	_labels "$@"
	id="$(d create --network "$CNET" "${CVOL[@]}" --name "$name" "${LBL[@]}" "$CIMG" true)"
	d start "$name" >/dev/null
	d wait "$name" >/dev/null
	st="$(d inspect -f '{{.State.Status}}' "$name")"
	[ "$st" = exited ] || die "mk_exited: $name is $st"
	echo "$id"
}

# Podman's default rlimits cannot be applied in this VM: `podman run` needs these (the private
# containers.conf sets them as defaults too).
PODMAN_RUN_OPTS=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)

# mk_running [--network N] [-v SPEC] [--image I] NAME [LABEL...]: a running container
# (`sleep`), which keeps its image, its volumes and its network in use.
mk_running() {
	_ctr_opts "$@"
	shift "$SHIFT"
	local name="$1" id st extra=()
	shift
	_labels "$@"
	is_podman && extra=("${PODMAN_RUN_OPTS[@]}")
	id="$(d run -d "${extra[@]}" --network "$CNET" "${CVOL[@]}" --name "$name" "${LBL[@]}" "$CIMG" sleep 1000000)"
	st="$(d inspect -f '{{.State.Status}}' "$name")"
	[ "$st" = running ] || die "mk_running: $name is $st"
	echo "$id"
}

# mk_many_stopped N PREFIX [DEST]: N created (never started) containers PREFIX1..PREFIXN of
# testbase:latest running `true`, network none, with an anonymous volume on DEST if given: the
# request `docker create --network none [-v DEST] --name PREFIXi testbase:latest true` sends,
# made by one process over the engine's API (4 in flight) rather than by N CLI processes, which
# cost ~15 ms of CPU each (most of the CPU of the scenes of hundreds of containers on a 2-core
# CI machine). Dies unless the engine answers 201 to every one.
mk_many_stopped() {
	[ -n "$DC_ENGINE_SOCK" ] || die "mk_many_stopped: no engine selected"
	python3 - "$DC_ENGINE_SOCK" "$1" "$2" "${3:-}" <<'EOF' || die "mk_many_stopped $1 $2 failed"
import http.client, json, socket, sys, threading, urllib.parse

sock, n, prefix, dest = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

class Conn(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(120)
        self.sock.connect(sock)

body = {"Image": "testbase:latest", "Cmd": ["true"], "HostConfig": {"NetworkMode": "none"}}
if dest:
    body["Volumes"] = {dest: {}}
body = json.dumps(body).encode()
names = iter(range(1, n + 1))
lock = threading.Lock()
errors = []

def work():
    c = Conn("localhost")
    while True:
        with lock:
            i = next(names, None)
        if i is None or errors:
            return
        path = "/v1.41/containers/create?name=" + urllib.parse.quote(prefix + str(i))
        try:
            c.request("POST", path, body, {"Content-Type": "application/json"})
            r = c.getresponse()
            text = r.read()
        except OSError as e:
            errors.append("%s%d: %s" % (prefix, i, e))
            return
        if r.status != 201:
            errors.append("%s%d: %d %s" % (prefix, i, r.status, text[:200]))
            return

threads = [threading.Thread(target=work) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
if errors:
    sys.exit("mk_many_stopped: " + "; ".join(errors[:3]))
EOF
}

# anon_volume_of CONTAINER [DEST]: name of the volume mounted at DEST (default /data).
anon_volume_of() {
	d inspect -f "{{range .Mounts}}{{if eq .Destination \"${2:-/data}\"}}{{.Name}}{{end}}{{end}}" "$1"
}

IMG_SEQ=0
# _mk_tar NAME: a small tar whose content is unique (so every import is a distinct image).
_mk_tar() {
	IMG_SEQ=$((IMG_SEQ + 1))
	local dir="$WORK/img/$1.$IMG_SEQ"
	mkdir -p "$dir/rootfs"
	printf '%s %s %s %s\n' "$1" "$IMG_SEQ" "$$" "$(date +%s%N)" >"$dir/rootfs/id"
	tar -C "$dir/rootfs" -cf "$dir/layer.tar" .
	echo "$dir/layer.tar"
}

_img_id() { # import output -> full ID (podman's CLI output is the ID too)
	local id
	id="$(tail -n1)"
	id="${id##* }"
	case "$id" in sha256:*) ;; *) id="sha256:$id" ;; esac
	echo "$id"
}

# mk_dangling NAME [LABEL...]: an untagged (dangling) image, made by `docker import` with no tag.
mk_dangling() {
	local name="$1" tar id
	shift
	_labels "$@"
	tar="$(_mk_tar "$name")"
	id="$(d import "${CHG[@]}" "$tar" | _img_id)"
	[ -z "$(d image inspect -f '{{range .RepoTags}}{{.}}{{end}}' "$id")" ] || die "mk_dangling: $id has tags"
	echo "$id"
}

# mk_dangling_retag NAME [LABEL...]: a dangling image made by importing twice under NAME:latest;
# prints the ID of the first (now untagged) one. NAME:latest stays on the second.
mk_dangling_retag() {
	local name="$1" id id2
	shift
	_labels "$@"
	id="$(d import "${CHG[@]}" "$(_mk_tar "$name")" "$name:latest" | _img_id)"
	id2="$(d import "$(_mk_tar "$name")" "$name:latest" | _img_id)"
	[ "$id" != "$id2" ] || die "mk_dangling_retag: same image twice"
	[ -z "$(d image inspect -f '{{range .RepoTags}}{{.}}{{end}}' "$id")" ] || die "mk_dangling_retag: $id still tagged"
	echo "$id"
}

# mk_tagged NAME [LABEL...]: an image tagged NAME:latest that no container uses.
mk_tagged() {
	local name="$1"
	shift
	_labels "$@"
	d import "${CHG[@]}" --change 'CMD ["/bin/sh"]' "$(_mk_tar "$name")" "$name:latest" | _img_id
}

# mk_image_from_base NAME: NAME:latest = testbase's busybox rootfs (runnable), distinct image ID.
mk_runnable_image() {
	local name="$1"
	shift
	_labels "$@"
	d import "${CHG[@]}" --change 'CMD ["/bin/sh"]' "$DC_ENGINE_RUNDIR/testbase.tar" "$name:latest" | _img_id
}

# mk_volume NAME [LABEL...]: a named volume.
mk_volume() {
	local name="$1"
	shift
	_labels "$@"
	d volume create "${LBL[@]}" "$name"
}

# mk_network NAME [LABEL...]: a user (bridge) network.
mk_network() {
	local name="$1" i out
	shift
	_labels "$@"
	# Podman reads the host's interfaces to pick a subnet and fails with "route ip+net: no such
	# network interface" when another engine removes a bridge meanwhile: try again (3 times).
	for i in 1 2 3; do
		if out="$(d network create "${LBL[@]}" "$name" 2>&1)"; then
			echo "$out"
			return 0
		fi
		case "$out" in *"no such network interface"*) log "mk_network $name: $out (try $i)" ;; *) break ;; esac
	done
	echo "$out" >&2
	return 1
}

# mk_build_cache NAME: BuildKit cache records from a COPY-only build FROM testbase, tagged
# NAME:latest (docker engines only: the 20.10 CLI's built-in BuildKit; podman has none). Returns
# once BuildKit holds none of its records in use any more.
mk_build_cache() {
	is_docker || die "mk_build_cache: docker engines only"
	local name="$1" ctx="$WORK/build/$1"
	mkdir -p "$ctx"
	printf '%s %s\n' "$name" "$(date +%s%N)" >"$ctx/f"
	printf 'FROM testbase:latest\nCOPY f /f\n' >"$ctx/Dockerfile"
	# The containerd image store (docker28c) may show the build's records a moment after the
	# build returns: poll for them (a bound on polls, not a time margin), and build again (at
	# most 3 times).
	local i attempt n=0
	for attempt in 1 2 3; do
		DOCKER_BUILDKIT=1 timeout -k 5 120 /usr/bin/docker -H "unix://$DC_ENGINE_SOCK" build -q -t "$name:latest" "$ctx" >/dev/null
		for ((i = 0; i < 100; i++)); do
			n="$(build_cache_df 2>/dev/null | jq '.BuildCache // [] | length' 2>/dev/null || true)"
			[ "${n:-0}" -gt 0 ] && break 2
			sleep 0.1
		done
		log "mk_build_cache: no build cache records after build $attempt of $name"
		printf '%s %s\n' "$name" "$(date +%s%N)" >"$ctx/f"
	done
	[ "${n:-0}" -gt 0 ] || die "mk_build_cache: no build cache records after the build"
	wait_build_cache_idle
}

# build_cache_count: every build-cache record (from /system/df).
build_cache_count() { build_cache_df | jq '.BuildCache // [] | length'; }
# build_cache_reclaimable: records a default (not --all) prune removes: neither shared nor in use.
build_cache_reclaimable() {
	build_cache_df | jq '[.BuildCache // [] | .[] | select((.Shared | not) and (.InUse | not))] | length'
}

# wait_build_cache_idle: wait until BuildKit has let go of every build-cache record (it releases
# a build's session records a moment after the client returns; a record in use is never pruned,
# so a test that counts on it must wait for the engine to say so, not for a fixed time).
wait_build_cache_idle() {
	is_docker || return 0
	local i
	for ((i = 0; i < 600; i++)); do
		[ "$(build_cache_df | jq '[.BuildCache // [] | .[] | select(.InUse)] | length')" = 0 ] && return 0
		sleep 0.1
	done
	die "build cache records still in use after 600 polls"
}

# ------------------------------------------------------------------ the engine's clock
# Time-based tests take their cut-offs from the timestamps the engine itself recorded (docker
# inspect, /system/df), never from a sleep and the test's own clock: how long the machine took
# cannot move a resource to the other side of a cut-off. A cut-off is a whole second C that no
# earlier resource is newer than; later resources are made only once the clock has passed C + 1 s,
# so even a list that reports whole seconds (Docker's /containers/json and /images/json, which
# client-side selection reads) puts them after C.

# engine_times: "NS TYPE ID" for every container, image (its creation and, where the engine has
# one, its last tag time: two lines), user network, volume and build-cache record (its LastUsedAt,
# else CreatedAt) of the selected engine, NS in Unix nanoseconds.
engine_times() {
	{
		local ids
		ids="$(d ps -aq --no-trunc)"
		# shellcheck disable=SC2086
		[ -z "$ids" ] || d inspect -f 'container {{.Id}} {{json .Created}}' $ids
		ids="$(d images -aq --no-trunc | sort -u)"
		# An image's last tag time too (Docker records it a moment after Created: an import
		# made at x.999 s is tagged in the next second, and last use counts the tag time).
		# shellcheck disable=SC2086
		[ -z "$ids" ] || d image inspect -f 'image {{.Id}} {{json .Created}}{{"\n"}}image {{.Id}} {{json .Metadata.LastTagTime}}' $ids
		ids="$(d network ls -q --no-trunc)" # the default ones too: made at engine start, older
		# shellcheck disable=SC2086
		[ -z "$ids" ] || d network inspect -f 'network {{.Id}} {{json .Created}}' $ids
		ids="$(d volume ls -q)"
		# shellcheck disable=SC2086
		[ -z "$ids" ] || d volume inspect -f 'volume {{.Name}} {{json .CreatedAt}}' $ids
		if is_docker; then
			build_cache_df | jq -r '.BuildCache // [] | .[] | "build_cache \(.ID) \(.LastUsedAt // .CreatedAt | tojson)"'
		fi
	} | python3 -c '
import re, sys, calendar
pat = re.compile(r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?\s*(Z|[+-]\d\d:?\d\d)?")
for line in sys.stdin:
    t, key, ts = line.split(None, 2)
    m = pat.search(ts)
    if not m:
        sys.exit("engine_times: no time in: " + line.strip())
    y, mo, d, h, mi, s, frac, tz = m.groups()
    if y == "0001":
        continue  # the zero time of Go: the engine has no such record (no tag time on Podman)
    sec = calendar.timegm((int(y), int(mo), int(d), int(h), int(mi), int(s)))
    if tz and tz != "Z":
        off = (int(tz[1:3]) * 60 + int(tz[-2:])) * 60
        sec -= off if tz[0] == "+" else -off
    ns = sec * 10**9 + int(((frac or "") + "000000000")[:9])
    print(ns, t, key)
'
}

# newest_ns: the newest timestamp the engine holds for any resource.
newest_ns() { engine_times | sort -n | tail -n1 | cut -d' ' -f1; }

# _engine_times_checked: engine_times into $WORK/times, or die (a command substitution would
# not stop the test on a failed docker call).
_engine_times_checked() {
	engine_times >"$WORK/times" || die "engine_times failed"
	[ -s "$WORK/times" ] || die "engine_times: no resources"
}

# now_ns: this machine's clock (the engine's too: it runs here).
now_ns() { date +%s%N; }

# wait_clock_past NS: return once the clock reads later than NS (a wait for an instant, not a
# margin: it only makes sure the next resource is made after it).
wait_clock_past() {
	local left
	while :; do
		left=$(($1 - $(now_ns)))
		[ "$left" -lt 0 ] && return 0
		sleep "$(awk -v n="$left" 'BEGIN { s = n / 1e9 + 0.01; if (s > 1) s = 1; printf "%.3f", s }')"
	done
}

# cut_after: sets CUT_NS to a whole second no resource the engine holds is newer than, and waits
# for the clock to pass CUT_NS + ${1:-1} s, so that what is made next lies after the cut-off.
# CUT_SEEN holds the IDs that existed then (for check_after_cut).
cut_after() {
	local newest
	_engine_times_checked
	newest="$(sort -n "$WORK/times" | tail -n1 | cut -d' ' -f1)"
	CUT_NS=$(((newest / 1000000000 + 1) * 1000000000))
	CUT_SEEN="$(cut -d' ' -f3 "$WORK/times" | sort -u)"
	wait_clock_past $((CUT_NS + ${1:-1} * 1000000000))
}

# check_after_cut: every resource made since cut_after is, by the engine's own record, newer
# than CUT_NS + 1 s (a broken set-up dies here instead of failing an assertion later).
check_after_cut() {
	local ns t id
	_engine_times_checked
	while read -r ns t id; do
		grep -qxF "$id" <<<"$CUT_SEEN" && continue
		[ "$ns" -ge $((CUT_NS + 1000000000)) ] || die "check_after_cut: $t $id made at $ns, not after the cut-off $CUT_NS + 1 s"
	done <"$WORK/times"
}

# rfc3339_of NS: NS as RFC3339 in UTC (whole seconds, Z).
rfc3339_of() { date -u -d "@$(($1 / 1000000000))" +%Y-%m-%dT%H:%M:%SZ; }

# start_ms_of N: run N's own clock when it started (its "start" event, LOG_FORMAT=json), in Unix
# milliseconds: it read the clock for a relative PRUNE_FILTER_UNTIL no later than this + 1 ms.
start_ms_of() {
	local t
	t="$(jq -r 'select(.event == "start") | .time' "$WORK/run$1.out")"
	[ -n "$t" ] || die "run $1: no start event"
	echo $(($(date -u -d "$t" +%s%N) / 1000000))
}

# ------------------------------------------------------------------ running the cleaner
# run_cleaner [VAR=VALUE...]: run $DC_BIN against the selected engine in a clean environment
# (only PATH, HOME, LOG_LEVEL=debug, sanitizer options, DOCKER_HOST and the given variables,
# which win), stdin not a terminal, under `timeout ${DC_E2E_RUN_TIMEOUT:-420}`. Sets RC; the outputs stay in
# $WORK/runN.{out,err} and are printed if the test fails. A run killed by a signal or by the
# timeout, or one with a sanitizer/crash report on stderr, is a failure at once.
run_cleaner() {
	start_cleaner "$@"
	wait_cleaners
}

BG_PIDS=()
BG_RUNS=()
# start_cleaner [VAR=VALUE...]: as run_cleaner, in the background; wait_cleaners collects.
start_cleaner() {
	RUNS=$((RUNS + 1))
	local base="$WORK/run$RUNS" envs=() v
	for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS TSAN_OPTIONS MSAN_OPTIONS; do
		[ -z "${!v:-}" ] || envs+=("$v=${!v}")
	done
	[ -z "$DC_ENGINE_SOCK" ] || envs+=("DOCKER_HOST=unix://$DC_ENGINE_SOCK")
	printf '%s\n' "$*" >"$base.args"
	(
		rc=0
		date +%s%N >"$base.t0"
		# shellcheck disable=SC2086 # DC_WRAPPER is a command line: split on purpose
		env -i PATH="$PATH" HOME="${HOME:-/root}" LOG_LEVEL=debug "${envs[@]}" "$@" \
			timeout -k 5 "${DC_E2E_RUN_TIMEOUT:-420}" ${DC_WRAPPER:-} "$DC_BIN" >"$base.out" 2>"$base.err" </dev/null || rc=$?
		date +%s%N >"$base.t1"
		echo "$rc" >"$base.rc"
	) &
	BG_PIDS+=($!)
	BG_RUNS+=("$RUNS")
}

# wait_cleaners: wait for every started run; RC is the exit status of the last one started.
wait_cleaners() {
	local i n base
	for i in "${!BG_PIDS[@]}"; do
		wait "${BG_PIDS[$i]}" || true
		n="${BG_RUNS[$i]}"
		base="$WORK/run$n"
		[ -f "$base.rc" ] || echo 255 >"$base.rc"
		RC="$(cat "$base.rc")"
		log "run $n: $(cat "$base.args") -> exit $RC in $((($(cat "$base.t1" 2>/dev/null || echo 0) - $(cat "$base.t0" 2>/dev/null || echo 0)) / 1000000)) ms"
		check_no_crash "$n"
	done
	BG_PIDS=()
	BG_RUNS=()
}

# rc_of N: exit status of run N.
rc_of() { cat "$WORK/run$1.rc"; }

# check_no_crash N: run N ended by itself (not killed), without sanitizer or crash reports.
check_no_crash() {
	local base="$WORK/run$1" rc
	rc="$(cat "$base.rc")"
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		fail "run $1 timed out (exit $rc after ${DC_E2E_RUN_TIMEOUT:-420}s)"
	elif [ "$rc" -gt 128 ]; then
		fail "run $1 killed by signal $((rc - 128))"
	fi
	if grep -E -q 'Sanitizer|Segmentation|runtime error:|double free|stack smashing|Aborted' "$base.err"; then
		fail "run $1: crash or sanitizer report on stderr"
	fi
}

dump_runs() {
	local i base
	for ((i = 1; i <= RUNS; i++)); do
		base="$WORK/run$i"
		[ -f "$base.args" ] || continue
		echo "--- run $i: env $(cat "$base.args") $DC_BIN -> exit $(cat "$base.rc" 2>/dev/null || echo '?')"
		echo "--- run $i stdout:"
		head -c 20000 "$base.out" 2>/dev/null || true
		echo "--- run $i stderr:"
		head -c 20000 "$base.err" 2>/dev/null || true
	done
}

dump_state() {
	[ -n "$DC_ENGINE_SOCK" ] || return 0
	echo "--- engine state ($DC_ENGINE):"
	d ps -a --format 'container {{.Names}} {{.Status}} {{.Labels}}' 2>&1 || true
	d images -a --format 'image {{.ID}} {{.Repository}}:{{.Tag}}' 2>&1 || true
	d volume ls --format 'volume {{.Name}} {{.Labels}}' 2>&1 || true
	d network ls --format 'network {{.Name}} {{.Labels}}' 2>&1 || true
	if is_docker; then echo "build cache records: $(build_cache_count) (reclaimable $(build_cache_reclaimable))"; fi
}

# ------------------------------------------------------------------ assertions
# Assertions print expected and actual values and count failures; `finish` decides the exit.

fail() {
	FAILS=$((FAILS + 1))
	printf 'FAIL [%s/%s]: %s\n' "${DC_ENGINE:-none}" "$TEST_NAME" "$*" >&2
}

_exists() { # TYPE NAME
	case "$1" in
	container) d container inspect "$2" >/dev/null 2>&1 ;;
	image) d image inspect "$2" >/dev/null 2>&1 ;;
	volume) d volume inspect "$2" >/dev/null 2>&1 ;;
	network) d network inspect "$2" >/dev/null 2>&1 ;;
	*) die "unknown resource type: $1" ;;
	esac
}

# assert_exists TYPE NAME [WHY]: TYPE is container, image, volume or network.
assert_exists() {
	_exists "$1" "$2" || fail "expected $1 '$2' to exist${3:+ ($3)}, actual: it is gone"
}

# assert_gone TYPE NAME [WHY]
assert_gone() {
	if _exists "$1" "$2"; then fail "expected $1 '$2' to be gone${3:+ ($3)}, actual: it still exists"; fi
}

# assert_running NAME: the container exists and still runs.
assert_running() {
	local st
	st="$(d inspect -f '{{.State.Status}}' "$1" 2>/dev/null || echo gone)"
	[ "$st" = running ] || fail "expected container '$1' to be running, actual: $st"
}

# assert_exit N [M...]: the last run_cleaner exited with one of the given codes.
assert_exit() {
	local want
	for want in "$@"; do [ "$RC" = "$want" ] && return 0; done
	local alts="$*"
	fail "expected exit status ${alts// / or } from run $RUNS, actual: $RC"
}

# assert_eq EXPECTED ACTUAL WHAT
assert_eq() {
	[ "$1" = "$2" ] || fail "$3: expected '$1', actual '$2'"
}

# assert_le ACTUAL MAX WHAT / assert_gt ACTUAL MIN WHAT (integers)
assert_le() { [ "$1" -le "$2" ] || fail "$3: expected at most $2, actual $1"; }
assert_gt() { [ "$1" -gt "$2" ] || fail "$3: expected more than $2, actual $1"; }

# count TYPE [FILTER...]: how many resources of TYPE exist (networks: user networks only).
count() {
	local t="$1"
	shift
	case "$t" in
	container) d ps -aq "$@" | wc -l ;;
	image) d images -q --no-trunc "$@" | sort -u | wc -l ;;
	dangling) d images -q --no-trunc --filter dangling=true | sort -u | wc -l ;;
	volume) d volume ls -q "$@" | wc -l ;;
	network)
		d network ls --format '{{.Name}}' "$@" | while read -r n; do
			case "$DEFAULT_NETWORKS" in *" $n "*) ;; *) echo "$n" ;; esac
		done | wc -l
		;;
	*) die "count: unknown type $t" ;;
	esac
}

finish() {
	FINISHED=1
	if [ "$FAILS" -gt 0 ]; then
		printf '=== FAIL: %s on %s: %d failed assertion(s) (%ds)\n' "$TEST_NAME" "${DC_ENGINE:-none}" "$FAILS" $((SECONDS - T_START)) >&2
		dump_runs >&2
		dump_state >&2
		exit 1
	fi
	printf '=== PASS: %s on %s (%d runs, %ds)\n' "$TEST_NAME" "${DC_ENGINE:-none}" "$RUNS" $((SECONDS - T_START))
	exit 0
}
