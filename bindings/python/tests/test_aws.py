"""AWS credentials, STS and ECR through the binding, against moto on 127.0.0.1.

moto (``python3 -m moto.server``) plays STS and ECR; the module starts it on a free
loopback port, waits until it answers and stops it at the end. Every test runs in
an environment with no AWS variables, HOME and DOCKER_CONFIG in a temporary
directory and the instance metadata service disabled, so nothing of the user's
reaches berth and nothing leaves the loopback interface.

The credentials are test values; even so, the tests compare secrets without
printing them (``same_secret``), as tests handling real ones must.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import importlib.util
import inspect
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid

import pytest

import berth
from berth import _aws, _lib

ACCOUNT = "123456789012"
REGION = "us-east-1"
REGISTRY = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
MOTO_PASSWORD = f"{ACCOUNT}-auth-token"  # what moto's GetAuthorizationToken hands out
KEY_ID = "AKIDBERTHBINDINGTEST"
SECRET = "berth/binding+test-secret-access-key-0001"
TOKEN = "berth-binding-test-session-token-0001"


def same_secret(actual, expected, what="secret"):
    """Fails without showing either value (pytest would print both for ==)."""
    if actual != expected:
        pytest.fail(f"{what} differs from the expected value (values not shown)")


def assert_hidden(text, *secrets):
    for s in secrets:
        if s and s in text:
            pytest.fail("a secret appears in a repr/str (value not shown)")


# ---------------------------------------------------------------------------------
# moto and the environment


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def moto_url(tmp_path_factory):
    missing = [m for m in ("moto", "flask", "werkzeug") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"needs moto[server] ({', '.join(missing)} missing)")
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    url = f"http://127.0.0.1:{port}"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                                 "-p", str(port)], stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"moto exited with {proc.returncode}: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/moto-api/reset", data=b"", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"moto did not answer on {url} within 30 s")
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No AWS configuration of the user's, no metadata service, a private HOME."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "ACTIONS_ID_TOKEN_")):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    return home


@pytest.fixture
def env_keys(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)


@pytest.fixture
def aws(moto_url, env_keys):
    """Keyword arguments that point every call at moto."""
    return dict(region=REGION, ecr_endpoint=moto_url, sts_endpoint=moto_url)


def repo_name() -> str:
    return f"bind-py-{uuid.uuid4().hex[:10]}"


# ---------------------------------------------------------------------------------
# Credentials


def test_credentials_from_the_environment(env_keys):
    creds = berth.aws_credentials()
    assert type(creds) is berth.AwsCredentials and type(creds).__module__ == "berth"
    assert (creds.access_key_id, creds.provider) == (KEY_ID, "environment")
    same_secret(creds.secret_access_key, SECRET)
    assert creds.session_token is None and creds.expiration is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        creds.provider = "x"


def test_credentials_repr_hides_the_secret_and_token(env_keys, monkeypatch):
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    creds = berth.aws_credentials()
    same_secret(creds.session_token, TOKEN, "session token")
    for text in (repr(creds), str(creds), f"{creds}", repr([creds])):
        assert_hidden(text, SECRET, TOKEN)
        assert KEY_ID in text and "<redacted>" in text and "environment" in text


def test_credentials_from_a_profile(moto_url, monkeypatch, tmp_path):
    config, credentials = tmp_path / "config", tmp_path / "credentials"
    config.write_text(f"[profile berth-test]\nregion = {REGION}\n")
    credentials.write_text(f"[berth-test]\naws_access_key_id = AKIDPROFILEKEY\n"
                           f"aws_secret_access_key = {SECRET}\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))

    creds = berth.aws_credentials(profile="berth-test")
    # Keys written in a profile are reported as "static" (botocore calls them
    # "shared-credentials-file").
    assert (creds.access_key_id, creds.provider) == ("AKIDPROFILEKEY", "static")
    same_secret(creds.secret_access_key, SECRET)
    assert creds.session_token is None and creds.expiration is None

    # AWS_PROFILE selects it as well, and the profile's region is used (no region=).
    monkeypatch.setenv("AWS_PROFILE", "berth-test")
    assert berth.aws_credentials().access_key_id == "AKIDPROFILEKEY"
    ident = berth.caller_identity(sts_endpoint=moto_url)
    assert ident.account == ACCOUNT

    # A profile that is named but not there stops the chain (botocore's
    # ProfileNotFound) instead of falling through to other providers.
    with pytest.raises(berth.ConfigError) as info:
        berth.aws_credentials(profile="no-such-profile")
    assert "no-such-profile" in info.value.message


def test_an_explicit_profile_beats_environment_keys(env_keys, monkeypatch, tmp_path):
    credentials = tmp_path / "credentials"
    credentials.write_text(f"[berth-test]\naws_access_key_id = AKIDPROFILEKEY\n"
                           f"aws_secret_access_key = {SECRET}\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    assert berth.aws_credentials(profile="berth-test").access_key_id == "AKIDPROFILEKEY"


def test_no_credentials_anywhere():
    with pytest.raises(berth.AuthError) as info:
        berth.aws_credentials()
    err = info.value
    assert err.code == -6 and err.message.startswith("no AWS credentials found")
    # Each provider says why it had nothing.
    assert "AWS_ACCESS_KEY_ID" in err.message and "AWS_EC2_METADATA_DISABLED" in err.message
    assert err.http_status is None and err.aws_code is None


def test_calls_without_credentials_fail_before_reaching_aws(moto_url):
    kw = dict(region=REGION, ecr_endpoint=moto_url, sts_endpoint=moto_url)
    for call in (lambda: berth.caller_identity(**kw), lambda: berth.ecr_login(**kw),
                 lambda: berth.ecr_call("DescribeRepositories", **kw)):
        with pytest.raises(berth.AuthError, match="^no AWS credentials found"):
            call()


def test_assume_role_gives_temporary_credentials(aws):
    role = dict(aws, role_arn=f"arn:aws:iam::{ACCOUNT}:role/berth-binding",
                role_session_name="bind-py", role_duration_seconds=900)
    creds = berth.aws_credentials(**role)
    assert creds.provider == "assume role" and creds.access_key_id != KEY_ID
    assert creds.session_token and creds.secret_access_key
    assert isinstance(creds.expiration, dt.datetime)
    assert creds.expiration.tzinfo is dt.timezone.utc
    assert_hidden(repr(creds), creds.secret_access_key, creds.session_token)

    ident = berth.caller_identity(**role)
    assert ident.account == ACCOUNT
    assert ident.arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/berth-binding/bind-py"


# ---------------------------------------------------------------------------------
# STS and ECR


def test_caller_identity(aws):
    ident = berth.caller_identity(**aws)
    assert type(ident) is berth.CallerIdentity
    assert ident.account == ACCOUNT
    assert ident.arn.startswith(f"arn:aws:sts::{ACCOUNT}:") and ident.user_id


def test_ecr_login(aws):
    login = berth.ecr_login(**aws)
    assert type(login) is berth.EcrLogin
    assert (login.registry, login.username) == (REGISTRY, "AWS")
    same_secret(login.password, MOTO_PASSWORD, "password")
    assert isinstance(login.expires_at, dt.datetime) and login.expires_at.tzinfo is dt.timezone.utc
    for text in (repr(login), str(login)):
        assert_hidden(text, MOTO_PASSWORD)
        assert REGISTRY in text and "<redacted>" in text

    # A named registry: its region is used when none is given.
    named = berth.ecr_login(REGISTRY, ecr_endpoint=aws["ecr_endpoint"])
    assert named.registry == REGISTRY
    same_secret(named.password, MOTO_PASSWORD, "password")


def test_ecr_login_refuses_other_hosts(aws):
    with pytest.raises(berth.InvalidArgumentError, match="not an ECR registry"):
        berth.ecr_login("registry.example.com", **aws)


def test_ecr_endpoint_from_the_environment(moto_url, env_keys, monkeypatch):
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECR", moto_url)
    assert berth.ecr_login().registry == REGISTRY


def test_ecr_logins_from_many_threads(aws):
    results, errors = [], []

    def work():
        try:
            results.append(berth.ecr_login(**aws).registry)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == [] and results == [REGISTRY] * 4


def test_ecr_call_round_trip(aws):
    name = repo_name()
    created = berth.ecr_call("CreateRepository", {"repositoryName": name,
                                                  "imageTagMutability": "IMMUTABLE"}, **aws)
    assert created["repository"]["repositoryName"] == name
    assert created["repository"]["repositoryUri"] == f"{REGISTRY}/{name}"

    # JSON text (str or bytes) is sent as it is.
    for body in (json.dumps({"repositoryNames": [name]}),
                 json.dumps({"repositoryNames": [name]}).encode()):
        described = berth.ecr_call("DescribeRepositories", body, **aws)
        (repo,) = described["repositories"]
        assert (repo["repositoryName"], repo["imageTagMutability"]) == (name, "IMMUTABLE")
        assert repo["registryId"] == ACCOUNT

    # No body means {}: every repository.
    everything = berth.ecr_call("DescribeRepositories", **aws)
    assert name in {r["repositoryName"] for r in everything["repositories"]}

    with pytest.raises(berth.AlreadyExistsError) as info:
        berth.ecr_call("CreateRepository", {"repositoryName": name}, **aws)
    assert info.value.aws_code == "RepositoryAlreadyExistsException"

    deleted = berth.ecr_call("DeleteRepository", {"repositoryName": name}, **aws)
    assert deleted["repository"]["repositoryName"] == name


def test_ecr_call_not_found_carries_aws_details(aws):
    name = repo_name()
    with pytest.raises(berth.NotFoundError) as info:
        berth.ecr_call("DescribeRepositories", {"repositoryNames": [name]}, **aws)
    err = info.value
    assert err.code == -8 and err.http_status == 400
    assert err.aws_code == "RepositoryNotFoundException"
    assert err.request_id and len(err.request_id) >= 8
    assert name in err.message
    assert "RepositoryNotFoundException" in str(err) and err.request_id in str(err)


def test_ecr_call_unreachable_endpoint(env_keys):
    port = _free_port()  # nothing listens there
    with pytest.raises(berth.NetworkError):
        berth.ecr_call("DescribeRepositories", region=REGION,
                       ecr_endpoint=f"http://127.0.0.1:{port}")


def test_ecr_docker_login_keeps_other_entries(aws, tmp_path):
    config = tmp_path / "cfg" / "config.json"
    config.parent.mkdir()
    other = base64.b64encode(b"someone:else").decode()
    config.write_text(json.dumps({"auths": {"registry.example.com": {"auth": other}},
                                  "psFormat": "table {{.ID}}"}))
    written = berth.ecr_docker_login(REGISTRY, config, **aws)
    assert written == str(config)

    doc = json.loads(config.read_text())
    assert doc["psFormat"] == "table {{.ID}}"
    assert doc["auths"]["registry.example.com"] == {"auth": other}
    auth = base64.b64decode(doc["auths"][REGISTRY]["auth"]).decode()
    same_secret(auth, f"AWS:{MOTO_PASSWORD}", "auth entry")

    # Again: the entry is replaced, not duplicated.
    berth.ecr_docker_login(REGISTRY, str(config), **aws)
    assert sorted(json.loads(config.read_text())["auths"]) == \
        sorted(["registry.example.com", REGISTRY])


def test_ecr_docker_login_defaults_to_docker_config(aws, tmp_path):
    written = berth.ecr_docker_login(**aws)  # the caller's registry, $DOCKER_CONFIG
    assert written == str(tmp_path / "docker" / "config.json")
    assert list(json.loads((tmp_path / "docker" / "config.json").read_text())["auths"]) == \
        [REGISTRY]


# ---------------------------------------------------------------------------------
# Arguments (checked before berth is called: no server needed)


def test_every_function_takes_the_same_aws_options():
    fields = [name for name, _ in _lib.AwsOptions._fields_][1:]  # without version
    assert list(_aws.AWS_OPTION_NAMES) == fields
    for fn in (berth.aws_credentials, berth.caller_identity, berth.ecr_login,
               berth.ecr_docker_login, berth.ecr_call):
        params = inspect.signature(fn).parameters.values()
        keyword_only = [p.name for p in params if p.kind is p.KEYWORD_ONLY]
        assert keyword_only == fields, fn.__name__
        assert all(p.default is None for p in params if p.kind is p.KEYWORD_ONLY)


@pytest.mark.parametrize("kw, error", [
    (dict(role_duration_seconds=-1), berth.InvalidArgumentError),
    (dict(role_duration_seconds=True), TypeError),
    (dict(role_duration_seconds="3600"), TypeError),
    (dict(role_duration_seconds=2**63), berth.InvalidArgumentError),
    (dict(region="us-east-1\0"), berth.InvalidArgumentError),
    (dict(profile=3), TypeError),
    (dict(ca_bundle=3), TypeError),
    (dict(regoin="us-east-1"), TypeError),
])
def test_bad_options(kw, error):
    for call in (berth.aws_credentials, berth.caller_identity, berth.ecr_login,
                 berth.ecr_docker_login, lambda **k: berth.ecr_call("DescribeRepositories", **k)):
        with pytest.raises(error):
            call(**kw)


@pytest.mark.parametrize("operation, body, error", [
    ("", None, berth.InvalidArgumentError),
    ("Describe Repositories", None, berth.InvalidArgumentError),
    ("DescribeRepositories\r\nX-Evil: 1", None, berth.InvalidArgumentError),
    ("Désc", None, berth.InvalidArgumentError),
    (None, None, TypeError),
    (b"DescribeRepositories", None, TypeError),
    ("DescribeRepositories", "{", berth.InvalidArgumentError),
    ("DescribeRepositories", "[]", berth.InvalidArgumentError),
    ("DescribeRepositories", b"\xff", berth.InvalidArgumentError),
    ("DescribeRepositories", 5, TypeError),
    ("DescribeRepositories", ["x"], TypeError),
    ("DescribeRepositories", {"when": object()}, TypeError),
])
def test_bad_ecr_call(operation, body, error):
    with pytest.raises(error):
        berth.ecr_call(operation, body, region=REGION)


def test_bad_registry_and_config_path():
    with pytest.raises(berth.InvalidArgumentError):
        berth.ecr_login("a\0b")
    with pytest.raises(TypeError):
        berth.ecr_login(5)
    with pytest.raises(berth.InvalidArgumentError):
        berth.ecr_docker_login(REGISTRY, "/tmp/x\0y")
