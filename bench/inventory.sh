#!/usr/bin/env bash
# The large-inventory benchmark (run by bench/run.sh; needs its engine running).
#
#   bench/inventory.sh            capture real reply shapes, then time DRY_RUN=true against a fake
#                                 engine serving 1k/5k/10k containers (N/2 images, N volumes)
#   bench/inventory.sh createrate only measure how fast the real engine creates containers
#   bench/inventory.sh retention  the retention overhead on the same fake inventory (issue 14):
#                                 cases a/b/c, request counts from the fake engine's record
#   bench/inventory.sh retention-real   the inspects' cost on the real engine (2,500 images)
#   bench/inventory.sh retention-report the retention table again from $BENCH_OUT/inventory
#
# Why a fake engine: 10,000 real containers take too long to create on the 2-core machine (the
# create rate measured here is printed and extrapolated; see bench/README.md). The fake engine
# (tests/protocol/fake_engine.py) serves the exact JSON shape of the real engine's items, captured
# from the private Docker 26 engine at the start, replicated with distinct IDs.
# The set-up passes single-quoted scripts to `sh -c`: their $1, $2 expand in that shell.
# shellcheck disable=SC2016
set -Eeuo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The engine bench/run.sh started (its DC_ENGINE_DIR, exported), or the same default.
SOCK="${DC_ENGINE_DIR:-${BENCH_ENGINE_DIR:-${TMPDIR:-/tmp}/dc-bench}}/docker26/engine.sock"
DC_BIN="${DC_BIN:-$REPO/build-bench/docker-cleaner}"
OUT="${BENCH_OUT:-$REPO/bench/out}" # raw output: ignored by git
CLI="${BENCH_CLI:-$(command -v docker || echo docker)}" # the Docker CLI timed for scale (28.2 on the page)
WORK="$OUT/inventory"
COUNTS="${BENCH_INV_COUNTS:-1000 5000 10000}"
REPS="${BENCH_INV_RUNS:-3}"
API=v1.45
mkdir -p "$WORK"
chmod 755 "$OUT" "$WORK"
log() { printf '[inventory %s] %s\n' "$(date +%T)" "$*" >&2; }
api() { local m="$1" p="$2"; shift 2; curl -sS --fail-with-body --max-time 300 --unix-socket "$SOCK" -X "$m" "$@" "http://d/$API$p"; }
now_ns() { date +%s%N; }

createrate() { # create M containers in parallel (8 at a time) through the API, time it, remove them
	local m="${BENCH_CREATE_N:-200}" t0 ms
	t0=$(now_ns)
	seq 1 "$m" | xargs -P 8 -I@@ curl -sS --fail --unix-socket "$SOCK" -X POST -H 'Content-Type: application/json' \
		-o /dev/null -d '{"Image":"testbase:latest","Cmd":["true"],"Volumes":{"/data":{}},"HostConfig":{"NetworkMode":"none"}}' \
		"http://d/$API/containers/create?name=bench-rate-@@"
	ms=$((($(now_ns) - t0) / 1000000))
	log "created $m containers (8 in parallel, API) in $ms ms: $((ms * 1000 / m)) us each; 10,000 would take ~$((ms * 10000 / m / 1000)) s"
	echo "api $m $ms" >"$WORK/createrate.txt"
	t0=$(now_ns)
	seq 1 50 | xargs -P 8 -I{} "$CLI" -H "unix://$SOCK" create --network none -v /data --name bench-rate-cli-{} testbase:latest true >/dev/null
	ms=$((($(now_ns) - t0) / 1000000))
	log "created 50 containers (8 parallel 'docker create', CLI 28) in $ms ms: 10,000 would take ~$((ms * 10000 / 50 / 1000)) s"
	echo "cli 50 $ms" >>"$WORK/createrate.txt"
	api POST /containers/prune -o /dev/null
	api POST /volumes/prune -o /dev/null
}

capture() { # real reply shapes -> $WORK/samples.json
	local cid
	cid=$(api POST '/containers/create?name=bench-sample' -H 'Content-Type: application/json' \
		-d '{"Image":"testbase:latest","Cmd":["true"],"Volumes":{"/data":{}},"HostConfig":{"NetworkMode":"none"}}' | jq -r .Id)
	# An image of two layers (testbase's and its own, from the classic builder: no BuildKit
	# session needed) for the retention replies: its inspect and its /system/df entry.
	mkdir -p "$WORK/sample-ctx"
	printf 'FROM testbase:latest\nCOPY f /f\n' >"$WORK/sample-ctx/Dockerfile"
	head -c 65536 /dev/urandom >"$WORK/sample-ctx/f"
	tar -C "$WORK/sample-ctx" -cf "$WORK/sample-ctx.tar" Dockerfile f
	api POST '/build?version=1&t=bench-sample-img:latest&rm=1' -H 'Content-Type: application/x-tar' \
		--data-binary "@$WORK/sample-ctx.tar" -o /dev/null
	{
		printf '{"ping_headers": '
		curl -sS -D - -o /dev/null --unix-socket "$SOCK" http://d/_ping | tr -d '\r' |
			awk -F': ' 'NR > 1 && NF == 2 && $1 != "Date" && $1 != "Content-Length" && $1 != "Content-Type" {printf "%s%s", (n++ ? "," : "{"), "\"" $1 "\":\"" $2 "\""} END {print "}"}'
		printf ', "container": '; api GET '/containers/json?all=1' | jq -c '[.[] | select(.Names[0] == "/bench-sample")][0]'
		printf ', "image": '; api GET /images/json | jq -c '[.[] | select(.RepoTags == ["bench-sample-img:latest"])][0]'
		printf ', "inspect": '; api GET /images/bench-sample-img:latest/json | jq -c .
		printf ', "df_image": '; api GET '/system/df?type=image&type=build-cache' | jq -c '{LayersSize, Image: [.Images[] | select(.RepoTags == ["bench-sample-img:latest"])][0], BuildCache}'
		printf ', "volume": '; api GET /volumes | jq -c '[.Volumes[] | select(.Labels != null and (.Labels | has("com.docker.volume.anonymous")))][0]'
		printf ', "networks": '; api GET /networks | jq -c .
		printf ', "df_build": '; api GET '/system/df?type=build-cache' | jq -c .
		echo '}'
	} >"$WORK/samples.json"
	api DELETE "/containers/$cid?v=1" -o /dev/null
	api DELETE /images/bench-sample-img:latest -o /dev/null
	jq -e '.container and .image and .volume and (.inspect.RootFS.Layers | length) == 2 and .df_image.Image' "$WORK/samples.json" >/dev/null
}

# floor_ms SOCK: the engine's five list replies fetched by curl, one after another (ms).
floor_ms() {
	local t0 p
	t0=$(now_ns)
	for p in containers/json?all=1 images/json volumes networks system/df?type=volume; do
		curl -sS --unix-socket "$1" -o /dev/null "http://d/$API/$p"
	done
	echo $((($(now_ns) - t0) / 1000000))
}

# dry_runs SOCK TAG RESULTS LABEL: REPS timed dry runs against the engine at SOCK; "ms KiB" lines
# appended to RESULTS, the last run's output in $WORK/out-TAG.
dry_runs() {
	local sock="$1" tag="$2" results="$3" label="$4" r t0 ms rss
	for ((r = 1; r <= REPS; r++)); do
		t0=$(now_ns)
		env -i PATH=/usr/bin:/bin DOCKER_HOST="unix://$sock" DRY_RUN=true PRUNE_ALL=true PRUNE_VOLUMES=true \
			/usr/bin/time -f '%M' -o "$WORK/time-$tag" "$DC_BIN" >"$WORK/out-$tag" 2>"$WORK/err-$tag" </dev/null || true
		ms=$((($(now_ns) - t0) / 1000000))
		rss=$(tail -n1 "$WORK/time-$tag")
		echo "$ms $rss" >>"$results"
		log "$label run $r: $ms ms, peak RSS $rss KiB ($(grep -c 'Would delete' "$WORK/out-$tag" || true) would-delete lines)"
	done
}

fake_run() { # N: REPS dry runs against a fake engine serving N containers
	local n="$1" fsock="$WORK/fake-$1.sock" fpid
	python3 "$REPO/bench/gen_inventory.py" "$WORK/samples.json" "$n" "$WORK/script-$n.json" >"$WORK/sizes-$n.json"
	rm -f "$WORK/fake-$n.out"
	python3 "$REPO/bench/fake_inventory.py" "$fsock" "$WORK/script-$n.json" /dev/null >"$WORK/fake-$n.out" 2>&1 &
	fpid=$!
	for _ in $(seq 100); do grep -q ready "$WORK/fake-$n.out" 2>/dev/null && break; sleep 0.1; done
	# The fake engine's own floor.
	echo "$n floor $(floor_ms "$fsock")" >>"$WORK/fake-floor.txt"
	dry_runs "$fsock" "$n" "$WORK/inv-$n.txt" "N=$n"
	kill "$fpid" 2>/dev/null || true
	wait "$fpid" 2>/dev/null || true
}

# The retention overhead (issue 14): the same dry run (a) as above, (b) with KEEP_USED_WITHIN=24h
# KEEP_LATEST=2 (every image is inspected, at most DC_INSPECT_MAX), (c) with KEEP_STORAGE too
# (one /system/df?type=image&type=build-cache more; RET_STORAGE, default 1GB, is below what the
# rules keep at every count, so the budget evicts). The cases alternate (a b c a b c ...); each
# run's requests are counted from the fake engine's record (bench/reqstats.py), the 1-minute load
# average is noted before each run (the machine is shared).
RET_STORAGE="${BENCH_RET_STORAGE:-1GB}"
ret_env() { # CASE: the retention variables of that case
	case "$1" in
	a) ;;
	b) echo KEEP_USED_WITHIN=24h KEEP_LATEST=2 ;;
	c) echo KEEP_USED_WITHIN=24h KEEP_LATEST=2 "KEEP_STORAGE=$RET_STORAGE" ;;
	esac
}
ret_run() { # N
	local n="$1" fsock="$WORK/fake-ret-$1.sock" rec="$WORK/rec-$1.jsonl" fpid r c first t0 ms rss cpu load tag
	python3 "$REPO/bench/gen_inventory.py" "$WORK/samples.json" "$n" "$WORK/script-$n.json" >"$WORK/sizes-$n.json"
	rm -f "$rec" "$WORK"/ret-"$n"-?.txt "$WORK/fake-ret-$n.out" # (an old "ready" would be seen too early)
	python3 "$REPO/bench/fake_inventory.py" "$fsock" "$WORK/script-$n.json" "$rec" >"$WORK/fake-ret-$n.out" 2>&1 &
	fpid=$!
	for _ in $(seq 100); do grep -q ready "$WORK/fake-ret-$n.out" 2>/dev/null && break; sleep 0.1; done
	for ((r = 1; r <= REPS; r++)); do
		for c in a b c; do
			tag="ret-$n-$c"
			first=$(($(wc -l <"$rec") + 1))
			load=$(cut -d' ' -f1 /proc/loadavg)
			t0=$(now_ns)
			# shellcheck disable=SC2046 # the case's variables, one word each
			env -i PATH=/usr/bin:/bin DOCKER_HOST="unix://$fsock" DRY_RUN=true PRUNE_ALL=true PRUNE_VOLUMES=true \
				$(ret_env "$c") /usr/bin/time -f '%M %U %S' -o "$WORK/time-$tag" "$DC_BIN" >"$WORK/out-$tag" 2>"$WORK/err-$tag" </dev/null || true
			ms=$((($(now_ns) - t0) / 1000000))
			rss=$(tail -n1 "$WORK/time-$tag" | awk '{print $1}')
			cpu=$(tail -n1 "$WORK/time-$tag" | awk '{printf "%.0f", ($2 + $3) * 1000}')
			sleep 0.2 # the engine's last "answered" lines
			echo "$ms $rss $load $(grep -c 'Would delete' "$WORK/out-$tag") $(grep -c '  evict [0-9]' "$WORK/err-$tag") $(grep -c 'warn:' "$WORK/err-$tag") $(python3 "$REPO/bench/reqstats.py" "$rec" "$first") cpu_ms=$cpu" >>"$WORK/$tag.txt"
			log "N=$n case $c run $r: $ms ms, peak RSS $rss KiB, load $load: $(tail -n1 "$WORK/$tag.txt" | cut -d' ' -f7-)"
		done
	done
	kill "$fpid" 2>/dev/null || true
	wait "$fpid" 2>/dev/null || true
}
# The inspects' cost on the real engine: BENCH_RET_REAL_IMAGES (default 2500) imported images
# (half tagged, 8 tags a repository), no containers; cases a/b/c as above (KEEP_STORAGE
# BENCH_RET_REAL_STORAGE, default 1KB: these images are tiny), requests counted from the
# cleaner's LOG_LEVEL=debug "-> GET" lines. The images are removed at the end.
ret_real() {
	local ni="${BENCH_RET_REAL_IMAGES:-2500}" r c t0 ms rss cpu load tag
	RET_STORAGE="${BENCH_RET_REAL_STORAGE:-1KB}"
	t0=$(now_ns)
	make_tars 0 "$ni"
	seq 0 $((ni - 1)) | xargs -r -P 8 -I@@ sh -c \
		'q="fromSrc=-"; [ $(($1 % 2)) = 1 ] || q="$q&repo=bench-ret-$(($1 / 16))&tag=v$1"
		 curl -sS --fail --unix-socket "$0" -X POST -H "Content-Type: application/x-tar" -o /dev/null \
		 --data-binary "@$2/tars/$1.tar" "http://d/'"$API"'/images/create?$q"' "$SOCK" @@ "$WORK"
	log "real engine: $ni images imported in $((($(now_ns) - t0) / 1000000)) ms"
	rm -f "$WORK"/retreal-?.txt
	for ((r = 1; r <= REPS; r++)); do
		for c in a b c; do
			tag="retreal-$c"
			load=$(cut -d' ' -f1 /proc/loadavg)
			t0=$(now_ns)
			# shellcheck disable=SC2046 # the case's variables, one word each
			env -i PATH=/usr/bin:/bin DOCKER_HOST="unix://$SOCK" DRY_RUN=true PRUNE_ALL=true PRUNE_VOLUMES=true LOG_LEVEL=debug \
				$(ret_env "$c") /usr/bin/time -f '%M %U %S' -o "$WORK/time-$tag" "$DC_BIN" >"$WORK/out-$tag" 2>"$WORK/err-$tag" </dev/null || true
			ms=$((($(now_ns) - t0) / 1000000))
			rss=$(tail -n1 "$WORK/time-$tag" | awk '{print $1}')
			cpu=$(tail -n1 "$WORK/time-$tag" | awk '{printf "%.0f", ($2 + $3) * 1000}')
			echo "$ms $rss $load $(grep -c 'Would delete' "$WORK/out-$tag") $(grep -c '  evict [0-9]' "$WORK/err-$tag") $(grep -c 'warn:' "$WORK/err-$tag") $(python3 "$REPO/bench/reqstats.py" --log "$WORK/err-$tag") cpu_ms=$cpu" >>"$WORK/$tag.txt"
			log "real, $ni images, case $c run $r: $ms ms, peak RSS $rss KiB, load $load: $(tail -n1 "$WORK/$tag.txt" | cut -d' ' -f7-)"
		done
	done
	api GET /images/json | jq -r '.[] | select((.RepoTags | length) == 0 or (.RepoTags[0] | startswith("bench-ret-"))) | .Id' |
		xargs -r -P 8 -I@@ curl -sS --fail --unix-socket "$SOCK" -X DELETE -o /dev/null "http://d/$API/images/@@?force=1"
	printf '%-6s %-4s %7s %6s %8s %11s %6s %6s %5s  %s\n' images case wall_ms cpu_ms RSS_KiB load1 delete evict warn 'requests of the last run (cleaner debug log)'
	for c in a b c; do
		f="$WORK/retreal-$c.txt"
		printf '%-6s %-4s %7s %6s %8s %11s %6s %6s %5s  %s\n' "$ni" "$c" "$(awk '{print $1}' "$f" | median)" \
			"$(kv "$f" cpu_ms | median)" "$(awk '{print $2}' "$f" | median)" "$(awk '{print $3}' "$f" | sort -n | sed -n '1p;$p' | paste -sd-)" \
			"$(tail -n1 "$f" | awk '{print $4}')" "$(tail -n1 "$f" | awk '{print $5}')" "$(tail -n1 "$f" | awk '{print $6}')" \
			"$(tail -n1 "$f" | cut -d' ' -f7-17)"
	done
}
kv() { grep -o " $2=[^ ]*" "$1" | cut -d= -f2; } # FILE KEY: the key's value in each line
ret_report() {
	local n c f
	printf '%-6s %-4s %7s %6s %8s %11s %6s %6s %4s %6s %8s %8s %5s  %s\n' N case wall_ms cpu_ms RSS_KiB load1 delete evict warn \
		inflt conns span_ms same 'requests (every run)'
	for n in $COUNTS; do
		for c in a b c; do
			f="$WORK/ret-$n-$c.txt"
			[ -s "$f" ] || continue
			printf '%-6s %-4s %7s %6s %8s %11s %6s %6s %4s %6s %8s %8s %5s  %s\n' "$n" "$c" "$(awk '{print $1}' "$f" | median)" \
				"$(kv "$f" cpu_ms | median)" "$(awk '{print $2}' "$f" | median)" "$(awk '{print $3}' "$f" | sort -n | sed -n '1p;$p' | paste -sd-)" \
				"$(tail -n1 "$f" | awk '{print $4}')" "$(tail -n1 "$f" | awk '{print $5}')" "$(tail -n1 "$f" | awk '{print $6}')" \
				"$(kv "$f" inspect_max_inflight | sort -n | tail -n1)" "$(kv "$f" conns | sort -n | sed -n '1p;$p' | paste -sd-)" \
				"$(kv "$f" inspect_span_ms | median)" \
				"$(cut -d' ' -f4-18 "$f" | sort -u | wc -l | sed 's/^1$/yes/;s/^[0-9]*$/NO/')" \
				"$(tail -n1 "$f" | cut -d' ' -f7-18)"
		done
	done
	echo "cpu_ms: the cleaner's user+system CPU (median); inflt: the most inspects the engine held at once"
	echo "over the runs; conns: connections opened (min-max over the runs); span_ms: first inspect's arrival"
	echo "to the last one's answer (median); same: the counts of requests, would-delete lines, evictions and"
	echo "warnings were the same in every run"
	for n in $COUNTS; do
		[ -s "$WORK/ret-$n-c.txt" ] && { printf 'N=%s warnings (case c): ' "$n"; grep 'warn:' "$WORK/err-ret-$n-c" | sed 's/^docker-cleaner: warn: //' | sort -u | paste -sd'|'; }
	done
	true
}

# real_run: the same inventory on the real engine, grown to each count in turn (containers are all
# "created", each with an anonymous volume; N/2 imported images, half tagged; containers use the
# first N/8 tagged ones). Dry runs of docker-cleaner, and `docker ps -a` / `docker images` of the
# CLI for scale, are timed at each count; everything is removed at the end.
REAL_C=0 REAL_I=0
make_tars() { # A B: $WORK/tars/A.tar .. (B-1).tar, one distinct small file each
	python3 - "$1" "$2" "$WORK/tars" <<'PY2'
import io, os, sys, tarfile
a, b, d = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
os.makedirs(d, exist_ok=True)
for i in range(a, b):
    data = ("bench inventory image %d\n" % i).encode()
    with tarfile.open(os.path.join(d, "%d.tar" % i), "w") as t:
        ti = tarfile.TarInfo("id"); ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
PY2
}
real_grow() { # N
	local n="$1" ni=$(($1 / 2)) used t0
	used=$((n / 8)); [ "$used" -ge 1 ] || used=1
	t0=$(now_ns)
	make_tars "$REAL_I" "$ni"
	seq "$REAL_I" $((ni - 1)) | xargs -r -P 8 -I@@ sh -c \
		'q="fromSrc=-"; [ $(($1 % 2)) = 1 ] || q="$q&repo=bench-inv-$1&tag=latest"
		 curl -sS --fail --unix-socket "$0" -X POST -H "Content-Type: application/x-tar" -o /dev/null \
		 --data-binary "@$2/tars/$1.tar" "http://d/'"$API"'/images/create?$q"' "$SOCK" @@ "$WORK"
	REAL_I=$ni
	seq "$REAL_C" $((n - 1)) | xargs -r -P 8 -I@@ sh -c \
		'img=bench-inv-$(( ($1 % $2) / 2 * 2 )):latest
		 curl -sS --fail --unix-socket "$0" -X POST -H "Content-Type: application/json" -o /dev/null \
		 -d "{\"Image\":\"$img\",\"Cmd\":[\"true\"],\"Volumes\":{\"/data\":{}},\"HostConfig\":{\"NetworkMode\":\"none\"}}" \
		 "http://d/'"$API"'/containers/create?name=bench-inv-c-$1"' "$SOCK" @@ "$used"
	REAL_C=$n
	log "real engine grown to $n containers, $ni images in $((($(now_ns) - t0) / 1000000)) ms"
}
real_run() {
	local n t0
	rm -f "$WORK"/real-*.txt
	for n in $COUNTS; do
		real_grow "$n"
		dry_runs "$SOCK" "real-$n" "$WORK/real-$n.txt" "real N=$n"
		# the engine's own listing time (the floor for any client)
		echo "$n floor $(floor_ms "$SOCK")" >>"$WORK/real-floor.txt"
		t0=$(now_ns)
		/usr/bin/time -f '%M' -o "$WORK/time-cli-$n" "$CLI" -H "unix://$SOCK" ps -aq >/dev/null
		echo "$n cli_ps $((($(now_ns) - t0) / 1000000)) $(tail -n1 "$WORK/time-cli-$n")" >>"$WORK/real-floor.txt"
	done
	t0=$(now_ns)
	api POST /containers/prune -o /dev/null
	api POST '/volumes/prune?filters=%7B%22all%22%3A%7B%22true%22%3Atrue%7D%7D' -o /dev/null
	api POST '/images/prune?filters=%7B%22dangling%22%3A%7B%22false%22%3Atrue%7D%7D' -o /dev/null
	log "real inventory removed in $((($(now_ns) - t0) / 1000000)) ms"
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

case "${1:-all}" in
createrate) createrate; exit 0 ;;
capture) capture; exit 0 ;;
real) rm -f "$WORK/real-floor.txt"; real_run ;;
fake) capture; rm -f "$WORK"/inv-*.txt "$WORK/fake-floor.txt"; for n in $COUNTS; do fake_run "$n"; done ;;
retention)
	if [ ! -s "$WORK/samples.json" ] || [ -n "${BENCH_RECAPTURE:-}" ]; then capture; fi
	for n in $COUNTS; do ret_run "$n"; done
	ret_report | tee "$WORK/retention.txt"
	exit 0
	;;
retention-real) ret_real | tee "$WORK/retention-real.txt"; exit 0 ;;
retention-report) ret_report | tee "$WORK/retention.txt"; exit 0 ;;
all)
	createrate
	capture
	rm -f "$WORK"/inv-*.txt "$WORK/fake-floor.txt" "$WORK/real-floor.txt"
	for n in $COUNTS; do fake_run "$n"; done
	real_run
	;;
esac
{
	printf '\n%-6s %-10s %8s %8s %10s %10s %10s %12s\n' engine containers images volumes wall_ms RSS_KiB floor_ms cli_ps_ms/KiB
	for n in $COUNTS; do
		[ -s "$WORK/inv-$n.txt" ] && printf '%-6s %-10s %8s %8s %10s %10s %10s %12s\n' fake "$n" $((n / 2)) "$n" \
			"$(awk '{print $1}' "$WORK/inv-$n.txt" | median)" "$(awk '{print $2}' "$WORK/inv-$n.txt" | median)" \
			"$(awk -v n="$n" '$1 == n {print $3}' "$WORK/fake-floor.txt")" -
	done
	for n in $COUNTS; do
		[ -s "$WORK/real-$n.txt" ] && printf '%-6s %-10s %8s %8s %10s %10s %10s %12s\n' real "$n" $((n / 2)) "$n" \
			"$(awk '{print $1}' "$WORK/real-$n.txt" | median)" "$(awk '{print $2}' "$WORK/real-$n.txt" | median)" \
			"$(awk -v n="$n" '$1 == n && $2 == "floor" {print $3}' "$WORK/real-floor.txt")" \
			"$(awk -v n="$n" '$1 == n && $2 == "cli_ps" {print $3 "/" $4}' "$WORK/real-floor.txt")"
	done
	true
} | tee "$WORK/report.txt"
