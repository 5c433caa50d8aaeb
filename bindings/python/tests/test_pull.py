"""berth.pull: `berth pull REF DST` from Python, its destination read as the CLI and
crane read it (berth_pull / berth::pull_destination: the library's one copy of those
rules), against a real docker-registry on 127.0.0.1 from the test stack. What pull
wrote is judged by skopeo (docker-archive, OCI layout) and umoci (it unpacks the OCI
layout), never by berth itself."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import berth

REGISTRY_BIN = os.environ.get("BERTH_DOCKER_REGISTRY", "docker-registry")
needs_registry = pytest.mark.skipif(
    not (shutil.which(REGISTRY_BIN) and shutil.which("skopeo")),
    reason=f"needs {REGISTRY_BIN} and skopeo")


from _keychain import empty_keychain  # noqa: E402,F401  (autouse, module-wide)


@pytest.fixture(scope="module")
def registry():
    import stack

    with stack.Registry() as reg:
        yield reg


@pytest.fixture(scope="module")
def pushed(registry, tmp_path_factory) -> dict:
    """An image built by berth, pushed to the registry: its reference and digests."""
    work = tmp_path_factory.mktemp("pull-src")
    (work / "src" / "etc").mkdir(parents=True)
    (work / "src" / "etc" / "motd").write_text("pulled by the berth Python binding\n")
    built = berth.build(output=f"oci:{work / 'layout'}:v1", layers=[work / "src"], created=0,
                        cmd=["/bin/true"])
    ref = f"{registry.hostport}/py-pull/app:v1"
    r = berth.push(f"oci:{work / 'layout'}:v1", ref)
    assert r.digest == built.digest
    return {"ref": ref, "digest": built.digest, "config": built.config_digest}


def _skopeo_inspect(location: str) -> dict:
    out = subprocess.run(["skopeo", "inspect", "--raw", location], check=True,
                         capture_output=True).stdout
    return json.loads(out)


@needs_registry
def test_pull_to_a_tar_file_is_a_docker_archive_skopeo_reads(pushed, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = berth.pull(pushed["ref"], "out.tar")
    assert isinstance(r, berth.PullResult) and isinstance(r, berth.CopyResult)
    assert r.destination == "docker-archive:out.tar"
    assert r.blobs_copied == 2 and r.verified_digest is None
    # docker load's format: skopeo reads the image from it, config by config digest
    # (a docker-archive keeps no manifest; skopeo synthesises a Docker one).
    manifest = _skopeo_inspect(f"docker-archive:{tmp_path / 'out.tar'}")
    assert manifest["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert manifest["config"]["digest"] == pushed["config"]
    assert not (tmp_path / "py-pull").exists()  # nothing read as a registry


@needs_registry
def test_pull_to_dot_slash_dir_is_an_oci_layout_umoci_unpacks(pushed, tmp_path, monkeypatch):
    if not shutil.which("umoci"):
        pytest.skip("needs umoci")
    monkeypatch.chdir(tmp_path)
    r = berth.pull(f"docker://{pushed['ref']}", "./outdir:v1")
    assert r.destination == "oci:./outdir:v1" and r.digest == pushed["digest"]
    assert _skopeo_inspect(f"oci:{tmp_path / 'outdir'}:v1")["config"]["digest"] == \
        pushed["config"]
    bundle = tmp_path / "bundle"
    subprocess.run(["umoci", "unpack", "--rootless", "--image", f"{tmp_path / 'outdir'}:v1",
                    str(bundle)], check=True, capture_output=True)
    assert (bundle / "rootfs" / "etc" / "motd").read_text() == \
        "pulled by the berth Python binding\n"


@needs_registry
def test_pull_to_a_path_object_and_an_existing_directory(pushed, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = berth.pull(pushed["ref"], Path("viapath"))  # a Path is a path, never a name
    assert r.destination == "oci:./viapath"
    assert _skopeo_inspect(f"oci:{tmp_path / 'viapath'}")["config"]["digest"] == \
        pushed["config"]
    (tmp_path / "existing").mkdir()
    r = berth.pull(pushed["ref"], "existing", format="docker")
    assert r.destination == "oci:existing"
    # The layout holds the Docker manifest (its own digest), as the CLI's --format.
    assert _skopeo_inspect(f"oci:{tmp_path / 'existing'}")["mediaType"] == \
        "application/vnd.docker.distribution.manifest.v2+json"
    r = berth.pull(pushed["ref"], "oci-archive:img.tar:v1")
    assert r.destination == "oci-archive:img.tar:v1"
    assert _skopeo_inspect(f"oci-archive:{tmp_path / 'img.tar'}:v1")["config"]["digest"] == \
        pushed["config"]


@needs_registry
def test_a_bare_word_is_refused_naming_the_forms(pushed, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(berth.InvalidArgumentError,
                       match=r"write oci:outdir \(a directory\), docker-archive:outdir\.tar "
                             r"or oci-archive:outdir\.tar"):
        berth.pull(pushed["ref"], "outdir")
    assert list(tmp_path.iterdir()) == []


def test_a_local_source_is_refused(tmp_path):
    with pytest.raises(berth.InvalidArgumentError, match="pull reads from a registry"):
        berth.pull(f"oci:{tmp_path}/layout:v1", f"oci:{tmp_path}/out")
    assert list(tmp_path.iterdir()) == []


@needs_registry
def test_verify_key_pulls_the_signed_digest_and_refuses_other_keys(pushed, tmp_path):
    if not shutil.which("openssl"):
        pytest.skip("needs openssl")
    keys = {}
    for name in ("signer", "other"):
        key, pub = tmp_path / f"{name}.key", tmp_path / f"{name}.pub"
        subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout",
                        "-out", str(key)], check=True, capture_output=True)
        subprocess.run(["openssl", "ec", "-in", str(key), "-pubout", "-out", str(pub)],
                       check=True, capture_output=True)
        keys[name] = (key, pub)
    berth.sign(f"docker://{pushed['ref']}", keys["signer"][0])
    r = berth.pull(pushed["ref"], f"{tmp_path / 'verified'}:v1", verify_key=keys["signer"][1])
    assert (r.verified_digest, r.signatures_verified) == (pushed["digest"], 1)
    assert r.digest == pushed["digest"]
    assert _skopeo_inspect(f"oci:{tmp_path / 'verified'}:v1")["config"]["digest"] == \
        pushed["config"]
    with pytest.raises(berth.GateFailedError):
        berth.pull(pushed["ref"], tmp_path / "refused", verify_key=keys["other"][1])
    assert not (tmp_path / "refused").exists()  # nothing written
