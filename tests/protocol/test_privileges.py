#!/usr/bin/env python3
"""Privilege tests: the real docker-cleaner binary, started as root, against fake_engine.py
sockets with different owners and modes.

    test_privileges.py --binary BUILD/docker-cleaner --version-string 0.1.0 TEST [TEST...]
    test_privileges.py --list

A socket whose group (not root's) may read and write it: the cleaner drops to 65532 keeping just
that group, then connects. A root-only socket (mode 0600 or 0755, or group root): it connects
first, as root, drops to 65532 with no supplementary group, and only then writes its first
request; the run lives on those connections. Needs root (ctest runs the suite as root) and,
for the syscall-order test, strace. Exit status: 0 when every named test passed, 1 otherwise.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import test_protocol as tp  # noqa: E402  (the shared helpers: rules, checks, the record)
from test_protocol import Failure, check, eq, ping_rule, engine_rules  # noqa: E402

RUN_UID = 65532
TESTS = {}


def test(fn):
    TESTS[fn.__name__[len("test_"):]] = fn
    return fn


def need_root():
    if os.geteuid() != 0:
        raise Failure("these tests start the cleaner as root: run them as root (ctest does, through make test)")


def run(rules, mode, gid, env=None, prefix=(), wrapper=True):
    """Runs the binary (under prefix, e.g. strace, and the suite's wrapper unless wrapper is
    false) against a fake engine whose socket has this mode and group; returns the Result and
    the engine (to close)."""
    need_root()
    script = {"peek_ms": 30, "rules": rules, "socket_mode": mode, "socket_gid": gid}
    engine = tp.FakeEngine("dc-priv-", script)
    try:
        e = engine.env(dict({"LOG_LEVEL": "debug"}, **(env or {})))
        p = subprocess.run(list(prefix) + (tp.WRAPPER if wrapper else []) + [tp.BINARY], env=e,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        engine.events()
        engine.stop()
        events = tp.read_record(engine.record)
        return tp.Result(p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"),
                         events), engine
    except BaseException:
        engine.close()
        raise


def dropped_line(res):
    lines = [l for l in res.stderr.splitlines() if "dropped root:" in l]
    eq(len(lines), 1, "lines saying how root was dropped (%r)" % res.stderr)
    return lines[0]


def standard_run_ok(res):
    eq(res.rc, 0, "exit status\n" + res.dump())
    tp.wire_rules(res)
    calls = res.calls()
    for want in ("POST /v1.45/containers/prune?filters=" + tp.PROTECT, "POST /v1.45/build/prune",
                 "POST /v1.45/networks/prune?filters=" + tp.PROTECT,
                 "POST /v1.45/images/prune?filters=" + tp.DANGLING_PROTECT):
        check(want in calls, "missing request " + want, res.dump())


@test
def test_group_socket_keeps_its_group():
    """Mode 0660 with group 4242: GID matching, as before; no connection is opened as root."""
    res, engine = run([ping_rule("1.45")] + engine_rules("1.45"), 0o660, 4242)
    engine.close()
    standard_run_ok(res)
    eq(dropped_line(res), "docker-cleaner: debug: dropped root: uid %d gid %d groups 4242 (the group of %s)" % (
        RUN_UID, RUN_UID, engine.sock), "the drop")
    check("root-only" not in res.stderr, "a group socket taken for root-only", res.dump())


@test
def test_root_only_socket_cleans():
    """Docker Desktop's srwxr-xr-x root:root and a hand-started podman's 0600: connect as root,
    then drop every group; the whole run works, and says which path it took."""
    for mode in (0o755, 0o600):
        res, engine = run([ping_rule("1.45")] + engine_rules("1.45"), mode, 0)
        engine.close()
        standard_run_ok(res)
        eq(dropped_line(res), "docker-cleaner: debug: dropped root: uid %d gid %d groups none" % (RUN_UID, RUN_UID),
           "the drop with mode %o" % mode)
        info = "docker-cleaner: info: socket %s is root-only (owner uid 0, group gid 0, mode %04o): connected " \
               "before dropping to uid %d" % (engine.sock, mode, RUN_UID)
        check(info in res.stderr.splitlines(), "no line saying the socket is root-only", info, res.dump())
        # Keep-alive reuse: the run needs no more connections than it opened before the drop.
        check(len(res.connections) <= 8, "more connections than were opened as root", res.dump())


@test
def test_group_root_keeps_no_group():
    """A 0660 socket whose group is root (rootful podman.socket): keeping group root would
    leave the process in group 0, so it is treated as root-only."""
    res, engine = run([ping_rule("1.45")] + engine_rules("1.45"), 0o660, 0)
    engine.close()
    standard_run_ok(res)
    eq(dropped_line(res), "docker-cleaner: debug: dropped root: uid %d gid %d groups none" % (RUN_UID, RUN_UID),
       "the drop")


def syscalls(path):
    """(index, pid, name, args, result) of every line strace wrote (resumed calls joined)."""
    out = []
    pat = re.compile(r"^(\d+)\s+(?:<\.\.\. )?(\w+)(?:\((.*)| resumed>(.*))")
    with open(path, encoding="latin-1") as f:
        for i, line in enumerate(f):
            m = pat.match(line)
            if m:
                out.append((i, m.group(1), m.group(2), m.group(3) or m.group(4) or "", line))
    return out


@test
def test_no_request_byte_before_the_drop():
    """Under strace: on a root-only socket every connect comes before setresuid, and no byte is
    written to any of those connections before it; on a group socket, no connect comes before
    setresuid at all."""
    strace = shutil.which("strace")
    check(strace, "strace is not installed (tests/engines/install-deps.sh installs it)")
    for mode, gid, root_only in ((0o600, 0, True), (0o660, 4242, False)):
        tmp = tempfile.mkdtemp(prefix="dc-strace-")
        log = os.path.join(tmp, "trace")
        try:
            prefix = [strace, "-f", "-o", log, "-e",
                      "trace=connect,setresuid,write,writev,send,sendto,sendmsg,sendmmsg,pwritev"]
            # Not under the suite's wrapper: valgrind's own syscalls would be traced, and
            # LeakSanitizer cannot work in a traced process (an ASan build: detect_leaks=0).
            res, engine = run([ping_rule("1.45")] + engine_rules("1.45"), mode, gid, prefix=prefix, wrapper=False,
                              env={"ASAN_OPTIONS": "detect_leaks=0"})
            engine.close()
            standard_run_ok(res)
            calls = syscalls(log)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        drops = [c for c in calls if c[2] == "setresuid" and c[3].startswith("%d, %d, %d" % ((RUN_UID,) * 3))]
        check(drops, "no setresuid(%d, ...) in the trace" % RUN_UID, *[c[4] for c in calls[:40]])
        drop_at = drops[0][0]
        sock_fds = {}
        connects = [c for c in calls if c[2] == "connect" and engine.sock in c[3]]
        for c in connects:
            sock_fds.setdefault(c[3].split(",", 1)[0], []).append(c[0])
        before = [c for c in connects if c[0] < drop_at]
        if root_only:
            check(before, "no connection opened before the drop on a root-only socket")
            check(all(c[0] < drop_at for c in connects), "a connect after the drop on a root-only socket",
                  *[c[4] for c in connects])
        else:
            eq(before, [], "connects before the drop on a group socket")
        writes = [c for c in calls if c[2] in ("write", "writev", "send", "sendto", "sendmsg", "sendmmsg", "pwritev")
                  and c[3].split(",", 1)[0] in sock_fds]
        early = [c[4] for c in writes if c[0] < drop_at]
        eq(early, [], "bytes written to the engine before the drop (mode %o)" % mode)
        check(any(c[0] > drop_at for c in writes), "no request written after the drop (mode %o)" % mode,
              *[c[4] for c in calls[:60]])


@test
def test_engine_closes_the_root_only_connections():
    """Every reply closes its connection: once the 8 connections opened as root are used up,
    the requests left fail with a clear error (no reconnect as the unprivileged user, no hang)
    and the run is partial."""
    rules = [dict(r, encoding="close") for r in [ping_rule("1.45")] + engine_rules("1.45")]
    res, engine = run(rules, 0o600, 0)
    engine.close()
    eq(res.rc, 1, "exit status\n" + res.dump())
    eq(len(res.connections), 8, "connections (all opened before the drop)")
    eq(len(res.requests), 8, "requests the engine received")
    check("the engine closed every connection opened as root to the root-only socket %s" % engine.sock in res.stderr,
          "no clear error", res.dump())
    check("deadline" not in res.stderr, "the run waited for its deadline", res.dump())
    check(re.search(r"^Finished in .*: partial \(exit 1\)$", res.stdout, re.M), "no partial summary", res.dump())


@test
def test_real_root_with_other_effective_uid():
    """Real uid 0 and effective uid 1000 (F12): it becomes root again and drops for good, rather
    than keeping real uid 0 and its capabilities."""
    setpriv = shutil.which("setpriv")
    check(setpriv, "setpriv (util-linux) is not installed")
    res, engine = run([ping_rule("1.45")] + engine_rules("1.45"), 0o660, 4242,
                      prefix=[setpriv, "--euid=1000", "--egid=1000", "--groups=0", "--"])
    engine.close()
    standard_run_ok(res)
    eq(dropped_line(res), "docker-cleaner: debug: dropped root: uid %d gid %d groups 4242 (the group of %s)" % (
        RUN_UID, RUN_UID, engine.sock), "the drop")


def configure(binary, version):
    tp.BINARY, tp.VERSION = binary, version


if __name__ == "__main__":
    sys.exit(tp.main(TESTS, configure))
