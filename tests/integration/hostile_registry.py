"""A registry that lies, for fault injection no real server does on purpose.

It serves an anonymous (or Bearer-challenging) distribution API from an in-memory
table of manifests and blobs, and lets a test replace any reply with its own handler:
bytes that don't match their digest, bodies that stall or dribble, token realms that
point somewhere else. Real registries (tests/servers) cover the honest protocol; this
covers the hostile one. Listens on 127.0.0.1 only, plain HTTP or TLS.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import re
import socket
import ssl
import threading
import time
from typing import Callable

Handler = Callable[[http.server.BaseHTTPRequestHandler], None]


def digest(data: bytes, algorithm: str = "sha256") -> str:
    return algorithm + ":" + hashlib.new(algorithm, data).hexdigest()


class HostileRegistry:
    def __init__(self, *, tls_cert: tuple[str, str] | None = None,
                 bearer_realm: str | None = None) -> None:
        self.manifests: dict[str, tuple[str, bytes]] = {}  # "repo/ref" -> (type, bytes)
        self.blobs: dict[str, bytes] = {}  # "repo/digest" -> bytes
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.bearer_realm = bearer_realm
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):  # quiet
                pass

            def handle_one(self) -> None:
                outer.requests.append((self.command, self.path, dict(self.headers)))
                for method, pattern, handler in outer.routes:
                    if method == self.command and pattern.fullmatch(self.path.split("?")[0]):
                        handler(self)
                        return
                outer.default(self)

            do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_one

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.scheme = "http"
        if tls_cert:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(*tls_cert)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.port = self.server.server_address[1]
        self.host = "127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "HostileRegistry":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- content -----------------------------------------------------------------
    def add_blob(self, repo: str, data: bytes, algorithm: str = "sha256",
                 served: bytes | None = None) -> dict:
        """Stores a blob; `served` replaces the bytes actually sent (a lie)."""
        d = digest(data, algorithm)
        self.blobs[repo + "/" + d] = data if served is None else served
        return {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d,
                "size": len(data)}

    def add_image(self, repo: str, tag: str, layers: list[dict],
                  config: bytes = b'{"architecture":"amd64","os":"linux","rootfs":'
                                  b'{"type":"layers","diff_ids":[]}}',
                  trailing: bytes = b"") -> tuple[str, bytes]:
        cfg = self.add_blob(repo, config)
        cfg["mediaType"] = "application/vnd.oci.image.config.v1+json"
        m = json.dumps({"schemaVersion": 2,
                        "mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "config": cfg, "layers": layers}).encode() + trailing
        self.put_manifest(repo, tag, m)
        return digest(m), m

    def put_manifest(self, repo: str, ref: str, data: bytes,
                     media_type: str = "application/vnd.oci.image.manifest.v1+json") -> None:
        self.manifests[repo + "/" + ref] = (media_type, data)
        self.manifests[repo + "/" + digest(data)] = (media_type, data)

    def route(self, method: str, path_regex: str, handler: Handler) -> None:
        self.routes.insert(0, (method, re.compile(path_regex), handler))

    # -- the honest default --------------------------------------------------------
    def default(self, h: http.server.BaseHTTPRequestHandler) -> None:
        path = h.path.split("?")[0]
        if self.bearer_realm and not h.headers.get("Authorization", "").startswith("Bearer "):
            challenge = 'Bearer realm="%s",service="hostile"' % self.bearer_realm
            return send(h, 401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                        {"WWW-Authenticate": challenge, "Content-Type": "application/json"})
        if path == "/v2/":
            return send(h, 200, b"{}", {"Content-Type": "application/json"})
        m = re.fullmatch(r"/v2/(.+)/(manifests|blobs)/([^/]+)", path)
        if m:
            repo, kind, ref = m.groups()
            if kind == "manifests" and repo + "/" + ref in self.manifests:
                mt, data = self.manifests[repo + "/" + ref]
                return send(h, 200, data, {"Content-Type": mt,
                                           "Docker-Content-Digest": digest(data)})
            if kind == "blobs" and repo + "/" + ref in self.blobs:
                return send(h, 200, self.blobs[repo + "/" + ref],
                            {"Content-Type": "application/octet-stream"})
        send(h, 404, b'{"errors":[{"code":"NOT_FOUND","message":"unknown"}]}',
             {"Content-Type": "application/json"})


def send(h: http.server.BaseHTTPRequestHandler, status: int, body: bytes,
         headers: dict[str, str] | None = None) -> None:
    h.send_response(status)
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    if h.command != "HEAD":
        h.wfile.write(body)


def announce(h: http.server.BaseHTTPRequestHandler, body: bytes) -> None:
    """Headers that promise the whole body (what a lying sender starts with)."""
    h.send_response(200)
    h.send_header("Content-Length", str(len(body)))
    h.send_header("Content-Type", "application/octet-stream")
    h.end_headers()


def stalling(body: bytes, send_first: int, hold: float = 120) -> Handler:
    """Announces the whole body, sends send_first bytes, then goes silent."""
    def handler(h: http.server.BaseHTTPRequestHandler) -> None:
        announce(h, body)
        try:
            h.wfile.write(body[:send_first])
            h.wfile.flush()
            time.sleep(hold)
        except OSError:
            pass
        h.close_connection = True
    return handler


def dribbling(body: bytes, every: float = 1.0) -> Handler:
    """Sends the body one byte per `every` seconds: never idle, never useful."""
    def handler(h: http.server.BaseHTTPRequestHandler) -> None:
        announce(h, body)
        try:
            for i in range(len(body)):
                h.wfile.write(body[i:i + 1])
                h.wfile.flush()
                time.sleep(every)
        except OSError:
            pass
        h.close_connection = True
    return handler


class TokenRecorder:
    """A plain-http listener that records whoever calls it (a token realm that must
    never be called)."""

    def __init__(self) -> None:
        self.hits: list[dict[str, str]] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.url = "http://127.0.0.1:%d/token" % self.port
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = conn.recv(65536).decode("latin-1")
                self.hits.append({"raw": data})
                body = b'{"token":"stolen"}'
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
                             % (len(body), body))

    def close(self) -> None:
        self.sock.close()


# -- bodies that never end, lie about their length, or lead in circles -----------------


def endless(prefix: bytes, unit: bytes, sent: list[int] | None = None,
            content_type: str = "application/json", safety_limit: int = 2 << 30) -> Handler:
    """A chunked reply that never ends: `prefix`, then `unit` over and over until the
    client hangs up (or, should it never, `safety_limit` bytes). Bytes written are
    added to sent[0]."""
    block = unit * max(1, (64 << 10) // len(unit))

    def handler(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", content_type)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        total, data = 0, prefix + block
        try:
            while total < safety_limit:
                h.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                total += len(data)
                if sent is not None:
                    sent[0] += len(data)
                data = block
        except OSError:
            pass
        h.close_connection = True
    return handler


def lazily_sized(size: int, prefix: bytes, unit: bytes, sent: list[int] | None = None,
                 content_type: str = "application/vnd.oci.image.manifest.v1+json") -> Handler:
    """A reply announcing `size` bytes (Content-Length), made up as it is sent —
    never held in memory: `prefix`, then `unit` repeated up to `size`."""
    block = unit * max(1, (64 << 10) // len(unit))

    def handler(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(size))
        h.end_headers()
        left, data = size, prefix + block
        try:
            while left > 0:
                chunk = data[:left]
                h.wfile.write(chunk)
                left -= len(chunk)
                if sent is not None:
                    sent[0] += len(chunk)
                data = block
        except OSError:
            pass
        h.close_connection = True
    return handler


def wrong_length(body: bytes, announced: int, content_type: str = "application/octet-stream",
                 headers: dict[str, str] | None = None) -> Handler:
    """Announces `announced` bytes as Content-Length but sends `body` (shorter: the
    connection closes early; longer: the rest trails behind the announced end)."""
    def handler(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", content_type)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(announced))
        h.end_headers()
        try:
            if h.command != "HEAD":
                h.wfile.write(body)
                h.wfile.flush()
        except OSError:
            pass
        h.close_connection = True
    return handler


def redirect(location: str, status: int = 302) -> Handler:
    """Redirects every request to `location` (a loop when it points back)."""
    def handler(h: http.server.BaseHTTPRequestHandler) -> None:
        send(h, status, b"", {"Location": location})
    return handler


def endless_headers(one_line: bool, sent: list[int] | None = None) -> Handler:
    """A reply whose headers never end: ever more header lines, or one header line
    that never ends."""
    def handler(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response_only(200)
        h.flush_headers()  # the status line; then header lines of our own, unbuffered
        try:
            if one_line:
                h.wfile.write(b"X-Long: ")
            for i in range(1 << 20):  # 1 GB at most, should the client never hang up
                data = b"a" * 1024 if one_line else b"X-Junk-%d: %s\r\n" % (i, b"a" * 1000)
                h.wfile.write(data)
                if sent is not None:
                    sent[0] += len(data)
        except OSError:
            pass
        h.close_connection = True
    return handler


class RangeServer:
    """A blob GET handler that honours Range, `rate` bytes/s per connection, and
    records each request's Range header and the most connections at once."""

    def __init__(self, body: bytes, rate: float | None = None, honour_range: bool = True,
                 corrupt_from: int | None = None, lie_start: bool = False,
                 drop_once_after: int | None = None, content_range: bool = True) -> None:
        self.body, self.rate, self.honour_range = body, rate, honour_range
        self.corrupt_from, self.lie_start = corrupt_from, lie_start
        self.drop_once_after = drop_once_after
        self.content_range = content_range
        self.ranges: list[str | None] = []
        self.active = self.most_active = 0
        self.lock = threading.Lock()

    def __call__(self, h) -> None:
        rng = h.headers.get("Range")
        with self.lock:
            self.ranges.append(rng)
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        try:
            self._serve(h, rng)
        finally:
            with self.lock:
                self.active -= 1

    def _serve(self, h, rng: str | None) -> None:
        total = len(self.body)
        first, last, status = 0, total - 1, 200
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", rng or "")
        if m and self.honour_range:
            first = int(m.group(1))
            last = min(int(m.group(2)), total - 1) if m.group(2) else total - 1
            status = 206
        part = bytearray(self.body[first:last + 1])
        if self.corrupt_from is not None and first <= self.corrupt_from <= last:
            part[self.corrupt_from - first] ^= 0xFF
        h.send_response(status)
        h.send_header("Content-Type", "application/octet-stream")
        h.send_header("Content-Length", str(len(part)))
        if self.honour_range:
            h.send_header("Accept-Ranges", "bytes")
        if status == 206 and self.content_range:
            shown = first + 1 if (self.lie_start and first > 0) else first
            h.send_header("Content-Range", "bytes %d-%d/%d" % (shown, last, total))
        h.end_headers()
        drop_after = None
        with self.lock:
            if self.drop_once_after is not None and first > 0:
                drop_after, self.drop_once_after = self.drop_once_after, None
        step, sent = 64 << 10, 0
        try:
            while sent < len(part):
                if drop_after is not None and sent >= drop_after:
                    h.close_connection = True
                    h.connection.shutdown(2)  # a dropped connection mid-segment
                    return
                h.wfile.write(part[sent:sent + step])
                sent += step
                if self.rate:
                    time.sleep(step / self.rate)
        except OSError:
            h.close_connection = True
