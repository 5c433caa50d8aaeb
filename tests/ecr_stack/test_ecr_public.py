"""ECR Public (public.ecr.aws): logins from the ecr-public API, pushes with its token,
anonymous pulls -- with and without AWS credentials, and with credentials that may
not get a token. The stand-in is tests/ecr_stack/ecr_public.py (a real registry and
token server under public.ecr.aws; the API's signatures checked by botocore); the
AWS CLI is the judge of the API stand-in."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
import uuid

import pytest

import ecr_public
import ecr_stack as E
import secret_scan
from berth_cli import BERTH

# The ctypes binding of this checkout, on the library the suites run (BERTH_LIBRARY).
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bindings", "python"))
import berth  # noqa: E402


@pytest.fixture(scope="module")
def public(ecr_stack_session: E.EcrStack):
    users = ecr_stack_session.iam.users
    keys = {u["access_key_id"]: u["secret_access_key"] for u in users.values()}
    # The pusher stands for a CI role with private-ECR rights only.
    with ecr_public.EcrPublic(keys, denied={users["pusher"]["access_key_id"]}) as pub:
        yield pub


def _env(st: E.EcrStack, pub: ecr_public.EcrPublic, who: str | None) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/"),
           "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
           "AWS_EC2_METADATA_DISABLED": "true", "AWS_REGION": "eu-west-1"}
    if who:
        u = st.iam.users[who]
        env.update(AWS_ACCESS_KEY_ID=u["access_key_id"], AWS_SECRET_ACCESS_KEY=u["secret_access_key"])
    env.update(pub.env())
    return env


def _berth(st, pub, *args: str, who: str | None = "admin", stdin: str | None = None,
           extra: dict | None = None) -> subprocess.CompletedProcess:
    env = _env(st, pub, who)
    env.update(extra or {})
    p = subprocess.run([BERTH, *args], env=env, capture_output=True, text=True, input=stdin,
                       timeout=120)
    secret_scan.record(p.args, p.returncode, p.stdout, p.stderr, env)
    return p


def _layout(st, pub, tmp_path, text: str) -> str:
    d = tmp_path / ("ctx-" + uuid.uuid4().hex[:6])
    d.mkdir()
    (d / "hello").write_text(text)
    out = "oci:%s:%s" % (tmp_path / "layout", d.name)
    r = _berth(st, pub, "build", "--from", "scratch", "--layer", "%s:/app" % d, "--output", out,
               who=None)
    assert r.returncode == 0, r.stderr
    return out


def test_the_aws_cli_accepts_the_api_stand_in_and_berth_gets_the_same_password(
        ecr_stack_session: E.EcrStack, public: ecr_public.EcrPublic) -> None:
    st, pub = ecr_stack_session, public
    env = {**os.environ, **_env(st, pub, "admin")}
    aws = subprocess.run(["aws", "ecr-public", "get-login-password", "--region", "us-east-1"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert aws.returncode == 0, aws.stderr
    assert aws.stdout.strip() == pub.password
    pub.api.clear_requests()
    # The caller's region is eu-west-1: ECR Public's API is in us-east-1 regardless.
    r = _berth(st, pub, "ecr", "get-login-password", "public.ecr.aws")
    assert r.returncode == 0, r.stderr
    assert r.stdout == pub.password + "\n"
    assert pub.password not in r.stderr
    [rec] = pub.api.requests
    assert rec["signature_ok"] and rec["target"] == "SpencerFrontendService.GetAuthorizationToken"
    assert rec["scope"].endswith("/us-east-1/ecr-public/aws4_request"), rec


def test_refusals_are_clear(ecr_stack_session: E.EcrStack, public: ecr_public.EcrPublic) -> None:
    st, pub = ecr_stack_session, public
    r = _berth(st, pub, "ecr", "get-login-password", "public.ecr.aws", who="pusher")
    assert r.returncode != 0
    assert "AccessDeniedException" in r.stderr and "ecr-public:GetAuthorizationToken" in r.stderr
    wrong = {"AWS_SECRET_ACCESS_KEY": "not-the-secret"}
    r = _berth(st, pub, "ecr", "get-login-password", "public.ecr.aws", extra=wrong)
    assert r.returncode != 0 and "InvalidSignatureException" in r.stderr, r.stderr
    r = _berth(st, pub, "ecr", "get-login-password", "private.example.com")
    assert r.returncode != 0 and "public.ecr.aws" in r.stderr, r.stderr


def test_ecr_login_and_the_credential_helper(ecr_stack_session: E.EcrStack,
                                             public: ecr_public.EcrPublic, tmp_path) -> None:
    st, pub = ecr_stack_session, public
    config = tmp_path / "docker" / "config.json"
    r = _berth(st, pub, "ecr", "login", "public.ecr.aws", "--config", str(config))
    assert r.returncode == 0, r.stderr
    auths = json.loads(config.read_text())["auths"]
    assert base64.b64decode(auths["public.ecr.aws"]["auth"]).decode() == "AWS:" + pub.password
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    r = _berth(st, pub, "credential-helper", "get", stdin="https://public.ecr.aws\n")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"ServerURL": "https://public.ecr.aws", "Username": "AWS",
                                    "Secret": pub.password}


def test_push_with_a_token_and_pull_anonymously(ecr_stack_session: E.EcrStack,
                                                 public: ecr_public.EcrPublic, tmp_path) -> None:
    st, pub = ecr_stack_session, public
    ref = "public.ecr.aws/berth-alias/app-%s:v1" % uuid.uuid4().hex[:6]
    layout = _layout(st, pub, tmp_path, "public\n")

    pub.token_server.clear_requests()
    r = _berth(st, pub, "push", "--quiet", layout, ref)  # the keychain asks ecr-public
    assert r.returncode == 0, r.stderr
    digest = r.stdout.strip()
    pushes = [q for q in pub.token_requests() if any(":push" in s or ",push" in s
                                                      for s in q["scopes"])]
    assert pushes and all(q["username"] == "AWS" for q in pushes), pub.token_requests()

    # No AWS credentials at all, and credentials that may not get a token: both pull
    # anonymously, as docker does.
    for who in (None, "pusher"):
        pub.token_server.clear_requests()
        out = tmp_path / ("pulled-%s" % who)
        r = _berth(st, pub, "pull", "--quiet", ref, "oci:%s:v1" % out, who=who)
        assert r.returncode == 0, (who, r.stderr)
        assert r.stdout.strip() == digest
        assert pub.token_requests() and all(q["username"] is None for q in pub.token_requests())

    # An anonymous push is the registry's to refuse, clearly.
    r = _berth(st, pub, "push", layout, ref.replace(":v1", ":v2"), who=None)
    assert r.returncode != 0
    assert "denied" in r.stderr.lower() or "unauthorized" in r.stderr.lower(), r.stderr


def test_python_binding_logs_in_to_ecr_public(ecr_stack_session: E.EcrStack,
                                              public: ecr_public.EcrPublic, monkeypatch) -> None:
    for k, v in _env(ecr_stack_session, public, "admin").items():
        monkeypatch.setenv(k, v)
    login = berth.ecr_login("public.ecr.aws")
    assert (login.registry, login.username, login.password) == \
        ("public.ecr.aws", "AWS", public.password)


def test_concurrent_logins_keep_both_entries(ecr_stack_session: E.EcrStack,
                                             public: ecr_public.EcrPublic, tmp_path) -> None:
    # Two logins at once into one config.json (a job logging in to its private
    # registry and to ECR Public): each reads, edits and replaces the file, so without
    # a lock one entry was lost now and then. Both must survive every round.
    st, pub = ecr_stack_session, public
    env = _env(st, pub, "admin")
    env.update(AWS_ENDPOINT_URL_ECR=st.moto.url, AWS_REGION=st.region)
    config = tmp_path / "docker" / "config.json"
    hosts = (st.front.host, "public.ecr.aws")
    for round_ in range(12):
        procs = [subprocess.Popen([BERTH, "ecr", "login", h, "--config", str(config)], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for h in hosts]
        for p in procs:
            out, err = p.communicate(timeout=60)
            assert p.returncode == 0, err
        auths = json.loads(config.read_text())["auths"]
        assert set(auths) == set(hosts), (round_, sorted(auths))
        assert stat.S_IMODE(config.stat().st_mode) == 0o600
        config.unlink()


def test_skopeo_logs_in_with_berths_password(ecr_stack_session: E.EcrStack,
                                             public: ecr_public.EcrPublic, tmp_path) -> None:
    # What users do with get-login-password: pipe it into another client's login.
    # skopeo reaches public.ecr.aws through a CONNECT proxy (Go has no connect-to).
    st, pub = ecr_stack_session, public
    r = _berth(st, pub, "ecr", "get-login-password", "public.ecr.aws")
    assert r.returncode == 0, r.stderr
    routes = {"public.ecr.aws:443": ("127.0.0.1", pub.registry.port),
              "public.ecr.aws:%d" % pub.token_server.port: ("127.0.0.1", pub.token_server.port)}
    with E.ConnectProxy(routes) as proxy:
        env = {**os.environ, "HTTPS_PROXY": proxy.url, "https_proxy": proxy.url,
               "NO_PROXY": "", "no_proxy": ""}
        certs = ["--cert-dir", pub.ca.cert_dir]
        auth = ["--authfile", str(tmp_path / "auth.json")]
        login = subprocess.run(["skopeo", "login", *auth, *certs, "--username", "AWS",
                                "--password-stdin", "public.ecr.aws"], input=r.stdout,
                               env=env, capture_output=True, text=True, timeout=60)
        assert login.returncode == 0, login.stderr
        layout = _layout(st, pub, tmp_path, "pushed by skopeo\n")
        ref = "public.ecr.aws/berth-alias/skopeo-%s:v1" % uuid.uuid4().hex[:6]
        pub.token_server.clear_requests()
        push = subprocess.run(["skopeo", "copy", *auth, "--dest-cert-dir", certs[1], layout,
                               "docker://" + ref], env=env, capture_output=True, text=True,
                              timeout=120)
        assert push.returncode == 0, push.stderr
    # The token server saw skopeo push as AWS; berth pulls it back anonymously.
    assert any(q["username"] == "AWS" for q in pub.token_requests())
    r = _berth(st, pub, "pull", "--quiet", ref, "oci:%s:v1" % (tmp_path / "back"), who=None)
    assert r.returncode == 0, r.stderr
