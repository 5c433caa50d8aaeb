"""berth.copy against a real registry: Debian's docker-registry on 127.0.0.1.

The source image is an OCI layout made with umoci (no daemon). It travels
oci: -> docker:// -> oci: through the binding; skopeo is the independent judge of
what the registry and the layouts hold. Nothing leaves the loopback interface.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import os
import shutil
import subprocess
import threading
import traceback
from pathlib import Path
from typing import Dict, NamedTuple

import pytest

import berth

REGISTRY_BIN = os.environ.get("BERTH_DOCKER_REGISTRY", "docker-registry")
_MISSING = [t for t in (REGISTRY_BIN, "umoci", "skopeo") if not shutil.which(t)]
pytestmark = pytest.mark.skipif(bool(_MISSING), reason=f"needs {', '.join(_MISSING)}")

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
# Big enough that the layer moves in several blob_progress steps.
DATA_SIZE = 2 * 1024 * 1024  # several 512 KiB transport reads, so progress takes steps


class Image(NamedTuple):
    layout: Path
    ref: str                 # "oci:LAYOUT:v1"
    digest: str              # of its manifest
    blobs: Dict[str, int]    # config and layers: digest -> size


def _run(*cmd: str) -> bytes:
    return subprocess.run(cmd, check=True, capture_output=True, timeout=60).stdout


def _blob_path(layout: Path, digest: str) -> Path:
    algo, hexpart = digest.split(":", 1)
    return layout / "blobs" / algo / hexpart


def raw_digest(ref: str) -> str:
    """sha256 of the manifest skopeo reads at ref (docker://... or oci:...)."""
    raw = _run("skopeo", "inspect", "--raw", "--tls-verify=false", ref)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


from _keychain import empty_keychain  # noqa: E402,F401  (autouse, module-wide)


@pytest.fixture(scope="module")
def registry():
    import stack

    with stack.Registry() as reg:
        yield reg


@pytest.fixture(scope="module")
def host(registry) -> str:
    return registry.hostport


_names = itertools.count()


@pytest.fixture
def repo(host, request) -> str:
    """A fresh repository per test: docker://HOST/bind/<test>-<n>."""
    name = request.node.name.lower().replace("[", "-").replace("]", "").replace("_", "-")
    return f"docker://{host}/bind/{name}-{next(_names)}"


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> Image:
    work = tmp_path_factory.mktemp("image")
    layout, src = work / "layout", work / "src"
    (src / "data").mkdir(parents=True)
    (src / "hello.txt").write_text("hello from the berth Python binding\n")
    (src / "data" / "random.bin").write_bytes(os.urandom(DATA_SIZE))
    rootless = ["--rootless"] if os.geteuid() != 0 else []
    _run("umoci", "init", "--layout", str(layout))
    _run("umoci", "new", "--image", f"{layout}:v1")
    _run("umoci", "insert", *rootless, "--image", f"{layout}:v1", str(src), "/app")

    index = json.loads((layout / "index.json").read_text())
    (desc,) = [m for m in index["manifests"]
               if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == "v1"]
    manifest = json.loads(_blob_path(layout, desc["digest"]).read_bytes())
    blobs = {manifest["config"]["digest"]: manifest["config"]["size"]}
    blobs.update({layer["digest"]: layer["size"] for layer in manifest["layers"]})
    assert len(blobs) == 2 and max(blobs.values()) > DATA_SIZE // 2
    return Image(layout, f"oci:{layout}:v1", desc["digest"], blobs)


def assert_absent(ref: str, tmp_path: Path) -> None:
    with pytest.raises(berth.NotFoundError):
        berth.copy(ref, f"oci:{tmp_path / 'absent'}:x")


# ---------------------------------------------------------------------------------
# Round trip


def test_round_trip_keeps_the_digest(image, repo, tmp_path):
    dst = f"{repo}:v1"
    up = berth.copy(image.ref, dst)
    assert up == berth.CopyResult(
        digest=image.digest, media_type=OCI_MANIFEST, bytes_copied=sum(image.blobs.values()),
        blobs_copied=2, blobs_skipped=0, blobs_mounted=0, manifests=1)
    assert raw_digest(dst) == image.digest

    out = tmp_path / "out"
    down = berth.copy(dst, f"oci:{out}:copied")
    assert (down.digest, down.media_type) == (image.digest, OCI_MANIFEST)
    assert (down.blobs_copied, down.bytes_copied, down.manifests) == \
        (2, sum(image.blobs.values()), 1)
    assert raw_digest(f"oci:{out}:copied") == image.digest
    for digest in (*image.blobs, image.digest):
        assert _blob_path(out, digest).read_bytes() == _blob_path(image.layout, digest).read_bytes()


def test_result_is_a_frozen_dataclass(image, repo):
    r = berth.copy(image.ref, f"{repo}:v1")
    assert dataclasses.is_dataclass(r) and type(r).__module__ == "berth"
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.digest = "sha256:0"


def test_second_copy_skips_what_is_there(image, repo):
    first = berth.copy(image.ref, f"{repo}:a")
    assert first.blobs_copied == 2

    events = []
    second = berth.copy(image.ref, f"{repo}:b", progress=events.append)
    assert (second.digest, second.blobs_copied, second.blobs_skipped, second.blobs_mounted,
            second.bytes_copied, second.manifests) == (image.digest, 0, 2, 0, 0, 1)
    assert sorted(e.digest for e in events if e.event == "blob_skipped") == sorted(image.blobs)
    assert {e.event for e in events} == {"blob_skipped", "manifest_done"}

    # The tag already names this digest: nothing is moved or written.
    again = berth.copy(image.ref, f"{repo}:b")
    assert again.digest == image.digest
    assert (again.blobs_copied, again.blobs_skipped, again.bytes_copied, again.manifests) == \
        (0, 0, 0, 0)


def test_copy_within_the_registry_mounts_blobs(image, repo):
    src = f"{repo}-src:v1"
    berth.copy(image.ref, src)
    events = []
    r = berth.copy(src, f"{repo}-dst:v1", progress=events.append)
    assert (r.digest, r.blobs_mounted, r.blobs_copied, r.bytes_copied) == (image.digest, 2, 0, 0)
    assert sorted(e.digest for e in events if e.event == "blob_mounted") == sorted(image.blobs)
    assert raw_digest(f"{repo}-dst:v1") == image.digest


def test_copies_from_many_threads(image, host):
    results, errors = [], []

    def work(i):
        try:
            results.append(berth.copy(image.ref, f"docker://{host}/bind/threads-{i}:v1", jobs=2))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and len(results) == 4
    assert {r.digest for r in results} == {image.digest}


# ---------------------------------------------------------------------------------
# Progress


def test_progress_events(image, repo):
    events, threads = [], set()
    in_callback, overlaps = threading.Lock(), []

    def progress(p):
        if not in_callback.acquire(blocking=False):
            overlaps.append(p)  # berth promises one call at a time
            return None
        try:
            threads.add(threading.get_ident())
            events.append(p)
            return None  # falsy: carry on
        finally:
            in_callback.release()

    r = berth.copy(image.ref, f"{repo}:v1", progress=progress, jobs=4)
    assert overlaps == []
    assert all(type(e) is berth.Progress for e in events)
    kinds = [e.event for e in events]
    assert {"blob_started", "blob_progress", "blob_done", "manifest_done"} <= set(kinds)
    assert set(kinds) <= {"blob_started", "blob_progress", "blob_done", "manifest_done"}

    done = {e.digest: e for e in events if e.event == "blob_done"}
    assert set(done) == set(image.blobs)
    for digest, e in done.items():
        assert e.bytes == e.total == image.blobs[digest]
    started = [e.digest for e in events if e.event == "blob_started"]
    assert sorted(started) == sorted(image.blobs)

    # Per blob, bytes grow to the size; the big layer takes several steps.
    layer = max(image.blobs, key=image.blobs.get)
    steps = [e.bytes for e in events if e.event == "blob_progress" and e.digest == layer]
    assert len(steps) >= 2 and steps == sorted(steps) and steps[-1] == image.blobs[layer]

    # Overall bytes only grow, never pass the total, and end at what was copied.
    overall = [e.overall_bytes for e in events]
    assert overall == sorted(overall)
    assert all(e.overall_bytes <= e.overall_total for e in events)
    total = sum(image.blobs.values())
    assert events[-1].overall_bytes == events[-1].overall_total == total == r.bytes_copied

    assert kinds[-1] == "manifest_done" and kinds.count("manifest_done") == 1
    assert events[-1].digest == r.digest == image.digest
    assert events[-1].bytes == events[-1].total > 0


def test_progress_with_one_job_runs_on_one_thread(image, repo):
    # From a thread other than the main one, that is the calling thread; from the
    # main thread the call runs on a worker of its own (so that Ctrl-C can stop it).
    threads = set()
    caller = {}

    def copy_off_main() -> None:
        caller["id"] = threading.get_ident()
        caller["result"] = berth.copy(image.ref, f"{repo}:v1", jobs=1,
                                      progress=lambda p: threads.add(threading.get_ident()))

    t = threading.Thread(target=copy_off_main)
    t.start()
    t.join()
    assert caller["result"].blobs_copied == 2 and threads == {caller["id"]}

    threads.clear()
    r = berth.copy(image.ref, f"{repo}:v2", jobs=1,
                   progress=lambda p: threads.add(threading.get_ident()))
    assert r.blobs_copied == 0 and len(threads) == 1


@pytest.mark.parametrize("stop_at", ["blob_started", "blob_progress"])
def test_cancel_from_progress(image, repo, tmp_path, stop_at):
    calls = []

    def progress(p):
        calls.append(p)
        return 1 if p.event == stop_at else 0  # any truthy value cancels

    with pytest.raises(berth.CancelledError) as info:
        berth.copy(image.ref, f"{repo}:v1", progress=progress)
    assert info.value.code == -13 and "cancel" in info.value.message
    # After the cancelling call berth calls back no more, and the tag is not written.
    assert [c.event for c in calls].count(stop_at) == 1 and calls[-1].event == stop_at
    assert_absent(f"{repo}:v1", tmp_path)


class Boom(Exception):
    pass


@pytest.mark.parametrize("exc_type", [Boom, KeyboardInterrupt])
def test_exception_in_progress_propagates(image, repo, tmp_path, exc_type):
    calls = []
    raised = exc_type("from the progress callback")

    def exploding_progress(p):
        calls.append(p)
        raise raised

    with pytest.raises(exc_type) as info:
        berth.copy(image.ref, f"{repo}:v1", progress=exploding_progress)
    assert info.value is raised
    # The traceback reaches into the callback, and the copy stopped at once.
    assert "exploding_progress" in "".join(traceback.format_tb(info.value.__traceback__))
    assert len(calls) == 1
    assert_absent(f"{repo}:v1", tmp_path)


def test_progress_must_be_callable(image, repo):
    with pytest.raises(TypeError, match="progress"):
        berth.copy(image.ref, f"{repo}:v1", progress=5)


# ---------------------------------------------------------------------------------
# Errors


@pytest.mark.parametrize("src, dst", [
    ("docker://{host}/UPPER:v1", "oci:{tmp}:x"),
    ("docker://", "oci:{tmp}:x"),
    ("{image}", "docker://{host}/bind/bad repo:v1"),
    ("{image}", "docker://{host}/bind/r:bad tag!"),
    ("{image}", "docker://{host}/bind/r@sha256:abc"),
    ("{image}", "oci:"),
])
def test_bad_reference_is_invalid_argument(image, host, tmp_path, src, dst):
    fill = dict(host=host, tmp=tmp_path / "o", image=image.ref)
    with pytest.raises(berth.InvalidArgumentError) as info:
        berth.copy(src.format(**fill), dst.format(**fill))
    assert info.value.code == -1 and info.value.message


def test_nonexistent_tag_is_not_found(image, repo, tmp_path):
    berth.copy(image.ref, f"{repo}:v1")
    with pytest.raises(berth.NotFoundError) as info:
        berth.copy(f"{repo}:no-such-tag", f"oci:{tmp_path / 'o'}:x")
    assert info.value.http_status == 404 and "no-such-tag" in info.value.message
    with pytest.raises(berth.NotFoundError):
        berth.copy(f"{repo}-never-pushed:v1", f"oci:{tmp_path / 'o'}:x")
    with pytest.raises(berth.NotFoundError):
        berth.copy(f"oci:{image.layout}:no-such-tag", f"{repo}:x")
    assert not (tmp_path / "o").exists() or "no-such-tag" not in \
        (tmp_path / "o" / "index.json").read_text()


@pytest.mark.parametrize("kw, error", [
    (dict(jobs=0), berth.InvalidArgumentError),
    (dict(jobs=-1), berth.InvalidArgumentError),
    (dict(jobs=2**31), berth.InvalidArgumentError),
    (dict(jobs=True), TypeError),
    (dict(jobs="4"), TypeError),
    (dict(src=None), TypeError),
    (dict(src=b"oci:x:y"), TypeError),
    (dict(src="oci:x\0:y"), berth.InvalidArgumentError),
    (dict(platform="linux/amd64\0"), berth.InvalidArgumentError),
    (dict(ca_bundle=3), TypeError),
])
def test_bad_arguments(image, repo, kw, error):
    args = dict(src=image.ref, dst=f"{repo}:v1")
    args.update(kw)
    with pytest.raises(error):
        berth.copy(args.pop("src"), args.pop("dst"), **args)


def test_options_are_keyword_only(image, repo):
    with pytest.raises(TypeError):
        berth.copy(image.ref, f"{repo}:v1", None)  # noqa


def test_credentials_reach_the_registry(image, tmp_path):
    import stack

    password = "S3cret-pa55word"
    with stack.Registry(auth="htpasswd", users={"binder": password}) as reg:
        dst = f"docker://{reg.hostport}/bind/creds:v1"
        with pytest.raises(berth.AuthError) as info:
            berth.copy(image.ref, dst)
        assert info.value.http_status == 401
        with pytest.raises(berth.AuthError) as info:
            berth.copy(image.ref, dst, dest_creds="binder:wrong-" + password)
        assert password not in str(info.value)

        r = berth.copy(image.ref, dst, dest_creds=f"binder:{password}")
        assert r.digest == image.digest and r.blobs_copied == 2

        out = tmp_path / "out"
        with pytest.raises(berth.AuthError):
            berth.copy(dst, f"oci:{out}:v1", src_creds="binder:nope")
        assert berth.copy(dst, f"oci:{out}:v1", src_creds=f"binder:{password}").digest == \
            image.digest
        with pytest.raises(berth.InvalidArgumentError) as info:
            berth.copy(image.ref, dst, dest_creds=f"binder:{password}\0")
        assert password not in str(info.value)
