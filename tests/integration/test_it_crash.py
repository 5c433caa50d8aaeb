"""Crash and concurrency safety (issue 12 item 4): writers killed with SIGKILL
mid-write leave nothing that a later run accepts as complete, and concurrent writers
into one layout or one build cache lose nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time

import itlib
from itlib import kill_when, run


def temps_in(d: str) -> list[str]:
    out = []
    for root, _, files in os.walk(d):
        out += [os.path.join(root, f) for f in files if ".berth-tmp-" in f]
    return out


def test_concurrent_copies_into_one_layout_lose_nothing(berth, small_image, multi_image, tmp_path):
    dst = str(tmp_path / "shared")
    jobs = [(small_image["ref"], "a%d" % i) for i in range(4)] + \
           [(multi_image["ref"], "m%d" % i) for i in range(4)]
    results: dict[str, int] = {}
    errors: dict[str, str] = {}

    def one(src: str, tag: str) -> None:
        r = run([berth.binary, "copy", "--quiet", src, "oci:%s:%s" % (dst, tag)], env=berth.env,
                check=False)
        results[tag] = r.returncode
        if r.returncode:
            errors[tag] = r.stderr[-500:]

    threads = [threading.Thread(target=one, args=j) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {tag: 0 for _, tag in jobs}, errors
    tags = sorted((m.get("annotations") or {}).get("org.opencontainers.image.ref.name")
                  for m in itlib.layout_index(dst)["manifests"])
    assert tags == sorted(tag for _, tag in jobs)
    for _, tag in jobs:
        itlib.verify_layout(dst, tag)
    assert temps_in(dst) == []


def test_concurrent_builds_share_one_cache(berth, tmp_path):
    berth.env["SOURCE_DATE_EPOCH"] = "1700000000"  # reproducible: compare digests
    cache = str(tmp_path / "cache")
    app = tmp_path / "app"
    app.mkdir()
    for i in range(20):
        (app / ("f%d" % i)).write_bytes(os.urandom(64 << 10))
    results: dict[int, tuple[int, str]] = {}

    def one(i: int) -> None:
        r = run([berth.binary, "build", "--quiet", "--from", "scratch", "--layer", "%s:/app" % app,
                 "--cache", cache, "--output", "oci:%s:v1" % (tmp_path / ("out%d" % i))],
                env=berth.env, check=False)
        results[i] = (r.returncode, r.stdout.strip())

    threads = [threading.Thread(target=one, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [rc for rc, _ in results.values()] == [0] * 4, results
    assert len({d for _, d in results.values()}) == 1  # the same image, reproducibly
    # the cache serves it now
    r = run([berth.binary, "build", "--json", "--from", "scratch", "--layer", "%s:/app" % app,
             "--cache", cache, "--output", "oci:%s:v1" % (tmp_path / "again")], env=berth.env)
    doc = json.loads(r.stdout.strip().splitlines()[-1])
    assert doc["digest"] == results[0][1] and all(l["cached"] for l in doc["layers"])


def test_build_killed_mid_layer_leaves_the_cache_sound(berth, tmp_path):
    berth.env["SOURCE_DATE_EPOCH"] = "1700000000"  # reproducible: compare digests
    cache = str(tmp_path / "cache")
    app = tmp_path / "app"
    app.mkdir()
    for i in range(40):
        (app / ("f%d" % i)).write_bytes(os.urandom(2 << 20))  # incompressible: slow gzip
    cmd = [berth.binary, "build", "--quiet", "--from", "scratch", "--layer", "%s:/app" % app,
           "--cache", cache, "--output", "oci:%s:v1" % (tmp_path / "killed")]
    kill_when(cmd, berth.env, lambda: bool(temps_in(cache)))
    assert temps_in(cache), "the build left no temp file: it was not killed mid-layer"
    # the next build neither trusts nor trips over what the killed one left
    r = run(cmd[:-1] + ["oci:%s:v1" % (tmp_path / "next")], env=berth.env)
    clean = run([berth.binary, "build", "--quiet", "--from", "scratch", "--layer",
                 "%s:/app" % app, "--output", "oci:%s:v1" % (tmp_path / "clean")], env=berth.env)
    assert r.stdout.strip() == clean.stdout.strip()
    assert temps_in(cache) == []
    itlib.verify_layout(str(tmp_path / "next"), "v1")


def test_archive_killed_mid_write_keeps_the_old_file(berth, big_image, small_image, tmp_path):
    archive = tmp_path / "image.tar"
    run([berth.binary, "copy", "--quiet", small_image["ref"], "oci-archive:%s:v1" % archive],
        env=berth.env)
    before = archive.read_bytes()
    cmd = [berth.binary, "copy", "--quiet", big_image["ref"], "oci-archive:%s:v1" % archive]
    kill_when(cmd, berth.env, lambda: any(".berth-tmp-" in n and os.path.getsize(
        os.path.join(tmp_path, n)) > (4 << 20) for n in os.listdir(tmp_path)))
    assert archive.read_bytes() == before  # the old archive, whole
    # a rerun writes the new archive and sweeps the killed run's temp file
    run(cmd, env=berth.env)
    assert [n for n in os.listdir(tmp_path) if ".berth-tmp-" in n] == []
    out = str(tmp_path / "back")
    run([berth.binary, "copy", "--quiet", "oci-archive:%s:v1" % archive, "oci:%s:v1" % out],
        env=berth.env)
    assert itlib.layout_entry(out, "v1")["digest"] == big_image["digest"]


def test_pulled_blobs_are_on_disk_before_index_json_names_them(berth, big_image, plain_reg,
                                                                  tmp_path):
    """Power-loss order, read from the system calls (a kill -9 cannot show it): each
    blob's bytes are fdatasync'ed before its rename into blobs/, the blobs directory is
    fsync'ed after the last rename, and only then is index.json renamed into place."""
    strace = itlib.require_tool("strace")
    ref = "%s/durable/app:v1" % plain_reg.hostport
    run([berth.binary, "copy", "--quiet", big_image["ref"], ref], env=berth.env)
    layout = str(tmp_path / "l")
    trace = str(tmp_path / "trace")
    run([strace, "-f", "-y", "-qq", "-e", "trace=fdatasync,fsync,rename,syncfs", "-o", trace,
         berth.binary, "pull", "--quiet", ref, "oci:%s:t" % layout], env=berth.env)
    with open(trace) as f:
        calls = [line.split(None, 1)[1] for line in f if " = 0" in line]
    synced, blob_renames, last_blob, dir_sync, index = set(), [], -1, -1, -1
    for i, c in enumerate(calls):
        if c.startswith("fdatasync("):
            synced.add(c[c.index("<") + 1:c.index(">")])
        elif c.startswith('rename("') and "/blobs/sha256/" in c:
            tmp = c.split('"')[1]
            assert tmp in synced, "renamed into blobs/ before its bytes were synced: " + c
            blob_renames.append(c)
            last_blob = i
        elif c.startswith("fsync(") and c.split("<")[1].startswith(layout + "/blobs/sha256>"):
            dir_sync = i
        elif c.startswith('rename("') and c.split('"')[3] == layout + "/index.json":
            index = i
    assert len(blob_renames) >= 3, calls  # the 40 MiB layer, its config, the manifest
    assert last_blob < dir_sync < index, calls
    assert not any(c.startswith("syncfs(") for c in calls), calls
