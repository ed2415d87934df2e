#!/usr/bin/env bash
# Benchmarks: docker-cleaner against `docker system prune -af --volumes` on a private engine.
#
#   bench/run.sh [all|mix|scale|empty|bound|bound2|inventory|createrate]   (default: all)
#
# Starts its own Docker 26 engine (tests/engines/engine.sh in its own DC_ENGINE_DIR, DC_POOL_BASE
# 23: never /var/run/docker.sock, never the test engines), rebuilds the same workload before every
# timed run, alternates A (docker-cleaner) and B (the Docker CLI), and prints medians. Raw timings,
# logs and the report go to BENCH_OUT (bench/out/ by default, ignored by git); the page
# (bench/README.md) quotes only the compact reports kept in bench/results/.
#
# Environment:
#   DC_BIN            docker-cleaner binary (default build-bench/docker-cleaner, built if missing)
#   BENCH_RUNS        A/B pairs per scale (default 5)
#   BENCH_SCALES      scale factors (default "1 5 20")
#   BENCH_OUT         raw results directory (default bench/out in this checkout)
#   BENCH_ENGINE_DIR  the private engine's directory (default $TMPDIR/dc-bench, or /tmp/dc-bench:
#                     its socket path must stay under 108 bytes)
#   BENCH_POOL_BASE   the private engine's address pool (default 23)
#   A_ENV, A2_ENV     settings for A, and for a control A2 run in the same rounds (A, A2, B)
#   A2_BIN            the control's binary, when A2 compares builds (default DC_BIN)
#   BENCH_KIND        the engine (tests/engines/engine.sh KIND; default docker26, the page's A/B runs)
#   BENCH_CLI         B: the Docker CLI under test (default: docker on PATH; the page's runs used CLI 28.2)
#   BENCH_BUILD_CLI   the CLI that makes the build cache with its built-in BuildKit (default
#                     BENCH_CLI; the page's runs used the engine's own CLI 20.10)
#   BENCH_KEEP=1      leave the engine running at the end
# The set-up passes single-quoted scripts to `sh -c`: their $1, $2 expand in that shell.
# shellcheck disable=SC2016
set -Eeuo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DC_ENGINE_DIR="${BENCH_ENGINE_DIR:-${TMPDIR:-/tmp}/dc-bench}"
DC_POOL_BASE="${BENCH_POOL_BASE:-23}"
export DC_ENGINE_DIR DC_POOL_BASE
ENGINE_SH="$REPO/tests/engines/engine.sh"
KIND="${BENCH_KIND:-docker26}" # the page's A/B runs: docker26; the experiments also docker20, podman
SOCK="$DC_ENGINE_DIR/$KIND/engine.sock"
DC_BIN="${DC_BIN:-$REPO/build-bench/docker-cleaner}"
CLI28="${BENCH_CLI:-$(command -v docker || echo docker)}" # B: the CLI under test (28.2 on the page)
CLI20="${BENCH_BUILD_CLI:-$CLI28}" # set-up only: its built-in BuildKit makes build cache
RUNS="${BENCH_RUNS:-5}"
SCALES="${BENCH_SCALES:-1 5 20}"
OUT="${BENCH_OUT:-$REPO/bench/out}"
case "$KIND" in docker20 | podman*) API=v1.41 ;; docker28*) API=v1.51 ;; *) API=v1.45 ;; esac
# B's `--volumes` takes named volumes too before API 1.42: A does the same there, so that the
# two leave the same engine behind.
VOLUMES_ALL_DEFAULT=false
[ "$API" != v1.41 ] || VOLUMES_ALL_DEFAULT=true
WORK="$OUT/work"
TIMEIT="$WORK/timeit"
FLOOR="$WORK/floor" # bench/floor.c: connect, one /_ping, exit (the empty engine's lower bound)
unset DOCKER_CONTEXT DOCKER_HOST DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_API_VERSION CONTAINER_HOST
export DOCKER_CONFIG="$WORK/cli"

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { printf '[bench] ERROR: %s\n' "$*" >&2; exit 1; }
trap 'printf "[bench] ERROR: exit %s at line %s: %s\n" "$?" "$LINENO" "$BASH_COMMAND" >&2' ERR

d() { timeout -k 5 300 "$CLI20" -H "unix://$SOCK" "$@"; }
# api METHOD PATH [curl args]: the engine's API on the private socket.
api() { local m="$1" p="$2"; shift 2; curl -sS --fail-with-body --max-time 300 --unix-socket "$SOCK" -X "$m" "$@" "http://d/$API$p"; }
now_ns() { date +%s%N; }
ms_since() { echo $((($(now_ns) - $1) / 1000000)); }

# ------------------------------------------------------------------------------ set-up
setup() {
	command -v /usr/bin/time >/dev/null || apt-get install -y time >/dev/null
	command -v jq >/dev/null || apt-get install -y jq >/dev/null
	if [ ! -x "$DC_BIN" ]; then
		log "building $DC_BIN"
		cmake -S "$REPO" -B "$REPO/build-bench" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDC_TESTS=OFF >/dev/null
		cmake --build "$REPO/build-bench" -j "$(nproc)" >/dev/null
	fi
	mkdir -p "$OUT" "$WORK" "$DOCKER_CONFIG"
	cc -O2 -Wall -Wextra -Werror -o "$TIMEIT" "$REPO/bench/timeit.c" || die "cannot build bench/timeit.c"
	cc -O2 -Wall -Wextra -Werror -static -o "$FLOOR" "$REPO/bench/floor.c" || die "cannot build bench/floor.c"
	"$ENGINE_SH" start "$KIND"
	# One running container, started once and never pruned: it keeps testbase:latest (its image)
	# in use, so both A and B must spare it and its image.
	if [ "$(api GET '/containers/json?filters=%7B%22name%22%3A%7B%22bench-keep%22%3Atrue%7D%7D' | jq length)" = 0 ]; then
		d run -d --network none --name bench-keep testbase:latest sleep 1000000 >/dev/null
	fi
}

# reset: remove whatever an interrupted earlier run left (all but bench-keep and its image).
reset() {
	api POST /containers/prune -o /dev/null
	api POST /networks/prune -o /dev/null
	# Before API 1.42 the volume prune takes named volumes too, and has no `all` filter.
	case "$API" in
	v1.41) api POST /volumes/prune -o /dev/null ;;
	*) api POST '/volumes/prune?filters=%7B%22all%22%3A%7B%22true%22%3Atrue%7D%7D' -o /dev/null ;;
	esac
	api POST "/images/prune?$FALL" -o /dev/null
	case "$KIND" in podman*) ;; *) api POST '/build/prune?all=1' -o /dev/null ;; esac # Podman: no build cache
}

stop_engine() { [ "${BENCH_KEEP:-0}" = 1 ] || "$ENGINE_SH" stop "$KIND"; }

# ------------------------------------------------------------------------------ workload
# The standard mix at scale S (the same every time; names carry the scale and a counter):
#   20S created containers, each with an anonymous volume on /data (min(S,8)x2 of them on user
#   networks, which pins those networks until the container prune);
#   min(2S, 24) user networks (the engine removes one in ~170 ms, serially; the default pools
#   hold ~30), half with a stopped container attached;
#   5S dangling images, 5S tagged unused images (docker import of distinct small tars);
#   5S named volumes, 5S standalone anonymous volumes (com.docker.volume.anonymous label);
#   S BuildKit builds (COPY-only, FROM testbase): ~5 build-cache records each, plus their image.
mix_counts() { # S -> sets NCTR NNET NDANG NTAG NVOLN NVOLA NBUILD
	local s="$1"
	NCTR=$((20 * s)); NNET=$((2 * s)); [ "$NNET" -le 24 ] || NNET=24
	NDANG=$((5 * s)); NTAG=$((5 * s)); NVOLN=$((5 * s)); NVOLA=$((5 * s)); NBUILD=$s
	[ "${BENCH_NO_BUILD:-0}" != 1 ] || NBUILD=0 # engines without BuildKit (Podman), and the experiments
	case "$KIND" in podman*) NBUILD=0 ;; esac
}

PAR=8 # parallel set-up requests

gen_tars() { # N DIR: N distinct one-file tars (content differs, so every import is a new image)
	python3 - "$1" "$2" <<'PY'
import io, os, sys, tarfile, time
n, d = int(sys.argv[1]), sys.argv[2]
os.makedirs(d, exist_ok=True)
for i in range(n):
    p = os.path.join(d, "%d.tar" % i)
    data = ("bench image %d %d\n" % (i, time.time_ns())).encode()
    with tarfile.open(p, "w") as t:
        ti = tarfile.TarInfo("id"); ti.size = len(data); ti.mtime = 0
        t.addfile(ti, io.BytesIO(data))
PY
}

make_workload() { # S
	local s="$1" t0 i ctx
	mix_counts "$s"
	t0=$(now_ns)
	rm -rf "$WORK/tars" "$WORK/build"
	gen_tars $((NDANG + NTAG)) "$WORK/tars"
	# networks
	for ((i = 0; i < NNET; i++)); do echo "$i"; done | xargs -r -P "$PAR" -I{} \
		curl -sS --fail --unix-socket "$SOCK" -X POST -H 'Content-Type: application/json' \
		-d '{"Name":"bench-net-{}","Driver":"bridge"}' "http://d/$API/networks/create" -o /dev/null
	# containers: the first NNET/2 use a network each, the rest --network none
	for ((i = 0; i < NCTR; i++)); do
		if [ "$i" -lt $((NNET / 2)) ]; then echo "$i bench-net-$i"; else echo "$i none"; fi
	done | xargs -r -P "$PAR" -L1 sh -c \
		'curl -sS --fail --unix-socket "$0" -X POST -H "Content-Type: application/json" -o /dev/null \
		 -d "{\"Image\":\"testbase:latest\",\"Cmd\":[\"true\"],\"Volumes\":{\"/data\":{}},\"HostConfig\":{\"NetworkMode\":\"$2\"}}" \
		 "http://d/'"$API"'/containers/create?name=bench-c-$1"' "$SOCK"
	# images: NDANG untagged, NTAG tagged bench-img-i:latest
	for ((i = 0; i < NDANG + NTAG; i++)); do
		if [ "$i" -lt "$NDANG" ]; then echo "$i ''"; else echo "$i bench-img-$i"; fi
	done | xargs -r -P "$PAR" -L1 sh -c \
		'q="fromSrc=-"; [ -z "$3" ] || q="$q&repo=$3&tag=latest"
		 curl -sS --fail --unix-socket "$0" -X POST -H "Content-Type: application/x-tar" -o /dev/null \
		 --data-binary "@$1/tars/$2.tar" "http://d/'"$API"'/images/create?$q"' "$SOCK" "$WORK"
	# volumes: named, and anonymous (labelled as the engine labels a container's anonymous volume)
	for ((i = 0; i < NVOLN + NVOLA; i++)); do
		if [ "$i" -lt "$NVOLN" ]; then
			echo "{\"Name\":\"bench-vol-$i\"}"
		else
			echo "{\"Labels\":{\"com.docker.volume.anonymous\":\"\"}}"
		fi
	done | xargs -r -P "$PAR" -d '\n' -I{} \
		curl -sS --fail --unix-socket "$SOCK" -X POST -H 'Content-Type: application/json' \
		-d {} "http://d/$API/volumes/create" -o /dev/null
	# build cache
	for ((i = 0; i < NBUILD; i++)); do
		ctx="$WORK/build/$i"
		mkdir -p "$ctx"
		printf 'bench build %s %s\n' "$i" "$(now_ns)" >"$ctx/f"
		printf 'FROM testbase:latest\nCOPY f /f\n' >"$ctx/Dockerfile"
		DOCKER_BUILDKIT=1 timeout -k 5 300 "$CLI20" -H "unix://$SOCK" build -q -t "bench-build-$i:latest" "$ctx" >/dev/null
	done
	log "workload scale $s made in $(ms_since "$t0") ms: $(inventory_counts)"
}

# inventory: one sorted line per resource (the engine's state, compared after A and after B).
inventory() {
	{
		api GET '/containers/json?all=1' | jq -r '.[] | "container \(.Names[0]) \(.State)"'
		api GET '/images/json?all=1' | jq -r '.[] | "image \(.Id) \((.RepoTags // []) | join(","))"'
		api GET /volumes | jq -r '(.Volumes // [])[] | "volume \(if (.Labels // {}) | has("com.docker.volume.anonymous") then "<anonymous>" else .Name end)"'
		api GET /networks | jq -r '.[] | "network \(.Name)"'
		api GET '/system/df?type=build-cache' | jq -r '(.BuildCache // [])[] | "buildcache \(.Type) \(.Description)"'
	} | sort
}
inventory_counts() {
	inventory | awk '{n[$1]++} END {printf "containers=%d images=%d volumes=%d networks=%d buildcache=%d", n["container"], n["image"], n["volume"], n["network"], n["buildcache"]}'
}

# ------------------------------------------------------------------------------ timing
# settle: let the engine finish what the set-up started (dirty pages, containerd's garbage
# collection) so that each timed run starts from the same quiet engine.
settle() { sync; sleep "${BENCH_SETTLE:-1}"; }

# timed NAME [env -i VAR=VALUE...] CMD...: run CMD once under bench/timeit.c (the clock around
# its fork and wait4, its peak RSS from wait4); appends "wall_ms peak_rss_kib rc" to $OUT/NAME.txt.
# A leading `env -i ...` sets CMD's environment outside the clock (env's own start, with its
# locale files, took ~0.5 ms of A's 2.5 ms on an empty engine; B has none).
timed() {
	local name="$1" res
	shift
	local pre=()
	if [ "${1:-}" = env ]; then
		while [ "$#" -gt 0 ] && { [ "$1" = env ] || [ "$1" = -i ] || [[ "$1" == *=* ]]; }; do pre+=("$1"); shift; done
	fi
	settle
	res=$("${pre[@]}" "$TIMEIT" "$WORK/out.$name" "$WORK/err.$name" "$@")
	echo "$res" >>"$OUT/$name.txt"
	echo "$res"
}
run_A() { # docker-cleaner, the same work as B (see bench/README.md: CLI 28 removes anonymous volumes only)
	# A_ENV: more settings for A, e.g. A_ENV="CLEANUP_SPLIT_SCHEDULE=true" (the schedule per resource)
	# shellcheck disable=SC2086
	timed "$1" env -i PATH=/usr/bin:/bin DOCKER_HOST="unix://$SOCK" PRUNE_ALL=true PRUNE_VOLUMES=true \
		PRUNE_VOLUMES_ALL="${A_VOLUMES_ALL:-$VOLUMES_ALL_DEFAULT}" PRUNE_FORCE=true ${A_ENV:-} "${A_BIN:-$DC_BIN}"
}
run_B() { timed "$1" "$CLI28" -H "unix://$SOCK" system prune -af --volumes; }

median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
col_median() { awk -v c="$2" '{print $c}' "$OUT/$1.txt" | median; }

# ------------------------------------------------------------------------------ scenarios
# bound S: each prune endpoint alone (curl, the daemon's time plus one request), on a fresh
# workload: containers first (they pin the rest), then networks, images, volumes and build cache
# one at a time. Critical path = max(containers + max(networks, images, volumes), build cache).
prune_ms() { # PATH -> ms (curl's total time)
	api POST "$1" -o /dev/null -w '%{time_total}\n' | awk '{printf "%d\n", $1 * 1000 + 0.5}'
}
FALL='filters=%7B%22dangling%22%3A%7B%22false%22%3Atrue%7D%7D' # {"dangling":{"false":true}}
bound() { # S
	local s="$1" c n i v b crit
	make_workload "$s"
	settle
	c=$(prune_ms /containers/prune)
	n=$(prune_ms /networks/prune)
	i=$(prune_ms "/images/prune?$FALL")
	v=$(prune_ms /volumes/prune) # API 1.45: anonymous volumes only, as B
	b=$(prune_ms '/build/prune?all=1')
	crit=$(awk -v c="$c" -v n="$n" -v i="$i" -v v="$v" -v b="$b" 'BEGIN {m = n; if (i > m) m = i; if (v > m) m = v; x = c + m; if (b > x) x = b; print x}')
	echo "$c $n $i $v $b $crit" >>"$OUT/bound-s$s.txt"
	log "scale $s endpoints alone (ms): containers $c networks $n images $i volumes $v build $b -> critical path $crit"
}

# bound2 S: the critical path of the schedule per resource (CLEANUP_SPLIT_SCHEDULE, src/sched.c),
# from each piece's time alone, one after another on a fresh workload, with the cleaner's own
# DC_DELETE_CONCURRENCY (4) removals in flight where it removes one by one:
#   what no container pins: networks one by one (Docker: a stopped container holds no endpoint),
#     the image prune (the containers' image is bench-keep's), the dangling volumes one by one;
#   the containers one by one; then what they pinned: their anonymous volumes one by one;
#   the build cache prune.
# Critical path = max(containers + pinned volumes, networks, images, unpinned volumes, build cache).
del_ms() { python3 "$REPO/bench/del_parallel.py" "$SOCK" "$API" "$1" 4; } # KIND (IDs on stdin) -> ms, 4 in flight
DANG='filters=%7B%22dangling%22%3A%7B%22true%22%3Atrue%7D%7D' # {"dangling":{"true":true}}
bound2() { # S
	local s="$1" n i v1 c v2 b crit
	make_workload "$s"
	settle
	n=$(api GET /networks | jq -r '.[] | select(.Name | startswith("bench-net-")) | .Id' | del_ms networks)
	i=$(prune_ms "/images/prune?$FALL")
	v1=$(api GET "/volumes?$DANG" | jq -r '.Volumes[] | select(.Labels["com.docker.volume.anonymous"] != null) | .Name' | del_ms volumes)
	c=$(api GET '/containers/json?all=1' | jq -r '.[] | select(.State != "running") | .Id' | del_ms containers)
	v2=$(api GET "/volumes?$DANG" | jq -r '.Volumes[] | select(.Labels["com.docker.volume.anonymous"] != null) | .Name' | del_ms volumes)
	b=$(prune_ms '/build/prune?all=1')
	crit=$(awk -v n="$n" -v i="$i" -v v1="$v1" -v c="$c" -v v2="$v2" -v b="$b" 'BEGIN {x = c + v2; if (n > x) x = n; if (i > x) x = i; if (v1 > x) x = v1; if (b > x) x = b; print x}')
	echo "$c $n $i $v1 $v2 $b $crit" >>"$OUT/bound2-s$s.txt"
	log "scale $s per resource alone (ms): containers $c networks $n images $i volumes unpinned $v1 pinned $v2 build $b -> critical path $crit"
}

# mix S: RUNS pairs A B A B ..., the workload rebuilt before each run; the inventories left by A
# and by B must be equal.
mix() { # S
	local s="$1" r a b
	rm -f "$OUT/A-s$s.txt" "$OUT/A2-s$s.txt" "$OUT/B-s$s.txt" "$OUT/bound-s$s.txt" "$OUT/bound2-s$s.txt" "$OUT/load-s$s.txt"
	for ((r = 1; r <= RUNS; r++)); do
		make_workload "$s"
		a=$(run_A "A-s$s")
		inventory >"$WORK/inv-A-s$s-$r"
		if [ -n "${A2_ENV:-}${A2_BIN:-}" ]; then # a control: other settings or another build, same rounds
			make_workload "$s"
			a2=$(A_ENV="${A2_ENV:-}" A_BIN="${A2_BIN:-$DC_BIN}" run_A "A2-s$s")
			inventory >"$WORK/inv-A2-s$s-$r"
			log "scale $s run $r: A2 (${A2_ENV:-}${A2_BIN:+ $A2_BIN}) ${a2% *} ms/KiB/rc"
			diff -u "$WORK/inv-A-s$s-$r" "$WORK/inv-A2-s$s-$r" >/dev/null || echo "DIFF A2 s$s r$r" >>"$OUT/state-diffs.txt"
		fi
		make_workload "$s"
		b=$(run_B "B-s$s")
		inventory >"$WORK/inv-B-s$s-$r"
		log "scale $s run $r: A ${a% *} ms/KiB/rc, B ${b% *}, load $(cut -d' ' -f1-3 /proc/loadavg)"
		cut -d' ' -f1 /proc/loadavg >>"$OUT/load-s$s.txt"
		if ! diff -u "$WORK/inv-A-s$s-$r" "$WORK/inv-B-s$s-$r" >"$WORK/inv-diff-s$s-$r"; then
			log "scale $s run $r: A and B left different states:"; cat "$WORK/inv-diff-s$s-$r" >&2
			echo "DIFF s$s r$r" >>"$OUT/state-diffs.txt"
		fi
	done
	for ((r = 1; r <= RUNS; r++)); do bound "$s"; done
	for ((r = 1; r <= RUNS; r++)); do bound2 "$s"; done
	# clean up after the bound runs (they removed everything already; this just checks)
}

# empty: an engine with nothing to remove (one running container, its image, named volumes).
empty() {
	local r
	rm -f "$OUT/A-empty.txt" "$OUT/A2-empty.txt" "$OUT/B-empty.txt" "$OUT/floor-empty.txt"
	run_B B-warm >/dev/null; rm -f "$OUT/B-warm.txt"
	for ((r = 1; r <= ${BENCH_EMPTY_RUNS:-21}; r++)); do
		timed floor-empty "$FLOOR" "$SOCK" >/dev/null
		run_A A-empty >/dev/null
		if [ -n "${A2_ENV:-}${A2_BIN:-}" ]; then # the control, as in mix
			A_ENV="${A2_ENV:-}" A_BIN="${A2_BIN:-$DC_BIN}" run_A A2-empty >/dev/null
		fi
		run_B B-empty >/dev/null
	done
	log "empty: A median $(col_median A-empty 1) ms $(col_median A-empty 2) KiB; B median $(col_median B-empty 1) ms $(col_median B-empty 2) KiB"
	log "empty: floor (bench/floor.c: connect, one /_ping) median $(col_median floor-empty 1) ms, $(awk -v f="$(col_median floor-empty 1)" -v b="$(col_median B-empty 1)" 'BEGIN {printf "%.3f", f / b}')x B"
	if [ -n "${A2_ENV:-}${A2_BIN:-}" ]; then
		log "empty: A2 (${A2_ENV:-}${A2_BIN:+ $A2_BIN}) median $(col_median A2-empty 1) ms $(col_median A2-empty 2) KiB"
	fi
}

report() {
	local s am ar bm br c crit crit2
	printf '\n%-8s %10s %10s %10s %10s %8s %8s %10s %8s %10s %8s\n' case A_ms B_ms A/B A_KiB B_KiB RSS_A/B bound_ms A/bound bound2_ms A/bound2
	for s in $SCALES empty; do
		local k="s$s"; [ "$s" = empty ] && k=empty
		[ -s "$OUT/A-$k.txt" ] || continue
		am=$(col_median "A-$k" 1); bm=$(col_median "B-$k" 1)
		ar=$(col_median "A-$k" 2); br=$(col_median "B-$k" 2)
		crit=nan
		[ -s "$OUT/bound-$k.txt" ] && crit=$(col_median "bound-$k" 6)
		crit2=nan
		[ -s "$OUT/bound2-$k.txt" ] && crit2=$(col_median "bound2-$k" 7)
		awk -v k="$k" -v am="$am" -v bm="$bm" -v ar="$ar" -v br="$br" -v c="$crit" -v c2="$crit2" 'BEGIN {
			printf "%-8s %10s %10s %10.2f %10s %8s %8.2f %10s %8s %10s %8s\n", k, am, bm, am / bm, ar, br, ar / br, c,
				(c == "nan" ? "-" : sprintf("%.2f", am / c)), c2, (c2 == "nan" ? "-" : sprintf("%.2f", am / c2)) }'
	done
	for s in $SCALES; do
		[ -s "$OUT/A2-s$s.txt" ] && awk -v s="$s" -v a2="$(col_median "A2-s$s" 1)" -v k2="$(col_median "A2-s$s" 2)" \
			-v b="$(col_median "B-s$s" 1)" -v a="$(col_median "A-s$s" 1)" -v e="${A2_ENV:-}${A2_BIN:+ $A2_BIN}" \
			'BEGIN { printf "A2 s%s (%s): %s ms, %s KiB, A2/B %.2f, A/A2 %.2f\n", s, e, a2, k2, a2 / b, a / a2 }'
		[ -s "$OUT/load-s$s.txt" ] && printf 'load s%s (1-min average after each pair): median %s, min %s, max %s\n' "$s" \
			"$(median <"$OUT/load-s$s.txt")" "$(sort -n "$OUT/load-s$s.txt" | head -1)" "$(sort -n "$OUT/load-s$s.txt" | tail -1)"
		[ -s "$OUT/bound2-s$s.txt" ] || continue
		printf 'bound2 s%s medians (ms): containers one by one %s networks one by one %s images %s volumes unpinned %s pinned %s build %s critical %s\n' "$s" \
			"$(col_median "bound2-s$s" 1)" "$(col_median "bound2-s$s" 2)" "$(col_median "bound2-s$s" 3)" \
			"$(col_median "bound2-s$s" 4)" "$(col_median "bound2-s$s" 5)" "$(col_median "bound2-s$s" 6)" "$(col_median "bound2-s$s" 7)"
	done
	for s in $SCALES; do
		[ -s "$OUT/bound-s$s.txt" ] || continue
		printf 'bound s%s medians (ms): containers %s networks %s images %s volumes %s build %s critical %s\n' "$s" \
			"$(col_median "bound-s$s" 1)" "$(col_median "bound-s$s" 2)" "$(col_median "bound-s$s" 3)" \
			"$(col_median "bound-s$s" 4)" "$(col_median "bound-s$s" 5)" "$(col_median "bound-s$s" 6)"
	done
	[ -s "$OUT/floor-empty.txt" ] && awk -v f="$(col_median floor-empty 1)" -v a="$(col_median A-empty 1)" -v b="$(col_median B-empty 1)" \
		'BEGIN { printf "floor empty (bench/floor.c: connect, one /_ping): %s ms = %.3fx B; A = %.2fx the floor\n", f, f / b, a / f }'
	if [ -s "$OUT/state-diffs.txt" ]; then echo "STATE DIFFERENCES: $(tr '\n' ' ' <"$OUT/state-diffs.txt")"; else echo "states after A and after B: identical in every run"; fi
}

main() {
	local what="${1:-all}" s
	setup
	reset
	case "$what" in
	all)
		rm -f "$OUT/state-diffs.txt"
		for s in $SCALES; do mix "$s"; done
		empty
		"$REPO/bench/inventory.sh"
		;;
	mix) rm -f "$OUT/state-diffs.txt"; for s in $SCALES; do mix "$s"; done ;;
	empty) empty ;;
	bound) for s in $SCALES; do bound "$s"; done ;;
	bound2) for s in $SCALES; do bound2 "$s"; done ;;
	inventory) "$REPO/bench/inventory.sh" ;;
	createrate) "$REPO/bench/inventory.sh" createrate ;;
	report) ;;
	*) die "unknown scenario: $what" ;;
	esac
	report | tee "$OUT/report.txt"
	stop_engine
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then main "$@"; fi
