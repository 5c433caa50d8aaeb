"""cosign-compatible signatures: cosign verifies what berth signs, berth verifies what
cosign signs (key pairs from `cosign generate-key-pair`, transparency log off: nothing
online is reachable), and `pull --verify-key` refuses unsigned or wrongly signed images
without writing anything. Against distribution 2.8."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

import itlib
from itlib import EXIT_GATE, EXIT_OK, run

PASSWORD = "correct horse battery staple"


def cosign_bin() -> str:
    path = shutil.which("cosign") or os.path.join(itlib.ROOT, ".tools", "bin", "cosign")
    if not os.access(path, os.X_OK):
        pytest.fail("cosign is not installed (scripts/setup.sh installs it)", pytrace=False)
    return path


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict:
    d = tmp_path_factory.mktemp("keys")
    env = dict(os.environ, COSIGN_PASSWORD=PASSWORD)
    for name in ("a", "b"):
        sub = d / name
        sub.mkdir()
        p = subprocess.run([cosign_bin(), "generate-key-pair"], cwd=sub, env=env,
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
    return {n: {"key": str(d / n / "cosign.key"), "pub": str(d / n / "cosign.pub")}
            for n in ("a", "b")}


def cosign(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, COSIGN_PASSWORD=PASSWORD, COSIGN_YES="true")
    return subprocess.run([cosign_bin(), *args], env=env, capture_output=True, text=True,
                          timeout=120)


def cosign_verify(ref: str, pub: str) -> subprocess.CompletedProcess:
    return cosign("verify", "--key", pub, "--insecure-ignore-tlog=true",
                  "--allow-http-registry=true", "--allow-insecure-registry=true", ref)


def push(berth, src: str, ref: str) -> str:
    return berth.copy(src, "docker://" + ref).json["digest"]


def test_cosign_verifies_what_berth_signs(plain_reg, berth, repo, small_image, keys):
    ref = "%s/%s:v1" % (plain_reg.hostport, repo)
    digest = push(berth, small_image["ref"], ref)
    env = dict(berth.env, COSIGN_PASSWORD=PASSWORD)
    r = run([berth.binary, "sign", "--key", keys["a"]["key"], "-a", "team=platform", ref], env=env)
    assert r.stdout.strip() == digest
    p = cosign_verify(ref, keys["a"]["pub"])
    assert p.returncode == 0, p.stderr
    assert digest in p.stdout and '"team":"platform"' in p.stdout.replace(" ", "")
    # the other key does not verify it, for cosign or for berth
    assert cosign_verify(ref, keys["b"]["pub"]).returncode != 0
    r = run([berth.binary, "verify", "--key", keys["b"]["pub"], ref], env=berth.env, check=False)
    assert r.returncode == EXIT_GATE, r.describe()
    # a wrong password is an authentication failure, and nothing is signed
    r = run([berth.binary, "sign", "--key", keys["a"]["key"], ref],
            env=dict(berth.env, COSIGN_PASSWORD="wrong"), check=False)
    assert r.returncode == 3 and "password" in r.stderr, r.describe()


def test_berth_verifies_what_cosign_signs(plain_reg, berth, repo, small_image, keys):
    ref = "%s/%s:v1" % (plain_reg.hostport, repo)
    digest = push(berth, small_image["ref"], ref)
    p = cosign("sign", "--key", keys["b"]["key"], "--tlog-upload=false",
               "--allow-http-registry=true", "--allow-insecure-registry=true", ref)
    assert p.returncode == 0, p.stderr
    r = run([berth.binary, "verify", "--key", keys["b"]["pub"], ref], env=berth.env)
    assert r.returncode == EXIT_OK and digest in r.stdout
    r = run([berth.binary, "verify", "--key", keys["a"]["pub"], ref], env=berth.env, check=False)
    assert r.returncode == EXIT_GATE


def test_pull_verify_key_refuses_unsigned_and_tampered(plain_reg, berth, repo, small_image,
                                                       multi_image, keys, tmp_path):
    ref = "%s/%s:v1" % (plain_reg.hostport, repo)
    push(berth, small_image["ref"], ref)
    out = tmp_path / "unsigned"
    r = run([berth.binary, "pull", "--verify-key", keys["a"]["pub"], ref, "oci:%s:v1" % out],
            env=berth.env, check=False)
    assert r.returncode == EXIT_GATE and "not signed" in r.stderr, r.describe()
    assert not out.exists()  # nothing written

    # push --sign-key signs what it pushed; pull --verify-key then takes it
    env = dict(berth.env, COSIGN_PASSWORD=PASSWORD)
    run([berth.binary, "push", "--quiet", "--sign-key", keys["a"]["key"], small_image["ref"], ref],
        env=env)
    assert cosign_verify(ref, keys["a"]["pub"]).returncode == 0
    good = tmp_path / "good"
    run([berth.binary, "pull", "--quiet", "--verify-key", keys["a"]["pub"], ref,
         "oci:%s:v1" % good], env=berth.env)
    itlib.verify_layout(str(good), "v1")
    # With --json every stderr line is JSON, the verification an event of its own.
    r = run([berth.binary, "pull", "--json", "--verify-key", keys["a"]["pub"], ref,
             "oci:%s:v1" % (tmp_path / "json")], env=berth.env)
    events = [json.loads(line) for line in r.stderr.splitlines()]
    verified = [e for e in events if e["event"] == "verified"]
    assert len(verified) == 1 and verified[0]["message"].startswith("1 signature(s) of sha256:")
    assert json.loads(r.stdout)["digest"] in verified[0]["message"]

    # the tag now moved to another image: its signature does not carry over
    push(berth, multi_image["ref"], ref)
    bad = tmp_path / "moved"
    r = run([berth.binary, "pull", "--verify-key", keys["a"]["pub"], ref, "oci:%s:v1" % bad],
            env=berth.env, check=False)
    assert r.returncode == EXIT_GATE, r.describe()
    assert not bad.exists()


def test_cosign_verifies_berths_attestation(plain_reg, berth, repo, small_image, keys, tmp_path):
    ref = "%s/%s:v1" % (plain_reg.hostport, repo)
    digest = push(berth, small_image["ref"], ref)
    sbom = tmp_path / "sbom.spdx.json"
    sbom.write_text('{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", '
                    '"name": "app", "packages": [{"name": "zlib", "versionInfo": "1.2.13"}]}')
    env = dict(berth.env, COSIGN_PASSWORD=PASSWORD)
    r = run([berth.binary, "attest", "--key", keys["a"]["key"], "--type", "spdxjson",
             "--predicate", str(sbom), ref], env=env)
    assert r.stdout.strip() == digest
    p = cosign("verify-attestation", "--key", keys["a"]["pub"], "--type", "spdxjson",
               "--insecure-ignore-tlog=true", "--allow-http-registry=true",
               "--allow-insecure-registry=true", ref)
    assert p.returncode == 0, p.stderr
    import base64
    import json
    envelope = json.loads(p.stdout.splitlines()[0])
    statement = json.loads(base64.b64decode(envelope["payload"]))
    assert statement["predicateType"] == "https://spdx.dev/Document"
    assert statement["subject"][0]["digest"] == {"sha256": digest.split(":")[1]}
    assert statement["predicate"]["packages"][0]["name"] == "zlib"
    # another key does not verify it
    p = cosign("verify-attestation", "--key", keys["b"]["pub"], "--type", "spdxjson",
               "--insecure-ignore-tlog=true", "--allow-http-registry=true",
               "--allow-insecure-registry=true", ref)
    assert p.returncode != 0
