#!/usr/bin/env python3
"""DELETE /API/KIND/ID for every ID on stdin, N in flight on N kept-alive connections (as the
cleaner removes one by one); prints the wall time in ms. Non-2xx answers are counted on stderr.

    del_parallel.py SOCKET API KIND [N]      e.g. del_parallel.py engine.sock v1.45 containers 4
"""
import http.client
import socket
import sys
import threading
import time


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("docker")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def main():
    sock, api, kind = sys.argv[1:4]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 4
    ids = [l.strip() for l in sys.stdin if l.strip()]
    lock = threading.Lock()
    bad = []

    def worker():
        conn = UnixConnection(sock)
        while True:
            with lock:
                if not ids:
                    break
                i = ids.pop()
            conn.request("DELETE", "/%s/%s/%s" % (api, kind, i))
            r = conn.getresponse()
            r.read()
            if r.status >= 300:
                with lock:
                    bad.append((i, r.status))
        conn.close()

    t0 = time.monotonic()
    ts = [threading.Thread(target=worker) for _ in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(int((time.monotonic() - t0) * 1000 + 0.5))
    if bad:
        sys.stderr.write("del_parallel: %d refused, e.g. %s\n" % (len(bad), bad[:3]))


if __name__ == "__main__":
    main()
