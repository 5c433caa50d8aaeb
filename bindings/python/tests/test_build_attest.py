"""build(sbom=, provenance=, sign_key=) and copy(sign_key=) through the binding: the
build -> SBOM -> provenance -> attest sequence and push's signature, which lived in
the CLI, are the library's (issue 21, item 3). Judged in OCI layouts: the in-toto
statements are read back from the blobs, the cosign tags from index.json."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import berth
from stack_fixtures import plain_registry  # noqa: F401 - a fixture

COSIGN = shutil.which("cosign") or str(Path(__file__).resolve().parents[3] / ".tools" / "bin" /
                                      "cosign")

INTOTO = "application/vnd.in-toto+json"


def index_of(layout: Path) -> dict:
    return json.loads((layout / "index.json").read_text())


def blob(layout: Path, digest: str) -> bytes:
    alg, hexd = digest.split(":")
    return (layout / "blobs" / alg / hexd).read_bytes()


def ref_names(layout: Path) -> list:
    return [(m.get("annotations") or {}).get("org.opencontainers.image.ref.name")
            for m in index_of(layout)["manifests"]]


@pytest.fixture
def app(tmp_path: Path) -> Path:
    d = tmp_path / "app"
    (d / "srv").mkdir(parents=True)
    (d / "srv" / "app.py").write_text("print('attested')\n")
    return d


@pytest.fixture
def ec_key(tmp_path: Path) -> Path:
    """A plain PEM EC P-256 key, which load_signing_key takes like a cosign key."""
    key = tmp_path / "signing.key"
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out",
                    str(key)], check=True, capture_output=True)
    return key


def test_build_attaches_an_unsigned_sbom_and_provenance(app: Path, tmp_path: Path):
    out = tmp_path / "out"
    r = berth.build(output=f"oci:{out}:v1", layers=[str(app)], sbom=True, provenance=True,
                    created=1_700_000_000)
    referrers = [m for m in index_of(out)["manifests"] if m.get("artifactType") == INTOTO or
                 m.get("annotations", {}).get("org.opencontainers.image.ref.name") is None]
    assert len(referrers) == 2, index_of(out)
    types = set()
    for m in referrers:
        manifest = json.loads(blob(out, m["digest"]))
        assert manifest["subject"]["digest"] == r.digest
        statement = json.loads(blob(out, manifest["layers"][0]["digest"]))
        assert statement["subject"][0]["digest"]["sha256"] == r.digest.split(":")[1]
        types.add(statement["predicateType"])
    assert types == {"https://spdx.dev/Document", "https://slsa.dev/provenance/v1"}


def test_build_signs_attestations_with_a_key(app: Path, ec_key: Path, tmp_path: Path):
    out = tmp_path / "out"
    r = berth.build(output=f"oci:{out}:v1", layers=[str(app)], sbom=True, sign_key=ec_key,
                    created=1_700_000_000)
    att = "sha256-%s.att" % r.digest.split(":")[1]
    assert att in ref_names(out)
    entry = next(m for m in index_of(out)["manifests"]
                 if (m.get("annotations") or {}).get("org.opencontainers.image.ref.name") == att)
    envelope = json.loads(blob(out, json.loads(blob(out, entry["digest"]))["layers"][0]["digest"]))
    statement = json.loads(base64.b64decode(envelope["payload"]))
    assert statement["predicateType"] == "https://spdx.dev/Document"
    assert envelope["signatures"] and envelope["signatures"][0]["sig"]


def test_build_refuses_attestations_for_an_archive_before_building(app: Path, tmp_path: Path):
    with pytest.raises(berth.InvalidArgumentError, match="archive"):
        berth.build(output=f"oci-archive:{tmp_path / 'img.tar'}:v1", layers=[str(app)], sbom=True)
    assert not (tmp_path / "img.tar").exists()
    with pytest.raises(berth.InvalidArgumentError, match="sbom or provenance"):
        berth.build(output=f"oci:{tmp_path / 'x'}:v1", layers=[str(app)], builder_id="me")


def test_copy_signs_what_it_copied(app: Path, ec_key: Path, tmp_path: Path):
    src = tmp_path / "src"
    built = berth.build(output=f"oci:{src}:v1", layers=[str(app)], created=1_700_000_000)
    dst = tmp_path / "dst"
    r = berth.copy(f"oci:{src}:v1", f"oci:{dst}:v1", sign_key=ec_key)
    assert r.digest == built.digest
    assert "sha256-%s.sig" % built.digest.split(":")[1] in ref_names(dst)
    # A signature needs a registry or a layout: an archive is refused before copying.
    with pytest.raises(berth.InvalidArgumentError, match="archive"):
        berth.copy(f"oci:{src}:v1", f"oci-archive:{tmp_path / 'a.tar'}:v1", sign_key=ec_key)
    assert not (tmp_path / "a.tar").exists()
    # Other calls do not take a key (replicate, pull): Python's own TypeError.
    with pytest.raises(TypeError, match="replicate\\(\\) got an unexpected keyword argument "
                                        "'sign_key'"):
        berth.replicate(f"oci:{src}:v1", [f"oci:{tmp_path / 'r'}:v1"],
                        sign_key=ec_key)  # type: ignore[call-arg]
    assert not (tmp_path / "r").exists()


def test_cosign_verifies_what_copy_signed(app: Path, tmp_path: Path,
                                          plain_registry):  # noqa: F811
    """The signature the library makes (an encrypted cosign key, its password given)
    is one cosign accepts: signed into a layout, carried to a registry by a copy (the
    .sig tag travels), verified there by cosign."""
    if not os.access(COSIGN, os.X_OK):
        pytest.fail("cosign is not installed (scripts/setup.sh installs it)", pytrace=False)
    env = dict(os.environ, COSIGN_PASSWORD="pw-for-berth")
    subprocess.run([COSIGN, "generate-key-pair"], cwd=tmp_path, env=env, check=True,
                   capture_output=True, timeout=60)
    src, dst = tmp_path / "src", tmp_path / "dst"
    built = berth.build(output=f"oci:{src}:v1", layers=[str(app)], created=1_700_000_000)
    berth.copy(f"oci:{src}:v1", f"oci:{dst}:v1", sign_key=tmp_path / "cosign.key",
               sign_key_password="pw-for-berth")
    ref = f"{plain_registry.hostport}/attest/copied:v1"
    r = berth.copy(f"oci:{dst}:v1", "docker://" + ref)
    assert r.digest == built.digest
    p = subprocess.run([COSIGN, "verify", "--key", str(tmp_path / "cosign.pub"),
                        "--insecure-ignore-tlog=true", "--allow-http-registry=true",
                        "--allow-insecure-registry=true", ref],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    # A wrong password fails before anything is copied.
    with pytest.raises(berth.AuthError):
        berth.copy(f"oci:{src}:v1", f"oci:{tmp_path / 'wrong'}:v1",
                   sign_key=tmp_path / "cosign.key", sign_key_password="not-it")
    assert not (tmp_path / "wrong" / "index.json").exists() or \
        json.loads((tmp_path / "wrong" / "index.json").read_text())["manifests"] == []
