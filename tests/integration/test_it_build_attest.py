"""berth build --sbom --provenance: signed with --sign-key, cosign verify-attestation
accepts both predicates (--type spdxjson and --type slsaprovenance1, transparency log
off); unsigned, they are OCI referrers of the image that oras discovers and copies
carry. The provenance comes from a GitHub-Actions-like environment and names the
base image's digest; the SBOM describes the built image's files."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess

import pytest

import itlib
from itlib import run
from test_it_sign import PASSWORD, cosign, keys  # noqa: F401 - keys is a fixture

INTOTO = "application/vnd.in-toto+json"
GITHUB = {
    "GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "octo/app", "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
    "GITHUB_REF": "refs/heads/main",
    "GITHUB_WORKFLOW_REF": "octo/app/.github/workflows/build.yml@refs/heads/main",
    "GITHUB_RUN_ID": "4242", "GITHUB_RUN_ATTEMPT": "2", "GITHUB_EVENT_NAME": "push",
    "RUNNER_ENVIRONMENT": "github-hosted",
}


@pytest.fixture
def app_dir(tmp_path):
    d = tmp_path / "app"
    (d / "srv").mkdir(parents=True)
    (d / "srv/app.sh").write_text("echo attested\n")
    return d


def verify_attestation(ref: str, pub: str, kind: str) -> dict:
    p = cosign("verify-attestation", "--key", pub, "--type", kind, "--insecure-ignore-tlog=true",
               "--allow-http-registry=true", "--allow-insecure-registry=true", ref)
    assert p.returncode == 0, p.stderr
    envelope = json.loads(p.stdout.splitlines()[0])
    return json.loads(base64.b64decode(envelope["payload"]))


def test_signed_sbom_and_provenance_verify_with_cosign(plain_reg, berth, repo, small_image, keys,
                                                       app_dir):
    base = "%s/%s-base:v1" % (plain_reg.hostport, repo)
    base_digest = berth.copy(small_image["ref"], "docker://" + base).json["digest"]
    ref = "%s/%s:v1" % (plain_reg.hostport, repo)
    env = dict(berth.env, COSIGN_PASSWORD=PASSWORD, **GITHUB)
    r = run([berth.binary, "build", "--quiet", "--from", base, "--layer", str(app_dir),
             "--output", "docker://" + ref, "--sbom", "--provenance",
             "--sign-key", keys["a"]["key"]], env=env)
    digest = r.stdout.strip()

    sbom = verify_attestation(ref, keys["a"]["pub"], "spdxjson")
    assert sbom["predicateType"] == "https://spdx.dev/Document"
    assert sbom["subject"][0]["digest"] == {"sha256": digest.split(":")[1]}
    files = {f["fileName"]: f for f in sbom["predicate"]["files"]}
    want = hashlib.sha256((app_dir / "srv/app.sh").read_bytes()).hexdigest()
    assert {"algorithm": "SHA256", "checksumValue": want} in files["./srv/app.sh"]["checksums"]
    assert "./layer0/hello.txt" in files  # the base image's files are in it too

    prov = verify_attestation(ref, keys["a"]["pub"], "slsaprovenance1")
    assert prov["predicateType"] == "https://slsa.dev/provenance/v1"
    pred = prov["predicate"]
    bd, rd = pred["buildDefinition"], pred["runDetails"]
    assert bd["buildType"] == "https://actions.github.io/buildtypes/workflow/v1"
    assert bd["externalParameters"]["workflow"] == {
        "ref": "refs/heads/main", "repository": "https://github.com/octo/app",
        "path": ".github/workflows/build.yml"}
    deps = {d["uri"]: d["digest"] for d in bd["resolvedDependencies"]}
    assert deps["git+https://github.com/octo/app@refs/heads/main"] == {"gitCommit": GITHUB["GITHUB_SHA"]}
    assert deps[base] == {"sha256": base_digest.split(":")[1]}
    assert rd["builder"]["id"] == "https://github.com/" + GITHUB["GITHUB_WORKFLOW_REF"]
    assert rd["metadata"]["invocationId"] == "https://github.com/octo/app/actions/runs/4242/attempts/2"

    # the other key verifies neither
    p = cosign("verify-attestation", "--key", keys["b"]["pub"], "--type", "slsaprovenance1",
               "--insecure-ignore-tlog=true", "--allow-http-registry=true",
               "--allow-insecure-registry=true", ref)
    assert p.returncode != 0


def test_unsigned_attestations_are_referrers(plain_reg, berth, repo, app_dir, tmp_path):
    layout = tmp_path / "out"
    env = dict(berth.env, SOURCE_DATE_EPOCH="1700000000")
    r = run([berth.binary, "build", "--json", "--layer", str(app_dir), "--output",
             "oci:%s:v1" % layout, "--sbom", "--provenance", "--builder-id",
             "https://ci.example/builder"], env=env)
    result = json.loads(r.stdout.strip().splitlines()[-1])
    digest = result["digest"]
    entries = itlib.layout_index(str(layout))["manifests"]
    referrers = [e for e in entries if e.get("artifactType") == INTOTO]
    assert len(referrers) == 2
    # --json names each attachment: type, unsigned, and the referrer's digest
    assert sorted((a["predicate_type"], a["signed"], a["digest"]) for a in result["attestations"]) \
        == sorted((json.loads(itlib.read_blob(str(layout), e["digest"]))["annotations"]
                   ["in-toto.io/predicate-type"], False, e["digest"]) for e in referrers)
    statements = {}
    for e in referrers:
        m = json.loads(itlib.read_blob(str(layout), e["digest"]))
        assert m["subject"]["digest"] == digest and m["artifactType"] == INTOTO
        st = json.loads(itlib.read_blob(str(layout), m["layers"][0]["digest"]))
        assert m["layers"][0]["annotations"]["in-toto.io/predicate-type"] == st["predicateType"]
        statements[st["predicateType"]] = st
    assert set(statements) == {"https://spdx.dev/Document", "https://slsa.dev/provenance/v1"}
    prov = statements["https://slsa.dev/provenance/v1"]["predicate"]
    assert prov["runDetails"]["builder"]["id"] == "https://ci.example/builder"
    assert prov["buildDefinition"]["resolvedDependencies"] == []  # scratch, no CI
    assert statements["https://spdx.dev/Document"]["predicate"]["spdxVersion"] == "SPDX-2.3"

    # a push carries them; oras finds both at the registry
    ref = "%s/%s:v1" % (plain_reg.hostport, repo)
    res = berth.copy("oci:%s:v1" % layout, "docker://" + ref)
    assert res.json["referrers"] == 2
    oras = os.path.join(itlib.ROOT, ".tools", "bin", "oras")
    oras = oras if os.access(oras, os.X_OK) else "oras"
    p = subprocess.run([oras, "discover", "--plain-http", "--format", "json", ref],
                       capture_output=True, text=True, env=berth.env)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    found = doc.get("referrers") or doc.get("manifests") or []
    assert sorted(m["artifactType"] for m in found) == [INTOTO, INTOTO]


def test_attestation_flags_are_checked(berth, app_dir, tmp_path):
    r = run([berth.binary, "build", "--layer", str(app_dir), "--output",
             "oci-archive:%s" % (tmp_path / "a.tar"), "--sbom"], env=berth.env, check=False)
    assert r.returncode == 2 and "archive" in r.stderr
    r = run([berth.binary, "build", "--layer", str(app_dir), "--output",
             "oci:%s:v1" % (tmp_path / "x"), "--sign-key", "k"], env=berth.env, check=False)
    assert r.returncode == 2
    assert not (tmp_path / "x").exists()
