#!/usr/bin/env python3
"""Write a tests/protocol/fake_engine.py script serving a large, realistic inventory.

    gen_inventory.py SAMPLES.json N OUT.json

SAMPLES.json holds real replies captured from a Docker 26.1.5 engine (bench/inventory.sh):
{"ping_headers": {...}, "container": <one /containers/json?all=1 item>, "image": <one /images/json
item>, "volume": <one /volumes "Volumes" item>, "networks": <the /networks reply>,
"df_build": <the /system/df?type=build-cache reply>, "inspect": <GET /images/{id}/json of an image of
two layers, testbase's and its own>, "df_image": {"LayersSize", "Image": <its /system/df?type=image
entry>, "BuildCache"}}. Each item is replicated with distinct IDs and names, keeping the exact JSON
shape: N containers (one in ten running, the rest exited or created, each with its own anonymous
volume), N/2 images (half tagged, 8 tags per repository, half dangling; containers use the first
N/8 of them, so most images are unused), N anonymous volumes.

For retention (KEEP_USED_WITHIN, KEEP_LATEST, KEEP_STORAGE) every image also has its
GET /images/{id}/json reply (an exact rule each) and GET /system/df?type=image&type=build-cache is
served: each image is the shared base layer plus a layer of its own (10 MB + (i % 97) x 100 KB),
Created 40 days ago, one tagged image in four tagged an hour ago (hot), the other tagged ones 30
days ago, the dangling ones never (Go's zero time, as Docker); the containers were created
within the last hours (the capture's time, shifted to now).
"""
import calendar
import copy
import hashlib
import json
import sys
import time


def hexid(kind, i):
    return hashlib.sha256(("%s-%d" % (kind, i)).encode()).hexdigest()


def rfc3339(secs, i):
    """Docker's time format, with distinct nanoseconds."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + ".%09dZ" % (123456789 + i)


def main():
    samples_path, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(samples_path) as f:
        s = json.load(f)
    nimg = max(1, n // 2)
    used = max(1, n // 8)
    ins, dfi = s["inspect"], s["df_image"]["Image"]
    # Times are relative to now (the capture moment shifted to it), so that "an hour ago" stays
    # an hour ago however old the capture is.
    captured = int(calendar.timegm(time.strptime(ins["Created"][:19], "%Y-%m-%dT%H:%M:%S")))
    shift = max(0, int(time.time()) - captured)
    t0 = captured + shift
    base_layer, base_size = ins["RootFS"]["Layers"][0], dfi["SharedSize"]
    images, inspects, dfimages = [], [], []
    layers_size = base_size
    for i in range(nimg):
        im = copy.deepcopy(s["image"])
        im["Id"] = "sha256:" + hexid("img", i)
        im["RepoTags"] = ["bench-inv-%d:v%d" % (i // 16, i)] if i % 2 == 0 else []
        im["Created"] = t0 - 40 * 86400 - i * 60
        own = 10 * 1000 * 1000 + (i % 97) * 100 * 1000
        layers_size += own
        im["Size"] = base_size + own
        im["ParentId"] = ""  # as pulled images: no parent
        images.append(im)
        d = copy.deepcopy(ins)
        d.update(Id=im["Id"], RepoTags=im["RepoTags"], RepoDigests=[], Parent="", Size=im["Size"],
                 Created=rfc3339(im["Created"], i))
        if not im["RepoTags"]:
            tag = "0001-01-01T00:00:00Z"
        elif i % 8 == 0:
            tag = rfc3339(t0 - 3600 - i, i)
        else:
            tag = rfc3339(t0 - 30 * 86400 - i * 60, i)
        d["Metadata"] = {"LastTagTime": tag}
        d["RootFS"]["Layers"] = [base_layer, "sha256:" + hexid("layer", i)]
        gd = d.get("GraphDriver", {}).get("Data") or {}
        for k, v in gd.items():
            gd[k] = "/".join(hexid("gd", i) if len(p) == 64 else p for p in v.split("/"))
        inspects.append(d)
        e = copy.deepcopy(dfi)
        e.update(Id=im["Id"], RepoTags=im["RepoTags"], Created=im["Created"], Size=im["Size"],
                 SharedSize=base_size, ParentId="", Containers=0)
        dfimages.append(e)
    containers, volumes = [], []
    for i in range(n):
        c = copy.deepcopy(s["container"])
        c["Id"] = hexid("ctr", i)
        c["Names"] = ["/bench-inv-c-%d" % i]
        img = images[i % used]
        dfimages[i % used]["Containers"] += 1
        c["ImageID"] = img["Id"]
        c["Image"] = img["RepoTags"][0] if img["RepoTags"] else img["Id"]
        c["Created"] = s["container"]["Created"] + shift - i
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
        {"method": "GET", "path": api + "/system/df?type=image", "encoding": "chunked", "chunk": 32768,
         "body": js({"LayersSize": layers_size, "Images": dfimages, "Containers": None, "Volumes": None,
                     "BuildCache": s["df_image"]["BuildCache"]})},
    ]
    # One exact rule per image (bench/fake_inventory.py finds them by path at once); a real
    # Docker 26 answers the inspect with Content-Length.
    rules += [{"method": "GET", "path": api + "/images/%s/json" % d["Id"], "exact": True, "body": js(d)}
              for d in inspects]
    with open(out, "w") as f:
        json.dump({"peek_ms": 0, "rules": rules}, f)
    sizes = {r["path"]: len(r["body"]) for r in rules if not r.get("exact")}
    sizes["image inspects"] = sum(len(r["body"]) for r in rules if r.get("exact"))
    print(json.dumps(sizes))


if __name__ == "__main__":
    main()
