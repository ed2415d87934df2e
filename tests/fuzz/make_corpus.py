#!/usr/bin/env python3
"""Writes the seed corpus (corpus/http, corpus/api): real replies of Docker 20.10, 26 and
Podman as the protocol tests script them, plus a few broken ones. Run once; the files are
committed. File names are the content's hash, as libFuzzer names what it adds."""
import hashlib
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def put(target, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def resp(status, headers, body, chunked=False, reason="OK"):
    h = "HTTP/1.1 %d %s\r\n" % (status, reason) + "".join("%s: %s\r\n" % kv for kv in headers)
    if chunked:
        h += "Transfer-Encoding: chunked\r\n\r\n"
        out = h.encode()
        for i in range(0, len(body), 7):
            piece = body[i:i + 7]
            out += b"%x\r\n" % len(piece) + piece + b"\r\n"
        return out + b"0\r\n\r\n"
    return (h + "Content-Length: %d\r\n\r\n" % len(body)).encode() + body


PING = [("Api-Version", "1.45"), ("Builder-Version", "2"), ("Docker-Experimental", "false"),
        ("Server", "Docker/26.1.5 (linux)"), ("Swarm", "inactive"), ("Content-Type", "text/plain; charset=utf-8")]
PODMAN = [("Api-Version", "1.41"), ("Libpod-Api-Version", "4.3.1"), ("Server", "Libpod/4.3.1 (linux)")]
JSONH = [("Content-Type", "application/json"), ("Date", "Mon, 01 Jan 2024 00:00:00 GMT")]

http = [
    resp(200, PING, b"OK"),
    resp(200, PODMAN, b"OK"),
    resp(200, [("API-Version", "1.24")], b"OK"),
    resp(200, JSONH, b'{"ContainersDeleted":null,"SpaceReclaimed":0}\n', chunked=True),
    resp(409, JSONH, b'{"message":"a prune operation is already running"}\n', reason="Conflict"),
    resp(404, [("Content-Type", "text/plain")], b"404 page not found\n", reason="Not Found"),
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n[{\"Name\":\"bridge\"}]",  # delimited by the close
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
    b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nOKextra",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n",
    b"HTTP/1.1 2OO OK\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
    b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 300 + b"\r\n" + b"api-version:   1.41  \r\n\r\n",
]
for i, h in enumerate(http):
    # Control bytes: cap selector, split seed.
    put("http", bytes([i % 5, (i * 37) % 256]) + h)

api = {
    0: ['[{"Id":"c1","Names":["/web"],"State":"exited","Created":1700000000,"Labels":{"a":"b"},"ImageID":"sha256:x",'
        '"NetworkSettings":{"Networks":{"bridge":{}}},"Mounts":[{"Type":"volume","Name":"v"}]}]', "[]", "null",
        '[{"Id":5}]'],
    1: ['[{"Id":"sha256:a","RepoTags":["<none>:<none>"],"Created":1,"Size":10,"Labels":null},'
        '{"Id":"sha256:b","RepoTags":["app:1"],"Created":1.5e9,"Size":-1}]'],
    2: ['[{"Name":"bridge","Id":"n1","Driver":"bridge","Created":"2024-01-02T03:04:05.123456789+02:00","Labels":{}}]'],
    3: ['{"Volumes":[{"Name":"' + "f" * 64 + '","Driver":"local","Labels":null,"Options":{"o":"bind"},'
        '"CreatedAt":"2020-01-01T00:00:00Z"}],"Warnings":null}', '{"Volumes":null}'],
    4: ['{"Volumes":[{"Name":"v1","UsageData":{"Size":123,"RefCount":0}},{"Name":"v2","UsageData":{"Size":-1}}]}'],
    5: ['{"BuildCache":[{"ID":"b1","Type":"regular","InUse":false,"Shared":true,"Size":5,'
        '"LastUsedAt":"2020-01-01T00:00:00Z","Description":"mount / from exec"}]}'],
    6: ['{"ContainersDeleted":["a","b"],"SpaceReclaimed":1000}', '{"ContainersDeleted":null,"SpaceReclaimed":0}',
        # Walked member by member: duplicates (the last counts), nested members nobody reads.
        '{"ContainersDeleted":["a"],"Warnings":[[{"x":[null,1.5]}],{"y":{}}],"ContainersDeleted":["b"],'
        '"SpaceReclaimed":[1],"SpaceReclaimed":7}'],
    7: ['{"CachesDeleted":["x"],"SpaceReclaimed":0}'],
    8: ['{"NetworksDeleted":["n"]}'],
    9: ['{"ImagesDeleted":[{"Untagged":"app:old"},{"Deleted":"sha256:1"}],"SpaceReclaimed":234}',
        '{"ImagesDeleted":[{"Untagged":"a:1","Deleted":"sha256:2","X":[[]]},5,null,{}],"SpaceReclaimed":0}'],
    10: ['{"VolumesDeleted":[],"SpaceReclaimed":0}'],
    11: ['{"message":"client version 1.99 is too new. Maximum supported API version is 1.45"}',
          '{"cause":"x","message":"podman\\u0000says\\nno","response":500}', "404 page not found\n"],
    # Containers and images with only the run's label keys kept (dc_api_keep_labels).
    14: ['[{"Id":"c1","Labels":{"a":"b","keep":"","docker-cleaner.protect":"1"}},{"Id":"c2","Labels":{"k":1}}]'],
    15: ['[{"Id":"sha256:a","RepoTags":["<none>:<none>","a:1","b:2","c:3"],"Labels":{"keep":"x","z":""}}]'],
    12: [resp(200, PING, b"OK").decode(), resp(200, [("Api-Version", "9.99")], b"OK").decode(),
          resp(500, JSONH, b'{"message":"x"}').decode()],
}
# Retention (issue 14): /system/df images and image details, as the engines sent them
# (tests/unit/fixtures/engines), plus broken ones.
FIX = os.path.join(HERE, "..", "unit", "fixtures", "engines")
api[16] = ['{"LayersSize":3,"Images":null}', '{"Images":[{"Id":"a","SharedSize":-1,"RepoTags":["1"]}],"LayersSize":"x"}']
api[17] = ['{"Id":"i","Created":"0001-01-01T00:00:00Z","RootFS":{"Layers":["a",5]}}',
           '{"Id":"i","Metadata":{"LastTagTime":"2026-11-30T10:00:00Z"},"RootFS":{"Type":"layers","Layers":[]}}']
for name in ("docker20-df.json", "docker28c-df-image.json", "podman-df.json"):
    api[16].append(open(os.path.join(FIX, name)).read())
for name in ("docker20-inspect-built-3tags.json", "docker28c-inspect-loaded.json", "podman5-inspect-built-3tags.json"):
    api[17].append(open(os.path.join(FIX, name)).read())
api[1].append(open(os.path.join(FIX, "docker28c-images.json")).read())
for sel, bodies in api.items():
    for b in bodies:
        put("api", bytes([sel]) + b.encode())

# fuzz_input: one selector byte (0 configuration, 1 image reference, 2 context files, 3 state
# file, 4 values), then its bytes (configuration: NAME=VALUE lines are the environment, other
# lines argv).
H64 = "0123456789abcdef" * 4
inputs = {
    0: ["", "PRUNE_ALL=true\nPRUNE_FILTER_UNTIL=24h\nPRUNE_FILTER_LABEL=env=ci,!keep\nDRY_RUN=1",
        "DOCKER_HOST=tcp://127.0.0.1:2375\nCLEANUP_TIMEOUT=90s\nLOG_FORMAT=json\nLOG_LEVEL=debug",
        "DOCKER_HOST=unix:///run/podman/podman.sock\nDOCKER_API_VERSION=1.41\nCLEANUP_VOLUMES=true\nPRUNE_VOLUMES_ALL=yes",
        "KEEP_IMAGES=postgres,*/node:*,registry.example.com:5000/team/*\nKEEP_LATEST=2\nKEEP_USED_WITHIN=48h\nKEEP_STORAGE=20GB\nSTATE_FILE=/state/x.json",
        "REAP_LABEL=ci.job\nREAP_AFTER=2h\nREAP_STOP_TIMEOUT=5\nRUN_UID=1000\nRUN_GID=1000\nMETRICS_FILE=/m.prom",
        "--all\n--until\n2026-11-30T10:00:00Z\n--label\na=b\n--filter\nlabel!=x\n--dry-run\n--timeout=1m",
        "--no-images\n--split-schedule=false\n-H\nunix:///tmp/s.sock\n--keep-images=alpine:3.20",
        "PRUNE_FILTER_UNTIL=1700000000.5\nPROTECT_LABEL=keep=yes\nCLEANUP_SPLIT_SCHEDULE=auto",
        "DOCKER_HOST=tcp://[::1]:2375\nDOCKER_TLS_VERIFY=1", "--help", "--version", "--bogus", "CLEANUP_TIMEOUT=-1s",
        "PRUNE_FILTER_LABEL=\x1b[31mred\nKEEP_LATEST=\x07"],
    1: ["postgres", "postgres:16", "docker.io/library/postgres:16", "index.docker.io/x/y", "localhost:5000/a/b:c",
        "name@sha256:" + H64, "a:b@sha256:" + H64, "*/node:*", "registry.example.com:5000/team/*", "Upper/x",
        "<none>:<none>", H64, "a" * 300, "postgres*", "*", "x@@y"],
    2: ['{"currentContext":"desktop-linux"}', '{"Name":"n","Endpoints":{"docker":{"Host":"unix:///x.sock"}}}',
        '{"Endpoints":{"docker":{"Host":"ssh://u@h","SkipTLSVerify":false}}}', '{"currentContext":5}', "[]", "{"],
    3: ['{"version":1,"images":{\n"%s":1764547200\n}}\n' % H64, '{"version":1,"images":{}}\n',
        '{"version":2,"images":{}}', '{"version":1,"images":{"x":1,"x":2}}', '{"version":1,"images":{"%s":-5}}' % H64,
        '{"version":1,"images":{"sha256:%s":1,"%s":2}}' % (H64, H64), ""],
    4: ["20GB", "512m", "1.5g", "100", "1e3", "true", "YES", "0", "90s", "1h30m", "-1s", "2026-11-30T10:00:00Z",
        "2026-11-30T10:00:00.123456789+01:00", "1700000000.5", "label=a=b", "label!=k", "!k=v", "k=v=w", "=v",
        "a\xff", "9" * 40],
}
for sel, texts in inputs.items():
    for t in texts:
        put("input", bytes([sel]) + t.encode("utf-8", "surrogateescape"))
