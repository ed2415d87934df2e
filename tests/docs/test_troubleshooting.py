#!/usr/bin/env python3
"""The operator's guide quotes only what docker-cleaner really prints.

Each case below makes the real binary print one message (a missing or locked socket, a silent
engine, an old engine, a busy engine, a bad setting) and checks that the line it printed on
stderr stands verbatim in the Troubleshooting section of docs/operators.md; and every
`docker-cleaner:` line quoted there must be one of these cases. The test's own socket paths
are written as /var/run/docker.sock before comparing, as the guide shows them.

usage: test_troubleshooting.py BINARY GUIDE   (as root: it drops to uid 65532 and chgrps)
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

BINARY, GUIDE = sys.argv[1], sys.argv[2]
FAKE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "protocol", "fake_engine.py")
SHOWN = "/var/run/docker.sock"
# The run must end within 0.5 s of its deadline; under a memory checker (sanitize.sh sets
# DC_FAULTS_SLACK: ASan's shadow set-up and leak scan lie outside the program's own clock) that
# half second is scaled, as in the fault tests.
SLACK = float(os.environ.get("DC_FAULTS_SLACK", "1"))


def quoted_lines():
    text = open(GUIDE, encoding="utf-8").read()
    section = text.split("## Troubleshooting", 1)[1]
    return [line.strip() for line in section.splitlines() if line.startswith("    docker-cleaner: ")]


def run(env, sock=None, user=None, timeout=30, stdout=subprocess.PIPE):
    e = {"PATH": "/usr/bin:/bin", "PRUNE_FORCE": "true"}
    e.update(env)
    cmd = [BINARY]
    if user:
        cmd = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user, "--clear-groups"] + cmd
    p = subprocess.run(cmd, env=e, stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE,
                       timeout=timeout)
    err = p.stderr.decode("utf-8", "replace")
    if sock:
        err = err.replace(sock, SHOWN)
    return p.returncode, err.splitlines()


def listening(path, mode, gid=0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(16)
    os.chown(path, 0, gid)
    os.chmod(path, mode)
    return s


def fake_engine(tmp, rules):
    sock = os.path.join(tmp, "engine.sock")
    script = os.path.join(tmp, "script.json")
    with open(script, "w") as f:
        json.dump({"peek_ms": 30, "rules": rules}, f)
    srv = subprocess.Popen([sys.executable, FAKE, sock, script, os.path.join(tmp, "record.jsonl")],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    if srv.stdout.readline().strip() != b"ready":
        raise RuntimeError("the fake engine did not start")
    return srv, sock


def engine_rules(version):
    p = "/v%s" % version
    return [
        {"method": "GET", "path": "/_ping", "exact": True, "status": 200, "body": "OK",
         "headers": {"Api-Version": version, "Server": "Docker/26.1.5 (linux)"}},
        # One stopped container and one dangling image: the cleaner prunes only where its
        # inventory shows work. On Docker the containers go one by one (the default schedule)
        # and the image prune meets another prune once.
        {"method": "GET", "path": p + "/containers/json",
         "body": [{"Id": "c0" * 32, "Names": ["/stopped"], "State": "exited", "Created": 1000000000}]},
        {"method": "GET", "path": p + "/images/json",
         "body": [{"Id": "sha256:" + "a" * 64, "RepoTags": None, "Created": 1000000000, "Size": 1, "Containers": 0}]},
        {"method": "GET", "path": p + "/networks", "body": []},
        {"method": "DELETE", "path": p + "/containers/", "status": 204, "body": ""},
        {"method": "POST", "path": p + "/containers/prune", "body": {"ContainersDeleted": None, "SpaceReclaimed": 0}},
        {"method": "POST", "path": p + "/images/prune", "status": 409, "times": 1,
         "body": {"message": "a prune operation is already running"}},
        {"method": "POST", "path": p + "/images/prune", "body": {"ImagesDeleted": None, "SpaceReclaimed": 0}},
        {"method": "POST", "path": p + "/networks/prune", "body": {"NetworksDeleted": None}},
        {"method": "POST", "path": p + "/build/prune", "body": {"CachesDeleted": None, "SpaceReclaimed": 0}},
    ]


def main():
    if os.geteuid() != 0:
        print("not ok - must run as root (it changes socket owners and drops to uid 65532)")
        return 1
    tested, failures = [], []

    def case(name, rc_want, lines, rc, want):
        tested.append(want)
        if rc != rc_want:
            failures.append("%s: exit %d, expected %d\n  %s" % (name, rc, rc_want, "\n  ".join(lines)))
        if want not in lines:
            failures.append("%s: the program did not print the quoted line\n  quoted:  %s\n  printed: %s" %
                            (name, want, "\n           ".join(lines)))
        if want not in quoted:
            failures.append("%s: the guide does not quote the line the program prints:\n  %s" % (name, want))

    quoted = quoted_lines()
    tmp = tempfile.mkdtemp(prefix="dc-docs-")
    os.chmod(tmp, 0o755)
    sock = os.path.join(tmp, "docker.sock")
    try:
        # The socket is not there.
        rc, lines = run({"DOCKER_HOST": "unix://" + sock}, sock)
        case("missing socket", 2, lines, rc,
             "docker-cleaner: error: cannot open the engine socket: /var/run/docker.sock does not exist: mount "
             "the engine's socket there (-v /var/run/docker.sock:/var/run/docker.sock) or set DOCKER_HOST")

        # Mode 0600, started as 65532: only root can open it (started as root, it would connect first).
        s = listening(sock, 0o600)
        rc, lines = run({"DOCKER_HOST": "unix://" + sock}, sock, user=65532)
        case("mode 0600", 2, lines, rc,
             "docker-cleaner: error: cannot open the engine socket: permission denied on /var/run/docker.sock "
             "(owner uid 0, group gid 0, mode 0600) for uid 65532 gid 65532: the socket's mode gives its group no "
             "access, so only root can open it: start as root (the image default: it connects first, then drops "
             "root) or make it group read-write (chmod 660, as dockerd and podman.socket do)")
        s.close()
        os.unlink(sock)

        # Started as 65532 without the socket's group 4242.
        s = listening(sock, 0o660, gid=4242)
        rc, lines = run({"DOCKER_HOST": "unix://" + sock}, sock, user=65532)
        case("no group", 2, lines, rc,
             "docker-cleaner: error: cannot open the engine socket: permission denied on /var/run/docker.sock "
             "(owner uid 0, group gid 4242, mode 0660) for uid 65532 gid 65532: start as root (the image default, "
             "which keeps just the socket's group) or add the group with --group-add 4242")
        s.close()
        os.unlink(sock)

        rc, lines = run({"DOCKER_HOST": "tcp://127.0.0.1:1"})
        case("tcp refused", 2, lines, rc,
             "docker-cleaner: error: cannot reach the engine at tcp://127.0.0.1:1: connection refused")

        # An engine that accepts and never answers.
        s = listening(sock, 0o666)
        t0 = time.monotonic()
        rc, lines = run({"DOCKER_HOST": "unix://" + sock, "CLEANUP_TIMEOUT": "1s"}, sock)
        secs = time.monotonic() - t0
        case("deadline", 2, lines, rc,
             "docker-cleaner: warn: deadline of 1s reached: abandoning the requests in flight")
        limit = 1 + 0.5 * SLACK
        if secs > limit:
            failures.append("deadline: the run took %.2fs with CLEANUP_TIMEOUT=1s (limit %.2fs)" % (secs, limit))
        s.close()
        os.unlink(sock)

        # An engine too old, and one busy with another prune (409, then success).
        for version, name, rc_want, want in (
                ("1.24", "too old", 2,
                 "docker-cleaner: error: the engine's API version 1.24 is older than the oldest supported, 1.25"),
                ("1.45", "busy", 0,
                 "docker-cleaner: info: images: another prune is running on the engine; retrying in 200 ms")):
            sub = tempfile.mkdtemp(prefix="fake-", dir=tmp)
            os.chmod(sub, 0o755)
            srv, fsock = fake_engine(sub, engine_rules(version))
            try:
                os.chmod(fsock, 0o666)
                rc, lines = run({"DOCKER_HOST": "unix://" + fsock}, fsock)
                case(name, rc_want, lines, rc, want)
            finally:
                srv.terminate()
                srv.wait()

        # The report cannot be written (stdout on a full disk): the container still goes, exit 1.
        sub = tempfile.mkdtemp(prefix="fake-", dir=tmp)
        os.chmod(sub, 0o755)
        srv, fsock = fake_engine(sub, engine_rules("1.45"))
        try:
            os.chmod(fsock, 0o666)
            with open("/dev/full", "wb") as full:
                rc, lines = run({"DOCKER_HOST": "unix://" + fsock}, fsock, stdout=full)
            case("report lost", 1, lines, rc,
                 "docker-cleaner: error: could not write the report to stdout (No space left on device): the audit "
                 "trail is incomplete; the run deleted 1 resource")
        finally:
            srv.terminate()
            srv.wait()

        # Settings: exit 2 before any request.
        for env, want in (
                ({"PRUNE_ALL": "maybe"},
                 'docker-cleaner: error: invalid PRUNE_ALL="maybe": expected true/false/1/0/yes/no'),
                ({"DOCKER_HOST": "ssh://me@host"},
                 'docker-cleaner: error: invalid DOCKER_HOST="ssh://me@host": accepted: unix:///absolute/path or '
                 'tcp://host:port (ssh://, npipe:// and TLS are not supported)'),
                ({"DOCKER_TLS_VERIFY": "1"},
                 'docker-cleaner: error: invalid DOCKER_TLS_VERIFY="1": TLS is not supported; use a unix socket '
                 'or plain tcp:// (e.g. through docker context)'),
                ({"REAP_LABEL": "job"},
                 "docker-cleaner: error: conflicting settings: REAP_LABEL and REAP_AFTER go together (REAP_LABEL "
                 "is set, REAP_AFTER is not)"),
                ({"PRUNE_VOLUMES_ALL": "true"},
                 "docker-cleaner: error: conflicting settings: PRUNE_VOLUMES_ALL=true needs CLEANUP_VOLUMES=true "
                 "(named volumes are only removed when volume cleanup is on)")):
            rc, lines = run(dict({"DOCKER_HOST": "unix://" + sock}, **env), sock)
            case("setting %s" % list(env)[0], 2, lines, rc, want)

        # Podman: build cache skipped, not failed.
        sub = tempfile.mkdtemp(prefix="fake-", dir=tmp)
        os.chmod(sub, 0o755)
        rules = engine_rules("1.41")
        rules[0]["headers"]["Libpod-Api-Version"] = "4.3.1"
        rules += [{"method": "GET", "path": "/v1.41/volumes", "body": {"Volumes": [], "Warnings": None}}]
        srv, fsock = fake_engine(sub, rules)
        try:
            os.chmod(fsock, 0o666)
            rc, lines = run({"DOCKER_HOST": "unix://" + fsock}, fsock)
            case("podman build cache", 0, lines, rc,
                 "docker-cleaner: info: build cache skipped: the engine (Podman) has no build cache API")
        finally:
            srv.terminate()
            srv.wait()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    unchecked = [line for line in quoted if line not in tested]
    for line in unchecked:
        failures.append("unchecked: the guide quotes a line no case checks: %s" % line)
    for f in failures:
        print("FAIL: " + f)
    failed_cases = {f.split(":", 1)[0] for f in failures}
    print("%d passed, %d failed" % (len(tested) + len(unchecked) - len(failed_cases), len(failed_cases)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
