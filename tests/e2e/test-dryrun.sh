#!/usr/bin/env bash
# The dry run tells the truth: for each configuration, on a freshly filled engine, the set of
# resources DRY_RUN=true lists equals, per type, the set the real run with the same settings
# then deletes (build cache too on the engines that have it), and the dry run changes nothing.
# The workload has the cases a naive preview gets wrong: images, networks and volumes that only
# a stopped container (removed first) holds; a running container's network and volume; labelled,
# protected, dangling, tagged, anonymous and named resources; an older and a newer batch, with
# the `until` cut-off between them taken from the engine's own timestamps (lib.sh cut_after).
#
#   test-dryrun.sh KIND [CONFIG]   # CONFIG: one of the names below; none: every one in turn
# ctest runs each configuration as its own test (e2e_KIND_dryrun_CONFIG).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
use_engine "${1:-}"
ONLY="${2:-}"

fill() { # a mixed workload; sets CUT, an instant between the older batch A and the newer B
	reset_engine
	local b
	for b in a b; do
		mk_stopped "c_plain_$b" >/dev/null
		mk_stopped "c_ci_$b" env=ci >/dev/null
		mk_stopped "c_keep_$b" keep >/dev/null
		mk_stopped "c_prot_$b" docker-cleaner.protect >/dev/null
		mk_dangling "dg_$b" >/dev/null
		mk_dangling "dgci_$b" env=ci >/dev/null
		mk_dangling "dgprot_$b" docker-cleaner.protect >/dev/null
		mk_tagged "tu_$b" >/dev/null
		mk_tagged "tuci_$b" env=ci >/dev/null
		mk_network "n_plain_$b" >/dev/null
		mk_network "n_ci_$b" env=ci >/dev/null
		mk_network "n_keep_$b" keep >/dev/null
		mk_volume "v_plain_$b" >/dev/null
		mk_volume "v_ci_$b" env=ci >/dev/null
		mk_volume "v_prot_$b" docker-cleaner.protect >/dev/null
		if [ "$b" = a ]; then
			# Held only by a stopped container, which the container prune removes first.
			mk_network "n_onlystopped" >/dev/null
			mk_volume "v_onlystopped" >/dev/null
			mk_tagged "img_onlystopped" >/dev/null
			mk_stopped --network n_onlystopped -v v_onlystopped:/v -v /anon --image img_onlystopped:latest \
				c_stopped_holder >/dev/null
			# Held by a running container: all stay.
			mk_network "n_running" >/dev/null
			mk_volume "v_running" >/dev/null
			mk_running --network n_running -v v_running:/v c_running >/dev/null
			if is_docker; then mk_build_cache "bc_$b"; fi # returns once no record is in use
			cut_after 1
			CUT="$(rfc3339_of "$CUT_NS")"
		fi
	done
	check_after_cut
}

inventory() { # everything the engine holds, one line each, sorted
	{
		d ps -aq --no-trunc | sed 's/^/container /'
		d images -aq --no-trunc | sed 's/^/image /'
		d network ls -q --no-trunc | sed 's/^/network /'
		d volume ls -q | sed 's/^/volume /'
		if is_docker; then build_cache_df | jq -r '.BuildCache // [] | .[] | "build_cache \(.ID)"'; fi
	} | sort -u
}

deleted_set() { # RUN TYPE: the IDs run N reported as deleted, sorted
	jq -r --arg t "$2" 'select(.event == "deleted" and .type == $t) | .id | sub("^sha256:"; "")' \
		"$WORK/run$1.out" | sort -u
}

CONFIGS=" "
check_config() { # NAME VAR=VALUE...
	local name="$1" a
	shift
	CONFIGS+="$name "
	[ -z "$ONLY" ] || [ "$ONLY" = "$name" ] || return 0
	fill
	local args=()
	for a in "$@"; do args+=("${a//__CUT__/$CUT}"); done
	set -- "${args[@]}"
	local before after dry real t
	before="$(inventory)"
	run_cleaner LOG_FORMAT=json DRY_RUN=true "$@"
	dry=$RUNS
	assert_exit 0
	after="$(inventory)"
	[ "$before" = "$after" ] ||
		fail "$name: the dry run changed the engine: $(diff <(echo "$before") <(echo "$after") | grep '^[<>]' | head -5 | tr '\n' ' ')"
	jq -e 'select(.event == "summary") | .dry_run == true' "$WORK/run$dry.out" >/dev/null ||
		fail "$name: the dry run's summary does not say dry_run: true"

	run_cleaner LOG_FORMAT=json "$@"
	real=$RUNS
	assert_exit 0
	local types=(container image network volume)
	if is_docker; then types+=(build_cache); fi
	for t in "${types[@]}"; do
		local a b
		a="$(deleted_set "$dry" "$t")"
		b="$(deleted_set "$real" "$t")"
		if [ "$a" = "$b" ]; then
			log "$name: $t: dry run and real run agree on $(echo -n "$a" | grep -c . || true) resources"
		else
			fail "$name: $t: dry run listed $(echo -n "$a" | grep -c . || true), real run deleted $(echo -n "$b" | grep -c . || true): only in the dry run: $(comm -23 <(echo "$a") <(echo "$b") | head -3 | tr '\n' ' ') only in the real run: $(comm -13 <(echo "$a") <(echo "$b") | head -3 | tr '\n' ' ')"
		fi
	done
	# Never vacuous: every configuration deletes some containers.
	[ -n "$(deleted_set "$real" container)" ] || fail "$name: the real run deleted no container"
}

check_config default
check_config prune_all PRUNE_ALL=true
check_config volumes CLEANUP_VOLUMES=true
check_config volumes_all CLEANUP_VOLUMES=true PRUNE_VOLUMES_ALL=true PRUNE_ALL=true
check_config until PRUNE_FILTER_UNTIL=__CUT__ CLEANUP_VOLUMES=true PRUNE_VOLUMES_ALL=true PRUNE_ALL=true
check_config labels PRUNE_FILTER_LABEL=env=ci CLEANUP_VOLUMES=true PRUNE_VOLUMES_ALL=true PRUNE_ALL=true
check_config negative_label 'PRUNE_FILTER_LABEL=!keep' CLEANUP_VOLUMES=true PRUNE_VOLUMES_ALL=true
case "$CONFIGS" in *" ${ONLY:-default} "*) ;; *) die "unknown configuration '$ONLY' (one of:$CONFIGS)" ;; esac
finish
