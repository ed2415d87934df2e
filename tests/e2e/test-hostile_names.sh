#!/usr/bin/env bash
# Names from the engine cannot forge lines in the audit trail (audit F4, F7). Docker checks a
# network name only for being non-empty, so it takes one holding LF, a forged `Deleted network`
# and `Finished ... success` line, ESC sequences, U+2028 and NEL. The client-side removal path
# (a negative PRUNE_FILTER_LABEL) prints such names in its "Deleted", "kept" and failure
# messages, the dry run in its "Would delete" lines. Every line of stdout and stderr must stay
# one line for any splitter (Python's splitlines() splits at U+2028 and NEL too), hold no
# control character, and none may be forged; JSON keeps the exact name.
#
# The "kept" path needs the engine to refuse a removal the cleaner chose: a network in use
# (403, with Docker's own message quoting the name). A container attached after the cleaner's
# last listing makes it so; a small proxy in front of the engine's socket starts that container
# when it sees the DELETE of the network, then forwards the DELETE, so the refusal is certain
# rather than a race.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
use_engine "${1:-}"
is_docker || die "docker engines only (Podman checks network names)"

MARK=dc.e2e.hostile
# reset_engine lists networks by name, split on blanks: remove ours by ID first.
drop_ours() {
	local ids
	ids="$(d ps -aq --filter "label=$MARK")"
	# shellcheck disable=SC2086
	[ -z "$ids" ] || d rm -f $ids >/dev/null
	ids="$(d network ls -q --filter "label=$MARK")"
	# shellcheck disable=SC2086
	[ -z "$ids" ] || d network rm $ids >/dev/null
}
drop_ours
# Whatever happens, leave no such name behind for the next test's reset_engine.
trap 'rc=$?; drop_ours >/dev/null 2>&1 || true; (exit $rc); _e2e_on_exit' EXIT
reset_engine

N1=$'evil\nDeleted network 0123456789ab prod-net\nFinished in 0.01s: success (exit 0)\n\e[2K\e[1A\e[31mRED'
N2="$(printf 'x\xe2\x80\xa8Deleted network 000000000000 forged\xc2\x85Finished in 0.01s: success (exit 0)')"
S1='evil?Deleted network 0123456789ab prod-net?Finished in 0.01s: success (exit 0)??[2K?[1A?[31mRED'
S2='x?Deleted network 000000000000 forged?Finished in 0.01s: success (exit 0)'
id1="$(d network create --label "$MARK" "$N1")"
id2="$(d network create --label "$MARK" "$N2")"
assert_eq "$N1" "$(d network inspect -f '{{.Name}}' "$id1")" "the engine keeps the name as given"

# check_output N: run N's stdout and stderr are safe lines, with no forged one.
check_output() {
	python3 - "$WORK/run$1.out" "$WORK/run$1.err" "$2" <<'EOF' || fail "run $1: unsafe output (above)"
import re, sys
unsafe = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c\ufffd]")
# The forged summary line may equal the real one: that one must be the only and the last line.
forged = ("Deleted network 0123456789ab", "Deleted network 000000000000")
bad = []
finished = 0
for path in sys.argv[1:3]:
    text = open(path, "rb").read().decode("utf-8", "replace")
    lines = text.split("\n")
    if lines[-1] != "":
        bad.append("%s does not end with a newline" % path)
    if text.splitlines() != lines[:-1]:
        bad.append("%s: splitlines() sees %d lines, the newlines %d" % (path, len(text.splitlines()), len(lines) - 1))
    m = unsafe.search(text)
    if m:
        bad.append("%s holds %r" % (path, m.group()))
    for line in text.splitlines():
        if line.startswith(forged):
            bad.append("%s: forged line %r" % (path, line))
        if line.startswith("Finished"):
            finished += 1
            if not path.endswith(".out") or line != text.splitlines()[-1]:
                bad.append("%s: a Finished line that is not the last of stdout: %r" % (path, line))
        if path.endswith(".err") and sys.argv[3] == "text" and not line.startswith("docker-cleaner: "):
            bad.append("%s: a line not from docker-cleaner: %r" % (path, line))
if sys.argv[3] == "text" and finished != 1:
    bad.append("%d lines start with Finished, expected 1" % finished)
for b in bad:
    print("  " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
}

# Only the networks: the other kinds would take testbase's own things into the output.
CS=("PRUNE_FILTER_LABEL=!keep" CLEANUP_CONTAINERS=false CLEANUP_IMAGES=false CLEANUP_BUILD_CACHE=false)
short1="${id1:0:12}" short2="${id2:0:12}"

# 1. The dry run: one "Would delete" line each, sanitised.
run_cleaner "${CS[@]}" DRY_RUN=true
assert_exit 0
check_output "$RUNS" text
grep -qxF "Would delete network $short1 $S1" "$WORK/run$RUNS.out" || fail "dry run: no sanitised line for the first network"
grep -qxF "Would delete network $short2 $S2" "$WORK/run$RUNS.out" || fail "dry run: no sanitised line for the second network"
assert_exists network "$id1" "dry run"
assert_exists network "$id2" "dry run"

# 2. The real run through the proxy: the first network is in use when its DELETE arrives (403,
# "kept"), the second goes ("Deleted").
PROXY_SOCK="$WORK/proxy.sock"
cat >"$WORK/proxy.py" <<'EOF'
# proxy.py LISTEN UPSTREAM NET_ID HOOK...: relays every connection on LISTEN to UPSTREAM; before
# forwarding the first request that deletes network NET_ID, runs HOOK (and waits for it).
import os, socket, subprocess, sys, threading
listen, upstream, net_id, hook = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
fired = threading.Lock()
done = []

def pipe(src, dst, watch):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if watch and not done and data.startswith(b"DELETE ") and (b"/networks/" + net_id.encode()) in data:
                with fired:
                    if not done:
                        subprocess.run(hook, check=True, stdout=subprocess.DEVNULL)
                        done.append(1)
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

srv = socket.socket(socket.AF_UNIX)
srv.bind(listen)
os.chmod(listen, 0o666)
srv.listen(16)
print("ready", flush=True)
while True:
    c, _ = srv.accept()
    u = socket.socket(socket.AF_UNIX)
    u.connect(upstream)
    threading.Thread(target=pipe, args=(c, u, True), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c, False), daemon=True).start()
EOF
python3 "$WORK/proxy.py" "$PROXY_SOCK" "$DC_ENGINE_SOCK" "$id1" \
	timeout -k 5 120 "$DOCKER_CLI" -H "unix://$DC_ENGINE_SOCK" run -d --label "$MARK" --network "$id1" \
	testbase:latest sleep 1000000 >"$WORK/proxy.log" 2>&1 &
PROXY=$!
for _ in $(seq 100); do grep -q ready "$WORK/proxy.log" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$WORK/proxy.log" || die "the proxy did not start: $(cat "$WORK/proxy.log")"
REAL_SOCK="$DC_ENGINE_SOCK"
DC_ENGINE_SOCK="$PROXY_SOCK" # run_cleaner's DOCKER_HOST
run_cleaner "${CS[@]}"
DC_ENGINE_SOCK="$REAL_SOCK"
kill "$PROXY" 2>/dev/null || true
wait "$PROXY" 2>/dev/null || true
assert_exit 0
check_output "$RUNS" text
assert_exists network "$id1" "in use when its removal arrived"
assert_gone network "$id2"
grep -qF "docker-cleaner: info: kept network $S1: " "$WORK/run$RUNS.err" ||
	fail "no sanitised 'kept' message: the engine did not refuse, or the name is not sanitised"
grep -qxF "Deleted network $short2 $S2" "$WORK/run$RUNS.out" || fail "no sanitised Deleted line for the second network"

# 3. Freed again, the first network goes; in JSON its name is exact.
ids="$(d ps -aq --filter "label=$MARK")"
# shellcheck disable=SC2086
[ -z "$ids" ] || d rm -f $ids >/dev/null
run_cleaner "${CS[@]}" LOG_FORMAT=json
assert_exit 0
check_output "$RUNS" json
assert_gone network "$id1"
got="$(jq -r --arg id "$id1" 'select(.event == "deleted" and .id == $id) | .name' "$WORK/run$RUNS.out")"
assert_eq "$N1" "$got" "the name in the JSON deleted event"

finish
