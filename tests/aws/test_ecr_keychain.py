"""berth's built-in ECR keychain in a real copy: `berth copy` to and from the ECR
registry front of tests/ecr_stack (TLS under the real ECR host name, Basic
AWS:<password> only, 403 "expired" answers) with nothing but AWS credentials.
GetAuthorizationToken goes through a recording pass-through to moto (IAM auth on),
so the tests see how many tokens berth asked for."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile

import pytest

import awslib
from awslib import PassThrough

HERE = os.path.dirname(os.path.abspath(__file__))
STACK_DIR = os.path.join(HERE, "..", "ecr_stack")
if not os.path.exists(os.path.join(STACK_DIR, "ecr_stack.py")):
    pytest.skip("tests/ecr_stack is not there", allow_module_level=True)
if not shutil.which("docker-registry"):
    pytest.skip("docker-registry is not installed", allow_module_level=True)
sys.path.insert(0, STACK_DIR)
sys.path.insert(0, os.path.join(HERE, "..", "servers"))

from ecr_fixtures import ecr_stack, ecr_stack_session  # noqa: E402,F401


def _blob(layout: str, data: bytes) -> dict:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    path = os.path.join(layout, "blobs", "sha256", digest[7:])
    with open(path, "wb") as f:
        f.write(data)
    return {"digest": digest, "size": len(data)}


def make_layout(layout: str, tag: str = "v1") -> str:
    """A one-layer OCI image whose manifest carries mediaType (ECR insists)."""
    os.makedirs(os.path.join(layout, "blobs", "sha256"))
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        data = os.urandom(2048)
        info = tarfile.TarInfo("hello.bin")
        info.size, info.mtime = len(data), 0
        tar.addfile(info, io.BytesIO(data))
    layer_tar = raw.getvalue()
    layer = _blob(layout, gzip.compress(layer_tar, mtime=0))
    layer["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip"
    config = _blob(layout, json.dumps({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers",
                   "diff_ids": ["sha256:" + hashlib.sha256(layer_tar).hexdigest()]}}).encode())
    config["mediaType"] = "application/vnd.oci.image.config.v1+json"
    manifest = _blob(layout, json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": config, "layers": [layer]}).encode())
    manifest["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
    manifest["annotations"] = {"org.opencontainers.image.ref.name": tag}
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                   "manifests": [manifest]}, f)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    return manifest["digest"]


@pytest.fixture
def image(tmp_path) -> dict:
    layout = str(tmp_path / "layout")
    return {"layout": layout, "digest": make_layout(layout)}


def env_for(st, home: str, recorder: PassThrough | None, who: str | None = "pusher",
            **extra: str) -> dict[str, str]:
    e = awslib.clean_env(home, AWS_ENDPOINT_URL=st.moto.url, AWS_REGION=st.region,
                         BERTH_CONNECT_TO=st.front.connect_to_all,
                         SSL_CERT_FILE=st.ca.cert_file)
    if recorder:
        e["AWS_ENDPOINT_URL_ECR"] = recorder.url
    if who:
        u = st.iam.users[who]
        e["AWS_ACCESS_KEY_ID"] = u["access_key_id"]
        e["AWS_SECRET_ACCESS_KEY"] = u["secret_access_key"]
    e.update(extra)
    return e


def dest(st, tag: str) -> str:
    return "docker://%s/%s:%s" % (st.front.host, st.repository, tag)


def secrets_of(st) -> tuple[str, ...]:
    return tuple(u["secret_access_key"] for u in st.iam.users.values()) + (st.front.password,)


def test_push_and_pull_with_aws_credentials_only(ecr_stack, berth, home, image, tmp_path):
    st = ecr_stack
    with PassThrough(st.moto.url) as rec:
        env = env_for(st, home, rec)
        r = berth(["copy", "oci:%s:v1" % image["layout"], dest(st, "kc-push")], env,
                  secrets=secrets_of(st))
        assert r.code == 0, r.err
        # One token for the whole push (several blob and manifest requests).
        assert rec.targets() == ["GetAuthorizationToken"]
        assert json.loads(rec.requests[0].body) == {"registryIds": [st.account]}
        pushed = [q for q in st.front.requests if q["method"] in ("PUT", "PATCH", "POST")]
        assert pushed and all(q["auth"] == "ok" for q in pushed)
        out = str(tmp_path / "pulled")
        r = berth(["copy", dest(st, "kc-push"), "oci:%s:v1" % out], env, secrets=secrets_of(st))
        assert r.code == 0, r.err
        assert len(rec.targets()) == 2  # a new process, a new token
    with open(os.path.join(out, "index.json")) as f:
        assert json.load(f)["manifests"][0]["digest"] == image["digest"]
    # The S3 side never saw an Authorization header.
    assert st.front.s3_requests and not any(q["authorization"] for q in st.front.s3_requests)


def test_expired_token_is_fetched_again(ecr_stack, berth, home, image, tmp_path):
    st = ecr_stack
    with PassThrough(st.moto.url) as rec:
        env = env_for(st, home, rec)
        r = berth(["copy", "oci:%s:v1" % image["layout"], dest(st, "kc-expired")], env)
        assert r.code == 0, r.err
        rec.requests.clear()
        st.front.expire_next(1)  # the next authenticated request gets ECR's 403 "expired"
        r = berth(["copy", dest(st, "kc-expired"), "oci:%s:v1" % (tmp_path / "out")], env,
                  secrets=secrets_of(st))
        assert r.code == 0, r.err
        assert rec.targets() == ["GetAuthorizationToken", "GetAuthorizationToken"]
    assert [q["auth"] for q in st.front.requests].count("expired") == 1


def test_expired_token_on_a_head_request_is_fetched_again(ecr_stack, berth, home, image):
    st = ecr_stack
    st.front.expire_next(1)  # a push starts with HEAD manifest: 403, no body
    with PassThrough(st.moto.url) as rec:
        r = berth(["copy", "oci:%s:v1" % image["layout"], dest(st, "kc-expired-head")],
                  env_for(st, home, rec), secrets=secrets_of(st))
        assert r.code == 0, r.err
        assert rec.targets() == ["GetAuthorizationToken", "GetAuthorizationToken"]


def test_without_aws_credentials_docker_config_is_used(ecr_stack, berth, home, image):
    st = ecr_stack
    os.makedirs(os.path.join(home, ".docker"))
    with open(os.path.join(home, ".docker", "config.json"), "w") as f:
        json.dump({"auths": {st.front.host: {"auth": base64.b64encode(
            ("AWS:" + st.front.password).encode()).decode()}}}, f)
    with PassThrough(st.moto.url) as rec:
        r = berth(["copy", "oci:%s:v1" % image["layout"], dest(st, "kc-docker")],
                  env_for(st, home, rec, who=None), secrets=secrets_of(st))
        assert r.code == 0, r.err
        assert rec.requests == []  # no AWS credentials: ECR was never asked


def test_without_any_credentials_the_registry_refuses(ecr_stack, berth, home, image):
    st = ecr_stack
    r = berth(["copy", "oci:%s:v1" % image["layout"], dest(st, "kc-none")],
              env_for(st, home, None, who=None), secrets=secrets_of(st))
    assert r.code == 3, (r.code, r.err)


def test_wrong_aws_secret_is_reported_by_the_keychain(ecr_stack, berth, home, image):
    st = ecr_stack
    u = st.iam.users["pusher"]
    wrong = u["secret_access_key"][:-3] + "zzz"
    r = berth(["copy", "oci:%s:v1" % image["layout"], dest(st, "kc-wrong")],
              env_for(st, home, None, AWS_SECRET_ACCESS_KEY=wrong),
              secrets=secrets_of(st) + (wrong,))
    assert r.code == 3, (r.code, r.err)
    assert "SignatureDoesNotMatch" in r.err
    assert "ecr:GetAuthorizationToken" in r.err
