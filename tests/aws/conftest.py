"""Fixtures for berth's AWS tests: the CLI and the berth_aws_probe driver run
with real environments against moto (IAM auth on) and loopback stand-ins.

Run from the repository root:  python3 -m pytest tests/aws -q   (BERTH_CLI=path/to/berth)
"""

from __future__ import annotations

import json
import os
import sys
from typing import Callable, Iterator

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import awslib  # noqa: E402
from secret_scan import secret_scan_session  # noqa: E402,F401  (autouse, session)
from awslib import ACCOUNT, REGION, IamUser, Moto  # noqa: E402

ECR_ALL = {"Version": "2012-10-17",
           "Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}
ECR_LOGIN_ONLY = {"Version": "2012-10-17",
                  "Statement": [{"Effect": "Allow", "Action": "ecr:GetAuthorizationToken",
                                 "Resource": "*"}]}
ASSUME_ANY = {"Version": "2012-10-17",
              "Statement": [{"Effect": "Allow", "Action": ["sts:AssumeRole",
                                                           "sts:GetCallerIdentity"],
                             "Resource": "*"}]}
ADMIN = {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
GITHUB_ISSUER = "token.actions.githubusercontent.com"


def _trust(principal: dict, action: str = "sts:AssumeRole", condition: dict | None = None) -> str:
    st = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        st["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [st]})


class AwsWorld:
    """moto plus the IAM users and roles the tests use; auth is on once built."""

    def __init__(self, moto: Moto) -> None:
        self.moto = moto
        iam = moto.client("iam")
        self.users: dict[str, IamUser] = {}
        for name, policy in (("admin", ADMIN), ("puller", ECR_LOGIN_ONLY),
                             ("assumer", ASSUME_ANY), ("nobody", None)):
            u = iam.create_user(UserName=name)["User"]
            if policy:
                iam.put_user_policy(UserName=name, PolicyName=name,
                                    PolicyDocument=json.dumps(policy))
            k = iam.create_access_key(UserName=name)["AccessKey"]
            self.users[name] = IamUser(name, k["AccessKeyId"], k["SecretAccessKey"], u["Arn"])
            awslib.KNOWN_SECRETS.add(k["SecretAccessKey"])
        awslib.KNOWN_SECRETS.add("%s-auth-token" % ACCOUNT)  # moto's ECR password
        oidc = iam.create_open_id_connect_provider(
            Url="https://" + GITHUB_ISSUER, ClientIDList=["sts.amazonaws.com"],
            ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"])
        self.oidc_provider_arn = oidc["OpenIDConnectProviderArn"]
        self.roles: dict[str, str] = {}
        # moto checks trust policies: principals (exact ARNs) and sts:ExternalId.
        assumer = self.users["assumer"].arn
        hop_a_session = "arn:aws:sts::%s:assumed-role/hop-a/one" % ACCOUNT
        roles = {
            # ECR power role, assumable with keys (AssumeRole, external id required).
            "ecr-pusher": (_trust({"AWS": [assumer]}, condition={
                "StringEquals": {"sts:ExternalId": "berth-ext-7"}}), [ECR_ALL, ASSUME_ANY]),
            # Role chains: hop-a may assume others, hop-b may use ECR.
            "hop-a": (_trust({"AWS": [assumer]}), [ASSUME_ANY]),
            "hop-b": (_trust({"AWS": [assumer, hop_a_session]}), [ECR_ALL, ASSUME_ANY]),
            # Web identity (GitHub Actions OIDC, EKS token files).
            "gha-ecr": (_trust({"Federated": self.oidc_provider_arn},
                               "sts:AssumeRoleWithWebIdentity",
                               {"StringEquals": {GITHUB_ISSUER + ":aud": "sts.amazonaws.com"}}),
                        [ECR_ALL, ASSUME_ANY]),
        }
        for name, (trust, policies) in roles.items():
            r = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]
            for i, p in enumerate(policies):
                iam.put_role_policy(RoleName=name, PolicyName="p%d" % i,
                                    PolicyDocument=json.dumps(p))
            self.roles[name] = r["Arn"]
        moto.reset_auth(0)  # from here on every request is signed and checked
        # Prove auth is really on: an unknown key is refused.
        import botocore.exceptions
        try:
            moto.client("sts", ("AKIDUNKNOWN000000000", "x")).get_caller_identity()
            raise RuntimeError("moto does not enforce IAM auth")
        except botocore.exceptions.ClientError as e:
            assert e.response["Error"]["Code"] == "InvalidClientTokenId", e.response

    def client(self, service: str, user: str = "admin"):
        u = self.users[user]
        return self.moto.client(service, (u.key, u.secret))

    def all_secrets(self) -> tuple[str, ...]:
        return tuple(u.secret for u in self.users.values())


@pytest.fixture(scope="session")
def berth_bin() -> str:
    try:
        return awslib.find_berth()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="session")
def probe_bin(berth_bin: str) -> str:
    path = awslib.find_probe(berth_bin)
    if not path:
        pytest.skip("no berth_aws_probe in the build of %s (set BERTH_AWS_PROBE_BIN)" % berth_bin)
    return path


@pytest.fixture(scope="session")
def world() -> Iterator[AwsWorld]:
    pytest.importorskip("moto")
    pytest.importorskip("boto3")
    m = Moto()
    try:
        yield AwsWorld(m)
    finally:
        m.close()


@pytest.fixture
def home(tmp_path) -> str:
    h = tmp_path / "home"
    (h / ".aws").mkdir(parents=True)
    return str(h)


@pytest.fixture
def berth(berth_bin: str) -> Callable[..., awslib.Result]:
    """berth(args, env, input=None, secrets=()) -> Result."""

    def run(args: list[str], env: dict[str, str], input: str | None = None,
            secrets: tuple[str, ...] = ()) -> awslib.Result:
        return awslib.run([berth_bin] + args, env, input=input, secrets=secrets)

    return run


@pytest.fixture
def probe(probe_bin: str) -> Callable[..., awslib.Result]:
    """probe(env, mode="credentials", secrets=(), **options) -> Result with .lines().
    options: profile, role_arn, external_id, region, sts_endpoint."""

    def run(env: dict[str, str], mode: str = "credentials", secrets: tuple[str, ...] = (),
            **options: str) -> awslib.Result:
        e = dict(env)
        e["BERTH_AWS_PROBE"] = mode
        for k, v in options.items():
            e["BERTH_AWS_PROBE_" + k.upper()] = v
        r = awslib.run([probe_bin], e, secrets=secrets)
        assert r.code == 0, r.out + r.err
        d = r.lines()
        for s in secrets:
            if s:
                assert s not in r.out, "a secret leaked in probe output"
        assert d, "the probe printed nothing:\n" + r.out
        return r

    return run


@pytest.fixture
def auth_guard(world: AwsWorld) -> Iterator[AwsWorld]:
    """For tests that open moto's auth for one unsigned call: enforce it again after."""
    yield world
    world.moto.reset_auth(0)
