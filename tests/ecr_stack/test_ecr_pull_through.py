"""Self-tests of what moto 5.2 lacks and the stack adds: the control plane (pull-through
cache rules, repository creation templates) judged by the AWS CLI and boto3, and the
front's pull-through cache and create-on-push judged by skopeo and curl.

Run: python3 -m pytest -q tests/ecr_stack/test_ecr_pull_through.py
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import secrets
import subprocess

import botocore.exceptions
import pytest

import ecr_stack as E
import stack as S

LIFECYCLE = json.dumps({"rules": [{"rulePriority": 1, "description": "keep 5",
                                   "selection": {"tagStatus": "any", "countType": "imageCountMoreThan",
                                                 "countNumber": 5},
                                   "action": {"type": "expire"}}]})


def clean_env(extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and not k.lower().endswith("_proxy")}
    env.update(extra or {})
    return env


def run(cmd: list[str], env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=env or clean_env(), timeout=90)


def aws_cp(st: E.EcrStack, who: str, *args: str) -> subprocess.CompletedProcess:
    """``aws ecr ...`` through the control plane, as ``who``."""
    return run(["aws", "ecr", *args, "--endpoint-url", st.control_plane.url,
                "--region", st.region, "--output", "json"], env=clean_env(st.aws_env(who)))


def ok_json(p: subprocess.CompletedProcess) -> dict:
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout or "{}")


def boto_error(call, **kw) -> str:
    """The error code a boto3 call fails with."""
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        call(**kw)
    return ei.value.response["Error"]["Code"]


def unique(stem: str) -> str:
    return "%s%s" % (stem, secrets.token_hex(3))


# ---------------------------------------------------------------- an upstream registry


def _reg(reg: S.Registry, method: str, target: str, body: bytes = b"",
         headers: dict | None = None) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection(reg.host, reg.port, timeout=30)
    headers = dict(headers or {})
    if reg.auth == "htpasswd":
        headers["Authorization"] = "Basic " + base64.b64encode(
            ("%s:%s" % (reg.username, reg.password)).encode()).decode()
    try:
        conn.request(method, target, body=body, headers=headers)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def upstream_blob(reg: S.Registry, repo: str, data: bytes) -> str:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    st, h, _ = _reg(reg, "POST", "/v2/%s/blobs/uploads/" % repo)
    assert st == 202
    loc = h["location"]
    target = loc[loc.index("/v2/"):]
    st, _, body = _reg(reg, "PUT", target + ("&" if "?" in target else "?") + "digest=" + digest,
                       data, {"Content-Type": "application/octet-stream"})
    assert st == 201, body
    return digest


def upstream_image(reg: S.Registry, repo: str, tag: str, *, index: bool = False) -> dict:
    """A small OCI image (``index=True``: an OCI index over it) in a plain registry.
    Returns {"digest", "manifest_digest"}."""
    config = json.dumps({"architecture": "amd64", "os": "linux", "created": secrets.token_hex(4),
                         "rootfs": {"type": "layers", "diff_ids": []}}).encode()
    layer = os.urandom(1024)
    cfg, lay = upstream_blob(reg, repo, config), upstream_blob(reg, repo, layer)
    mt = "application/vnd.oci.image.manifest.v1+json"
    manifest = json.dumps({"schemaVersion": 2, "mediaType": mt,
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": cfg, "size": len(config)},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                       "digest": lay, "size": len(layer)}]}).encode()
    m_digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
    st, _, body = _reg(reg, "PUT", "/v2/%s/manifests/%s" % (repo, m_digest if index else tag),
                       manifest, {"Content-Type": mt})
    assert st == 201, body
    if not index:
        return {"digest": m_digest, "manifest_digest": m_digest}
    it = "application/vnd.oci.image.index.v1+json"
    idx = json.dumps({"schemaVersion": 2, "mediaType": it, "manifests": [
        {"mediaType": mt, "digest": m_digest, "size": len(manifest),
         "platform": {"architecture": "amd64", "os": "linux"}}]}).encode()
    st, _, body = _reg(reg, "PUT", "/v2/%s/manifests/%s" % (repo, tag), idx,
                       {"Content-Type": it})
    assert st == 201, body
    return {"digest": "sha256:" + hashlib.sha256(idx).hexdigest(), "manifest_digest": m_digest}


@pytest.fixture(scope="module")
def upstream():
    """A plain-HTTP docker-registry standing in for an upstream (public.ecr.aws, quay...)."""
    with S.Registry() as reg:
        yield reg


def skopeo_inspect(st: E.EcrStack, ref: str) -> subprocess.CompletedProcess:
    """``skopeo inspect --raw`` of ``docker://localhost:PORT/<ref>`` on the front."""
    return run(["skopeo", "inspect", "--raw", "--retry-times", "0",
                "--creds", "AWS:" + st.front.password, "--cert-dir", st.ca.cert_dir,
                "docker://%s/%s" % (st.front.localhost_hostport, ref)])


# ---------------------------------------------------------------- control plane


def test_awscli_pull_through_cache_rules(ecr_stack: E.EcrStack) -> None:
    st = ecr_stack
    out = ok_json(aws_cp(st, "admin", "create-pull-through-cache-rule",
                         "--ecr-repository-prefix", "quay-cache",
                         "--upstream-registry-url", "quay.io"))
    assert out["ecrRepositoryPrefix"] == "quay-cache" and out["upstreamRegistry"] == "quay"
    assert out["registryId"] == st.account and out["upstreamRegistryUrl"] == "quay.io"
    assert isinstance(out["createdAt"], (int, float))
    p = aws_cp(st, "admin", "create-pull-through-cache-rule", "--ecr-repository-prefix",
               "quay-cache", "--upstream-registry-url", "quay.io")
    assert p.returncode != 0 and "(PullThroughCacheRuleAlreadyExistsException)" in p.stderr
    cp = st.control_plane_client("admin")
    cp.create_pull_through_cache_rule(ecrRepositoryPrefix="local",
                                      upstreamRegistryUrl="127.0.0.1:5000")
    assert boto_error(cp.create_pull_through_cache_rule, ecrRepositoryPrefix="Bad_Prefix",
                      upstreamRegistryUrl="quay.io") == "InvalidParameterException"
    p = aws_cp(st, "pusher", "create-pull-through-cache-rule", "--ecr-repository-prefix",
               "mine", "--upstream-registry-url", "quay.io")
    assert p.returncode != 0 and "(AccessDeniedException)" in p.stderr, p.stderr
    assert "user/pusher" in p.stderr
    rules = cp.describe_pull_through_cache_rules()
    assert [r["ecrRepositoryPrefix"] for r in rules["pullThroughCacheRules"]] == \
        ["quay-cache", "local"]
    one = cp.describe_pull_through_cache_rules(ecrRepositoryPrefixes=["local"])
    assert [r["upstreamRegistryUrl"] for r in one["pullThroughCacheRules"]] == ["127.0.0.1:5000"]
    assert boto_error(cp.describe_pull_through_cache_rules, ecrRepositoryPrefixes=["zz"]) == \
        "PullThroughCacheRuleNotFoundException"
    # credentials: a Secrets Manager secret (in moto) that must exist
    fake = "arn:aws:secretsmanager:us-east-1:%s:secret:ecr-pullthroughcache/none-AbCdEf" % st.account
    assert boto_error(cp.update_pull_through_cache_rule, ecrRepositoryPrefix="quay-cache",
                      credentialArn=fake) == "SecretNotFoundException"
    arn = st.client("secretsmanager", "admin").create_secret(
        Name=unique("ecr-pullthroughcache/quay"),
        SecretString=json.dumps({"username": "u", "accessToken": "t"}))["ARN"]
    up = cp.update_pull_through_cache_rule(ecrRepositoryPrefix="quay-cache", credentialArn=arn)
    assert up["credentialArn"] == arn and "updatedAt" in up
    gone = cp.delete_pull_through_cache_rule(ecrRepositoryPrefix="quay-cache")
    assert gone["ecrRepositoryPrefix"] == "quay-cache" and gone["credentialArn"] == arn
    assert boto_error(cp.delete_pull_through_cache_rule, ecrRepositoryPrefix="quay-cache") == \
        "PullThroughCacheRuleNotFoundException"
    # anything else goes on to moto, which checks the same signature itself
    repos = ok_json(aws_cp(st, "admin", "describe-repositories", "--repository-names",
                           "berth/app"))["repositories"]
    assert repos[0]["repositoryName"] == "berth/app"
    # moto's own IAM verdict (XML, so botocore says "403")
    assert boto_error(st.control_plane_client("pusher").create_repository,
                      repositoryName="berth/nope") == "403"
    handled = {r["operation"]: r["handled"] for r in st.control_plane.requests}
    assert handled["DescribeRepositories"] == "forwarded"
    assert handled["CreatePullThroughCacheRule"] == "control-plane"


def test_awscli_repository_creation_templates_and_signatures(ecr_stack: E.EcrStack) -> None:
    st = ecr_stack
    out = ok_json(aws_cp(
        st, "admin", "create-repository-creation-template", "--prefix", "ROOT",
        "--applied-for", "CREATE_ON_PUSH", "PULL_THROUGH_CACHE",
        "--image-tag-mutability", "IMMUTABLE_WITH_EXCLUSION",
        "--image-tag-mutability-exclusion-filters", "filterType=WILDCARD,filter=latest",
        "--lifecycle-policy", LIFECYCLE, "--description", "everything",
        "--resource-tags", "Key=team,Value=berth"))
    assert out["registryId"] == st.account
    t = out["repositoryCreationTemplate"]
    assert t["prefix"] == "ROOT" and t["appliedFor"] == ["CREATE_ON_PUSH", "PULL_THROUGH_CACHE"]
    assert t["imageTagMutabilityExclusionFilters"] == [{"filterType": "WILDCARD",
                                                        "filter": "latest"}]
    assert t["encryptionConfiguration"] == {"encryptionType": "AES256"}
    assert t["resourceTags"] == [{"Key": "team", "Value": "berth"}]
    assert "createdAt" in t and "updatedAt" in t
    cp = st.control_plane_client("admin")
    create = cp.create_repository_creation_template
    assert boto_error(create, prefix="ROOT", appliedFor=["CREATE_ON_PUSH"]) == \
        "TemplateAlreadyExistsException"
    assert boto_error(create, prefix="prod", appliedFor=["SOMETIMES"]) == \
        "InvalidParameterException"
    assert boto_error(create, prefix="prod", appliedFor=["REPLICATION"],  # filters missing
                      imageTagMutability="MUTABLE_WITH_EXCLUSION") == "InvalidParameterException"
    create(prefix="prod", appliedFor=["REPLICATION"],
           encryptionConfiguration={"encryptionType": "KMS"})
    assert boto_error(st.control_plane_client("pusher").delete_repository_creation_template,
                      prefix="prod") == "AccessDeniedException"
    both = cp.describe_repository_creation_templates()
    assert [x["prefix"] for x in both["repositoryCreationTemplates"]] == ["ROOT", "prod"]
    one = cp.describe_repository_creation_templates(prefixes=["prod", "nothing"])
    assert [x["prefix"] for x in one["repositoryCreationTemplates"]] == ["prod"]
    up = cp.update_repository_creation_template(
        prefix="prod", appliedFor=["CREATE_ON_PUSH"],
        imageTagMutability="IMMUTABLE")["repositoryCreationTemplate"]
    assert up["appliedFor"] == ["CREATE_ON_PUSH"] and up["imageTagMutability"] == "IMMUTABLE"
    assert up["encryptionConfiguration"] == {"encryptionType": "KMS"}
    assert cp.delete_repository_creation_template(prefix="prod")[
        "repositoryCreationTemplate"]["prefix"] == "prod"
    assert boto_error(cp.delete_repository_creation_template, prefix="prod") == \
        "TemplateNotFoundException"
    # signatures: a wrong secret and another region are refused before anything happens
    env = clean_env(st.aws_env("admin"))
    env["AWS_SECRET_ACCESS_KEY"] = "wrong" + env["AWS_SECRET_ACCESS_KEY"][5:]
    p = run(["aws", "ecr", "describe-repository-creation-templates", "--endpoint-url",
             st.control_plane.url, "--region", st.region], env=env)
    assert p.returncode != 0 and "(InvalidSignatureException)" in p.stderr
    assert boto_error(st.moto.client("ecr", creds=st.iam.users["admin"], region="eu-west-1",
                                     endpoint_url=st.control_plane.url)
                      .describe_pull_through_cache_rules) == "InvalidSignatureException"


# ---------------------------------------------------------------- the front


def test_pull_through_with_skopeo(ecr_stack: E.EcrStack, upstream: S.Registry) -> None:
    st, fr = ecr_stack, ecr_stack.front
    up_repo = unique("team/app")
    single = upstream_image(upstream, up_repo, "v1")
    multi = upstream_image(upstream, up_repo, "multi", index=True)
    cp = st.control_plane_client("admin")
    prefix = unique("cache")
    cp.create_pull_through_cache_rule(ecrRepositoryPrefix=prefix,
                                      upstreamRegistryUrl=upstream.hostport)
    # a shorter rule elsewhere must not win; the template for the prefix is applied
    cp.create_pull_through_cache_rule(ecrRepositoryPrefix="c0",
                                      upstreamRegistryUrl="localhost:1")
    cp.create_repository_creation_template(
        prefix=prefix, appliedFor=["PULL_THROUGH_CACHE"],
        imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "multi*"}],
        encryptionConfiguration={"encryptionType": "KMS"}, lifecyclePolicy=LIFECYCLE,
        resourceTags=[{"Key": "source", "Value": "ptc"}])
    cp.create_repository_creation_template(prefix="ROOT", appliedFor=["CREATE_ON_PUSH"],
                                           imageTagMutability="MUTABLE")
    name = "%s/%s" % (prefix, up_repo)

    p = skopeo_inspect(st, name + ":v1")
    assert p.returncode == 0, p.stderr
    assert "sha256:" + hashlib.sha256(p.stdout.encode()).hexdigest() == single["digest"]
    pulls = [r for r in fr.find("GET", "/manifests/v1$") if r["pull_through"]]
    assert pulls[0]["pull_through"]["copied"] is True
    assert pulls[0]["pull_through"]["upstream"] == "%s/%s:v1" % (upstream.hostport, up_repo)
    assert pulls[0]["pull_through"]["template"] == prefix and pulls[0]["status"] == 200
    ecr = st.client("ecr", "admin")
    repo = ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
    assert repo["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert repo["imageTagMutabilityExclusionFilters"] == [{"filterType": "WILDCARD",
                                                           "filter": "multi*"}]
    assert repo["encryptionConfiguration"]["encryptionType"] == "KMS"
    assert json.loads(ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"]) == \
        json.loads(LIFECYCLE)
    tags = ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]
    assert {"Key": "source", "Value": "ptc"} in tags
    images = ecr.describe_images(repositoryName=name)["imageDetails"]
    assert [i["imageTags"] for i in images if i["imageDigest"] == single["digest"]] == [["v1"]]

    # cached now: no second copy
    fr.clear_requests()
    assert skopeo_inspect(st, name + ":v1").returncode == 0
    again = [r["pull_through"] for r in fr.find(None, "/manifests/v1$") if r["pull_through"]]
    assert again and not any(pt["copied"] for pt in again)

    # an index by tag, with its child, under a rule without a template: ECR's defaults.
    # (Not under the first prefix: moto 5.2 cannot PutImage an untagged manifest into a
    # repository with exclusion filters -- README, "moto facts".)
    plain = unique("plain")
    cp.create_pull_through_cache_rule(ecrRepositoryPrefix=plain,
                                      upstreamRegistryUrl="http://" + upstream.hostport)
    name = "%s/%s" % (plain, up_repo)
    p = skopeo_inspect(st, name + ":multi")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["mediaType"] == "application/vnd.oci.image.index.v1+json"
    digests = {i["imageDigest"]: i.get("imageTags")
               for i in ecr.describe_images(repositoryName=name)["imageDetails"]}
    assert digests[multi["digest"]] == ["multi"] and multi["manifest_digest"] in digests, \
        fr.reported
    repo = ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
    assert repo["imageTagMutability"] == "MUTABLE"
    assert repo["encryptionConfiguration"]["encryptionType"] == "AES256"
    assert skopeo_inspect(st, "%s@%s" % (name, multi["manifest_digest"])).returncode == 0

    # by digest, never pulled before, in a new repository; curl HEAD
    other = upstream_image(upstream, up_repo + "-b", "v2")
    st_, h, _ = fr.request("HEAD", "/v2/%s-b/manifests/%s" % (name, other["digest"]),
                           headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    assert st_ == 200 and h["docker-content-digest"] == other["digest"]

    # not upstream: MANIFEST_UNKNOWN, and no repository is made
    p = skopeo_inspect(st, "%s/%s:v1" % (prefix, unique("team/none")))
    assert p.returncode != 0 and "manifest unknown" in p.stderr.lower(), p.stderr
    miss = fr.find("GET", "/team/none")[-1]
    assert miss["status"] == 404 and miss["error_code"] == "MANIFEST_UNKNOWN"
    assert miss["pull_through"]["copied"] is False and miss["pull_through"]["error"]
    # every repository the front made in moto was made as asked
    assert fr.created and not [r for r in fr.created if not r["ok"]]


def test_create_on_push(ecr_stack: E.EcrStack, ecr_oci_image: dict) -> None:
    st, fr = ecr_stack, ecr_stack.front
    cp = st.control_plane_client("admin")
    ns = unique("cop")

    def post(repo: str) -> int:
        return fr.request("POST", "/v2/%s/blobs/uploads/" % repo)[0]

    # no template: ECR's NAME_UNKNOWN, as before
    st_, _, body = fr.request("POST", "/v2/%s/app/blobs/uploads/" % ns)
    assert st_ == 404 and json.loads(body)["errors"][0]["code"] == "NAME_UNKNOWN"
    # a template for pull-through only does not create on push
    cp.create_repository_creation_template(prefix=ns, appliedFor=["PULL_THROUGH_CACHE"])
    assert post(ns + "/app") == 404
    cp.update_repository_creation_template(
        prefix=ns, appliedFor=["CREATE_ON_PUSH"], imageTagMutability="MUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "rel-*"}],
        lifecyclePolicy=LIFECYCLE)
    # skopeo push by the ECR name (through the CONNECT proxy)
    p = run(["skopeo", "copy", "--retry-times", "0", "--dest-creds", "AWS:" + fr.password,
             "--dest-cert-dir", st.ca.cert_dir, ecr_oci_image["ref"],
             "docker://" + fr.reference(ns + "/app", "rel-1")], env=clean_env(st.skopeo_env()))
    assert p.returncode == 0, p.stderr
    created = [r for r in fr.requests if r["create_on_push"]]
    assert len(created) == 1 and created[0]["create_on_push"] == ns
    ecr = st.client("ecr", "admin")
    repo = ecr.describe_repositories(repositoryNames=[ns + "/app"])["repositories"][0]
    assert repo["imageTagMutability"] == "MUTABLE_WITH_EXCLUSION"
    assert ecr.get_lifecycle_policy(repositoryName=ns + "/app")["lifecyclePolicyText"]
    assert any(i.get("imageTags") == ["rel-1"]
               for i in ecr.describe_images(repositoryName=ns + "/app")["imageDetails"])
    # rel-* is immutable there now: the exclusion filter came from the template
    p = run(["skopeo", "copy", "--retry-times", "0", "--dest-creds", "AWS:" + fr.password,
             "--dest-cert-dir", st.ca.cert_dir, ecr_oci_image["ref"],
             "docker://" + fr.reference(ns + "/app", "rel-1")], env=clean_env(st.skopeo_env()))
    assert p.returncode != 0 and "TAG_INVALID" in p.stderr or "immutable" in p.stderr
    # ROOT counts for everything else; a longer prefix wins over it
    other = unique("elsewhere")
    assert post(other + "/x") == 404
    cp.create_repository_creation_template(prefix="ROOT", appliedFor=["CREATE_ON_PUSH"],
                                           imageTagMutability="IMMUTABLE")
    assert post(other + "/x") == 202
    assert ecr.describe_repositories(repositoryNames=[other + "/x"])["repositories"][0][
        "imageTagMutability"] == "IMMUTABLE"
    assert post(ns + "/second") == 202
    assert ecr.describe_repositories(repositoryNames=[ns + "/second"])["repositories"][0][
        "imageTagMutability"] == "MUTABLE_WITH_EXCLUSION"
    # a manifest PUT creates too (curl-free: the front's own client)
    digest, _ = push_manifest_only(fr, unique("root-made") + "/img")
    assert digest.startswith("sha256:")


def push_manifest_only(fr: E.EcrFront, repo: str) -> tuple[str, bytes]:
    """A manifest PUT with no blobs before it (an artifact with the empty config)."""
    empty = b"{}"
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": "application/vnd.berth.test",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json",
                   "digest": "sha256:" + hashlib.sha256(empty).hexdigest(), "size": 2,
                   "data": "e30="},
        "layers": []}).encode()
    st, h, body = fr.request("PUT", "/v2/%s/manifests/a1" % repo, body=manifest,
                             headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    assert st in (201, 400), (st, body)
    rec = fr.find("PUT", "/v2/%s/manifests/a1" % repo)[-1]
    assert rec["create_on_push"] == "ROOT", rec
    return h.get("docker-content-digest", "sha256:"), manifest


def test_pull_through_with_upstream_credentials(ecr_stack: E.EcrStack) -> None:
    """A rule with a credentialArn: the front reads the secret from moto's Secrets Manager
    and logs in to the upstream with it (the upstream here wants Basic auth)."""
    st, fr = ecr_stack, ecr_stack.front
    with S.Registry("htpasswd", users={"robot": "s3cret"}) as locked:
        repo = unique("org/tool")
        upstream_image(locked, repo, "v1")
        sm = st.client("secretsmanager", "admin")
        arn = sm.create_secret(Name=unique("ecr-pullthroughcache/locked"),
                               SecretString=json.dumps({"username": "robot",
                                                        "accessToken": "s3cret"}))["ARN"]
        cp = st.control_plane_client("admin")
        prefix = unique("locked")
        cp.create_pull_through_cache_rule(ecrRepositoryPrefix=prefix,
                                          upstreamRegistryUrl=locked.hostport,
                                          upstreamRegistry="quay", credentialArn=arn)
        p = skopeo_inspect(st, "%s/%s:v1" % (prefix, repo))
        assert p.returncode == 0, p.stderr
        pt = [r["pull_through"] for r in fr.find("GET", "/manifests/v1$") if r["pull_through"]]
        assert pt[-1]["credentials"] is True and pt[-1]["copied"] is True
        # the same upstream without credentials gives nothing
        bare = unique("bare")
        cp.create_pull_through_cache_rule(ecrRepositoryPrefix=bare,
                                          upstreamRegistryUrl=locked.hostport)
        st_, _, body = fr.request("GET", "/v2/%s/%s/manifests/v1" % (bare, repo))
        assert st_ == 404 and json.loads(body)["errors"][0]["code"] == "MANIFEST_UNKNOWN"
        assert "unauthorized" in fr.find("GET", "/%s/" % bare)[-1]["pull_through"]["error"].lower()
