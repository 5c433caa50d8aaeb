"""berth.manifest, inspect, list_tags, catalog, tag, delete and validate against a real
registry (Debian's docker-registry on 127.0.0.1, through tests/servers/stack.py) and
OCI layouts made with umoci; skopeo judges what the registry holds."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import berth

REGISTRY_BIN = os.environ.get("BERTH_DOCKER_REGISTRY", "docker-registry")
_MISSING = [t for t in (REGISTRY_BIN, "umoci", "skopeo") if not shutil.which(t)]
pytestmark = pytest.mark.skipif(bool(_MISSING), reason=f"needs {', '.join(_MISSING)}")

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def _run(*cmd: str) -> bytes:
    return subprocess.run(cmd, check=True, capture_output=True, timeout=60).stdout


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def skopeo_raw(ref: str) -> bytes:
    return _run("skopeo", "inspect", "--raw", "--tls-verify=false", ref)


from _keychain import empty_keychain  # noqa: E402,F401  (autouse, module-wide)


@pytest.fixture(scope="module")
def registry():
    import stack

    with stack.Registry() as reg:
        yield reg


_names = itertools.count()


@pytest.fixture
def repo(registry, request) -> str:
    """HOST/inspect/<test>-<n>, without a transport."""
    name = request.node.name.lower().replace("_", "-")
    return f"{registry.hostport}/inspect/{name}-{next(_names)}"


@pytest.fixture(scope="module")
def layout(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("image")
    layout, src = work / "layout", work / "src"
    src.mkdir()
    (src / "data.bin").write_bytes(os.urandom(64 * 1024))
    rootless = ["--rootless"] if os.geteuid() != 0 else []
    _run("umoci", "init", "--layout", str(layout))
    _run("umoci", "new", "--image", f"{layout}:v1")
    _run("umoci", "config", "--image", f"{layout}:v1", "--config.entrypoint", "/bin/app",
         "--config.label", "team=binding")
    _run("umoci", "insert", *rootless, "--image", f"{layout}:v1", str(src), "/app")
    return layout


def blob_path(layout: Path, digest: str) -> Path:
    algo, hexpart = digest.split(":", 1)
    return layout / "blobs" / algo / hexpart


@pytest.fixture
def pushed(layout, repo) -> dict:
    r = berth.copy(f"oci:{layout}:v1", f"docker://{repo}:v1")
    return {"ref": f"{repo}:v1", "repo": repo, "digest": r.digest}


def test_manifest_is_the_registry_bytes(pushed):
    m = berth.manifest(pushed["ref"])
    assert isinstance(m, berth.Manifest) and type(m).__module__ == "berth"
    assert m.raw == skopeo_raw("docker://" + pushed["ref"])
    assert (m.digest, m.media_type) == (pushed["digest"], OCI_MANIFEST)
    assert sha256(m.raw) == m.digest
    assert m.json()["config"]["mediaType"] == "application/vnd.oci.image.config.v1+json"
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.digest = "x"
    with pytest.raises(berth.NotFoundError):
        berth.manifest(pushed["repo"] + ":nope")


def test_manifest_platform_picks_an_index_child(layout, pushed, repo, tmp_path):
    idx = berth.index([f"oci:{layout}:v1"], f"docker://{repo}:idx",
                      annotations={"org.example.built-by": "python"})
    whole = berth.manifest(f"{repo}:idx")
    assert whole.media_type == OCI_INDEX and whole.digest == idx.digest
    assert whole.json()["annotations"] == {"org.example.built-by": "python"}
    assert whole.raw == skopeo_raw(f"docker://{repo}:idx")
    child = berth.manifest(f"{repo}:idx", platform="linux/amd64")
    assert child.digest == pushed["digest"]
    with pytest.raises(berth.NotFoundError):
        berth.manifest(f"{repo}:idx", platform="linux/s390x")


def test_inspect_an_image_and_a_layout_agree(layout, pushed):
    reg = berth.inspect(pushed["ref"])
    lay = berth.inspect(f"oci:{layout}:v1")
    assert dataclasses.replace(reg, reference="") == dataclasses.replace(lay, reference="")
    assert not reg.is_index and reg.manifests == ()
    (img,) = reg.images
    raw = json.loads(skopeo_raw("docker://" + pushed["ref"]))
    assert img.digest == pushed["digest"] and img.platform == "linux/amd64"
    assert img.config.digest == raw["config"]["digest"]
    assert [l.digest for l in img.layers] == [l["digest"] for l in raw["layers"]]
    assert img.total_size == (len(skopeo_raw("docker://" + pushed["ref"])) + raw["config"]["size"]
                              + sum(l["size"] for l in raw["layers"]))
    assert img.entrypoint == ("/bin/app",) and img.labels == {"team": "binding"}
    assert img.created  # umoci stamps the time


def test_inspect_an_index(layout, repo):
    berth.index([f"oci:{layout}:v1"], f"docker://{repo}:idx", annotations={"k": "v"})
    r = berth.inspect(f"{repo}:idx")
    assert r.is_index and r.annotations == {"k": "v"}
    assert [d.platform for d in r.manifests] == ["linux/amd64"]
    assert [i.platform for i in r.images] == ["linux/amd64"]
    one = berth.inspect(f"{repo}:idx", platform="linux/amd64")
    assert not one.is_index and one.digest == r.manifests[0].digest


def test_tag_then_list_tags(pushed):
    r = berth.tag(pushed["ref"], ["a", "b"])
    assert r == berth.TagImageResult(digest=pushed["digest"], tagged=("a", "b"), skipped=())
    again = berth.tag(pushed["ref"], ["b", "c"])
    assert (again.tagged, again.skipped) == (("c",), ("b",))
    assert sorted(berth.list_tags(pushed["repo"])) == ["a", "b", "c", "v1"]
    for t in ("a", "c"):
        assert sha256(skopeo_raw(f"docker://{pushed['repo']}:{t}")) == pushed["digest"]
    with pytest.raises(berth.InvalidArgumentError):
        berth.tag(pushed["ref"], ["not a tag"])
    with pytest.raises(TypeError):
        berth.tag(pushed["ref"], "a")  # a lone str is not a list of tags


def test_list_tags_of_a_layout(layout, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(layout, copy)
    berth.tag(f"oci:{copy}:v1", ["v2"])
    assert berth.list_tags(f"oci:{copy}") == ["v1", "v2"]
    with pytest.raises(berth.InvalidArgumentError):
        berth.list_tags(f"oci:{copy}:v1")


def test_catalog_pages(layout, registry):
    names = [f"inspect/catalog-{i}" for i in range(3)]
    for n in names:
        berth.copy(f"oci:{layout}:v1", f"docker://{registry.hostport}/{n}:v1")
    everything = berth.catalog(registry.hostport)
    assert set(names) <= set(everything)
    assert berth.catalog(registry.hostport, page_size=1) == everything
    with pytest.raises(berth.InvalidArgumentError):
        berth.catalog(registry.hostport, page_size=0)


def test_delete_by_tag(pushed):
    assert berth.delete_manifest(pushed["ref"]) == pushed["digest"]
    with pytest.raises(berth.NotFoundError):
        berth.manifest(f"{pushed['repo']}@{pushed['digest']}")
    with pytest.raises(berth.NotFoundError):
        berth.delete_manifest(pushed["ref"])


def test_delete_refused_by_the_registry(layout):
    import stack

    with stack.Registry(extra_config={"storage": {"delete": {"enabled": False}}}) as reg:
        ref = f"{reg.hostport}/keep/app:v1"
        berth.copy(f"oci:{layout}:v1", "docker://" + ref)
        with pytest.raises(berth.UnsupportedError) as e:
            berth.delete_manifest(ref)
        assert "does not allow deleting manifests" in str(e.value) and e.value.http_status == 405


def test_validate_a_sound_image_and_a_corrupt_layout(pushed, layout, tmp_path):
    ok = berth.validate(pushed["ref"], jobs=2)
    assert ok.ok and ok.failures == () and ok.digest == pushed["digest"]
    assert (ok.manifests, ok.blobs) == (1, 2)

    bad = tmp_path / "bad"
    shutil.copytree(layout, bad)
    m = berth.manifest(f"oci:{bad}:v1").json()
    layer = m["layers"][0]["digest"]
    p = blob_path(bad, layer)
    p.chmod(0o644)
    data = bytearray(p.read_bytes())
    data[10] ^= 0xFF
    p.write_bytes(bytes(data))
    blob_path(bad, m["config"]["digest"]).unlink()
    r = berth.validate(f"oci:{bad}:v1")
    assert not r.ok
    assert [(f.digest, f.kind, f.code) for f in r.failures] == [
        (m["config"]["digest"], "config", berth.NotFoundError.CODE),
        (layer, "layer", berth.DigestMismatchError.CODE)]
    with pytest.raises(berth.NotFoundError):  # no such image: an error, not a report
        berth.validate(f"oci:{bad}:nope")


def test_registry_options_are_checked(pushed):
    with pytest.raises(berth.InvalidArgumentError):
        berth.validate(pushed["ref"], jobs=0)
    with pytest.raises(berth.InvalidArgumentError):
        berth.inspect(pushed["ref"], timeout=-1)
    with pytest.raises(TypeError):
        berth.manifest(pushed["ref"], nonsense=True)
    with pytest.raises(berth.InvalidArgumentError):
        berth.manifest(pushed["ref"] + "\0")
    # A generous timeout changes nothing.
    assert berth.manifest(pushed["ref"], timeout=30).digest == pushed["digest"]


def test_credentials_are_used_and_never_echoed(layout):
    import stack

    with stack.Registry(auth="htpasswd") as reg:
        creds = f"{reg.username}:{reg.password}"
        ref = f"{reg.hostport}/auth/app:v1"
        berth.copy(f"oci:{layout}:v1", "docker://" + ref, dest_creds=creds)
        assert berth.list_tags(f"{reg.hostport}/auth/app", creds=creds) == ["v1"]
        with pytest.raises(berth.AuthError) as e:
            berth.manifest(ref, creds=f"{reg.username}:wrong-{reg.password}")
        assert reg.password not in str(e.value)
