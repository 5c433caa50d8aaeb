"""CI pipeline steps through the binding: tags, lifecycle policies, and ECR
repository, lifecycle and scan-gate calls against moto on 127.0.0.1 (started by
test_aws.py's fixture; no IAM auth, test keys in the environment).
"""

from __future__ import annotations

import json
import pickle

import pytest

import berth
from test_aws import REGION, aws, clean_env, env_keys, moto_url, repo_name  # noqa: F401

SHA = "0123456789abcdef0123456789abcdef01234567"
CONTEXT = {"event": "push", "ref": "refs/tags/v1.2.3", "sha": SHA, "default_branch": "main",
           "repository": "octo/app", "server_url": "https://github.com", "created": 1700000000}


# ---------------------------------------------------------------------------------
# Tags


def test_tags_compute_for_a_version_tag():
    r = berth.tags_compute(["type=semver,pattern={{version}}",
                            "type=semver,pattern={{major}}.{{minor}}", "type=sha"],
                           context=CONTEXT)
    assert type(r) is berth.TagResult
    assert r.tags == ("1.2.3", "1.2", "sha-0123456", "latest")
    assert r.version == "1.2.3"
    assert r.labels["org.opencontainers.image.revision"] == SHA
    assert r.labels["org.opencontainers.image.source"] == "https://github.com/octo/app"
    assert r.labels["org.opencontainers.image.created"] == "2023-11-14T22:13:20Z"


def test_tags_compute_branch_with_prefix_and_no_latest():
    ctx = dict(CONTEXT, ref="refs/heads/feature/x")
    r = berth.tags_compute(["type=ref,event=branch"], latest="false", prefix="dev-", context=ctx)
    assert r.tags == ("dev-feature-x",)


def test_tags_compute_bad_arguments():
    with pytest.raises(TypeError):
        berth.tags_compute("type=sha", context=CONTEXT)
    with pytest.raises(TypeError):
        berth.tags_compute(context=["not", "a", "dict"])
    with pytest.raises(berth.InvalidArgumentError):
        berth.tags_compute(["type=nonsense"], context=CONTEXT)


# ---------------------------------------------------------------------------------
# Lifecycle policies (local)


def test_lifecycle_shorthand_and_validate():
    text = berth.lifecycle_policy_shorthand(keep_last=10, expire_untagged_days=7)
    policy = json.loads(text)
    rules = {r["selection"]["tagStatus"]: r for r in policy["rules"]}
    assert rules["untagged"]["selection"]["countNumber"] == 7
    assert rules["any"]["selection"]["countNumber"] == 10
    berth.lifecycle_policy_validate(text)
    berth.lifecycle_policy_validate(policy)  # a dict too
    only = json.loads(berth.lifecycle_policy_shorthand(keep_last=3))
    assert len(only["rules"]) == 1


@pytest.mark.parametrize("policy", [
    {"rules": [{"rulePriority": 0, "selection": {"tagStatus": "any", "countType":
                "imageCountMoreThan", "countNumber": 1}, "action": {"type": "expire"}}]},
    {"rules": [{"rulePriority": 1, "selection": {"tagStatus": "tagged", "countType":
                "imageCountMoreThan", "countNumber": 1}, "action": {"type": "expire"}}]},
    "{not json",
])
def test_lifecycle_validate_rejects_bad_policies(policy):
    with pytest.raises(berth.InvalidArgumentError):
        berth.lifecycle_policy_validate(policy)


def test_lifecycle_shorthand_needs_a_rule():
    with pytest.raises(berth.InvalidArgumentError):
        berth.lifecycle_policy_shorthand()
    with pytest.raises(berth.InvalidArgumentError):
        berth.lifecycle_policy_shorthand(keep_last=-1)


def test_lifecycle_with_build_cache_puts_its_rule_first():
    alone = json.loads(berth.lifecycle_policy_with_build_cache(days=14))
    (rule,) = alone["rules"]
    assert rule["rulePriority"] == 1
    assert rule["selection"] == {"tagStatus": "tagged", "tagPrefixList": ["buildcache"],
                                 "countType": "sinceImagePushed", "countUnit": "days",
                                 "countNumber": 14}
    assert rule["action"] == {"type": "expire"}
    assert json.loads(berth.lifecycle_policy_with_build_cache("", days=14)) == alone

    # Before the shorthand's rules (a dict or text), which move down one priority each.
    shorthand = json.loads(berth.lifecycle_policy_shorthand(keep_last=10,
                                                            expire_untagged_days=7))
    for given in (shorthand, json.dumps(shorthand)):
        text = berth.lifecycle_policy_with_build_cache(given, days=3, tag_prefix="ci-cache")
        rules = json.loads(text)["rules"]
        assert [r["rulePriority"] for r in rules] == \
            [1] + [r["rulePriority"] + 1 for r in shorthand["rules"]]
        assert rules[0]["selection"]["tagPrefixList"] == ["ci-cache"]
        assert rules[0]["selection"]["countNumber"] == 3
        assert rules[1:] == [dict(r, rulePriority=r["rulePriority"] + 1)
                             for r in shorthand["rules"]]
        berth.lifecycle_policy_validate(text)


@pytest.mark.parametrize("args, error", [
    ((None, 0, "buildcache"), berth.InvalidArgumentError),
    ((None, -2, "buildcache"), berth.InvalidArgumentError),
    ((None, 7, ""), berth.InvalidArgumentError),
    ((None, 7, "cache*"), berth.InvalidArgumentError),
    (("{not json", 7, "buildcache"), berth.InvalidArgumentError),
    (({"rules": 5}, 7, "buildcache"), berth.InvalidArgumentError),
    ((None, "7", "buildcache"), TypeError),
    (([], 7, "buildcache"), TypeError),
    ((None, 7, None), TypeError),
])
def test_lifecycle_with_build_cache_bad_arguments(args, error):
    policy, days, prefix = args
    with pytest.raises(error):
        berth.lifecycle_policy_with_build_cache(policy, days=days, tag_prefix=prefix)


def test_lifecycle_with_build_cache_on_an_older_library(monkeypatch):
    """A libberth of the same ABI that predates the call: UnsupportedError naming it."""
    from berth import _lib

    real = _lib.lib()

    class Older:
        def __getattr__(self, name):
            if name == "berth_lifecycle_policy_with_build_cache":
                raise AttributeError(name)
            return getattr(real, name)

    monkeypatch.setattr(_lib, "_loaded", Older())
    with pytest.raises(berth.UnsupportedError, match="berth_lifecycle_policy_with_build_cache"):
        berth.lifecycle_policy_with_build_cache(days=7)


# ---------------------------------------------------------------------------------
# ECR against moto


def _put_image(aws, repo: str, tag: str) -> str:
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": "sha256:" + "a" * 64, "size": 2},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                            "digest": "sha256:" + "b" * 64, "size": 3}]}
    reply = berth.ecr_call("PutImage", {"repositoryName": repo, "imageTag": tag,
                                        "imageManifest": json.dumps(manifest)}, **aws)
    return reply["image"]["imageId"]["imageDigest"]


def test_ensure_repository_lifecycle_and_scan_gate(aws):
    repo = repo_name()
    made = berth.ecr_ensure_repository(repo, scan_on_push=True, apply=True, **aws)
    assert made["created"] is True and made["uri"].endswith("/" + repo)
    again = berth.ecr_ensure_repository(repo, scan_on_push=True, **aws)
    assert again["created"] is False and again["differences"] == []
    drift = berth.ecr_ensure_repository(repo, immutable=True, scan_on_push=True, **aws)
    assert drift["differences"] and drift["updated"] is False
    # IMMUTABLE_WITH_EXCLUSION: moto stores the filters, DescribeRepositories returns them.
    fixed = berth.ecr_ensure_repository(repo, immutable=True, scan_on_push=True,
                                        mutability_exclusions=["latest", "dev-*"], apply=True,
                                        **aws)
    assert fixed["updated"] is True
    assert any("imageTagMutabilityExclusionFilters" in d for d in fixed["differences"])
    described = berth.ecr_call("DescribeRepositories", {"repositoryNames": [repo]}, **aws)
    stored = described["repositories"][0]
    assert stored["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert sorted(f["filter"] for f in stored["imageTagMutabilityExclusionFilters"]) == \
        ["dev-*", "latest"]
    with pytest.raises(TypeError):
        berth.ecr_ensure_repository(repo, mutability_exclusions="latest", **aws)

    digest = _put_image(aws, repo, "v1")
    policy = berth.lifecycle_policy_shorthand(keep_last=1)
    preview = berth.ecr_lifecycle_preview(repo, policy, **aws)
    assert preview == {"images": [], "total": 1}
    berth.ecr_put_lifecycle_policy(repo, policy, **aws)
    stored = berth.ecr_call("GetLifecyclePolicy", {"repositoryName": repo}, **aws)
    assert json.loads(stored["lifecyclePolicyText"]) == json.loads(policy)
    with pytest.raises(berth.InvalidArgumentError):
        berth.ecr_put_lifecycle_policy(repo, {"rules": []}, **aws)
    # The build cache rule first, as `berth ecr put-lifecycle-policy --expire-cache-after`.
    with_cache = berth.lifecycle_policy_with_build_cache(policy, days=14)
    berth.ecr_put_lifecycle_policy(repo, with_cache, **aws)
    stored = berth.ecr_call("GetLifecyclePolicy", {"repositoryName": repo}, **aws)
    assert json.loads(stored["lifecyclePolicyText"]) == json.loads(with_cache)
    assert json.loads(stored["lifecyclePolicyText"])["rules"][0]["selection"][
        "tagPrefixList"] == ["buildcache"]

    passed = berth.ecr_scan_gate(repo, "v1", fail_on="CRITICAL", timeout_seconds=60, **aws)
    assert passed["passed"] is True and passed["counted"] == 0
    assert passed["status"] == "COMPLETE"

    with pytest.raises(berth.GateFailedError) as info:
        berth.ecr_scan_gate(repo, digest, fail_on="HIGH", timeout_seconds=60, **aws)
    result = info.value.result
    assert result["passed"] is False and result["counted"] >= 1
    assert result["counts"].get("HIGH", 0) >= 1 and "HIGH" in result["table"]
    assert pickle.loads(pickle.dumps(info.value)).result == result

    # A limit that the findings stay within passes.
    ok = berth.ecr_scan_gate(repo, "v1", fail_on="HIGH", max=result["counted"], **aws)
    assert ok["passed"] is True


def test_ecr_pipeline_errors(aws):
    with pytest.raises(berth.NotFoundError):
        berth.ecr_lifecycle_preview(repo_name(), berth.lifecycle_policy_shorthand(keep_last=1),
                                    **aws)
    with pytest.raises(berth.NotFoundError):
        berth.ecr_scan_gate(repo_name(), "v1", **aws)
    with pytest.raises(berth.InvalidArgumentError):
        berth.ecr_scan_gate("r", "v1", timeout_seconds=0, **aws)
    with pytest.raises(TypeError):
        berth.ecr_ensure_repository("r", regoin="x")
