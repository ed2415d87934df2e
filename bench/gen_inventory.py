#!/usr/bin/env python3
"""Write a tests/protocol/fake_engine.py script serving a large, realistic inventory.

    gen_inventory.py SAMPLES.json N OUT.json

SAMPLES.json holds real replies captured from a Docker 26.1.5 engine (bench/inventory.sh):
{"ping_headers": {...}, "container": <one /containers/json?all=1 item>, "image": <one /images/json
item>, "volume": <one /volumes "Volumes" item>, "networks": <the /networks reply>,
"df_build": <the /system/df?type=build-cache reply>}. Each item is replicated with distinct IDs and
names, keeping the exact JSON shape: N containers (one in ten running, the rest exited or created,
each with its own anonymous volume), N/2 images (half tagged, half dangling; containers use the
first N/8 of them, so most images are unused), N anonymous volumes.
"""
import copy
import hashlib
import json
import sys


def hexid(kind, i):
    return hashlib.sha256(("%s-%d" % (kind, i)).encode()).hexdigest()


def main():
    samples_path, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(samples_path) as f:
        s = json.load(f)
    nimg = max(1, n // 2)
    used = max(1, n // 8)
    images = []
    for i in range(nimg):
        im = copy.deepcopy(s["image"])
        im["Id"] = "sha256:" + hexid("img", i)
        im["RepoTags"] = ["bench-inv-%d:latest" % i] if i % 2 == 0 else []
        im["Created"] = s["image"]["Created"] - i
        im["Size"] = 1000 + i
        images.append(im)
    containers, volumes = [], []
    for i in range(n):
        c = copy.deepcopy(s["container"])
        c["Id"] = hexid("ctr", i)
        c["Names"] = ["/bench-inv-c-%d" % i]
        img = images[i % used]
        c["ImageID"] = img["Id"]
        c["Image"] = img["RepoTags"][0] if img["RepoTags"] else img["Id"]
        c["Created"] = s["container"]["Created"] - i
        if i % 10 == 0:
            c["State"], c["Status"] = "running", "Up 3 hours"
        elif i % 2:
            c["State"], c["Status"] = "exited", "Exited (0) 2 hours ago"
        else:
            c["State"], c["Status"] = "created", "Created"
        vname = hexid("vol", i)
        for m in c.get("Mounts") or []:
            if m.get("Type") == "volume":
                m["Name"] = vname
        containers.append(c)
        v = copy.deepcopy(s["volume"])
        v["Name"] = vname
        v["Mountpoint"] = v["Mountpoint"].rsplit("/volumes/", 1)[0] + "/volumes/%s/_data" % vname
        v["Labels"] = {"com.docker.volume.anonymous": ""}
        volumes.append(v)
    dfvol = {"LayersSize": 0, "Images": None, "Containers": None, "BuildCache": None,
             "Volumes": [dict(v, UsageData={"RefCount": 0, "Size": 0}) for v in volumes]}

    def js(o):
        return json.dumps(o, separators=(",", ":")) + "\n"

    api = "/v" + s["ping_headers"]["Api-Version"]
    rules = [
        {"method": "*", "path": "/_ping", "body": "OK", "headers": s["ping_headers"]},
        {"method": "GET", "path": api + "/containers/json", "body": js(containers), "encoding": "chunked", "chunk": 32768},
        {"method": "GET", "path": api + "/images/json", "body": js(images), "encoding": "chunked", "chunk": 32768},
        {"method": "GET", "path": api + "/volumes", "body": js({"Volumes": volumes, "Warnings": None}), "encoding": "chunked", "chunk": 32768},
        {"method": "GET", "path": api + "/networks", "body": js(s["networks"]), "encoding": "chunked", "chunk": 32768},
        {"method": "GET", "path": api + "/system/df?type=build-cache", "body": js(s["df_build"]), "encoding": "chunked", "chunk": 32768},
        {"method": "GET", "path": api + "/system/df?type=volume", "body": js(dfvol), "encoding": "chunked", "chunk": 32768},
    ]
    with open(out, "w") as f:
        json.dump({"peek_ms": 0, "rules": rules}, f)
    sizes = {r["path"]: len(r["body"]) for r in rules}
    print(json.dumps(sizes))


if __name__ == "__main__":
    main()
