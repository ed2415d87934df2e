#!/usr/bin/env python3
"""Retention (issue 14) against the fake engine: what a real daemon cannot be made to do, and
the exact bytes on the wire.

    test_retention.py --binary BUILD/docker-cleaner --version-string 0.1.0 TEST [TEST...]
    test_retention.py --list

KEEP_USED_WITHIN as the build prune's `until`; build cache evictions (one prune per record,
by an `id` filter only BuildKit's own IDs are sent in); image inspects that fail, are
malformed or too large; the deadline while inspects are slow; a failing /system/df; Podman's
disk-usage shape; the cap on inspects; STATE_FILE; a bad KEEP_IMAGES pattern. Each test
asserts the requests the engine received, the exit status and the output.

Run as root (as ctest runs), the cleaner drops to uid 65532: the state file's directory is
given to that uid, as the documentation tells operators to do.
"""

import json
import os
import re
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import test_protocol as tp  # noqa: E402
import test_faults as tf  # noqa: E402  (run with timing, outcome, sent_after, the Podman ping)
from test_protocol import Failure, check, eq, ping_rule, engine_rules, filters_of  # noqa: E402

TESTS = {}
RUN_UID = 65532
V = "/v1.45"
OLD = "2020-01-01T00:00:00Z"
OLD_S = 1577836800
# Only images (and the build cache where a test asks for it): the other kinds add requests
# that say nothing here.
IMAGES_ONLY = {"CLEANUP_CONTAINERS": "false", "CLEANUP_NETWORKS": "false", "CLEANUP_BUILD_CACHE": "false"}


def test(fn):
    TESTS[fn.__name__[len("test_"):]] = fn
    return fn


def run(rules, env=None, **kw):
    """tp.run, then no crash: no sanitizer or allocator report, an exit status of 0, 1 or 2."""
    e = {k: os.environ[k] for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS") if k in os.environ}
    e.update(env or {})
    res = tp.run(rules, env=e, **kw)
    tf.no_crash(res)
    return res


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def iid(c):
    return "sha256:" + c * 64


def enc(image_id):
    return image_id.replace(":", "%3A")


def image(c, tags=None, size=100, created=OLD_S):
    return {"Id": iid(c), "RepoTags": tags or ["<none>:<none>"], "Created": created, "Size": size, "SharedSize": 0}


def inspect(image_id, last_tag=OLD, layers=None):
    body = {"Id": image_id, "Created": OLD, "Metadata": {"LastTagTime": last_tag}}
    if layers is not None:
        body["RootFS"] = {"Type": "layers", "Layers": layers}
    return body


def inspect_rule(image_id, v=V, **rule):
    r = {"method": "GET", "path": v + "/images/" + enc(image_id) + "/json", "exact": True}
    r.update(rule)
    return r


def generic_inspect(v=V):
    return {"method": "GET", "path": v + "/images/sha256%3A", "body": inspect(iid("d"))}


def delete_ok(v=V):
    return {"method": "DELETE", "path": v + "/images/", "body": [{"Deleted": "x"}]}


def image_deletes(res, v=V):
    """The image IDs the engine was asked to remove, in order."""
    out = []
    for p in res.paths("DELETE"):
        check(p.startswith(v + "/images/sha256%3A"), "not an image removal: " + p)
        out.append("sha256:" + p[len(v + "/images/sha256%3A"):].split("?")[0])
    return out


def inspects(res, v=V):
    return [r for r in res.requests if r["method"] == "GET" and r["path"].startswith(v + "/images/sha256%3A")
            and r["path"].endswith("/json")]


def json_lines(res):
    out = []
    for line in res.stdout.splitlines() + res.stderr.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


def decisions(res):
    return {e["id"]: e for e in json_lines(res) if e.get("event") == "decision"}


def warnings(res):
    """The warnings, as text lines or (LOG_FORMAT=json) the messages of the warn events."""
    out = [line for line in res.stderr.splitlines() if ": warn: " in line]
    for line in res.stderr.splitlines():
        if line.startswith("{"):
            e = json.loads(line)
            if e.get("event") == "log" and e.get("level") == "warn":
                out.append(e["message"])
    return out


# --- 1. KEEP_USED_WITHIN is the build prune's `until` ---

def build_prunes(res, v):
    return [p for p in res.paths("POST") if p.startswith(v + "/build/prune")]


@test
def test_build_prune_until_is_keep_used_within():
    """API 1.45: the cut-off itself; with PRUNE_FILTER_UNTIL too, the earlier of the two."""
    day = 86400
    for env, age in (({"KEEP_USED_WITHIN": "24h"}, day),
                     ({"KEEP_USED_WITHIN": "24h", "PRUNE_FILTER_UNTIL": "48h"}, 2 * day),
                     ({"KEEP_USED_WITHIN": "48h", "PRUNE_FILTER_UNTIL": "24h"}, 2 * day),
                     ({"KEEP_USED_WITHIN": "24h", "PRUNE_FILTER_UNTIL": "1h"}, day)):
        before = time.time()
        res = run([ping_rule("1.45"), generic_inspect("/v1.45"), delete_ok("/v1.45")] + engine_rules("1.45"),
                     env=env)
        after_t = time.time()
        eq(res.rc, 0, "exit status with %r\n%s" % (env, res.dump()))
        tp.wire_rules(res)
        builds = build_prunes(res, V)
        eq(len(builds), 1, "build prunes with %r\n%s" % (env, res.dump()))
        f = filters_of(builds[0])
        eq(sorted(f or {}), ["until"], "build prune filter terms with %r: %s" % (env, builds[0]))
        (value,) = f["until"].keys()
        check(re.match(r"^\d+\.\d{9}$", value), "until is not <sec>.<9 digits>: " + value)
        # The cut-offs are taken when the configuration is read, between the two readings.
        check(before - age - 1 <= float(value) <= after_t - age + 1,
              "until %s is not now - %ds with %r" % (value, age, env), res.dump())


@test
def test_build_prune_until_age_before_1_45():
    """API 1.41 (Docker 20.10): the earlier cut-off's age, in milliseconds."""
    for env, age in (({"KEEP_USED_WITHIN": "24h"}, 86400),
                     ({"KEEP_USED_WITHIN": "24h", "PRUNE_FILTER_UNTIL": "48h"}, 2 * 86400)):
        before = time.time()
        res = run([ping_rule("1.41"), generic_inspect("/v1.41"), delete_ok("/v1.41")] + engine_rules("1.41"),
                     env=env)
        after_t = time.time()
        eq(res.rc, 0, "exit status with %r\n%s" % (env, res.dump()))
        tp.wire_rules(res)
        builds = build_prunes(res, "/v1.41")
        eq(len(builds), 1, "build prunes with %r\n%s" % (env, res.dump()))
        f = filters_of(builds[0])
        eq(sorted(f or {}), ["until"], "build prune filter terms with %r: %s" % (env, builds[0]))
        (ms,) = f["until"].keys()
        check(re.match(r"^\d+ms$", ms), "build prune until is not <n>ms: " + ms)
        lo, hi = int(age * 1000) - 1000, int((age + after_t - before) * 1000) + 1000
        check(lo <= int(ms[:-2]) <= hi, "until %s is not the cut-off's age (%d..%d ms) with %r" % (ms, lo, hi, env))


# --- 2. build cache evictions ---

def cache_record(rid, size, last_used, **extra):
    r = {"ID": rid, "Type": "regular", "InUse": False, "Shared": False, "Size": size, "LastUsedAt": rfc3339(last_used),
         "CreatedAt": OLD, "Description": "desc " + rid[:6], "UsageCount": 1}
    r.update(extra)
    return r


def evict_path(rid, v=V):
    return v + "/build/prune?filters=%7B%22id%22%3A%5B%22" + rid + "%22%5D%7D"


G1 = "g1" + "0" * 23                  # 25 of [a-z0-9]: BuildKit's own form
G2 = "g2" + "0" * 23
G3 = "g3" + "0" * 23
BAD_DOT = "b1" + "0" * 10 + "." + "0" * 12  # 25 characters, one of them '.'
BAD_24 = "b2" + "0" * 22
BAD_26 = "b3" + "0" * 24
BAD_UPPER = "B4" + "0" * 23


def cache_rules(records, evict_replies):
    df = {"Images": [], "LayersSize": 0, "Containers": [], "Volumes": [], "BuildCache": records}
    rules = [ping_rule("1.45"),
             {"method": "GET", "path": V + "/images/json", "body": []},
             {"method": "GET", "path": V + "/system/df", "body": df}]
    for rid, reply in evict_replies.items():
        rules.append({"method": "POST", "path": evict_path(rid), "exact": True, "body": reply})
    return rules + engine_rules("1.45")


def cache_case(extra_reply=None, dry=False):
    now = time.time()
    # The records of a form that cannot be sent exactly are the least recently used: the plan
    # would take them first if it did not skip them.
    records = [cache_record(BAD_DOT, 100, now - 9 * 3600), cache_record(BAD_24, 100, now - 8 * 3600),
               cache_record(BAD_26, 100, now - 7 * 3600), cache_record(BAD_UPPER, 100, now - 6 * 3600),
               cache_record(G1, 1000, now - 3 * 3600), cache_record(G2, 1000, now - 2 * 3600),
               cache_record(G3, 1000, now - 1 * 3600)]
    replies = {G1: {"CachesDeleted": [G1], "SpaceReclaimed": 1000},
               G2: {"CachesDeleted": [G2], "SpaceReclaimed": 1000},
               G3: {"CachesDeleted": [G3], "SpaceReclaimed": 1000}}
    if extra_reply:
        replies[G1] = extra_reply
    # 3400 bytes of build cache, all of it used within the day (kept by the rules); a budget
    # of 1500: G1 then G2 go (1400 left), G3 stays.
    env = {"KEEP_USED_WITHIN": "24h", "KEEP_STORAGE": "1500", "CLEANUP_CONTAINERS": "false",
           "CLEANUP_NETWORKS": "false", "LOG_FORMAT": "json"}
    if dry:
        env["DRY_RUN"] = "true"
    return run(cache_rules(records, replies), env=env)


@test
def test_cache_eviction_exact_requests():
    res = cache_case()
    eq(res.rc, 0, "exit status\n" + res.dump())
    tp.wire_rules(res)
    evictions = [r for r in res.requests if r["method"] == "POST" and "%22id%22" in r["path"]]
    eq([r["path"] for r in evictions], [evict_path(G1), evict_path(G2)], "evictions, in order\n" + res.dump())
    eq(filters_of(evictions[0]["path"]), {"id": [G1]}, "the eviction's filter")
    # One at a time: the second is sent only once the first has answered.
    tp.after(res, evictions[0], evictions[1])
    for bad in (BAD_DOT, BAD_24, BAD_26, BAD_UPPER, G3):
        check(not [p for p in res.paths() if bad in p], "record %s was sent" % bad, res.dump())
    budget = [e for e in json_lines(res) if e.get("event") == "budget"]
    eq(len(budget), 1, "budget events\n" + res.dump())
    b = budget[0]
    eq((b["before"], b["after_normal"], b["after"], b["shortfall"], b["budget"]), (3400, 3400, 1400, 0, 1500),
       "budget arithmetic")
    eq([(x["type"], x["id"], x["bytes"]) for x in b["evicted"]],
       [("build_cache", G1, 1000), ("build_cache", G2, 1000)], "evicted in the plan")
    deleted = [e["id"] for e in json_lines(res) if e.get("event") == "deleted" and e.get("type") == "build_cache"]
    eq(deleted, [G1, G2], "build cache reported deleted")
    eq(warnings(res), [], "warnings")


@test
def test_cache_eviction_dry_run_same_plan():
    res = cache_case(dry=True)
    eq(res.rc, 0, "exit status\n" + res.dump())
    eq(res.paths("POST"), [], "a dry run sends no prune")
    deleted = [e["id"] for e in json_lines(res) if e.get("event") == "deleted" and e.get("type") == "build_cache"]
    eq(deleted, [G1, G2], "build cache the dry run would delete")


@test
def test_cache_eviction_engine_removes_more():
    other = "zz" + "9" * 23
    res = cache_case(extra_reply={"CachesDeleted": [G1, other], "SpaceReclaimed": 1500})
    eq(res.rc, 0, "exit status\n" + res.dump())
    evictions = [p for p in res.paths("POST") if "%22id%22" in p]
    eq(evictions, [evict_path(G1), evict_path(G2)], "evictions\n" + res.dump())
    deleted = [e["id"] for e in json_lines(res) if e.get("event") == "deleted" and e.get("type") == "build_cache"]
    eq(deleted, [G1, other, G2], "build cache reported deleted")
    eq(warnings(res), ["the engine removed build cache %s when asked to remove %s" % (other, G1)], "warnings")


@test
def test_cache_eviction_failure_counted():
    """An eviction the engine refuses: the next is still sent, the run ends partial (exit 1),
    and the failure is counted among the removals the images operation made, evictions
    included (it said "1 of 0 removals failed")."""
    now = time.time()
    records = [cache_record(G1, 1000, now - 3 * 3600), cache_record(G2, 1000, now - 2 * 3600),
               cache_record(G3, 1000, now - 1 * 3600)]
    rules = cache_rules(records, {G2: {"CachesDeleted": [G2], "SpaceReclaimed": 1000}})
    rules.insert(1, {"method": "POST", "path": evict_path(G1), "exact": True, "status": 500,
                     "body": {"message": "cannot remove"}})
    res = run(rules, env={"KEEP_USED_WITHIN": "24h", "KEEP_STORAGE": "1500", "CLEANUP_CONTAINERS": "false",
                          "CLEANUP_NETWORKS": "false"})
    eq(res.rc, 1, "exit status\n" + res.dump())
    eq([p for p in res.paths("POST") if "%22id%22" in p], [evict_path(G1), evict_path(G2)], "evictions")
    check("Deleted build cache g20000000000 desc g20000" in res.stdout, "the second eviction is not reported",
          res.dump())
    check(re.search(r"^images +failed +0 deleted .* 1 of 2 removals failed; last: build cache desc g10000: "
                    r"HTTP 500: cannot remove$", res.stdout, re.M), "the images operation's line", res.dump())
    eq(warnings(res), ["docker-cleaner: warn: could not evict build cache desc g10000: HTTP 500: cannot remove",
                       "docker-cleaner: warn: images: 1 of 2 removals failed; last: build cache desc g10000: "
                       "HTTP 500: cannot remove"], "warnings")


# --- 3. an inspect that fails ---

A, B, C, D = "a", "b", "c", "d"


def inspect_failure_rules(bad_rule, with_df=False):
    now = time.time()
    imgs = [image(A), image(B), image(C)]
    rules = [ping_rule("1.45"), {"method": "GET", "path": V + "/containers/json", "body": []},
             {"method": "GET", "path": V + "/images/json", "body": imgs},
             bad_rule,
             inspect_rule(iid(B), body=inspect(iid(B))),                     # cold: goes
             inspect_rule(iid(C), body=inspect(iid(C), rfc3339(now - 60))),  # hot: kept by the rules
             delete_ok()]
    if with_df:
        rules.append({"method": "GET", "path": V + "/system/df", "body": {
            "Images": [dict(i, Containers=0) for i in imgs], "LayersSize": 300, "BuildCache": []}})
    return rules + engine_rules("1.45")


@test
def test_inspect_failures_keep_the_image():
    for what, bad in (("HTTP 500", inspect_rule(iid(A), status=500, body={"message": "boom"})),
                      ("malformed JSON", inspect_rule(iid(A), body='{"Id": "sha256:' + "a" * 64 + '", "Created": ')),
                      ("2000 layers", inspect_rule(iid(A), body=inspect(iid(A), layers=["sha256:%064x" % i
                                                                                        for i in range(2000)])))):
        for storage in (False, True):
            env = dict(IMAGES_ONLY, KEEP_USED_WITHIN="24h")
            if storage:
                # A budget of 0: everything the rules let go is evicted, the unread image not.
                env["KEEP_STORAGE"] = "0"
            res = run(inspect_failure_rules(bad, with_df=storage), env=env)
            label = "%s%s" % (what, " with KEEP_STORAGE=0" if storage else "")
            eq(res.rc, 0, "exit status (%s)\n%s" % (label, res.dump()))
            eq(len(inspects(res)), 3, "inspects (%s)" % label)
            # The removals are sent concurrently: their order on the wire is not fixed.
            eq(sorted(image_deletes(res)), [iid(B), iid(C)] if storage else [iid(B)],
               "removals (%s)\n%s" % (label, res.dump()))
            w = warnings(res)
            unread = [x for x in w if "could not read image" in x]
            eq(len(unread), 1, "warnings (%s)\n%s" % (label, res.dump()))
            check(re.search(r"could not read image sha256:a{64} \(.+\): it is kept", unread[0]),
                  "the warning does not name the image (%s): %r" % (label, unread[0]))
            # With the budget, the unread image's 100 bytes stay over it: said so, once.
            eq(len(w), 2 if storage else 1, "warnings (%s)\n%s" % (label, res.dump()))
            if storage:
                check("storage budget 0B cannot be met: 100B over it" in res.stderr, "the shortfall (%s)" % label,
                      res.dump())


# --- 4. the deadline while the inspects are slow ---

@test
def test_deadline_during_slow_inspects():
    """Images whose inspects take 0.5 s each, 4 at a time, enough of them to take 1.5 s past the
    deadline (2 s, or 4 s under a checker's slack). Nothing destructive leaves after the
    deadline, and the run ends within it + 0.5 s."""
    deadline = tf.DEADLINE + 1
    n = 4 * int((deadline + 1.5) / 0.5)
    imgs = [{"Id": "sha256:%064x" % (i + 1), "RepoTags": ["<none>:<none>"], "Created": OLD_S, "Size": 100}
            for i in range(n)]
    rules = [ping_rule("1.45"), {"method": "GET", "path": V + "/images/json", "body": imgs},
             {"method": "GET", "path": V + "/images/sha256%3A", "delay_ms": 500, "body": inspect(iid("f"))},
             delete_ok()] + engine_rules("1.45")
    res = tf.run(rules, env=dict(IMAGES_ONLY, KEEP_USED_WITHIN="24h", CLEANUP_TIMEOUT="%ds" % deadline))
    eq(["%s %s" % (r["method"], r["path"]) for r in tf.sent_after(res, deadline)], [],
       "destructive requests after the deadline\n" + res.dump())
    eq(tf.destructive(res), [], "destructive requests (the selection never happened)\n" + res.dump())
    check(res.elapsed <= deadline + 0.5 * tf.SLACK, "the run took %.3fs, more than the deadline + 0.5s" % res.elapsed,
          res.dump())
    tf.outcome(res, 2, r"deadline of %ds reached" % deadline)
    check(len([r for r in res.requests if "/images/sha256" in r["path"]]) < len(imgs),
          "every inspect was sent: the deadline did not fall during them", res.dump())


# --- 5. /system/df failing ---

@test
def test_disk_usage_failing_budget_not_applied():
    for what, rule in (("HTTP 500", {"status": 500, "body": {"message": "disk usage broke"}}),
                       ("garbage", {"body": "{\"Images\": [1, 2"}),
                       ("no image list", {"body": {"BuildCache": []}})):
        imgs = [image(A), image(B, tags=["app:1"])]
        rules = [ping_rule("1.45"), {"method": "GET", "path": V + "/containers/json", "body": []},
                 {"method": "GET", "path": V + "/images/json", "body": imgs},
                 dict(rule, method="GET", path=V + "/system/df?type=image&type=build-cache", exact=True),
                 inspect_rule(iid(A), body=inspect(iid(A))), inspect_rule(iid(B), body=inspect(iid(B))),
                 delete_ok()] + engine_rules("1.45")
        res = run(rules, env={"KEEP_USED_WITHIN": "24h", "KEEP_STORAGE": "0", "CLEANUP_CONTAINERS": "false",
                                 "CLEANUP_NETWORKS": "false"})
        eq(res.rc, 0, "exit status (%s)\n%s" % (what, res.dump()))
        tp.wire_rules(res)
        res.request("GET", V + "/system/df?type=image&type=build-cache")
        w = warnings(res)
        eq(len([x for x in w if "KEEP_STORAGE is not applied" in x]), 1, "the warning (%s)\n%s" % (what, res.dump()))
        eq(len(w), 1, "warnings (%s)\n%s" % (what, res.dump()))
        # The rules still apply: the cold dangling image goes; the tagged one would only go
        # by the budget, which is not applied.
        eq(image_deletes(res), [iid(A)], "removals (%s)" % what)
        eq([p for p in res.paths("POST") if "%22id%22" in p], [], "build cache evictions (%s)" % what)
        check("storage budget" not in res.stderr, "budget arithmetic printed (%s)" % what, res.dump())


@test
def test_disk_usage_busy_is_retried():
    """Docker computes one disk-usage report at a time: "already running" is asked again (twice
    here), and the budget is then applied as usual."""
    now = time.time()
    records = [cache_record(G1, 1000, now - 3 * 3600), cache_record(G2, 1000, now - 2 * 3600),
               cache_record(G3, 1000, now - 1 * 3600)]
    rules = cache_rules(records, {G1: {"CachesDeleted": [G1], "SpaceReclaimed": 1000},
                                  G2: {"CachesDeleted": [G2], "SpaceReclaimed": 1000}})
    rules.insert(1, {"method": "GET", "path": V + "/system/df?type=image&type=build-cache", "exact": True, "times": 2,
                     "status": 500, "body": {"message": "a disk usage operation is already running"}})
    res = run(rules, env={"KEEP_USED_WITHIN": "24h", "KEEP_STORAGE": "1500", "CLEANUP_CONTAINERS": "false",
                          "CLEANUP_NETWORKS": "false"})
    eq(res.rc, 0, "exit status\n" + res.dump())
    tp.wire_rules(res)
    eq(len([p for p in res.paths("GET") if p == V + "/system/df?type=image&type=build-cache"]), 3, "disk usage asked")
    eq([p for p in res.paths("POST") if "%22id%22" in p], [evict_path(G1), evict_path(G2)], "evictions")
    eq(warnings(res), [], "warnings")


# --- 6. Podman's disk-usage shape ---

PODMAN_V = "/v1.41"


@test
def test_podman_disk_usage_by_bare_id():
    """Podman lists one /system/df entry per tag, with bare IDs and LayersSize 0. The budget
    takes each image's size from there (the listing's 5000 would evict all three): A (3000,
    two tags), B (2000), C (1000), used in that order; a budget of 2500 evicts A then B."""
    t0 = time.time() - 10 * 86400
    imgs = [image(A, tags=["a:1", "a:2"], size=5000, created=int(t0)),
            image(B, tags=["b:1"], size=5000, created=int(t0) + 100),
            image(C, tags=["c:1"], size=5000, created=int(t0) + 200)]
    df = {"Images": [{"Id": "a" * 64, "RepoTags": ["a:1"], "Size": 3000, "SharedSize": 0, "Containers": 0},
                     {"Id": "a" * 64, "RepoTags": ["a:2"], "Size": 3000, "SharedSize": 0, "Containers": 0},
                     {"Id": "b" * 64, "RepoTags": ["b:1"], "Size": 2000, "SharedSize": 0, "Containers": 0},
                     {"Id": "c" * 64, "RepoTags": ["c:1"], "Size": 1000, "SharedSize": 0, "Containers": 0}],
          "LayersSize": 0, "Containers": [], "Volumes": []}

    def podman_inspect(c, t):
        return {"Id": iid(c), "Created": rfc3339(t), "Metadata": {}}

    rules = [tf.PODMAN_PING, {"method": "GET", "path": PODMAN_V + "/containers/json", "body": []},
             {"method": "GET", "path": PODMAN_V + "/images/json", "body": imgs},
             {"method": "GET", "path": PODMAN_V + "/system/df", "exact": True, "body": df},
             inspect_rule(iid(A), v=PODMAN_V, body=podman_inspect(A, t0)),
             inspect_rule(iid(B), v=PODMAN_V, body=podman_inspect(B, t0 + 100)),
             inspect_rule(iid(C), v=PODMAN_V, body=podman_inspect(C, t0 + 200)),
             delete_ok(PODMAN_V),
             {"method": "POST", "path": PODMAN_V + "/build/prune", "status": 404, "body": ""}] + engine_rules("1.41")
    res = run(rules, env={"KEEP_STORAGE": "2500", "KEEP_USED_WITHIN": "1h", "CLEANUP_CONTAINERS": "false",
                             "CLEANUP_NETWORKS": "false", "LOG_FORMAT": "json"})
    eq(res.rc, 0, "exit status\n" + res.dump())
    tp.wire_rules(res)
    res.request("GET", PODMAN_V + "/system/df")
    # Removed concurrently (the plan's order is in the budget event).
    eq(sorted(image_deletes(res, PODMAN_V)), [iid(A), iid(B)], "removals\n" + res.dump())
    budget = [e for e in json_lines(res) if e.get("event") == "budget"]
    eq(len(budget), 1, "budget events\n" + res.dump())
    b = budget[0]
    eq((b["before"], b["after_normal"], b["after"], b["shortfall"]), (6000, 6000, 1000, 0), "budget arithmetic")
    eq([(x["type"], x["id"], x["bytes"]) for x in b["evicted"]], [("image", iid(A), 3000), ("image", iid(B), 2000)],
       "evicted in the plan")
    # A has two tags: removed by force, after it was checked unused.
    res.request("DELETE", PODMAN_V + "/images/" + enc(iid(A)) + "?force=1")


# --- 7. the cap on inspects ---

INSPECT_MAX = 2048
INSPECT_CONCURRENCY = 4


def max_in_flight(res, requests):
    """The most of these requests in flight at once, each from its "request" to its "replying"
    (not "answered": the engine writes that after the reply, and so possibly after the client
    sent its next request on another connection)."""
    seqs = {r["seq"] for r in requests}
    inflight = peak = 0
    for e in res.events:
        if e.get("seq") in seqs:
            if e["event"] == "request":
                inflight += 1
                peak = max(peak, inflight)
            elif e["event"] == "replying":
                inflight -= 1
    return peak


@test
def test_inspects_capped():
    n = INSPECT_MAX + 52
    now = time.time()
    # Listed newest first, as Docker does: the oldest, read first, are the last ones.
    imgs = [{"Id": "sha256:%064x" % (i + 1), "RepoTags": ["<none>:<none>"], "Created": OLD_S - i, "Size": 100}
            for i in range(n)]
    oldest = imgs[n - INSPECT_MAX:]
    # Each inspected image was tagged a minute ago: kept as used recently. Those not inspected
    # have no known last use: kept too (not judged by their old creation).
    rules = [ping_rule("1.45"), {"method": "GET", "path": V + "/containers/json", "body": []},
             {"method": "GET", "path": V + "/images/json", "body": imgs},
             # No answer before the four oldest have all come in: the client can send a fifth
             # only after an answer, so the first four to arrive are the four it sent first,
             # however the machine schedules the connections (a round trip on one connection
             # once overtook the first request's connect, under ASan on a busy machine).
             {"method": "GET", "path": V + "/images/sha256%3A", "body": inspect(iid("f"), rfc3339(now - 60)),
              "hold_until": ["GET " + V + "/images/" + enc(i["Id"]) + "/json" for i in imgs[-INSPECT_CONCURRENCY:]],
              "hold_ms": 10000},
             delete_ok()] + engine_rules("1.45")
    res = run(rules, env=dict(IMAGES_ONLY, KEEP_USED_WITHIN="24h", LOG_FORMAT="json"), peek_ms=1, timeout=110)
    eq(res.rc, 0, "exit status\n" + res.dump()[:4000])
    ins = inspects(res)
    eq(len(ins), INSPECT_MAX, "inspects")
    eq(sorted(r["path"] for r in ins),
       sorted(V + "/images/" + enc(i["Id"]) + "/json" for i in oldest), "the images inspected (the oldest)")
    # The first four go out together, on four connections: the four oldest images.
    eq(sorted(r["path"] for r in ins[:INSPECT_CONCURRENCY]),
       sorted(V + "/images/" + enc(i["Id"]) + "/json" for i in imgs[-INSPECT_CONCURRENCY:]),
       "the first inspects (the four oldest)")
    # 2,100 requests on the pool's connections, kept alive: a reply that comes in before the
    # client's write callback must not cost the connection (it did: up to hundreds).
    conns = len([e for e in res.events if e["event"] == "connect"])
    check(conns <= 8, "%d connections for %d requests: more than the pool's 8" % (conns, len(res.events)))
    peak = max_in_flight(res, ins)
    check(1 <= peak <= INSPECT_CONCURRENCY, "%d inspects in flight at once, more than %d" % (peak, INSPECT_CONCURRENCY))
    eq(res.paths("DELETE"), [], "removals")
    d = decisions(res)
    eq(len(d), n, "decision events")
    for i, img in enumerate(imgs):
        e = d[img["Id"]]
        want = "used recently" if i >= n - INSPECT_MAX else "last use not known"
        if (e["decision"], e["reason"]) != ("keep", want):
            raise Failure("image %d: %r, expected keep / %s" % (i, e, want))
    eq(warnings(res), ["%d images: only the %d oldest are read for their last use; the others are kept" % (
        n, INSPECT_MAX)], "warnings")


# --- 8. STATE_FILE ---

class StateDir:
    """A directory for the state file, writable by the user the cleaner runs as."""

    def __init__(self, writable=True):
        self.dir = tempfile.mkdtemp(prefix="dc-state-")
        os.chmod(self.dir, 0o755)
        if os.geteuid() == 0:
            if writable:
                os.chown(self.dir, RUN_UID, RUN_UID)
        elif not writable:
            os.chmod(self.dir, 0o555)
        self.path = os.path.join(self.dir, "state.json")

    def read(self):
        with open(self.path, encoding="utf-8") as f:
            return json.load(f)

    def close(self):
        os.chmod(self.dir, 0o755)
        shutil.rmtree(self.dir, ignore_errors=True)


def state_rules():
    containers = [{"Id": "c1" * 32, "Names": ["/up"], "State": "running", "Created": OLD_S, "ImageID": iid(A)},
                  {"Id": "c2" * 32, "Names": ["/down"], "State": "exited", "Created": OLD_S, "ImageID": iid(B)}]
    imgs = [image(A), image(B), image(C)]
    return [ping_rule("1.45"), {"method": "GET", "path": V + "/containers/json", "body": containers},
            {"method": "GET", "path": V + "/images/json", "body": imgs},
            inspect_rule(iid(A), body=inspect(iid(A))), inspect_rule(iid(B), body=inspect(iid(B))),
            inspect_rule(iid(C), body=inspect(iid(C))), delete_ok()] + engine_rules("1.45")


STATE_ENV = {"KEEP_USED_WITHIN": "24h", "CLEANUP_CONTAINERS": "false", "CLEANUP_NETWORKS": "false",
             "CLEANUP_BUILD_CACHE": "false"}


@test
def test_state_file_dry_run_does_not_write():
    s = StateDir()
    try:
        res = run(state_rules(), env=dict(STATE_ENV, STATE_FILE=s.path, DRY_RUN="true"))
        eq(res.rc, 0, "exit status\n" + res.dump())
        eq(os.listdir(s.dir), [], "files in the state directory after a dry run")
        eq(warnings(res), [], "warnings")
    finally:
        s.close()


@test
def test_state_file_written_with_images_in_use():
    s = StateDir()
    try:
        t0 = int(time.time())
        res = run(state_rules(), env=dict(STATE_ENV, STATE_FILE=s.path))
        t1 = int(time.time()) + 1
        eq(res.rc, 0, "exit status\n" + res.dump())
        eq(warnings(res), [], "warnings\n" + res.dump())
        # The cold image no container uses goes; those of containers (running or not) stay.
        eq(image_deletes(res), [iid(C)], "removals")
        doc = s.read()
        eq(doc.get("version"), 1, "version")
        eq(sorted(doc["images"]), ["a" * 64, "b" * 64], "images remembered (every container's image)")
        for k, t in doc["images"].items():
            check(t0 <= t <= t1, "image %s seen at %r, not during the run (%d..%d)" % (k, t, t0, t1))
        eq(os.listdir(s.dir), ["state.json"], "files in the directory (no temp file left)")
    finally:
        s.close()


@test
def test_state_file_corrupt_is_one_warning():
    for corrupt in ("{not json", '{"version":99,"images":{}}', "\x00\x01garbage", '{"version":1,"images":[1]}'):
        s = StateDir()
        try:
            with open(s.path, "w", encoding="latin-1") as f:
                f.write(corrupt)
            if os.geteuid() == 0:
                os.chown(s.path, RUN_UID, RUN_UID)
            res = run(state_rules(), env=dict(STATE_ENV, STATE_FILE=s.path))
            eq(res.rc, 0, "exit status with %r\n%s" % (corrupt, res.dump()))
            w = warnings(res)
            eq(len(w), 1, "warnings with %r\n%s" % (corrupt, res.dump()))
            check("state file" in w[0] and "starting afresh" in w[0], "the warning with %r: %r" % (corrupt, w[0]))
            # A fresh start removes no more than the rules without a state file.
            eq(image_deletes(res), [iid(C)], "removals with %r" % corrupt)
            doc = s.read()
            eq(doc.get("version"), 1, "rewritten with %r" % corrupt)
            eq(sorted(doc["images"]), ["a" * 64, "b" * 64], "images remembered after %r" % corrupt)
        finally:
            s.close()


@test
def test_state_file_unwritable_directory():
    s = StateDir(writable=False)
    try:
        res = run(state_rules(), env=dict(STATE_ENV, STATE_FILE=s.path))
        eq(res.rc, 0, "exit status\n" + res.dump())
        w = warnings(res)
        eq(len(w), 1, "warnings\n" + res.dump())
        check(re.search(r"state file %s: cannot create a temporary file in %s: " % (re.escape(s.path), re.escape(s.dir)),
                        w[0]), "the warning: %r" % w[0])
        eq(image_deletes(res), [iid(C)], "removals")
        eq(os.listdir(s.dir), [], "files in the directory")
    finally:
        s.close()


@test
def test_state_file_sighting_keeps_image():
    """An image no container uses now, seen in use by an earlier run an hour ago, is hot: kept
    by KEEP_USED_WITHIN, where without the file it goes."""
    s = StateDir()
    try:
        seen = int(time.time()) - 3600
        with open(s.path, "w") as f:
            f.write('{"version":1,"images":{\n"%s":%d\n}}\n' % ("c" * 64, seen))
        res = run(state_rules(), env=dict(STATE_ENV, STATE_FILE=s.path, LOG_FORMAT="json"))
        eq(res.rc, 0, "exit status\n" + res.dump())
        eq(warnings(res), [], "warnings")
        eq(image_deletes(res), [], "removals")
        e = decisions(res)[iid(C)]
        eq((e["decision"], e["reason"], e["last_use"]), ("keep", "used recently", tp_time(seen)), "the decision")
        # The sighting is kept in the file (the image still exists), with those seen now.
        doc = s.read()
        eq(sorted(doc["images"]), ["a" * 64, "b" * 64, "c" * 64], "images remembered")
        eq(doc["images"]["c" * 64], seen, "the earlier sighting")
    finally:
        s.close()


def tp_time(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))


# --- 9. a bad KEEP_IMAGES pattern ---

@test
def test_keep_images_bad_pattern_no_connection():
    for bad in ("name@sha256:zz", "UPPER/Case:1", "repo:tag:extra", "postgres,  ,@sha256:1"):
        res = run([ping_rule("1.45")] + engine_rules("1.45"), env={"KEEP_IMAGES": bad})
        eq(res.rc, 2, "exit status with %r\n%s" % (bad, res.dump()))
        eq(len(res.connections), 0, "connections with %r" % bad)
        line = tp.one_stderr_line(res)
        check(line.startswith("docker-cleaner: error: invalid KEEP_IMAGES"), "stderr with %r: %r" % (bad, line))
        eq(res.stdout, "", "stdout with %r" % bad)


def configure(binary, version):
    tf.configure(binary, version)


if __name__ == "__main__":
    sys.exit(tp.main(TESTS, configure))
