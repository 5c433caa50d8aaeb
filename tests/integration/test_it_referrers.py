"""Referrers follow images (signatures, SBOMs, attestations): layout -> registry ->
registry -> layout, through distribution 2.8, which has no referrers API (the
"sha256-<hex>" tag scheme carries them), and oras reading what berth wrote."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

import itlib
from itlib import run

SBOM_TYPE = "application/vnd.example.sbom.v1+json"
SIG_TYPE = "application/vnd.example.signature.v1"
EMPTY = b"{}"


def attach(layout: str, subject: dict, artifact_type: str, payload: bytes) -> dict:
    """Writes an OCI 1.1 artifact manifest whose subject is `subject` into the layout,
    as an untagged index.json entry (what oras does in layouts). Returns its descriptor."""
    cfg = itlib.write_blob(layout, EMPTY)
    layer = itlib.write_blob(layout, payload)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": itlib.OCI_MANIFEST, "artifactType": artifact_type,
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", **cfg},
        "layers": [{"mediaType": "application/octet-stream", **layer}],
        "subject": {"mediaType": subject["mediaType"], "digest": subject["digest"],
                    "size": subject["size"]},
        "annotations": {"org.example.kind": artifact_type}}, sort_keys=True).encode()
    d = itlib.write_blob(layout, manifest)
    desc = {"mediaType": itlib.OCI_MANIFEST, "artifactType": artifact_type, **d}
    idx = itlib.layout_index(layout)
    idx["manifests"].append(desc)
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump(idx, f)
    return desc


def fallback_index(reg, repo: str, digest: str) -> dict | None:
    tag = digest.replace(":", "-")
    st, _, body = reg.request("GET", "/v2/%s/manifests/%s" % (repo, tag),
                              headers={"Accept": itlib.OCI_INDEX})
    return json.loads(body) if st == 200 else None


@pytest.fixture
def signed_layout(tmp_path) -> dict:
    layout = str(tmp_path / "src")
    image = itlib.make_layout_image(layout, "v1", [itlib.tar_bytes({"app": b"app\n"})])
    sbom = attach(layout, image, SBOM_TYPE, b'{"spdxVersion":"SPDX-2.3"}')
    sig = attach(layout, sbom, SIG_TYPE, b"signature of the sbom")  # a referrer's referrer
    return {"layout": layout, "image": image, "sbom": sbom, "sig": sig}


def test_referrers_travel_layout_registry_registry_layout(plain_reg, berth, repo, signed_layout,
                                                         tmp_path):
    s = signed_layout
    a = "docker://%s/%s:v1" % (plain_reg.hostport, repo)
    r = berth.copy("oci:%s:v1" % s["layout"], a)
    assert r.json["referrers"] == 2, r.describe()
    # distribution 2.8 has no referrers API: the tag scheme lists them
    idx = fallback_index(plain_reg, repo, s["image"]["digest"])
    assert idx and [m["digest"] for m in idx["manifests"]] == [s["sbom"]["digest"]]
    assert idx["manifests"][0]["artifactType"] == SBOM_TYPE
    assert idx["manifests"][0]["annotations"] == {"org.example.kind": SBOM_TYPE}
    idx = fallback_index(plain_reg, repo, s["sbom"]["digest"])
    assert [m["digest"] for m in idx["manifests"]] == [s["sig"]["digest"]]

    # registry -> registry (another repository), found through the tag scheme
    b = "docker://%s/%s-b:v1" % (plain_reg.hostport, repo)
    r = berth.copy(a, b)
    assert r.json["referrers"] == 2
    idx = fallback_index(plain_reg, repo + "-b", s["image"]["digest"])
    assert [m["digest"] for m in idx["manifests"]] == [s["sbom"]["digest"]]
    # the referrer's bytes arrived unchanged (its digest is its name)
    raw = itlib.skopeo_raw("%s/%s-b@%s" % (plain_reg.hostport, repo, s["sbom"]["digest"]),
                           "--tls-verify=false")
    assert itlib.sha256(raw) == s["sbom"]["digest"]

    # a re-run copies nothing new and keeps one entry per referrer
    r = berth.copy(a, b)
    assert r.json["blobsCopied"] == 0
    idx = fallback_index(plain_reg, repo + "-b", s["image"]["digest"])
    assert len(idx["manifests"]) == 1

    # pull back into a layout: untagged entries, found again by their subject
    out = str(tmp_path / "out")
    run([berth.binary, "pull", "--quiet", b, "oci:%s:v1" % out], env=berth.env)
    entries = itlib.layout_index(out)["manifests"]
    assert {e["digest"] for e in entries} == {s["image"]["digest"], s["sbom"]["digest"],
                                             s["sig"]["digest"]}
    itlib.verify_layout(out, "v1")


def test_referrers_false_and_artifact_type_filter(plain_reg, berth, repo, signed_layout):
    s = signed_layout
    src = "oci:%s:v1" % s["layout"]
    r = berth.copy(src, "docker://%s/%s-none:v1" % (plain_reg.hostport, repo), "--referrers=false")
    assert r.json["referrers"] == 0
    assert fallback_index(plain_reg, repo + "-none", s["image"]["digest"]) is None
    r = berth.copy(src, "docker://%s/%s-other:v1" % (plain_reg.hostport, repo),
                   "--artifact-type", "application/vnd.example.other")
    assert r.json["referrers"] == 0
    r = berth.copy(src, "docker://%s/%s-sbom:v1" % (plain_reg.hostport, repo),
                   "--artifact-type", SBOM_TYPE)
    assert r.json["referrers"] == 2  # the SBOM, and the signature of it


def test_replicate_carries_referrers(plain_reg, berth, repo, signed_layout):
    s = signed_layout
    a = "docker://%s/%s:v1" % (plain_reg.hostport, repo)
    berth.copy("oci:%s:v1" % s["layout"], a)
    dsts = ["docker://%s/%s-r%d:v1" % (plain_reg.hostport, repo, i) for i in (1, 2)]
    r = run([berth.binary, "replicate", "--json", a, *dsts], env=berth.env)
    results = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
    assert [x["referrers"] for x in results] == [2, 2]
    for i in (1, 2):
        idx = fallback_index(plain_reg, "%s-r%d" % (repo, i), s["image"]["digest"])
        assert [m["digest"] for m in idx["manifests"]] == [s["sbom"]["digest"]]


def test_oras_discovers_what_berth_copied(plain_reg, berth, repo, signed_layout):
    oras = shutil.which("oras") or os.path.join(itlib.ROOT, ".tools", "bin", "oras")
    if not os.access(oras, os.X_OK):
        pytest.fail("oras is not installed (scripts/setup.sh installs it)")
    s = signed_layout
    a = "%s/%s:v1" % (plain_reg.hostport, repo)
    berth.copy("oci:%s:v1" % s["layout"], "docker://" + a)
    p = subprocess.run([oras, "discover", "--plain-http", "--format", "json", a],
                       capture_output=True, text=True, env=berth.env)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    found = doc.get("referrers") or doc.get("manifests") or []
    assert [m["digest"] for m in found] == [s["sbom"]["digest"]], doc
    assert found[0]["artifactType"] == SBOM_TYPE
