"""What a kill -9 leaves is swept by the next run (issue 20, item 7): staging
directories of exports (".<dir>.berth-tmp-*"), half-written entries inside a directory
exported into in place, and the staging layouts of archive writes. Before, only blob
temp files were swept; these stayed forever."""

from __future__ import annotations

import os
import subprocess
import time

import itlib
from hostile_registry import HostileRegistry, stalling
from itlib import kill_when, run

BIG = itlib.tar_bytes({"a/big.bin": os.urandom(3 << 20), "z.txt": b"last\n"})


def leftovers(d) -> list[str]:
    out = []
    for root, dirs, files in os.walk(d):
        out += [os.path.join(root, n) for n in dirs + files if "berth-" in n]
    return out


def stalled_registry() -> tuple[HostileRegistry, dict]:
    reg = HostileRegistry()
    layer = reg.add_blob("app", BIG)
    reg.add_image("app", "v1", [layer])
    # Enough of the tar for the big file's entry to be started, then silence.
    reg.route("GET", "/v2/app/blobs/" + layer["digest"], stalling(BIG, 5 << 19))
    return reg, layer


def partial_files(d) -> list[str]:
    return [p for p in leftovers(d) if os.path.isfile(p) and os.path.getsize(p) > 0]


def test_a_killed_export_leaves_no_staging_directory_after_the_next(berth, tmp_path):
    out = tmp_path / "rootfs"
    reg, layer = stalled_registry()
    with reg:
        kill_when([berth.binary, "export", reg.host + "/app:v1", str(out)], berth.env,
               lambda: bool(partial_files(tmp_path)))
        assert any(".rootfs.berth-tmp-" in p for p in leftovers(tmp_path))
        assert not out.exists()  # nothing half-exported under the real name
        reg.routes.clear()  # the honest blob now
        run([berth.binary, "export", reg.host + "/app:v1", str(out)], env=berth.env)
    assert leftovers(tmp_path) == []
    assert (out / "z.txt").read_bytes() == b"last\n"


def test_a_killed_in_place_export_leaves_no_partial_file_after_the_next(berth, tmp_path):
    out = tmp_path / "rootfs"
    (out / "a").mkdir(parents=True)
    (out / "keep.txt").write_text("already here\n")
    reg, layer = stalled_registry()
    with reg:
        kill_when([berth.binary, "export", reg.host + "/app:v1", str(out)], berth.env,
               lambda: bool(partial_files(out)))
        assert partial_files(out), "no half-written entry to sweep"
        reg.routes.clear()
        run([berth.binary, "export", reg.host + "/app:v1", str(out)], env=berth.env)
    assert leftovers(tmp_path) == []
    assert (out / "keep.txt").read_text() == "already here\n"
    assert (out / "a" / "big.bin").stat().st_size == 3 << 20


def test_a_killed_archive_write_leaves_no_staging_layout_after_the_next(berth, tmp_path):
    archive = tmp_path / "img.tar"
    reg, layer = stalled_registry()
    with reg:
        kill_when([berth.binary, "copy", "--quiet", reg.host + "/app:v1",
                "oci-archive:%s:v1" % archive], berth.env,
               lambda: bool(partial_files(tmp_path)))
        assert any(".img.tar.berth-tmp-" in p for p in leftovers(tmp_path))
        reg.routes.clear()
        run([berth.binary, "copy", "--quiet", reg.host + "/app:v1",
             "oci-archive:%s:v1" % archive], env=berth.env)
    assert leftovers(tmp_path) == []
    assert archive.exists()


def test_a_live_writers_staging_is_not_swept(berth, tmp_path):
    """A second export beside a running one leaves the running one's staging alone."""
    reg, layer = stalled_registry()
    with reg:
        p = subprocess.Popen([berth.binary, "export", reg.host + "/app:v1",
                              str(tmp_path / "one")], env=berth.env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not partial_files(tmp_path):
                time.sleep(0.02)
            staged = [x for x in leftovers(tmp_path) if ".one.berth-tmp-" in x]
            assert staged
            small = HostileRegistry()
            with small:
                small.add_image("app", "v1", [small.add_blob("app", itlib.tar_bytes({"s": b"s"}))])
                run([berth.binary, "export", small.host + "/app:v1", str(tmp_path / "two")],
                    env=berth.env)
            assert all(os.path.exists(x) for x in staged)
        finally:
            p.kill()
            p.wait()
