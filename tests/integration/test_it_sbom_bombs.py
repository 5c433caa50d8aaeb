"""`berth sbom` on tiny layers built to exhaust it (issue 20, item 4): package
databases and METADATA files that would all be held in memory, millions of stanzas
each worth a warning, a binary of Go build-info headers that each claim megabytes,
megabyte-long paths, and a zstd layer that inflates to gigabytes. Every case: a clear
outcome (the packages that can be read, a bounded list of warnings, or a
decompression-bomb error), bounded peak RSS (itlib.run_measured) and bounded time.

The limits (README, "SBOM limits"): package databases (dpkg status, apk installed)
at most 64 MiB each, METADATA, PKG-INFO and status.d/ files at most 1 MiB each, at
most 64 MiB of database text held until the last layer; at most 100 warnings; paths
of at most 4096 bytes; export's decompression caps (200x, past the first 16 MiB)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import re
import subprocess
import tarfile

import itlib
from itlib import run, run_measured

OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
# Peak RSS of `berth sbom` on a small image is about 15 MiB; the bombs below took
# 120 MiB to 3 GB before the limits. The bound leaves room for one 1 MiB file, the
# 256 KiB read buffer, the decompressor and allocator slack.
RSS_BOUND = 64 << 20


class _Noisy(io.RawIOBase):
    """`size` bytes: `prefix`, then `unit` over and over, each copy's "@@@@@@@@" markers
    replaced by 8 random hex digits. A unit of about 500 bytes with one marker
    compresses about 60:1, under the 200:1 expansion limit: the layer is small, but
    not a decompression bomb, so the scanners' own limits are what is tested."""

    MARK = b"@@@@@@@@"

    def __init__(self, size: int, unit: bytes, prefix: bytes = b""):
        self.size = self.left = size
        self.parts = unit.split(self.MARK)
        self.buf, self.pos = prefix, 0

    def readable(self) -> bool:
        return True

    def _refill(self) -> None:
        unit = sum(map(len, self.parts)) + len(self.MARK) * (len(self.parts) - 1)
        copies = max(1, (1 << 20) // unit)
        rnd = os.urandom(4 * copies * (len(self.parts) - 1)).hex().encode()
        out, at = [], 0
        for _ in range(copies):
            out.append(self.parts[0])
            for part in self.parts[1:]:
                out.append(rnd[at:at + 8])
                out.append(part)
                at += 8
        self.buf, self.pos = b"".join(out), 0

    def readinto(self, b) -> int:
        n = min(len(b), self.left)
        done = 0
        while done < n:
            if self.pos == len(self.buf):
                self._refill()
            take = min(n - done, len(self.buf) - self.pos)
            b[done:done + take] = self.buf[self.pos:self.pos + take]
            done += take
            self.pos += take
        self.left -= n
        return n


class _Tee:
    """Writes to the compressor, hashing the tar on the way (the layer's diff_id)."""

    def __init__(self, f):
        self.f, self.h = f, hashlib.sha256()

    def write(self, b) -> int:
        self.h.update(b)
        self.f.write(b)
        return len(b)


def zstd_layer(layout: str, members: list[tuple[str, bytes | _Noisy]]) -> dict:
    """A zstd tar layer streamed into the layout's blobs: each member is (path, data),
    a regular file holding the bytes or what the _Noisy generator makes."""
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    tmp = os.path.join(layout, "layer.tmp")
    with open(tmp, "wb") as out:
        z = subprocess.Popen(["zstd", "-q", "-c", "-3"], stdin=subprocess.PIPE, stdout=out)
        tee = _Tee(z.stdin)
        with tarfile.open(fileobj=tee, mode="w|", format=tarfile.PAX_FORMAT) as tf:
            for name, data in members:
                ti = tarfile.TarInfo(name)
                ti.size, ti.mode, ti.mtime = (data.size if isinstance(data, _Noisy)
                                              else len(data)), 0o755, 1700000000
                reader = io.BufferedReader(data) if isinstance(data, _Noisy) else io.BytesIO(data)
                tf.addfile(ti, reader)
        z.stdin.close()
        assert z.wait() == 0
    digest = itlib.sha256_file(tmp)
    os.rename(tmp, itlib.blob_path(layout, digest))
    return {"mediaType": OCI_LAYER_ZSTD, "digest": digest, "size": os.path.getsize(
        itlib.blob_path(layout, digest)), "diff_id": "sha256:" + tee.h.hexdigest()}


def bomb_image(tmp_path, members: list[tuple[str, bytes | _Noisy]],
               *upper: list[tuple[str, bytes | _Noisy]]) -> tuple[str, dict]:
    """oci:LAYOUT:v1, a zstd layer holding `members` (and more layers on top of it,
    one per `upper` list); and a clean environment."""
    layout = str(tmp_path / "layout")
    layers = [zstd_layer(layout, m) for m in (members, *upper)]
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "mediaType": itlib.OCI_INDEX, "manifests": []}, f)
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
        "rootfs": {"type": "layers", "diff_ids": [l["diff_id"] for l in layers]}}).encode()
    cdesc = itlib.write_blob(layout, config)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": itlib.OCI_MANIFEST,
        "config": {"mediaType": itlib.OCI_CONFIG, **cdesc},
        "layers": [{k: l[k] for k in ("mediaType", "digest", "size")} for l in layers]}).encode()
    mdesc = itlib.write_blob(layout, manifest)
    itlib.set_layout_tag(layout, "v1", {"mediaType": itlib.OCI_MANIFEST, **mdesc})
    env = itlib.clean_env(str(tmp_path / "home"), SOURCE_DATE_EPOCH="1700000000")
    return "oci:%s:v1" % layout, env


def sbom_measured(berth_bin: str, ref: str, env: dict, timeout: float = 60):
    r, rss = run_measured([berth_bin, "sbom", ref], env=env, timeout=timeout)
    print("berth sbom: exit %d, %.2f s, peak RSS %d MiB" % (r.returncode, r.seconds, rss >> 20))
    return r, rss


def warning_lines(r) -> list[str]:
    return [l for l in r.stderr.splitlines() if l.startswith("warning: ")]


def test_four_hundred_metadata_files_are_parsed_one_at_a_time(berth_bin, tmp_path):
    """400 METADATA files of 1 MiB (each within the per-file cap) from a layer of a
    few hundred KiB: all 400 distributions are listed, but only one file is in memory
    at a time (was: every one held to the end, 418 MiB)."""
    n, size = 400, 1 << 20
    members = []
    for i in range(n):
        head = b"Metadata-Version: 2.1\nName: bomb%d\nVersion: 1.0\n\n" % i
        members.append(("usr/lib/python3/site-packages/bomb%d-1.0.dist-info/METADATA" % i,
                        _Noisy(size, b"x" * 500 + _Noisy.MARK + b"\n", head)))
    ref, env = bomb_image(tmp_path, members)
    r, rss = sbom_measured(berth_bin, ref, env)
    assert r.returncode == 0, r.describe()
    doc = json.loads(r.stdout)
    names = {p["name"] for p in doc["packages"]}
    assert {"bomb%d" % i for i in range(n)} <= names
    assert rss < RSS_BOUND, "peak RSS %d MiB" % (rss >> 20)


def test_huge_status_d_files_are_skipped_unread(berth_bin, tmp_path):
    """dpkg status.d/ files hold one package each (a few KiB): seven of 60 MiB are
    each skipped with one warning, never read into memory (was: 433 MiB)."""
    size = 60 << 20
    members = [("var/lib/dpkg/status.d/pkg%d" % i,
                _Noisy(size, b" " + b"y" * 500 + _Noisy.MARK + b"\n",
                       b"Package: pkg%d\nVersion: 1\nDescription: x\n" % i))
               for i in range(7)]
    ref, env = bomb_image(tmp_path, members)
    r, rss = sbom_measured(berth_bin, ref, env)
    assert r.returncode == 0, r.describe()
    skipped = [l for l in warning_lines(r) if "status.d/pkg" in l and "skipped" in l]
    assert len(skipped) == 7, r.stderr[-2000:]
    assert rss < RSS_BOUND, "peak RSS %d MiB" % (rss >> 20)


def test_millions_of_stanzas_without_a_package_give_bounded_warnings(berth_bin, tmp_path):
    """A 16 MiB dpkg status of 4 million stanzas without a Package: was one warning
    each (hundreds of MiB of them, 1 GiB RSS, 12 s); now 20 warnings of that kind for
    the file, then one line counting the rest (and never more than 100 in all)."""
    stanzas = b"a:\n\n" * 127 + b"a:" + _Noisy.MARK + b"\n\n"
    ref, env = bomb_image(tmp_path, [("var/lib/dpkg/status", _Noisy(16 << 20, stanzas))])
    r, rss = sbom_measured(berth_bin, ref, env)
    assert r.returncode == 0, r.describe()
    warnings = warning_lines(r)
    assert 0 < len(warnings) <= 100, len(warnings)
    assert re.search(r": \d{7} more like these not listed$", warnings[-1]), warnings[-1]
    doc = json.loads(r.stdout)
    assert len(doc["creationInfo"]["comment"]) < 64 << 10
    assert rss < RSS_BOUND, "peak RSS %d MiB" % (rss >> 20)
    assert r.seconds < 15, r.seconds


def go_header_bomb(size: int) -> bytes:
    """An ELF file of Go build-info headers at every 48 bytes (16-byte aligned), each
    claiming a 4 MiB version string."""
    claim = 4 << 20
    varint = bytearray()
    while claim >= 0x80:
        varint.append((claim & 0x7F) | 0x80)
        claim >>= 7
    varint.append(claim)
    header = b"\xff Go buildinf:" + b"\x08\x02"
    header = header.ljust(32, b"\0") + bytes(varint)
    header = header.ljust(48, b"\0")
    return b"\x7fELF" + b"\0" * 12 + header * ((size - 16) // len(header))


def test_go_build_info_headers_claiming_megabytes_scan_in_linear_time(berth_bin, tmp_path):
    """6 MiB of Go build-info headers each claiming a 4 MiB version: each used to be
    captured, given up and rescanned (quadratic: 30 s for 6 MiB, 44.9 s for 32 MiB in
    the report); now a version longer than any Go version is refused at its header."""
    data = go_header_bomb(6 << 20)
    ref, env = bomb_image(tmp_path, [("usr/bin/gobomb", data)])
    r, rss = sbom_measured(berth_bin, ref, env, timeout=60)
    assert r.returncode == 0, r.describe()
    assert r.seconds < 10, r.seconds
    doc = json.loads(r.stdout)
    assert "./usr/bin/gobomb" in {f["fileName"] for f in doc["files"]}
    assert rss < RSS_BOUND, "peak RSS %d MiB" % (rss >> 20)


def test_megabyte_paths_are_skipped_in_linear_time(berth_bin, tmp_path):
    """Eight entries whose pax paths are ~1 MiB of "a/a/a/...": was quadratic in the
    path's depth (68.5 s for twenty); now each is skipped with a warning, as export
    refuses paths over 4096 bytes, and the rest of the layer is described."""
    deep = "a/" * ((1 << 20) // 2 - 64)
    members: list = [(deep + "f%d" % i, b"x") for i in range(8)]
    members.append(("etc/ok", b"fine\n"))
    ref, env = bomb_image(tmp_path, members)
    r, rss = sbom_measured(berth_bin, ref, env, timeout=60)
    assert r.returncode == 0, r.describe()
    assert r.seconds < 10, r.seconds
    long = [l for l in warning_lines(r) if "longer than 4096 bytes" in l]
    assert len(long) == 8, r.stderr[-2000:]
    assert all(len(l) < 1000 for l in warning_lines(r))
    doc = json.loads(r.stdout)
    assert {f["fileName"] for f in doc["files"]} == {"./etc/ok"}
    assert rss < RSS_BOUND, "peak RSS %d MiB" % (rss >> 20)


def test_thousands_of_deep_paths_within_the_cap_cost_their_length(berth_bin, tmp_path):
    """5000 files 4 KiB deep ("dN/x/q/.../f": 2000 levels of random letters, so the
    layer stays under the expansion limit) below a layer of 100 such files: whiteout
    bookkeeping is one pass over each path, and memory about its bytes (was: every
    ancestor of each lower path copied and hashed anew, 4 MB per path, 10 s)."""
    rnd = random.Random(20)

    def deep(top: str) -> str:
        return top + "/" + "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") + "/"
                                   for _ in range(2000)) + "f"

    lower = [(deep("d%d" % i), b"old") for i in range(5000)] + [("etc/base", b"b")]
    upper = [(deep("u%d" % i), b"new") for i in range(100)]
    ref, env = bomb_image(tmp_path, lower, upper)
    r, rss = sbom_measured(berth_bin, ref, env)
    assert r.returncode == 0, r.describe()
    assert r.seconds < 4, r.seconds  # 1.1 s; 6.5 s before
    doc = json.loads(r.stdout)
    assert len(doc["files"]) == 5101
    # 20 MiB of paths, held in the view's sets, the file list and the document.
    assert rss < 4 * RSS_BOUND, "peak RSS %d MiB" % (rss >> 20)


def test_a_zstd_decompression_bomb_is_refused(berth_bin, tmp_path):
    """512 MiB of zeros in a zstd layer of a few KiB: export's expansion limit (200x
    past the first 16 MiB) stops sbom too, with a clear error, after ~16 MiB (was:
    every byte decompressed and hashed). validate never decompresses layers: it only
    checks the compressed blob's digest, quickly."""
    ref, env = bomb_image(tmp_path, [("zeros", _Noisy(512 << 20, b"\0" * 4096))])
    r, rss = sbom_measured(berth_bin, ref, env)
    assert r.returncode != 0, r.describe()
    assert "expansion ratio limit" in r.stderr and "decompression bomb" in r.stderr, r.stderr
    assert r.stdout == ""
    assert r.seconds < 5, r.seconds
    assert rss < RSS_BOUND, "peak RSS %d MiB" % (rss >> 20)
    v = run([berth_bin, "validate", ref], env=env, check=False, timeout=60)
    assert v.returncode == 0, v.describe()
