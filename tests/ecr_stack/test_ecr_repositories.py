"""Repository settings through berth: IMMUTABLE_WITH_EXCLUSION (ensure-repository
--immutable-except), pushes that create a missing repository (--create-repository)
and replication that gives new repositories the source's settings. moto keeps the
settings (awscli reads them back); the ECR front enforces immutability on pushes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid

import ecr_stack as E
from berth_cli import berth

BINDING = os.path.join(os.path.dirname(__file__), "..", "..", "bindings", "python")


def _image(st: E.EcrStack, tmp_path, text: str) -> str:
    tag = uuid.uuid4().hex[:6]
    d = tmp_path / ("ctx-" + tag)
    d.mkdir()
    (d / "hello").write_text(text)
    layout = "oci:%s:%s" % (tmp_path / "layout", tag)
    r = berth(st, "build", "--from", "scratch", "--layer", "%s:/app" % d, "--output", layout)
    assert r.returncode == 0, r.stderr
    return layout


def _describe(st: E.EcrStack, name: str) -> dict:
    out = subprocess.run(
        ["aws", "ecr", "describe-repositories", "--repository-names", name, "--output", "json"],
        env={**os.environ, **st.aws_env("admin")},
        capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["repositories"][0]


def test_immutable_except_keeps_matching_tags_mutable(ecr_stack: E.EcrStack, tmp_path) -> None:
    st = ecr_stack
    name = "berth/except-" + uuid.uuid4().hex[:6]
    r = berth(st, "ecr", "ensure-repository", name, "--immutable-except", "latest",
              "--immutable-except", "dev-,pr-*", who="admin")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "%s/%s" % (st.front.host, name)
    repo = _describe(st, name)  # what the AWS CLI reads back
    assert repo["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert sorted(f["filter"] for f in repo["imageTagMutabilityExclusionFilters"]) == \
        ["dev-*", "latest*", "pr-*"]
    assert {f["filterType"] for f in repo["imageTagMutabilityExclusionFilters"]} == {"WILDCARD"}

    # Same settings again: nothing differs. Other filters: reported, applied with --apply.
    r = berth(st, "ecr", "ensure-repository", name, "--immutable-except", "latest,dev-,pr-*",
              who="admin")
    assert r.returncode == 0 and "differs" not in r.stderr, r.stderr
    r = berth(st, "ecr", "ensure-repository", name, "--immutable-except", "main-", who="admin")
    assert r.returncode == 0, r.stderr
    assert "differs: imageTagMutabilityExclusionFilters" in r.stderr, r.stderr
    assert _describe(st, name)["imageTagMutabilityExclusionFilters"][0]["filter"] != "main-*"
    r = berth(st, "ecr", "ensure-repository", name, "--immutable-except", "latest",
              "--immutable-except", "dev-", "--apply", who="admin")
    assert r.returncode == 0 and "(updated)" in r.stderr, r.stderr
    assert sorted(f["filter"] for f in _describe(st, name)["imageTagMutabilityExclusionFilters"]) \
        == ["dev-*", "latest*"]

    # The front asks moto: "latest" moves, "v1" does not.
    ref = "docker://%s/%s" % (st.front.host, name)
    first, second = _image(st, tmp_path, "one\n"), _image(st, tmp_path, "two\n")
    for tag in ("latest", "v1"):
        r = berth(st, "push", first, "%s:%s" % (ref, tag), who="admin")
        assert r.returncode == 0, r.stderr
    r = berth(st, "push", second, ref + ":latest", who="admin")
    assert r.returncode == 0, r.stderr
    r = berth(st, "push", second, ref + ":v1", who="admin")
    assert r.returncode != 0
    assert "TAG_INVALID" in r.stderr and "cannot be overwritten" in r.stderr, r.stderr


def test_push_creates_a_missing_repository_when_asked(ecr_stack: E.EcrStack, tmp_path) -> None:
    st = ecr_stack
    name = "berth/new-" + uuid.uuid4().hex[:6]
    layout = _image(st, tmp_path, "new\n")
    ref = "%s/%s:v1" % (st.front.host, name)
    r = berth(st, "push", layout, ref, who="admin")
    assert r.returncode != 0 and "NAME_UNKNOWN" in r.stderr, r.stderr
    r = berth(st, "push", "--create-repository", "--quiet", layout, ref, who="admin")
    assert r.returncode == 0, r.stderr
    digest = r.stdout.strip()
    repo = _describe(st, name)
    assert repo["imageTagMutability"] == "MUTABLE"
    images = st.client("ecr", "admin").describe_images(repositoryName=name)["imageDetails"]
    assert [i["imageDigest"] for i in images] == [digest]
    # Already there: nothing is created, the push is a no-op.
    r = berth(st, "push", "--create-repository", "--quiet", layout, ref, who="admin")
    assert r.returncode == 0 and r.stdout.strip() == digest, r.stderr


def test_create_repository_needs_the_right_to_create(ecr_stack: E.EcrStack, tmp_path) -> None:
    # The pusher may push but not create: a clear refusal before any blob moves.
    st = ecr_stack
    name = "berth/denied-" + uuid.uuid4().hex[:6]
    layout = _image(st, tmp_path, "denied\n")
    st.front.clear_requests()
    r = berth(st, "push", "--create-repository", layout, "%s/%s:v1" % (st.front.host, name))
    assert r.returncode != 0
    assert "CreateRepository" in r.stderr or "AccessDenied" in r.stderr, r.stderr
    assert not [q for q in st.front.requests if q["kind"] == "upload"]


def test_replicate_gives_new_repositories_the_source_settings(ecr_stack: E.EcrStack,
                                                               tmp_path) -> None:
    st = ecr_stack
    src_name = "berth/src-" + uuid.uuid4().hex[:6]
    r = berth(st, "ecr", "ensure-repository", src_name, "--scan-on-push", "--immutable-except",
              "latest", who="admin")
    assert r.returncode == 0, r.stderr
    src = "docker://%s/%s:v1" % (st.front.host, src_name)
    r = berth(st, "push", _image(st, tmp_path, "replicated\n"), src, who="admin")
    assert r.returncode == 0, r.stderr
    dsts = ["docker://%s/berth/dst%d-%s:v1" % (st.front.host, i, uuid.uuid4().hex[:6])
            for i in range(2)]
    r = berth(st, "replicate", "--create-repository", "--json", src, *dsts, who="admin")
    assert r.returncode == 0, r.stderr
    for d in dsts:
        name = d.split("/", 3)[3].rsplit(":", 1)[0]
        repo = _describe(st, name)
        assert repo["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION", repo
        assert [f["filter"] for f in repo["imageTagMutabilityExclusionFilters"]] == ["latest*"]
        assert repo["imageScanningConfiguration"]["scanOnPush"] is True
        tags = st.client("ecr", "admin").list_images(repositoryName=name)["imageIds"]
        assert [t.get("imageTag") for t in tags] == ["v1"]


def test_lifecycle_preview_keeps_an_index_and_its_children_together(ecr_stack: E.EcrStack,
                                                                   tmp_path) -> None:
    # ECR judges each manifest alone: "keep 1 untagged" would take the untagged
    # children of a tagged multi-arch index. berth's preview judges units.
    st = ecr_stack
    name = "berth/units-" + uuid.uuid4().hex[:6]
    assert berth(st, "ecr", "ensure-repository", name, who="admin").returncode == 0
    ref = "%s/%s" % (st.front.host, name)
    layout = tmp_path / "images"
    for platform in ("linux/amd64", "linux/arm64"):
        d = tmp_path / platform.replace("/", "-")
        d.mkdir()
        (d / "f").write_text(platform)
        r = berth(st, "build", "--from", "scratch", "--layer", str(d), "--platform", platform,
                  "--output", "oci:%s:%s" % (layout, platform.split("/")[1]))
        assert r.returncode == 0, r.stderr
    r = berth(st, "index", "--quiet", "oci:%s:amd64" % layout, "oci:%s:arm64" % layout,
              "--output", "docker://%s:multi" % ref, who="admin")
    assert r.returncode == 0, r.stderr
    index = r.stdout.strip()
    # ECR's imagePushedAt has whole seconds (moto's too): the lone images must be pushed
    # in a later second than the index for "newest" to be decided.
    time.sleep(1.1)
    for text in ("old\n", "new\n"):  # two images of their own, untagged (by digest)
        d = tmp_path / ("lone-" + text.strip())
        d.mkdir()
        (d / "f").write_text(text)
        src = "oci:%s:%s" % (layout, d.name)
        r = berth(st, "build", "--quiet", "--from", "scratch", "--layer", str(d), "--output", src)
        assert r.returncode == 0, r.stderr
        r = berth(st, "push", "--quiet", src, "%s@%s" % (ref, r.stdout.strip()), who="admin")
        assert r.returncode == 0, r.stderr
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"rules": [{"rulePriority": 1, "selection": {
        "tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1},
        "action": {"type": "expire"}}]}))
    r = berth(st, "ecr", "put-lifecycle-policy", name, "--file", str(policy), "--preview",
              who="admin")
    assert r.returncode == 0, r.stderr
    # Only the older lone image: the index's untagged children are not "untagged".
    assert r.stdout.startswith("1 of 5 images would expire"), r.stdout
    assert "with" not in r.stdout
    # A rule that expires the index takes its children with it; "any, keep 1" keeps the
    # newest unit whole (a lone image, pushed last) and expires the other lone one.
    policy.write_text(json.dumps({"rules": [{"rulePriority": 1, "selection": {
        "tagStatus": "tagged", "tagPrefixList": ["multi"], "countType": "sinceImagePushed",
        "countUnit": "days", "countNumber": 1}, "action": {"type": "expire"}},
        {"rulePriority": 2, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan",
                                          "countNumber": 1}, "action": {"type": "expire"}}]}))
    r = berth(st, "ecr", "put-lifecycle-policy", name, "--file", str(policy), "--preview",
              who="admin")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("1 of 5 images would expire"), r.stdout
    assert "rule 2" in lines[1] and "<untagged>" in lines[1] and "with" not in lines[1]
    # Through the C ABI (the Python binding): each child names its index as its unit.
    policy.write_text(json.dumps({"rules": [{"rulePriority": 1, "selection": {
        "tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1},
        "action": {"type": "expire"}}]}))
    env = {**st.berth_env(), **st.aws_env("admin")}
    code = ("import json,sys,berth; p=open(sys.argv[1]).read(); "
            "print(json.dumps(berth.ecr_lifecycle_preview(sys.argv[2], p)))")
    out = subprocess.run([sys.executable, "-c", code, str(policy), name], capture_output=True,
                         text=True, timeout=60, env={**os.environ, **env, "PYTHONPATH": BINDING})
    assert out.returncode == 0, out.stderr
    preview = json.loads(out.stdout)
    units = {i["digest"]: i["unit"] for i in preview["images"]}
    # Three units (the index with its children, two lone images pushed after it): "keep
    # 1" keeps the newest lone image and expires the other two units, the index whole.
    assert preview["total"] == 5
    assert units.get(index) == index, preview
    assert list(units.values()).count(index) == 3, preview
    assert len(units) == 4 and len(set(units.values())) == 2, preview
