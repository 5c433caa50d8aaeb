"""Pull-through caches, mirrors and creation templates through berth, against the ECR
stand-in's control plane (rules and templates; the AWS CLI is its judge in
test_ecr_pull_through.py) and front (the pull-through copy, create-on-push):

* ensure-pull-through-cache makes the rule (and reports/changes what differs),
* pull/copy/build --mirror docker-host=ECR/prefix read through the cache — which
  fetches from the upstream registry on that first pull — and fall back to the
  upstream when the mirror cannot serve; builds record base.name/base.digest,
* ensure-creation-template with CREATE_ON_PUSH lets a plain push create its repository.
"""

from __future__ import annotations

import json
import os
import sys
import uuid

import pytest

import ecr_stack as E
import stack as S
from berth_cli import berth

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bindings", "python"))
import berth as berthpy  # noqa: E402


@pytest.fixture(scope="module")
def upstream():
    """A plain registry standing for Docker Hub, GHCR, ... with one image."""
    with S.Registry() as up:
        yield up


def _upstream_image(st: E.EcrStack, up: S.Registry, tmp_path, repo: str) -> str:
    d = tmp_path / ("ctx-" + uuid.uuid4().hex[:6])
    d.mkdir()
    (d / "hello").write_text("upstream %s\n" % repo)
    layout = "oci:%s:v1" % (tmp_path / ("up-" + d.name))
    r = berth(st, "build", "--quiet", "--from", "scratch", "--layer", "%s:/app" % d, "--output",
              layout)
    assert r.returncode == 0, r.stderr
    r = berth(st, "push", "--quiet", layout, "%s/%s:v1" % (up.hostport, repo))
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def _prefix() -> str:
    return "cache-" + uuid.uuid4().hex[:6]


def test_ensure_pull_through_cache(ecr_stack: E.EcrStack, upstream: S.Registry) -> None:
    st, prefix = ecr_stack, _prefix()
    r = berth(st, "ecr", "ensure-pull-through-cache", "--prefix", prefix, "--upstream",
              upstream.hostport, who="admin")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "%s/%s" % (st.front.host, prefix)
    assert "created" in r.stderr
    rules = st.control_plane_client("admin").describe_pull_through_cache_rules(
        ecrRepositoryPrefixes=[prefix])["pullThroughCacheRules"]
    assert [(x["ecrRepositoryPrefix"], x["upstreamRegistryUrl"]) for x in rules] == \
        [(prefix, upstream.hostport)]
    # Again: nothing to do. Another upstream: reported, never changed.
    r = berth(st, "ecr", "ensure-pull-through-cache", "--prefix", prefix, "--upstream",
              upstream.hostport, who="admin")
    assert r.returncode == 0 and "differs" not in r.stderr, r.stderr
    r = berth(st, "ecr", "ensure-pull-through-cache", "--prefix", prefix, "--upstream",
              "ghcr.io", "--apply", who="admin")
    assert r.returncode == 0, r.stderr
    assert "differs: upstreamRegistryUrl" in r.stderr and "cannot change" in r.stderr
    # The pusher may not create rules: a clear refusal.
    r = berth(st, "ecr", "ensure-pull-through-cache", "--prefix", _prefix(), "--upstream",
              upstream.hostport)
    assert r.returncode != 0 and "AccessDenied" in r.stderr, r.stderr


def test_pull_and_build_through_the_cache(ecr_stack: E.EcrStack, upstream: S.Registry,
                                          tmp_path) -> None:
    st, prefix = ecr_stack, _prefix()
    digest = _upstream_image(st, upstream, tmp_path, "team/base")
    r = berth(st, "ecr", "ensure-pull-through-cache", "--prefix", prefix, "--upstream",
              upstream.hostport, who="admin")
    assert r.returncode == 0, r.stderr
    mirror = "%s=%s" % (upstream.hostport, r.stdout.strip())

    st.front.clear_requests()
    r = berth(st, "pull", "--json", "--mirror", mirror, "%s/team/base:v1" % upstream.hostport,
              "oci:%s:v1" % (tmp_path / "pulled"))
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert result["digest"] == digest
    assert result["mirror"] == "docker://%s/%s/team/base:v1" % (st.front.host, prefix)
    fetched = [q for q in st.front.requests if q.get("pull_through")]
    assert fetched and fetched[0]["pull_through"]["copied"], fetched
    # The cache now holds it: ECR lists the repository and the image.
    images = st.client("ecr", "admin").describe_images(repositoryName=prefix + "/team/base")
    assert digest in [i["imageDigest"] for i in images["imageDetails"]]

    # A build on the upstream name through the mirror records the upstream's name and
    # the digest it resolved to.
    app = tmp_path / "app"
    app.mkdir()
    (app / "main").write_text("app\n")
    r = berth(st, "build", "--json", "--mirror", mirror, "--from",
              "%s/team/base:v1" % upstream.hostport, "--layer", "%s:/srv" % app, "--output",
              "oci:%s:app" % (tmp_path / "built"))
    assert r.returncode == 0, r.stderr
    built = json.loads(r.stdout.strip().splitlines()[-1])
    assert built["base_digest"] == digest and built["base_mirror"].startswith("docker://" + st.front.host)
    index = json.loads((tmp_path / "built" / "index.json").read_text())
    blob = index["manifests"][0]["digest"].split(":")[1]
    manifest = json.loads((tmp_path / "built" / "blobs" / "sha256" / blob).read_text())
    assert manifest["annotations"]["org.opencontainers.image.base.digest"] == digest
    assert manifest["annotations"]["org.opencontainers.image.base.name"] == \
        "%s/team/base:v1" % upstream.hostport


def test_a_mirror_that_cannot_serve_falls_back(ecr_stack: E.EcrStack, upstream: S.Registry,
                                               tmp_path) -> None:
    # No rule for this prefix: the front answers NAME_UNKNOWN and berth reads upstream.
    st = ecr_stack
    digest = _upstream_image(st, upstream, tmp_path, "team/direct")
    mirror = "%s=%s/%s" % (upstream.hostport, st.front.host, _prefix())
    r = berth(st, "pull", "--mirror", mirror, "%s/team/direct:v1" % upstream.hostport,
              "oci:%s:v1" % (tmp_path / "pulled"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == digest
    assert "read through" not in r.stderr
    # A malformed mirror is a usage error before anything moves.
    r = berth(st, "pull", "--mirror", "no-equals-sign", "%s/team/direct:v1" % upstream.hostport,
              "oci:%s:v1" % (tmp_path / "other"))
    assert r.returncode != 0 and "SRC_REGISTRY=HOST" in r.stderr, r.stderr
    assert not (tmp_path / "other").exists()


def test_creation_template_lets_a_push_create_its_repository(ecr_stack: E.EcrStack,
                                                             tmp_path) -> None:
    st, prefix = ecr_stack, "team-" + uuid.uuid4().hex[:6]
    r = berth(st, "ecr", "ensure-creation-template", "--prefix", prefix, "--applied-for",
              "CREATE_ON_PUSH", "--immutable-except", "latest", "--keep-last", "5", who="admin")
    assert r.returncode == 0, r.stderr
    [t] = st.control_plane_client("admin").describe_repository_creation_templates(
        prefixes=[prefix])["repositoryCreationTemplates"]
    assert t["appliedFor"] == ["CREATE_ON_PUSH"]
    assert t["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert json.loads(t["lifecyclePolicy"])["rules"][0]["selection"]["countNumber"] == 5
    r = berth(st, "ecr", "ensure-creation-template", "--prefix", prefix, "--applied-for",
              "CREATE_ON_PUSH,PULL_THROUGH_CACHE", "--immutable-except", "latest", "--keep-last",
              "5", "--apply", who="admin")
    assert r.returncode == 0 and "differs: appliedFor" in r.stderr and "(updated)" in r.stderr

    d = tmp_path / "ctx"
    d.mkdir()
    (d / "x").write_text("x\n")
    layout = "oci:%s:v1" % (tmp_path / "layout")
    assert berth(st, "build", "--from", "scratch", "--layer", str(d), "--output",
                 layout).returncode == 0
    name = "%s/svc" % prefix
    r = berth(st, "push", "--quiet", layout, "%s/%s:v1" % (st.front.host, name))
    assert r.returncode == 0, r.stderr  # ECR created it from the template
    repo = st.client("ecr", "admin").describe_repositories(repositoryNames=[name])
    assert repo["repositories"][0]["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"


def test_bindings_reach_the_rules_and_templates(ecr_stack: E.EcrStack, upstream: S.Registry,
                                                monkeypatch) -> None:
    st = ecr_stack
    for k, v in st.aws_env("admin", control_plane=True).items():
        monkeypatch.setenv(k, v)
    prefix = _prefix()
    made = berthpy.ecr_ensure_pull_through_cache(prefix, upstream.hostport)
    assert made["created"] and made["uri"] == "%s/%s" % (st.front.host, prefix)
    again = berthpy.ecr_ensure_pull_through_cache(prefix, "ghcr.io")
    assert not again["created"] and any("upstreamRegistryUrl" in d for d in again["differences"])
    t = berthpy.ecr_ensure_creation_template("tpl-" + prefix, applied_for=["CREATE_ON_PUSH"],
                                             immutable=True)
    assert t["created"]
    with pytest.raises(berthpy.InvalidArgumentError):
        berthpy.ecr_ensure_creation_template("x", applied_for=["SOMETIMES"])
