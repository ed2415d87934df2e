#!/usr/bin/env python3
"""A fake Docker engine for protocol tests: canned replies on a unix socket.

    fake_engine.py SOCKET SCRIPT RECORD

SCRIPT is a JSON file:

    {"peek_ms": 30,
     "rules": [{"method": "GET", "path": "/_ping", "status": 200,
                "headers": {"Api-Version": "1.45"}, "body": "OK",
                "encoding": "length" | "chunked" | "close", "chunk": 16,
                "times": 1, "delay_ms": 0,
                "hold_until": ["POST /v1.45/images/prune", ...], "hold_ms": 10000}]}

A request is answered by the first rule whose method is equal (or "*") and whose path is a
prefix of the request's path (the whole path with "exact": true), and whose "times" (when
given) is not used up. A body that is not a string is sent as compact JSON. Unmatched
requests get a 404 like the engine's.

"hold_until" holds the answer until a request of each "METHOD PATH-PREFIX" has arrived (or
"hold_ms" has passed): an order a test wants to see, without a wall-clock margin.

Encodings: "length" sends Content-Length (the default, as Go for small bodies), "chunked"
sends Transfer-Encoding: chunked in pieces of "chunk" bytes, "close" sends neither and closes
the connection after the body (a body delimited by the close).

Fault modes (tests/protocol/test_faults.py), per rule:
    "fault": "hang"           read the request, never answer (until the client closes)
             "stall_headers"  send the status line and headers, then nothing more
             "drip"           send the reply one byte at a time, "drip_ms" (default 5) apart
             "reset_body"     send the headers and half the body, then reset the connection
             "close"          close the connection without sending a byte
             "oversize"       a chunked body of "oversize_bytes" (default 64 MiB + 64 KiB)
    "raw": "..."              send these bytes (latin-1) instead of a reply, then close
and for the whole script "silent": true accepts connections and never reads from them;
"socket_mode" (default 0o660, or the octal DC_FAKE_SOCKET_MODE from the environment) and
"socket_gid" (default 4242; applied when run as root) set the socket's permissions;
"tcp_port": N listens on 127.0.0.1:N instead of SOCKET; "stop_listening_after": K closes the
listener once K requests other than GETs were answered (later connects are refused at once).

RECORD gets one JSON object per line, flushed as it happens, each with "t", the engine's
time.monotonic() when it happened:
    {"event": "connect", "conn": n}
    {"event": "request", "conn": n, "seq": k, "raw": <request bytes as latin-1>, "method",
     "path", "body_len", "rule": index or null, "eof_before_answer": bool}
    {"event": "replying", "conn": n, "seq": k}   (just before a reply's first byte is written)
    {"event": "answered", "conn": n, "seq": k, "status": s}
    {"event": "close", "conn": n, "partial": <bytes of an unfinished request>}
A request is in flight at the client from its "request" to its "replying": the client cannot
send anything in answer to a reply before its "replying" is in the record ("answered" is
written after the reply, and may follow the client's next request on another connection).
eof_before_answer is true when the client half-closed (or closed) its side before the reply
was written: a real engine would have cancelled the request.

It prints "ready" on stdout once it listens, and exits on SIGTERM or SIGINT.
"""

import json
import os
import select
import signal
import socket
import struct
import sys
import threading
import time

REASONS = {200: "OK", 201: "Created", 204: "No Content", 304: "Not Modified", 400: "Bad Request",
           403: "Forbidden", 404: "Not Found", 409: "Conflict", 500: "Internal Server Error",
           503: "Service Unavailable"}


class Engine:
    def __init__(self, sock_path, script, record_path):
        self.sock_path = sock_path
        self.rules = script.get("rules", [])
        self.peek = script.get("peek_ms", 30) / 1000.0
        self.silent = script.get("silent", False)
        self.socket_mode = script.get("socket_mode", int(os.environ.get("DC_FAKE_SOCKET_MODE", "0o660"), 8))
        self.socket_gid = script.get("socket_gid", 4242)
        self.tcp_port = script.get("tcp_port")
        self.stop_listening_after = script.get("stop_listening_after")
        self.answered = 0
        self.srv = None
        self.used = [0] * len(self.rules)
        self.lock = threading.Lock()
        self.record_file = open(record_path, "a", encoding="utf-8")
        self.nconn = 0
        self.seq = 0
        self.seen = []  # "METHOD PATH" of every request so far (for "hold_until")
        self.seen_cv = threading.Condition(self.lock)
        self.held_done = set()  # rules whose "hold_until" has been met

    def record(self, **event):
        # CLOCK_MONOTONIC: when the engine saw it (a request: when its last byte was read, not
        # after the peek below, which would make a request sent just before a deadline look late)
        event.setdefault("t", time.monotonic())
        with self.lock:
            self.record_file.write(json.dumps(event) + "\n")
            self.record_file.flush()

    def match(self, method, path):
        with self.lock:
            for i, r in enumerate(self.rules):
                if r.get("method", "*") not in ("*", method):
                    continue
                rp = r["path"]
                if (path != rp) if r.get("exact") else not path.startswith(rp):
                    continue
                if r.get("times") is not None and self.used[i] >= r["times"]:
                    continue
                self.used[i] += 1
                return i, r
        return None, None

    def serve(self):
        try:
            os.unlink(self.sock_path)
        except FileNotFoundError:
            pass
        if self.tcp_port is not None:
            srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            srv.bind(("127.0.0.1", self.tcp_port))
        else:
            srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            srv.bind(self.sock_path)
            # As dockerd's socket: the owner and its group (not root's) may connect, and the
            # cleaner started as root keeps just that group. "socket_mode" and "socket_gid"
            # change that, e.g. to a root-only socket (0o600, or group 0), which the cleaner
            # connects to before it drops root.
            os.chmod(self.sock_path, self.socket_mode)
            if os.geteuid() == 0:
                os.chown(self.sock_path, 0, self.socket_gid)
        srv.listen(64)
        self.srv = srv
        print("ready", flush=True)
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                # "stop_listening_after": the listener is closed; later connects are refused
                # at once while the connections already made go on.
                threading.Event().wait()
            with self.lock:
                self.nconn += 1
                n = self.nconn
            self.record(event="connect", conn=n)
            threading.Thread(target=self.handle, args=(conn, n), daemon=True).start()

    def wait_for_close(self, conn, n):
        """Holds the connection open, answering nothing, until the client goes away."""
        try:
            while conn.recv(65536):
                pass
        except OSError:
            pass
        self.record(event="close", conn=n, partial="")

    def handle(self, conn, n):
        buf = b""
        if self.silent:
            self.wait_for_close(conn, n)
            conn.close()
            return
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        self.record(event="close", conn=n, partial=buf.decode("latin-1"))
                        return
                    buf += data
                head, _, rest = buf.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                parts = lines[0].split(" ")
                method, path = (parts[0], parts[1]) if len(parts) == 3 else ("?", "?")
                clen = 0
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        clen = int(value.strip() or 0)
                while len(rest) < clen:
                    data = conn.recv(65536)
                    if not data:
                        break
                    rest += data
                raw = head + b"\r\n\r\n" + rest[:clen]
                t_read = time.monotonic()
                buf = rest[clen:]
                with self.lock:
                    self.seq += 1
                    seq = self.seq
                idx, rule = self.match(method, path)
                # Did the client shut down its side before we answered? Watch a little.
                eof = False
                if not buf:
                    r, _, _ = select.select([conn], [], [], self.peek)
                    if r:
                        try:
                            eof = conn.recv(1, socket.MSG_PEEK) == b""
                        except OSError:
                            eof = True
                self.record(event="request", conn=n, seq=seq, raw=raw.decode("latin-1"), method=method,
                            path=path, body_len=clen, rule=idx, eof_before_answer=eof, t=t_read)
                with self.seen_cv:
                    self.seen.append(method + " " + path)
                    self.seen_cv.notify_all()
                if rule is not None and rule.get("hold_until") and idx not in self.held_done:
                    want = rule["hold_until"]
                    with self.seen_cv:
                        if self.seen_cv.wait_for(lambda: all(any(x.startswith(w) for x in self.seen) for w in want),
                                                 timeout=rule.get("hold_ms", 10000) / 1000.0):
                            self.held_done.add(idx)  # met once, met for good: no more scans of "seen"
                if rule is None:
                    rule = {"status": 404, "body": {"message": "page not found"}}
                if rule.get("delay_ms"):
                    time.sleep(rule["delay_ms"] / 1000.0)
                if rule.get("fault") or "raw" in rule:
                    if self.fault(conn, n, rule):
                        return
                    self.record(event="answered", conn=n, seq=seq, status=rule.get("status", 200))
                    continue
                self.record(event="replying", conn=n, seq=seq)
                close = self.respond(conn, rule)
                self.record(event="answered", conn=n, seq=seq, status=rule.get("status", 200))
                with self.lock:
                    self.answered += method != "GET"
                    if self.stop_listening_after is not None and self.answered >= self.stop_listening_after:
                        self.srv.shutdown(socket.SHUT_RDWR)
                        self.srv.close()
                        self.stop_listening_after = None
                if close:
                    conn.close()
                    self.record(event="close", conn=n, partial="")
                    return
        except (BrokenPipeError, ConnectionResetError) as e:
            self.record(event="close", conn=n, partial=buf.decode("latin-1"), error=str(e))
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def fault(self, conn, n, rule):
        """Misbehaves as the rule says. Returns True when the connection is finished, False when
        it may carry another request (a dripped reply is a valid one)."""
        fault = rule.get("fault")
        if "raw" in rule:
            conn.sendall(rule["raw"].encode("latin-1"))
            conn.close()
            self.record(event="close", conn=n, partial="")
            return True
        if fault == "hang":
            self.wait_for_close(conn, n)
            return True
        if fault == "close":
            conn.close()
            self.record(event="close", conn=n, partial="")
            return True
        head, body = self.render(rule)
        if fault == "stall_headers":
            conn.sendall(head)
            self.wait_for_close(conn, n)
        elif fault == "drip":
            delay = rule.get("drip_ms", 5) / 1000.0
            for i in range(len(head + body)):
                conn.sendall((head + body)[i:i + 1])
                time.sleep(delay)
            # A whole reply with Content-Length: the connection may be kept alive.
            return False
        elif fault == "reset_body":
            conn.sendall(head + body[:max(1, len(body) // 2)])
            time.sleep(0.05)
            # SO_LINGER with a zero timeout: close() sends a RST instead of a FIN.
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
            self.record(event="close", conn=n, partial="", reset=True)
        elif fault == "oversize":
            total = int(rule.get("oversize_bytes", 64 * 1024 * 1024 + 65536))
            head = self.status_line(rule) + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            conn.sendall(head.encode("latin-1"))
            piece = b"[" + b" " * (65536 - 1)
            chunk = b"%x\r\n" % len(piece) + piece + b"\r\n"
            sent = 0
            while sent < total:
                conn.sendall(chunk)
                sent += len(piece)
                piece_rest = b" " * 65536
                chunk = b"%x\r\n" % len(piece_rest) + piece_rest + b"\r\n"
            conn.sendall(b"0\r\n\r\n")
            self.wait_for_close(conn, n)
        else:
            raise ValueError("unknown fault %r" % fault)
        return True

    @staticmethod
    def status_line(rule):
        status = rule.get("status", 200)
        return "HTTP/1.1 %d %s\r\n" % (status, REASONS.get(status, "Status"))

    @staticmethod
    def render(rule):
        """The reply's head (with Content-Length) and body, as bytes."""
        body = rule.get("body", "")
        if not isinstance(body, str):
            body = json.dumps(body, separators=(",", ":")) + "\n"
        body = body.encode("utf-8")
        headers = {"Content-Type": "application/json", "Date": "Mon, 01 Jan 2024 00:00:00 GMT"}
        headers.update(rule.get("headers", {}))
        headers["Content-Length"] = str(len(body))
        out = Engine.status_line(rule) + "".join("%s: %s\r\n" % kv for kv in headers.items()) + "\r\n"
        return out.encode("latin-1"), body

    @staticmethod
    def respond(conn, rule):
        status = rule.get("status", 200)
        body = rule.get("body", "")
        if not isinstance(body, str):
            body = json.dumps(body, separators=(",", ":")) + "\n"
        body = body.encode("utf-8")
        headers = {"Content-Type": "application/json", "Date": "Mon, 01 Jan 2024 00:00:00 GMT"}
        if rule.get("path") == "/_ping":
            headers["Content-Type"] = "text/plain; charset=utf-8"
        headers.update(rule.get("headers", {}))
        enc = rule.get("encoding", "length")
        if enc == "chunked":
            headers["Transfer-Encoding"] = "chunked"
        elif enc == "length":
            headers["Content-Length"] = str(len(body))
        out = "HTTP/1.1 %d %s\r\n" % (status, REASONS.get(status, "Status"))
        out += "".join("%s: %s\r\n" % kv for kv in headers.items()) + "\r\n"
        if enc == "chunked":
            # Headers, then each chunk in a write of its own, so the client reads them apart.
            conn.sendall(out.encode("latin-1"))
            size = max(1, int(rule.get("chunk", 16)))
            for i in range(0, len(body), size):
                piece = body[i:i + size]
                conn.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
            conn.sendall(b"0\r\n\r\n")
        else:
            # One write: a client may close as soon as it has the whole reply, and a later
            # (even empty) write would then fail.
            conn.sendall(out.encode("latin-1") + body)
        return enc == "close"


def main():
    if len(sys.argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    sock_path, script_path, record_path = sys.argv[1:]
    with open(script_path, encoding="utf-8") as f:
        script = json.load(f)

    def stop(signum, frame):
        try:
            os.unlink(sock_path)
        except OSError:
            pass
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    Engine(sock_path, script, record_path).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
