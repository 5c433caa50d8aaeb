"""A Dockerfile build's registry cache in the ECR stand-in, as a GitHub workflow keeps it:
`berth build --cache-to type=registry,ref=<ECR repo>:buildcache-...` on one runner,
`--cache-from` on a fresh one (its own cache directory), with the pusher's least-privilege
IAM keys. ECR (moto, told by the front) lists the cache as an image; the lifecycle
shorthand's build cache rule is accepted by ECR and keeps the cache out of --keep-last."""

from __future__ import annotations

import json
import uuid

import ecr_stack as E
from berth_cli import berth

DOCKERFILE = """FROM scratch
COPY a.txt /a.txt
COPY b.txt /b.txt
"""


def context(tmp_path, b_text: str):
    ctx = tmp_path / ("ctx-" + uuid.uuid4().hex[:6])
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(DOCKERFILE)
    (ctx / "a.txt").write_text("a\n")
    (ctx / "b.txt").write_text(b_text)
    return ctx


def test_build_cache_round_trip_and_lifecycle_rule(ecr_stack: E.EcrStack, tmp_path) -> None:
    st = ecr_stack
    repo = st.iam.repository
    host = st.front.host
    tag = "buildcache-" + uuid.uuid4().hex[:8]
    cache = "%s/%s:%s" % (host, repo, tag)
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    ctx = context(tmp_path, "b\n")
    r1 = berth(st, "build", "--progress", "plain", "--cache", str(tmp_path / "runner1"),
               "-t", "%s/%s:one" % (host, repo), "--cache-to",
               "type=registry,ref=%s,mode=max" % cache, str(ctx), extra=env)
    assert r1.returncode == 0, r1.stderr
    assert "build cache %s: 2 steps" % cache in r1.stderr, r1.stderr

    images = st.client("ecr", "admin").describe_images(repositoryName=repo)["imageDetails"]
    listed = [i for i in images if tag in i.get("imageTags", [])]
    assert len(listed) == 1, images
    assert listed[0]["imageManifestMediaType"] == "application/vnd.oci.image.manifest.v1+json"

    # A fresh runner: nothing local, every step found in ECR; the same image.
    r2 = berth(st, "build", "--progress", "plain", "--cache", str(tmp_path / "runner2"),
               "-t", "%s/%s:two" % (host, repo), "--cache-from", "type=registry,ref=" + cache,
               str(ctx), extra=env)
    assert r2.returncode == 0, r2.stderr
    assert r2.stderr.count("  CACHED") == 2, r2.stderr
    assert r2.stdout.strip() == r1.stdout.strip()

    # One file changed: the step before it hits, its own runs.
    r3 = berth(st, "build", "--progress", "plain", "--cache", str(tmp_path / "runner3"),
               "--output", "oci:%s:t" % (tmp_path / "three"), "--cache-from", cache,
               str(context(tmp_path, "b changed\n")), extra=env)
    assert r3.returncode == 0, r3.stderr
    assert r3.stderr.count("  CACHED") == 1, r3.stderr

    # The lifecycle rule for build caches, as ECR takes it.
    r = berth(st, "ecr", "put-lifecycle-policy", repo, "--keep-last", "1",
              "--expire-cache-after", "14", who="admin")
    assert r.returncode == 0, r.stderr
    policy = json.loads(st.client("ecr", "admin").get_lifecycle_policy(
        repositoryName=repo)["lifecyclePolicyText"])
    first = policy["rules"][0]
    assert first["rulePriority"] == 1 and first["selection"]["tagPrefixList"] == ["buildcache"]
    # --keep-last 1 would expire older images but never the cache pushed today.
    r = berth(st, "ecr", "put-lifecycle-policy", repo, "--keep-last", "1",
              "--expire-cache-after", "14", "--preview", who="admin")
    assert r.returncode == 0, r.stderr
    assert tag not in r.stdout, r.stdout
