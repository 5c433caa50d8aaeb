"""cosign's tag scheme follows images: what `berth sign` and `berth attest` (like cosign
by default) store under the tags "sha256-<hex>.sig" and ".att" travels with `copy`,
`replicate` and `pull` (to an OCI layout, and from it to a registry again), as regctl
--digest-tags carries it, and `cosign verify` / `verify-attestation` accept the copy.
And referrers discovery never fails the image: a registry without the referrers API
whose fallback tag "sha256-<hex>" holds an image manifest (not an index) is taken as
no referrers, with a warning; a signature that is found but cannot be copied fails the
pull only after the image has landed. Against distribution 2.8 (Debian's
docker-registry)."""

from __future__ import annotations

import json
import os

import pytest

import itlib
import stack
from itlib import run
from test_it_sign import PASSWORD, cosign, cosign_verify, keys  # noqa: F401 - keys is a fixture

SIG_TYPE = "application/vnd.dev.cosign.artifact.sig.v1+json"
SBOM = ('{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": "app", '
        '"packages": [{"name": "zlib", "versionInfo": "1.2.13"}]}')


def tag_digest(reg, repo: str, tag: str) -> str | None:
    """The digest of the manifest under repo:tag (of the bytes served), None if absent."""
    st, _, body = reg.request("GET", "/v2/%s/manifests/%s" % (repo, tag), headers={
        "Accept": ", ".join((itlib.OCI_MANIFEST, itlib.OCI_INDEX,
                             "application/vnd.docker.distribution.manifest.v2+json"))})
    if st == 404:
        return None
    assert st == 200, (st, body)
    return itlib.sha256(body)


def digest_tag(digest: str, suffix: str) -> str:
    return digest.replace(":", "-") + "." + suffix


def cosign_verify_attestation(ref: str, pub: str):
    return cosign("verify-attestation", "--key", pub, "--type", "spdxjson",
                  "--insecure-ignore-tlog=true", "--allow-http-registry=true",
                  "--allow-insecure-registry=true", ref)


@pytest.fixture
def signed(plain_reg, berth, repo, small_image, keys, tmp_path) -> dict:
    """small_image at REG/repo:v1, signed with key a (".sig") and attested (".att")."""
    ref = "%s/%s:v1" % (plain_reg.hostport, repo)
    digest = berth.copy(small_image["ref"], "docker://" + ref).json["digest"]
    env = dict(berth.env, COSIGN_PASSWORD=PASSWORD)
    run([berth.binary, "sign", "--key", keys["a"]["key"], ref], env=env)
    sbom = tmp_path / "sbom.spdx.json"
    sbom.write_text(SBOM)
    run([berth.binary, "attest", "--key", keys["a"]["key"], "--type", "spdxjson", "--predicate",
         str(sbom), ref], env=env)
    tags = {s: tag_digest(plain_reg, repo, digest_tag(digest, s)) for s in ("sig", "att")}
    assert all(tags.values()), tags
    return {"ref": ref, "repo": repo, "digest": digest, "tags": tags}


def assert_carried(reg, repo: str, signed: dict, pub: str, suffixes=("sig", "att")) -> None:
    """The destination repo has the source's digest tags, byte for byte, and cosign
    verifies the signature (and the attestation) there."""
    digest = signed["digest"]
    for s in suffixes:
        assert tag_digest(reg, repo, digest_tag(digest, s)) == signed["tags"][s], s
    ref = "%s/%s:v1" % (reg.hostport, repo)
    p = cosign_verify(ref, pub)
    assert p.returncode == 0, p.stderr
    assert digest in p.stdout
    if "att" in suffixes:
        p = cosign_verify_attestation(ref, pub)
        assert p.returncode == 0, p.stderr


def test_copy_carries_signature_and_attestation_tags(plain_reg, berth, signed, keys):
    dst = signed["repo"] + "-copy"
    r = berth.copy("docker://" + signed["ref"], "docker://%s/%s:v1" % (plain_reg.hostport, dst))
    assert r.json["digest"] == signed["digest"]
    assert_carried(plain_reg, dst, signed, keys["a"]["pub"])
    assert r.json["digest_tags"] == 2 and r.json["referrers"] == 2, r.describe()
    # the other key still does not verify the copy
    assert cosign_verify("%s/%s:v1" % (plain_reg.hostport, dst), keys["b"]["pub"]).returncode != 0
    # a re-run finds both tags in place and writes nothing
    r = berth.copy("docker://" + signed["ref"], "docker://%s/%s:v1" % (plain_reg.hostport, dst))
    assert r.json["digest_tags"] == 2 and r.json["manifests"] == 0, r.describe()

    # the text summary counts them among the referrers
    r = run([berth.binary, "copy", signed["ref"], "%s/%s-text:v1" % (plain_reg.hostport, dst)],
            env=berth.env)
    assert "2 referrers" in r.stderr, r.describe()


def test_referrers_false_and_artifact_type_choose_digest_tags(plain_reg, berth, signed, keys):
    digest = signed["digest"]
    none = signed["repo"] + "-none"
    r = berth.copy("docker://" + signed["ref"], "docker://%s/%s:v1" % (plain_reg.hostport, none),
                   "--referrers=false")
    assert tag_digest(plain_reg, none, digest_tag(digest, "sig")) is None
    assert r.json["digest_tags"] == 0
    # cosign's artifact type for signatures chooses the ".sig" tag alone
    sig = signed["repo"] + "-sig"
    r = berth.copy("docker://" + signed["ref"], "docker://%s/%s:v1" % (plain_reg.hostport, sig),
                   "--artifact-type", SIG_TYPE)
    assert_carried(plain_reg, sig, signed, keys["a"]["pub"], suffixes=("sig",))
    assert tag_digest(plain_reg, sig, digest_tag(digest, "att")) is None
    assert r.json["digest_tags"] == 1, r.describe()
    # ... and a DSSE envelope layer type the ".att" tag
    att = signed["repo"] + "-att"
    r = berth.copy("docker://" + signed["ref"], "docker://%s/%s:v1" % (plain_reg.hostport, att),
                   "--artifact-type", "application/vnd.dsse.envelope.v1+json")
    assert tag_digest(plain_reg, att, digest_tag(digest, "sig")) is None
    assert tag_digest(plain_reg, att, digest_tag(digest, "att")) == signed["tags"]["att"]
    assert r.json["digest_tags"] == 1, r.describe()


def test_replicate_carries_digest_tags(plain_reg, berth, signed, keys):
    dsts = [signed["repo"] + "-r1", signed["repo"] + "-r2"]
    r = run([berth.binary, "replicate", "--json", signed["ref"],
             *("%s/%s:v1" % (plain_reg.hostport, d) for d in dsts)], env=berth.env)
    results = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    for d in dsts:
        assert_carried(plain_reg, d, signed, keys["a"]["pub"])
    assert [x["digest_tags"] for x in results] == [2, 2], r.describe()


def test_pull_to_layout_and_push_back(plain_reg, berth, signed, keys, tmp_path):
    out = tmp_path / "pulled"
    r = run([berth.binary, "pull", "--json", signed["ref"], "oci:%s:v1" % out], env=berth.env)
    # the layout keeps them as tags of its own (where berth sign oci:DIR puts them)
    for s in ("sig", "att"):
        entry = itlib.layout_entry(str(out), digest_tag(signed["digest"], s))
        assert entry["digest"] == signed["tags"][s]
    assert json.loads(r.stdout.splitlines()[-1])["digest_tags"] == 2, r.describe()
    itlib.verify_layout(str(out), "v1")
    # berth verifies the layout's signature, and a push carries the tags back
    run([berth.binary, "verify", "--key", keys["a"]["pub"], "oci:%s:v1" % out], env=berth.env)
    back = signed["repo"] + "-back"
    r = berth.copy("oci:%s:v1" % out, "docker://%s/%s:v1" % (plain_reg.hostport, back))
    assert_carried(plain_reg, back, signed, keys["a"]["pub"])
    assert r.json["digest_tags"] == 2, r.describe()


def test_index_and_child_signatures_follow(plain_reg, berth, repo, multi_image, keys):
    ref = "%s/%s:multi" % (plain_reg.hostport, repo)
    index = berth.copy(multi_image["ref"], "docker://" + ref).json["digest"]
    child = multi_image["children"]["arm64"]["digest"]
    env = dict(berth.env, COSIGN_PASSWORD=PASSWORD)
    run([berth.binary, "sign", "--key", keys["a"]["key"], ref], env=env)
    run([berth.binary, "sign", "--key", keys["a"]["key"],
         "%s/%s@%s" % (plain_reg.hostport, repo, child)], env=env)
    dst = repo + "-copy"
    r = berth.copy("docker://" + ref, "docker://%s/%s:multi" % (plain_reg.hostport, dst))
    for d in (index, child):
        assert tag_digest(plain_reg, dst, digest_tag(d, "sig")) == \
            tag_digest(plain_reg, repo, digest_tag(d, "sig"))
        p = cosign_verify("%s/%s@%s" % (plain_reg.hostport, dst, d), keys["a"]["pub"])
        assert p.returncode == 0, p.stderr
    assert r.json["digest_tags"] == 2, r.describe()


def test_fallback_tag_holding_an_image_is_no_referrers(plain_reg, berth, repo, small_image,
                                                       multi_image, tmp_path):
    ref = "%s/%s:v1" % (plain_reg.hostport, repo)
    digest = berth.copy(small_image["ref"], "docker://" + ref).json["digest"]
    # an image manifest (not an index) under the referrers fallback tag of the image
    fallback = "%s/%s:%s" % (plain_reg.hostport, repo, digest.replace(":", "-"))
    berth.copy("oci:%s:amd64" % multi_image["layout"], "docker://" + fallback)
    out = tmp_path / "pulled"
    r = run([berth.binary, "pull", ref, "oci:%s:v1" % out], env=berth.env, check=False)
    assert r.returncode == 0, r.describe()
    assert "warning" in r.stderr and "not a referrers index" in r.stderr, r.describe()
    itlib.verify_layout(str(out), "v1")
    assert itlib.layout_entry(str(out), "v1")["digest"] == digest
    r = berth.copy("docker://" + ref, "docker://%s/%s-copy:v1" % (plain_reg.hostport, repo),
                   check=False)
    assert r.returncode == 0, r.describe()
    assert r.json["referrers"] == 0 and r.json["warnings"], r.describe()
    assert "not a referrers index" in r.stderr
    assert tag_digest(plain_reg, repo + "-copy", "v1") == digest


def test_a_signature_that_fails_to_copy_fails_the_pull_after_the_image(berth, repo, small_image,
                                                                        keys, tmp_path):
    """Found but not copied is not discovery: the pull fails, yet the image has landed."""
    with stack.Registry() as reg:
        ref = "%s/%s:v1" % (reg.hostport, repo)
        digest = berth.copy(small_image["ref"], "docker://" + ref).json["digest"]
        env = dict(berth.env, COSIGN_PASSWORD=PASSWORD)
        run([berth.binary, "sign", "--key", keys["a"]["key"], ref], env=env)
        st, _, body = reg.request("GET", "/v2/%s/manifests/%s" % (repo, digest_tag(digest, "sig")),
                                  headers={"Accept": itlib.OCI_MANIFEST})
        assert st == 200
        layer = json.loads(body)["layers"][0]["digest"]
        path = os.path.join(reg.storage_dir, "docker", "registry", "v2", "blobs", "sha256",
                            layer[7:9], layer[7:], "data")
        data = bytearray(open(path, "rb").read())
        data[len(data) // 2] ^= 0xFF  # same size: only the digest can tell
        with open(path, "wb") as f:
            f.write(bytes(data))
        out = tmp_path / "pulled"
        r = run([berth.binary, "pull", ref, "oci:%s:v1" % out], env=berth.env, check=False)
        assert r.returncode != 0 and layer in r.stderr, r.describe()
        assert itlib.layout_entry(str(out), "v1")["digest"] == digest
        itlib.verify_layout(str(out), "v1")
