#!/usr/bin/env python3
"""An Amazon ECR stand-in for berth's tests: moto (ECR, STS, IAM with auth on), IAM
users/roles/policies, a GitHub-Actions-like OIDC token endpoint, an ECR control plane
in front of moto (pull-through cache rules and repository creation templates, which moto
lacks; everything else forwarded to moto), and an ECR registry front (TLS, ECR's
data-plane behaviour, pull-through cache, create on push) in front of a real CNCF
distribution registry.

Everything listens on 127.0.0.1 (ephemeral ports) and lives in temp dirs.  Reuses
tests/servers/stack.py (Registry, TestCA, JWTSigner) and is built on the same
tests/servers/stackbase.py (process supervision, threaded servers, the CLI) -- see
README.md here.

Python use::

    import sys; sys.path.insert(0, "tests/ecr_stack")
    import ecr_stack
    with ecr_stack.EcrStack() as st:
        st.front.connect_to        # "123456789012.dkr.ecr.us-east-1.amazonaws.com:443:127.0.0.1:PORT"
        st.moto.url                # AWS_ENDPOINT_URL
        st.iam.users["pusher"]     # access_key_id / secret_access_key
        st.state()                 # the dict the CLI writes to ecr_stack.json

CLI use (shell, C++ and Go tests)::

    python3 tests/ecr_stack/ecr_stack.py up --state-dir DIR     # prints DIR/ecr_stack.json
    python3 tests/ecr_stack/ecr_stack.py status --state-dir DIR
    python3 tests/ecr_stack/ecr_stack.py down --state-dir DIR
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import fnmatch
import hashlib
import http.client
import json
import os
import re
import secrets
import select
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from typing import Any, Callable, Iterable, Iterator

HERE = os.path.dirname(os.path.abspath(__file__))
SERVERS_DIR = os.path.normpath(os.path.join(HERE, "..", "servers"))
if SERVERS_DIR not in sys.path:
    sys.path.insert(0, SERVERS_DIR)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import secret_scan  # noqa: E402  (tests/servers/secret_scan.py)
import stack  # noqa: E402  (tests/servers/stack.py)
from stack import JWTSigner, Registry, TestCA, jwt_decode, jwt_encode  # noqa: E402
from stackbase import (KEEP, LOOPBACK, S3_ONE_AUTH_MESSAGE, ChildProcess, ControlHandler,  # noqa: E402,F401
                       HTTPServer, QuietHandler, RecordingServer, Service, StackCLI,
                       TCPServer, b64url, b64url_decode, clear_records, close_socket,
                       exchange, free_port, handler_for, is_ip, pid_alive, records,
                       s3_error_xml, serve_in_thread, server_context, server_url, shutdown,
                       stop_all, write_atomic)
from sigv4_check import check_sigv4, signature_message  # noqa: E402

__all__ = [
    "ACCOUNT", "REGION", "ecr_host", "MotoServer", "IamSetup", "OidcTokenEndpoint", "EcrFront",
    "ConnectProxy", "ConnectToHTTPSConnection", "EcrControlPlane", "ControlPlaneError", "EcrStack", "push_policy_document",
    "scan_findings_result", "main",
]

ACCOUNT = "123456789012"          # moto's default account
REGION = "us-east-1"
MIN_PART_SIZE = 5 * 1024 * 1024   # ECR/S3 multipart minimum for every part but the last
MAX_MANIFEST_SIZE = 4 * 1024 * 1024
MAX_TAGS_N = 1000
ECR_SERVICE = "ecr.amazonaws.com"
EXPIRED_MESSAGE = "Your authorization token has expired. Reauthenticate and try again."
NOT_AUTHORIZED_MESSAGE = "Not Authorized\n"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
DEFAULT_SUBJECT = "repo:org/app:ref:refs/heads/main"
STS_AUDIENCE = "sts.amazonaws.com"
#: GitHub's well-known intermediate thumbprint; moto stores but never checks it
GITHUB_THUMBPRINT = "6938fd4d98bab03faadb97b34396831e3780aea1"
PUSH_ACTIONS = [
    "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage",
    "ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload",
]
_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
        "proxy-authorization", "te", "trailer", "trailers", "upgrade", "transfer-encoding",
        "expect", "content-length"}


def ecr_host(account: str = ACCOUNT, region: str = REGION) -> str:
    """The registry host name of a private ECR registry."""
    return "%s.dkr.ecr.%s.amazonaws.com" % (account, region)


def s3_bucket_host(region: str = REGION) -> str:
    """The host real ECR redirects layer downloads to (its S3 'starport' bucket)."""
    return "prod-%s-starport-layer-bucket.s3.%s.amazonaws.com" % (region, region)


# --------------------------------------------------------------------------
# helpers (the generic ones are tests/servers/stackbase.py's)

# a private name the self-tests use
_pid_alive = pid_alive


def _client_error_code(exc: Exception) -> str | None:
    resp = getattr(exc, "response", None) or {}
    return (resp.get("Error") or {}).get("Code")


def _client_error_text(exc: Exception) -> str:
    """Code and message of a botocore ClientError, also when moto answered in XML
    (botocore then reports Code "403" and the raw XML as the message)."""
    resp = getattr(exc, "response", None) or {}
    err = resp.get("Error") or {}
    return "%s %s" % (err.get("Code"), err.get("Message"))


# --------------------------------------------------------------------------
# moto


class MotoServer(ChildProcess):
    """``python3 -m moto.server -H 127.0.0.1 -p PORT`` in a child process.

    With ``iam_auth`` (default) the server starts with ``INITIAL_NO_AUTH_ACTION_COUNT=inf``
    (auth off: every request passes); ``auth_on()`` (``reset_auth(0)``) makes moto check
    SigV4 signatures against keys made through its IAM and enforce IAM policies;
    ``auth_off()`` lets everything through again.  Every request that passes while auth
    is off counts against the allowance, signed or not (moto's ``request_count``).

    ``lock`` is held by EcrFront around its own moto calls; ``unsigned_window()`` takes it
    too, so the front cannot use up a one-request allowance meant for a test's unsigned
    ``AssumeRoleWithWebIdentity``."""

    what = "moto server"
    workdir_prefix = "berth-moto-"
    log_name = "moto.log"
    start_attempts = 6
    port_taken = "in use"

    def __init__(self, *, host: str = LOOPBACK, port: int = 0, iam_auth: bool = True,
                 account: str = ACCOUNT, region: str = REGION, workdir: str | None = None,
                 start_timeout: float = 40.0, die_with_parent: bool = True,
                 python: str | None = None):
        super().__init__(workdir=workdir, host=host, port=port, start_timeout=start_timeout,
                         die_with_parent=die_with_parent)
        self.iam_auth = iam_auth
        self.account, self.region = account, region
        self.python = python or sys.executable
        self.lock = threading.RLock()
        self.auth_state = "off" if iam_auth else "disabled"

    # -- the child process ---------------------------------------------------
    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.upper().endswith("_PROXY") and not k.startswith("MOTO_")
               and k != "INITIAL_NO_AUTH_ACTION_COUNT"}
        if self.iam_auth:
            env["INITIAL_NO_AUTH_ACTION_COUNT"] = "inf"
        if self.account != ACCOUNT:
            env["MOTO_ACCOUNT_ID"] = self.account
        return env

    def command(self) -> list[str]:
        return [self.python, "-m", "moto.server", "-H", self.host, "-p", str(self.port)]

    def probe(self) -> bool:
        # GET on reset-auth only answers 400 "Need to POST": cheap, changes nothing
        # and is not counted against INITIAL_NO_AUTH_ACTION_COUNT.
        status, _, _ = self._raw("GET", "/moto-api/reset-auth", timeout=2)
        return status in (200, 400)

    # -- addresses -----------------------------------------------------------
    endpoint_url = ChildProcess.url  # AWS_ENDPOINT_URL / --endpoint-url

    # -- moto-api --------------------------------------------------------------
    def _raw(self, method: str, path: str, body: bytes | None = None,
             headers: dict | None = None, timeout: float = 30) -> tuple[int, dict, bytes]:
        return exchange(http.client.HTTPConnection(self.host, self.port, timeout=timeout),
                        method, path, body, headers)

    def reset_auth(self, n: int | float | str) -> dict:
        """``POST /moto-api/reset-auth`` (text/plain body ``n``): the next ``n`` requests
        pass without authentication, later ones must be signed and allowed by IAM.
        ``n`` may be ``"inf"`` / ``float("inf")`` (auth off).  Returns moto's JSON."""
        if isinstance(n, float) and n == float("inf"):
            n = "inf"
        with self.lock:
            status, _, body = self._raw("POST", "/moto-api/reset-auth", str(n).encode(),
                                        {"Content-Type": "text/plain"})
            if status != 200:
                raise RuntimeError("reset-auth answered %d: %r" % (status, body[:300]))
            self.auth_state = "on" if str(n) == "0" else ("off" if str(n) == "inf" else
                                                         "allow-%s" % n)
            return json.loads(body)

    def auth_on(self) -> dict:
        return self.reset_auth(0)

    def auth_off(self) -> dict:
        return self.reset_auth("inf")

    @contextlib.contextmanager
    def unsigned_window(self, n: int = 1) -> Iterator[None]:
        """Let exactly the next ``n`` requests through unsigned (for real, unsigned
        ``AssumeRoleWithWebIdentity`` calls, which moto answers with 500 while auth is on),
        then turn auth on again.  Holds ``lock`` so an in-process EcrFront cannot use
        the allowance."""
        with self.lock:
            self.reset_auth(n)
            try:
                yield
            finally:
                self.reset_auth(0)

    def reset_all(self) -> None:
        """``POST /moto-api/reset``: wipes every backend (IAM users, repositories...)."""
        with self.lock:
            self._raw("POST", "/moto-api/reset")

    def set_scan_findings(self, results: dict | list[dict], region: str | None = None) -> None:
        """``POST /moto-api/static/ecr/scan-finding-results``: queue exact
        ``DescribeImageScanFindings`` responses (see ``scan_findings_result``).  moto
        hands a queued result to the first ``describe_image_scan_findings`` call whose
        repository and imageTag/imageDigest match, and keeps answering that call (keyed
        by its imageId JSON) with it; the image needs ``StartImageScan`` first."""
        if isinstance(results, dict):
            results = [results]
        body = json.dumps({"results": results, "region": region or self.region}).encode()
        status, _, raw = self._raw("POST", "/moto-api/static/ecr/scan-finding-results", body,
                                   {"Content-Type": "application/json"})
        if status != 201 and status != 200:
            raise RuntimeError("scan-finding-results answered %d: %r" % (status, raw[:300]))

    # -- boto3 ---------------------------------------------------------------
    def client(self, service: str, *, access_key_id: str | None = None,
               secret_access_key: str | None = None, session_token: str | None = None,
               creds: dict | None = None, region: str | None = None, unsigned: bool = False,
               max_attempts: int = 1, endpoint_url: str | None = None, **config: Any) -> Any:
        """A boto3 client pointed at this moto.  ``creds`` may be a dict with
        ``access_key_id``/``secret_access_key``[/``session_token``] (IamSetup.users[...]) or
        boto3's ``Credentials`` shape.  Without keys, dummy ones are used (fine while auth
        is off).  ``unsigned=True`` sends unsigned requests.  Retries are off by default
        (``max_attempts=1``) so that request counts stay exact.  ``endpoint_url``: another
        endpoint than moto's own (EcrControlPlane.url)."""
        import boto3
        import botocore
        from botocore.config import Config
        if creds:
            access_key_id = creds.get("access_key_id") or creds.get("AccessKeyId")
            secret_access_key = creds.get("secret_access_key") or creds.get("SecretAccessKey")
            session_token = creds.get("session_token") or creds.get("SessionToken")
        cfg = dict(config)
        cfg.setdefault("retries", {"total_max_attempts": max_attempts, "mode": "standard"})
        if unsigned:
            cfg["signature_version"] = botocore.UNSIGNED
        session = boto3.session.Session(
            aws_access_key_id=access_key_id or "berth-dummy-key",
            aws_secret_access_key=secret_access_key or "berth-dummy-secret",
            aws_session_token=session_token, region_name=region or self.region)
        return session.client(service, endpoint_url=endpoint_url or self.url, config=Config(**cfg))


def scan_findings_result(repository: str, *, tag: str | None = None, digest: str | None = None,
                         counts: dict[str, int] | None = None, findings: list | None = None,
                         registry_id: str = ACCOUNT, status: str = "COMPLETE") -> dict:
    """One ``DescribeImageScanFindings`` response for ``MotoServer.set_scan_findings``:
    ``counts`` like ``{"CRITICAL": 1, "HIGH": 2}`` (``findingSeverityCounts``); when
    ``findings`` is None one finding per counted severity is made up."""
    counts = dict(counts or {})
    if findings is None:
        findings = []
        for sev, n in counts.items():
            for i in range(n):
                findings.append({"name": "CVE-2099-%s%d" % (sev[:1], i + 1),
                                 "uri": "https://example.invalid/CVE-2099-%s%d" % (sev[:1], i + 1),
                                 "severity": sev,
                                 "attributes": [{"key": "package_name", "value": "berth-test"}]})
    image_id: dict[str, str] = {}
    if tag:
        image_id["imageTag"] = tag
    if digest:
        image_id["imageDigest"] = digest
    return {
        "registryId": registry_id, "repositoryName": repository, "imageId": image_id,
        "imageScanStatus": {"status": status,
                            "description": "The scan was completed successfully."},
        "imageScanFindings": {"findings": findings, "findingSeverityCounts": counts},
    }


# --------------------------------------------------------------------------
# IAM


def push_policy_document(repository_arns: str | Iterable[str]) -> dict:
    """The least-privilege push policy: GetAuthorizationToken on ``*``, the seven layer
    and image actions on the repositories."""
    arns = [repository_arns] if isinstance(repository_arns, str) else list(repository_arns)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken",
             "Resource": "*"},
            {"Sid": "EcrPush", "Effect": "Allow", "Action": list(PUSH_ACTIONS),
             "Resource": arns if len(arns) > 1 else arns[0]},
        ],
    }


class IamSetup:
    """Users, roles, an OIDC provider and repositories in moto, made with auth off, then
    auth turned on (``moto.auth_on()``) and checked (``verification``).

    * user ``pusher``: managed policy ``berth-ecr-push`` (``push_policy_document`` on the
      one repository ARN) and an access key;
    * user ``admin``: inline ``*`` on ``*`` and an access key;
    * OIDC provider for ``oidc_issuer`` (client id ``sts.amazonaws.com``);
    * role ``ci-pusher``: trust ``sts:AssumeRoleWithWebIdentity`` from that provider with
      ``<issuer host>:aud = sts.amazonaws.com`` and ``<issuer host>:sub = oidc_subject``;
      policy ``berth-ecr-push``;
    * role ``push-role``: trust ``sts:AssumeRole`` by the admin user; policy ``berth-ecr-push``;
    * repositories ``repository`` (MUTABLE) and ``immutable_repository`` (IMMUTABLE).

    ``users[name]`` = ``{user_name, arn, access_key_id, secret_access_key}``;
    ``roles[key]`` = ``{name, arn, trust_policy}`` for keys ``ci_pusher``, ``push_role``."""

    def __init__(self, moto: MotoServer, *, repository: str = "berth/app",
                 immutable_repository: str | None = "berth/immutable",
                 extra_repositories: Iterable[str] = (), oidc_issuer: str = GITHUB_ISSUER,
                 oidc_audience: str = STS_AUDIENCE, oidc_subject: str = DEFAULT_SUBJECT,
                 policy_name: str = "berth-ecr-push", turn_auth_on: bool = True):
        self.moto = moto
        self.account, self.region = moto.account, moto.region
        self.repository = repository
        self.immutable_repository = immutable_repository
        self.extra_repositories = list(extra_repositories)
        self.oidc_issuer, self.oidc_audience, self.oidc_subject = \
            oidc_issuer, oidc_audience, oidc_subject
        self.policy_name = policy_name
        self.turn_auth_on = turn_auth_on
        self.users: dict[str, dict] = {}
        self.roles: dict[str, dict] = {}
        self.policy_arn: str | None = None
        self.oidc_provider_arn: str | None = None
        self.verification: dict | None = None

    def repository_arn(self, name: str | None = None) -> str:
        return "arn:aws:ecr:%s:%s:repository/%s" % (self.region, self.account,
                                                    name or self.repository)

    def repository_uri(self, name: str | None = None) -> str:
        return "%s/%s" % (ecr_host(self.account, self.region), name or self.repository)

    @property
    def oidc_host(self) -> str:
        return urllib.parse.urlsplit(self.oidc_issuer).netloc + \
            urllib.parse.urlsplit(self.oidc_issuer).path.rstrip("/")

    def push_policy(self) -> dict:
        return push_policy_document(self.repository_arn())

    def web_identity_trust_policy(self) -> dict:
        return {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": self.oidc_provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {"%s:aud" % self.oidc_host: self.oidc_audience,
                                           "%s:sub" % self.oidc_host: self.oidc_subject}},
        }]}

    def run(self) -> "IamSetup":
        moto = self.moto
        moto.auth_off()
        iam = moto.client("iam")
        ecr = moto.client("ecr")
        pol = iam.create_policy(PolicyName=self.policy_name,
                                PolicyDocument=json.dumps(self.push_policy()),
                                Description="berth: least-privilege ECR push")
        self.policy_arn = pol["Policy"]["Arn"]

        def user(name: str) -> dict:
            u = iam.create_user(UserName=name)["User"]
            key = iam.create_access_key(UserName=name)["AccessKey"]
            secret_scan.secret(key["SecretAccessKey"])
            return {"user_name": name, "arn": u["Arn"], "access_key_id": key["AccessKeyId"],
                    "secret_access_key": key["SecretAccessKey"]}

        self.users["pusher"] = user("pusher")
        iam.attach_user_policy(UserName="pusher", PolicyArn=self.policy_arn)
        self.users["admin"] = user("admin")
        iam.put_user_policy(UserName="admin", PolicyName="admin-everything",
                            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                                {"Effect": "Allow", "Action": "*", "Resource": "*"}]}))

        prov = iam.create_open_id_connect_provider(Url=self.oidc_issuer,
                                                   ClientIDList=[self.oidc_audience],
                                                   ThumbprintList=[GITHUB_THUMBPRINT])
        self.oidc_provider_arn = prov["OpenIDConnectProviderArn"]

        def role(key: str, name: str, trust: dict) -> None:
            r = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust),
                                MaxSessionDuration=3600)["Role"]
            iam.attach_role_policy(RoleName=name, PolicyArn=self.policy_arn)
            self.roles[key] = {"name": name, "arn": r["Arn"], "trust_policy": trust}

        role("ci_pusher", "ci-pusher", self.web_identity_trust_policy())
        role("push_role", "push-role", {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": self.users["admin"]["arn"]},
            "Action": "sts:AssumeRole"}]})
        self.roles["push_role"]["assumable_by"] = self.users["admin"]["arn"]

        ecr.create_repository(repositoryName=self.repository, imageTagMutability="MUTABLE")
        if self.immutable_repository:
            ecr.create_repository(repositoryName=self.immutable_repository,
                                  imageTagMutability="IMMUTABLE")
        for name in self.extra_repositories:
            ecr.create_repository(repositoryName=name)
        if self.turn_auth_on:
            moto.auth_on()
            self.verification = self.verify()
        return self

    def verify(self) -> dict:
        """With auth on: the pusher gets a token and is refused CreateRepository
        (moto's AccessDenied comes back as XML with status 403; botocore then reports
        Error.Code "403" and the XML as the message)."""
        pusher = self.moto.client("ecr", creds=self.users["pusher"])
        token = pusher.get_authorization_token()["authorizationData"][0]
        user, _, password = base64.b64decode(token["authorizationToken"]).decode().partition(":")
        try:
            pusher.create_repository(repositoryName="berth-should-be-denied")
        except Exception as e:  # botocore ClientError
            denied = _client_error_text(e)
        else:
            raise AssertionError("moto let the least-privilege pusher create a repository: "
                                 "is IAM auth on?")
        if "AccessDenied" not in denied:
            raise AssertionError("expected AccessDenied for the pusher, got: %s" % denied)
        return {"pusher_get_authorization_token": True, "username": user, "password": password,
                "proxy_endpoint": token["proxyEndpoint"],
                "pusher_create_repository": "AccessDenied", "denial": denied}

    def client_for(self, who: str, service: str = "ecr") -> Any:
        """A boto3 client signed with user ``who``'s keys."""
        return self.moto.client(service, creds=self.users[who])

    def state(self) -> dict:
        return {"users": self.users, "roles": self.roles, "policy_arn": self.policy_arn,
                "policy_name": self.policy_name, "push_policy": self.push_policy(),
                "oidc_provider_arn": self.oidc_provider_arn,
                "repository": self.repository, "repository_arn": self.repository_arn(),
                "repository_uri": self.repository_uri(),
                "immutable_repository": self.immutable_repository,
                "extra_repositories": self.extra_repositories}


# --------------------------------------------------------------------------
# request handlers (servers: stackbase.HTTPServer, TLS handshake in the worker thread)


class _Handler(QuietHandler):
    timeout = 120


# --------------------------------------------------------------------------
# OIDC token endpoint (stand-in for GitHub Actions' ACTIONS_ID_TOKEN_REQUEST_URL)


class OidcTokenEndpoint(RecordingServer):
    """GitHub Actions' OIDC token service on loopback.

    ``GET /token?api-version=2.0&audience=AUD`` with ``Authorization: Bearer
    <request_token>`` answers ``{"value": "<JWT>"}`` -- an RS256 JWT with ``iss``
    (``issuer``), ``sub`` (``subject``), ``aud`` (the ``audience`` parameter, else
    ``https://github.com/<owner>`` as GitHub does), ``exp``/``iat``/``nbf``/``jti`` and
    GitHub's repository/ref claims.  A missing or wrong bearer gets 401.  ``request_url``
    (what goes into ACTIONS_ID_TOKEN_REQUEST_URL) already holds ``?api-version=2.0`` so
    clients append ``&audience=...`` as they do on GitHub.

    Also: ``/.well-known/openid-configuration``, ``/.well-known/jwks``; records at
    ``GET/DELETE /__oidc__/requests``; ``POST /__oidc__/fail {"count": 1, "status": 500}``.
    ``write_token_file()`` writes a token for AWS_WEB_IDENTITY_TOKEN_FILE.

    moto does not verify the JWT; ``verify(token)`` does (signature, exp) for tests."""

    def __init__(self, *, issuer: str = GITHUB_ISSUER, subject: str = DEFAULT_SUBJECT,
                 request_token: str | None = None, expires_in: int = 300,
                 default_audience: str | None = None, extra_claims: dict | None = None,
                 tls_cert: stack.IssuedCert | None = None, workdir: str | None = None):
        self.issuer, self.subject, self.expires_in = issuer, subject, expires_in
        self.request_token = request_token or "berth-oidc-request-" + secrets.token_urlsafe(18)
        secret_scan.secret(self.request_token)
        m = re.match(r"repo:([^/:]+)/([^:]+):", subject)
        self.owner = m.group(1) if m else "org"
        self.repo_name = ("%s/%s" % (m.group(1), m.group(2))) if m else "org/app"
        self.default_audience = default_audience or "https://github.com/%s" % self.owner
        self.extra_claims = dict(extra_claims or {})
        super().__init__(workdir, tls_cert)
        self.token_file: str | None = None

    workdir_prefix = "berth-oidc-"

    def start_parts(self) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_file = os.path.join(self.workdir, "oidc-signing.key")
        with open(self.key_file, "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
        os.chmod(self.key_file, 0o600)
        self._public_key = key.public_key()
        spki = self._public_key.public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)
        self.key_id = hashlib.sha256(spki).hexdigest()[:40]
        self.signer = JWTSigner(self.key_file, "RS256")
        self.serve(handler_for(_OidcHandler, ep=self), "berth-oidc")

    @property
    def request_url(self) -> str:
        """ACTIONS_ID_TOKEN_REQUEST_URL: append ``&audience=...``."""
        return self.url + "/token?api-version=2.0"

    @property
    def requests_url(self) -> str:
        return self.url + "/__oidc__/requests"

    @property
    def jwks_url(self) -> str:
        return self.url + "/.well-known/jwks"

    def fail_next(self, count: int = 1, status: int = 500) -> None:
        self._fail.add(count, status)

    def jwks(self) -> dict:
        nums = self._public_key.public_numbers()
        return {"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": self.key_id,
                          "n": b64url(nums.n.to_bytes((nums.n.bit_length() + 7) // 8, "big")),
                          "e": b64url(nums.e.to_bytes(3, "big"))}]}

    def mint(self, audience: str | None = None, subject: str | None = None,
             expires_in: int | None = None, **claims: Any) -> str:
        """A signed token (what the endpoint hands out)."""
        now = int(time.time())
        sub = subject or self.subject
        body = {
            "jti": str(uuid.uuid4()), "sub": sub, "aud": audience or self.default_audience,
            "ref": "refs/heads/main", "sha": hashlib.sha1(sub.encode()).hexdigest(),
            "repository": self.repo_name, "repository_owner": self.owner,
            "run_id": "4242", "run_attempt": "1", "actor": "berth-ci",
            "workflow": "release", "event_name": "push", "ref_type": "branch",
            "job_workflow_ref": "%s/.github/workflows/release.yml@refs/heads/main" % self.repo_name,
            "iss": self.issuer, "nbf": now - 5, "iat": now - 5,
            "exp": now + (self.expires_in if expires_in is None else expires_in),
        }
        m = re.search(r":ref:(.+)$", sub)
        if m:
            body["ref"] = m.group(1)
        body.update(self.extra_claims)
        body.update(claims)
        token = jwt_encode({"typ": "JWT", "alg": "RS256", "kid": self.key_id}, body, self.signer)
        secret_scan.secret(token)
        with self._lock:
            self._issued.append({"jti": body["jti"], "aud": body["aud"], "sub": sub,
                                 "exp": body["exp"], "token": token})
        return token

    def decode(self, token: str) -> tuple[dict, dict]:
        return jwt_decode(token)

    def verify(self, token: str, audience: str | None = None) -> dict:
        """Check signature, ``exp`` and (optionally) ``aud``; return the claims."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding
        h, c, s = token.split(".")
        sig = b64url_decode(s)
        self._public_key.verify(sig, ("%s.%s" % (h, c)).encode(), padding.PKCS1v15(),
                                hashes.SHA256())
        claims = jwt_decode(token)[1]
        if claims["exp"] < time.time():
            raise ValueError("token expired")
        if audience is not None and claims["aud"] != audience:
            raise ValueError("audience %r != %r" % (claims["aud"], audience))
        return claims

    def write_token_file(self, path: str | None = None, audience: str = STS_AUDIENCE,
                         expires_in: int = 3600) -> str:
        """Write a fresh token (for AWS_WEB_IDENTITY_TOKEN_FILE); returns the path."""
        path = path or os.path.join(self.workdir, "web-identity-token")
        write_atomic(path, self.mint(audience=audience, expires_in=expires_in))
        self.token_file = path
        return path

    def state(self) -> dict:
        return {"url": self.url, "request_url": self.request_url,
                "request_token": self.request_token, "issuer": self.issuer,
                "subject": self.subject, "audience": STS_AUDIENCE,
                "default_audience": self.default_audience, "jwks_url": self.jwks_url,
                "requests_url": self.requests_url, "token_file": self.token_file,
                "key_id": self.key_id, "tls": bool(self.tls_cert)}


class _OidcHandler(_Handler):
    ep: OidcTokenEndpoint
    server_version = "berth-oidc/1"

    def do_GET(self) -> None:
        ep = self.ep
        split = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        if split.path == "/__oidc__/requests":
            return self._json(200, ep.requests)
        if split.path == "/__oidc__/issued":
            return self._json(200, ep.issued)
        if split.path == "/.well-known/openid-configuration":
            return self._json(200, {"issuer": ep.issuer, "jwks_uri": ep.jwks_url,
                                    "subject_types_supported": ["public", "pairwise"],
                                    "response_types_supported": ["id_token"],
                                    "id_token_signing_alg_values_supported": ["RS256"],
                                    "claims_supported": ["sub", "aud", "exp", "iat", "iss",
                                                         "jti", "nbf", "ref", "repository"],
                                    "scopes_supported": ["openid"]})
        if split.path == "/.well-known/jwks":
            return self._json(200, ep.jwks())
        auth = self.headers.get("Authorization")
        rec = {"time": time.time(), "method": "GET", "path": split.path, "query": split.query,
               "audience": (q.get("audience") or [None])[0],
               "api_version": (q.get("api-version") or [None])[0],
               "authorization": auth is not None, "bearer_ok": False, "status": None,
               "user_agent": self.headers.get("User-Agent"), "jti": None}
        ep._record(rec)
        if split.path != "/token":
            rec["status"] = 404
            return self._json(404, {"message": "Not Found"})
        failure = ep._take_failure()
        if failure:
            rec["status"] = failure
            return self._json(failure, {"message": "injected failure"})
        scheme, _, value = (auth or "").partition(" ")
        rec["bearer_ok"] = scheme.lower() == "bearer" and \
            secrets.compare_digest(value.strip(), ep.request_token)
        if not rec["bearer_ok"]:
            rec["status"] = 401
            return self._json(401, {"message": "Bad credentials"})
        token = ep.mint(audience=rec["audience"])
        rec["jti"] = jwt_decode(token)[1]["jti"]
        rec["status"] = 200
        self._json(200, {"count": 1, "value": token})

    def do_POST(self) -> None:
        raw = self._read_small_body()
        if urllib.parse.urlsplit(self.path).path == "/__oidc__/fail":
            spec = json.loads(raw or b"{}")
            self.ep.fail_next(int(spec.get("count", 1)), int(spec.get("status", 500)))
            return self._json(200, {})
        self._json(405, {"message": "Method Not Allowed"})

    def do_DELETE(self) -> None:
        if urllib.parse.urlsplit(self.path).path == "/__oidc__/requests":
            self.ep.clear_requests()
            return self._json(200, {})
        self._json(405, {"message": "Method Not Allowed"})


# --------------------------------------------------------------------------
# CONNECT proxy: lets clients without --connect-to (skopeo, Go) reach the front under
# its real host name, with TLS verification on


class ConnectProxy(TCPServer):
    """An HTTP CONNECT-only proxy on 127.0.0.1 that maps ``HOST:PORT`` targets in
    ``routes`` (``{"host:443": ("127.0.0.1", 12345)}``) to loopback ports and refuses
    every other target with 403 -- nothing ever leaves loopback.  Use as
    ``HTTPS_PROXY=proxy.url`` (Go clients such as skopeo honour it; they bypass the proxy
    for localhost/127.0.0.1 on their own).  ``connects`` records the CONNECT targets."""

    backlog = 64
    name = "berth-connect-proxy"

    def __init__(self, routes: dict[str, tuple[str, int]] | None = None):
        super().__init__()
        self.routes = dict(routes or {})
        self._connects: list[dict] = []

    connects = records("_connects")

    def clear(self) -> None:
        clear_records(self._lock, self._connects)

    def start(self) -> "ConnectProxy":
        self.listen()
        return self

    def serve_connection(self, c: socket.socket, addr: Any) -> None:
        with self.connection(c):
            try:
                self._tunnel(c)
            except OSError:
                pass

    def _tunnel(self, c: socket.socket) -> None:
        c.settimeout(30)
        buf = b""
        while b"\r\n\r\n" not in buf:
            data = c.recv(4096)
            if not data or len(buf) > 65536:
                return
            buf += data
        head, _, rest = buf.partition(b"\r\n\r\n")
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = line.split()
        rec = {"time": time.time(), "request": line, "target": None, "allowed": False}
        with self._lock:
            self._connects.append(rec)
        if len(parts) != 3 or parts[0].upper() != "CONNECT":
            c.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n"
                      b"Connection: close\r\n\r\n")
            return
        target = parts[1].lower()
        rec["target"] = target
        dest = self.routes.get(target)
        if dest is None:
            c.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n"
                      b"Connection: close\r\n\r\n")
            return
        up = socket.create_connection(dest, timeout=30)
        try:
            rec["allowed"] = True
            c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if rest:
                up.sendall(rest)
            c.settimeout(None)
            up.settimeout(None)
            socks = [c, up]
            while not self._stopping.is_set():
                r, _, _ = select.select(socks, [], [], 0.5)
                for s in r:
                    data = s.recv(65536)
                    if not data:
                        return
                    (up if s is c else c).sendall(data)
        finally:
            close_socket(up)


class ConnectToHTTPSConnection(http.client.HTTPSConnection):
    """``http.client`` with curl's ``--connect-to``: the URL host (SNI, certificate check,
    Host header) is ``host``, the TCP connection goes to ``addr`` (``("127.0.0.1", PORT)``)."""

    def __init__(self, host: str, port: int = 443, *, addr: tuple[str, int],
                 context: ssl.SSLContext, timeout: float = 60):
        super().__init__(host, port, context=context, timeout=timeout)
        self._addr = addr

    def connect(self) -> None:
        sock = socket.create_connection(self._addr, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


# --------------------------------------------------------------------------
# the ECR registry front


class _ClientGone(Exception):
    pass


class _Body:
    """A request body read from the client (Content-Length or chunked), streamed."""

    def __init__(self, rfile: Any, headers: Any):
        te = (headers.get("Transfer-Encoding") or "").lower()
        self.rfile = rfile
        self.chunked = "chunked" in te
        cl = headers.get("Content-Length")
        self.length = None if self.chunked else int(cl or 0)
        self.remaining = self.length or 0
        self.count = 0
        self.done = (not self.chunked) and self.remaining == 0
        self._chunk_left: int | None = None
        self._need_crlf = False

    @property
    def present(self) -> bool:
        return self.chunked or bool(self.length)

    def _next_chunk(self) -> None:
        if self._need_crlf:
            if not self.rfile.readline(65537):
                raise _ClientGone("EOF after chunk")
            self._need_crlf = False
        line = self.rfile.readline(65537)
        if not line:
            raise _ClientGone("EOF in chunk header")
        size = int(line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while True:
                t = self.rfile.readline(65537)
                if not t:
                    raise _ClientGone("EOF in trailers")
                if t in (b"\r\n", b"\n"):
                    break
            self.done = True
            self._chunk_left = 0
        else:
            self._chunk_left = size

    def empty(self) -> bool:
        """Whether the body is empty (reads the first chunk header if chunked)."""
        if not self.chunked:
            return self.length == 0
        if self._chunk_left is None and not self.done:
            self._next_chunk()
        return self.done and self.count == 0

    def read(self, n: int = 65536) -> bytes:
        if self.done:
            return b""
        if not self.chunked:
            data = self.rfile.read1(min(n, self.remaining))
            if not data:
                raise _ClientGone("EOF in body")
            self.remaining -= len(data)
            self.count += len(data)
            self.done = self.remaining == 0
            return data
        if not self._chunk_left:
            self._next_chunk()
            if self.done:
                return b""
        data = self.rfile.read1(min(n, self._chunk_left))
        if not data:
            raise _ClientGone("EOF in chunk")
        self._chunk_left -= len(data)
        self.count += len(data)
        if self._chunk_left == 0:
            self._need_crlf = True
        return data

    def read_all(self, limit: int | None = None) -> bytes:
        """The whole body; raises ValueError past ``limit`` bytes (rest left unread)."""
        out = bytearray()
        while not self.done:
            data = self.read()
            out += data
            if limit is not None and len(out) > limit:
                raise ValueError("body larger than %d" % limit)
        return bytes(out)

    def drain(self, limit: int) -> bool:
        """Read and drop up to ``limit`` bytes; True when the body is fully consumed."""
        while not self.done:
            if self.count > limit:
                return False
            self.read()
        return True


class EcrFront(Service):
    """ECR's registry data plane, in front of a real ``docker-registry`` (stack.Registry,
    plain HTTP, no auth), as docs/testing.md ("The servers") describes it:

    * HTTPS with a ``ca`` certificate for ``host`` (``<account>.dkr.ecr.<region>.amazonaws.com``),
      ``localhost`` and ``127.0.0.1``, on ``127.0.0.1:port``; reach it by ``connect_to``
      (curl / berth), through ``https_proxy`` (a CONNECT proxy, for skopeo and other Go
      clients) or as ``localhost:PORT`` (``localhost_hostport``).
    * ``GET /v2/`` and everything else without credentials: 401 ``WWW-Authenticate: Basic
      realm="https://<host>/",service="ecr.amazonaws.com"``, body ``Not Authorized``.
      Only ``Basic base64(AWS:<password>)`` with a password moto's GetAuthorizationToken
      issued (``<account>-auth-token``, read from moto at start) is accepted.
    * expired mode (``set_expired(True)`` or ``expire_next(n)``): 403, text/plain body
      ``Your authorization token has expired. Reauthenticate and try again.``
    * a repository unknown to moto (DescribeRepositories with the admin keys): 404
      ``NAME_UNKNOWN``.
    * ``PATCH`` answers 201 (not 202); each chunk but the last must be >= ``min_part_size``
      (5 MiB): a PATCH, or a final PUT with a body, after a smaller part gets 400
      ``BLOB_UPLOAD_INVALID`` (message names ``LayerPartTooSmallException``).  Monolithic
      PUT (POST then PUT with the whole blob) works.
    * blob ``GET`` answers 307 to a pre-signed-looking URL on the S3 listener (``s3_url``;
      TLS, same CA), which answers 400 ``InvalidArgument`` "Only one auth mechanism
      allowed..." to any request with ``Authorization``, 403 for an unknown or expired
      signature (``presign_ttl``), else streams the blob (Range supported).  HEAD is not
      redirected.
    * manifest ``PUT``: over ``max_manifest_size`` (4 MiB), invalid JSON, or without a
      top-level ``mediaType`` -> 400 ``MANIFEST_INVALID`` (``missing_media_type_code``);
      a tag that already exists in an IMMUTABLE repository (asked of moto; exclusion
      filters honoured) -> 400 ``TAG_INVALID`` with ECR's message.  After the registry
      accepts it, the manifest is reported to moto (``PutImage`` with imageManifest,
      imageManifestMediaType, imageDigest and imageTag) so that DescribeImages, scan
      findings and lifecycle previews see it (``reported`` lists the results).
    * ``tags/list`` with ``n`` > 1000 -> 400.
    * ``POST ...?mount=&from=``: with ``mount_enabled`` False (default) the mount is
      ignored and a normal upload session (202) is opened; ``set_mount(True)`` passes it on.
    * with a ``control_plane`` (EcrControlPlane): a manifest GET/HEAD under a pull-through
      cache rule copies the image from the upstream first (``pull_through``); a push to
      an unknown repository that a CREATE_ON_PUSH creation template covers creates it
      (``create_repository``) instead of answering NAME_UNKNOWN.

    Records (``requests``): method, path, query, host, authorization (bool), auth
    (missing/invalid/ok/expired), repository, kind, action, status, upstream_status,
    error_code, request_bytes, response_bytes, location, moto.  ``s3_requests``:
    method, path, query, authorization, status, bytes.  A plain-HTTP control API at
    ``control_url`` serves the same to non-Python tests (see README.md)."""

    def __init__(self, registry: Registry, moto: MotoServer, *, admin: dict, ca: TestCA,
                 host: str | None = None, s3_host: str = LOOPBACK,
                 min_part_size: int = MIN_PART_SIZE, max_manifest_size: int = MAX_MANIFEST_SIZE,
                 max_tags_n: int = MAX_TAGS_N, mount_enabled: bool = False,
                 expired: bool = False, report_images: bool = True, presign_ttl: int = 900,
                 missing_media_type_code: str = "MANIFEST_INVALID", passwords: Iterable[str] | None = None,
                 https_proxy: bool = True, control: bool = True, timeout: float = 300.0,
                 control_plane: "EcrControlPlane | None" = None):
        self.registry, self.moto, self.admin, self.ca = registry, moto, dict(admin), ca
        # pull-through cache rules and creation templates live there (None: neither)
        self.control_plane = control_plane
        self.account, self.region = moto.account, moto.region
        self.host = host or ecr_host(self.account, self.region)
        self.s3_host = s3_host
        self.min_part_size, self.max_manifest_size = min_part_size, max_manifest_size
        self.max_tags_n = max_tags_n
        self.default_mount, self.mount_enabled = mount_enabled, mount_enabled
        self.default_expired, self.expired = expired, expired
        self._expire_next = 0
        self.report_images, self.presign_ttl = report_images, presign_ttl
        self.missing_media_type_code = missing_media_type_code
        self.passwords: set[str] = set(passwords or ())
        self.want_proxy, self.want_control, self.timeout = https_proxy, control, timeout
        self.username = "AWS"
        super().__init__()
        self._lock = threading.Lock()
        self._requests: list[dict] = []
        self._s3_requests: list[dict] = []
        self._reported: list[dict] = []
        self._created: list[dict] = []
        self._ptc_lock = threading.Lock()
        self._sessions: dict[str, dict] = {}
        self._presigned: dict[str, dict] = {}
        self._front: HTTPServer | None = None
        self._s3: HTTPServer | None = None
        self._control: HTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self.proxy: ConnectProxy | None = None
        self.port = self.s3_port = self.control_port = 0
        self._ecr = None
        self.proxy_endpoint: str | None = None

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> "EcrFront":
        if self._front:
            return self
        return super().start()

    def start_parts(self) -> None:
        self._ecr = self.moto.client("ecr", creds=self.admin, max_attempts=2)
        if not self.passwords:
            with self.moto.lock:
                data = self._ecr.get_authorization_token()["authorizationData"][0]
            user, _, pw = base64.b64decode(data["authorizationToken"]).decode().partition(":")
            if user != "AWS" or not pw:
                raise RuntimeError("unexpected token from moto: %r" % data)
            self.passwords.add(pw)
            secret_scan.secret(pw)
            self.proxy_endpoint = data["proxyEndpoint"]
        names = [self.host, "localhost", LOOPBACK]
        self.cert = self.ca.issue("ecr-front", hosts=names)  # CN <= 64 chars; SANs matter
        s3_names = ([self.s3_host] if not is_ip(self.s3_host) else []) + ["localhost", LOOPBACK]
        self.s3_cert = self.ca.issue("ecr-s3", hosts=s3_names)
        self._front = HTTPServer((LOOPBACK, 0), handler_for(_FrontHandler, fr=self),
                                 server_context(self.cert))
        self.port = self._front.server_address[1]
        self._s3 = HTTPServer((LOOPBACK, 0), handler_for(_S3Handler, fr=self),
                              server_context(self.s3_cert))
        self.s3_port = self._s3.server_address[1]
        self._threads = [serve_in_thread(self._front, "berth-ecr-front"),
                         serve_in_thread(self._s3, "berth-ecr-s3")]
        if self.want_control:
            self._control = HTTPServer((LOOPBACK, 0), handler_for(_ControlHandler, fr=self))
            self.control_port = self._control.server_address[1]
            self._threads.append(serve_in_thread(self._control, "berth-ecr-control"))
        if self.want_proxy:
            routes = {"%s:443" % self.host: (LOOPBACK, self.port)}
            if self._s3_named:
                routes["%s:443" % self.s3_host] = (LOOPBACK, self.s3_port)
            self.proxy = ConnectProxy(routes).start()

    def stop(self) -> None:
        if self.proxy:
            self.proxy.stop()
            self.proxy = None
        for srv in (self._front, self._s3, self._control):
            shutdown(srv)
        for t in self._threads:
            t.join(5)
        self._front = self._s3 = self._control = None
        self._threads = []
        super().stop()

    # -- addresses -----------------------------------------------------------
    @property
    def url(self) -> str:
        """``https://<ecr host>`` (port 443; reach it with connect_to / https_proxy)."""
        return "https://%s" % self.host

    @property
    def hostport(self) -> str:
        return "%s:%d" % (LOOPBACK, self.port)

    @property
    def localhost_hostport(self) -> str:
        return "localhost:%d" % self.port

    @property
    def localhost_url(self) -> str:
        return "https://" + self.localhost_hostport

    @property
    def connect_to(self) -> str:
        """curl/berth connect-to entry for the registry name."""
        return "%s:443:%s:%d" % (self.host, LOOPBACK, self.port)

    @property
    def connect_to_all(self) -> str:
        """Comma-separated entries for the registry and, if it has a name, the S3 host
        (BERTH_CONNECT_TO takes a comma-separated list)."""
        out = [self.connect_to]
        if self._s3_named:
            out.append("%s:443:%s:%d" % (self.s3_host, LOOPBACK, self.s3_port))
        return ",".join(out)

    @property
    def _s3_named(self) -> bool:
        """Whether the S3 side has a name of its own (reached on port 443)."""
        return not is_ip(self.s3_host) and self.s3_host != "localhost"

    @property
    def s3_hostport(self) -> str:
        if not self._s3_named:
            return "%s:%d" % (self.s3_host, self.s3_port)
        return self.s3_host  # port 443, via connect-to

    @property
    def s3_url(self) -> str:
        return "https://" + self.s3_hostport

    @property
    def realm(self) -> str:
        return self.url + "/"

    @property
    def challenge(self) -> str:
        return 'Basic realm="%s",service="%s"' % (self.realm, ECR_SERVICE)

    @property
    def control_url(self) -> str | None:
        return server_url(self._control)

    @property
    def https_proxy(self) -> str | None:
        return self.proxy.url if self.proxy else None

    @property
    def password(self) -> str:
        return sorted(self.passwords)[0]

    @property
    def basic_auth(self) -> str:
        return "Basic " + base64.b64encode(("AWS:%s" % self.password).encode()).decode()

    def reference(self, repository: str, tag: str | None = None, digest: str | None = None,
                  via: str = "name") -> str:
        """``HOST/REPO:TAG`` with the ECR name (``via="name"``) or ``localhost:PORT``."""
        host = self.host if via == "name" else self.localhost_hostport
        ref = "%s/%s" % (host, repository)
        if tag:
            ref += ":" + tag
        if digest:
            ref += "@" + digest
        return ref

    # -- switches and records ---------------------------------------------------
    def set_expired(self, expired: bool = True) -> None:
        with self._lock:
            self.expired = expired
            self._expire_next = 0

    def expire_next(self, count: int = 1) -> None:
        """The next ``count`` authenticated requests get the 403 'expired' answer."""
        with self._lock:
            self._expire_next += count

    def set_mount(self, enabled: bool = True) -> None:
        with self._lock:
            self.mount_enabled = enabled

    def reset(self) -> None:
        """Switches back to the constructor's values, records cleared."""
        with self._lock:
            self.expired, self._expire_next = self.default_expired, 0
            self.mount_enabled = self.default_mount
            self._requests.clear()
            self._s3_requests.clear()
            self._reported.clear()
            self._created.clear()
        if self.proxy:
            self.proxy.clear()

    def clear_requests(self) -> None:
        clear_records(self._lock, self._requests, self._s3_requests)

    requests = records("_requests")
    s3_requests = records("_s3_requests")
    reported = records("_reported", "PutImage calls made to moto: {repository, tag, digest, "
                       "media_type, ok, error}.")
    created = records("_created", "Repositories the front created in moto (pull-through "
                      "cache, create on push): {repository, template, ok, error}.")

    def find(self, method: str | None = None, path: str = ".*") -> list[dict]:
        """Records whose method equals ``method`` (None: any) and path matches ``path``."""
        rx = re.compile(path)
        return [r for r in self.requests
                if (method is None or r["method"] == method) and rx.search(r["path"])]

    def _take_expired(self) -> bool:
        with self._lock:
            if self.expired:
                return True
            if self._expire_next > 0:
                self._expire_next -= 1
                return True
            return False

    # -- moto --------------------------------------------------------------------
    def describe_repository(self, name: str) -> dict | None:
        import botocore.exceptions
        try:
            with self.moto.lock:
                return self._ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
        except botocore.exceptions.ParamValidationError:
            return None
        except botocore.exceptions.ClientError as e:
            if _client_error_code(e) == "RepositoryNotFoundException":
                return None
            raise

    def tag_exists(self, name: str, tag: str) -> bool:
        import botocore.exceptions
        try:
            with self.moto.lock:
                out = self._ecr.describe_images(repositoryName=name, imageIds=[{"imageTag": tag}])
            return bool(out.get("imageDetails"))
        except botocore.exceptions.ClientError as e:
            if _client_error_code(e) in ("ImageNotFoundException", "RepositoryNotFoundException"):
                return False
            raise

    @staticmethod
    def tag_is_immutable(repo: dict, tag: str) -> bool:
        mode = repo.get("imageTagMutability") or "MUTABLE"
        filters = [f.get("filter", "") for f in repo.get("imageTagMutabilityExclusionFilters") or []]
        matched = any(fnmatch.fnmatchcase(tag, f) for f in filters)
        if mode == "IMMUTABLE":
            return True
        if mode == "IMMUTABLE_WITH_EXCLUSION":
            return not matched
        if mode == "MUTABLE_WITH_EXCLUSION":
            return matched
        return False

    def report_image(self, name: str, manifest: bytes, media_type: str, digest: str,
                     tag: str | None) -> dict:
        import botocore.exceptions
        rec: dict[str, Any] = {"time": time.time(), "repository": name, "tag": tag,
                               "digest": digest, "media_type": media_type, "ok": False,
                               "error": None}
        kw: dict[str, Any] = {"repositoryName": name, "imageManifest": manifest.decode("utf-8"),
                              "imageManifestMediaType": media_type, "imageDigest": digest}
        if tag:
            kw["imageTag"] = tag
        try:
            with self.moto.lock:
                self._ecr.put_image(**kw)
            rec["ok"] = True
        except botocore.exceptions.ClientError as e:
            if _client_error_code(e) == "ImageAlreadyExistsException":
                rec["ok"], rec["error"] = True, "ImageAlreadyExistsException"
            else:
                rec["error"] = _client_error_text(e)
        except Exception as e:  # moto raising a plain Exception gives a 500
            rec["error"] = "%s: %s" % (type(e).__name__, e)
        with self._lock:
            self._reported.append(rec)
        return rec

    def delete_image(self, name: str, reference: str) -> None:
        image_id = {"imageDigest": reference} if ":" in reference else {"imageTag": reference}
        try:
            with self.moto.lock:
                self._ecr.batch_delete_image(repositoryName=name, imageIds=[image_id])
        except Exception:
            pass

    # -- pull-through cache and create-on-push (rules and templates: control_plane) -------
    def create_repository(self, name: str, template: dict | None) -> dict:
        """CreateRepository in moto (admin keys) with a creation template's settings:
        tag mutability and exclusion filters, encryption, resource tags, then
        PutLifecyclePolicy / SetRepositoryPolicy.  Without a template: ECR's defaults.
        Returns the record kept in ``created``."""
        import botocore.exceptions
        t = template or {}
        kw: dict[str, Any] = {"repositoryName": name}
        if t.get("imageTagMutability"):
            kw["imageTagMutability"] = t["imageTagMutability"]
        if t.get("imageTagMutabilityExclusionFilters"):
            kw["imageTagMutabilityExclusionFilters"] = t["imageTagMutabilityExclusionFilters"]
        if t.get("encryptionConfiguration"):
            kw["encryptionConfiguration"] = t["encryptionConfiguration"]
        if t.get("resourceTags"):
            kw["tags"] = t["resourceTags"]
        rec: dict[str, Any] = {"time": time.time(), "repository": name,
                               "template": t.get("prefix"), "ok": False, "error": None}
        try:
            with self.moto.lock:
                try:
                    self._ecr.create_repository(**kw)
                except botocore.exceptions.ClientError as e:
                    # two first pulls at once: the other one made it
                    if _client_error_code(e) != "RepositoryAlreadyExistsException":
                        raise
                if t.get("lifecyclePolicy"):
                    self._ecr.put_lifecycle_policy(repositoryName=name,
                                                   lifecyclePolicyText=t["lifecyclePolicy"])
                if t.get("repositoryPolicy"):
                    self._ecr.set_repository_policy(repositoryName=name,
                                                    policyText=t["repositoryPolicy"])
            rec["ok"] = True
        except botocore.exceptions.ClientError as e:
            rec["error"] = _client_error_text(e)
        with self._lock:
            self._created.append(rec)
        return rec

    def _registry_manifest(self, name: str, ref: str, method: str = "GET"
                           ) -> tuple[int, str | None, str | None, bytes]:
        """(status, media type, digest, body) of a manifest in the backing registry."""
        reg = self.registry
        conn = http.client.HTTPConnection(reg.host, reg.port, timeout=self.timeout)
        try:
            conn.request(method, "/v2/%s/manifests/%s" % (name, ref),
                         headers={"Accept": ", ".join(_MANIFEST_TYPES)})
            resp = conn.getresponse()
            body = resp.read()
            return (resp.status, resp.getheader("Content-Type"),
                    resp.getheader("Docker-Content-Digest"), body)
        finally:
            conn.close()

    def pull_through(self, rule: dict, name: str, ref: str, repo: dict | None) -> dict:
        """A pull of ``name:ref`` (or ``@digest``) under pull-through cache ``rule``: when
        moto has no repository ``name`` or the backing registry lacks the manifest, copy
        ``upstreamRegistryUrl/<rest>:ref`` (an index with all its children) with
        ``skopeo copy --all --preserve-digests``, create the repository in moto with the
        PULL_THROUGH_CACHE creation template (``create_repository``) and report the
        manifests to moto (PutImage).  Returns the request record's ``pull_through``:
        ``{rule, upstream, copied, created, template, error}``; ``error`` set means the
        upstream did not give the image (the caller answers MANIFEST_UNKNOWN)."""
        prefix = rule["ecrRepositoryPrefix"]
        rest = name if prefix == "ROOT" else name[len(prefix.rstrip("/")) + 1:]
        up_prefix = rule.get("upstreamRepositoryPrefix")
        up_repo = rest if up_prefix in (None, "", "ROOT") else "%s/%s" % (up_prefix.rstrip("/"),
                                                                          rest)
        up_host = re.sub(r"^[a-zA-Z]+://", "", rule["upstreamRegistryUrl"]).rstrip("/")
        is_digest = _is_digest(ref)
        upstream = "%s/%s%s%s" % (up_host, up_repo, "@" if is_digest else ":", ref)
        out: dict[str, Any] = {"rule": prefix, "upstream": upstream, "copied": False,
                               "created": False, "template": None, "credentials": False,
                               "error": None}
        # one copy at a time: a client's parallel first pulls must not copy twice
        with self._ptc_lock:
            if repo is not None and self._registry_manifest(name, ref, "HEAD")[0] == 200:
                return out
            dest = "%s/%s%s%s" % (self.registry.hostport, name, "@" if is_digest else ":", ref)
            env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
            creds = ["--src-no-creds"]
            try:
                if rule.get("credentialArn") and self.control_plane is not None:
                    # the upstream's credentials, read from Secrets Manager at each pull
                    secret = self.control_plane.read_secret(rule["credentialArn"])
                    creds = ["--src-creds", "%s:%s" % (secret["username"],
                                                       secret["accessToken"])]
                    out["credentials"] = True
            except ControlPlaneError as e:
                out["error"] = str(e)
                return out
            try:
                p = subprocess.run(
                    ["skopeo", "copy", "--all", "--preserve-digests", "--retry-times", "0",
                     "--src-tls-verify=false", "--dest-tls-verify=false", *creds,
                     "docker://" + upstream, "docker://" + dest],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                    timeout=self.timeout)
                if p.returncode != 0:
                    out["error"] = (p.stderr.strip() or "skopeo exited %d" % p.returncode)[-500:]
            except (OSError, subprocess.TimeoutExpired) as e:
                out["error"] = "%s: %s" % (type(e).__name__, e)
            if out["error"]:
                return out
            out["copied"] = True
            if repo is None:
                template = self.control_plane.template_for(name, "PULL_THROUGH_CACHE") \
                    if self.control_plane else None
                made = self.create_repository(name, template)
                out["created"], out["template"] = made["ok"], made["template"]
                if not made["ok"]:
                    out["error"] = made["error"]
                    return out
            if self.report_images:
                self._report_copied(name, ref, None if is_digest else ref)
        return out

    def _report_copied(self, name: str, ref: str, tag: str | None) -> None:
        """PutImage for a copied manifest and, for an index, each child (untagged), as
        the pushes of those manifests would have been reported."""
        status, media_type, digest, body = self._registry_manifest(name, ref)
        if status != 200:
            return
        try:
            doc = json.loads(body)
        except ValueError:
            doc = {}
        media_type = doc.get("mediaType") or (media_type or "").split(";")[0]
        digest = digest or "sha256:" + hashlib.sha256(body).hexdigest()
        for child in doc.get("manifests") or []:
            c_status, c_type, c_digest, c_body = self._registry_manifest(name, child["digest"])
            if c_status == 200:
                try:
                    c_doc = json.loads(c_body)
                except ValueError:
                    c_doc = {}
                self.report_image(name, c_body, c_doc.get("mediaType") or child.get("mediaType")
                                  or (c_type or "").split(";")[0], child["digest"], None)
        self.report_image(name, body, media_type, digest, tag)

    # -- S3 ------------------------------------------------------------------------
    def presign(self, name: str, digest: str) -> str:
        sig = secrets.token_hex(32)
        secret_scan.secret(sig)
        with self._lock:
            self._presigned[sig] = {"repository": name, "digest": digest, "created": time.time()}
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        key = "%s-%s-%s/%s" % (hashlib.sha256(name.encode()).hexdigest()[:16], self.account,
                               uuid.uuid4(), uuid.uuid4())
        q = urllib.parse.urlencode([
            ("X-Amz-Security-Token", "berth-test-session-" + secrets.token_hex(8)),
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Date", amz_date),
            ("X-Amz-SignedHeaders", "host"), ("X-Amz-Expires", str(self.presign_ttl)),
            ("X-Amz-Credential", "ASIABERTHTESTKEY/%s/%s/s3/aws4_request" % (amz_date[:8],
                                                                             self.region)),
            ("X-Amz-Signature", sig)])
        bucket = "" if self._s3_named else "/prod-%s-starport-layer-bucket" % self.region
        return "%s%s/%s?%s" % (self.s3_url, bucket, key, q)

    # -- direct client (for tests) ----------------------------------------------------
    def connection(self, timeout: float = 60) -> http.client.HTTPSConnection:
        """An HTTPS connection to the front under its ECR name (connect-to style),
        verifying the certificate against the test CA."""
        return ConnectToHTTPSConnection(self.host, 443, addr=(LOOPBACK, self.port),
                                        context=self.ca.client_context(), timeout=timeout)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None, auth: bool | str = True,
                timeout: float = 60) -> tuple[int, dict, bytes]:
        """One request to the front by name with TLS verification on.  ``auth``: True
        (Basic with moto's password), False (none) or a literal Authorization value."""
        headers = dict(headers or {})
        if auth is True:
            headers["Authorization"] = self.basic_auth
        elif isinstance(auth, str):
            headers["Authorization"] = auth
        conn = self.connection(timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def s3_get(self, url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
        """GET a pre-signed URL on the S3 listener (verifying TLS)."""
        u = urllib.parse.urlsplit(url)
        target = u.path + ("?" + u.query if u.query else "")
        conn = ConnectToHTTPSConnection(u.hostname, u.port or 443, addr=(LOOPBACK, self.s3_port),
                                        context=self.ca.client_context(), timeout=60)
        try:
            conn.request("GET", target, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def state(self) -> dict:
        return {
            "host": self.host, "port": self.port, "url": self.url, "hostport": self.hostport,
            "localhost_hostport": self.localhost_hostport, "localhost_url": self.localhost_url,
            "connect_to": self.connect_to, "connect_to_all": self.connect_to_all,
            "realm": self.realm, "service": ECR_SERVICE, "challenge": self.challenge,
            "username": self.username, "password": self.password,
            "basic_auth": self.basic_auth,
            "s3_host": self.s3_host, "s3_port": self.s3_port, "s3_url": self.s3_url,
            "control_url": self.control_url, "https_proxy": self.https_proxy,
            "cert_file": self.cert.cert_file, "key_file": self.cert.key_file,
            "cert_hosts": self.cert.hosts, "s3_cert_hosts": self.s3_cert.hosts,
            "min_part_size": self.min_part_size, "max_manifest_size": self.max_manifest_size,
            "max_tags_n": self.max_tags_n, "mount_enabled": self.mount_enabled,
            "expired": self.expired, "presign_ttl": self.presign_ttl,
            "upstream": self.registry.url,
            "control_plane_url": self.control_plane.url if self.control_plane else None,
        }


_UPLOAD_RE = re.compile(r"^/v2/(?P<name>.+)/blobs/uploads/(?P<uuid>[^/]*)$")
_BLOB_RE = re.compile(r"^/v2/(?P<name>.+)/blobs/(?P<digest>[^/]+)$")
_MANIFEST_RE = re.compile(r"^/v2/(?P<name>.+)/manifests/(?P<ref>[^/]+)$")
_TAGS_RE = re.compile(r"^/v2/(?P<name>.+)/tags/list$")
_REFERRERS_RE = re.compile(r"^/v2/(?P<name>.+)/referrers/(?P<digest>[^/]+)$")


#: Upload bodies go upstream as application/octet-stream: distribution (Go's ParseForm)
#: reads an x-www-form-urlencoded PATCH/PUT body as a form and loses it -- ECR does not
#: care about the content type (curl's --data-binary sends that type by default).
_OCTETS: dict[str, Any] = {"drop": ("content-type",),
                           "add": (("Content-Type", "application/octet-stream"),)}


class _FrontHandler(_Handler):
    fr: EcrFront
    server_version = "berth-ecr-front"
    sys_version = ""

    def handle_expect_100(self) -> bool:  # answer 100 only once the request is accepted
        self._expect = True
        return True

    def _continue(self) -> None:
        if getattr(self, "_expect", False) and not getattr(self, "_continued", False):
            self._continued = True
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def version_string(self) -> str:
        return "berth-ecr-front"

    # every method lands here
    def do_GET(self) -> None:
        self._handle()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _handle(self) -> None:
        self._expect = getattr(self, "_expect", False)
        self._continued = False
        fr = self.fr
        split = urllib.parse.urlsplit(self.path)
        self._split = split
        self._body = _Body(self.rfile, self.headers)
        auth = self.headers.get("Authorization")
        rec: dict[str, Any] = {
            "time": time.time(), "method": self.command, "path": split.path,
            "query": split.query, "target": self.path, "host": self.headers.get("Host"),
            "authorization": auth is not None, "auth": None, "repository": None,
            "kind": None, "action": None, "status": None, "upstream_status": None,
            "error_code": None, "request_bytes": 0, "response_bytes": 0, "location": None,
            "moto": None, "pull_through": None, "create_on_push": None,
            "content_type": self.headers.get("Content-Type"),
            "user_agent": self.headers.get("User-Agent"),
            "headers": {k.lower(): ("***" if k.lower() == "authorization" else v)
                        for k, v in self.headers.items()},
        }
        self._rec = rec
        with fr._lock:
            fr._requests.append(rec)
        try:
            self._dispatch(rec, auth)
        except _ClientGone:
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout):
            self.close_connection = True
        except Exception as e:  # a bug here, or moto/registry unreachable: answer 500
            rec["exception"] = "%s: %s" % (type(e).__name__, e)
            if rec["status"] is not None:  # the answer had started: just hang up
                self.close_connection = True
                return
            try:
                self.close_connection = True
                self._error(500, "INTERNAL_ERROR", "berth ECR front: %s" % rec["exception"])
            except OSError:
                pass
        finally:
            rec["request_bytes"] = self._body.count
            self._expect = False

    # -- responses -------------------------------------------------------------
    def _finish_body(self) -> None:
        """Before answering early: drop a small unread body, else close the connection."""
        b = self._body
        if b.done:
            return
        if self._expect and not self._continued:
            self.close_connection = True
            return
        try:
            if not b.drain(64 * 1024 * 1024):
                self.close_connection = True
        except _ClientGone:
            self.close_connection = True

    def _answer(self, status: int, body: bytes, content_type: str,
                headers: Iterable[tuple[str, str]] = ()) -> None:
        self._finish_body()
        hdrs = list(headers) + [("Docker-Distribution-Api-Version", "registry/2.0")]
        self._rec["status"] = status  # recorded before the client can see the answer
        self._rec["response_bytes"] = len(body) if self.command != "HEAD" else 0
        self._send(status, body, content_type, hdrs, close=self.close_connection)

    def _error(self, status: int, code: str, message: str,
               headers: Iterable[tuple[str, str]] = ()) -> None:
        self._rec["error_code"] = code
        self._rec["action"] = self._rec["action"] or "reject"
        body = json.dumps({"errors": [{"code": code, "message": message}]}).encode()
        self._answer(status, body, "application/json; charset=utf-8", headers)

    def _text(self, status: int, text: str, headers: Iterable[tuple[str, str]] = ()) -> None:
        self._answer(status, text.encode(), "text/plain; charset=utf-8", headers)

    # -- dispatch ------------------------------------------------------------------
    def _dispatch(self, rec: dict, auth: str | None) -> None:
        fr = self.fr
        path = self._split.path
        if not (path == "/v2" or path.startswith("/v2/")):
            rec["action"] = "reject"
            return self._text(404, "404 page not found\n")
        # authentication, as ECR: Basic AWS:<token>
        ok = False
        if auth:
            scheme, _, value = auth.partition(" ")
            if scheme.lower() == "basic":
                try:
                    user, _, pw = base64.b64decode(value.strip(), validate=True).decode().partition(":")
                except Exception:
                    user, pw = "", ""
                ok = user == fr.username and pw in fr.passwords
        if not ok:
            rec["auth"] = "invalid" if auth else "missing"
            rec["action"] = "deny"
            return self._text(401, NOT_AUTHORIZED_MESSAGE, [("WWW-Authenticate", fr.challenge)])
        if fr._take_expired():
            rec["auth"] = "expired"
            rec["action"] = "deny"
            return self._text(403, EXPIRED_MESSAGE)
        rec["auth"] = "ok"
        if path in ("/v2", "/v2/"):
            rec["kind"] = "ping"
            return self._forward_simple(rec, "/v2/")
        for kind, rx in (("upload", _UPLOAD_RE), ("manifest", _MANIFEST_RE), ("tags", _TAGS_RE),
                         ("referrers", _REFERRERS_RE), ("blob", _BLOB_RE)):
            m = rx.match(path)
            if m:
                break
        else:
            rec["kind"] = "other"
            if path.startswith("/v2/_catalog"):
                return self._error(405, "UNSUPPORTED", "The operation is unsupported.")
            return self._error(404, "NOT_FOUND", "Not Found")
        rec["kind"] = kind
        name = urllib.parse.unquote(m.group("name"))
        rec["repository"] = name
        repo = fr.describe_repository(name)
        cp = fr.control_plane
        if kind == "manifest" and self.command in ("GET", "HEAD") and cp is not None:
            rule = cp.rule_for(name)
            if rule is not None:
                # a pull under a pull-through cache rule: fetch from upstream first
                ref = urllib.parse.unquote(m.group("ref"))
                pt = rec["pull_through"] = fr.pull_through(rule, name, ref, repo)
                if pt["error"]:
                    return self._error(404, "MANIFEST_UNKNOWN", "Requested image not found")
                if pt["created"]:
                    repo = fr.describe_repository(name)
        if repo is None and cp is not None and (
                (kind == "upload" and self.command == "POST") or
                (kind == "manifest" and self.command == "PUT")):
            # ECR creates the repository on the first push when a template says so
            template = cp.template_for(name, "CREATE_ON_PUSH")
            if template is not None:
                made = fr.create_repository(name, template)
                rec["create_on_push"] = template["prefix"]
                if made["ok"]:
                    repo = fr.describe_repository(name)
        if repo is None:
            return self._error(404, "NAME_UNKNOWN",
                               "The repository with name '%s' does not exist in the registry "
                               "with id '%s'" % (name, fr.account))
        if kind == "upload":
            return self._upload(rec, name, m.group("uuid"))
        if kind == "manifest":
            return self._manifest(rec, name, repo, urllib.parse.unquote(m.group("ref")))
        if kind == "tags":
            q = urllib.parse.parse_qs(self._split.query)
            n = (q.get("n") or [None])[0]
            if n is not None:
                try:
                    bad = int(n) > fr.max_tags_n or int(n) < 0
                except ValueError:
                    bad = True
                if bad:
                    return self._error(400, "PAGINATION_NUMBER_INVALID",
                                       "Invalid parameter at 'maxResults' failed to satisfy "
                                       "constraint: 'Member must have value less than or equal "
                                       "to %d'" % fr.max_tags_n)
            return self._forward_simple(rec, self.path)
        if kind == "blob" and self.command == "GET":
            return self._blob_redirect(rec, name, urllib.parse.unquote(m.group("digest")))
        return self._forward_simple(rec, self.path)

    # -- upstream ---------------------------------------------------------------------
    def _upstream(self, method: str, target: str, *, body: _Body | bytes | None = None,
                  drop: Iterable[str] = (), add: Iterable[tuple[str, str]] = ()
                  ) -> tuple[Any, Any]:
        reg = self.fr.registry
        conn = http.client.HTTPConnection(reg.host, reg.port, timeout=self.fr.timeout)
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        dropped = {d.lower() for d in drop} | _HOP | {"host", "authorization",
                                                     "x-forwarded-proto", "x-forwarded-host"}
        for k, v in self.headers.items():
            if k.lower() not in dropped:
                conn.putheader(k, v)
        conn.putheader("Host", self.headers.get("Host") or self.fr.host)
        conn.putheader("X-Forwarded-Proto", "https")
        for k, v in add:
            conn.putheader(k, v)
        if isinstance(body, bytes):
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders()
            if body:
                conn.send(body)
        elif isinstance(body, _Body) and body.present:
            self._continue()
            if body.chunked:
                conn.putheader("Transfer-Encoding", "chunked")
                conn.endheaders()
                while True:
                    data = body.read()
                    if not data:
                        break
                    conn.send(b"%x\r\n%s\r\n" % (len(data), data))
                conn.send(b"0\r\n\r\n")
            else:
                conn.putheader("Content-Length", str(body.length))
                conn.endheaders()
                while not body.done:
                    conn.send(body.read())
        else:
            if method in ("POST", "PUT", "PATCH"):
                conn.putheader("Content-Length", "0")
            conn.endheaders()
        resp = conn.getresponse()
        self._rec["upstream_status"] = resp.status
        return conn, resp

    def _relay(self, conn: Any, resp: Any, *, status: int | None = None) -> None:
        """Send the registry's response on (streamed), optionally with another status."""
        rec = self._rec
        try:
            st = status or resp.status
            self.send_response(st)
            length = resp.getheader("Content-Length")
            no_body = self.command == "HEAD" or st in (204, 304) or 100 <= st < 200
            buffered = None
            if length is None and not no_body:
                buffered = resp.read()
                length = str(len(buffered))
            for k, v in resp.getheaders():
                if k.lower() in _HOP or k.lower() in ("server", "date"):
                    continue
                self.send_header(k, v)
                if k.lower() == "location":
                    rec["location"] = v
            if length is not None:
                self.send_header("Content-Length", length)
            if self.close_connection:
                self.send_header("Connection", "close")
            rec["status"] = st
            rec["action"] = rec["action"] or "forward"
            self.end_headers()
            if no_body:
                return
            if buffered is not None:
                rec["response_bytes"] = len(buffered)
                self.wfile.write(buffered)
                return
            while True:
                data = resp.read1(65536)
                if not data:
                    break
                rec["response_bytes"] += len(data)
                self.wfile.write(data)
            if rec["response_bytes"] != int(length):
                self.close_connection = True
        finally:
            conn.close()

    def _forward_simple(self, rec: dict, target: str) -> None:
        conn, resp = self._upstream(self.command, target, body=self._body)
        if resp.status >= 400 and self.command != "HEAD":
            raw = resp.read()
            conn.close()
            rec["error_code"] = _first_error_code(raw)
            if rec["error_code"] == "NAME_UNKNOWN" and rec["repository"]:
                # moto has the repository, the registry has never seen a push to it
                rec["action"] = "empty-repository"
                if rec["kind"] == "tags":
                    rec["error_code"] = None
                    return self._answer(200, json.dumps({"name": rec["repository"],
                                                         "tags": []}).encode(),
                                        "application/json; charset=utf-8")
                if rec["kind"] == "manifest":
                    return self._error(404, "MANIFEST_UNKNOWN", "Requested image not found")
                if rec["kind"] == "blob":
                    return self._error(404, "BLOB_UNKNOWN", "blob unknown to registry")
            hdrs = [(k, v) for k, v in resp.getheaders()
                    if k.lower() not in _HOP and k.lower() not in ("server", "date",
                                                                   "content-type",
                                                                   "docker-distribution-api-version")]
            rec["action"] = "forward"
            return self._answer(resp.status, raw, resp.getheader("Content-Type") or
                                "application/json; charset=utf-8", hdrs)
        self._relay(conn, resp)

    # -- blobs -------------------------------------------------------------------------
    def _blob_redirect(self, rec: dict, name: str, digest: str) -> None:
        fr = self.fr
        target = "/v2/%s/blobs/%s" % (name, digest)
        # Whether the blob is there, asked without the client's Range: a ranged GET is
        # redirected like any other (S3 serves the range), never answered here.
        conn, resp = self._upstream("HEAD", target, drop=("range",))
        resp.read()
        conn.close()
        if resp.status != 200:
            conn, resp = self._upstream("GET", target, drop=("range",))
            raw = resp.read()
            conn.close()
            rec["error_code"] = _first_error_code(raw)
            return self._answer(resp.status, raw, resp.getheader("Content-Type") or
                                "application/json; charset=utf-8")
        location = fr.presign(name, digest)
        rec["location"] = location
        rec["action"] = "redirect"
        self._answer(307, b"", "application/octet-stream", [("Location", location)])

    def _upload(self, rec: dict, name: str, upload_id: str) -> None:
        fr = self.fr
        method = self.command
        if method == "POST" and not upload_id:
            q = urllib.parse.parse_qsl(self._split.query, keep_blank_values=True)
            target = self.path
            if any(k == "mount" for k, _ in q) and not fr.mount_enabled:
                rec["mount"] = "ignored"
                kept = [(k, v) for k, v in q if k not in ("mount", "from")]
                target = self._split.path + ("?" + urllib.parse.urlencode(kept) if kept else "")
            elif any(k == "mount" for k, _ in q):
                rec["mount"] = "forwarded"
            conn, resp = self._upstream("POST", target, body=self._body, **_OCTETS)
            if resp.status == 202:
                uid = resp.getheader("Docker-Upload-UUID")
                if uid:
                    with fr._lock:
                        fr._sessions[uid] = {"repository": name, "parts": []}
            return self._relay(conn, resp)
        with fr._lock:
            session = fr._sessions.get(upload_id) or {"repository": name, "parts": []}
            parts = list(session["parts"])
        if method in ("PATCH", "PUT") and parts and parts[-1] < fr.min_part_size:
            if method == "PUT" and self._body.chunked:
                self._continue()  # to see whether the chunked body is empty
            if method == "PATCH" or not self._body.empty():
                rec["too_small_part"] = parts[-1]
                return self._error(400, "BLOB_UPLOAD_INVALID",
                                   "LayerPartTooSmallException: layer parts must be at least "
                                   "%d bytes (5 MiB) except the last one; the previous part of "
                                   "upload %s was %d bytes" % (fr.min_part_size, upload_id,
                                                               parts[-1]))
        if method == "PATCH":
            before = self._body.count
            conn, resp = self._upstream("PATCH", self.path, body=self._body, **_OCTETS)
            size = self._body.count - before
            rec["part_size"] = size
            if resp.status == 202:
                with fr._lock:
                    s = fr._sessions.setdefault(upload_id, {"repository": name, "parts": []})
                    s["parts"].append(size)
                return self._relay(conn, resp, status=201)
            return self._relay_error(conn, resp)
        if method == "PUT":
            conn, resp = self._upstream("PUT", self.path, body=self._body, **_OCTETS)
            if resp.status in (201, 204):
                with fr._lock:
                    fr._sessions.pop(upload_id, None)
                return self._relay(conn, resp)
            return self._relay_error(conn, resp)
        if method == "DELETE":
            with fr._lock:
                fr._sessions.pop(upload_id, None)
        self._forward_simple(rec, self.path)

    def _relay_error(self, conn: Any, resp: Any) -> None:
        raw = resp.read()
        conn.close()
        self._rec["error_code"] = _first_error_code(raw)
        self._rec["action"] = "forward"
        self._answer(resp.status, raw, resp.getheader("Content-Type") or
                     "application/json; charset=utf-8")

    # -- manifests -------------------------------------------------------------------------
    def _manifest(self, rec: dict, name: str, repo: dict, ref: str) -> None:
        fr = self.fr
        if self.command == "DELETE":
            conn, resp = self._upstream("DELETE", self.path)
            if resp.status == 202:
                fr.delete_image(name, ref)
            return self._relay(conn, resp)
        if self.command != "PUT":
            return self._forward_simple(rec, self.path)
        invalid = "Invalid parameter at 'ImageManifest' failed to satisfy constraint: '%s'"
        if self._body.length is not None and self._body.length > fr.max_manifest_size:
            return self._error(400, "MANIFEST_INVALID", invalid % (
                "Member must have length less than or equal to %d" % fr.max_manifest_size))
        self._continue()
        try:
            body = self._body.read_all(limit=fr.max_manifest_size)
        except ValueError:
            return self._error(400, "MANIFEST_INVALID", invalid % (
                "Member must have length less than or equal to %d" % fr.max_manifest_size))
        try:
            doc = json.loads(body)
            if not isinstance(doc, dict):
                raise ValueError("not an object")
        except ValueError:
            return self._error(400, "MANIFEST_INVALID", invalid % "Invalid JSON syntax")
        media_type = doc.get("mediaType")
        if not isinstance(media_type, str) or not media_type:
            rec["missing_media_type"] = True
            return self._error(400, fr.missing_media_type_code, invalid % "Invalid JSON syntax")
        tag = None if _is_digest(ref) else ref
        if tag and fr.tag_is_immutable(repo, tag) and fr.tag_exists(name, tag):
            why = "repository" if repo.get("imageTagMutability") == "IMMUTABLE" else "tag"
            return self._error(400, "TAG_INVALID",
                               "The image tag '%s' already exists in the '%s' repository and "
                               "cannot be overwritten because the %s is immutable."
                               % (tag, name, why))
        conn, resp = self._upstream("PUT", self.path, body=body)
        if resp.status != 201:
            return self._relay_error(conn, resp)
        digest = resp.getheader("Docker-Content-Digest") or \
            "sha256:" + hashlib.sha256(body).hexdigest()
        if fr.report_images:
            rec["moto"] = fr.report_image(name, body, media_type, digest, tag)
        self._relay(conn, resp)


def _is_digest(ref: str) -> bool:
    return re.fullmatch(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+", ref) is not None


#: what the front asks the backing registry for when it reads a manifest itself
_MANIFEST_TYPES = ("application/vnd.oci.image.index.v1+json",
                   "application/vnd.oci.image.manifest.v1+json",
                   "application/vnd.docker.distribution.manifest.list.v2+json",
                   "application/vnd.docker.distribution.manifest.v2+json")


def _first_error_code(raw: bytes) -> str | None:
    try:
        return json.loads(raw)["errors"][0]["code"]
    except Exception:
        return None


class _S3Handler(_Handler):
    fr: EcrFront
    server_version = "AmazonS3"
    sys_version = ""

    def version_string(self) -> str:
        return "AmazonS3"

    def _xml(self, status: int, code: str, message: str, rec: dict) -> None:
        body = s3_error_xml(code, message, secrets.token_hex(8).upper(),
                            base64.b64encode(os.urandom(24)).decode())
        rec["status"] = status
        rec["error_code"] = code
        self._send(status, body, "application/xml", [("x-amz-request-id", secrets.token_hex(8))])

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_PUT(self) -> None:
        self.do_GET()

    do_POST = do_DELETE = do_PATCH = do_PUT

    def do_GET(self) -> None:
        fr = self.fr
        split = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(split.query)
        auth = self.headers.get("Authorization")
        rec: dict[str, Any] = {"time": time.time(), "method": self.command, "path": split.path,
                               "query": split.query, "authorization": auth is not None,
                               "headers": {k.lower(): v for k, v in self.headers.items()},
                               "range": self.headers.get("Range"), "status": None, "bytes": 0,
                               "error_code": None}
        with fr._lock:
            fr._s3_requests.append(rec)
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        if auth is not None and "X-Amz-Signature" in q:
            return self._xml(400, "InvalidArgument", S3_ONE_AUTH_MESSAGE, rec)
        sig = (q.get("X-Amz-Signature") or [""])[0]
        with fr._lock:
            entry = fr._presigned.get(sig)
        if entry is None or self.command not in ("GET",):
            return self._xml(403, "SignatureDoesNotMatch" if entry else "AccessDenied",
                             "The request signature we calculated does not match the signature "
                             "you provided." if entry else "Access Denied", rec)
        if time.time() - entry["created"] > fr.presign_ttl:
            return self._xml(403, "AccessDenied", "Request has expired", rec)
        reg = fr.registry
        headers = {}
        if self.headers.get("Range"):
            headers["Range"] = self.headers["Range"]
        conn = http.client.HTTPConnection(reg.host, reg.port, timeout=fr.timeout)
        try:
            conn.request("GET", "/v2/%s/blobs/%s" % (entry["repository"], entry["digest"]),
                         headers=headers)
            resp = conn.getresponse()
            if resp.status not in (200, 206):
                resp.read()
                if resp.status == 416:
                    return self._xml(416, "InvalidRange",
                                     "The requested range is not satisfiable", rec)
                return self._xml(404, "NoSuchKey", "The specified key does not exist.", rec)
            self._stream(resp, rec, ("Content-Length", "Content-Range"), [
                ("Accept-Ranges", "bytes"),
                ("ETag", '"%s"' % hashlib.md5(entry["digest"].encode()).hexdigest()),
                ("Content-Type", "application/octet-stream"),
                ("x-amz-request-id", secrets.token_hex(8))])
        finally:
            conn.close()


class _ControlHandler(ControlHandler, _Handler):
    fr: EcrFront

    def routes(self) -> dict[tuple[str, str], Callable[..., Any]]:
        fr = self.fr
        return {
            ("GET", "/requests"): lambda: fr.requests,
            ("GET", "/s3-requests"): lambda: fr.s3_requests,
            ("GET", "/reported"): lambda: fr.reported,
            ("GET", "/created"): lambda: fr.created,
            ("GET", "/connects"): lambda: fr.proxy.connects if fr.proxy else [],
            ("GET", ""): fr.state,
            ("GET", "/state"): fr.state,
            ("POST", "/expired"): self._expired,
            ("POST", "/mount"): self._mount,
            ("POST", "/reset"): lambda _: fr.reset(),
            ("DELETE", "/requests"): fr.clear_requests,
            ("DELETE", "/s3-requests"): fr.clear_requests,
        }

    def _expired(self, spec: dict) -> dict:
        if "next" in spec:
            self.fr.expire_next(int(spec["next"]))
        else:
            self.fr.set_expired(bool(spec.get("expired", True)))
        return {"expired": self.fr.expired, "next": self.fr._expire_next}

    def _mount(self, spec: dict) -> dict:
        self.fr.set_mount(bool(spec.get("enabled", True)))
        return {"mount_enabled": self.fr.mount_enabled}


# --------------------------------------------------------------------------
# control plane: what moto 5.2 lacks of the ECR API


CONTROL_TARGET = "AmazonEC2ContainerRegistry_V20150921."
#: botocore's pattern for both ecrRepositoryPrefix and a template's prefix
_PREFIX_RE = re.compile(r"^([a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*\/?"
                        r"|ROOT)$")
_EXCLUSION_FILTER_RE = re.compile(r"^[0-9a-zA-Z._*-]{1,128}$")
_TAG_MUTABILITY = ("MUTABLE", "IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION")
_APPLIED_FOR = ("REPLICATION", "PULL_THROUGH_CACHE", "CREATE_ON_PUSH")
#: upstreamRegistry as ECR derives it from a well-known upstreamRegistryUrl
_KNOWN_UPSTREAMS = (
    (re.compile(r"^public\.ecr\.aws$"), "ecr-public"),
    (re.compile(r"^[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com$"), "ecr"),
    (re.compile(r"^(registry-1\.)?docker\.io$"), "docker-hub"),
    (re.compile(r"^quay\.io$"), "quay"),
    (re.compile(r"^registry\.k8s\.io$"), "k8s"),
    (re.compile(r"^ghcr\.io$"), "github-container-registry"),
    (re.compile(r"^[a-z0-9-]+\.azurecr\.io$"), "azure-container-registry"),
    (re.compile(r"^registry\.gitlab\.com$"), "gitlab-container-registry"),
    (re.compile(r"^cgr\.dev$"), "chainguard"),
)


class ControlPlaneError(Exception):
    """An AWS JSON error: ``{"__type": code, "message": message}`` with ``status``."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__("%s: %s" % (code, message))
        self.code, self.message, self.status = code, message, status


def _namespace_match(prefix: str, name: str) -> bool:
    """Whether repository ``name`` is in the namespace ``prefix`` (``prod`` holds
    ``prod/app``, not ``prod`` itself nor ``production/app``)."""
    p = prefix.rstrip("/")
    return name.startswith(p + "/") and len(name) > len(p) + 1


class EcrControlPlane(RecordingServer):
    """An HTTP front for moto's ECR API on ``http://127.0.0.1:PORT`` (``url``; point
    ``AWS_ENDPOINT_URL_ECR`` / ``--endpoint-url`` at it).  It answers the operations moto
    5.2 lacks itself -- pull-through cache rules (Create/Describe/Update/Delete
    PullThroughCacheRule[s]) and repository creation templates (Create/Describe/Update/
    Delete RepositoryCreationTemplate[s]) -- and forwards every other request byte for
    byte to moto, Host header included, so that moto's own SigV4 check still passes.

    Its own operations verify SigV4 (service ``ecr``, ``region``) with botocore's signer
    against ``keys`` ({access key id: secret}); keys in ``admins`` may do everything,
    the others get ``AccessDeniedException`` for Create*/Update*/Delete* (the push policy
    grants none of them).  Errors are AWS JSON 1.1 (``{"__type", "message"}``, HTTP 400).

    ``rules`` / ``templates`` (copies) hold the state; EcrFront reads it through
    ``rule_for(name)`` and ``template_for(name, applied_for)``.  ``requests`` records
    ``{time, target, operation, handled (ours or forwarded), access_key_id, status,
    error}``."""

    def __init__(self, moto: MotoServer, *, keys: dict[str, str], admins: Iterable[str] = (),
                 arns: dict[str, str] | None = None, admin: dict | None = None,
                 workdir: str | None = None):
        super().__init__(workdir)
        self.moto = moto
        # keys for moto's Secrets Manager (a rule's credentialArn); None: not checked
        self.admin = dict(admin) if admin else None
        self.account, self.region = moto.account, moto.region
        self.keys, self.admins, self.arns = dict(keys), set(admins), dict(arns or {})
        self._rules: dict[str, dict] = {}
        self._templates: dict[str, dict] = {}

    def start_parts(self) -> None:
        self.serve(handler_for(_ControlPlaneHandler, cp=self), "berth-ecr-control-plane")

    endpoint_url = RecordingServer.url

    # -- keys and state -------------------------------------------------------------
    def add_key(self, access_key_id: str, secret_access_key: str, admin: bool = False,
                arn: str | None = None) -> None:
        """Let another identity sign (e.g. a key made in moto by a test)."""
        with self._lock:
            self.keys[access_key_id] = secret_access_key
            if arn:
                self.arns[access_key_id] = arn
            if admin:
                self.admins.add(access_key_id)

    @property
    def rules(self) -> dict[str, dict]:
        with self._lock:
            return json.loads(json.dumps(self._rules))

    @property
    def templates(self) -> dict[str, dict]:
        with self._lock:
            return json.loads(json.dumps(self._templates))

    def reset(self) -> None:
        """No rules, no templates, no records."""
        with self._lock:
            self._rules.clear()
            self._templates.clear()
            self._requests.clear()

    def rule_for(self, name: str) -> dict | None:
        """The pull-through cache rule whose ecrRepositoryPrefix holds repository
        ``name`` (the longest one; a ``ROOT`` rule holds everything else), or None."""
        with self._lock:
            hits = [r for p, r in self._rules.items() if _namespace_match(p, name)]
            root = self._rules.get("ROOT")  # ECR-to-ECR rules may take the whole registry
        if hits:
            return dict(max(hits, key=lambda r: len(r["ecrRepositoryPrefix"])))
        return dict(root) if root else None

    def template_for(self, name: str, applied_for: str) -> dict | None:
        """The creation template for a new repository ``name`` created by ``applied_for``
        (PULL_THROUGH_CACHE / CREATE_ON_PUSH / REPLICATION): the longest prefix holding
        it, else ROOT; only templates whose appliedFor lists ``applied_for`` count."""
        with self._lock:
            cands = [t for t in self._templates.values() if applied_for in t["appliedFor"]]
        hits = [t for t in cands if t["prefix"] != "ROOT" and _namespace_match(t["prefix"], name)]
        if hits:
            return dict(max(hits, key=lambda t: len(t["prefix"])))
        root = [t for t in cands if t["prefix"] == "ROOT"]
        return dict(root[0]) if root else None

    def read_secret(self, arn: str) -> dict:
        """The ``{"username", "accessToken"}`` secret of a rule's credentialArn, from moto's
        Secrets Manager, as ECR reads it; ControlPlaneError as ECR names the failures."""
        import botocore.exceptions
        if self.admin is None:
            return {}
        sm = self.moto.client("secretsmanager", creds=self.admin)
        try:
            with self.moto.lock:
                text = sm.get_secret_value(SecretId=arn).get("SecretString") or ""
        except botocore.exceptions.ClientError as e:
            if _client_error_code(e) == "ResourceNotFoundException":
                raise ControlPlaneError("SecretNotFoundException", "The ARN '%s' does not "
                                        "exist or is not accessible." % arn) from None
            raise ControlPlaneError("UnableToAccessSecretException", "The secret '%s' could "
                                    "not be read: %s" % (arn, _client_error_text(e))) from None
        try:
            secret = json.loads(text)
            if not isinstance(secret, dict) or "username" not in secret or \
                    "accessToken" not in secret:
                raise ValueError
        except ValueError:
            raise ControlPlaneError("InvalidParameterException", "The secret '%s' must be a JSON "
                                    "object with username and accessToken" % arn) from None
        return secret

    def state(self) -> dict:
        return {"url": self.url, "port": self.port, "rules": list(self.rules.values()),
                "templates": list(self.templates.values())}

    # -- operations -------------------------------------------------------------------
    OPERATIONS = ("CreatePullThroughCacheRule", "DescribePullThroughCacheRules",
                  "DeletePullThroughCacheRule", "UpdatePullThroughCacheRule",
                  "CreateRepositoryCreationTemplate", "DescribeRepositoryCreationTemplates",
                  "DeleteRepositoryCreationTemplate", "UpdateRepositoryCreationTemplate")

    def call(self, op: str, req: dict) -> dict:
        """Run one of ``OPERATIONS`` (no signature check); raises ControlPlaneError."""
        if not isinstance(req, dict):
            raise ControlPlaneError("SerializationException", "Start of structure or map found "
                                    "where not expected.")
        reg = req.get("registryId")
        if reg is not None and reg != self.account:
            # ECR answers for the caller's own registry only
            raise ControlPlaneError("InvalidParameterException", "Invalid parameter at "
                                    "'registryId' failed to satisfy constraint: 'must be the "
                                    "registry id of the caller (%s)'" % self.account)
        try:
            return getattr(self, "_op_" + op)(req)
        except (AttributeError, KeyError, TypeError) as e:  # a member of the wrong type
            raise ControlPlaneError("InvalidParameterException",
                                    "Invalid parameter: %s: %s" % (type(e).__name__, e)) from None

    def _ptc_prefix(self, req: dict) -> str:
        prefix = req.get("ecrRepositoryPrefix")
        if not isinstance(prefix, str) or not prefix:
            raise ControlPlaneError("InvalidParameterException", "Invalid parameter at "
                                    "'ecrRepositoryPrefix' failed to satisfy constraint: "
                                    "'Member must not be null'")
        if not (2 <= len(prefix) <= 30) or not _PREFIX_RE.match(prefix):
            raise ControlPlaneError(
                "InvalidParameterException", "Invalid parameter at 'ecrRepositoryPrefix' "
                "failed to satisfy constraint: 'Member must satisfy regular expression pattern: "
                "%s and have length between 2 and 30'" % _PREFIX_RE.pattern)
        return prefix.rstrip("/") if prefix != "ROOT" else prefix

    def _rule_not_found(self, prefix: str) -> ControlPlaneError:
        return ControlPlaneError("PullThroughCacheRuleNotFoundException",
                                 "The pull through cache rule with prefix '%s' does not exist "
                                 "in the registry with id '%s'" % (prefix, self.account))

    @staticmethod
    def _rule_view(rule: dict, keys: Iterable[str]) -> dict:
        return {k: rule[k] for k in keys if rule.get(k) is not None}

    _RULE_KEYS = ("ecrRepositoryPrefix", "upstreamRegistryUrl", "createdAt", "registryId",
                  "credentialArn", "customRoleArn", "upstreamRepositoryPrefix",
                  "upstreamRegistry", "updatedAt")

    def _op_CreatePullThroughCacheRule(self, req: dict) -> dict:
        prefix = self._ptc_prefix(req)
        url = req.get("upstreamRegistryUrl")
        if not isinstance(url, str) or not url:
            raise ControlPlaneError("InvalidParameterException", "Invalid parameter at "
                                    "'upstreamRegistryUrl' failed to satisfy constraint: "
                                    "'Member must not be null'")
        host = re.sub(r"^[a-z]+://", "", url).split("/")[0]
        derived = next((kind for rx, kind in _KNOWN_UPSTREAMS if rx.match(host.split(":")[0])),
                       None)
        upstream_registry = req.get("upstreamRegistry") or derived
        if upstream_registry is not None and upstream_registry not in [k for _, k in _KNOWN_UPSTREAMS]:
            raise ControlPlaneError("UnsupportedUpstreamRegistryException",
                                    "The specified upstream registry %s is not supported."
                                    % upstream_registry)
        if upstream_registry in ("docker-hub", "github-container-registry",
                                 "azure-container-registry", "gitlab-container-registry") \
                and not req.get("credentialArn"):
            raise ControlPlaneError("InvalidParameterException", "A credentialArn is required "
                                    "for the upstream registry %s." % upstream_registry)
        cred = req.get("credentialArn")
        if cred is not None and not re.match(r"^arn:aws(-\w+)*:secretsmanager:[a-zA-Z0-9-:]+:"
                                             r"secret:ecr\-pullthroughcache\/[a-zA-Z0-9\/_+=.@-]+$",
                                             cred):
            raise ControlPlaneError("InvalidParameterException", "Invalid parameter at "
                                    "'credentialArn' failed to satisfy constraint: 'must be a "
                                    "secret whose name starts with ecr-pullthroughcache/'")
        if cred is not None:
            self.read_secret(cred)  # ECR checks that it can read it
        rule = {"ecrRepositoryPrefix": prefix, "upstreamRegistryUrl": url,
                "createdAt": time.time(), "registryId": self.account,
                "upstreamRegistry": upstream_registry, "credentialArn": cred,
                "customRoleArn": req.get("customRoleArn"),
                "upstreamRepositoryPrefix": req.get("upstreamRepositoryPrefix"), "updatedAt": None}
        with self._lock:
            if prefix in self._rules:
                raise ControlPlaneError("PullThroughCacheRuleAlreadyExistsException",
                                        "A pull through cache rule with these settings already "
                                        "exists for the registry in the specified region.")
            self._rules[prefix] = rule
        return self._rule_view(rule, ("ecrRepositoryPrefix", "upstreamRegistryUrl", "createdAt",
                                      "registryId", "upstreamRegistry", "credentialArn",
                                      "customRoleArn", "upstreamRepositoryPrefix"))

    def _op_DescribePullThroughCacheRules(self, req: dict) -> dict:
        wanted = req.get("ecrRepositoryPrefixes")
        with self._lock:
            rules = dict(self._rules)
        if wanted:
            out = []
            for p in wanted:
                key = p.rstrip("/") if p != "ROOT" else p
                if key not in rules:
                    raise self._rule_not_found(p)
                out.append(rules[key])
        else:
            out = sorted(rules.values(), key=lambda r: r["createdAt"])
        return {"pullThroughCacheRules": [self._rule_view(r, self._RULE_KEYS) for r in out]}

    def _op_DeletePullThroughCacheRule(self, req: dict) -> dict:
        prefix = self._ptc_prefix(req)
        with self._lock:
            rule = self._rules.pop(prefix, None)
        if rule is None:
            raise self._rule_not_found(prefix)
        return self._rule_view(rule, ("ecrRepositoryPrefix", "upstreamRegistryUrl", "createdAt",
                                      "registryId", "credentialArn", "customRoleArn",
                                      "upstreamRepositoryPrefix"))

    def _op_UpdatePullThroughCacheRule(self, req: dict) -> dict:
        prefix = self._ptc_prefix(req)
        with self._lock:
            rule = self._rules.get(prefix)
            if rule is None:
                raise self._rule_not_found(prefix)
            if req.get("credentialArn"):
                self.read_secret(req["credentialArn"])
            for k in ("credentialArn", "customRoleArn"):
                if k in req:
                    rule[k] = req[k]
            rule["updatedAt"] = time.time()
            rule = dict(rule)
        return self._rule_view(rule, ("ecrRepositoryPrefix", "registryId", "updatedAt",
                                      "credentialArn", "customRoleArn",
                                      "upstreamRepositoryPrefix"))

    # -- repository creation templates ----------------------------------------------------
    _TEMPLATE_FIELDS = ("description", "encryptionConfiguration", "resourceTags",
                        "imageTagMutability", "imageTagMutabilityExclusionFilters",
                        "repositoryPolicy", "lifecyclePolicy", "appliedFor", "customRoleArn")

    def _template_prefix(self, req: dict) -> str:
        prefix = req.get("prefix")
        if not isinstance(prefix, str) or not (1 <= len(prefix) <= 256) or \
                not _PREFIX_RE.match(prefix):
            raise ControlPlaneError("InvalidParameterException", "Invalid parameter at 'prefix' "
                                    "failed to satisfy constraint: 'Member must satisfy regular "
                                    "expression pattern: %s'" % _PREFIX_RE.pattern)
        return prefix.rstrip("/") if prefix != "ROOT" else prefix

    @staticmethod
    def _invalid(field: str, why: str) -> ControlPlaneError:
        return ControlPlaneError("InvalidParameterException", "Invalid parameter at '%s' failed "
                                 "to satisfy constraint: '%s'" % (field, why))

    def _validate_template(self, t: dict) -> None:
        applied = t.get("appliedFor")
        if not isinstance(applied, list) or not applied or \
                any(a not in _APPLIED_FOR for a in applied):
            raise self._invalid("appliedFor", "Member must be a non-empty list of %s"
                                % "|".join(_APPLIED_FOR))
        t["appliedFor"] = list(dict.fromkeys(applied))
        mode = t.get("imageTagMutability") or "MUTABLE"
        if mode not in _TAG_MUTABILITY:
            raise self._invalid("imageTagMutability", "Member must satisfy enum value set: [%s]"
                                % ", ".join(_TAG_MUTABILITY))
        t["imageTagMutability"] = mode
        filters = t.get("imageTagMutabilityExclusionFilters")
        if mode.endswith("_WITH_EXCLUSION"):
            if not filters:
                raise self._invalid("imageTagMutabilityExclusionFilters", "must be present when "
                                    "imageTagMutability is %s" % mode)
        elif filters:
            raise self._invalid("imageTagMutabilityExclusionFilters", "is only allowed when "
                                "imageTagMutability is IMMUTABLE_WITH_EXCLUSION or "
                                "MUTABLE_WITH_EXCLUSION")
        for f in filters or []:
            if not isinstance(f, dict) or f.get("filterType") != "WILDCARD" or \
                    not _EXCLUSION_FILTER_RE.match(str(f.get("filter", ""))):
                raise self._invalid("imageTagMutabilityExclusionFilters",
                                    "each filter must be {filterType: WILDCARD, filter: "
                                    "[0-9a-zA-Z._*-]{1,128}}")
        if not filters:
            t.pop("imageTagMutabilityExclusionFilters", None)
        enc = t.get("encryptionConfiguration") or {"encryptionType": "AES256"}
        if enc.get("encryptionType") not in ("AES256", "KMS", "KMS_DSSE"):
            raise self._invalid("encryptionConfiguration.encryptionType",
                                "Member must satisfy enum value set: [AES256, KMS, KMS_DSSE]")
        if enc.get("encryptionType") == "AES256" and enc.get("kmsKey"):
            raise self._invalid("encryptionConfiguration.kmsKey", "a KMS key is only allowed "
                                "with encryptionType KMS or KMS_DSSE")
        t["encryptionConfiguration"] = enc
        t["resourceTags"] = list(t.get("resourceTags") or [])
        for field in ("lifecyclePolicy", "repositoryPolicy"):
            text = t.get(field)
            if text:
                try:
                    if not isinstance(json.loads(text), dict):
                        raise ValueError
                except ValueError:
                    raise self._invalid(field, "must be a JSON document") from None
            else:
                t.pop(field, None)

    def _template_view(self, t: dict) -> dict:
        return {"registryId": self.account,
                "repositoryCreationTemplate": {k: v for k, v in t.items() if v is not None}}

    def _op_CreateRepositoryCreationTemplate(self, req: dict) -> dict:
        prefix = self._template_prefix(req)
        t = {k: req.get(k) for k in self._TEMPLATE_FIELDS}
        t["prefix"] = prefix
        self._validate_template(t)
        t["createdAt"] = t["updatedAt"] = time.time()
        with self._lock:
            if prefix in self._templates:
                raise ControlPlaneError("TemplateAlreadyExistsException", "The repository "
                                        "creation template with prefix '%s' already exists in "
                                        "the registry with id '%s'" % (prefix, self.account))
            self._templates[prefix] = t
        return self._template_view(t)

    def _template_not_found(self, prefix: str) -> ControlPlaneError:
        return ControlPlaneError("TemplateNotFoundException", "The repository creation template "
                                 "with prefix '%s' does not exist in the registry with id '%s'"
                                 % (prefix, self.account))

    def _op_DescribeRepositoryCreationTemplates(self, req: dict) -> dict:
        wanted = req.get("prefixes")
        with self._lock:
            ts = dict(self._templates)
        if wanted:
            keys = [p.rstrip("/") if p != "ROOT" else p for p in wanted]
            out = [ts[k] for k in dict.fromkeys(keys) if k in ts]
        else:
            out = sorted(ts.values(), key=lambda t: t["createdAt"])
        return {"registryId": self.account,
                "repositoryCreationTemplates": [self._template_view(t)["repositoryCreationTemplate"]
                                                for t in out]}

    def _op_DeleteRepositoryCreationTemplate(self, req: dict) -> dict:
        prefix = self._template_prefix(req)
        with self._lock:
            t = self._templates.pop(prefix, None)
        if t is None:
            raise self._template_not_found(prefix)
        return self._template_view(t)

    def _op_UpdateRepositoryCreationTemplate(self, req: dict) -> dict:
        prefix = self._template_prefix(req)
        with self._lock:
            old = self._templates.get(prefix)
            if old is None:
                raise self._template_not_found(prefix)
            t = dict(old)
            for k in self._TEMPLATE_FIELDS:
                if k in req:
                    t[k] = req[k]
            if "imageTagMutability" in req and not req["imageTagMutability"].endswith(
                    "_WITH_EXCLUSION") and "imageTagMutabilityExclusionFilters" not in req:
                t.pop("imageTagMutabilityExclusionFilters", None)
            self._validate_template(t)
            t["updatedAt"] = time.time()
            self._templates[prefix] = t
        return self._template_view(t)


class _ControlPlaneHandler(QuietHandler):
    cp: EcrControlPlane
    server_version = "berth-ecr-control-plane"
    sys_version = ""

    def do_POST(self) -> None:
        cp = self.cp
        body = self._read_small_body()
        headers = {k.lower(): v for k, v in self.headers.items()}
        target = headers.get("x-amz-target", "")
        op = target[len(CONTROL_TARGET):] if target.startswith(CONTROL_TARGET) else None
        rec: dict[str, Any] = {"time": time.time(), "method": "POST", "path": self.path,
                               "target": target, "operation": op, "handled": None,
                               "access_key_id": None, "status": None, "error": None}
        cp._record(rec)
        if op not in cp.OPERATIONS:
            rec["handled"] = "forwarded"
            return self._forward(rec, body)
        rec["handled"] = "control-plane"
        with cp._lock:
            keys = dict(cp.keys)
        akid, _, err = check_sigv4("POST", self.path, headers, body, keys, "ecr", cp.region)
        rec["access_key_id"] = akid
        if err:
            status = 403 if err in ("UnrecognizedClientException",
                                    "MissingAuthenticationTokenException") else 400
            return self._error(rec, ControlPlaneError(err, signature_message(err), status))
        if akid not in cp.admins and op.startswith(("Create", "Update", "Delete")):
            arn = cp.arns.get(akid) or "arn:aws:iam::%s:user/%s" % (cp.account, akid)
            return self._error(rec, ControlPlaneError(
                "AccessDeniedException", "User: %s is not authorized to perform: ecr:%s on "
                "resource: arn:aws:ecr:%s:%s:repository/* because no identity-based policy "
                "allows the ecr:%s action" % (arn, op, cp.region, cp.account, op)))
        try:
            out = cp.call(op, json.loads(body or b"{}"))
        except ValueError:
            return self._error(rec, ControlPlaneError("SerializationException",
                                                      "Unable to parse the request body"))
        except ControlPlaneError as e:
            return self._error(rec, e)
        rec["status"] = 200
        self._send(200, json.dumps(out).encode(), "application/x-amz-json-1.1",
                   [("x-amzn-RequestId", str(uuid.uuid4()))])

    def _error(self, rec: dict, e: ControlPlaneError) -> None:
        rec.update(status=e.status, error=e.code)
        self._send(e.status, json.dumps({"__type": e.code, "message": e.message}).encode(),
                   "application/x-amz-json-1.1", [("x-amzn-RequestId", str(uuid.uuid4())),
                                                  ("x-amzn-ErrorType", e.code)])

    def _forward(self, rec: dict, body: bytes) -> None:
        """Byte for byte to moto, Host included (moto checks the signature over it); the
        answer is streamed back with its status and headers."""
        moto = self.cp.moto
        conn = http.client.HTTPConnection(moto.host, moto.port, timeout=120)
        try:
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for k, v in self.headers.items():
                if k.lower() not in _HOP:
                    conn.putheader(k, v)
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders()
            if body:
                conn.send(body)
            resp = conn.getresponse()
            rec["status"] = resp.status
            self.send_response(resp.status)
            length = resp.getheader("Content-Length")
            data = None
            if length is None:
                data = resp.read()
                length = str(len(data))
            for k, v in resp.getheaders():
                if k.lower() not in _HOP and k.lower() not in ("server", "date"):
                    self.send_header(k, v)
            self.send_header("Content-Length", length)
            self.end_headers()
            if self.command == "HEAD":
                return
            if data is not None:
                self.wfile.write(data)
                return
            while True:
                chunk = resp.read1(65536)
                if not chunk:
                    break
                self.wfile.write(chunk)
        finally:
            conn.close()

    do_GET = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_POST


# --------------------------------------------------------------------------
# the whole stack


class EcrStack(Service):
    """moto (IAM auth on) + IamSetup + OidcTokenEndpoint + docker-registry + EcrFront.

    Attributes after ``start()``: ``moto``, ``iam``, ``oidc``, ``registry``, ``front``,
    ``ca``, ``token_file``, ``workdir``; ``state()`` is what the CLI writes to
    ecr_stack.json, ``env()`` its ``env`` part."""

    workdir_prefix = "berth-ecr-stack-"
    # made by start()
    moto: MotoServer | None = None
    iam: IamSetup | None = None
    oidc: OidcTokenEndpoint | None = None
    registry: Registry | None = None
    front: EcrFront | None = None
    control_plane: "EcrControlPlane | None" = None
    ca: TestCA | None = None
    token_file: str | None = None

    def __init__(self, *, workdir: str | None = None, account: str = ACCOUNT,
                 region: str = REGION, repository: str = "berth/app",
                 immutable_repository: str | None = "berth/immutable",
                 extra_repositories: Iterable[str] = (), oidc_issuer: str = GITHUB_ISSUER,
                 oidc_subject: str = DEFAULT_SUBJECT, oidc_tls: bool = False,
                 front_options: dict | None = None, registry_options: dict | None = None):
        super().__init__(workdir)
        self.timings: dict[str, float] = {}
        self.account, self.region = account, region
        self.repository, self.immutable_repository = repository, immutable_repository
        self.extra_repositories = list(extra_repositories)
        self.oidc_issuer, self.oidc_subject, self.oidc_tls = oidc_issuer, oidc_subject, oidc_tls
        self.front_options = dict(front_options or {})
        self.registry_options = dict(registry_options or {})

    def start_parts(self) -> None:
        t0 = time.monotonic()
        # started from this thread: PR_SET_PDEATHSIG follows the thread that forked
        self.moto = MotoServer(account=self.account, region=self.region,
                               workdir=os.path.join(self.workdir, "moto")).start()
        self.timings["moto"] = time.monotonic() - t0
        self.ca = TestCA(os.path.join(self.workdir, "ca"), name="berth ECR test CA")
        self.registry = Registry(workdir=os.path.join(self.workdir, "registry"),
                                 **self.registry_options).start()
        self.iam = IamSetup(self.moto, repository=self.repository,
                            immutable_repository=self.immutable_repository,
                            extra_repositories=self.extra_repositories,
                            oidc_issuer=self.oidc_issuer,
                            oidc_subject=self.oidc_subject).run()
        self.timings["iam"] = time.monotonic() - t0
        self.oidc = OidcTokenEndpoint(
            issuer=self.oidc_issuer, subject=self.oidc_subject,
            tls_cert=self.ca.issue("oidc", hosts=("localhost", LOOPBACK)) if self.oidc_tls else None,
            workdir=os.path.join(self.workdir, "oidc")).start()
        self.token_file = self.oidc.write_token_file()
        users = self.iam.users
        self.control_plane = EcrControlPlane(
            self.moto, keys={u["access_key_id"]: u["secret_access_key"] for u in users.values()},
            admins=[users["admin"]["access_key_id"]],
            arns={u["access_key_id"]: u["arn"] for u in users.values()}, admin=users["admin"],
            workdir=os.path.join(self.workdir, "control-plane")).start()
        self.front = EcrFront(self.registry, self.moto, admin=self.iam.users["admin"],
                              ca=self.ca, control_plane=self.control_plane,
                              **self.front_options).start()
        self.timings["total"] = time.monotonic() - t0

    def stop(self) -> None:
        stop_all((self.front, self.control_plane, self.oidc, self.registry, self.moto))
        super().stop()

    # -- conveniences ------------------------------------------------------------
    def reset(self) -> None:
        """Between tests: front switches/records back to defaults, OIDC records cleared,
        IAM auth on."""
        self.front.reset()
        self.control_plane.reset()
        self.oidc.clear_requests()
        self.moto.auth_on()

    def client(self, service: str = "ecr", who: str = "admin", **kw: Any) -> Any:
        """boto3 client for moto signed as ``who`` (``pusher`` or ``admin``)."""
        return self.moto.client(service, creds=self.iam.users[who], **kw)

    def control_plane_client(self, who: str = "admin", **kw: Any) -> Any:
        """boto3 ``ecr`` client signed as ``who``, pointed at the control plane (pull-through
        cache rules, creation templates; every other operation reaches moto through it)."""
        return self.moto.client("ecr", creds=self.iam.users[who],
                                endpoint_url=self.control_plane.url, **kw)

    def aws_env(self, who: str = "pusher", control_plane: bool = False) -> dict[str, str]:
        """Environment for AWS SDKs/awscli/berth with ``who``'s keys, pointed at moto;
        isolated from ~/.aws.  ``control_plane=True`` adds ``AWS_ENDPOINT_URL_ECR`` = the
        control plane, so ECR calls (all of them) go through it and STS/IAM to moto."""
        u = self.iam.users[who]
        extra = {"AWS_ENDPOINT_URL_ECR": self.control_plane.url} if control_plane else {}
        return {**extra, "AWS_ENDPOINT_URL": self.moto.url, "AWS_REGION": self.region,
                "AWS_DEFAULT_REGION": self.region, "AWS_ACCESS_KEY_ID": u["access_key_id"],
                "AWS_SECRET_ACCESS_KEY": u["secret_access_key"],
                "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true"}

    def web_identity_env(self) -> dict[str, str]:
        """AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE (role ci-pusher), pointed at moto.
        Post ``moto.reset_auth(1)`` right before the SDK's unsigned exchange."""
        return {"AWS_ENDPOINT_URL": self.moto.url, "AWS_REGION": self.region,
                "AWS_DEFAULT_REGION": self.region,
                "AWS_ROLE_ARN": self.iam.roles["ci_pusher"]["arn"],
                "AWS_WEB_IDENTITY_TOKEN_FILE": self.token_file,
                "AWS_ROLE_SESSION_NAME": "berth-ci",
                "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true"}

    def github_env(self) -> dict[str, str]:
        """What a GitHub Actions job with ``id-token: write`` sees, plus the role."""
        return {"GITHUB_ACTIONS": "true",
                "ACTIONS_ID_TOKEN_REQUEST_URL": self.oidc.request_url,
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN": self.oidc.request_token,
                "AWS_ROLE_ARN": self.iam.roles["ci_pusher"]["arn"],
                "AWS_ENDPOINT_URL": self.moto.url, "AWS_REGION": self.region,
                "AWS_DEFAULT_REGION": self.region}

    def berth_env(self) -> dict[str, str]:
        """connect-to mapping and CA bundle for berth (plus pusher keys)."""
        e = self.aws_env("pusher")
        e.update({"BERTH_CONNECT_TO": self.front.connect_to_all,
                  "SSL_CERT_FILE": self.ca.cert_file})
        return e

    def skopeo_env(self) -> dict[str, str]:
        """HTTPS_PROXY (the CONNECT proxy) so skopeo can use the ECR host name."""
        return {"HTTPS_PROXY": self.front.https_proxy or "", "https_proxy": self.front.https_proxy or "",
                "NO_PROXY": "localhost,127.0.0.1", "no_proxy": "localhost,127.0.0.1"}

    def state(self) -> dict:
        fr, iam, oidc = self.front, self.iam, self.oidc
        st: dict[str, Any] = {
            "account": self.account, "region": self.region,
            "aws_endpoint_url": self.moto.url,
            "moto": {"url": self.moto.url, "host": self.moto.host, "port": self.moto.port,
                     "pid": self.moto.pid, "log_file": self.moto.log_file,
                     "reset_auth_url": self.moto.url + "/moto-api/reset-auth",
                     "scan_findings_url": self.moto.url + "/moto-api/static/ecr/scan-finding-results",
                     "auth": self.moto.auth_state},
            "repository": iam.repository, "repository_arn": iam.repository_arn(),
            "repository_uri": iam.repository_uri(),
            "immutable_repository": iam.immutable_repository,
            "extra_repositories": iam.extra_repositories,
            "users": iam.users, "roles": iam.roles,
            "policy_arn": iam.policy_arn, "push_policy": iam.push_policy(),
            "oidc": dict(oidc.state(), provider_arn=iam.oidc_provider_arn,
                         role_arn=iam.roles["ci_pusher"]["arn"]),
            "front": fr.state(),
            "control_plane": self.control_plane.state(),
            "tls": {"ca_file": self.ca.cert_file, "cert_dir": self.ca.cert_dir,
                    "cert_file": fr.cert.cert_file, "key_file": fr.cert.key_file,
                    "hosts": fr.cert.hosts},
            "registry": self.registry.state(),
            "pids": [p for p in (self.moto.pid, self.registry.pid) if p],
            "workdir": self.workdir,
            "verification": iam.verification,
        }
        st["env"] = self.env()
        return st

    def env(self) -> dict[str, str]:
        fr, iam = self.front, self.iam
        p, a = iam.users["pusher"], iam.users["admin"]
        return {
            "BERTH_TEST_ECR_ENDPOINT_URL": self.moto.url,
            "BERTH_TEST_ECR_CONTROL_PLANE_URL": self.control_plane.url,
            "BERTH_TEST_ECR_REGION": self.region,
            "BERTH_TEST_ECR_ACCOUNT": self.account,
            "BERTH_TEST_ECR_HOST": fr.host,
            "BERTH_TEST_ECR_PORT": str(fr.port),
            "BERTH_TEST_ECR_CONNECT_TO": fr.connect_to_all,
            "BERTH_TEST_ECR_LOCALHOST": fr.localhost_hostport,
            "BERTH_TEST_ECR_HTTPS_PROXY": fr.https_proxy or "",
            "BERTH_TEST_ECR_CA": self.ca.cert_file,
            "BERTH_TEST_ECR_CERT_DIR": self.ca.cert_dir,
            "BERTH_TEST_ECR_REPOSITORY": iam.repository,
            "BERTH_TEST_ECR_IMMUTABLE_REPOSITORY": iam.immutable_repository or "",
            "BERTH_TEST_ECR_PASSWORD": fr.password,
            "BERTH_TEST_ECR_CONTROL_URL": fr.control_url or "",
            "BERTH_TEST_ECR_S3_URL": fr.s3_url,
            "BERTH_TEST_ECR_PUSHER_ACCESS_KEY_ID": p["access_key_id"],
            "BERTH_TEST_ECR_PUSHER_SECRET_ACCESS_KEY": p["secret_access_key"],
            "BERTH_TEST_ECR_ADMIN_ACCESS_KEY_ID": a["access_key_id"],
            "BERTH_TEST_ECR_ADMIN_SECRET_ACCESS_KEY": a["secret_access_key"],
            "BERTH_TEST_ECR_ROLE_ARN": iam.roles["ci_pusher"]["arn"],
            "BERTH_TEST_ECR_PUSH_ROLE_ARN": iam.roles["push_role"]["arn"],
            "BERTH_TEST_ECR_OIDC_REQUEST_URL": self.oidc.request_url,
            "BERTH_TEST_ECR_OIDC_REQUEST_TOKEN": self.oidc.request_token,
            "BERTH_TEST_ECR_OIDC_REQUESTS_URL": self.oidc.requests_url,
            "BERTH_TEST_ECR_TOKEN_FILE": self.token_file or "",
        }


# --------------------------------------------------------------------------
# CLI (stackbase.StackCLI, as tests/servers/stack.py's)


class _CLI(StackCLI):
    prog = "ecr_stack.py"
    script = __file__
    description = __doc__.split("\n\n")[0]
    label = "ECR stack"
    article = "an"
    state_file = "ecr_stack.json"
    env_file = "ecr_stack.env"
    log_file = "ecr_supervisor.log"
    temp_prefix = "berth-ecr-stack-"
    state_env = "BERTH_TEST_ECR_STACK_STATE"
    down_wait = 25.0
    up_kill_wait = 20.0

    def add_up_args(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("--repository", default="berth/app")
        p.add_argument("--immutable-repository", default="berth/immutable")
        p.add_argument("--extra-repository", action="append", default=[])
        p.add_argument("--region", default=REGION)
        p.add_argument("--oidc-subject", default=DEFAULT_SUBJECT)
        p.add_argument("--oidc-issuer", default=GITHUB_ISSUER)
        p.add_argument("--oidc-tls", action="store_true", help="serve the OIDC endpoint over HTTPS")
        p.add_argument("--mount", action="store_true", help="enable cross-repository mounts")
        p.add_argument("--expired", action="store_true", help="start in 'token expired' mode")
        p.add_argument("--min-part-size", type=int, default=MIN_PART_SIZE)
        p.add_argument("--s3-host", default=LOOPBACK,
                       help="host name in the S3 redirect ('real' = ECR's starport bucket name)")
        p.add_argument("--timeout", type=float, default=90.0)

    def make_stack(self, a: argparse.Namespace, workdir: str) -> EcrStack:
        s3_host = s3_bucket_host(a.region) if a.s3_host == "real" else a.s3_host
        return EcrStack(workdir=workdir, region=a.region, repository=a.repository,
                        immutable_repository=a.immutable_repository or None,
                        extra_repositories=a.extra_repository, oidc_issuer=a.oidc_issuer,
                        oidc_subject=a.oidc_subject, oidc_tls=a.oidc_tls,
                        front_options={"mount_enabled": a.mount, "expired": a.expired,
                                       "min_part_size": a.min_part_size, "s3_host": s3_host})

    def up_message(self, st: EcrStack) -> str:
        return "ecr stack up: %s (front 127.0.0.1:%d, moto %s) in %.1fs" % (
            st.front.host, st.front.port, st.moto.url, st.timings.get("total", 0))

    def children(self, st: EcrStack) -> list[tuple[str, Any]]:
        return [("moto", st.moto), ("registry", st.registry)]

    def leftovers(self, state: dict) -> list[tuple[int | None, tuple[str, ...]]]:
        return [((state.get("moto") or {}).get("pid"), ("moto.server",)),
                ((state.get("registry") or {}).get("pid"),
                 ("docker-registry", stack.REGISTRY_BIN))]

    def status_info(self, state: dict) -> dict:
        return {"front": state["front"]["connect_to"], "moto": state["moto"]["url"]}


STATE_FILE, ENV_FILE, LOG_FILE = _CLI.state_file, _CLI.env_file, _CLI.log_file


def main(argv: list[str] | None = None) -> int:
    return _CLI().main(argv)


if __name__ == "__main__":
    sys.exit(main())
