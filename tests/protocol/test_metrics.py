#!/usr/bin/env python3
"""METRICS_FILE: the real binary against fake_engine.py writes the run's result in Prometheus
text format, which Debian's promtool accepts; a failed run (no engine) still writes it, with
the failure recorded; the file is replaced by a rename (the previous one stays whole until
then, and no temp file is left); a directory the cleaner cannot write to stops it before any
request.

    test_metrics.py --binary BUILD/docker-cleaner --version-string 0.1.0 TEST [TEST...]
    test_metrics.py --list

Run as root (as ctest runs), the cleaner drops to uid 65532 before it writes: the directory
is given to that uid, as the documentation tells operators to do.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import test_protocol as tp  # noqa: E402
from test_protocol import Failure, check, eq  # noqa: E402

TESTS = {}
RUN_UID = 65532


def test(fn):
    TESTS[fn.__name__[len("test_"):]] = fn
    return fn


class MetricsDir:
    """A directory for the metrics file, writable by the user the cleaner runs as."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="dc-metrics-")
        os.chmod(self.dir, 0o755)
        if os.geteuid() == 0:
            os.chown(self.dir, RUN_UID, RUN_UID)
        self.path = os.path.join(self.dir, "docker_cleaner.prom")

    def read(self):
        with open(self.path, encoding="utf-8") as f:
            return f.read()

    def samples(self):
        """{'name{labels}': value} of the file."""
        out = {}
        for line in self.read().splitlines():
            if line and not line.startswith("#"):
                key, value = line.rsplit(" ", 1)
                out[key] = float(value)
        return out

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def promtool_ok(text):
    """promtool check metrics: exit 0 and no lint finding."""
    tool = shutil.which("promtool")
    if not tool:
        raise Failure("promtool not found: install Debian's prometheus (tests/engines/install-deps.sh)")
    p = subprocess.run([tool, "check", "metrics"], input=text.encode(), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    eq((p.returncode, p.stdout.decode()), (0, ""), "promtool check metrics\n" + text)


def deleting_rules():
    """An engine on which the prunes remove 2 containers (1234 bytes) and 1 image (100 bytes)."""
    v = "/v1.45"
    return [tp.ping_rule("1.45"),
            {"method": "POST", "path": v + "/containers/prune",
             "body": {"ContainersDeleted": ["c0" * 32, "c1" * 32], "SpaceReclaimed": 1234}},
            {"method": "POST", "path": v + "/images/prune",
             "body": {"ImagesDeleted": [{"Deleted": "sha256:" + "d" * 64}], "SpaceReclaimed": 100}},
            ] + tp.engine_rules("1.45")


@test
def test_metrics_after_a_run():
    m = MetricsDir()
    try:
        res = tp.run(deleting_rules(), env={"METRICS_FILE": m.path})
        eq(res.rc, 0, "exit status\n" + res.dump())
        tp.wire_rules(res)
        text = m.read()
        promtool_ok(text)
        s = m.samples()
        eq(s['docker_cleaner_removed_total{type="containers"}'], 2, "containers removed")
        eq(s['docker_cleaner_reclaimed_bytes_total{type="containers"}'], 1234, "container bytes")
        eq(s['docker_cleaner_removed_total{type="images"}'], 1, "images removed")
        eq(s['docker_cleaner_reclaimed_bytes_total{type="images"}'], 100, "image bytes")
        eq(s['docker_cleaner_last_run_removed{type="containers"}'], 2, "last run's containers")
        eq(s['docker_cleaner_exit_code'], 0, "exit code")
        eq(s['docker_cleaner_last_run_status{status="success"}'], 1, "status")
        eq(s['docker_cleaner_runs_total{status="success"}'], 1, "runs")
        eq(s['docker_cleaner_dry_run'], 0, "dry run")
        check(s['docker_cleaner_last_success_timestamp_seconds'] > 1.7e9, "last success", text)
        eq(s['docker_cleaner_last_run_timestamp_seconds'], s['docker_cleaner_last_success_timestamp_seconds'],
           "last run = last success")
        eq(os.listdir(m.dir), ["docker_cleaner.prom"], "files in the directory (no temp file left)")
        eq(os.stat(m.path).st_mode & 0o777, 0o644, "mode")
        # The counters carry on from the file; the gauges describe the new run.
        res = tp.run(deleting_rules(), env={"METRICS_FILE": m.path})
        eq(res.rc, 0, "exit status of the second run\n" + res.dump())
        s = m.samples()
        eq(s['docker_cleaner_removed_total{type="containers"}'], 4, "containers removed over two runs")
        eq(s['docker_cleaner_reclaimed_bytes_total{type="containers"}'], 2468, "container bytes over two runs")
        eq(s['docker_cleaner_last_run_removed{type="containers"}'], 2, "last run's containers")
        eq(s['docker_cleaner_runs_total{status="success"}'], 2, "runs")
        promtool_ok(m.read())
    finally:
        m.close()


@test
def test_metrics_failed_run_is_recorded():
    m = MetricsDir()
    try:
        # A success first, then the engine is gone.
        res = tp.run(deleting_rules(), env={"METRICS_FILE": m.path})
        eq(res.rc, 0, "exit status\n" + res.dump())
        ok_at = m.samples()['docker_cleaner_last_success_timestamp_seconds']
        res = tp.run([], server=False, env={"METRICS_FILE": m.path,
                                             "DOCKER_HOST": "unix:///nonexistent/dc-protocol/engine.sock"})
        eq(res.rc, 2, "exit status\n" + res.dump())
        text = m.read()
        promtool_ok(text)
        s = m.samples()
        eq(s['docker_cleaner_exit_code'], 2, "exit code")
        eq(s['docker_cleaner_last_run_status{status="failure"}'], 1, "status failure")
        eq(s['docker_cleaner_last_run_status{status="success"}'], 0, "status success")
        eq(s['docker_cleaner_runs_total{status="failure"}'], 1, "failed runs")
        eq(s['docker_cleaner_runs_total{status="success"}'], 1, "successful runs")
        eq(s['docker_cleaner_last_success_timestamp_seconds'], ok_at, "the last success is kept")
        eq(s['docker_cleaner_removed_total{type="containers"}'], 2, "the counters are kept")
        eq(s['docker_cleaner_last_run_removed{type="containers"}'], 0, "the failed run removed nothing")
        # A first run that fails: the file is written all the same, without a last success.
        os.unlink(m.path)
        res = tp.run([], server=False, env={"METRICS_FILE": m.path,
                                             "DOCKER_HOST": "unix:///nonexistent/dc-protocol/engine.sock"})
        eq(res.rc, 2, "exit status\n" + res.dump())
        promtool_ok(m.read())
        s = m.samples()
        eq(s['docker_cleaner_exit_code'], 2, "exit code")
        check("docker_cleaner_last_success_timestamp_seconds" not in s, "no success yet", m.read())
    finally:
        m.close()


@test
def test_metrics_report_lost():
    """The report could not be written (stdout on /dev/full): the metrics file, written all
    the same, agrees with the exit status (1, partial) and still counts what was removed."""
    m = MetricsDir()
    try:
        with open("/dev/full", "wb") as full:
            res = tp.run(deleting_rules(), env={"METRICS_FILE": m.path}, stdout=full)
        eq(res.rc, 1, "exit status\n" + res.dump())
        promtool_ok(m.read())
        s = m.samples()
        eq(s['docker_cleaner_exit_code'], 1, "exit code")
        eq(s['docker_cleaner_last_run_status{status="partial"}'], 1, "status partial")
        eq(s['docker_cleaner_removed_total{type="containers"}'], 2, "containers removed")
    finally:
        m.close()


@test
def test_metrics_dry_run_reclaimable():
    m = MetricsDir()
    try:
        res = tp.run([tp.ping_rule("1.45")] + tp.engine_rules("1.45"),
                     env={"METRICS_FILE": m.path, "DRY_RUN": "true"})
        eq(res.rc, 0, "exit status\n" + res.dump())
        text = m.read()
        promtool_ok(text)
        s = m.samples()
        eq(s['docker_cleaner_dry_run'], 1, "dry run")
        # PRUNABLE's image is 100 bytes: reclaimable, not reclaimed.
        eq(s['docker_cleaner_last_run_reclaimable_bytes{type="images"}'], 100, "reclaimable image bytes")
        eq(s['docker_cleaner_last_run_removed{type="images"}'], 1, "images that would be removed")
        eq(s['docker_cleaner_removed_total{type="images"}'], 0, "nothing removed")
        eq(s['docker_cleaner_reclaimed_bytes_total{type="images"}'], 0, "nothing reclaimed")
        check("last_run_reclaimed_bytes" not in text, "a dry run reclaims nothing", text)
    finally:
        m.close()


@test
def test_metrics_replaced_by_rename():
    """While a run is under way the previous file is whole and the new one is a hidden temp file
    beside it; at the end (here: SIGTERM while the engine hangs) the temp file is renamed."""
    m = MetricsDir()
    engine = tp.FakeEngine("dc-protocol-", {"peek_ms": 30, "rules": [
        {"method": "GET", "path": "/_ping", "fault": "hang"}]})
    try:
        with open(m.path, "w") as f:
            f.write("# the previous file\ndocker_cleaner_runs_total{status=\"success\"} 7\n")
        before = m.read()
        p = subprocess.Popen(tp.WRAPPER + [tp.BINARY], env=engine.env({"METRICS_FILE": m.path}),
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            # The ping is on the wire once the engine recorded it; the temp file exists before.
            deadline = time.time() + 60
            while time.time() < deadline and not any(e["event"] == "request" for e in tp.read_record(engine.record)):
                time.sleep(0.02)
            temps = [n for n in os.listdir(m.dir) if n != "docker_cleaner.prom"]
            eq(len(temps), 1, "temp files during the run (%r)" % temps)
            check(re.match(r"^\.docker_cleaner\.prom\.[A-Za-z0-9]{6}$", temps[0]), "temp name " + temps[0])
            eq(m.read(), before, "the previous file during the run")
            p.send_signal(signal.SIGTERM)
            out, err = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        eq(p.returncode, 2, "exit status on SIGTERM\n" + err.decode())
        eq(os.listdir(m.dir), ["docker_cleaner.prom"], "files after the run")
        s = m.samples()
        eq(s['docker_cleaner_runs_total{status="success"}'], 7, "carried from the previous file")
        eq(s['docker_cleaner_runs_total{status="failure"}'], 1, "this run")
        promtool_ok(m.read())
    finally:
        engine.close()
        m.close()


@test
def test_metrics_unwritable_directory_stops_before_any_request():
    m = MetricsDir()
    try:
        os.chmod(m.dir, 0o555)
        if os.geteuid() == 0:
            os.chown(m.dir, 0, 0)
        res = tp.run(deleting_rules(), env={"METRICS_FILE": m.path})
        eq(res.rc, 2, "exit status\n" + res.dump())
        eq(res.requests, [], "requests")
        line = tp.one_stderr_line(res)
        check(line.startswith("docker-cleaner: error: cannot create a temp file beside METRICS_FILE " + m.path),
              "stderr", line)
        eq(os.listdir(m.dir), [], "files")
    finally:
        os.chmod(m.dir, 0o755)
        m.close()


if __name__ == "__main__":
    sys.exit(tp.main(TESTS))
