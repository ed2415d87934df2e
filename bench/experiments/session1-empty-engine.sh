#!/usr/bin/env bash
# Session 1: where docker-cleaner's milliseconds go on an empty engine: /usr/bin/time, strace -r
# and strace -c of it, each endpoint alone with curl, and the CLI for comparison.
#   bench/experiments/session1-empty-engine.sh   (the bench engine must be running)
# shellcheck source-path=SCRIPTDIR source=session1-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/session1-lib.sh"
reset
dc() { env -i PATH=/usr/bin:/bin DOCKER_HOST="unix://$SOCK" PRUNE_ALL=true PRUNE_VOLUMES=true PRUNE_FORCE=true "$@"; }
for i in 1 2 3; do
	dc /usr/bin/time -f '%e s wall %U user %S sys %M KiB' "$DC_BIN" >/dev/null 2>"$WORK/empty-time.$i"
	tail -1 "$WORK/empty-time.$i"
done
dc strace -f -r -T -e trace=execve,connect,write,read,epoll_wait,setgroups,setresuid,setresgid,prctl -s 90 \
	-o "$WORK/strace-empty.txt" "$DC_BIN" >/dev/null 2>&1
strace -c -f -o "$WORK/strace-empty-c.txt" env -i PATH=/usr/bin:/bin DOCKER_HOST="unix://$SOCK" PRUNE_ALL=true \
	PRUNE_VOLUMES=true PRUNE_FORCE=true "$DC_BIN" >/dev/null 2>&1
head -20 "$WORK/strace-empty-c.txt"
# each endpoint alone on the empty engine (curl, after a warm-up)
for p in /containers/prune '/build/prune?all=1' /networks/prune "/images/prune?$FALL" /volumes/prune; do
	prune_ms "$p" >/dev/null
	printf 'POST %s: %s s\n' "$p" "$(api POST "$p" -o /dev/null -w '%{time_total}')"
done
for p in '/containers/json?all=1' /volumes '/system/df?type=volume' /images/json /networks; do
	printf 'GET %s: %s s\n' "$p" "$(api GET "$p" -o /dev/null -w '%{time_total}')"
done
printf 'HEAD /_ping: %s s\n' "$(curl -s -o /dev/null -I -w '%{time_total}' --unix-socket "$SOCK" http://d/_ping)"
for i in 1 2 3; do
	/usr/bin/time -f '%e s wall %U user %S sys %M KiB' "$CLI28" -H "unix://$SOCK" system prune -af --volumes >/dev/null 2>"$WORK/cli-empty.$i"
	tail -1 "$WORK/cli-empty.$i"
done
for i in 1 2 3; do
	/usr/bin/time -f '%e s wall %U user %S sys %M KiB (CLI --version)' "$CLI28" --version >/dev/null 2>"$WORK/cli-v.$i"
	tail -1 "$WORK/cli-v.$i"
done
uptime
