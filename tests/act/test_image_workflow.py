"""README.md's GitHub Actions example under a real Actions runner (act, run steps on the
host) against the local ECR stack: OIDC credentials exported to later steps, skopeo
logged in with berth's ECR password, the AWS CLI with the exported credentials, the
repository's Dockerfile (a busybox base from ECR Public, a COPY of the checked-out
files, a RUN) built by berth, pushed with computed tags, the steps' outputs, pull by
digest — the pushed image's files and config read back — and no secret anywhere in
act's log. The workflow's steps are README's (checked here)."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess

import yaml

import actlib

SERVER = '#!/bin/sh\necho "hello from berth"\n'
DOCKERFILE = """FROM %s
COPY app /app
RUN printf 'built by RUN as %%s\\n' "$(id -u)" >/app/built && wc -c </app/server >/app/server.size && env | sort >/app/run.env
USER app
ENTRYPOINT ["/app/server"]
""" % actlib.PUBLIC_BASE
FILES = {"Dockerfile": DOCKERFILE, "app/server": SERVER}
ROLE_ARN = "arn:aws:iam::123456789012:role/ci-pusher"
ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com/berth/app"
STEPS = ["actions/checkout@v4", "moto takes one unsigned call",
         "berth aws credentials --github-env",
         "record the session for the test", "echo the secrets on purpose",
         "skopeo login with berth's password", "aws cli with the exported credentials",
         'berth build -f Dockerfile . --output oci:image:build --progress plain --cache-from '
         '"type=registry,ref=$ECR:buildcache" --cache-to '
         '"type=registry,ref=$ECR:buildcache,mode=max"',
         "the build step's outputs", "the push step's outputs", "skopeo reads every tag with that login",
         "pull by digest and verify", "the child build records its base"]


def read(path: str) -> str:
    with open(path) as f:
        return f.read()


def readme_workflow() -> tuple[list[dict], str]:
    """The steps of README's first yaml block under "## In GitHub Actions", and the
    Dockerfile block before it."""
    text = read(os.path.join(actlib.ROOT, "README.md"))
    section = text[text.index("## In GitHub Actions\n"):]
    section = section[:section.index("\n## ")]
    dockerfile = re.search(r"```dockerfile\n(.*?)```", section, re.S).group(1)
    workflow = yaml.safe_load(re.search(r"```yaml\n(.*?)```", section, re.S).group(1))
    return workflow["jobs"]["image"]["steps"], dockerfile


def test_the_workflow_runs_readmes_steps():
    """README's steps, up to the push, are in image.yml as they are, in order (with
    steps for the local stack and the test between them); the rest need rights
    ci-pusher does not have. The test's Dockerfile builds on ECR Public like README's."""
    steps, dockerfile = readme_workflow()
    with open(os.path.join(actlib.WORKFLOWS, "image.yml")) as f:
        ours = yaml.safe_load(f)["jobs"]["image"]["steps"]
    push = next(i for i, st in enumerate(steps) if st.get("id") == "push")
    kept, left_out = steps[:push + 1], steps[push + 1:]
    assert [st["run"].split()[:2 + (st["run"].split()[1] == "ecr")] for st in left_out] == [
        ["berth", "ecr", "scan-gate"], ["berth", "ecr", "put-lifecycle-policy"],
        ["berth", "replicate"]], left_out
    it = iter(ours)
    for st in kept:
        assert any(o == st for o in it), "README's step %r is not in image.yml (in order)" % st
    assert any("berth build -f Dockerfile" in st.get("run", "") for st in kept), kept
    assert dockerfile.startswith("FROM public.ecr.aws/docker/library/")
    assert DOCKERFILE.startswith("FROM public.ecr.aws/docker/library/")
    for instruction in ("COPY", "RUN", "ENTRYPOINT"):
        assert re.search("^%s " % instruction, dockerfile, re.M)
        assert re.search("^%s " % instruction, DOCKERFILE, re.M)


def test_readme_workflow(act_bin, berth_bin, ecr_stack, ecr_public_session, public_base,
                         public_env, tmp_path):
    st, pub = ecr_stack, ecr_public_session
    stack_env = public_env
    pub.token_server.clear_requests()
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
    # The build's steps went to the cache in ECR (a fresh runner's next build reads them).
    assert "berth/app:buildcache: 2 steps" in r.log, r.log
    build_header = [l for l in r.log.splitlines()
                    if "Success - Main berth build -f Dockerfile . --output oci:image:build" in l]
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

    # The build's base came from ECR Public, pulled anonymously (the role's session
    # got no ecr-public token, and nothing else was offered there).
    assert read(os.path.join(out, "base-digest")).strip() == public_base["digest"]
    assert pub.token_requests(), "nothing was pulled from ECR Public"
    assert all(q["username"] is None for q in pub.token_requests()), pub.token_requests()

    # The pulled layout holds the pushed manifest, verified.
    index = json.loads(read(os.path.join(out, "pulled", "index.json")))
    [m] = index["manifests"]
    assert m["digest"] == digest
    assert m["annotations"]["org.opencontainers.image.ref.name"] == "main"
    algo, hexd = digest.split(":")
    assert actlib.sha256_file(os.path.join(out, "pulled", "blobs", algo, hexd)) == digest
    # What the Dockerfile made, read from the pushed image: busybox from the base, the
    # checked-out app/ by COPY, the RUN's files (run as root, seeing app/server, with an
    # environment that holds none of the job's AWS settings); skopeo reads the config.
    files = actlib.layer_files(os.path.join(out, "pulled"), digest)
    assert isinstance(files["bin/busybox"], bytes) and files["bin/sh"].issym()
    assert files["app/server"] == SERVER.encode()
    assert files["app/built"] == b"built by RUN as 0\n"
    assert files["app/server.size"].strip() == str(len(SERVER)).encode()
    run_env = files["app/run.env"].decode()
    assert "PATH=" in run_env and "AWS_" not in run_env and "GITHUB_" not in run_env, run_env
    config = json.loads(subprocess.run(
        ["skopeo", "inspect", "--config", "oci:%s:main" % os.path.join(out, "pulled")],
        check=True, capture_output=True, text=True).stdout)
    assert config["config"]["Entrypoint"] == ["/app/server"], config
    assert config["config"]["User"] == "app", config
    history = [h.get("created_by", "") for h in config["history"]]
    assert any("COPY app /app" in h for h in history), history
    assert any("RUN" in h and "built by RUN" in h for h in history), history
    manifest = json.loads(subprocess.run(
        ["skopeo", "inspect", "--raw", "oci:%s:main" % os.path.join(out, "pulled")],
        check=True, capture_output=True, text=True).stdout)
    assert manifest["annotations"]["org.opencontainers.image.base.name"] == actlib.PUBLIC_BASE
    assert manifest["annotations"]["org.opencontainers.image.base.digest"] == public_base["digest"]

    # A build on the pushed image: its base-digest step output (read by the runner) and
    # the manifest annotations (read by skopeo) name the pushed digest.
    assert "base %s:main %s" % (ECR, digest) in r.step_lines("image"), r.log

    # No secret anywhere in the log: the ECR password, the session's secret key and
    # token, the OIDC token, the runner's token-request bearer.
    secrets = {"ECR password": st.front.password, "access key id": key_id,
               "secret access key": secret,
               "session token": token, "OIDC token": issued[0],
               "OIDC request token": st.oidc.request_token,
               "ECR Public password": pub.password}
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
