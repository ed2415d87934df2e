#!/usr/bin/env bash
# Retention for CI runners (issue 14), on a real engine: KEEP_IMAGES wins over PRUNE_ALL,
# KEEP_LATEST keeps exactly N per repository, KEEP_USED_WITHIN judges by last use (a fresh tag
# where the engine records one, a container made from the image, the state file of an earlier
# run), a corrupt state file is a warning, and KEEP_STORAGE evicts the least recently used
# images until the engine's own /system/df is within the budget, and not one more. In every
# phase a dry run first names exactly what the real run then removes (budget order included).
# Time cut-offs come from the engine's own timestamps (cut_after), never from a sleep.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
use_engine "${1:-}"

# Images made through the Docker API (as `d` does, on Podman too) are docker.io/library/NAME;
# Podman's own CLI would name them localhost/NAME (see README: Retention on CI runners).
LOCAL=

# deleted_images N: the image IDs run N deleted (or, dry, would delete), in the order reported.
deleted_images() {
	jq -r 'select(.event == "deleted" and .type == "image") | .id' "$WORK/run$1.out" | sed 's/^sha256://'
}
# budget_evicted N: the IDs the budget event of run N evicts, in order.
budget_evicted() {
	jq -r 'select(.event == "budget") | .evicted[] | .id' "$WORK/run$1.out" | sed 's/^sha256://'
}
# same_as_dry DRY REAL WHAT: the dry run named exactly what the real run removed.
same_as_dry() {
	assert_eq "$(deleted_images "$1" | sort)" "$(deleted_images "$2" | sort)" "$3: images the dry run names vs the real run's"
}
bare() { echo "${1#sha256:}"; }

# mk_sized NAME KIB: NAME:latest, one layer of KIB KiB of random bytes (its own size).
mk_sized() {
	IMG_SEQ=$((IMG_SEQ + 1))
	local dir="$WORK/img/$1.$IMG_SEQ"
	mkdir -p "$dir/rootfs"
	head -c "$(($2 * 1024))" /dev/urandom >"$dir/rootfs/blob"
	tar -C "$dir/rootfs" -cf "$dir/layer.tar" .
	d import "$dir/layer.tar" "$1:latest" | _img_id
}

# images_bytes: what images and build cache take by the engine's own account: LayersSize plus
# the build cache records not shared with images (as `docker system df` sums them).
system_df() {
	if [ "$DC_ENGINE" = docker20 ] || is_podman; then api GET /system/df; else
		curl -sS --fail-with-body --max-time 60 --unix-socket "$DC_ENGINE_SOCK" \
			"http://d/v1.44/system/df?type=image&type=build-cache"
	fi
}
# unique_bytes ID: what removing the image frees by the engine's account (its Size less its
# SharedSize in /system/df; the containerd store counts content and snapshot both).
unique_bytes() {
	system_df | jq --arg id "$(bare "$1")" \
		'[.Images[] | select((.Id | ltrimstr("sha256:")) == $id) | .Size - ([.SharedSize, 0] | max)][0]'
}
images_bytes() {
	local df
	df="$(system_df)"
	# Podman 4.3 reports LayersSize 0: there the images' sizes are summed (one entry per tag,
	# so per distinct ID; the test's images share no layers).
	jq '(if (.LayersSize // 0) > 0 then .LayersSize else ([.Images // [] | unique_by(.Id) | .[] | .Size] | add // 0) end)
		+ ([.BuildCache // [] | .[] | select(.Shared | not) | .Size] | add // 0)' <<<"$df"
}

JSON=(LOG_FORMAT=json)

# ---------------------------------------------------------------- KEEP_IMAGES over PRUNE_ALL
reset_engine
pg="$(mk_tagged postgres)"
d tag "${LOCAL}postgres:latest" "${LOCAL}postgres:16"
exporter="$(mk_tagged postgres-exporter)"
multi="$(mk_tagged app)"
d tag "${LOCAL}app:latest" docker.io/library/redis:7 # several tags: kept if any matches
other="$(mk_tagged other)"
dang="$(mk_dangling dang)"
keep="${LOCAL}postgres:*,redis:7,${LOCAL}testbase"
run_cleaner "${JSON[@]}" DRY_RUN=true PRUNE_ALL=true KEEP_IMAGES="$keep"
assert_exit 0
dry=$RUNS
run_cleaner "${JSON[@]}" PRUNE_ALL=true KEEP_IMAGES="$keep"
assert_exit 0
assert_exists image "$pg" "postgres:16 and :latest match ${LOCAL}postgres:*"
assert_exists image "$multi" "one of its tags is redis:7"
assert_exists image testbase:latest "matches ${LOCAL}testbase (the default tag :latest)"
assert_gone image "$exporter" "postgres-exporter does not match postgres:*"
assert_gone image "$other" "no pattern matches"
assert_gone image "$dang" "dangling"
same_as_dry "$dry" "$RUNS" "KEEP_IMAGES"
jq -s -e 'any(.[]; .event == "decision" and .id == $id and .decision == "keep" and .reason == "matches KEEP_IMAGES")' \
	--arg id "$pg" "$WORK/run$RUNS.out" >/dev/null || fail "no decision event: postgres kept, 'matches KEEP_IMAGES'"

# ---------------------------------------------------------------- KEEP_LATEST per repository
reset_engine
declare -a appv
for v in 1 2 3 4; do
	appv[v]="$(mk_tagged "rel$v")"
	d tag "${LOCAL}rel$v:latest" "${LOCAL}svc:$v"
	d rmi "${LOCAL}rel$v:latest" >/dev/null
done
tool="$(mk_tagged tool)"
run_cleaner "${JSON[@]}" DRY_RUN=true PRUNE_ALL=true KEEP_LATEST=2 KEEP_IMAGES="${LOCAL}testbase"
assert_exit 0
dry=$RUNS
run_cleaner "${JSON[@]}" PRUNE_ALL=true KEEP_LATEST=2 KEEP_IMAGES="${LOCAL}testbase"
assert_exit 0
assert_gone image "${appv[1]}" "svc:1, older than the newest two of svc"
assert_gone image "${appv[2]}" "svc:2, older than the newest two of svc"
assert_exists image "${appv[3]}" "svc:3, one of the newest two"
assert_exists image "${appv[4]}" "svc:4, the newest"
assert_exists image "$tool" "the only image of its repository"
assert_eq 2 "$(d images -q --no-trunc "${LOCAL}svc" | sort -u | wc -l)" "images of svc left"
same_as_dry "$dry" "$RUNS" "KEEP_LATEST"

# ---------------------------------------------------------------- KEEP_USED_WITHIN: last use
reset_engine
cold="$(mk_tagged cold)"
used="$(mk_tagged used)"
retag="$(mk_tagged retag)"
cut_after
# After the cut-off: a container made from `used` (removed by this very run), and, where the
# engine records tag times (Docker's LastTagTime), a new tag on `retag`.
mk_stopped --novol --image "${LOCAL}used:latest" c_used >/dev/null
has_tag_time=0
if [ "$(api GET "/images/$(bare "$retag")/json" | jq -r '.Metadata.LastTagTime // "" | select(startswith("0001") | not)')" != "" ]; then
	has_tag_time=1
	d tag "${LOCAL}retag:latest" "${LOCAL}retag:fresh"
fi
check_after_cut
within="$(rfc3339_of "$CUT_NS")"
run_cleaner "${JSON[@]}" DRY_RUN=true PRUNE_ALL=true KEEP_USED_WITHIN="$within" KEEP_IMAGES="${LOCAL}testbase"
assert_exit 0
dry=$RUNS
run_cleaner "${JSON[@]}" PRUNE_ALL=true KEEP_USED_WITHIN="$within" KEEP_IMAGES="${LOCAL}testbase"
assert_exit 0
assert_gone container c_used "stopped"
assert_exists image "$used" "a container made from it after the cut-off (removed by this run) is a use"
assert_gone image "$cold" "not used since before the cut-off"
if [ "$has_tag_time" = 1 ]; then
	assert_exists image "$retag" "tagged again after the cut-off"
else
	assert_gone image "$retag" "no tag time on this engine: last use is its creation"
fi
same_as_dry "$dry" "$RUNS" "KEEP_USED_WITHIN"

# ---------------------------------------------------------------- STATE_FILE across runs
reset_engine
stateimg="$(mk_tagged stateimg)"
mk_stopped --novol --image "${LOCAL}stateimg:latest" c_state >/dev/null
nostate="$(mk_tagged nostate)"
cut_after
# The cleaner drops root: its RUN_UID must reach and write the state file's directory.
STATEDIR="$(mktemp -d /tmp/dc-e2e-state.XXXXXX)"
chmod 777 "$STATEDIR"
STATE="$STATEDIR/docker-cleaner.json"
# Run 1 (defaults): removes c_state, keeps the tagged images, records stateimg as in use now.
run_cleaner STATE_FILE="$STATE"
assert_exit 0
assert_gone container c_state "stopped"
assert_exists image "$stateimg" "tagged, without PRUNE_ALL"
jq -e --arg id "$(bare "$stateimg")" '.images[$id] > 0' "$STATE" >/dev/null ||
	fail "the state file does not record stateimg: $(cat "$STATE" 2>&1)"
within="$(rfc3339_of "$CUT_NS")"
# Without the state file, stateimg looks cold: the dry run would remove it.
run_cleaner "${JSON[@]}" DRY_RUN=true PRUNE_ALL=true KEEP_USED_WITHIN="$within" KEEP_IMAGES="${LOCAL}testbase"
assert_exit 0
deleted_images "$RUNS" | grep -qx "$(bare "$stateimg")" || fail "without the state file stateimg should look cold"
cp "$STATE" "$WORK/state.before"
run_cleaner "${JSON[@]}" DRY_RUN=true PRUNE_ALL=true KEEP_USED_WITHIN="$within" KEEP_IMAGES="${LOCAL}testbase" STATE_FILE="$STATE"
assert_exit 0
dry=$RUNS
cmp -s "$STATE" "$WORK/state.before" || fail "a dry run changed the state file"
run_cleaner "${JSON[@]}" PRUNE_ALL=true KEEP_USED_WITHIN="$within" KEEP_IMAGES="${LOCAL}testbase" STATE_FILE="$STATE"
assert_exit 0
assert_exists image "$stateimg" "seen in use by run 1 (its container is gone): still hot"
assert_gone image "$nostate" "never used"
same_as_dry "$dry" "$RUNS" "STATE_FILE"
jq -e --arg id "$(bare "$nostate")" '.images | has($id) | not' "$STATE" >/dev/null ||
	fail "the state file still lists a removed image"
# A corrupt state file: one warning, a fresh start, the run succeeds and writes it anew.
printf '{"version":1,"images":{"zz' >"$STATE"
run_cleaner STATE_FILE="$STATE"
assert_exit 0
grep -q "state file" "$WORK/run$RUNS.err" || fail "no warning about the corrupt state file"
jq -e '.version == 1' "$STATE" >/dev/null || fail "the state file was not written anew: $(cat "$STATE")"
rm -rf "$STATEDIR"

# ---------------------------------------------------------------- KEEP_STORAGE, coldest first
reset_engine
declare -a big
for v in 1 2 3 4; do big[v]="$(mk_sized "big$v" 2048)"; done # 2 MiB each, big1 the coldest
before="$(images_bytes)"
u1="$(unique_bytes "${big[1]}")" u2="$(unique_bytes "${big[2]}")" u3="$(unique_bytes "${big[3]}")"
# Within budget once big1, big2 and half of big3 are freed: big1, big2 and big3 go, big4 stays.
budget=$((before - u1 - u2 - u3 / 2))
run_cleaner "${JSON[@]}" DRY_RUN=true KEEP_STORAGE="$budget" KEEP_IMAGES="${LOCAL}testbase"
assert_exit 0
dry=$RUNS
run_cleaner "${JSON[@]}" KEEP_STORAGE="$budget" KEEP_IMAGES="${LOCAL}testbase"
assert_exit 0
assert_gone image "${big[1]}" "the coldest"
assert_gone image "${big[2]}" "the second coldest"
assert_gone image "${big[3]}" "the third coldest"
assert_exists image "${big[4]}" "within budget without it"
assert_exists image testbase:latest "KEEP_IMAGES: never evicted"
after="$(images_bytes)"
assert_le "$after" "$budget" "bytes of images and build cache after the run (engine's /system/df)"
assert_gt $((after + u3)) "$budget" "one eviction fewer would not have been within budget"
assert_eq "$(budget_evicted "$dry")" "$(budget_evicted "$RUNS")" "budget evictions, dry run vs real run, in order"
assert_eq "$(printf '%s\n' "$(bare "${big[1]}")" "$(bare "${big[2]}")" "$(bare "${big[3]}")")" \
	"$(budget_evicted "$RUNS")" "eviction order"
same_as_dry "$dry" "$RUNS" "KEEP_STORAGE"
# A budget nothing more can meet: a warning with the shortfall, exit 0, nothing kept removed.
run_cleaner KEEP_STORAGE=1 KEEP_IMAGES="${LOCAL}testbase,${LOCAL}big4"
assert_exit 0
grep -q "cannot be met" "$WORK/run$RUNS.err" || fail "no warning that the budget cannot be met"
assert_exists image "${big[4]}" "matched by KEEP_IMAGES"

# Build cache and images in one LRU order (Docker: Podman has no build cache). The records are
# used after the cut-off, so KEEP_USED_WITHIN keeps them from the normal pass, and made before
# the images: the budget evicts them first (one prune each, by ID), then the colder image.
if is_docker; then
	reset_engine
	cut_after
	mk_build_cache bcx
	big5="$(mk_sized big5 2048)"
	big6="$(mk_sized big6 2048)"
	df="$(system_df)"
	records="$(jq -r '[.BuildCache // [] | .[] | select((.Shared | not) and (.InUse | not) and .LastUsedAt != null)]
		| sort_by(.LastUsedAt) | .[].ID' <<<"$df")"
	cache_bytes="$(jq '[.BuildCache // [] | .[] | select((.Shared | not) and (.InUse | not) and .LastUsedAt != null) | .Size] | add // 0' <<<"$df")"
	[ -n "$records" ] || die "no build cache record to evict"
	before="$(images_bytes)"
	u5="$(unique_bytes "$big5")"
	budget=$((before - cache_bytes - u5 / 2))
	within="$(rfc3339_of "$CUT_NS")"
	set -- KEEP_STORAGE="$budget" KEEP_USED_WITHIN="$within" KEEP_IMAGES="${LOCAL}testbase,${LOCAL}bcx"
	run_cleaner "${JSON[@]}" DRY_RUN=true "$@"
	assert_exit 0
	dry=$RUNS
	run_cleaner "${JSON[@]}" "$@"
	assert_exit 0
	left="$(build_cache_df | jq -r '.BuildCache // [] | .[].ID')"
	for r in $records; do
		grep -qxF "$r" <<<"$left" && fail "build cache record $r (evictable, colder than every image) is still there"
	done
	assert_gone image "$big5" "the coldest image, after the build cache"
	assert_exists image "$big6" "within budget without it"
	assert_exists image bcx:latest "KEEP_IMAGES"
	assert_le "$(images_bytes)" "$budget" "bytes after the run with build cache (engine's /system/df)"
	# BuildKit may hold a record (in use) for a moment of its own: a record the engine showed in
	# use to one of the two runs (their debug lines say so) is the engine's change between them,
	# not a difference of the plans. Anything else must be equal.
	if [ "$(budget_evicted "$dry")" != "$(budget_evicted "$RUNS")" ]; then
		for r in $(diff <(budget_evicted "$dry") <(budget_evicted "$RUNS") | sed -n 's/^[<>] //p'); do
			if grep -h "budget: build cache $r stays: cache in use" "$WORK/run$dry.err" "$WORK/run$RUNS.err" >/dev/null; then
				log "build cache $r was in use for one of the two runs (BuildKit's own): not compared"
			else
				fail "budget evictions with build cache, dry vs real: $r differs ($(budget_evicted "$dry" | tr '\n' ' ') vs $(budget_evicted "$RUNS" | tr '\n' ' '))"
			fi
		done
	fi
	assert_eq "$(jq -r 'select(.event == "budget") | [.evicted[].type] | unique | join(",")' "$WORK/run$RUNS.out")" \
		"build_cache,image" "evicted kinds"
	assert_eq "$(jq -r 'select(.event == "budget") | .evicted[-1].id' "$WORK/run$RUNS.out")" "$big5" \
		"the last eviction is the image (the records were used before it)"
	assert_eq "$(jq -r 'select(.event == "deleted" and .type == "build_cache") | .id' "$WORK/run$RUNS.out" | sort)" \
		"$(sort <<<"$records")" "build cache records named as deleted"
fi

finish
