#!/usr/bin/env bash
# PRUNE_FILTER_LABEL and the protection label, on stopped containers, dangling images, networks
# and (with CLEANUP_VOLUMES and PRUNE_VOLUMES_ALL) named volumes:
#  1. env=ci: only resources labelled env=ci go; env=ci plus docker-cleaner.protect stays.
#  2. !keepme: unlabelled resources go; keepme-labelled ones stay, and so do protected ones (a
#     user `label!` plus a protection `label!` in one request does not protect on Docker).
#  3. env (key only) with PROTECT_LABEL=hands.off: the custom protection label protects.
# testbase carries no label, so containers inherit none.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
use_engine "${1:-}"

IMGS=()
mk_set() { # NAME [LABEL...]: a stopped container, a dangling image, a network, a named volume
	local n="$1"
	shift
	mk_stopped --novol "c_$n" "$@" >/dev/null
	IMGS+=("$n=$(mk_dangling "d_$n" "$@")")
	mk_network "n_$n" "$@" >/dev/null
	mk_volume "v_$n" "$@" >/dev/null
}
img_of() {
	local e
	for e in "${IMGS[@]}"; do [ "${e%%=*}" != "$1" ] || { echo "${e#*=}"; return; }; done
	die "no image for $1"
}
assert_set_gone() {
	assert_gone container "c_$1" "$2"
	assert_gone image "$(img_of "$1")" "dangling image d_$1: $2"
	assert_gone network "n_$1" "$2"
	assert_gone volume "v_$1" "$2"
}
assert_set_stays() {
	assert_exists container "c_$1" "$2"
	assert_exists image "$(img_of "$1")" "dangling image d_$1: $2"
	assert_exists network "n_$1" "$2"
	assert_exists volume "v_$1" "$2"
}
VOLS=(CLEANUP_VOLUMES=true PRUNE_VOLUMES_ALL=true)

# 1. Positive filter.
reset_engine
IMGS=()
mk_set ci env=ci
mk_set ci_other env=ci other=1
mk_set dev env=dev
mk_set none
mk_set ci_prot env=ci docker-cleaner.protect=true
mk_set ci_prot_empty env=ci docker-cleaner.protect
run_cleaner PRUNE_FILTER_LABEL=env=ci "${VOLS[@]}"
assert_exit 0
assert_set_gone ci "labelled env=ci"
assert_set_gone ci_other "labelled env=ci and other=1"
assert_set_stays dev "labelled env=dev, filter env=ci"
assert_set_stays none "unlabelled, filter env=ci"
assert_set_stays ci_prot "labelled env=ci but protected"
assert_set_stays ci_prot_empty "labelled env=ci but protected (empty value)"

# 2. Negative filter: two label! terms in one request must not be what protects.
reset_engine
IMGS=()
mk_set plain
mk_set other other=1
mk_set keep keepme=1
mk_set keep_empty keepme
mk_set prot docker-cleaner.protect=true
mk_set keep_prot keepme=1 docker-cleaner.protect=true
run_cleaner 'PRUNE_FILTER_LABEL=!keepme' "${VOLS[@]}"
assert_exit 0
assert_set_gone plain "unlabelled, filter !keepme"
assert_set_gone other "labelled other=1, filter !keepme"
assert_set_stays keep "labelled keepme=1, filter !keepme"
assert_set_stays keep_empty "labelled keepme (empty value), filter !keepme"
assert_set_stays prot "protected, filter !keepme"
assert_set_stays keep_prot "keepme and protected"

# 3. Key-only filter and a custom protection label.
reset_engine
IMGS=()
mk_set env_x env=x
mk_set env_y_prot env=y hands.off=1
mk_set none
run_cleaner PRUNE_FILTER_LABEL=env PROTECT_LABEL=hands.off "${VOLS[@]}"
assert_exit 0
assert_set_gone env_x "has key env, filter env"
assert_set_stays env_y_prot "has key env but protected by PROTECT_LABEL=hands.off"
assert_set_stays none "no key env, filter env"
finish
