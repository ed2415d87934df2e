#!/usr/bin/env python3
"""The Docker CLI plugin entry points, with the real binary and fake_engine.py (the real Docker
CLI is in tests/e2e/test-plugin.sh):
  - `docker-cleaner docker-cli-plugin-metadata` prints the metadata JSON and nothing else, exits
    0, reads no configuration and connects nowhere;
  - `docker-cleaner [GLOBAL OPTIONS] cleaner [OPTIONS]` with DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND
    set (as the CLI runs a plugin) cleans the engine of the CLI's context, with the CLI's
    precedence, from a private DOCKER_CONFIG;
  - an ssh:// context gives one line naming the container route, exit 2, no connection.

    test_plugin.py --binary BUILD/docker-cleaner --version-string 0.1.0 TEST [TEST...]
    test_plugin.py --list
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import test_protocol as tp  # noqa: E402
from test_protocol import Failure, check, eq  # noqa: E402

TESTS = {}
CLI = {"DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND": "/usr/bin/docker"}
ELSEWHERE = "unix:///nonexistent/dc-protocol/elsewhere.sock"


def test(fn):
    TESTS[fn.__name__[len("test_"):]] = fn
    return fn


class DockerConfig:
    """A private DOCKER_CONFIG with contexts laid out as `docker context create` does."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="dc-plugin-config-")
        os.chmod(self.dir, 0o755)

    def context(self, name, host):
        d = os.path.join(self.dir, "contexts", "meta", hashlib.sha256(name.encode()).hexdigest())
        os.makedirs(d)
        with open(os.path.join(d, "meta.json"), "w") as f:
            json.dump({"Name": name, "Metadata": {}, "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": False}}},
                      f)

    def use(self, name):
        with open(os.path.join(self.dir, "config.json"), "w") as f:
            json.dump({"auths": {}, "currentContext": name}, f)

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


@test
def test_metadata():
    # A broken configuration too: the metadata comes before any of it.
    res = tp.run([tp.ping_rule("1.45")], args=["docker-cli-plugin-metadata"],
                 env={"CLEANUP_TIMEOUT": "abc", "DOCKER_HOST": "ssh://me@far"})
    eq(res.rc, 0, "exit status\n" + res.dump())
    eq(res.stderr, "", "stderr")
    eq(len(res.connections), 0, "connections")
    eq(res.stdout.count("\n"), 1, "lines on stdout")
    meta = json.loads(res.stdout)
    eq(sorted(meta), ["SchemaVersion", "ShortDescription", "Vendor", "Version"], "keys")
    eq(meta["SchemaVersion"], "0.1.0", "SchemaVersion")
    eq(meta["Version"], tp.VERSION, "Version")
    check(meta["Vendor"] and meta["ShortDescription"], "Vendor and ShortDescription", meta)


@test
def test_context_routes_to_the_engine():
    cfg = DockerConfig()
    engine = tp.FakeEngine("dc-protocol-", {"peek_ms": 30, "rules": [tp.ping_rule("1.45")] + tp.engine_rules("1.45")})
    try:
        cfg.context("ctx-private", "unix://" + engine.sock)
        cfg.context("ctx-other", ELSEWHERE)
        base = dict(CLI, DOCKER_CONFIG=cfg.dir)
        cases = [
            # (argv, env, reaches the engine)
            (["--context", "ctx-private", "cleaner", "--dry-run"], {"DOCKER_HOST": None}, True),
            (["--context=ctx-private", "cleaner", "--dry-run"], {"DOCKER_HOST": ELSEWHERE}, True),  # --context wins
            (["-c", "ctx-private", "cleaner", "--dry-run"], {"DOCKER_HOST": None, "DOCKER_CONTEXT": "ctx-other"}, True),
            (["cleaner", "--dry-run"], {"DOCKER_HOST": None, "DOCKER_CONTEXT": "ctx-private"}, True),
            (["cleaner", "--dry-run"], {"DOCKER_HOST": ELSEWHERE, "DOCKER_CONTEXT": "ctx-private"}, False),  # DOCKER_HOST wins
            (["-H", "unix://" + engine.sock, "cleaner", "--dry-run"], {"DOCKER_HOST": ELSEWHERE,
                                                                       "DOCKER_CONTEXT": "ctx-other"}, True),
            (["--context", "ctx-other", "cleaner", "--dry-run"], {"DOCKER_HOST": "unix://" + engine.sock}, False),
        ]
        for argv, env, reaches in cases:
            before = len(tp.read_record(engine.record))
            e = engine.env(dict(base, **env))
            p = subprocess.run(tp.WRAPPER + [tp.BINARY] + argv, env=e, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
            events = engine.events()[before:]
            reached = any(x["event"] == "request" for x in events)
            out = p.stdout.decode() + p.stderr.decode()
            eq(reached, reaches, "reached the engine with %r %r\n%s" % (argv, env, out))
            eq(p.returncode, 0 if reaches else 2, "exit status with %r %r\n%s" % (argv, env, out))
            if not reaches:
                check("elsewhere.sock" in out, "the address used is named", out)
        # currentContext in config.json, when nothing else is set
        cfg.use("ctx-private")
        before = len(tp.read_record(engine.record))
        p = subprocess.run(tp.WRAPPER + [tp.BINARY, "cleaner", "--dry-run"], env=engine.env(dict(base, DOCKER_HOST=None)),
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        eq(p.returncode, 0, "exit status with currentContext\n" + p.stderr.decode())
        check(any(x["event"] == "request" for x in engine.events()[before:]), "currentContext not followed")
    finally:
        engine.close()
        cfg.close()


@test
def test_ssh_context_one_line():
    cfg = DockerConfig()
    try:
        cfg.context("far", "ssh://me@far.example")
        res = tp.run([tp.ping_rule("1.45")] + tp.engine_rules("1.45"), args=["--context", "far", "cleaner"],
                     env=dict(CLI, DOCKER_CONFIG=cfg.dir))
        eq(res.rc, 2, "exit status\n" + res.dump())
        eq(len(res.connections), 0, "connections")
        eq(res.stdout, "", "stdout")
        line = tp.one_stderr_line(res)
        eq(line, 'docker-cleaner: error: context "far" reaches its engine over ssh://, which docker-cleaner does '
                 'not speak; run it on that host instead: docker --context far run --rm -v '
                 '/var/run/docker.sock:/var/run/docker.sock docker-cleaner', "stderr")
    finally:
        cfg.close()


@test
def test_not_a_plugin_call():
    # Without the CLI's variable, "cleaner" is no argument of ours; with it but without the
    # plugin's name, the flags are ours as always (DOCKER_CONTEXT is not followed standalone).
    res = tp.run([tp.ping_rule("1.45")] + tp.engine_rules("1.45"), args=["cleaner"])
    eq(res.rc, 2, "exit status\n" + res.dump())
    eq(tp.one_stderr_line(res), 'docker-cleaner: error: unexpected argument "cleaner" (see --help)', "stderr")
    res = tp.run([tp.ping_rule("1.45")] + tp.engine_rules("1.45"), args=["--dry-run"],
                 env=dict(CLI, DOCKER_CONTEXT="ctx-none"))
    eq(res.rc, 0, "exit status\n" + res.dump())
    tp.wire_rules(res)


if __name__ == "__main__":
    sys.exit(tp.main(TESTS))
