#!/usr/bin/env python3
"""A proxy in front of a real engine that loses chosen replies: what no engine does on demand.

    lossy_proxy.py SOCKET UPSTREAM RECORD RULE...

Listens on the unix socket SOCKET (mode 0660, the group of UPSTREAM, so the cleaner drops root
to the same group as against the engine) and relays each connection to the unix socket
UPSTREAM, request by request (HTTP/1.1, kept alive). A RULE is "METHOD PATH-REGEX COUNT": the
first COUNT requests whose method is METHOD and whose path (the version prefix /vX.Y taken off)
matches PATH-REGEX from its start are relayed to the engine, the engine's whole reply is read,
and then the client's connection is reset instead of answered: the engine did the work, the
client never hears of it (a proxy dropping the connection, the engine's side restarting).

RECORD gets one JSON object per line for each lost reply: {"method", "path", "status", "body"}
(the engine's status and body, which the client did not see). Prints "ready" once it listens;
exits on SIGTERM.
"""

import json
import os
import re
import signal
import socket
import struct
import sys
import threading

LOCK = threading.Lock()


class Rule:
    def __init__(self, method, pattern, count):
        self.method, self.re, self.left = method, re.compile(pattern), int(count)


def read_head(sock, buf):
    """Reads up to the end of a header block: (head bytes, rest) or (None, buf) at EOF."""
    while b"\r\n\r\n" not in buf:
        data = sock.recv(65536)
        if not data:
            return None, buf
        buf += data
    head, rest = buf.split(b"\r\n\r\n", 1)
    return head + b"\r\n\r\n", rest


def header(head, name):
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == name:
            return v.strip()
    return None


def read_exact(sock, buf, n):
    while len(buf) < n:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("closed mid-body")
        buf += data
    return buf[:n], buf[n:]


def read_line(sock, buf):
    while b"\r\n" not in buf:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("closed mid-chunk")
        buf += data
    line, rest = buf.split(b"\r\n", 1)
    return line + b"\r\n", rest


def read_body(sock, head, buf, method, response):
    """The body after head (raw, as sent), and what is left of buf; None for until-close."""
    if response:
        status = int(head.split(b" ", 2)[1])
        if method == "HEAD" or status in (204, 304) or status < 200:
            return b"", buf
    te = header(head, b"transfer-encoding")
    if te and te.lower() == b"chunked":
        out = b""
        while True:
            line, buf = read_line(sock, buf)
            out += line
            size = int(line.split(b";")[0].strip(), 16)
            if size == 0:
                while True:  # trailers up to the empty line
                    line, buf = read_line(sock, buf)
                    out += line
                    if line == b"\r\n":
                        return out, buf
            chunk, buf = read_exact(sock, buf, size + 2)
            out += chunk
    cl = header(head, b"content-length")
    if cl is not None:
        return read_exact(sock, buf, int(cl))
    if not response:
        return b"", buf
    while True:  # delimited by the close
        data = sock.recv(65536)
        if not data:
            return buf, b""
        buf += data


def dechunk(raw):
    out, i = b"", 0
    while i < len(raw):
        j = raw.index(b"\r\n", i)
        size = int(raw[i:j].split(b";")[0], 16)
        if size == 0:
            break
        out += raw[j + 2:j + 2 + size]
        i = j + 2 + size + 2
    return out


def lose(method, path, rules):
    bare = re.sub(r"^/v[0-9]+\.[0-9]+", "", path.split("?")[0])
    with LOCK:
        for r in rules:
            if r.method == method and r.left > 0 and r.re.match(bare):
                r.left -= 1
                return True
    return False


def serve(client, upstream_path, rules, record):
    up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        up.connect(upstream_path)
        cbuf, ubuf = b"", b""
        while True:
            head, cbuf = read_head(client, cbuf)
            if head is None:
                return
            method, path = head.split(b" ", 2)[:2]
            method, path = method.decode(), path.decode()
            body, cbuf = read_body(client, head, cbuf, method, False)
            up.sendall(head + body)
            rhead, ubuf = read_head(up, ubuf)
            if rhead is None:
                return
            rbody, ubuf = read_body(up, rhead, ubuf, method, True)
            if lose(method, path, rules):
                chunked = (header(rhead, b"transfer-encoding") or b"").lower() == b"chunked"
                with LOCK:
                    record.write(json.dumps({"method": method, "path": path, "status": int(rhead.split(b" ", 2)[1]),
                                             "body": (dechunk(rbody) if chunked else rbody).decode("latin-1")}) + "\n")
                    record.flush()
                # A reset, not a close: no reply, no orderly end.
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            client.sendall(rhead + rbody)
    except (OSError, ConnectionError, ValueError):
        return
    finally:
        up.close()
        client.close()


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    path, upstream, record_path = sys.argv[1:4]
    rules = [Rule(*r.split(" ", 2)) for r in sys.argv[4:]]
    record = open(record_path, "a")
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    st = os.stat(upstream)
    os.chown(path, -1, st.st_gid)
    os.chmod(path, 0o660)
    srv.listen(64)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    print("ready", flush=True)
    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c, upstream, rules, record), daemon=True).start()


if __name__ == "__main__":
    main()
