"""A copy verifies every blob in the stream (issue 20, item 6).

A lying source blob copied registry to registry used to land with rc 0 when the
destination did not check the digest at the upload's final PUT. berth now hashes what
it reads (once for all destinations of a replicate) and stops before the last byte of
a wrong blob is sent, so no upload completes with it. The destination here stores
whatever it is given, as a registry that does not verify would."""

from __future__ import annotations

import http.server
import re
import uuid

import itlib
from hostile_registry import HostileRegistry, send
from itlib import EXIT_TRANSFER, run

LAYER = itlib.tar_bytes({"hello.txt": b"the honest layer\n"})
EVIL = itlib.tar_bytes({"hello.txt": b"the lying layer!\n"})


def read_body(h: http.server.BaseHTTPRequestHandler) -> bytes:
    if h.headers.get("Transfer-Encoding", "").lower() == "chunked":
        out = b""
        while True:
            size = int(h.rfile.readline().split(b";")[0], 16)
            if size == 0:
                h.rfile.readline()
                return out
            out += h.rfile.read(size)
            h.rfile.readline()
    want = int(h.headers.get("Content-Length") or 0)
    data = h.rfile.read(want)
    if len(data) != want:  # the client hung up mid-body: no request happened
        h.close_connection = True
        raise ConnectionAbortedError("short body")
    return data


class TrustingRegistry(HostileRegistry):
    """Accepts uploads and stores them under the digest the client names, unchecked."""

    def __init__(self) -> None:
        super().__init__()
        self.uploads: dict[str, bytes] = {}
        self.committed: dict[str, bytes] = {}

        def start(h):
            read_body(h)
            uid = uuid.uuid4().hex
            self.uploads[uid] = b""
            send(h, 202, b"", {"Location": "/upload/" + uid, "Range": "0-0",
                               "Docker-Upload-UUID": uid})

        def patch(h):
            uid = h.path.split("?")[0].rsplit("/", 1)[1]
            try:
                self.uploads[uid] += read_body(h)
            except ConnectionAbortedError:
                return
            n = len(self.uploads[uid])
            send(h, 202, b"", {"Location": "/upload/" + uid, "Range": "0-%d" % max(n - 1, 0)})

        def put(h):
            path, _, query = h.path.partition("?")
            uid = path.rsplit("/", 1)[1]
            try:
                data = self.uploads.get(uid, b"") + read_body(h)
            except ConnectionAbortedError:
                return
            digest = re.search(r"digest=([^&]+)", query).group(1).replace("%3A", ":")
            self.committed[digest] = data  # no check: what a non-verifying store does
            send(h, 201, b"", {"Docker-Content-Digest": digest})

        def blob_head(h):
            digest = h.path.rsplit("/", 1)[1]
            if digest in self.committed:
                return send(h, 200, b"", {"Content-Length": str(len(self.committed[digest]))})
            send(h, 404, b"")

        def manifest_put(h):
            body = read_body(h)
            send(h, 201, b"", {"Docker-Content-Digest": "sha256:" + __import__(
                "hashlib").sha256(body).hexdigest()})

        self.route("POST", r"/v2/.+/blobs/uploads/", start)
        self.route("PATCH", r"/upload/.+", patch)
        self.route("PUT", r"/upload/.+", put)
        self.route("HEAD", r"/v2/.+/blobs/.+", blob_head)
        self.route("PUT", r"/v2/.+/manifests/.+", manifest_put)


def lying_source(reg: HostileRegistry) -> str:
    layer = reg.add_blob("app", LAYER, served=EVIL)  # same length, other bytes
    reg.add_image("app", "v1", [layer])
    return layer["digest"]


def test_copy_refuses_a_lying_blob_even_when_the_destination_trusts_it(berth, tmp_path):
    with HostileRegistry() as src, TrustingRegistry() as dst:
        digest = lying_source(src)
        r = run([berth.binary, "copy", "--quiet", src.host + "/app:v1", dst.host + "/app:v1"],
                env=berth.env, check=False)
        assert r.returncode == EXIT_TRANSFER, r.describe()
        assert "arrived with digest" in r.stderr and digest in r.stderr, r.stderr
        assert digest not in dst.committed, "the lying blob was committed"
        # An honest source copies, through the same trusting destination.
        src.blobs["app/" + digest] = LAYER
        run([berth.binary, "copy", "--quiet", src.host + "/app:v1", dst.host + "/app:v1"],
            env=berth.env)
        assert dst.committed[digest] == LAYER


def test_chunked_copy_refuses_a_lying_blob(berth, tmp_path):
    """With --chunk-size, each PATCH reopens the source at its offset: one digest
    follows them all."""
    big = itlib.tar_bytes({"big.bin": bytes(range(256)) * 200000})  # ~51 MB
    evil = bytearray(big)
    evil[-2000] ^= 1
    with HostileRegistry() as src, TrustingRegistry() as dst:
        layer = src.add_blob("app", big, served=bytes(evil))
        src.add_image("app", "v1", [layer])
        r = run([berth.binary, "copy", "--quiet", "--chunk-size", "17000000",
                 src.host + "/app:v1", dst.host + "/app:v1"], env=berth.env, check=False,
                timeout=300)
        assert r.returncode == EXIT_TRANSFER, r.describe()
        assert layer["digest"] not in dst.committed
        src.blobs["app/" + layer["digest"]] = big
        run([berth.binary, "copy", "--quiet", "--chunk-size", "17000000",
             src.host + "/app:v1", dst.host + "/app:v1"], env=berth.env, timeout=300)
        assert itlib.sha256(dst.committed[layer["digest"]]) == layer["digest"]


def test_replicate_fan_out_refuses_a_lying_blob(berth, tmp_path):
    with HostileRegistry() as src, TrustingRegistry() as a, TrustingRegistry() as b:
        digest = lying_source(src)
        r = run([berth.binary, "replicate", "--quiet", src.host + "/app:v1",
                 a.host + "/app:v1", b.host + "/app:v1"], env=berth.env, check=False)
        assert r.returncode == EXIT_TRANSFER, r.describe()
        assert digest not in a.committed and digest not in b.committed
