"""README.md's GitHub Actions example under a real Actions runner (act, run steps on the
host) against the local ECR stack: OIDC credentials exported to later steps, skopeo
logged in with berth's ECR password, the AWS CLI with the exported credentials, build,
push with computed tags and the push step's outputs, pull by digest — and no secret
anywhere in act's log."""

from __future__ import annotations

import base64
import json
import os

import actlib

FILES = {
    "app/server": '#!/bin/sh\necho "hello from berth"\n',
    "base/etc/passwd": "app:x:1000:1000::/app:/bin/sh\n",
}
ROLE_ARN = "arn:aws:iam::123456789012:role/ci-pusher"
ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com/berth/app"
STEPS = ["actions/checkout@v4", "moto takes one unsigned call",
         "berth aws credentials --github-env",
         "record the session for the test", "echo the secrets on purpose",
         "skopeo login with berth's password", "aws cli with the exported credentials",
         "base image", "the push step's outputs", "skopeo reads every tag with that login",
         "pull by digest and verify", "the child build records its base"]


def read(path: str) -> str:
    with open(path) as f:
        return f.read()


def test_readme_workflow(act_bin, berth_bin, ecr_stack, stack_env, tmp_path):
    st = ecr_stack
    repo = str(tmp_path / "repo")
    sha = actlib.make_repo(repo, "image.yml", FILES, executables=("app/server",))
    out = stack_env["TEST_OUT"]
    # berth is installed on this runner: its directory leads the PATH.
    path = os.path.dirname(berth_bin) + os.pathsep + actlib.path_without_berth(os.environ["PATH"])
    r = actlib.run_act(act_bin, repo, str(tmp_path / "act"), env=stack_env,
                       event=actlib.push_event(sha), path=path)
    assert r.returncode == 0, r.log
    assert "Job succeeded" in r.log, r.log
    for step in STEPS:
        assert r.outcome(step) == "success", "step %r: %s\n%s" % (step, r.outcome(step), r.log)
    build_header = [l for l in r.log.splitlines() if "Success - Main berth build --from" in l]
    push_header = [l for l in r.log.splitlines() if "Success - Main berth push oci:image:build" in l]
    assert build_header and push_header, r.log

    # The credentials came from the OIDC token: one token request for STS's audience,
    # with the runner's bearer token, and a session of role ci-pusher.
    reqs = st.oidc.requests
    assert [q["audience"] for q in reqs] == ["sts.amazonaws.com"], reqs
    assert all(q["bearer_ok"] and q["status"] == 200 for q in reqs), reqs
    issued = [t["token"] for t in st.oidc.issued]
    assert len(issued) == 1, issued
    key_id, secret, token = read(os.path.join(out, "session")).split("\n")[:3]
    assert key_id.startswith("ASIA") and secret and token
    caller = json.loads(read(os.path.join(out, "caller.json")))
    assert caller["Arn"] == "arn:aws:sts::123456789012:assumed-role/ci-pusher/GitHubActions"
    assert caller["Account"] == "123456789012"

    # skopeo's login holds berth's password (the one moto issued).
    auth = json.loads(read(os.path.join(out, "auth.json")))
    assert auth["auths"][ECR.split("/")[0]]["auth"] == \
        base64.b64encode(("AWS:" + st.front.password).encode()).decode()

    # The push step's outputs, as later steps read them.
    digest = read(os.path.join(out, "digest")).strip()
    tags = read(os.path.join(out, "tags")).split()
    assert digest.startswith("sha256:") and len(digest) == 71
    # "latest" comes from type=raw,value=latest,enable={{is_default_branch}} (as with
    # metadata-action, latest=auto adds none on a branch); semver yields nothing here.
    assert tags == ["main", "sha-" + sha[:7], "latest"], tags
    assert read(os.path.join(out, "image")).strip() == ECR
    assert read(os.path.join(out, "registry")).strip() == ECR.split("/")[0]
    # ECR (moto, through the front's PutImage reports) has the image under every tag.
    images = st.client("ecr", "admin").describe_images(
        repositoryName="berth/app", imageIds=[{"imageDigest": digest}])["imageDetails"]
    assert len(images) == 1 and sorted(images[0]["imageTags"]) == sorted(tags), images
    puts = [q for q in st.front.requests if q["method"] == "PUT" and q["kind"] == "manifest"]
    assert puts and all(q["status"] == 201 and q["auth"] == "ok" for q in puts), puts

    # The pulled layout holds the pushed manifest, verified.
    index = json.loads(read(os.path.join(out, "pulled", "index.json")))
    [m] = index["manifests"]
    assert m["digest"] == digest
    assert m["annotations"]["org.opencontainers.image.ref.name"] == "main"
    algo, hexd = digest.split(":")
    assert actlib.sha256_file(os.path.join(out, "pulled", "blobs", algo, hexd)) == digest
    # A build on the pushed image: its base-digest step output (read by the runner) and
    # the manifest annotations (read by skopeo) name the pushed digest.
    assert "base %s:main %s" % (ECR, digest) in r.step_lines("image"), r.log

    # No secret anywhere in the log: the ECR password, the session's secret key and
    # token, the OIDC token, the runner's token-request bearer.
    secrets = {"ECR password": st.front.password, "access key id": key_id,
               "secret access key": secret,
               "session token": token, "OIDC token": issued[0],
               "OIDC request token": st.oidc.request_token}
    for what, value in secrets.items():
        assert value and value not in r.log, "the %s is in act's log" % what
    # ... and masked where a step shows them on purpose.
    lines = r.step_lines("image")
    for expected in ("secret key: ***", "session token: ***", "ecr password: ***",
                     "aws ecr get-login-password: ***"):
        assert expected in lines, (expected, lines)
    assert "::set-env:: AWS_ACCESS_KEY_ID=***" in r.log
    assert "::set-env:: AWS_SECRET_ACCESS_KEY=***" in r.log
    assert "::set-env:: AWS_SESSION_TOKEN=***" in r.log
