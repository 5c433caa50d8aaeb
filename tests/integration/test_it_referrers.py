"""Referrers follow images (signatures, SBOMs, attestations): layout -> registry ->
registry -> layout with push, copy, replicate and pull, through distribution 2.8 and
v3.1, which have no referrers API (the "sha256-<hex>" tag scheme carries them),
go-containerregistry's registry, which has it, and from each kind to the others; oras
reads what berth wrote at each destination."""

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


def listed(reg, repo: str, digest: str) -> list[dict]:
    """The referrers of digest as the registry lists them: through the referrers API
    where there is one (the ggcr registry), else through the "sha256-<hex>" tag index
    (distribution 2.8 and v3.1, which have no referrers route: it must say 404)."""
    st, _, body = reg.request("GET", "/v2/%s/referrers/%s" % (repo, digest))
    if reg.distribution == "ggcr":
        assert st == 200, body
        return [dict(m, _repo=repo) for m in json.loads(body)["manifests"]]
    assert st == 404, (st, body)
    idx = fallback_index(reg, repo, digest)
    return idx["manifests"] if idx else []


def listed_type(reg, entry: dict) -> str:
    """The artifact type a listing gives. go-containerregistry's referrers handler (as
    of v0.22.1) puts the config's media type there even when the manifest has an
    artifactType, against the OCI spec; that quirk is the registry's, so for it the
    type is read from the manifest itself (by digest, so these are the copied bytes)."""
    if reg.distribution != "ggcr":
        return entry["artifactType"]
    assert entry["artifactType"] == "application/vnd.oci.empty.v1+json"  # the quirk, pinned
    st, _, body = reg.request("GET", "/v2/%s/manifests/%s" % (entry["_repo"], entry["digest"]),
                              headers={"Accept": itlib.OCI_MANIFEST})
    assert st == 200 and itlib.sha256(body) == entry["digest"]
    return json.loads(body)["artifactType"]


KINDS = ("2.8", "v3", "ggcr")


@pytest.fixture
def regs(plain_reg, v3_reg, api_reg) -> dict:
    return {"2.8": plain_reg, "v3": v3_reg, "ggcr": api_reg}


def oras_bin() -> str:
    oras = shutil.which("oras") or os.path.join(itlib.ROOT, ".tools", "bin", "oras")
    if not os.access(oras, os.X_OK):
        pytest.fail("oras is not installed (scripts/setup.sh installs it)")
    return oras


def oras_discover(ref: str, env: dict) -> list[dict]:
    p = subprocess.run([oras_bin(), "discover", "--plain-http", "--format", "json", ref],
                       capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    return doc.get("referrers") or doc.get("manifests") or []


@pytest.fixture
def signed_layout(tmp_path) -> dict:
    layout = str(tmp_path / "src")
    image = itlib.make_layout_image(layout, "v1", [itlib.tar_bytes({"app": b"app\n"})])
    sbom = attach(layout, image, SBOM_TYPE, b'{"spdxVersion":"SPDX-2.3"}')
    sig = attach(layout, sbom, SIG_TYPE, b"signature of the sbom")  # a referrer's referrer
    return {"layout": layout, "image": image, "sbom": sbom, "sig": sig}


@pytest.mark.parametrize("src_kind,dst_kind", [
    ("2.8", "2.8"), ("v3", "v3"), ("ggcr", "ggcr"),  # tag scheme; tag scheme; referrers API
    ("2.8", "ggcr"), ("ggcr", "2.8"), ("v3", "ggcr"), ("ggcr", "v3"), ("2.8", "v3"),
    ("v3", "2.8")])
def test_referrers_travel_layout_registry_registry_layout(regs, src_kind, dst_kind, berth, repo,
                                                         signed_layout, tmp_path):
    """push (layout -> A), copy (A -> B), pull (B -> layout), across registries with
    the referrers API (ggcr) and without (distribution 2.8, v3.1), and each way
    between: what one lists through the tag scheme the other lists through the API."""
    s = signed_layout
    ra, rb = regs[src_kind], regs[dst_kind]
    a = "docker://%s/%s:v1" % (ra.hostport, repo)
    r = run([berth.binary, "push", "--json", "oci:%s:v1" % s["layout"], a], env=berth.env)
    summary = json.loads([l for l in r.stdout.splitlines() if l.startswith("{")][-1])
    assert summary["referrers"] == 2, r.describe()
    entries = listed(ra, repo, s["image"]["digest"])
    assert [m["digest"] for m in entries] == [s["sbom"]["digest"]]
    assert listed_type(ra, entries[0]) == SBOM_TYPE
    assert entries[0]["annotations"] == {"org.example.kind": SBOM_TYPE}
    assert [m["digest"] for m in listed(ra, repo, s["sbom"]["digest"])] == [s["sig"]["digest"]]

    # registry -> registry (another repository, maybe another kind of registry)
    b = "docker://%s/%s-b:v1" % (rb.hostport, repo)
    r = berth.copy(a, b)
    assert r.json["referrers"] == 2
    assert [m["digest"] for m in listed(rb, repo + "-b", s["image"]["digest"])] == \
        [s["sbom"]["digest"]]
    assert [m["digest"] for m in listed(rb, repo + "-b", s["sbom"]["digest"])] == \
        [s["sig"]["digest"]]
    # the referrer's bytes arrived unchanged (its digest is its name)
    raw = itlib.skopeo_raw("%s/%s-b@%s" % (rb.hostport, repo, s["sbom"]["digest"]),
                           "--tls-verify=false")
    assert itlib.sha256(raw) == s["sbom"]["digest"]
    # oras, an independent client, finds them at the destination
    found = [dict(m, _repo=repo + "-b")
             for m in oras_discover("%s/%s-b:v1" % (rb.hostport, repo), berth.env)]
    assert [m["digest"] for m in found] == [s["sbom"]["digest"]]
    assert listed_type(rb, found[0]) == SBOM_TYPE

    # a re-run copies nothing new and keeps one entry per referrer
    r = berth.copy(a, b)
    assert r.json["blobs_copied"] == 0
    assert len(listed(rb, repo + "-b", s["image"]["digest"])) == 1

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


@pytest.mark.parametrize("src_kind", KINDS)
def test_replicate_carries_referrers(regs, src_kind, berth, repo, signed_layout):
    """One source, a destination of each kind."""
    s = signed_layout
    a = "docker://%s/%s:v1" % (regs[src_kind].hostport, repo)
    berth.copy("oci:%s:v1" % s["layout"], a)
    dsts = [(regs[k], "%s-r%d" % (repo, i)) for i, k in enumerate(KINDS)]
    r = run([berth.binary, "replicate", "--json", a,
             *["docker://%s/%s:v1" % (reg.hostport, name) for reg, name in dsts]], env=berth.env)
    results = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
    assert [x["referrers"] for x in results] == [2] * len(KINDS)
    for reg, name in dsts:
        assert [m["digest"] for m in listed(reg, name, s["image"]["digest"])] == \
            [s["sbom"]["digest"]]
        assert [m["digest"] for m in oras_discover("%s/%s:v1" % (reg.hostport, name),
                                                   berth.env)] == [s["sbom"]["digest"]]
