#!/usr/bin/env python3
"""tests/protocol/fake_engine.py with the exact rules found by path at once.

    fake_inventory.py SOCKET SCRIPT RECORD     (the same arguments and behaviour)

The inventory scripts of bench/gen_inventory.py have one exact rule per image (its inspect
reply): thousands of rules, which fake_engine.py scans one by one for every request. Here an
exact rule without "times" is looked up in a dict (by the path as sent, or percent-decoded: the
cleaner sends sha256%3A...), so the engine's own cost per inspect stays flat with the
inventory's size; everything else is fake_engine.py's.
"""
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "protocol"))
import fake_engine  # noqa: E402


class Engine(fake_engine.Engine):
    def __init__(self, *args):
        super().__init__(*args)
        self.exact = {}
        for i, r in enumerate(self.rules):
            if r.get("exact") and r.get("times") is None:
                self.exact.setdefault(r["path"], (i, r))

    def match(self, method, path):
        # The cleaner sends the image ID's colon as %3A (as the Docker CLI does); the engine
        # reads both.
        hit = self.exact.get(path) or self.exact.get(urllib.parse.unquote(path))
        if hit and hit[1].get("method", "*") in ("*", method):
            with self.lock:
                self.used[hit[0]] += 1
            return hit
        return super().match(method, path)


if __name__ == "__main__":
    fake_engine.Engine = Engine
    sys.exit(fake_engine.main())
