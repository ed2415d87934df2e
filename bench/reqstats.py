#!/usr/bin/env python3
"""Requests of one docker-cleaner run, from a fake engine's record (tests/protocol/fake_engine.py).

    reqstats.py RECORD [FIRST_LINE]
    reqstats.py --log STDERR      (the counts only, from the cleaner's LOG_LEVEL=debug lines)

Reads the record from line FIRST_LINE (1-based; default 1) and prints one line:
    requests=T ping=.. containers=.. images=.. volumes=.. networks=.. df_volume=.. df_build=..
    df_image=.. inspect=.. other=.. not_200=X conns=C max_inflight=M inspect_max_inflight=I
    inspect_span_ms=S inspect_median_ms=D df_overlap=yes|no
not_200: requests answered otherwise (a 404: no rule) or never; max_inflight: the most requests
the engine held at once (from its "request" to its "answered" event: arrival to the end of the
reply); inspect_span_ms: first inspect's arrival to the last
one's answer; inspect_median_ms: the engine's median time on one inspect; df_overlap: whether
two /system/df requests were held at once (a real Docker computes one at a time).
"""
import json
import re
import sys


def kind(path):
    p = re.sub(r"^/v[0-9.]+", "", path)
    if p.startswith("/_ping"):
        return "ping"
    if re.match(r"^/images/[^/]+/json", p):
        return "inspect"
    if p.startswith("/system/df"):
        q = p.partition("?")[2]
        if "type=image" in q or not q:
            return "df_image"
        return "df_volume" if "type=volume" in q else "df_build" if "type=build-cache" in q else "other"
    for k, pre in (("containers", "/containers/json"), ("images", "/images/json"), ("volumes", "/volumes"),
                   ("networks", "/networks")):
        if p.startswith(pre):
            return k
    return "other"


def from_log(path):
    """Counts by kind from the cleaner's LOG_LEVEL=debug lines "-> GET /path"."""
    kinds = ["ping", "containers", "images", "volumes", "networks", "df_volume", "df_build", "df_image", "inspect",
             "other"]
    count = {k: 0 for k in kinds}
    with open(path, errors="replace") as f:
        for line in f:
            m = re.search(r"debug: -> ([A-Z]+) (\S+)", line)
            if m:
                count[kind(m.group(2)) if m.group(1) == "GET" else "other"] += 1
    print(" ".join(["requests=%d" % sum(count.values())] + ["%s=%d" % (k, count[k]) for k in kinds]))


def main():
    if sys.argv[1] == "--log":
        return from_log(sys.argv[2])
    first = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    reqs, conns = {}, 0
    with open(sys.argv[1]) as f:
        for ln, line in enumerate(f, 1):
            if ln < first:
                continue
            e = json.loads(line)
            if e["event"] == "connect":
                conns += 1
            elif e["event"] == "request":
                reqs[(e["conn"], e["seq"])] = {"k": kind(e["path"]), "t0": e["t"], "t1": None}
            elif e["event"] == "answered" and (e["conn"], e["seq"]) in reqs:
                reqs[(e["conn"], e["seq"])]["t1"] = e["t"]
                reqs[(e["conn"], e["seq"])]["status"] = e.get("status")
    kinds = ["ping", "containers", "images", "volumes", "networks", "df_volume", "df_build", "df_image", "inspect",
             "other"]
    count = {k: 0 for k in kinds}
    for r in reqs.values():
        count[r["k"]] += 1

    def max_overlap(rs):
        pts = sorted([(r["t0"], 1) for r in rs] + [(r["t1"] if r["t1"] is not None else float("inf"), -1) for r in rs],
                     key=lambda x: (x[0], x[1]))
        cur = best = 0
        for _, d in pts:
            cur += d
            best = max(best, cur)
        return best

    ins = [r for r in reqs.values() if r["k"] == "inspect"]
    dfs = [r for r in reqs.values() if r["k"].startswith("df_")]
    span = (max(r["t1"] for r in ins) - min(r["t0"] for r in ins)) * 1000 if ins and all(r["t1"] for r in ins) else 0
    durs = sorted((r["t1"] - r["t0"]) * 1000 for r in ins if r["t1"] is not None)
    med = durs[len(durs) // 2] if durs else 0
    out = ["requests=%d" % len(reqs)] + ["%s=%d" % (k, count[k]) for k in kinds]
    out += ["not_200=%d" % sum(1 for r in reqs.values() if r.get("status") != 200)]
    out += ["conns=%d" % conns, "max_inflight=%d" % max_overlap(list(reqs.values())),
            "inspect_max_inflight=%d" % max_overlap(ins), "inspect_span_ms=%.0f" % span,
            "inspect_median_ms=%.2f" % med, "df_overlap=%s" % ("yes" if max_overlap(dfs) > 1 else "no")]
    print(" ".join(out))


if __name__ == "__main__":
    main()
