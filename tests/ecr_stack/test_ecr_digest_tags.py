"""cosign's digest tags ("sha256-<hex>.sig") follow an image into and out of ECR: a
copy from a plain registry into the stand-in's IMMUTABLE repository carries the
signature tag, a re-run leaves it alone (same digest: nothing to overwrite), a
signature added at the source afterwards cannot replace the immutable tag and is a
warning, not a failed copy; a copy out of ECR into a plain registry carries the tag
again and `cosign verify` accepts it there."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid

import pytest

import ecr_stack as E
import stack as S
from berth_cli import berth

PASSWORD = "correct horse battery staple"
ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def cosign_bin() -> str:
    path = shutil.which("cosign") or os.path.join(ROOT, ".tools", "bin", "cosign")
    if not os.access(path, os.X_OK):
        pytest.fail("cosign is not installed (scripts/setup.sh installs it)", pytrace=False)
    return path


def cosign(*args: str, cwd: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, COSIGN_PASSWORD=PASSWORD, COSIGN_YES="true")
    return subprocess.run([cosign_bin(), *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict:
    out = {}
    for name in ("a", "b"):
        d = tmp_path_factory.mktemp("key-" + name)
        p = cosign("generate-key-pair", cwd=str(d))
        assert p.returncode == 0, p.stderr
        out[name] = {"key": str(d / "cosign.key"), "pub": str(d / "cosign.pub")}
    return out


@pytest.fixture(scope="module")
def upstream():
    with S.Registry() as up:
        yield up


def ecr_tags(st: E.EcrStack, repository: str) -> dict:
    """tag -> digest, as ECR (moto, told by the front) lists the repository."""
    out = {}
    for image in st.client("ecr", "admin").describe_images(
            repositoryName=repository)["imageDetails"]:
        for t in image.get("imageTags", []):
            out[t] = image["imageDigest"]
    return out


def plain_tag_digest(reg: S.Registry, repo: str, tag: str) -> str | None:
    st, headers, _ = reg.request("HEAD", "/v2/%s/manifests/%s" % (repo, tag), headers={
        "Accept": "application/vnd.oci.image.manifest.v1+json"})
    if st == 404:
        return None
    assert st == 200
    return headers["docker-content-digest"]


def test_signature_tags_into_immutable_ecr_and_out(ecr_stack: E.EcrStack, upstream: S.Registry,
                                                   keys, tmp_path) -> None:
    st = ecr_stack
    sign_env = {"COSIGN_PASSWORD": PASSWORD}
    app = tmp_path / "app"
    app.mkdir()
    (app / "hello").write_text("signed %s\n" % uuid.uuid4().hex)
    layout = "oci:%s:v1" % (tmp_path / "layout")
    r = berth(st, "build", "--quiet", "--from", "scratch", "--layer", "%s:/app" % app,
              "--output", layout)
    assert r.returncode == 0, r.stderr
    repo = "team/app-" + uuid.uuid4().hex[:6]
    src = "%s/%s:v1" % (upstream.hostport, repo)
    r = berth(st, "push", "--quiet", "--sign-key", keys["a"]["key"], layout, src,
              extra=sign_env)
    assert r.returncode == 0, r.stderr
    digest = r.stdout.strip()
    sig_tag = digest.replace(":", "-") + ".sig"
    sig_a = plain_tag_digest(upstream, repo, sig_tag)
    assert sig_a

    # into the immutable repository: the image and its signature tag
    tag = "v1-" + uuid.uuid4().hex[:6]
    dst = "%s/%s:%s" % (st.front.host, st.immutable_repository, tag)
    r = berth(st, "copy", "--json", src, dst)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    tags = ecr_tags(st, st.immutable_repository)
    assert tags[tag] == digest and tags.get(sig_tag) == sig_a, tags
    assert res["digest"] == digest and res["digest_tags"] == 1, r.stdout
    r = berth(st, "verify", "--key", keys["a"]["pub"], dst)
    assert r.returncode == 0, r.stderr

    # a re-run: the tag holds the same digest, nothing is overwritten
    r = berth(st, "copy", "--json", src, dst)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["digest_tags"] == 1 and "warning" not in r.stderr, r.stderr

    # a second signature at the source: the immutable tag keeps the first, with a warning
    r = berth(st, "sign", "--key", keys["b"]["key"], src, extra=sign_env)
    assert r.returncode == 0, r.stderr
    assert plain_tag_digest(upstream, repo, sig_tag) != sig_a
    r = berth(st, "copy", "--json", src, dst)
    assert r.returncode == 0, r.stderr
    assert "warning" in r.stderr and sig_tag in r.stderr and "immutable" in r.stderr, r.stderr
    assert ecr_tags(st, st.immutable_repository)[sig_tag] == sig_a

    # out of ECR into a plain registry: cosign verifies the signature there
    out = "%s/%s-from-ecr:v1" % (upstream.hostport, repo)
    r = berth(st, "copy", "--json", dst, out)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["digest_tags"] == 1, r.stdout
    assert plain_tag_digest(upstream, repo + "-from-ecr", sig_tag) == sig_a
    p = cosign("verify", "--key", keys["a"]["pub"], "--insecure-ignore-tlog=true",
               "--allow-http-registry=true", "--allow-insecure-registry=true", out)
    assert p.returncode == 0, p.stderr
    assert digest in p.stdout
