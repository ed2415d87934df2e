#!/usr/bin/env python3
"""Protocol tests: the real docker-cleaner binary against fake_engine.py.

    test_protocol.py --binary BUILD/docker-cleaner --version-string 0.1.0 TEST [TEST...]
    test_protocol.py --list

Each test writes a script of canned replies, runs the binary with DOCKER_HOST pointing at
the fake engine's socket, and asserts the exact bytes of every request, the order of the
requests, that the client never half-closed a connection before its answer, and the exit
status. Exit status: 0 when every named test passed, 1 otherwise.

Environment: DC_PROTOCOL_KEEP=1 keeps each run's directory; DC_PROTOCOL_WRAPPER runs the
binary under a command (e.g. "valgrind --error-exitcode=99 --leak-check=full");
DC_PROTOCOL_SCHEDULE sets CLEANUP_SPLIT_SCHEDULE for the tests that do not set it (default
false: they pin the per-type schedule's request order).
"""

import argparse
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_engine.py")
BINARY = None
VERSION = None
KEEP = os.environ.get("DC_PROTOCOL_KEEP") == "1"  # keep each run's directory (script, record)
# A command to run the binary under, e.g. "valgrind --error-exitcode=99 --leak-check=full".
WRAPPER = os.environ.get("DC_PROTOCOL_WRAPPER", "").split()

PROTECT = "%7B%22label%21%22%3A%7B%22docker-cleaner.protect%22%3Atrue%7D%7D"
DANGLING_PROTECT = ("%7B%22dangling%22%3A%7B%22true%22%3Atrue%7D%2C%22label%21%22%3A%7B%22"
                    "docker-cleaner.protect%22%3Atrue%7D%7D")
NOT_DANGLING_PROTECT = ("%7B%22dangling%22%3A%7B%22false%22%3Atrue%7D%2C%22label%21%22%3A%7B%22"
                        "docker-cleaner.protect%22%3Atrue%7D%7D")


class Failure(Exception):
    pass


def check(cond, msg, *ctx):
    if not cond:
        raise Failure(msg + "".join("\n    " + str(c) for c in ctx))


def eq(actual, expected, what):
    if actual != expected:
        raise Failure("%s:\n    actual:   %r\n    expected: %r" % (what, actual, expected))


# --- running the binary against the fake engine ---

class Result:
    def __init__(self, rc, stdout, stderr, events):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.events = events
        self.requests = [e for e in events if e["event"] == "request"]
        self.connections = [e for e in events if e["event"] == "connect"]

    def paths(self, method=None):
        return [r["path"] for r in self.requests if method is None or r["method"] == method]

    def calls(self):
        return sorted("%s %s" % (r["method"], r["path"]) for r in self.requests)

    def index(self, event, seq):
        for i, e in enumerate(self.events):
            if e["event"] == event and e.get("seq") == seq:
                return i
        raise Failure("no %s event for request %d" % (event, seq))

    def request(self, method, path):
        found = [r for r in self.requests if r["method"] == method and r["path"] == path]
        check(len(found) == 1, "expected exactly one %s %s, got %d" % (method, path, len(found)), *self.calls())
        return found[0]

    def dump(self):
        return "exit %s\n--- stdout\n%s--- stderr\n%s--- requests\n%s" % (
            self.rc, self.stdout, self.stderr, "".join("  %s %s\n" % (r["method"], r["path"]) for r in self.requests))


def ping_rule(version="1.45", extra_headers=None, status=200):
    headers = {"Api-Version": version, "Server": "Docker/26.1.5 (linux)", "Builder-Version": "2",
               "Docker-Experimental": "false", "Cache-Control": "no-cache, no-store, must-revalidate",
               "Pragma": "no-cache", "Swarm": "inactive"}
    headers.update(extra_headers or {})
    return {"method": "GET", "path": "/_ping", "exact": True, "status": status, "headers": headers,
            "body": "OK" if status == 200 else "{\"message\":\"engine broken\"}\n"}


# One resource of each kind that every configuration of the tests selects (stopped, old, with the
# labels the label tests ask for, unprotected, unused): the cleaner prunes only where its
# inventory shows something to remove, and these make every prune happen.
PRUNABLE_LABELS = {"env": "ci", "team": ""}
PRUNABLE = {
    "containers": [{"Id": "c0" * 32, "Names": ["/stopped"], "State": "exited", "Created": 1000000000,
                    "Labels": PRUNABLE_LABELS, "ImageID": "sha256:" + "e" * 64}],
    "images": [{"Id": "sha256:" + "d" * 64, "RepoTags": ["<none>:<none>"], "Created": 1000000000,
                "Labels": PRUNABLE_LABELS, "Size": 100}],
    "networks": [{"Name": "bridge", "Id": "b" * 64, "Driver": "bridge", "Created": "2001-09-09T01:46:40Z"},
                 {"Name": "spare", "Id": "5" * 64, "Driver": "bridge", "Created": "2001-09-09T01:46:40Z",
                  "Labels": PRUNABLE_LABELS}],
    "build_cache": [{"ID": "r0", "Type": "regular", "InUse": False, "Shared": False, "Size": 5,
                     "LastUsedAt": None}],
}


def engine_rules(v="1.45", empty=False):
    """Replies for everything a run may ask: inventories with one prunable resource of each
    kind (none when empty), prunes that delete nothing."""
    p = "/v%s" % v
    inv = {k: ([] if empty else x) for k, x in PRUNABLE.items()}
    return [
        {"method": "GET", "path": p + "/containers/json", "body": inv["containers"]},
        {"method": "GET", "path": p + "/images/json", "body": inv["images"]},
        {"method": "GET", "path": p + "/networks", "body": inv["networks"]},
        {"method": "GET", "path": p + "/volumes", "body": {"Volumes": [], "Warnings": None}},
        {"method": "GET", "path": p + "/system/df", "body": {"Volumes": [], "BuildCache": inv["build_cache"]}},
        {"method": "POST", "path": p + "/containers/prune", "body": {"ContainersDeleted": None, "SpaceReclaimed": 0}},
        {"method": "POST", "path": p + "/images/prune", "body": {"ImagesDeleted": None, "SpaceReclaimed": 0}},
        {"method": "POST", "path": p + "/networks/prune", "body": {"NetworksDeleted": None}},
        {"method": "POST", "path": p + "/build/prune", "body": {"CachesDeleted": None, "SpaceReclaimed": 0}},
        {"method": "POST", "path": p + "/volumes/prune", "body": {"VolumesDeleted": [], "SpaceReclaimed": 0}},
    ]


class FakeEngine:
    """fake_engine.py in a fresh directory of its own, with its script and its record."""

    def __init__(self, prefix, script, start=True):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        # The cleaner drops root (when started as root) to an unprivileged uid that keeps only
        # the socket's group: it must be able to reach the socket through this directory.
        os.chmod(self.dir, 0o755)
        self.sock = os.path.join(self.dir, "engine.sock")
        self.record = os.path.join(self.dir, "record.jsonl")
        path = os.path.join(self.dir, "script.json")
        with open(path, "w") as f:
            json.dump(script, f)
        open(self.record, "w").close()
        self.srv = None
        if start:
            self.srv = subprocess.Popen([sys.executable, FAKE, self.sock, path, self.record],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            ready, _, _ = select.select([self.srv.stdout], [], [], 10)
            if not (ready and self.srv.stdout.readline().strip() == b"ready"):
                self.close()
                raise Failure("the fake engine did not start")

    def env(self, extra=None):
        """The cleaner's environment for this engine, with extra on top (None removes)."""
        # The protocol tests pin the request order of the per-type schedule (every later type
        # after the containers); the schedule per resource, the default on Docker, has its
        # own tests (split_schedule_*), which set CLEANUP_SPLIT_SCHEDULE themselves.
        # DC_PROTOCOL_SCHEDULE=auto runs them all on the default (to see what else changes).
        e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TZ": "UTC", "DOCKER_HOST": "unix://" + self.sock,
             "PRUNE_FORCE": "true", "CLEANUP_TIMEOUT": "30s",
             "CLEANUP_SPLIT_SCHEDULE": os.environ.get("DC_PROTOCOL_SCHEDULE", "false")}
        e.update(extra or {})
        return {k: v for k, v in e.items() if v is not None}

    def events(self):
        """The record, once the engine has seen the close of every connection the cleaner left
        with (or after 2 s)."""
        deadline = time.time() + 2
        events = read_record(self.record)
        while time.time() < deadline:
            if sum(1 for x in events if x["event"] == "close") >= sum(1 for x in events if x["event"] == "connect"):
                break
            time.sleep(0.02)
            events = read_record(self.record)
        return events

    def stop(self):
        """Stops the engine (what it records on the way out is in the record after this)."""
        if self.srv:
            self.srv.send_signal(signal.SIGTERM)
            try:
                self.srv.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.srv.kill()
                self.srv.wait()
            self.srv = None

    def close(self):
        self.stop()
        if KEEP:
            sys.stderr.write("kept %s\n" % self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def run(rules, env=None, args=(), server=True, peek_ms=30, timeout=60, stdout=subprocess.PIPE, close_fds=()):
    """stdout: where the report goes (default: captured into Result.stdout; a file or an fd
    leaves Result.stdout empty). close_fds: standard descriptors the program starts without."""
    engine = FakeEngine("dc-protocol-", {"peek_ms": peek_ms, "rules": rules}, start=server)

    def closing():
        for fd in close_fds:
            os.close(fd)
    try:
        p = subprocess.run(WRAPPER + [BINARY] + list(args), env=engine.env(env), stdin=subprocess.DEVNULL,
                           stdout=stdout, stderr=subprocess.PIPE, timeout=timeout,
                           preexec_fn=closing if close_fds else None)
        events = []
        if server:
            engine.events()  # the closes of the connections the cleaner left with
            engine.stop()
            events = read_record(engine.record)
        return Result(p.returncode, (p.stdout or b"").decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"),
                      events)
    finally:
        engine.close()


def read_record(path):
    events = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.endswith("\n"):
                events.append(json.loads(line))
    return events


# --- what every run must satisfy ---

def expected_raw(method, path):
    raw = "%s %s HTTP/1.1\r\nHost: docker\r\nUser-Agent: docker-cleaner/%s\r\n" % (method, path, VERSION)
    if method == "POST":
        raw += "Content-Length: 0\r\n"
    return raw + "\r\n"


def wire_rules(res):
    """Exact bytes, no body, no half-close, no unmatched request, /_ping first."""
    check(res.requests, "no request reached the engine", res.dump())
    eq(res.requests[0]["method"] + " " + res.requests[0]["path"], "GET /_ping", "first request")
    for r in res.requests:
        eq(r["raw"], expected_raw(r["method"], r["path"]), "bytes of %s %s" % (r["method"], r["path"]))
        eq(r["body_len"], 0, "body of %s %s" % (r["method"], r["path"]))
        check(not r["eof_before_answer"], "the client half-closed before the answer to %s %s" % (
            r["method"], r["path"]), res.dump())
        check(r["rule"] is not None, "unexpected request %s %s" % (r["method"], r["path"]), res.dump())
        if r["path"] != "/_ping":
            check(re.match(r"^/v1\.\d+/", r["path"]), "path without a version: " + r["path"])
    for e in res.events:
        if e["event"] == "close":
            eq(e.get("partial", ""), "", "bytes of an unfinished request at a close")
    answered = {e["seq"] for e in res.events if e["event"] == "answered"}
    for r in res.requests:
        check(r["seq"] in answered, "request %s %s was never answered" % (r["method"], r["path"]), res.dump(),
              *[e for e in res.events if e.get("conn") == r["conn"]])


def after(res, first, then):
    """The request `then` was sent only after `first` was answered."""
    a = res.index("answered", first["seq"])
    b = res.index("request", then["seq"])
    check(a < b, "%s %s was sent before %s %s was answered" % (then["method"], then["path"], first["method"],
                                                               first["path"]), res.dump())


def sent_before_answer(res, sent, answered, why):
    """The request `sent` reached the engine before `answered` was answered (why: the failure)."""
    check(res.index("request", sent["seq"]) < res.index("answered", answered["seq"]), why, res.dump())


def filters_of(path):
    q = urllib.parse.urlsplit(path).query
    # Strict: the value must not contain characters a query decoder would alter.
    for part in q.split("&"):
        if part.startswith("filters="):
            value = part[len("filters="):]
            check(re.match(r"^[A-Za-z0-9%._~-]*$", value), "filters not strictly percent-encoded: " + value)
            return json.loads(urllib.parse.unquote(value))
    return None


def one_stderr_line(res):
    lines = res.stderr.splitlines()
    eq(len(lines), 1, "stderr lines (%r)" % res.stderr)
    return lines[0]


# --- the tests ---

TESTS = {}


def test(fn):
    TESTS[fn.__name__[len("test_"):]] = fn
    return fn


@test
def test_default_run():
    res = run([ping_rule("1.45")] + engine_rules("1.45"))
    eq(res.rc, 0, "exit status\n" + res.dump())
    wire_rules(res)
    eq(res.calls(), sorted([
        "GET /_ping",
        "GET /v1.45/containers/json?all=1",
        "GET /v1.45/images/json",
        "GET /v1.45/networks",
        "GET /v1.45/system/df?type=build-cache",
        "POST /v1.45/build/prune",
        "POST /v1.45/containers/prune?filters=" + PROTECT,
        "POST /v1.45/networks/prune?filters=" + PROTECT,
        "POST /v1.45/images/prune?filters=" + DANGLING_PROTECT,
    ]), "requests")
    eq(res.requests[0]["raw"], "GET /_ping HTTP/1.1\r\nHost: docker\r\nUser-Agent: docker-cleaner/%s\r\n\r\n" % VERSION,
       "the ping's bytes")
    containers = res.request("POST", "/v1.45/containers/prune?filters=" + PROTECT)
    eq(containers["raw"], "POST /v1.45/containers/prune?filters=%s HTTP/1.1\r\nHost: docker\r\n"
       "User-Agent: docker-cleaner/%s\r\nContent-Length: 0\r\n\r\n" % (PROTECT, VERSION), "the prune's bytes")
    ping = res.requests[0]
    # Order: everything after the ping; containers before networks and images.
    for r in res.requests[1:]:
        after(res, ping, r)
    after(res, containers, res.request("POST", "/v1.45/networks/prune?filters=" + PROTECT))
    after(res, containers, res.request("POST", "/v1.45/images/prune?filters=" + DANGLING_PROTECT))
    after(res, res.request("GET", "/v1.45/containers/json?all=1"), containers)
    after(res, res.request("GET", "/v1.45/system/df?type=build-cache"), res.request("POST", "/v1.45/build/prune"))
    check("Total reclaimed space: 0B" in res.stdout, "no total", res.dump())


@test
def test_empty_engine_sends_no_prune():
    """Nothing to remove: the inventories (and the build cache's disk usage) show it, and no
    prune is sent; each operation still reports, with nothing deleted."""
    res = run([ping_rule("1.45")] + engine_rules("1.45", empty=True), env={"PRUNE_ALL": "true", "LOG_FORMAT": "json"})
    eq(res.rc, 0, "exit status\n" + res.dump())
    wire_rules(res)
    eq(res.calls(), sorted(["GET /_ping", "GET /v1.45/containers/json?all=1", "GET /v1.45/images/json",
                            "GET /v1.45/networks", "GET /v1.45/system/df?type=build-cache"]), "requests")
    ops = {e["type"]: e for e in map(json.loads, res.stdout.splitlines()) if e["event"] == "operation"}
    eq(sorted(ops), ["build_cache", "containers", "images", "networks"], "operations reported")
    for k, e in ops.items():
        eq((e["status"], e["count"]), ("ok", 0), "operation " + k)


@test
def test_prune_only_what_has_work():
    """Each prune is judged on its own: only the running container is left, its image is in use,
    the one user network is its, and the build cache is all in use; only the container prune
    has work. The images and networks are judged after that prune, so the exited container's
    image (free once it is gone) makes the image prune happen."""
    v = "/v1.45"
    img_run, img_old = "sha256:" + "1" * 64, "sha256:" + "2" * 64
    rules = [ping_rule("1.45"),
             {"method": "GET", "path": v + "/containers/json", "body": [
                 {"Id": "a" * 64, "Names": ["/web"], "State": "running", "Created": 1, "ImageID": img_run,
                  "NetworkSettings": {"Networks": {"app": {"NetworkID": "n" * 64}}}},
                 {"Id": "b" * 64, "Names": ["/keep"], "State": "exited", "Created": 1, "ImageID": img_run,
                  "Labels": {"docker-cleaner.protect": "1"}}]},
             {"method": "GET", "path": v + "/images/json", "body": [
                 {"Id": img_run, "RepoTags": ["web:1"], "Created": 1}]},
             {"method": "GET", "path": v + "/networks", "body": [
                 {"Name": "bridge", "Id": "b" * 64, "Driver": "bridge"},
                 {"Name": "app", "Id": "n" * 64, "Driver": "bridge", "Created": "2001-09-09T01:46:40Z"}]},
             {"method": "GET", "path": v + "/system/df", "body": {"BuildCache": [
                 {"ID": "r1", "Type": "regular", "InUse": True, "Shared": False, "LastUsedAt": None}]}}]
    res = run(rules + engine_rules("1.45", empty=True), env={"PRUNE_ALL": "true"})
    eq(res.rc, 0, "exit status\n" + res.dump())
    wire_rules(res)
    eq(res.paths("POST"), [], "prunes with nothing to do (protected, running, in use)")

    # The same engine with one exited, unprotected container on an old image: the container
    # prune has work, and so has the image prune after it (that image is free then); the
    # network stays in use by the running container, and the build cache is in use.
    rules[1]["body"].append({"Id": "c" * 64, "Names": ["/old"], "State": "exited", "Created": 1,
                             "ImageID": img_old})
    rules[2]["body"].append({"Id": img_old, "RepoTags": ["old:1"], "Created": 1})
    rules.append({"method": "POST", "path": v + "/containers/prune",
                  "body": {"ContainersDeleted": ["c" * 64], "SpaceReclaimed": 0}})
    res = run(rules + engine_rules("1.45", empty=True), env={"PRUNE_ALL": "true"})
    eq(res.rc, 0, "exit status\n" + res.dump())
    wire_rules(res)
    eq(sorted(p.split("?")[0] for p in res.paths("POST")), [v + "/containers/prune", v + "/images/prune"], "prunes")
    after(res, res.request("POST", v + "/containers/prune?filters=" + PROTECT),
          res.request("POST", v + "/images/prune?filters=" + NOT_DANGLING_PROTECT))

    # Without PRUNE_ALL the tagged old image is not a candidate: no image prune.
    res = run(rules + engine_rules("1.45", empty=True))
    eq(res.rc, 0, "exit status\n" + res.dump())
    eq(sorted(p.split("?")[0] for p in res.paths("POST")), [v + "/containers/prune"], "prunes without PRUNE_ALL")

    # The container prune removed nothing (the engine kept the container): its image is in
    # use, so there is nothing for the image prune.
    rules[-1] = {"method": "POST", "path": v + "/containers/prune",
                 "body": {"ContainersDeleted": None, "SpaceReclaimed": 0}}
    res = run(rules + engine_rules("1.45", empty=True), env={"PRUNE_ALL": "true"})
    eq(res.rc, 0, "exit status\n" + res.dump())
    eq(sorted(p.split("?")[0] for p in res.paths("POST")), [v + "/containers/prune"], "prunes after a no-op")


@test
def test_build_prune_without_typed_disk_usage():
    """Before API 1.42 the disk-usage report cannot be limited to the build cache (and computes
    everything): the build prune is sent unchecked."""
    res = run([ping_rule("1.41")] + engine_rules("1.41", empty=True))
    eq(res.rc, 0, "exit status\n" + res.dump())
    wire_rules(res)
    eq(res.paths("POST"), ["/v1.41/build/prune"], "prunes")
    check(not [p for p in res.paths() if "/system/df" in p], "disk usage asked on API 1.41", res.dump())


@test
def test_prune_all():
    res = run([ping_rule("1.45")] + engine_rules("1.45"), env={"PRUNE_ALL": "true"})
    eq(res.rc, 0, "exit status\n" + res.dump())
    wire_rules(res)
    res.request("POST", "/v1.45/images/prune?filters=" + NOT_DANGLING_PROTECT)
    res.request("POST", "/v1.45/build/prune?all=1")
    res.request("POST", "/v1.45/containers/prune?filters=" + PROTECT)
    eq(filters_of("/x?filters=" + NOT_DANGLING_PROTECT),
       {"dangling": {"false": True}, "label!": {"docker-cleaner.protect": True}}, "image filters")


@test
def test_until_absolute():
    res = run([ping_rule("1.45")] + engine_rules("1.45"),
              env={"PRUNE_FILTER_UNTIL": "2024-01-02T05:04:05+02:00", "PRUNE_ALL": "1"})
    eq(res.rc, 0, "exit status\n" + res.dump())
    wire_rules(res)
    until = "%7B%22until%22%3A%7B%221704164645.000000000%22%3Atrue%7D%7D"
    protect_until = ("%7B%22label%21%22%3A%7B%22docker-cleaner.protect%22%3Atrue%7D%2C%22until%22%3A%7B%22"
                     "1704164645.000000000%22%3Atrue%7D%7D")
    # Docker 26 (API 1.45) takes the cut-off itself for the build prune: a duration would be cut
    # down to whole seconds there.
    builds = [p for p in res.paths("POST") if p.startswith("/v1.45/build/prune?all=1&filters=")]
    eq(len(builds), 1, "build prunes")
    eq(filters_of(builds[0]), {"until": {"1704164645.000000000": True}}, "build prune filters")
    res.request("POST", "/v1.45/containers/prune?filters=" + protect_until)
    res.request("POST", "/v1.45/networks/prune?filters=" + protect_until)
    images = [p for p in res.paths("POST") if p.startswith("/v1.45/images/prune")]
    eq(len(images), 1, "image prunes")
    eq(filters_of(images[0]), {"dangling": {"false": True}, "label!": {"docker-cleaner.protect": True},
                               "until": {"1704164645.000000000": True}}, "image filters")


@test
def test_until_relative():
    before = time.time()
    res = run([ping_rule("1.45")] + engine_rules("1.45"), env={"PRUNE_FILTER_UNTIL": "24h"})
    after_t = time.time()
    eq(res.rc, 0, "exit status\n" + res.dump())
    wire_rules(res)
    prunes = [p for p in res.paths("POST")]
    eq(len(prunes), 4, "prunes")
    values = set()
    for p in prunes:
        f = filters_of(p)
        check(f is not None and "until" in f, "no until in " + p)
        (value,) = f["until"].keys()
        check(re.match(r"^\d+\.\d{9}$", value), "until is not <sec>.<9 digits>: " + value)
        check(before - 86400 - 1 <= float(value) <= after_t - 86400 + 1, "until %s is not now-24h" % value)
        values.add(value)
    eq(len(values), 1, "one cut-off for every prune (the build prune's too)")


@test
def test_until_build_prune_fraction():
    """A cut-off inside a second reaches Docker 26's build prune whole: its fraction is kept."""
    res = run([ping_rule("1.45")] + engine_rules("1.45"), env={"PRUNE_FILTER_UNTIL": "1704164645.25"})
    eq(res.rc, 0, "exit status\n" + res.dump())
    builds = [p for p in res.paths("POST") if p.startswith("/v1.45/build/prune")]
    eq(len(builds), 1, "build prunes\n" + res.dump())
    eq(filters_of(builds[0]), {"until": {"1704164645.250000000": True}}, "build prune filters")


@test
def test_until_build_prune_age_before_1_45():
    """Docker 20.10 (API 1.41) takes the build prune's `until` only as a duration: the cut-off's
    age, in milliseconds, counted when the prune is sent."""
    before = time.time()
    res = run([ping_rule("1.41")] + engine_rules("1.41"), env={"PRUNE_FILTER_UNTIL": "1704164645.25"})
    after_t = time.time()
    eq(res.rc, 0, "exit status\n" + res.dump())
    builds = [p for p in res.paths("POST") if p.startswith("/v1.41/build/prune")]
    eq(len(builds), 1, "build prunes\n" + res.dump())
    (age,) = filters_of(builds[0])["until"].keys()
    check(re.match(r"^\d+ms$", age), "build prune until is not <n>ms: " + age)
    # Sent between the two clock readings: the age lies between their ages (ms, floored).
    lo, hi = int((before - 1704164645.25) * 1000) - 1, int((after_t - 1704164645.25) * 1000) + 1
    check(lo <= int(age[:-2]) <= hi, "build prune until %s is not the cut-off's age (%d..%d ms)" % (age, lo, hi))


@test
def test_labels_and_protection():
    res = run([ping_rule("1.45")] + engine_rules("1.45"),
              env={"PRUNE_FILTER_LABEL": "env=ci,label=team", "PROTECT_LABEL": "keep=yes"})
    eq(res.rc, 0, "exit status\n" + res.dump())
    wire_rules(res)
    want = {"label": {"env=ci": True, "team": True}, "label!": {"keep=yes": True}}
    enc = ("%7B%22label%22%3A%7B%22env%3Dci%22%3Atrue%2C%22team%22%3Atrue%7D%2C%22label%21%22%3A%7B%22"
           "keep%3Dyes%22%3Atrue%7D%7D")
    res.request("POST", "/v1.45/containers/prune?filters=" + enc)
    res.request("POST", "/v1.45/networks/prune?filters=" + enc)
    images = [p for p in res.paths("POST") if p.startswith("/v1.45/images/prune")]
    eq(len(images), 1, "image prunes")
    eq(filters_of(images[0]), dict(want, dangling={"true": True}), "image filters")
    # Build cache records carry no labels: a label filter selects none of them, so none is sent.
    check(not [p for p in res.paths() if "/build/prune" in p], "build prune sent with a label filter", res.dump())


@test
def test_negative_label_is_applied_locally():
    """One label! term per request at most (Docker ANDs several): the user's negations are
    applied to listings, and resources go one by one."""
    v = "/v1.45"
    containers = [
        {"Id": "c1", "Names": ["/gone"], "State": "exited", "Created": 1700000000, "Labels": {},
         "ImageID": "sha256:other"},
        {"Id": "c2", "Names": ["/kept-by-user"], "State": "exited", "Created": 1700000000,
         "Labels": {"keep-me": "1"}, "ImageID": "sha256:i3"},
        {"Id": "c3", "Names": ["/running"], "State": "running", "Created": 1700000000, "Labels": {}},
        {"Id": "c4", "Names": ["/protected"], "State": "dead", "Created": 1700000000,
         "Labels": {"docker-cleaner.protect": ""}},
        {"Id": "c5", "Names": ["/created"], "State": "created", "Created": 1700000000, "Labels": None},
    ]
    networks = [
        {"Name": "bridge", "Id": "nb", "Driver": "bridge", "Created": "2024-01-02T03:04:05Z"},
        {"Name": "ci_net", "Id": "n1", "Driver": "bridge", "Created": "2024-01-02T03:04:05Z", "Labels": {}},
        {"Name": "kept_net", "Id": "n2", "Driver": "bridge", "Created": "2024-01-02T03:04:05Z",
         "Labels": {"keep-me": "x"}},
    ]
    images = [
        {"Id": "sha256:i1", "RepoTags": ["<none>:<none>"], "Created": 1700000000, "Size": 100},
        {"Id": "sha256:i2", "RepoTags": ["app:1"], "Created": 1700000000, "Size": 100},
        {"Id": "sha256:i3", "RepoTags": None, "Created": 1700000000, "Size": 100},
    ]
    rules = [ping_rule("1.45"),
             {"method": "GET", "path": v + "/containers/json", "body": containers},
             {"method": "GET", "path": v + "/networks", "body": networks},
             {"method": "GET", "path": v + "/images/json", "body": images},
             {"method": "DELETE", "path": v + "/", "status": 204, "body": ""}] + engine_rules("1.45")
    res = run(rules, env={"PRUNE_FILTER_LABEL": "!keep-me"})
    eq(res.rc, 0, "exit status\n" + res.dump())
    wire_rules(res)
    eq(sorted(res.paths("DELETE")), sorted([v + "/containers/c1", v + "/containers/c5", v + "/networks/n1",
                                            v + "/images/sha256%3Ai1"]), "deletions")
    for r in res.requests:
        f = filters_of(r["path"])
        if f is not None and "label!" in f:
            eq(f["label!"], {"docker-cleaner.protect": True}, "label! of " + r["path"])
    eq([p for p in res.paths("POST")], [v + "/build/prune"], "the daemon's prunes")
    # Docker's `dangling` network filter does not see endpoints: every network is listed, and
    # use is judged from the containers.
    res.request("GET", v + "/networks")
    # Images and networks are chosen against the containers left after the container removals.
    deletes = [r for r in res.requests if r["method"] == "DELETE" and "/containers/" in r["path"]]
    lists = [r for r in res.requests if r["path"] == v + "/containers/json?all=1"]
    eq(len(lists), 3, "container listings (inventory, then for images and for networks)")
    for d in deletes:
        after(res, d, lists[1])
        after(res, d, lists[2])
    for line in ("Deleted container c1 gone", "Deleted container c5 created", "Deleted network n1 ci_net"):
        check(line in res.stdout, "missing %r" % line, res.dump())


@test
def test_pinned_version():
    res = run([ping_rule("1.45")] + engine_rules("1.41") + engine_rules("1.45"), env={"DOCKER_API_VERSION": "1.41"})
    eq(res.rc, 0, "exit status\n" + res.dump())
    wire_rules(res)
    for p in res.paths()[1:]:
        check(p.startswith("/v1.41/"), "not the pinned version: " + p)
    eq(len(res.requests), 8, "requests")


@test
def test_newer_engine():
    res = run([ping_rule("1.99")] + engine_rules("1.51"))
    eq(res.rc, 0, "exit status\n" + res.dump())
    wire_rules(res)
    for p in res.paths()[1:]:
        check(p.startswith("/v1.51/"), "not our newest version: " + p)
    eq(len(res.requests), 9, "requests")


@test
def test_older_engine():
    res = run([ping_rule("1.41")] + engine_rules("1.41"))
    eq(res.rc, 0, "exit status\n" + res.dump())
    wire_rules(res)
    for p in res.paths()[1:]:
        check(p.startswith("/v1.41/"), "not the engine's version: " + p)
    eq(len(res.requests), 8, "requests")


@test
def test_engine_without_version():
    res = run([{"method": "GET", "path": "/_ping", "exact": True, "body": "OK"}] + engine_rules("1.25"))
    eq(res.rc, 0, "exit status\n" + res.dump())
    wire_rules(res)
    for p in res.paths()[1:]:
        check(p.startswith("/v1.25/"), "not the oldest version: " + p)
    # Build prune needs API 1.31: skipped, never sent.
    check(not [p for p in res.paths() if "/build/" in p], "build prune sent on API 1.25", res.dump())
    eq(len(res.requests), 7, "requests")


@test
def test_engine_too_old():
    res = run([ping_rule("1.24")] + engine_rules("1.24"))
    eq(res.rc, 2, "exit status\n" + res.dump())
    eq(res.calls(), ["GET /_ping"], "requests")
    check("1.24" in res.stderr, "the engine's version is not named", res.dump())


@test
def test_podman():
    res = run([ping_rule("1.41", {"Libpod-Api-Version": "4.3.1", "Server": "Libpod/4.3.1 (linux)"})]
              + [{"method": "POST", "path": "/v1.41/build/prune", "status": 404, "body": "404 page not found\n",
                  "headers": {"Content-Type": "text/plain"}},
                 {"method": "DELETE", "path": "/v1.41/", "status": 204, "body": ""}]
              + engine_rules("1.41"))
    eq(res.rc, 0, "exit status\n" + res.dump())
    wire_rules(res)
    # Podman's prunes cannot be trusted with filters: everything goes one by one.
    eq(sorted(p for p in res.paths() if not p.startswith("/v1.41/containers/json")
              and p not in ("/_ping", "/v1.41/networks", "/v1.41/images/json")),
       sorted(["/v1.41/containers/" + "c0" * 32, "/v1.41/networks/" + "5" * 64,
               "/v1.41/images/sha256%3A" + "d" * 64]), "removals")
    removal = res.request("DELETE", "/v1.41/containers/" + "c0" * 32)
    for later in ("/v1.41/networks/" + "5" * 64, "/v1.41/images/sha256%3A" + "d" * 64):
        after(res, removal, res.request("DELETE", later))
    check(not [p for p in res.paths() if "/build/" in p], "build prune sent to Podman", res.dump())
    for p in res.paths()[1:]:
        check(p.startswith("/v1.41/"), "not the engine's version: " + p)
    check("build cache" in res.stdout and "skipped" in res.stdout, "build cache not reported skipped", res.dump())


@test
def test_chunked_and_length_replies():
    v = "/v1.45"
    rules = [
        ping_rule("1.45"),
        {"method": "GET", "path": v + "/containers/json", "encoding": "chunked", "chunk": 7,
         "body": [{"Id": "c0ffee000000111122223333", "Names": ["/old-job"], "State": "exited", "Created": 1}]},
        {"method": "GET", "path": v + "/images/json", "encoding": "length",
         "body": [{"Id": "sha256:abcdef0123456789", "RepoTags": ["<none>:<none>"], "Size": 234}]},
        {"method": "GET", "path": v + "/networks", "encoding": "close",
         "body": [{"Name": "ci_net", "Id": "beef00001111", "Driver": "bridge"}]},
        {"method": "POST", "path": v + "/containers/prune", "encoding": "chunked", "chunk": 5,
         "body": {"ContainersDeleted": ["c0ffee000000111122223333"], "SpaceReclaimed": 1000}},
        {"method": "POST", "path": v + "/images/prune", "encoding": "length",
         "body": {"ImagesDeleted": [{"Untagged": "app:old"}, {"Deleted": "sha256:abcdef0123456789"},
                                    {"Deleted": "sha256:layer"}], "SpaceReclaimed": 234}},
        {"method": "POST", "path": v + "/networks/prune", "encoding": "close", "body": {"NetworksDeleted": ["ci_net"]}},
        {"method": "POST", "path": v + "/build/prune", "encoding": "chunked", "chunk": 1,
         "body": {"CachesDeleted": ["cache1"], "SpaceReclaimed": 0}},
        {"method": "GET", "path": v + "/system/df", "encoding": "chunked", "chunk": 3,
         "body": {"BuildCache": [{"ID": "cache1", "Type": "regular", "InUse": False, "Shared": False,
                                  "LastUsedAt": "2001-09-09T01:46:40Z"}]}},
    ]
    res = run(rules)
    eq(res.rc, 0, "exit status\n" + res.dump())
    wire_rules(res)
    for line in ("Deleted container c0ffee000000 old-job", "Untagged image app:old", "Deleted image abcdef012345",
                 "Deleted network beef00001111 ci_net", "Deleted build cache cache1", "Total reclaimed space: 1.234kB"):
        check(line in res.stdout, "missing %r" % line, res.dump())
    check("layer" not in res.stdout, "a layer ID was reported as an image", res.dump())


@test
def test_one_prune_fails():
    rules = [ping_rule("1.45"),
             {"method": "POST", "path": "/v1.45/containers/prune", "status": 500,
              "body": {"message": "boom: disk on fire"}}] + engine_rules("1.45")
    res = run(rules)
    eq(res.rc, 1, "exit status\n" + res.dump())
    wire_rules(res)
    # The others still ran.
    eq(len(res.paths("POST")), 4, "prunes")
    check("boom: disk on fire" in res.stderr + res.stdout, "the engine's message is not shown", res.dump())


@test
def test_every_prune_fails():
    rules = [ping_rule("1.45")] + [
        {"method": "POST", "path": "/v1.45/" + e, "status": 500, "body": {"message": "no"}}
        for e in ("containers/prune", "images/prune", "networks/prune", "build/prune")] + engine_rules("1.45")
    res = run(rules)
    eq(res.rc, 2, "exit status\n" + res.dump())
    wire_rules(res)


@test
def test_ping_fails():
    res = run([ping_rule("1.45", status=500)] + engine_rules("1.45"))
    eq(res.rc, 2, "exit status\n" + res.dump())
    wire_rules(res)
    eq(res.calls(), ["GET /_ping"], "requests")


@test
def test_ping_not_http():
    res = run([{"method": "GET", "path": "/_ping", "status": 200, "encoding": "close",
                "headers": {"Content-Type": "text/html"}, "body": "<html>hello</html>"}])
    # Not an engine: without Api-Version it is spoken to as the oldest engine, and every
    # prune meets a 404, so nothing could be done.
    eq(res.rc, 2, "exit status\n" + res.dump())
    eq(res.requests[0]["path"], "/_ping", "first request")
    check(all(not r["eof_before_answer"] for r in res.requests), "half-close", res.dump())


@test
def test_no_engine():
    res = run([], server=False, env={"DOCKER_HOST": "unix:///nonexistent/dc-protocol/engine.sock"})
    eq(res.rc, 2, "exit status\n" + res.dump())
    check("/nonexistent/dc-protocol/engine.sock" in res.stderr, "the socket is not named", res.dump())


@test
def test_config_error_makes_no_connection():
    res = run([ping_rule("1.45")] + engine_rules("1.45"), env={"CLEANUP_TIMEOUT": "abc"})
    eq(res.rc, 2, "exit status\n" + res.dump())
    eq(len(res.connections), 0, "connections to the engine")
    eq(one_stderr_line(res), 'docker-cleaner: error: invalid CLEANUP_TIMEOUT="abc": expected a duration from 1ms '
                             'to 24h, such as 30s, 5m or 1h', "stderr")
    eq(res.stdout, "", "stdout")
    for env in ({"DOCKER_HOST": "ssh://me@host"}, {"PRUNE_FILTER_LABEL": "=v"}, {"DRY_RUN": "maybe"},
                {"CLEANUP_CONTAINERS": "false", "CLEANUP_IMAGES": "false", "CLEANUP_NETWORKS": "false",
                 "CLEANUP_BUILD_CACHE": "false"}):
        res = run([ping_rule("1.45")] + engine_rules("1.45"), env=env)
        eq(res.rc, 2, "exit status with %r\n%s" % (env, res.dump()))
        eq(len(res.connections), 0, "connections with %r" % env)
        check(one_stderr_line(res).startswith("docker-cleaner: error: "), "stderr with %r" % env)
    res = run([ping_rule("1.45")] + engine_rules("1.45"), args=["--bogus"])
    eq(res.rc, 2, "exit status with --bogus\n" + res.dump())
    eq(len(res.connections), 0, "connections with --bogus")
    check("--bogus" in one_stderr_line(res), "stderr with --bogus")
    # With LOG_FORMAT=json (a log pipeline reads JSON lines) the one error line is a JSON log
    # event; flags win over the variable, as for every setting.
    for env, args in (({"LOG_FORMAT": "json", "CLEANUP_TIMEOUT": "abc"}, []),
                      ({"CLEANUP_TIMEOUT": "abc"}, ["--log-format", "json"]),
                      ({"LOG_FORMAT": "text", "CLEANUP_TIMEOUT": "abc"}, ["--log-format=JSON"])):
        res = run([ping_rule("1.45")] + engine_rules("1.45"), env=env, args=args)
        eq(res.rc, 2, "exit status with %r %r\n%s" % (env, args, res.dump()))
        eq(len(res.connections), 0, "connections with %r %r" % (env, args))
        eq(res.stdout, "", "stdout with %r %r" % (env, args))
        line = json.loads(one_stderr_line(res))
        eq((line["event"], line["level"], line["message"]),
           ("log", "error", 'invalid CLEANUP_TIMEOUT="abc": expected a duration from 1ms to 24h, such as 30s, 5m '
                            'or 1h'), "the JSON error line with %r %r" % (env, args))
    res = run([ping_rule("1.45")] + engine_rules("1.45"), env={"LOG_FORMAT": "json", "CLEANUP_TIMEOUT": "abc"},
              args=["--log-format=text"])
    eq(one_stderr_line(res), 'docker-cleaner: error: invalid CLEANUP_TIMEOUT="abc": expected a duration from 1ms '
                             'to 24h, such as 30s, 5m or 1h', "stderr with --log-format=text")


@test
def test_dry_run_sends_only_reads():
    """A dry run lists and deletes nothing: every request is a GET, whatever it finds."""
    v = "/v1.45"
    rules = [ping_rule("1.45"),
             {"method": "GET", "path": v + "/containers/json", "body": [
                 {"Id": "c1" * 32, "Names": ["/old"], "State": "exited", "Created": 1, "Labels": {},
                  "ImageID": "sha256:" + "a" * 64, "Mounts": [{"Type": "volume", "Name": "f" * 64}]}]},
             {"method": "GET", "path": v + "/images/json", "body": [
                 {"Id": "sha256:" + "a" * 64, "RepoTags": None, "Created": 1, "Labels": None, "Size": 1000}]},
             {"method": "GET", "path": v + "/networks", "body": [
                 {"Id": "n" * 64, "Name": "spare", "Created": "2020-01-01T00:00:00Z", "Labels": {}}]},
             {"method": "GET", "path": v + "/volumes", "body": {"Volumes": [
                 {"Name": "f" * 64, "Driver": "local", "Labels": None, "Options": None,
                  "CreatedAt": "2020-01-01T00:00:00Z"}], "Warnings": None}},
             {"method": "GET", "path": v + "/system/df", "body": {"Volumes": [], "BuildCache": [
                 {"ID": "b1", "Type": "regular", "InUse": False, "Shared": False, "Size": 5,
                  "LastUsedAt": "2020-01-01T00:00:00Z"}]}}]
    res = run(rules + engine_rules("1.45"), env={"DRY_RUN": "true", "CLEANUP_VOLUMES": "true",
                                                 "LOG_FORMAT": "json"})
    eq(res.rc, 0, "exit status\n" + res.dump())
    eq([r for r in res.calls() if not r.startswith("GET ")], [], "non-GET requests")
    events = [json.loads(l) for l in res.stdout.splitlines()]
    deleted = sorted((e["type"], e["id"]) for e in events if e["event"] == "deleted")
    eq(deleted, sorted([("container", "c1" * 32), ("image", "sha256:" + "a" * 64), ("network", "n" * 64),
                        ("volume", "f" * 64), ("build_cache", "b1")]), "listed for deletion")
    check(all(e.get("dry_run") is True for e in events), "dry_run on every event",
          res.stdout)


def pruned(res, what):
    """pruning_rules' two prunes were sent."""
    for prune in ("POST /v1.45/containers/prune", "POST /v1.45/images/prune"):
        check(any(c.split("?")[0] == prune for c in res.calls()), "%s was sent (%s)" % (prune, what), res.dump())


def pruning_rules():
    """The prunes remove 2 containers and 1 image (the report names them)."""
    v = "/v1.45"
    return [ping_rule("1.45"),
            {"method": "POST", "path": v + "/containers/prune",
             "body": {"ContainersDeleted": ["c0" * 32, "c1" * 32], "SpaceReclaimed": 1234}},
            {"method": "POST", "path": v + "/images/prune",
             "body": {"ImagesDeleted": [{"Deleted": "sha256:" + "d" * 64}], "SpaceReclaimed": 100}},
            ] + engine_rules("1.45")


@test
def test_report_lost_is_said():
    """The audit trail on stdout could not be written (a full disk: /dev/full; a pipe whose
    reader has gone): the run still does its work, says on stderr that the trail is
    incomplete and how many resources went, and a run that would have succeeded exits 1."""
    for fmt in ("text", "json"):
        with open("/dev/full", "wb") as full:
            res = run(pruning_rules(), env={"LOG_FORMAT": fmt, "CLEANUP_SPLIT_SCHEDULE": "false"}, stdout=full)
        eq(res.rc, 1, "exit status with stdout on /dev/full (%s)\n%s" % (fmt, res.dump()))
        wire_rules(res)
        pruned(res, fmt)
        lines = res.stderr.splitlines()
        msg = ("could not write the report to stdout (No space left on device): the audit trail is incomplete; "
               "the run deleted 3 resources")
        if fmt == "text":
            eq(lines[-1], "docker-cleaner: error: " + msg, "the last stderr line")
        else:
            last = json.loads(lines[-1])
            eq((last["event"], last["level"], last["message"]), ("log", "error", msg), "the last stderr line")
        eq(sum("could not write the report" in l for l in lines), 1, "said once\n" + res.stderr)
    # A pipe whose reader is gone: EPIPE, not a signal (SIGPIPE is ignored for the sockets).
    r, w = os.pipe()
    os.close(r)
    try:
        res = run(pruning_rules(), env={"CLEANUP_SPLIT_SCHEDULE": "false"}, stdout=w)
    finally:
        os.close(w)
    eq(res.rc, 1, "exit status with a closed pipe on stdout\n" + res.dump())
    check(res.stderr.splitlines()[-1].startswith("docker-cleaner: error: could not write the report to stdout "
                                                 "(Broken pipe)"), "the last stderr line", res.dump())
    # A dry run's report is all it does: lost, the run is partial too, and says what it listed.
    with open("/dev/full", "wb") as full:
        res = run([ping_rule("1.45")] + engine_rules("1.45"), env={"DRY_RUN": "true"}, stdout=full)
    eq(res.rc, 1, "exit status of a dry run with stdout on /dev/full\n" + res.dump())
    check(re.search(r"incomplete; the dry run listed \d+ resources? to delete$", res.stderr.splitlines()[-1]),
          "the last stderr line of the dry run", res.dump())
    # Written whole, the same run succeeds (the exit status above is the report's doing).
    res = run(pruning_rules(), env={"CLEANUP_SPLIT_SCHEDULE": "false"})
    eq(res.rc, 0, "exit status with stdout readable\n" + res.dump())
    check("could not write" not in res.stderr, "no error", res.dump())
    check("Finished in" in res.stdout and "success (exit 0)" in res.stdout, "the summary", res.dump())


@test
def test_std_fds_closed():
    """Started with stdin, stdout or stderr closed (`>&-` in a cron line): the slot must not be
    taken by the epoll instance or the engine's socket, where the report would be written (or
    libuv abort, as it did: exit 134). The requests stay exact; a closed stdout is a report that
    could not be written (exit 1, said on stderr), a closed stdin or stderr changes nothing.
    Under valgrind (tests/sanitize.sh) the program cannot start with a slot closed: valgrind
    opens its own log file there first; only the closed stdin is tried."""
    cases = (((1,), 1), ((2,), 0), ((0,), 0), ((1, 2), 1))
    if WRAPPER and "valgrind" in os.path.basename(WRAPPER[0]):
        cases = (((0,), 0),)
    for fds, rc in cases:
        res = run(pruning_rules(), env={"CLEANUP_SPLIT_SCHEDULE": "false"}, close_fds=fds)
        eq(res.rc, rc, "exit status with %r closed\n%s" % (fds, res.dump()))
        wire_rules(res)
        pruned(res, "%r closed" % (fds,))
        if fds == (1,):
            eq(res.stderr.splitlines()[-1], "docker-cleaner: error: could not write the report to stdout (Bad file "
                                            "descriptor): the audit trail is incomplete; the run deleted 3 resources",
               "the last stderr line")
        if 2 not in fds and 1 not in fds:
            check("Finished in" in res.stdout, "the report with %r closed" % (fds,), res.dump())


@test
def test_help_and_version_make_no_connection():
    res = run([ping_rule("1.45")], args=["--help"])
    eq(res.rc, 0, "exit status of --help")
    check("Usage: docker-cleaner" in res.stdout, "usage", res.dump())
    eq(len(res.connections), 0, "connections with --help")
    res = run([ping_rule("1.45")], args=["--version"])
    eq(res.rc, 0, "exit status of --version")
    check(res.stdout.startswith("docker-cleaner %s" % VERSION), "version", res.dump())
    eq(len(res.connections), 0, "connections with --version")


# --- audit 2026-11: requests built exactly or not sent (F1, F8), engine-controlled sizes (F9),
# --- networks sharing a name (F13)

def catch_all_rules(v="1.45"):
    """The audit's r1 engine: every listing empty, every prune answered {} (nothing removed)."""
    return [ping_rule(v), {"method": "GET", "path": "/v%s/" % v, "body": []},
            {"method": "POST", "path": "/v%s/" % v, "body": {}}]


@test
def test_label_not_utf8_is_a_config_error():
    """Audit F1 (G70, G77, C6): a label value that is not UTF-8 used to vanish from the filters
    sent ("label":{}), so the prune removed everything unprotected. It is now bad configuration:
    exit 2, one line with the bytes escaped, no connection at all."""
    # Python passes \udcXX in an environment value as the raw byte XX.
    cases = [({"PRUNE_FILTER_LABEL": "team=Jos\udce9"}, [], 'invalid PRUNE_FILTER_LABEL="team=Jos\\xe9"'),
             ({}, ["--label=team=Jos\udce9"], 'invalid --label="team=Jos\\xe9"'),
             ({"PROTECT_LABEL": "keep=\udce9"}, [], 'invalid PROTECT_LABEL="keep=\\xe9"')]
    for env, args, want in cases:
        env = dict(env, CLEANUP_CONTAINERS="false")
        res = run(catch_all_rules(), env=env, args=args)
        eq(res.rc, 2, "exit status with %r %r\n%s" % (env, args, res.dump()))
        eq(len(res.connections), 0, "connections with %r %r" % (env, args))
        line = one_stderr_line(res)
        check(want in line and "not valid UTF-8" in line, "stderr with %r %r" % (env, args), line)
        check("\ufffd" not in line, "the raw byte reached stderr", line)
        eq(res.stdout, "", "stdout")


@test
def test_long_filters_sent_whole_or_not_at_all():
    """Audit F8 (C8): sixteen valid terms of 401 bytes used to be cut at 4095 characters and
    sent unterminated. They fit a request path, so now they go whole: the engine gets every
    term. Sixteen terms of 509 bytes do not fit: the prunes that need them fail with "filters
    too long" and are never sent (the build cache is skipped with a label filter: every
    operation failed, exit 2)."""
    terms = ["k%02d%s=%s" % (i, "a" * 200, "b" * 200) for i in range(16)]
    res = run([ping_rule("1.45")] + engine_rules("1.45"), env={"CLEANUP_CONTAINERS": "false"},
              args=["--label=" + t for t in terms])
    wire_rules(res)
    eq(res.rc, 0, "exit status\n" + res.dump())
    for op in ("networks", "images"):
        sent = [p for p in res.paths("POST") if p.startswith("/v1.45/%s/prune?" % op)]
        eq(len(sent), 1, op + " prunes")
        eq(sorted(filters_of(sent[0])["label"]), sorted(terms), op + " label terms sent")

    terms = ["k%02d%s=%s" % (i, "a" * 250, "b" * 255) for i in range(16)]
    res = run([ping_rule("1.45")] + engine_rules("1.45"), env={"CLEANUP_CONTAINERS": "false"},
              args=["--label=" + t for t in terms])
    wire_rules(res)
    eq(res.rc, 2, "exit status\n" + res.dump())
    eq(res.paths("POST"), [], "prunes sent")
    for op in ("networks", "images"):
        check(re.search(r"^docker-cleaner: warn: %s: filters too long \(\d+ bytes encoded\): nothing sent$" % op,
                        res.stderr, re.M), "no 'filters too long' for " + op, res.dump())


@test
def test_huge_sizes_and_old_until_no_overflow():
    """Audit F9 (r9): sizes and SpaceReclaimed of INT64_MAX, summed, and an `until` before 1733,
    are computed without signed overflow: the totals saturate, the age is exact. Run under the
    sanitizer build, UBSan would print "runtime error" on stderr."""
    M = 9223372036854775807

    def rules(ver="1.45"):
        v = "/v" + ver
        return [ping_rule(ver),
                {"method": "GET", "path": v + "/images/json", "body": [
                    {"Id": "sha256:" + ("%02x" % i) * 32, "RepoTags": None, "Created": 1, "Size": M, "Labels": {}}
                    for i in range(3)]},
                {"method": "GET", "path": v + "/containers/json", "body": [
                    {"Id": "a" * 64, "Names": ["/v"], "State": "exited", "Created": 1600000000,
                     "ImageID": "sha256:" + "ff" * 32, "Labels": {}}]},
                {"method": "GET", "path": v + "/system/df", "body": {"BuildCache": [
                    {"ID": "bc1", "Type": "regular", "InUse": False, "Shared": False, "Size": 1,
                     "LastUsedAt": None}]}},
                {"method": "GET", "path": v + "/", "body": []},
                {"method": "POST", "path": v + "/containers/prune",
                 "body": {"ContainersDeleted": ["a" * 64], "SpaceReclaimed": M}},
                {"method": "POST", "path": v + "/images/prune", "body": {"ImagesDeleted": None, "SpaceReclaimed": M}},
                {"method": "POST", "path": v + "/build/prune", "body": {"CachesDeleted": ["bc1"], "SpaceReclaimed": M}},
                {"method": "POST", "path": v + "/", "body": {}}]

    for env in ({"DRY_RUN": "true", "PRUNE_ALL": "true"}, {"DRY_RUN": "false"}):
        res = run(rules(), env=dict(env, LOG_FORMAT="json"))
        check("runtime error" not in res.stderr, "UBSan report with %r" % env, res.dump())
        eq(res.rc, 0, "exit status with %r\n%s" % (env, res.dump()))
        events = [json.loads(l) for l in res.stdout.splitlines()]
        summary = [e for e in events if e["event"] == "summary"]
        eq(len(summary), 1, "summary events")
        check(0 < summary[0]["bytes"] <= M, "total bytes out of range: %r" % summary[0], res.dump())
        for e in events:
            if e["event"] == "operation":
                check(e.get("bytes") is None or 0 <= e["bytes"] <= M, "bytes of %r" % e, res.dump())
    # 1700-01-01T00:00:00Z is -8520336000 s: its age does not fit int64 nanoseconds. The build
    # prune gets the age below API 1.45 (from 1.45 it gets the cut-off itself).
    until = -8520336000
    v = "/v1.44"
    t0 = time.time()
    res = run(rules("1.44"), env={"PRUNE_FILTER_UNTIL": "1700-01-01T00:00:00Z", "CLEANUP_CONTAINERS": "false",
                            "CLEANUP_IMAGES": "false", "CLEANUP_NETWORKS": "false"})
    t1 = time.time()
    check("runtime error" not in res.stderr, "UBSan report with an until before 1733", res.dump())
    eq(res.rc, 0, "exit status with an until before 1733\n" + res.dump())
    build = [r["path"] for r in res.requests if r["path"].startswith(v + "/build/prune")]
    eq(len(build), 1, "build cache prunes")
    age = filters_of(build[0])["until"]
    eq(len(age), 1, "until terms")
    ms = list(age)[0]
    check(re.match(r"^\d+ms$", ms), "until is not an age in ms: " + ms)
    check(int((t0 - until) * 1000) - 1000 <= int(ms[:-2]) <= int((t1 - until) * 1000) + 1000,
          "until age %s is not now - 1700-01-01" % ms)


NET_A, NET_B, NET_C = "a" * 64, "b" * 64, "c" * 64


def dup_network_rules(listed, deleted):
    v = "/v1.45"
    return [ping_rule("1.45"),
            {"method": "GET", "path": v + "/networks", "body": [
                {"Id": i, "Name": n, "Driver": "bridge", "Labels": {}} for i, n in listed]},
            {"method": "GET", "path": v + "/", "body": []},
            {"method": "POST", "path": v + "/networks/prune", "body": {"NetworksDeleted": deleted}},
            {"method": "POST", "path": v + "/", "body": {}}]


@test
def test_networks_sharing_a_name_each_named_once():
    """Audit F13 (r13): two networks called ci, both removed: the audit trail names each with
    its own ID (it used to name the first one twice)."""
    env = {"CLEANUP_IMAGES": "false", "CLEANUP_BUILD_CACHE": "false"}
    res = run(dup_network_rules([(NET_A, "ci"), (NET_B, "ci"), (NET_C, "other")], ["ci", "ci"]), env=env)
    eq(res.rc, 0, "exit status\n" + res.dump())
    lines = sorted(l for l in res.stdout.splitlines() if l.startswith("Deleted network"))
    eq(lines, ["Deleted network aaaaaaaaaaaa ci", "Deleted network bbbbbbbbbbbb ci"], "audit lines")
    res = run(dup_network_rules([(NET_A, "ci"), (NET_B, "ci")], ["ci", "ci"]),
              env=dict(env, LOG_FORMAT="json"))
    ids = sorted(e["id"] for e in map(json.loads, res.stdout.splitlines()) if e["event"] == "deleted")
    eq(ids, [NET_A, NET_B], "deleted events")


@test
def test_networks_sharing_a_name_ambiguous_said_so():
    """Audit F13: three networks called ci, one removed: which one cannot be known from the
    reply. No ID is claimed; one warning says so and lists the candidates."""
    env = {"CLEANUP_IMAGES": "false", "CLEANUP_BUILD_CACHE": "false"}
    res = run(dup_network_rules([(NET_A, "ci"), (NET_B, "ci"), (NET_C, "ci")], ["ci"]), env=env)
    eq(res.rc, 0, "exit status\n" + res.dump())
    lines = [l for l in res.stdout.splitlines() if l.startswith("Deleted network")]
    eq(lines, ["Deleted network ci ci"], "audit lines")
    warn = [l for l in res.stderr.splitlines() if "networks named ci" in l]
    eq(warn, ["docker-cleaner: warn: networks: the engine removed 1 of the 3 networks named ci (aaaaaaaaaaaa, "
              "bbbbbbbbbbbb, cccccccccccc) and names them only by name: which one is not known"], "warning")
    # A name the engine sends with a line break in it stays on one line.
    res = run(dup_network_rules([(NET_A, "ci\nDeleted network x"), (NET_B, "ci\nDeleted network x")],
                                ["ci\nDeleted network x"]), env=env)
    check("named ci?Deleted network x (" in res.stderr, "warning not on one line", res.dump())


# --- issue 16: versions pinned with DOCKER_API_VERSION, the same on every engine

PODMAN5 = {"Libpod-Api-Version": "5.8.6", "Server": "Libpod/5.8.6 (linux)"}


@test
def test_pin_below_1_40_dry_run_agrees_on_networks():
    # Pinned to 1.39 (below the network list's `dangling` filter, which neither run uses): the
    # dry run chooses networks itself and must say what the real run's prune removes, exit 0.
    net_prune = {"method": "POST", "path": "/v1.39/networks/prune", "body": {"NetworksDeleted": ["spare"]}}
    env = {"DOCKER_API_VERSION": "1.39", "CLEANUP_IMAGES": "false", "CLEANUP_BUILD_CACHE": "false"}
    dry = run([ping_rule("1.45")] + engine_rules("1.39"), env=dict(env, DRY_RUN="true"))
    eq(dry.rc, 0, "dry run exit status\n" + dry.dump())
    wire_rules(dry)
    check(not [p for p in dry.paths() if "/prune" in p or p.startswith("DELETE")], "a dry run removed", dry.dump())
    real = run([ping_rule("1.45"), net_prune] + engine_rules("1.39"), env=env)
    eq(real.rc, 0, "real run exit status\n" + real.dump())
    eq(len([p for p in real.paths("POST") if p.startswith("/v1.39/networks/prune")]), 1, "network prunes")
    for res in (dry, real):
        check(re.search(r"^(Would delete|Deleted) network .*spare", res.stdout, re.M), "no line for network spare",
              res.dump())
        check("needs API 1.40" not in res.stdout + res.stderr, "networks refused below 1.40", res.dump())


@test
def test_pin_below_1_40_podman_removes_networks():
    # Podman: networks are always chosen here and removed one by one; pinned to 1.30 too.
    nid = "5" * 64
    rules = [ping_rule("1.44", PODMAN5),
             {"method": "DELETE", "path": "/v1.30/networks/" + nid, "status": 204, "body": ""}]
    env = {"DOCKER_API_VERSION": "1.30", "CLEANUP_IMAGES": "false", "CLEANUP_BUILD_CACHE": "false",
           "CLEANUP_CONTAINERS": "false"}
    for dry in ("true", "false"):
        res = run(rules + engine_rules("1.30"), env=dict(env, DRY_RUN=dry))
        eq(res.rc, 0, "exit status (dry run %s)\n%s" % (dry, res.dump()))
        check(re.search(r"^(Would delete|Deleted) network .*spare", res.stdout, re.M), "no line for network spare",
              res.dump())
        eq(len([p for p in res.paths("DELETE") if "/networks/" in p]), 0 if dry == "true" else 1, "network removals")


@test
def test_pin_newer_than_engine_refused_up_front():
    # Docker answers every request 400 "client version 1.99 is too new", Podman accepts any
    # version: the cleaner refuses the pin itself, after the ping and before anything else,
    # with one line naming both versions, exit 2, on either engine.
    for ping, engine in ((ping_rule("1.51"), "1.51"), (ping_rule("1.44", PODMAN5), "1.44")):
        res = run([ping] + engine_rules("1.99"), env={"DOCKER_API_VERSION": "1.99"})
        eq(res.rc, 2, "exit status\n" + res.dump())
        eq(res.paths(), ["/_ping"], "requests")
        lines = [l for l in (res.stdout + res.stderr).splitlines() if "DOCKER_API_VERSION" in l]
        eq(len(lines), 1, "lines naming the pin:\n" + res.dump())
        check("DOCKER_API_VERSION=1.99 is newer than the engine's API version %s" % engine in lines[0],
              "the line", lines[0])
    # The engine's own version, pinned: accepted.
    res = run([ping_rule("1.44", PODMAN5)] + engine_rules("1.44"), env={"DOCKER_API_VERSION": "1.44"})
    eq(res.rc, 0, "exit status (pin = engine)\n" + res.dump())


@test
def test_pin_below_engine_minimum_refused_up_front():
    # Docker 29 (API 1.52) serves 1.44 and newer only: a pin below that is said once, from its
    # /version MinAPIVersion, before any other request, exit 2 (not a 400 "client version is
    # too old" for every request).
    version = {"method": "GET", "path": "/version", "exact": True,
               "body": {"Version": "29.0.0", "ApiVersion": "1.52", "MinAPIVersion": "1.44", "Os": "linux"}}
    res = run([ping_rule("1.52"), version] + engine_rules("1.41"), env={"DOCKER_API_VERSION": "1.41"})
    eq(res.rc, 2, "exit status\n" + res.dump())
    eq(res.paths(), ["/_ping", "/version"], "requests")
    lines = [l for l in (res.stdout + res.stderr).splitlines() if "DOCKER_API_VERSION" in l]
    eq(len(lines), 1, "lines naming the pin:\n" + res.dump())
    check("DOCKER_API_VERSION=1.41 is older than the engine's minimum API version 1.44" in lines[0], "the line",
          lines[0])
    # At the minimum: served.
    res = run([ping_rule("1.52"), version] + engine_rules("1.44"), env={"DOCKER_API_VERSION": "1.44"})
    eq(res.rc, 0, "exit status (pin = minimum)\n" + res.dump())
    eq(res.paths()[:2], ["/_ping", "/version"], "requests")
    for p in res.paths()[2:]:
        check(p.startswith("/v1.44/"), "not the pinned version: " + p)
    # A /version that does not say: the pin is left to the engine.
    res = run([ping_rule("1.52"), dict(version, status=500, body={"message": "x"})] + engine_rules("1.41"),
              env={"DOCKER_API_VERSION": "1.41"})
    eq(res.rc, 0, "exit status (no minimum known)\n" + res.dump())


# --- issue 16: two cleaners at once on Podman 5.8

@test
def test_podman_image_listing_during_another_run_is_retried():
    # Podman 4.3 lists images by walking their layers and answers 500 "layer not known" while a
    # second cleaner removes one: the listing is asked again (bounded backoff), and the run ends
    # 0 with the image removed. From Docker the same answer is a failure, as any 500.
    v = "/v1.41"
    img = "sha256:" + "d" * 64
    broken = {"method": "GET", "path": v + "/images/json", "status": 500, "times": 2,
              "body": {"cause": "layer not known", "response": 500,
                       "message": "retrieving parent of image %s: you may need to remove the image to resolve the "
                                  "error: layer not known" % img[7:]}}
    env = {"CLEANUP_CONTAINERS": "false", "CLEANUP_NETWORKS": "false", "CLEANUP_BUILD_CACHE": "false"}
    podman = ping_rule("1.41", {"Libpod-Api-Version": "4.3.1", "Server": "Libpod/4.3.1 (linux)"})
    res = run([podman, broken, {"method": "DELETE", "path": v + "/images/", "status": 200,
                                "body": [{"Deleted": img}]}] + engine_rules("1.41"), env=env)
    eq(res.rc, 0, "exit status\n" + res.dump())
    eq([p for p in res.paths("DELETE") if "/images/" in p], [v + "/images/sha256%3A" + "d" * 64], "image removals")
    eq(len([p for p in res.paths("GET") if p.startswith(v + "/images/json")]), 3, "image listings (two refused)")
    res = run([ping_rule("1.41"), broken] + engine_rules("1.41"), env=dict(env, PRUNE_FILTER_LABEL="!keep"))
    check(res.rc != 0 and "could not list images" in res.stderr, "Docker: a failure", res.dump())


@test
def test_podman5_image_removed_meanwhile_is_gone():
    # Podman 5.8 answers the removal of an image that another run has just removed with 500
    # "invalid repository name (ID), cannot specify 64-byte hexadecimal strings": already gone,
    # like 404 / "no such image", so the run ends 0 (it reported exit 1 in 4 of 11 tries).
    iid = "d" * 64
    # The first as Podman 5.8.6 said it in the e2e concurrent test, the second for a bare ID.
    msgs = ('normalizing image: normalizing name for compat API: parsing named reference "%s": invalid repository '
            'name (%s), cannot specify 64-byte hexadecimal strings' % (iid, iid),
            'normalizing image: normalizing name "%s" (orig: "%s") for compat API: invalid repository name '
            '(%s), cannot specify 64-byte hexadecimal strings' % (iid, iid, iid))
    env = {"CLEANUP_CONTAINERS": "false", "CLEANUP_NETWORKS": "false", "CLEANUP_BUILD_CACHE": "false"}
    for msg in msgs:
        rules = [ping_rule("1.44", PODMAN5),
                 {"method": "DELETE", "path": "/v1.44/images/sha256%3A" + iid, "status": 500,
                  "body": {"cause": "invalid repository name", "message": msg, "response": 500}}]
        res = run(rules + engine_rules("1.44"), env=env)
        eq(res.rc, 0, "exit status\n" + res.dump())
        eq(len([p for p in res.paths("DELETE") if "/images/" in p]), 1, "image removals")
        check("could not remove" not in res.stderr, "a removal reported as failed", res.dump())
        check("Deleted image" not in res.stdout, "reported as deleted by this run", res.dump())
    # The same message from Docker is not read as "gone": Docker never says it for a missing ID.
    rules[0] = ping_rule("1.44")
    res = run(rules + engine_rules("1.44"), env=dict(env, PRUNE_FILTER_LABEL="!keep"))
    check(res.rc != 0 and "could not remove image" in res.stderr, "Docker: a failure", res.dump())
    # Other Podman 500s on an image still fail the removal.
    rules[0] = ping_rule("1.44", PODMAN5)
    rules[1] = dict(rules[1], body={"cause": "x", "message": "image is being used", "response": 500})
    res = run(rules + engine_rules("1.44"), env=env)
    check(res.rc != 0 and "could not remove image" in res.stderr, "another 500: a failure", res.dump())


# --- issue 18: the schedule per resource (CLEANUP_SPLIT_SCHEDULE) ---

def anon_volume(name):
    """A volume as /volumes lists it: anonymous (Docker's label), local, no options."""
    return {"Name": name, "Driver": "local", "Labels": {"com.docker.volume.anonymous": ""}, "Options": None,
            "CreatedAt": "2024-01-02T03:04:05Z"}


def volume_container(cid, name, volume, created=1700000000):
    """An exited container that mounts one volume and holds no network."""
    return {"Id": cid, "Names": ["/" + name], "State": "exited", "Created": created, "Labels": {},
            "ImageID": "sha256:" + "9" * 64, "Mounts": [{"Type": "volume", "Name": volume}],
            "NetworkSettings": {"Networks": {}}}


def volume_listing(v, names, times=None):
    """The rule for GET {v}/volumes answering anonymous volumes `names` (`times` answers, or all)."""
    rule = {"method": "GET", "path": v + "/volumes",
            "body": {"Volumes": [anon_volume(n) for n in names], "Warnings": None}}
    if times:
        rule["times"] = times
    return rule


def split_rules(v="/v1.45", hold=True, dry=False):
    """c1 (exited, going) pins image i1 and volume vpin and sits on network na (a stopped
    container holds no endpoint on Docker); c2 (running) keeps its image, network and volume.
    i2, na and vfree are pinned by nothing. The removal of c1 holds its answer until the first
    passes have sent their work (hold), so the order seen is the schedule's, not a race's."""
    containers = [
        {"Id": "c1" * 32, "Names": ["/going"], "State": "exited", "Created": 1700000000, "Labels": {},
         "ImageID": "sha256:" + "1" * 64, "Mounts": [{"Type": "volume", "Name": "vpin"}],
         "NetworkSettings": {"Networks": {"net-a": {"NetworkID": "na"}}}},
        {"Id": "c2" * 32, "Names": ["/running"], "State": "running", "Created": 1700000000, "Labels": {},
         "ImageID": "sha256:" + "9" * 64, "Mounts": [{"Type": "volume", "Name": "vkeep"}],
         "NetworkSettings": {"Networks": {"net-k": {"NetworkID": "nk"}}}},
    ]
    images = [{"Id": "sha256:" + c * 64, "RepoTags": tags, "Created": 1700000000, "Size": 10}
              for c, tags in (("1", None), ("2", ["<none>:<none>"]), ("9", ["keep:1"]))]
    networks = [{"Name": "bridge", "Id": "nb", "Driver": "bridge", "Created": "2024-01-02T03:04:05Z"},
                {"Name": "net-a", "Id": "na", "Driver": "bridge", "Created": "2024-01-02T03:04:05Z", "Labels": {}},
                {"Name": "net-k", "Id": "nk", "Driver": "bridge", "Created": "2024-01-02T03:04:05Z", "Labels": {}}]
    first = ["POST %s/images/prune" % v, "DELETE %s/networks/na" % v, "DELETE %s/volumes/vfree" % v]
    remove = {"method": "DELETE", "path": v + "/containers/", "status": 204, "body": ""}
    if hold:
        remove.update(hold_until=first, hold_ms=10000)
    every = {"method": "GET", "path": v + "/volumes", "body": {"Volumes": [anon_volume(n) for n in ("vfree", "vpin", "vkeep")],
                                                                "Warnings": None}}
    return [ping_rule("1.45"),
            {"method": "GET", "path": v + "/containers/json", "body": containers},
            {"method": "GET", "path": v + "/images/json", "body": images},
            {"method": "GET", "path": v + "/networks", "body": networks}] + ([every] if dry else []) + [
            # Dangling volumes: vfree while c1 stands, vpin once it is gone.
            {"method": "GET", "path": v + "/volumes", "times": 1, "body": {"Volumes": [anon_volume("vfree")], "Warnings": None}},
            {"method": "GET", "path": v + "/volumes", "body": {"Volumes": [anon_volume("vpin")], "Warnings": None}},
            {"method": "GET", "path": v + "/system/df", "body": {"Volumes": [
                {"Name": n, "UsageData": {"Size": size, "RefCount": 0}} for n, size in (("vfree", 1000), ("vpin", 2000))]}},
            remove,
            {"method": "POST", "path": v + "/images/prune", "times": 1,
             "body": {"ImagesDeleted": [{"Deleted": "sha256:" + "2" * 64}], "SpaceReclaimed": 10}},
            {"method": "POST", "path": v + "/images/prune",
             "body": {"ImagesDeleted": [{"Deleted": "sha256:" + "1" * 64}], "SpaceReclaimed": 10}},
            {"method": "DELETE", "path": v + "/", "status": 204, "body": ""}]


SPLIT_ENV = {"CLEANUP_SPLIT_SCHEDULE": "true", "CLEANUP_VOLUMES": "true", "CLEANUP_BUILD_CACHE": "false"}


@test
def test_split_schedule_starts_unpinned_work_beside_the_containers():
    """What no going container pins is removed while the containers are removed (one by one,
    without force, on Docker too: no container prune, whose lock the network prune shares);
    what c1 pinned (its image, its volume) only once it is gone; its network (no endpoint on
    Docker) needs no second pass. Nothing forced; the dry run names exactly the same."""
    v = "/v1.45"
    res = run(split_rules(), env=SPLIT_ENV)
    eq(res.rc, 0, "exit status\n" + res.dump())
    wire_rules(res)
    prune = res.request("DELETE", v + "/containers/" + "c1" * 32)
    answered = res.index("answered", prune["seq"])
    image_prunes = [r for r in res.requests if r["path"] == v + "/images/prune?filters=" + DANGLING_PROTECT]
    eq(len(image_prunes), 2, "image prunes (one per pass)")
    net = res.request("DELETE", v + "/networks/na")
    vfree = res.request("DELETE", v + "/volumes/vfree")
    for r in (image_prunes[0], net, vfree):
        check(res.index("request", r["seq"]) < answered, "%s %s waited for the container prune" % (
            r["method"], r["path"]), res.dump())
    after(res, prune, image_prunes[1])
    after(res, prune, res.request("DELETE", v + "/volumes/vpin"))
    eq(sorted(res.paths("DELETE")), sorted([v + "/containers/" + "c1" * 32, v + "/networks/na", v + "/volumes/vfree",
                                            v + "/volumes/vpin"]), "deletions (no force)")
    check(not any("force" in p for p in res.paths()), "a forced request", res.dump())
    # On Docker the networks' first pass judges use from the inventory (only a running container
    # holds an endpoint; one started since makes the removal a 403): one container listing.
    eq(len([p for p in res.paths("GET") if p.startswith(v + "/containers/json")]), 1, "container listings")
    for p in ("/networks/prune", "/containers/prune"):
        check(p not in " ".join(res.paths()), "a prune sharing the container prune's lock: " + p, res.dump())
    for line in ("Deleted network na net-a", "Deleted volume vfree", "Deleted volume vpin",
                 "Deleted image " + "1" * 12, "Deleted image " + "2" * 12):
        check(line in res.stdout, "missing %r" % line, res.dump())
    check("images       ok            2 deleted" in res.stdout, "one images line for both passes", res.dump())
    # The engine's disk usage (it walks every volume) once: the first pass's sizes serve the second.
    eq(len([p for p in res.paths("GET") if p.startswith(v + "/system/df")]), 1, "disk usage reports")
    check(re.search(r"volumes +ok +2 deleted +3(\.0)?kB reclaimed", res.stdout), "both volumes' sizes", res.dump())
    # The dry run (not split) names exactly what the real run removed.
    dry = run(split_rules(hold=False, dry=True), env=dict(SPLIT_ENV, DRY_RUN="true"))
    eq(dry.rc, 0, "dry run exit status\n" + dry.dump())
    eq(dry.paths("DELETE") + dry.paths("POST"), [], "dry run: reads only")
    def removed(out):
        return sorted(l.split()[1:3] if l.startswith("Deleted") else l.split()[2:4]
                      for l in out.splitlines() if l.startswith(("Deleted", "Would delete")))
    eq(removed(dry.stdout), removed(res.stdout), "dry run against real run")


@test
def test_split_schedule_by_default_on_docker_not_on_podman():
    """CLEANUP_SPLIT_SCHEDULE unset (auto): on Docker the unpinned work of the later types runs
    beside the container removal (as with true); on Podman, where it was not measured faster,
    the per-type schedule: nothing of a later type is removed before the containers are gone.
    false and true choose either on both. The container removal holds its answer until the
    first passes' removals arrive (or 2 s, which only the per-type schedule waits out)."""
    auto = dict(SPLIT_ENV, CLEANUP_SPLIT_SCHEDULE=None)
    podman_ping = ping_rule("1.41", {"Libpod-Api-Version": "4.3.1", "Server": "Libpod/4.3.1 (linux)"})

    def engine_rules_for(podman):
        vv = "/v1.41" if podman else "/v1.45"
        rules = split_rules(v=vv, hold=False)
        # What the first passes remove: on Podman a stopped container holds its network, and
        # images go one by one (its prune cannot be held to the inventory).
        first = (["DELETE %s/images/" % vv, "DELETE %s/volumes/vfree" % vv] if podman else
                 ["POST %s/images/prune" % vv, "DELETE %s/networks/na" % vv, "DELETE %s/volumes/vfree" % vv])
        hold = {"hold_until": first, "hold_ms": 2000}
        for r in rules:
            if r["method"] == "DELETE" and r["path"] == vv + "/containers/":
                r.update(hold)
        if podman:
            rules[0] = podman_ping
        # The per-type schedule's prunes.
        rules[1:1] = [dict({"method": "POST", "path": vv + "/containers/prune",
                            "body": {"ContainersDeleted": ["c1" * 32], "SpaceReclaimed": 0}}, **hold),
                      {"method": "POST", "path": vv + "/networks/prune", "body": {"NetworksDeleted": []}}]
        return rules

    def per_resource(res):
        """Was a resource of a later type removed before the containers' removal was answered?"""
        mine = [r for r in res.requests if r["method"] in ("DELETE", "POST") and "/containers/" in r["path"]]
        check(mine, "no container removal", res.dump())
        answered = min(res.index("answered", r["seq"]) for r in mine)
        return any(res.index("request", r["seq"]) < answered for r in res.requests
                   if r["method"] in ("DELETE", "POST") and "/containers/" not in r["path"])
    for env, docker_split, podman_split in ((auto, True, False), (dict(auto, CLEANUP_SPLIT_SCHEDULE="true"), True, True),
                                            (dict(auto, CLEANUP_SPLIT_SCHEDULE="false"), False, False)):
        for podman, want in ((False, docker_split), (True, podman_split)):
            what = "%s with CLEANUP_SPLIT_SCHEDULE=%s" % ("Podman" if podman else "Docker", env.get("CLEANUP_SPLIT_SCHEDULE"))
            res = run(engine_rules_for(podman), env=env)
            eq(res.rc, 0, "exit status on %s\n%s" % (what, res.dump()))
            wire_rules(res)
            eq(per_resource(res), want, "schedule per resource on %s\n%s" % (what, res.dump()))
            check("Deleted volume vfree" in res.stdout, "the unpinned volume on %s" % what, res.dump())


@test
def test_split_schedule_second_pass_only_when_pinned():
    """The going container's image is also the running one's and it mounts no volume: no second
    pass for images or volumes; the first passes' outcome is the operations' outcome."""
    v = "/v1.45"
    rules = split_rules(hold=False)
    c = rules[1]["body"]
    c[0] = dict(c[0], ImageID=c[1]["ImageID"], Mounts=[])
    res = run(rules, env=SPLIT_ENV)
    eq(res.rc, 0, "exit status\n" + res.dump())
    wire_rules(res)
    eq(len([p for p in res.paths("POST") if "/images/prune" in p]), 1, "image prunes")
    eq(len([p for p in res.paths("GET") if p.startswith(v + "/volumes")]), 1, "volume listings")
    eq(sorted(res.paths("DELETE")), sorted([v + "/containers/" + "c1" * 32, v + "/networks/na", v + "/volumes/vfree"]),
       "deletions")


@test
def test_split_schedule_holds_at_most_six_connections():
    """Eight requests outstanding at once (four container removals, the networks and volumes
    listings, the disk usage, the image prune, all slow): the split schedule opens no more than
    six connections (each holds a read buffer: peak RSS), the rest wait their turn."""
    v = "/v1.45"
    rules = split_rules(hold=False)
    c = rules[1]["body"]
    for i in range(2, 9):
        c.append(dict(c[0], Id=("c%d" % i) * 32, Names=["/going%d" % i], Mounts=[]))
    for r in rules:
        if (r["method"], r["path"]) in (("GET", v + "/networks"), ("GET", v + "/volumes"), ("GET", v + "/system/df"),
                                        ("POST", v + "/images/prune"), ("DELETE", v + "/containers/")):
            r["delay_ms"] = 500
    res = run(rules, env=SPLIT_ENV)
    eq(res.rc, 0, "exit status\n" + res.dump())
    wire_rules(res)
    eq(len(res.paths("DELETE")), 8 + 3, "removals (8 containers, a network, two volumes)")
    conns = len({r["conn"] for r in res.requests})  # (a root-only socket's are all opened up front)
    check(conns <= 6, "%d connections" % conns, res.dump())


def rounds_rules(v="/v1.45", hold=True, dry=False):
    """c1 and c2 (exited, going) each mount an anonymous volume of their own (va, vb); vfree is
    mounted by none. c1's removal is answered at once, c2's holds until va's removal arrives
    (hold): only a schedule that follows the containers one by one sends it by then. The
    volume listings answer as a real engine would: vfree first, va once c1 is gone, vb once
    both are."""
    containers = [volume_container(c * 32, c, vol) for c, vol in (("c1", "va"), ("c2", "vb"))]
    c2 = {"method": "DELETE", "path": v + "/containers/" + "c2" * 32, "status": 204, "body": ""}
    if hold:
        c2.update(hold_until=["DELETE %s/volumes/va" % v], hold_ms=10000)
    return [ping_rule("1.45"),
            {"method": "GET", "path": v + "/containers/json", "body": containers},
            {"method": "GET", "path": v + "/images/json", "body": []}] + (
            [volume_listing(v, ["vfree", "va", "vb"])] if dry else
            [volume_listing(v, ["vfree"], 1), volume_listing(v, ["va"], 1), volume_listing(v, ["vb"])]) + [
            {"method": "GET", "path": v + "/system/df", "body": {"Volumes": [
                {"Name": n, "UsageData": {"Size": 1000, "RefCount": 0}} for n in ("vfree", "va", "vb")]}},
            c2,
            {"method": "DELETE", "path": v + "/containers/", "status": 204, "body": ""},
            {"method": "DELETE", "path": v + "/volumes/", "status": 204, "body": ""}]


@test
def test_split_schedule_volumes_follow_each_container():
    """A volume pinned by one container goes once that container is gone, while the others are
    still being removed: the volumes' first pass runs again (a round) after each container that
    mounted one goes, with the same listing and rules. Each volume is removed once, the disk
    usage read once; the last round came after every container: no second pass. The dry run
    (not split) names the same volumes."""
    v = "/v1.45"
    env = dict(SPLIT_ENV, CLEANUP_NETWORKS="false", CLEANUP_IMAGES="false")
    res = run(rounds_rules(), env=env)
    eq(res.rc, 0, "exit status\n" + res.dump())
    wire_rules(res)
    c1 = res.request("DELETE", v + "/containers/" + "c1" * 32)
    c2 = res.request("DELETE", v + "/containers/" + "c2" * 32)
    va = res.request("DELETE", v + "/volumes/va")
    after(res, c1, va)
    sent_before_answer(res, va, c2, "va waited for the whole container step")
    after(res, c2, res.request("DELETE", v + "/volumes/vb"))
    eq(sorted(res.paths("DELETE")), sorted([v + "/containers/" + "c1" * 32, v + "/containers/" + "c2" * 32,
                                            v + "/volumes/vfree", v + "/volumes/va", v + "/volumes/vb"]),
       "deletions, each once")
    eq(len([p for p in res.paths("GET") if p.startswith(v + "/volumes")]), 3, "volume listings (three rounds)")
    eq(len([p for p in res.paths("GET") if p.startswith(v + "/system/df")]), 1, "disk usage reports")
    check(re.search(r"volumes +ok +3 deleted +3(\.0)?kB reclaimed", res.stdout), "one volumes line", res.dump())
    dry = run(rounds_rules(hold=False, dry=True), env=dict(env, DRY_RUN="true"))
    eq(dry.rc, 0, "dry run exit status\n" + dry.dump())
    eq(dry.paths("DELETE"), [], "dry run: reads only")
    for name in ("vfree", "va", "vb"):
        check(("Would delete volume %s" % name) in dry.stdout and ("Deleted volume %s" % name) in res.stdout,
              "volume %s in the dry run and the real run" % name, res.dump() + dry.dump())


def sizes_rules(volumes, v="/v1.45", hold_inventory=False):
    """Nothing but volumes: the listing answers `volumes`; the disk usage sizes keep-me and
    anon at 3 kB each. hold_inventory: the container listing holds its answer until a volume
    listing has arrived."""
    containers = {"method": "GET", "path": v + "/containers/json", "body": []}
    if hold_inventory:
        containers.update(hold_until=["GET %s/volumes" % v], hold_ms=10000)
    return [ping_rule("1.45"), containers,
            {"method": "GET", "path": v + "/images/json", "body": []},
            {"method": "GET", "path": v + "/networks", "body": []},
            {"method": "GET", "path": v + "/volumes", "body": {"Volumes": volumes, "Warnings": None}},
            {"method": "GET", "path": v + "/system/df", "body": {"Volumes": [
                {"Name": n, "UsageData": {"Size": 3000, "RefCount": 0}} for n in ("keep-me", "anon")]}},
            {"method": "DELETE", "path": v + "/volumes/", "status": 204, "body": ""}]


NAMED_VOLUME = {"Name": "keep-me", "Driver": "local", "Labels": {}, "Options": None,
                "CreatedAt": "2024-01-02T03:04:05Z"}


@test
def test_volume_sizes_asked_only_for_a_removal():
    """The volumes' disk usage (Docker computes it by walking every volume: on Docker 26 the
    longest request of a run with nothing to remove) is asked only once the listing shows a
    volume the rules remove, and before its removal, so that its size is known. A named volume
    alone (kept without PRUNE_VOLUMES_ALL): no disk usage. In both schedules and the dry run."""
    v = "/v1.45"
    for sched in ("false", "true"):
        for dry in ("false", "true"):
            env = {"CLEANUP_VOLUMES": "true", "CLEANUP_BUILD_CACHE": "false", "CLEANUP_SPLIT_SCHEDULE": sched,
                   "DRY_RUN": dry}
            what = "schedule per resource %s, dry run %s: " % (sched, dry)
            res = run(sizes_rules([NAMED_VOLUME]), env=env)
            eq(res.rc, 0, what + "exit status\n" + res.dump())
            wire_rules(res)
            eq([p for p in res.paths("GET") if p.startswith(v + "/system/df")], [],
               what + "disk usage asked with nothing to remove")
            eq(res.paths("DELETE"), [], what + "deletions")
            check(re.search(r"volumes +ok +0 ", res.stdout), what + "volumes line", res.dump())
            res = run(sizes_rules([NAMED_VOLUME, anon_volume("anon")]), env=env)
            eq(res.rc, 0, what + "exit status\n" + res.dump())
            wire_rules(res)
            listing = [r for r in res.requests if r["method"] == "GET" and r["path"].startswith(v + "/volumes")]
            eq(len(listing), 1, what + "volume listings")
            df = res.request("GET", v + "/system/df?type=volume")
            after(res, listing[0], df)
            check(re.search(r"volumes +ok +1 (deleted|to delete) +3(\.0)?kB", res.stdout),
                  what + "the volume's size", res.dump())
            if dry == "false":
                after(res, df, res.request("DELETE", v + "/volumes/anon"))
                eq(res.paths("DELETE"), [v + "/volumes/anon"], what + "deletions")
            else:
                eq(res.paths("DELETE"), [], what + "dry run: reads only")
                check("Would delete volume anon" in res.stdout, what + "named in the dry run", res.dump())


@test
def test_volume_sizes_beside_the_listing_after_containers_with_volumes():
    """Once the run has removed containers that mounted volumes (here on Podman, per type, one
    by one), the volume listing will likely show theirs: the disk usage goes beside it, not
    after it (the listing holds its answer until the disk usage request has arrived)."""
    v = "/v1.41"
    rules = [ping_rule("1.41", {"Libpod-Api-Version": "4.3.1", "Server": "Libpod/4.3.1 (linux)"}),
             {"method": "GET", "path": v + "/containers/json", "body": [volume_container("c1" * 32, "c1", "va")]},
             {"method": "GET", "path": v + "/volumes", "hold_until": ["GET %s/system/df" % v], "hold_ms": 10000,
              "body": {"Volumes": [anon_volume("va")], "Warnings": None}},
             {"method": "GET", "path": v + "/system/df", "body": {"Volumes": [
                 {"Name": "va", "UsageData": {"Size": 2000, "RefCount": 0}}]}},
             {"method": "DELETE", "path": v + "/", "status": 204, "body": ""}]
    env = {"CLEANUP_VOLUMES": "true", "CLEANUP_BUILD_CACHE": "false", "CLEANUP_IMAGES": "false",
           "CLEANUP_NETWORKS": "false"}
    res = run(rules, env=env)
    eq(res.rc, 0, "exit status\n" + res.dump())
    wire_rules(res)
    listing = res.request("GET", v + "/volumes?filters=%7B%22dangling%22%3A%7B%22true%22%3Atrue%7D%7D")
    df = res.request("GET", v + "/system/df")
    sent_before_answer(res, df, listing, "the disk usage waited for the volume listing")
    after(res, res.request("DELETE", v + "/containers/" + "c1" * 32), listing)
    eq(res.paths("DELETE")[-1], v + "/volumes/va", "the volume removed last")
    check(re.search(r"volumes +ok +1 deleted +2(\.0)?kB reclaimed", res.stdout), "its size", res.dump())


@test
def test_split_schedule_volumes_listed_beside_the_inventory():
    """In the schedule per resource the volumes' first pass needs nothing of the container
    inventory (the engine says what is dangling now), so its listing goes out beside it: here
    the container listing holds its answer until a volume listing has arrived. A run with
    nothing else to do then waits for one round trip after /_ping, not two."""
    v = "/v1.45"
    env = dict(SPLIT_ENV, CLEANUP_NETWORKS="false", CLEANUP_IMAGES="false")
    res = run(sizes_rules([anon_volume("anon")], hold_inventory=True), env=env)
    eq(res.rc, 0, "exit status\n" + res.dump())
    wire_rules(res)
    inventory = res.request("GET", v + "/containers/json?all=1")
    listing = [r for r in res.requests if r["method"] == "GET" and r["path"].startswith(v + "/volumes")]
    check(listing, "no volume listing", res.dump())
    sent_before_answer(res, listing[0], inventory, "the volume listing waited for the container inventory")
    eq(res.paths("DELETE"), [v + "/volumes/anon"], "deletions")
    eq(len([p for p in res.paths("GET") if p.startswith(v + "/system/df")]), 1, "disk usage reports")


@test
def test_split_schedule_first_pass_before_the_inventory_keeps_its_sizes():
    """The volumes' first pass may end before the container inventory is in (here the
    inventory holds its answer until vfree's removal has arrived): its disk usage is still
    kept, whole, for the rounds that follow, so va, freed by c1's removal, is removed with its
    size known and the disk usage read once."""
    v = "/v1.45"
    containers = {"method": "GET", "path": v + "/containers/json", "body": [volume_container("c1" * 32, "c1", "va")],
                  "hold_until": ["DELETE %s/volumes/vfree" % v], "hold_ms": 10000}
    rules = [ping_rule("1.45"), containers, {"method": "GET", "path": v + "/images/json", "body": []},
             volume_listing(v, ["vfree"], 1), volume_listing(v, ["va"]),
             {"method": "GET", "path": v + "/system/df", "body": {"Volumes": [
                 {"Name": n, "UsageData": {"Size": size, "RefCount": 0}}
                 for n, size in (("vfree", 1000), ("va", 2000), ("vother", 4000))]}},
             {"method": "DELETE", "path": v + "/", "status": 204, "body": ""}]
    env = dict(SPLIT_ENV, CLEANUP_NETWORKS="false", CLEANUP_IMAGES="false")
    res = run(rules, env=env)
    eq(res.rc, 0, "exit status\n" + res.dump())
    wire_rules(res)
    inventory = res.request("GET", v + "/containers/json?all=1")
    vfree = res.request("DELETE", v + "/volumes/vfree")
    sent_before_answer(res, vfree, inventory, "the first pass waited for the container inventory")
    after(res, res.request("DELETE", v + "/containers/" + "c1" * 32), res.request("DELETE", v + "/volumes/va"))
    eq(len([p for p in res.paths("GET") if p.startswith(v + "/system/df")]), 1, "disk usage reports")
    check(re.search(r"volumes +ok +2 deleted +3(\.0)?kB reclaimed", res.stdout), "both sizes known", res.dump())


def main(tests=None, configure=None):
    """Runs tests (default: this file's) by name; configure(binary, version) lets another test
    file that reuses this runner set up its own globals too."""
    global BINARY, VERSION
    tests = TESTS if tests is None else tests
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary")
    ap.add_argument("--version-string")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("tests", nargs="*")
    a = ap.parse_args()
    if a.list:
        print("\n".join(tests))
        return 0
    BINARY, VERSION = a.binary, a.version_string
    if not BINARY or not VERSION:
        ap.error("--binary and --version-string are required")
    if configure:
        configure(BINARY, VERSION)
    names = a.tests or list(tests)
    failed = 0
    for name in names:
        if name not in tests:
            print("unknown test %s" % name)
            failed += 1
            continue
        t0 = time.time()
        try:
            tests[name]()
            print("ok - %s (%.2fs)" % (name, time.time() - t0))
        except Failure as e:
            failed += 1
            print("not ok - %s\n%s" % (name, e))
        except Exception:
            failed += 1
            print("not ok - %s (error)\n%s" % (name, traceback.format_exc()))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
