"""build, index, export, push and replicate through the binding.

Images are built from temporary directories into OCI layouts (no daemon); push and
replicate use a real docker-registry on 127.0.0.1 from the repository's test stack
(tests/servers/stack_fixtures.py), with skopeo as the independent judge of the
tags it holds. Nothing leaves the loopback interface.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import berth
from stack_fixtures import plain_registry  # noqa: F401 - a fixture

REGISTRY_BIN = os.environ.get("BERTH_DOCKER_REGISTRY", "docker-registry")
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
CREATED = _dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=_dt.timezone.utc)

needs_registry = pytest.mark.skipif(
    not (shutil.which(REGISTRY_BIN) and shutil.which("skopeo")),
    reason=f"needs {REGISTRY_BIN} and skopeo")


from _keychain import empty_keychain  # noqa: E402,F401  (autouse, module-wide)


def _tree(root: Path) -> dict:
    """relative path -> bytes of every regular file under root."""
    return {str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("build")  # layouts go here
    base, app = work / "src-base", work / "src-app"
    (base / "etc").mkdir(parents=True)
    (base / "etc" / "motd").write_text("built by the berth Python binding\n")
    (base / "bin").mkdir()
    (base / "bin" / "data.bin").write_bytes(bytes(range(256)) * 64)
    (app / "srv").mkdir(parents=True)
    (app / "srv" / "app.py").write_text("print('hello')\n")
    return {"work": work, "base": base, "app": app}


def _build_base(sources, name: str, **kw) -> berth.BuildResult:
    kw.setdefault("created", CREATED)
    return berth.build(
        output=f"oci:{sources['work'] / name}:v1", layers=[sources["base"]],
        entrypoint=["/bin/sh", "-c"], cmd=["echo hi"], env={"LANG": "C.UTF-8"},
        labels={"org.example.kind": "base"}, annotations={"org.example.note": "test"},
        workdir="/srv", user="1000:1000", expose=["8080", "53/udp"], **kw)


@pytest.fixture(scope="module")
def base_image(sources) -> dict:
    r = _build_base(sources, "base")
    return {"ref": f"oci:{sources['work'] / 'base'}:v1", "result": r}


def _manifest_and_config(layout: Path, tag: str):
    index = json.loads((layout / "index.json").read_text())
    (desc,) = [m for m in index["manifests"]
               if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag]
    blob = lambda d: json.loads((layout / "blobs" / "sha256" / d.split(":", 1)[1]).read_bytes())
    manifest = blob(desc["digest"])
    config = blob(manifest["config"]["digest"]) if "config" in manifest else None
    return desc, manifest, config


def test_build_is_deterministic(sources, base_image):
    first = base_image["result"]
    assert first.media_type == OCI_MANIFEST
    assert (first.layers_built, first.layers_cached) == (1, 0)
    assert first.digest.startswith("sha256:") and first.config_digest.startswith("sha256:")
    again = _build_base(sources, "again", created=int(CREATED.timestamp()))
    assert again == first  # same inputs, same created: same digests

    desc, manifest, config = _manifest_and_config(sources["work"] / "base", "v1")
    assert desc["digest"] == first.digest and manifest["config"]["digest"] == first.config_digest
    assert manifest["annotations"]["org.example.note"] == "test"
    cfg = config["config"]
    assert cfg["Entrypoint"] == ["/bin/sh", "-c"] and cfg["Cmd"] == ["echo hi"]
    assert "LANG=C.UTF-8" in cfg["Env"] and cfg["Labels"]["org.example.kind"] == "base"
    assert (cfg["WorkingDir"], cfg["User"]) == ("/srv", "1000:1000")
    assert set(cfg["ExposedPorts"]) == {"8080/tcp", "53/udp"}
    assert config["created"].startswith("2024-05-01T12:00:00")

    other = _build_base(sources, "other", created=CREATED + _dt.timedelta(seconds=1))
    assert other.digest != first.digest


def test_build_on_top_and_export(sources, base_image, tmp_path):
    out = f"oci:{sources['work'] / 'app'}-image:v2"
    r = berth.build(output=out, from_=base_image["ref"], layers=[f"{sources['app']}:/opt"],
                    compression="zstd", cmd=["python3", "/opt/srv/app.py"], created=CREATED,
                    extra_tags=["latest"])
    assert (r.layers_built, r.media_type) == (1, OCI_MANIFEST)
    _, manifest, config = _manifest_and_config(sources["work"] / "app-image", "v2")
    assert len(manifest["layers"]) == 2 and "zstd" in manifest["layers"][1]["mediaType"]
    assert config["config"]["Entrypoint"] == ["/bin/sh", "-c"]  # inherited
    assert _manifest_and_config(sources["work"] / "app-image", "latest")[0]["digest"] == r.digest

    berth.export(out, tmp_path / "rootfs")
    want = {**_tree(sources["base"]), **{f"opt/{k}": v for k, v in _tree(sources["app"]).items()}}
    assert _tree(tmp_path / "rootfs") == want


def test_index_of_two_platforms(sources, tmp_path):
    layout = tmp_path / "multi"
    for plat, tag in (("linux/amd64", "amd64"), ("linux/arm64", "arm64")):
        r = berth.build(output=f"oci:{layout}:{tag}", layers=[sources["app"]], platform=plat,
                        created=CREATED)
        assert r.media_type == OCI_MANIFEST
    res = berth.index([f"oci:{layout}:amd64", f"oci:{layout}:arm64"], f"oci:{layout}:multi",
                      extra_tags=["all"])
    assert res.media_type == OCI_INDEX and res.digest.startswith("sha256:")
    desc, index, _ = _manifest_and_config(layout, "multi")
    assert desc["digest"] == res.digest
    platforms = sorted((m["platform"]["os"], m["platform"]["architecture"])
                       for m in index["manifests"])
    assert platforms == [("linux", "amd64"), ("linux", "arm64")]
    assert _manifest_and_config(layout, "all")[0]["digest"] == res.digest

    berth.export(f"oci:{layout}:multi", tmp_path / "arm", platform="linux/arm64")
    assert _tree(tmp_path / "arm") == _tree(sources["app"])


class Boom(Exception):
    pass


def _no_image(layout: Path) -> bool:
    """True when the layout has no tagged image (it may not exist at all)."""
    index = layout / "index.json"
    return not index.exists() or json.loads(index.read_text())["manifests"] == []


def test_build_progress_that_raises_or_cancels(sources, tmp_path):
    """A build's progress callback (called from berth's worker threads) that raises
    stops the build and re-raises the same exception; one that returns true cancels
    it. Either way nothing is tagged."""
    raised = Boom("from the build's progress callback")
    calls = []

    def exploding(p):
        calls.append(p)
        raise raised

    out = tmp_path / "raised"
    with pytest.raises(Boom) as info:
        berth.build(output=f"oci:{out}:v1", layers=[sources["base"]], created=CREATED,
                    progress=exploding)
    assert info.value is raised and len(calls) == 1
    assert _no_image(out)

    def cancelling(p):
        return True

    out = tmp_path / "cancelled"
    with pytest.raises(berth.CancelledError) as cancelled:
        berth.build(output=f"oci:{out}:v1", layers=[sources["base"]], created=CREATED,
                    progress=cancelling)
    assert cancelled.value.code == -13
    assert _no_image(out)
    # and a build after them works on the same thread
    r = berth.build(output=f"oci:{out}:v1", layers=[sources["base"]], created=CREATED)
    assert not _no_image(out) and r.digest.startswith("sha256:")


def test_bad_build_arguments(tmp_path):
    with pytest.raises(TypeError):
        berth.build()  # output is required
    with pytest.raises(TypeError):
        berth.build(output=f"oci:{tmp_path}/x:v1", layers="not-a-list")
    with pytest.raises(berth.InvalidArgumentError):
        berth.build(output=f"oci:{tmp_path}/x:v1", env={"A=B": "c"})
    with pytest.raises(berth.InvalidArgumentError):
        berth.build(output=f"oci:{tmp_path}/x:v1", created=-1)  # None is "unset"
    # berth.h says EINVAL for a missing layer source; libberth reports ENOTFOUND.
    with pytest.raises((berth.InvalidArgumentError, berth.NotFoundError)):
        berth.build(output=f"oci:{tmp_path}/x:v1", layers=[tmp_path / "missing"])
    with pytest.raises(berth.InvalidArgumentError):
        berth.push("oci:/nowhere:v1", "127.0.0.1:1/app")  # no tag anywhere
    with pytest.raises(berth.InvalidArgumentError):
        berth.push("oci:/nowhere:v1", "127.0.0.1:1/app:v1", tags=["bad tag"])
    with pytest.raises(berth.InvalidArgumentError):
        berth.replicate("oci:/nowhere:v1", [])
    with pytest.raises(TypeError):
        berth.copy("oci:/nowhere:v1", "oci:/elsewhere:v1", extra_tags="v2")


def _list_tags(ref: str) -> list:
    out = subprocess.run(["skopeo", "list-tags", "--tls-verify=false", ref], check=True,
                         capture_output=True, timeout=60, text=True).stdout
    return sorted(json.loads(out)["Tags"])


@needs_registry
def test_push_with_extra_tags_and_replicate(base_image, plain_registry):  # noqa: F811
    host = plain_registry.hostport
    digest = base_image["result"].digest
    r = berth.push(base_image["ref"], f"{host}/bind-py/app", tags=["1.0.0", "1.0", "latest"])
    assert (r.digest, r.blobs_copied, r.manifests) == (digest, 2, 1)
    assert _list_tags(f"docker://{host}/bind-py/app") == ["1.0", "1.0.0", "latest"]
    again = berth.push(base_image["ref"], f"docker://{host}/bind-py/app:1.0.0", tags=["edge"])
    assert (again.digest, again.blobs_copied) == (digest, 0)
    assert _list_tags(f"docker://{host}/bind-py/app") == ["1.0", "1.0.0", "edge", "latest"]

    # One destination gets the blobs from the layout, the other one mounts them from
    # the registry's first repository.
    berth.replicate(base_image["ref"], [f"{host}/bind-py/mirror-a:v1"])
    results = berth.replicate(f"docker://{host}/bind-py/app:1.0.0",
                              [f"{host}/bind-py/mirror-a:v1", f"{host}/bind-py/mirror-b:v1"],
                              extra_tags=["stable"])
    assert len(results) == 2 and all(x.digest == digest for x in results)
    assert results[0].blobs_copied == 0  # it had the image already
    assert results[1].blobs_mounted == 2 and results[1].blobs_copied == 0
    assert _list_tags(f"docker://{host}/bind-py/mirror-b") == ["stable", "v1"]
    # libberth skips a destination that already has the tag at the digest, extra
    # tags included (lib/ops/replicate.cpp), so mirror-a's tags are not checked here.
