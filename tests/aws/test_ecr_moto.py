"""berth's ECR and STS calls against moto with IAM auth on: every request's SigV4
signature is checked by moto (botocore's code, not ours) and IAM policies are
enforced. Users and roles come from conftest.AwsWorld."""

from __future__ import annotations

import base64
import json
import os
import stat
import uuid

import pytest

import awslib
from awslib import (ACCOUNT, REGION, GithubOidc, PassThrough, StandIn, audience_of, forward,
                    moto_env, user_env)

REGISTRY = "%s.dkr.ecr.%s.amazonaws.com" % (ACCOUNT, REGION)
MOTO_PASSWORD = "%s-auth-token" % ACCOUNT  # what moto's GetAuthorizationToken hands out


def repo_name() -> str:
    return "aws-tests/%s" % uuid.uuid4().hex[:10]


# ------------------------------------------------------------------ signatures and policies


def test_login_password_with_least_privilege(world, berth, home):
    r = berth(["ecr", "get-login-password"], user_env(world, home, "puller"),
              secrets=world.all_secrets())
    assert r.code == 0, r.err
    assert r.out == MOTO_PASSWORD + "\n"
    assert r.err == ""


def test_least_privilege_user_is_denied_create_repository(world, berth, home):
    name = repo_name()
    r = berth(["ecr", "call", "CreateRepository", json.dumps({"repositoryName": name})],
              user_env(world, home, "puller"), secrets=world.all_secrets())
    assert r.code == 3, (r.code, r.err)
    assert r.out == ""
    assert "AccessDenied" in r.err
    assert "ecr:CreateRepository" in r.err
    assert "user/puller" in r.err  # moto's message names who was refused
    # Nothing was created.
    names = [x["repositoryName"] for x in
             world.client("ecr").describe_repositories()["repositories"]]
    assert name not in names


def test_signed_calls_round_trip(world, berth, home):
    env = user_env(world, home, "admin")
    name = repo_name()
    r = berth(["ecr", "call", "CreateRepository",
               json.dumps({"repositoryName": name, "imageTagMutability": "IMMUTABLE"})], env)
    assert r.code == 0, r.err
    repo = json.loads(r.out)["repository"]
    assert repo["repositoryName"] == name
    assert repo["repositoryUri"] == "%s/%s" % (REGISTRY, name)
    # Body from stdin; moto (checked with boto3) agrees.
    r = berth(["ecr", "call", "DescribeRepositories", "-"], env,
              input=json.dumps({"repositoryNames": [name]}))
    assert r.code == 0, r.err
    assert json.loads(r.out)["repositories"][0]["imageTagMutability"] == "IMMUTABLE"
    got = world.client("ecr").describe_repositories(repositoryNames=[name])["repositories"]
    assert got[0]["repositoryArn"] == repo["repositoryArn"]
    # An ECR error through the same path.
    r = berth(["ecr", "call", "DescribeRepositories",
               json.dumps({"repositoryNames": [name + "-missing"]})], env,
              secrets=world.all_secrets())
    assert r.code == 1
    assert "RepositoryNotFoundException" in r.err
    assert "ecr:DescribeRepositories" in r.err


def test_wrong_secret_is_signature_does_not_match(world, berth, home):
    u = world.users["admin"]
    wrong = u.secret[:-4] + "XXXX"
    env = moto_env(world, home, AWS_ACCESS_KEY_ID=u.key, AWS_SECRET_ACCESS_KEY=wrong)
    for args in (["ecr", "get-login-password"], ["ecr", "call", "DescribeRepositories"]):
        r = berth(args, env, secrets=world.all_secrets() + (wrong,))
        assert r.code == 3, (args, r.code, r.err)
        assert r.out == ""
        assert "SignatureDoesNotMatch" in r.err
        assert "Check your AWS Secret Access Key" in r.err
        assert r.err.count("\n") == 1  # one clear line


def test_unknown_key_is_invalid_client_token(world, berth, home):
    env = moto_env(world, home, AWS_ACCESS_KEY_ID="AKIAUNKNOWNUNKNOWN00",
                   AWS_SECRET_ACCESS_KEY="unknown-secret-value-123")
    r = berth(["ecr", "get-login-password"], env, secrets=("unknown-secret-value-123",))
    assert r.code == 3
    assert "InvalidClientTokenId" in r.err


def test_no_credentials_at_all(world, berth, home):
    r = berth(["ecr", "get-login-password"], moto_env(world, home))
    assert r.code == 3
    assert "no AWS credentials found" in r.err


def test_credential_process_keys_are_used_for_signing(world, berth, home, tmp_path):
    u = world.users["puller"]
    s = tmp_path / "creds.sh"
    s.write_text("#!/bin/sh\necho '%s'\n" % json.dumps(
        {"Version": 1, "AccessKeyId": u.key, "SecretAccessKey": u.secret}))
    s.chmod(0o700)
    awslib.write_aws_files(home, "[profile ci]\nregion = %s\ncredential_process = %s\n"
                           % (REGION, s))
    env = moto_env(world, home)
    r = berth(["ecr", "get-login-password", "--profile", "ci"], env)
    assert r.code == 0, r.err
    assert r.out.strip() == MOTO_PASSWORD


def test_aws_cli_reads_berths_credential_process_output(world, berth_bin, home):
    """`berth aws credentials --format json` is credential_process output: the AWS CLI
    runs it and signs with what it printed — inside GitHub Actions too, where masks go
    to stderr and stdout stays the JSON document alone."""
    import subprocess

    u = world.users["puller"]
    awslib.write_aws_files(
        home,
        "[profile source]\nregion = %s\n"
        "[profile via-berth]\nregion = %s\n"
        "credential_process = %s aws credentials --format json --profile source\n"
        % (REGION, REGION, berth_bin),
        "[source]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (u.key, u.secret))
    env = moto_env(world, home, GITHUB_ACTIONS="true")
    p = subprocess.run(["aws", "sts", "get-caller-identity", "--profile", "via-berth",
                        "--output", "json"], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["Arn"].endswith(":user/" + u.name), p.stdout


# ------------------------------------------------------------------ roles


def test_assume_role_with_external_id(world, berth, home):
    """AssumeRole from keys in the environment (--role-arn, --external-id); the STS
    request goes through a recording pass-through so the parameters can be seen."""
    with PassThrough(world.moto.url) as rec:
        env = user_env(world, home, "assumer", AWS_ENDPOINT_URL_STS=rec.url)
        name = repo_name()
        r = berth(["ecr", "call", "CreateRepository", json.dumps({"repositoryName": name}),
                   "--role-arn", world.roles["ecr-pusher"], "--external-id", "berth-ext-7",
                   "--role-session-name", "berth-test"], env, secrets=world.all_secrets())
        assert r.code == 0, r.err
        forms = rec.forms()
    assert len(forms) == 1
    assert forms[0]["Action"] == "AssumeRole"
    assert forms[0]["RoleArn"] == world.roles["ecr-pusher"]
    assert forms[0]["ExternalId"] == "berth-ext-7"
    assert forms[0]["RoleSessionName"] == "berth-test"
    assert forms[0]["DurationSeconds"] == "3600"
    # The assumer itself may not touch ECR: success means the role's keys signed it.
    r = berth(["ecr", "call", "DescribeRepositories"], user_env(world, home, "assumer"),
              secrets=world.all_secrets())
    assert r.code == 3 and "AccessDenied" in r.err


def test_assume_role_with_a_wrong_external_id_is_denied(world, berth, home):
    r = berth(["ecr", "get-login-password", "--role-arn", world.roles["ecr-pusher"],
               "--external-id", "not-the-one"], user_env(world, home, "assumer"),
              secrets=world.all_secrets())
    assert r.code == 3
    assert "assume role %s" % world.roles["ecr-pusher"] in r.err
    assert "AccessDenied" in r.err


def test_assume_role_denied_names_the_role(world, berth, home):
    r = berth(["ecr", "get-login-password", "--role-arn", world.roles["hop-b"]],
              user_env(world, home, "puller"), secrets=world.all_secrets())
    assert r.code == 3
    assert "assume role %s" % world.roles["hop-b"] in r.err
    assert "AccessDenied" in r.err
    assert "sts:AssumeRole" in r.err


def test_profile_role_chain(world, probe, home):
    """base (static keys) -> hop-a -> hop-b, each hop a real signed AssumeRole."""
    u = world.users["assumer"]
    awslib.write_aws_files(
        home,
        config="[profile base]\nregion = %s\n"
               "[profile hop-a]\nrole_arn = %s\nsource_profile = base\nrole_session_name = one\n"
               "[profile hop-b]\nrole_arn = %s\nsource_profile = hop-a\n"
               "role_session_name = two\n" % (REGION, world.roles["hop-a"], world.roles["hop-b"]),
        credentials="[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                    % (u.key, u.secret))
    r = probe(moto_env(world, home, AWS_PROFILE="hop-b"), mode="identity",
              secrets=world.all_secrets())
    d = r.lines()
    assert d.get("provider") == "assume role", d
    assert d["session_token"] == "yes"
    assert d["expiration"] != "none"
    assert d["arn"] == "arn:aws:sts::%s:assumed-role/hop-b/two" % ACCOUNT


def test_credential_source_environment(world, probe, berth, home):
    awslib.write_aws_files(home, config="[profile env-role]\nrole_arn = %s\n"
                           "credential_source = Environment\n" % world.roles["hop-b"])
    env = user_env(world, home, "assumer")
    d = probe(env, mode="identity", profile="env-role", secrets=world.all_secrets()).lines()
    assert d.get("provider") == "assume role", d
    assert d["arn"].startswith("arn:aws:sts::%s:assumed-role/hop-b/" % ACCOUNT)
    # Through the CLI: the role may use ECR, the environment's user may not.
    r = berth(["ecr", "call", "DescribeRepositories", "--profile", "env-role"], env,
              secrets=world.all_secrets())
    assert r.code == 0, r.err
    # Without keys in the environment the configured role fails, it is not skipped.
    d = probe(moto_env(world, home), profile="env-role").lines()
    assert d["error_code"] == "configuration error", d
    assert "environment: AWS_ACCESS_KEY_ID" in d["error"]


# ------------------------------------------------------------------ web identity


def test_github_actions_oidc(auth_guard, berth, home):
    world = auth_guard
    with GithubOidc() as gh:
        env = moto_env(world, home, ACTIONS_ID_TOKEN_REQUEST_URL=gh.request_url,
                       ACTIONS_ID_TOKEN_REQUEST_TOKEN=GithubOidc.REQUEST_TOKEN,
                       AWS_ROLE_ARN=world.roles["gha-ecr"], GITHUB_ACTIONS="true")
        name = repo_name()
        world.moto.reset_auth(1)  # exactly the unsigned AssumeRoleWithWebIdentity
        r = berth(["ecr", "call", "CreateRepository", json.dumps({"repositoryName": name})],
                  env, secrets=world.all_secrets() + (GithubOidc.REQUEST_TOKEN, gh.jwt))
        assert r.code == 0, r.err
        assert json.loads(r.out)["repository"]["repositoryName"] == name
        assert len(gh.requests) == 1
        req = gh.requests[0]
        assert req.headers["authorization"] == "Bearer " + GithubOidc.REQUEST_TOKEN
        assert audience_of(req) == ["sts.amazonaws.com"]
        assert req.path.startswith("/_apis/actions/idtoken?api-version=2.0&audience=")


def test_github_actions_oidc_explicit_role_beats_environment_keys(auth_guard, probe, home):
    """--role-arn with OIDC available assumes the role even when a previous step left
    keys in the environment (the keys' user may not use ECR)."""
    world = auth_guard
    with GithubOidc() as gh:
        env = user_env(world, home, "puller", ACTIONS_ID_TOKEN_REQUEST_URL=gh.request_url,
                       ACTIONS_ID_TOKEN_REQUEST_TOKEN=GithubOidc.REQUEST_TOKEN)
        world.moto.reset_auth(1)
        d = probe(env, mode="identity", role_arn=world.roles["gha-ecr"],
                  secrets=world.all_secrets()).lines()
    assert d.get("provider") == "web identity", d
    assert d["arn"] == "arn:aws:sts::%s:assumed-role/gha-ecr/GitHubActions" % ACCOUNT


def test_github_actions_oidc_refused_token_request(world, berth, home):
    with GithubOidc() as gh:
        env = moto_env(world, home, ACTIONS_ID_TOKEN_REQUEST_URL=gh.request_url,
                       ACTIONS_ID_TOKEN_REQUEST_TOKEN="wrong-request-token-value",
                       AWS_ROLE_ARN=world.roles["gha-ecr"])
        r = berth(["ecr", "get-login-password"], env, secrets=("wrong-request-token-value",))
    assert r.code == 3
    assert "github oidc: the OIDC token request failed with HTTP 401" in r.err


def test_web_identity_token_file(auth_guard, probe, berth, home, tmp_path):
    world = auth_guard
    tf = tmp_path / "eks-token"
    tf.write_text(GithubOidc().jwt + "\n")
    env = moto_env(world, home, AWS_WEB_IDENTITY_TOKEN_FILE=str(tf),
                   AWS_ROLE_ARN=world.roles["gha-ecr"], AWS_ROLE_SESSION_NAME="eks-pod")
    world.moto.reset_auth(1)
    d = probe(env, mode="identity", secrets=world.all_secrets()).lines()
    assert d.get("provider") == "web identity", d
    assert d["arn"] == "arn:aws:sts::%s:assumed-role/gha-ecr/eks-pod" % ACCOUNT
    world.moto.reset_auth(1)
    r = berth(["ecr", "get-login-password"], env, secrets=world.all_secrets())
    assert r.code == 0, r.err
    assert r.out.strip() == MOTO_PASSWORD


def test_web_identity_in_a_profile(auth_guard, probe, home, tmp_path):
    world = auth_guard
    tf = tmp_path / "token"
    tf.write_text(GithubOidc().jwt)
    awslib.write_aws_files(home, "[profile wi]\nrole_arn = %s\nweb_identity_token_file = %s\n"
                           "role_session_name = from-profile\n" % (world.roles["gha-ecr"], tf))
    world.moto.reset_auth(1)
    d = probe(moto_env(world, home, AWS_PROFILE="wi"), mode="identity").lines()
    assert d.get("arn") == "arn:aws:sts::%s:assumed-role/gha-ecr/from-profile" % ACCOUNT, d


def test_web_identity_token_file_missing(world, berth, home, tmp_path):
    env = moto_env(world, home, AWS_WEB_IDENTITY_TOKEN_FILE=str(tmp_path / "nope"),
                   AWS_ROLE_ARN=world.roles["gha-ecr"])
    r = berth(["ecr", "get-login-password"], env)
    assert r.code == 3
    assert "web identity: cannot read the token file" in r.err


# ------------------------------------------------------------------ docker logins


def test_ecr_login_writes_config_json(world, berth, home):
    docker = os.path.join(home, ".docker")
    os.makedirs(docker)
    cfg = os.path.join(docker, "config.json")
    with open(cfg, "w") as f:
        json.dump({"auths": {"other.example": {"auth": "dXNlcjpwYXNz"},
                             REGISTRY: {"auth": "c3RhbGU6c3RhbGU="}},
                   "credHelpers": {"gcr.io": "gcloud"}, "psFormat": "{{.ID}}"}, f)
    os.chmod(cfg, 0o600)
    r = berth(["ecr", "login", REGISTRY], user_env(world, home, "puller"),
              secrets=world.all_secrets())
    assert r.code == 0, r.err
    assert MOTO_PASSWORD not in r.out + r.err
    assert cfg in r.err
    with open(cfg) as f:
        doc = json.load(f)
    assert doc["auths"]["other.example"] == {"auth": "dXNlcjpwYXNz"}
    assert doc["credHelpers"] == {"gcr.io": "gcloud"}
    assert doc["psFormat"] == "{{.ID}}"
    assert base64.b64decode(doc["auths"][REGISTRY]["auth"]).decode() == "AWS:" + MOTO_PASSWORD
    assert stat.S_IMODE(os.stat(cfg).st_mode) == 0o600


def test_ecr_login_creates_a_private_config_json(world, berth, home, tmp_path):
    cfg = str(tmp_path / "new" / "dir" / "config.json")
    r = berth(["ecr", "login", REGISTRY, "--config", cfg], user_env(world, home, "puller"))
    assert r.code == 0, r.err
    assert stat.S_IMODE(os.stat(cfg).st_mode) == 0o600  # it holds a password
    with open(cfg) as f:
        assert list(json.load(f)["auths"]) == [REGISTRY]


def test_ecr_login_reads_an_empty_config_json_as_empty(world, berth, home, tmp_path):
    cfg = tmp_path / "config.json"
    cfg.write_text("\n")
    cfg.chmod(0o640)
    r = berth(["ecr", "login", REGISTRY, "--config", str(cfg)], user_env(world, home, "puller"))
    assert r.code == 0, r.err
    assert list(json.loads(cfg.read_text())["auths"]) == [REGISTRY]
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o640  # an existing file keeps its mode


def test_ecr_login_refuses_a_broken_config_json(world, berth, home, tmp_path):
    cfg = tmp_path / "config.json"
    cfg.write_text('{"auths": {"x": {"auth": "c2VjcmV0LWluLWZpbGU="}')
    r = berth(["ecr", "login", REGISTRY, "--config", str(cfg)], user_env(world, home, "puller"),
              secrets=("c2VjcmV0LWluLWZpbGU=", MOTO_PASSWORD))
    assert r.code == 1  # a configuration error, not a transfer failure (5)
    assert "is not valid JSON" in r.err
    assert cfg.read_text() == '{"auths": {"x": {"auth": "c2VjcmV0LWluLWZpbGU="}'


def test_ecr_login_rejects_non_ecr_hosts(world, berth, home):
    r = berth(["ecr", "login", "registry.example.com"], user_env(world, home, "puller"))
    assert r.code == 2
    assert "is not an ECR registry host" in r.err
    assert not os.path.exists(os.path.join(home, ".docker", "config.json"))


def test_credential_helper(world, berth, home):
    env = user_env(world, home, "puller")
    for url in (REGISTRY, "https://" + REGISTRY, "https://%s/v2/" % REGISTRY):
        r = berth(["credential-helper", "get"], env, input=url + "\n",
                  secrets=world.all_secrets())
        assert r.code == 0, r.err
        assert json.loads(r.out) == {"ServerURL": url, "Username": "AWS",
                                     "Secret": MOTO_PASSWORD}
    for other in ("docker.io", "https://index.docker.io/v1/", "localhost:5000"):
        r = berth(["credential-helper", "get"], env, input=other)
        assert r.code == 1
        assert r.out.strip() == "credentials not found in native keychain"
    # Names that only look like the ECR host: the token would go to evil.test (issue 20,
    # item 8: the port was stripped before the host was read).
    for evil in (REGISTRY + ":x@evil.test", REGISTRY + ":443@evil.test",
                 "https://%s@evil.test/" % REGISTRY, "https://user:pw@" + REGISTRY,
                 "evil.test/" + REGISTRY, REGISTRY + ".evil.test", "http://" + REGISTRY,
                 "https://%s/x" % REGISTRY):
        r = berth(["credential-helper", "get"], env, input=evil,
                  secrets=world.all_secrets())
        assert (r.code, r.out.strip()) == (1, "credentials not found in native keychain"), evil
    r = berth(["credential-helper", "list"], env, input="")
    assert (r.code, r.out.strip()) == (0, "{}")
    r = berth(["credential-helper", "store"], env, input=json.dumps(
        {"ServerURL": REGISTRY, "Username": "AWS", "Secret": "x"}))
    assert r.code == 1


def test_credential_helper_failure_keeps_secrets_out(world, berth, home):
    u = world.users["puller"]
    wrong = "Wrong" + u.secret[5:]
    env = moto_env(world, home, AWS_ACCESS_KEY_ID=u.key, AWS_SECRET_ACCESS_KEY=wrong)
    r = berth(["credential-helper", "get"], env, input=REGISTRY,
              secrets=world.all_secrets() + (wrong,))
    assert r.code == 3
    assert "SignatureDoesNotMatch" in r.err


def test_add_mask_in_github_actions(world, berth, home):
    """The mask goes to stderr (runners read workflow commands there too): stdout is
    the password alone, so `get-login-password | skopeo login --password-stdin` works
    inside a runner."""
    env = user_env(world, home, "puller", GITHUB_ACTIONS="true")
    r = berth(["ecr", "get-login-password", REGISTRY], env)
    assert r.code == 0, r.err
    assert r.out == MOTO_PASSWORD + "\n"
    assert "::add-mask::" + MOTO_PASSWORD + "\n" in r.err
    r = berth(["ecr", "get-login-password"], user_env(world, home, "puller",
                                                       GITHUB_ACTIONS="false"))
    assert r.out.splitlines() == [MOTO_PASSWORD]


# ------------------------------------------------------------------ retries


class Throttler(StandIn):
    """Answers the first `n` requests with a throttling error, then passes to moto."""

    def __init__(self, upstream: str, n: int, status: int = 400) -> None:
        self.upstream, self.n, self.status = upstream, n, status
        super().__init__()

    def answer(self, req):
        if len(self.requests) <= self.n:
            if self.status >= 500:
                return self.status, {}, "upstream unavailable"
            return self.status, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(
                {"__type": "ThrottlingException", "message": "Rate exceeded"})
        return forward(self.upstream, req)


def test_throttling_is_retried(world, berth, home):
    with Throttler(world.moto.url, 2) as t:
        env = user_env(world, home, "puller", AWS_ENDPOINT_URL_ECR=t.url)
        r = berth(["ecr", "get-login-password"], env)
        assert r.code == 0, r.err
        assert r.out.strip() == MOTO_PASSWORD
        assert len(t.requests) == 3
        # Every attempt is signed afresh and verified by moto.
        assert all(q.headers["authorization"].startswith("AWS4-HMAC-SHA256 ")
                   for q in t.requests)


def test_persistent_server_errors_give_up(world, berth, home):
    with Throttler(world.moto.url, 100, status=503) as t:
        env = user_env(world, home, "puller", AWS_ENDPOINT_URL_ECR=t.url)
        r = berth(["ecr", "get-login-password"], env, secrets=world.all_secrets())
        assert r.code == 5
        assert "ecr:GetAuthorizationToken: HTTP 503: upstream unavailable" in r.err
        assert len(t.requests) == 5


# ------------------------------------------------------------------ command line


def test_call_refuses_odd_operation_names(world, berth, home):
    env = user_env(world, home, "admin")
    for op in ("Describe/Repositories", "DescribeRepositories\nX-Injected: 1", ""):
        r = berth(["ecr", "call", op], env)
        assert r.code == 2, (op, r.err)


def test_region_is_required_unless_a_registry_names_it(world, berth, home):
    env = user_env(world, home, "puller", AWS_REGION=None)
    r = berth(["ecr", "get-login-password"], env)
    assert r.code == 1
    assert "no AWS region" in r.err
    # The registry host carries its region.
    r = berth(["ecr", "get-login-password", REGISTRY], env)
    assert r.code == 0, r.err
    # So does a profile.
    awslib.write_aws_files(home, "[default]\nregion = us-east-1\n")
    r = berth(["ecr", "call", "DescribeRepositories"], user_env(world, home, "admin",
                                                                AWS_REGION=None))
    assert r.code == 0, r.err


def test_put_replication_configuration(world, berth, home):
    """ECR's own replication: the account of an unqualified destination comes from
    sts:GetCallerIdentity; moto (read back with boto3) stores the rules."""
    env = user_env(world, home, "admin")
    r = berth(["ecr", "put-replication-configuration", "--destination", "us-west-2",
               "--destination", "eu-west-1:210987654321", "--repository-prefix", "berth/"], env,
              secrets=world.all_secrets())
    assert r.code == 0, r.err
    rules = world.client("ecr").describe_registry()["replicationConfiguration"]["rules"]
    assert rules[0]["destinations"] == [{"region": "us-west-2", "registryId": ACCOUNT},
                                        {"region": "eu-west-1", "registryId": "210987654321"}]
    assert rules[0]["repositoryFilters"] == [{"filter": "berth/", "filterType": "PREFIX_MATCH"}]
    r = berth(["ecr", "put-replication-configuration", "--destination", "us-west-2:123"], env)
    assert r.code == 2 and "12-digit" in r.err
