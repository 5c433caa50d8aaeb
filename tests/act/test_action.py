"""The berth action (action.yml at the repository root) under act, as `uses: ./`:
pointed at an installed berth, with OIDC credentials and an ECR login whose outputs
later steps use; with static keys and two registries; installing from a release
archive or from a (stand-in) actions/cache hit of a source build; and its refusals;
with `dockerfile`: a build pushed to ECR, its outputs against what the registry serves."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import platform
import shutil
import stat
import subprocess
import tarfile

import pytest

import actlib

STUB_CACHE = os.path.join(actlib.HERE, "stubs", "cache")
LOCAL_ACTIONS = {"actions/cache@v4": STUB_CACHE}
HOST = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
OTHER_HOST = "210987654321.dkr.ecr.us-east-1.amazonaws.com"
APP = {"app/server": '#!/bin/sh\necho "hello from berth"\n'}
RUNNER_ARCH = {"x86_64": "X64", "amd64": "X64", "aarch64": "ARM64",
               "arm64": "ARM64"}.get(platform.machine().lower(), platform.machine())


def read(path: str) -> str:
    with open(path) as f:
        return f.read()


def key_values(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


@pytest.fixture(scope="session")
def berth_version(berth_bin: str) -> str:
    line = subprocess.run([berth_bin, "version"], check=True, capture_output=True,
                          text=True).stdout
    return line.split()[1]  # "berth 0.1.0 (abi 1)"


@pytest.fixture
def action_env(stack_env: dict[str, str], berth_bin: str, tmp_path) -> dict[str, str]:
    stub = tmp_path / "cache-stub"
    stub.mkdir()
    return dict(stack_env, BERTH_DIR=os.path.dirname(berth_bin), ACT_CACHE_STUB=str(stub))


def run(act_bin: str, tmp_path, workflow: str, env: dict[str, str], files=None,
        secrets=None) -> tuple[actlib.ActResult, str]:
    repo = str(tmp_path / "repo")
    sha = actlib.make_repo(repo, workflow, dict(APP, **(files or {})),
                           executables=("app/server",), with_action=True)
    r = actlib.run_act(act_bin, repo, str(tmp_path / "act"), env=env, secrets=secrets,
                       event=actlib.push_event(sha),
                       path=actlib.path_without_berth(os.environ["PATH"]),
                       local_repositories=LOCAL_ACTIONS)
    return r, repo


def test_action_oidc_login_and_outputs(act_bin, berth_bin, berth_version, ecr_stack,
                                       action_env, tmp_path):
    st = ecr_stack
    out = action_env["TEST_OUT"]
    r, _ = run(act_bin, tmp_path, "action-login.yml", action_env)
    assert r.returncode == 0, r.log
    assert "Job succeeded" in r.log, r.log
    for step in ("no berth and no AWS settings yet", "moto takes one unsigned call",
                 "./", "record the outputs and the session for the test",
                 "push with the exported credentials",
                 "skopeo with the docker_username and docker_password outputs",
                 "skopeo with the docker config the action wrote",
                 "aws cli with the exported credentials"):
        assert r.outcome(step) == "success", (step, r.log)

    outputs = key_values(read(os.path.join(out, "outputs")))
    assert outputs == {
        "registry": HOST, "registries": HOST, "username": "AWS", "account": "123456789012",
        "berth_path": berth_bin, "berth_version": berth_version, "cache_key": "",
        "which": berth_bin, "region": "us-east-1", "default_region": "us-east-1"}, outputs
    # The credentials: the OIDC token for STS, role ci-pusher, the session name given.
    assert [q["audience"] for q in st.oidc.requests] == ["sts.amazonaws.com"]
    issued = [t["token"] for t in st.oidc.issued]
    assert len(issued) == 1
    caller = json.loads(read(os.path.join(out, "caller.json")))
    assert caller["Arn"] == "arn:aws:sts::123456789012:assumed-role/ci-pusher/berth-act"
    key_id, secret, token = read(os.path.join(out, "session")).split("\n")[:3]
    assert key_id.startswith("ASIA") and secret and token
    # berth pushed with them; skopeo read the image back with the action's outputs and
    # with the docker config.json it wrote (0600, the moto-issued password).
    digest = read(os.path.join(out, "digest")).strip()
    assert digest.startswith("sha256:")
    assert read(os.path.join(out, "digest-outputs")).strip() == digest
    assert read(os.path.join(out, "digest-config")).strip() == digest
    config = os.path.join(action_env["DOCKER_CONFIG"], "config.json")
    assert stat.S_IMODE(os.stat(config).st_mode) == 0o600
    assert json.loads(read(config))["auths"] == {
        HOST: {"auth": base64.b64encode(("AWS:" + st.front.password).encode()).decode()}}
    # berth-path given: the cache step was skipped; no dockerfile: no build.
    assert os.listdir(action_env["ACT_CACHE_STUB"]) == []
    assert "Main Dockerfile build" not in r.log, r.log

    for what, value in {"ECR password": st.front.password, "access key id": key_id,
                        "secret access key": secret,
                        "session token": token, "OIDC token": issued[0],
                        "OIDC request token": st.oidc.request_token}.items():
        assert value and value not in r.log, "the %s is in act's log" % what
    assert "password: ***" in r.step_lines("login")
    assert "::set-env:: AWS_SECRET_ACCESS_KEY=***" in r.log
    assert "::set-output:: docker_password=***" in r.log


def test_action_static_keys_and_role_chaining(act_bin, ecr_stack,
                                                             action_env, tmp_path):
    st = ecr_stack
    pusher, admin = st.iam.users["pusher"], st.iam.users["admin"]
    # No `permissions: id-token: write` in this workflow: no OIDC variables.
    env = {k: v for k, v in action_env.items() if not k.startswith("ACTIONS_ID_TOKEN_")}
    r, _ = run(act_bin, tmp_path, "action-keys.yml", env,
               secrets={"PUSHER_ACCESS_KEY_ID": pusher["access_key_id"],
                        "PUSHER_SECRET_ACCESS_KEY": pusher["secret_access_key"],
                        "ADMIN_ACCESS_KEY_ID": admin["access_key_id"],
                        "ADMIN_SECRET_ACCESS_KEY": admin["secret_access_key"]})
    assert r.returncode == 0, r.log
    lines = r.step_lines("keys")
    # Several registries: no single `registry`, no account lookup without a role.
    assert "registry=[]" in lines, lines
    assert "registries=[%s,%s]" % (HOST, OTHER_HOST) in lines, lines
    assert "account=[]" in lines, lines
    assert "region=[us-east-1] [us-east-1]" in lines, lines
    # mask-password: false leaves the password unmasked, as asked; the secret key (an
    # act secret) is masked all the same.
    assert "password: %s" % st.front.password in lines, lines
    assert "secret key: ***" in lines, lines
    assert pusher["secret_access_key"] not in r.log
    auths = json.loads(read(os.path.join(action_env["DOCKER_CONFIG"], "config.json")))["auths"]
    assert sorted(auths) == [HOST, OTHER_HOST]
    assert st.oidc.requests == []

    # A role on top of the admin's keys: the account comes from the assumed role, and
    # with it the registry; the password is masked (the default).
    lines = r.step_lines("chain")
    assert "registry=[%s]" % HOST in lines, lines
    assert "account=[123456789012]" in lines, lines
    assert "password: ***" in lines, lines
    assert "arn=arn:aws:sts::123456789012:assumed-role/push-role/GitHubActions" in lines, lines
    assert st.iam.users["admin"]["secret_access_key"] not in r.log


def test_action_installs_from_release_or_cache_and_refuses(act_bin, berth_bin, berth_version,
                                                           ecr_stack, action_env, tmp_path):
    # A release archive (a `cmake --install` tree under one top directory), and the
    # same archive mislabelled as 9.9.9.
    releases = tmp_path / "releases"
    releases.mkdir()
    good = releases / ("berth-%s-linux-x64.tar.gz" % berth_version)
    with tarfile.open(good, "w:gz") as tar:
        tar.add(berth_bin, arcname="berth-%s/bin/berth" % berth_version)
    shutil.copy(good, releases / "berth-9.9.9-linux-x64.tar.gz")
    sha256 = actlib.sha256_file(str(good)).split(":")[1]
    # Each with the .sha256 file cpack writes beside it, which the action checks when
    # no release-sha256 is given (the wrong-version refusal).
    for name in ("berth-%s-linux-x64.tar.gz" % berth_version, "berth-9.9.9-linux-x64.tar.gz"):
        (releases / (name + ".sha256")).write_text("%s  %s\n" % (sha256, name))
    # A cache hit holds an installed prefix.
    stub = action_env["ACT_CACHE_STUB"]
    os.makedirs(os.path.join(stub, "hit", "bin"))
    shutil.copy(berth_bin, os.path.join(stub, "hit", "bin", "berth"))
    env = dict(action_env, RELEASE_URL="file://%s/berth-{version}-linux-x64.tar.gz" % releases,
               RELEASE_VERSION=berth_version, RELEASE_SHA256=sha256)
    # Sources to hash for the cache key (tests/ is not part of it).
    sources = {"CMakeLists.txt": "project(berth)\n", "cmake/berth.pc.in": "Name: berth\n",
               "include/berth.h": "int berth(void);\n", "lib/core/a.cpp": "int a() { return 1; }\n",
               "tests/t.py": "print(1)\n"}
    r, repo = run(act_bin, tmp_path, "action-install.yml", env, files=sources)
    assert r.returncode == 0, r.log
    tool_cache = os.path.join(str(tmp_path / "act"), "act-cache", "tool_cache")

    rel = key_values("\n".join(r.step_lines("release")))
    release_berth = os.path.join(tool_cache, "berth", "release-%s-%s" % (berth_version, RUNNER_ARCH),
                                 "berth-%s" % berth_version, "bin", "berth")
    assert rel["path"] == release_berth and rel["which"] == release_berth, rel
    assert rel["version"] == berth_version
    assert "berth %s (abi" % berth_version in r.log

    cache = key_values("\n".join(r.step_lines("cache")))
    # act sets ImageOS from runs-on (ubuntu-latest: ubuntu20), as GitHub's images do.
    assert cache["imageos"], cache
    key = "berth-Linux-%s-%s-Release-%s" % (cache["imageos"], RUNNER_ARCH,
                                           actlib.sources_hash(repo))
    prefix = os.path.join(tool_cache, "berth", "source-%s" % RUNNER_ARCH)
    assert cache["key"] == key, cache
    # login: auto, with neither role-to-assume nor registries: no login.
    assert cache["registry"] == "[]" and "Main ECR login" not in r.log, cache
    assert cache["path"] == os.path.join(prefix, "bin", "berth") == cache["which"], cache
    assert read(os.path.join(stub, "calls-cache")) == "%s\t%s\n" % (key, prefix)
    # The cache is only asked for a source build.
    assert sorted(n for n in os.listdir(stub) if n.startswith("calls-")) == ["calls-cache"]

    assert "outcomes=failure,failure,failure" in r.step_lines("refusals"), r.log
    assert "is version %s, expected 9.9.9" % berth_version in r.log
    assert "release archive SHA-256 is %s, expected 0000" % sha256 in r.log
    if "berth-path: no berth executable at /nonexistent/berth" not in r.log:
        # act v0.2.89 can drop the last output of a step that fails at once while other
        # jobs print (seen once in CI under load, with the step's outcome right): one
        # more run must show it.
        r, repo = run(act_bin, tmp_path / "again", "action-install.yml", env, files=sources)
    assert "berth-path: no berth executable at /nonexistent/berth" in r.log


BUILD_DOCKERFILE = """FROM %s
ARG GREETING
ARG NOTE
COPY app /app
RUN printf '%%s\\n' "$GREETING" >/app/greeting && printf '%%s\\n' "$NOTE" >/app/note
RUN --mount=type=secret,id=token,required wc -c </run/secrets/token >/app/token-length \
 && echo "token: $(cat /run/secrets/token)"
ENTRYPOINT ["/app/server"]
""" % actlib.PUBLIC_BASE
BUILD_SECRET = "act-build-secret-5e1f"  # the workflow's step env gives it to the action
LOCAL_CONTAINERFILE = """FROM %s
COPY hello.txt /hello.txt
RUN cp /hello.txt /copied && echo local >>/copied
""" % actlib.PUBLIC_BASE


def test_action_builds_a_dockerfile_and_pushes(act_bin, ecr_stack, ecr_public_session,
                                               public_base, public_env, berth_bin, tmp_path):
    st, pub = ecr_stack, ecr_public_session
    out = public_env["TEST_OUT"]
    env = dict(public_env, BERTH_DIR=os.path.dirname(berth_bin),
               ACT_CACHE_STUB=str(tmp_path / "cache-stub"))
    os.makedirs(env["ACT_CACHE_STUB"])
    r, repo = run(act_bin, tmp_path, "action-build.yml", env,
                  files={"Dockerfile": BUILD_DOCKERFILE,
                         "sub/Containerfile": LOCAL_CONTAINERFILE,
                         "sub/hello.txt": "hello from sub/\n"})
    assert r.returncode == 0, r.log
    assert "Job succeeded" in r.log, r.log
    sha = actlib.git(repo, "rev-parse", "HEAD")
    for step in ("record the build outputs for the test",
                 "skopeo reads every tag with the docker config the action wrote",
                 "pull by the digest output", "record the local build for the test",
                 "the bare tag without repository was refused"):
        assert r.outcome(step) == "success", (step, r.log)
    assert "bare=failure" in r.step_lines("build"), r.log
    assert "tag 'no-repository': a bare tag needs the repository input" in r.log, r.log

    outputs = key_values(read(os.path.join(out, "outputs")))
    digest, image_id = outputs["digest"], outputs["image_id"]
    assert outputs["registry"] == HOST
    assert digest.startswith("sha256:") and image_id.startswith("sha256:"), outputs
    assert outputs["layout"].startswith("oci:") and outputs["layout"].endswith(":image")
    # The digest output is what the registry serves under every tag (the bare one, the
    # full reference, and the comma-separated one after it); image-id is the config's.
    for tag in ("action-build", "action-full", sha):
        with open(os.path.join(out, "manifest-" + tag), "rb") as f:
            raw = f.read()
        assert "sha256:" + hashlib.sha256(raw).hexdigest() == digest, tag
        assert json.loads(raw)["config"]["digest"] == image_id, tag
    images = st.client("ecr", "admin").describe_images(
        repositoryName="berth/app", imageIds=[{"imageDigest": digest}])["imageDetails"]
    assert sorted(images[0]["imageTags"]) == sorted(["action-build", "action-full", sha]), images
    assert read(os.path.join(out, "pulled-digest")).strip() == digest

    # The image: COPY of the checked-out app/, the RUN saw both build args as given (the
    # shell-looking one literally: nothing ran it), and they are not in the config.
    files = actlib.layer_files(os.path.join(out, "pulled"), digest)
    assert files["app/server"] == APP["app/server"].encode()
    assert isinstance(files["bin/busybox"], bytes)
    assert files["app/greeting"] == b"hello from a build arg\n"
    assert files["app/note"] == ('$(touch "$TEST_OUT/pwned") `touch "$TEST_OUT/pwned"` '
                                 '"quoted" %s\n' % sha).encode()
    assert not os.path.exists(os.path.join(out, "pwned"))
    # The secret reached the RUN (its length), and nothing else: not a layer, the
    # config, nor act's log.
    assert files["app/token-length"].strip() == str(len(BUILD_SECRET)).encode()
    assert not any(BUILD_SECRET.encode() in v for v in files.values() if isinstance(v, bytes))
    config = json.loads(read(os.path.join(out, "config.json")))
    assert config["config"]["Entrypoint"] == ["/app/server"], config
    assert BUILD_SECRET not in json.dumps(config)
    # The RUN printed it: berth had it masked (::add-mask::) before the RUN ran.
    assert "token: ***" in r.log, r.log
    assert BUILD_SECRET not in r.log
    assert not any("GREETING" in e or "NOTE" in e for e in config["config"].get("Env", []))
    manifest = json.loads(read(os.path.join(out, "manifest-action-build")))
    assert manifest["annotations"]["org.opencontainers.image.base.digest"] == public_base["digest"]

    # cache-to: the first build stored the steps it used under berth/app:buildcache;
    # cache-from: the same build on a fresh runner's step cache took every one from
    # there (the comma-separated second reference holds none: a warning only).
    lines = r.step_lines("build")
    start = lines.index("=== fresh runner: cache-from ===")
    end = lines.index("=== fresh runner: done ===")
    assert any("build cache %s/berth/app:buildcache: 3 steps" % HOST in l
               for l in lines[:start]), r.log
    fresh = lines[start:end + 1]
    assert "fresh step cache used" in fresh, fresh
    assert sum(l.strip() == "CACHED" for l in fresh) == 3, fresh
    assert any("no build cache at %s/berth/none:buildcache yet" % HOST in l for l in fresh), fresh
    cache_image = st.client("ecr", "admin").describe_images(
        repositoryName="berth/app", imageIds=[{"imageTag": "buildcache"}])["imageDetails"]
    assert cache_image and cache_image[0]["imageDigest"] != digest, cache_image

    # No tags: a build into the local layout only (context sub/, its Containerfile).
    local_digest, local_id, layout = read(os.path.join(out, "local")).split("\n")[:3]
    with open(os.path.join(out, "local-manifest"), "rb") as f:
        raw = f.read()
    assert "sha256:" + hashlib.sha256(raw).hexdigest() == local_digest
    assert json.loads(raw)["config"]["digest"] == local_id
    assert layout.startswith("oci:") and layout != outputs["layout"]
    local = actlib.layer_files(os.path.join(out, "local-layout"), local_digest)
    assert local["hello.txt"] == b"hello from sub/\n" and local["copied"] == b"hello from sub/\nlocal\n"
    pushed = st.client("ecr", "admin").describe_images(repositoryName="berth/app")["imageDetails"]
    assert local_digest not in [i["imageDigest"] for i in pushed]

    issued = [t["token"] for t in st.oidc.issued]
    for what, value in {"ECR password": st.front.password, "OIDC token": issued[0],
                        "OIDC request token": st.oidc.request_token,
                        "ECR Public password": pub.password}.items():
        assert value and value not in r.log, "the %s is in act's log" % what
