"""AWS credentials, STS and ECR through berth_aws_* and berth_ecr_*.

The credential chain, STS and the ECR client are libberth's; this module fills
berth_aws_options from keyword arguments, turns the JSON libberth returns into
dataclasses and frees every string it receives.

Every function takes the same keyword-only AWS options (all optional; ``None``
leaves the choice to the AWS CLI's chain and environment variables):

    region, profile, role_arn, role_session_name, external_id,
    role_duration_seconds, ecr_endpoint, sts_endpoint, ca_bundle

so that a dict of them can be passed to any of them: ``berth.ecr_login(**aws)``.

Threads: ctypes releases the GIL for each call into libberth, which may block on
the network (STS, ECR, the instance metadata service); calls may run from several
threads at once. Credentials are resolved anew on every call, from the
environment and the files as they are at that moment.
"""

from __future__ import annotations

import ctypes
import datetime as _dt
import json
import os
import re
from collections.abc import Mapping as _Mapping
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Union

from . import _convert
from ._errors import REDACTED, InvalidArgumentError, ProtocolError
from ._lib import AWS_OPTIONS_VERSION, AwsOptions, check, function, take_string

PathArg = Union[str, "os.PathLike[str]", None]
#: What ecr_call accepts as a request body.
JsonBody = Union[Mapping[str, Any], str, bytes, bytearray, None]

#: The keyword arguments every function of this module takes, in berth_aws_options
#: order.
AWS_OPTION_NAMES = ("region", "profile", "role_arn", "role_session_name", "external_id",
                    "role_duration_seconds", "ecr_endpoint", "sts_endpoint", "ca_bundle")

_INT64_MAX = 2**63 - 1
_OPERATION = re.compile(r"[A-Za-z0-9]+")
_ISO8601 = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?Z")


# ---------------------------------------------------------------------------------
# Results


@dataclass(frozen=True, repr=False)
class AwsCredentials:
    """AWS credentials as the chain resolved them.

    ``session_token`` is ``None`` for long-term keys; ``expiration`` is an aware
    UTC datetime for temporary credentials and ``None`` when they do not expire.
    ``provider`` names where they came from: "environment", "static" (keys in a
    shared config or credentials file profile), "assume role", "web identity",
    "process", "ecs", "imds", ...

    The repr shows the access key id (an identifier, as in the AWS CLI's output)
    but never the secret access key or the session token.
    """

    access_key_id: str
    secret_access_key: str
    session_token: Optional[str]
    expiration: Optional[_dt.datetime]
    provider: str

    def __repr__(self) -> str:
        token = None if self.session_token is None else REDACTED
        return (f"AwsCredentials(access_key_id={self.access_key_id!r}, "
                f"secret_access_key={REDACTED!r}, session_token={token!r}, "
                f"expiration={self.expiration!r}, provider={self.provider!r})")


@dataclass(frozen=True)
class CallerIdentity:
    """Who the credentials belong to (sts:GetCallerIdentity)."""

    account: str
    arn: str
    user_id: str


@dataclass(frozen=True, repr=False)
class EcrLogin:
    """A registry login from ecr:GetAuthorizationToken.

    ``registry`` is the registry host ("ACCOUNT.dkr.ecr.REGION.amazonaws.com"),
    ``username`` is "AWS" and ``password`` a token valid until ``expires_at`` (an
    aware UTC datetime; ``None`` when the service gave no expiry). The repr hides
    the password.
    """

    registry: str
    username: str
    password: str
    expires_at: Optional[_dt.datetime]

    def __repr__(self) -> str:
        return (f"EcrLogin(registry={self.registry!r}, username={self.username!r}, "
                f"password={REDACTED!r}, expires_at={self.expires_at!r})")


# ---------------------------------------------------------------------------------
# Conversions


def _options(
    *,
    region: Optional[str] = None,
    profile: Optional[str] = None,
    role_arn: Optional[str] = None,
    role_session_name: Optional[str] = None,
    external_id: Optional[str] = None,
    role_duration_seconds: Optional[int] = None,
    ecr_endpoint: Optional[str] = None,
    sts_endpoint: Optional[str] = None,
    ca_bundle: PathArg = None,
) -> AwsOptions:
    """berth_aws_options from the keyword arguments, checked before any call.

    Every function taking the AWS options declares them, typed and keyword-only, in
    this order and passes them here (a test checks the declarations agree with the
    struct's fields). The C struct keeps the bytes it is given alive (ctypes'
    _objects).
    """
    duration = 0
    if role_duration_seconds is not None:
        duration = _convert.as_int(role_duration_seconds, "role_duration_seconds")
        if not 0 <= duration <= _INT64_MAX:
            raise InvalidArgumentError(
                f"role_duration_seconds must be a positive number of seconds (0 or None: the "
                f"default of 3600), not {duration}")
    opts = AwsOptions()
    check(function("berth_aws_options_init")(ctypes.byref(opts), AWS_OPTIONS_VERSION))
    opts.region = _convert.cstr(region, "region", optional=True)
    opts.profile = _convert.cstr(profile, "profile", optional=True)
    opts.role_arn = _convert.cstr(role_arn, "role_arn", optional=True)
    opts.role_session_name = _convert.cstr(role_session_name, "role_session_name", optional=True)
    opts.external_id = _convert.cstr(external_id, "external_id", optional=True)
    opts.role_duration_seconds = duration
    opts.ecr_endpoint = _convert.cstr(ecr_endpoint, "ecr_endpoint", optional=True)
    opts.sts_endpoint = _convert.cstr(sts_endpoint, "sts_endpoint", optional=True)
    opts.ca_bundle = _convert.cpath(ca_bundle, "ca_bundle")
    return opts


def _secrets(*extra: Optional[str]) -> List[Optional[str]]:
    # berth does not echo credentials, but a message may quote a server's reply or
    # a file; the secrets in reach of the chain are scrubbed all the same.
    return [os.environ.get("AWS_SECRET_ACCESS_KEY"), os.environ.get("AWS_SESSION_TOKEN"),
            *extra]


def _call_json(name: str, *args: Any, secrets: List[Optional[str]]) -> Dict[str, Any]:
    """Calls berth_<name>(&out, *args) and returns the JSON object it gave back."""
    fn = function(name)
    out = ctypes.c_void_p()
    rc = fn(ctypes.byref(out), *args)
    check(rc, secrets)
    return _json_reply(name, take_string(out))


def _json_reply(name: str, raw: str) -> Dict[str, Any]:
    """The JSON object berth_<name> gave back ("" is {})."""
    try:
        value = json.loads(raw) if raw.strip() else {}
    except ValueError as e:
        raise ProtocolError(f"{name}: the reply is not JSON: {e}") from None
    if not isinstance(value, dict):
        raise ProtocolError(f"{name}: the reply is not a JSON object")
    return value


def _iso8601(value: Optional[str]) -> Optional[_dt.datetime]:
    if not value:
        return None
    m = _ISO8601.fullmatch(value)
    if not m:
        raise ProtocolError(f"berth_aws_credentials: Expiration {value!r} is not an ISO 8601 "
                            f"UTC time")
    year, month, day, hour, minute, second = map(int, m.groups())
    return _dt.datetime(year, month, day, hour, minute, second, tzinfo=_dt.timezone.utc)


def _epoch(value: Any) -> Optional[_dt.datetime]:
    if not value:
        return None
    return _dt.datetime.fromtimestamp(int(value), tz=_dt.timezone.utc)


def _body(body: JsonBody) -> Optional[bytes]:
    """The request body as UTF-8 JSON text: None stays NULL (berth sends "{}")."""
    if body is None:
        return None
    if not isinstance(body, (_Mapping, bytes, bytearray, str)):
        raise TypeError(f"body must be a dict, str, bytes or None, not {type(body).__name__}")
    text = _convert.json_text(body, "body")
    if not isinstance(body, _Mapping):
        # ECR takes a JSON object; berth passes the text on as it is, so a typo would
        # otherwise reach the service (or a lenient server) unnoticed.
        try:
            parsed = json.loads(text)
        except ValueError as e:
            raise InvalidArgumentError(f"body is not valid JSON: {e}") from None
        if not isinstance(parsed, dict):
            raise InvalidArgumentError(
                f"body must be a JSON object, not {type(parsed).__name__}")
    return text


# ---------------------------------------------------------------------------------
# Calls


def aws_credentials(
    *,
    region: Optional[str] = None,
    profile: Optional[str] = None,
    role_arn: Optional[str] = None,
    role_session_name: Optional[str] = None,
    external_id: Optional[str] = None,
    role_duration_seconds: Optional[int] = None,
    ecr_endpoint: Optional[str] = None,
    sts_endpoint: Optional[str] = None,
    ca_bundle: PathArg = None,
) -> AwsCredentials:
    """Resolves AWS credentials the way the AWS CLI does.

    The chain: environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), web identity
    (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE), GitHub Actions OIDC when a role is
    set, the shared config profile (``profile``, else AWS_PROFILE, else "default":
    static keys, credential_process, roles), ECS, then IMDSv2. With ``role_arn``
    the credentials found are used to assume that role (``role_session_name``,
    ``external_id``, ``role_duration_seconds``; 0 or None means 3600) through STS
    at ``sts_endpoint`` (else AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL / AWS's).

    The result holds secrets; its repr hides them. Raises AuthError when no
    provider has credentials (the message starts with "no AWS credentials found"
    and gives each provider's reason) or one that is configured fails,
    DeniedError, ConfigError (a malformed config file), NotFoundError, ...

    AWS options: ``region``, ``profile`` (of the shared config), ``role_arn`` (a role
    to assume, with ``role_session_name``, ``external_id`` and
    ``role_duration_seconds``), ``ecr_endpoint``/``sts_endpoint`` (else
    AWS_ENDPOINT_URL_ECR/_STS, AWS_ENDPOINT_URL, AWS's) and ``ca_bundle`` (extra
    trusted CAs); None means the environment's or AWS's default.
    """
    opts = _options(region=region, profile=profile, role_arn=role_arn,
                    role_session_name=role_session_name, external_id=external_id,
                    role_duration_seconds=role_duration_seconds, ecr_endpoint=ecr_endpoint,
                    sts_endpoint=sts_endpoint, ca_bundle=ca_bundle)
    d = _call_json("berth_aws_credentials", ctypes.byref(opts), secrets=_secrets())
    token = d.get("SessionToken") or None
    return AwsCredentials(
        access_key_id=str(d.get("AccessKeyId", "")),
        secret_access_key=str(d.get("SecretAccessKey", "")),
        session_token=token,
        expiration=_iso8601(d.get("Expiration")),
        provider=str(d.get("Provider", "")),
    )


def caller_identity(
    *,
    region: Optional[str] = None,
    profile: Optional[str] = None,
    role_arn: Optional[str] = None,
    role_session_name: Optional[str] = None,
    external_id: Optional[str] = None,
    role_duration_seconds: Optional[int] = None,
    ecr_endpoint: Optional[str] = None,
    sts_endpoint: Optional[str] = None,
    ca_bundle: PathArg = None,
) -> CallerIdentity:
    """sts:GetCallerIdentity with the credentials the chain resolves.

    Raises AuthError (no or rejected credentials), DeniedError, NetworkError, ...
    with ``aws_code`` and ``request_id`` set when STS answered.

    The AWS options are ``aws_credentials``'s.
    """
    opts = _options(region=region, profile=profile, role_arn=role_arn,
                    role_session_name=role_session_name, external_id=external_id,
                    role_duration_seconds=role_duration_seconds, ecr_endpoint=ecr_endpoint,
                    sts_endpoint=sts_endpoint, ca_bundle=ca_bundle)
    d = _call_json("berth_aws_caller_identity", ctypes.byref(opts), secrets=_secrets())
    return CallerIdentity(account=str(d.get("Account", "")), arn=str(d.get("Arn", "")),
                          user_id=str(d.get("UserId", "")))


def ecr_login(
    registry: Optional[str] = None,
    *,
    region: Optional[str] = None,
    profile: Optional[str] = None,
    role_arn: Optional[str] = None,
    role_session_name: Optional[str] = None,
    external_id: Optional[str] = None,
    role_duration_seconds: Optional[int] = None,
    ecr_endpoint: Optional[str] = None,
    sts_endpoint: Optional[str] = None,
    ca_bundle: PathArg = None,
) -> EcrLogin:
    """A docker login for an ECR registry (ecr:GetAuthorizationToken).

    ``registry`` is an ECR registry host ("ACCOUNT.dkr.ecr.REGION.amazonaws.com");
    its region is used unless ``region`` is given. ``None`` means the caller's own
    registry in the region. Raises InvalidArgumentError for a host that is not an
    ECR registry, ConfigError when no region is known, AuthError, DeniedError, ...

    The AWS options are ``aws_credentials``'s.
    """
    c_registry = _convert.cstr(registry, "registry", optional=True)
    opts = _options(region=region, profile=profile, role_arn=role_arn,
                    role_session_name=role_session_name, external_id=external_id,
                    role_duration_seconds=role_duration_seconds, ecr_endpoint=ecr_endpoint,
                    sts_endpoint=sts_endpoint, ca_bundle=ca_bundle)
    d = _call_json("berth_ecr_login", c_registry, ctypes.byref(opts), secrets=_secrets())
    return EcrLogin(registry=str(d.get("registry", "")), username=str(d.get("username", "")),
                    password=str(d.get("password", "")), expires_at=_epoch(d.get("expiresAt")))


def ecr_docker_login(
    registry: Optional[str] = None,
    config_path: PathArg = None,
    *,
    region: Optional[str] = None,
    profile: Optional[str] = None,
    role_arn: Optional[str] = None,
    role_session_name: Optional[str] = None,
    external_id: Optional[str] = None,
    role_duration_seconds: Optional[int] = None,
    ecr_endpoint: Optional[str] = None,
    sts_endpoint: Optional[str] = None,
    ca_bundle: PathArg = None,
) -> str:
    """Logs docker in to an ECR registry, like ``aws ecr get-login-password | docker login``.

    Writes the registry's ``auths`` entry (user "AWS" and the token) into docker's
    config.json: ``config_path``, else $DOCKER_CONFIG/config.json, else
    ~/.docker/config.json. The file is replaced atomically and keeps its other
    entries. ``registry`` is as for ``ecr_login`` (``None``: the caller's default
    registry). Returns the path written.

    The AWS options are ``aws_credentials``'s.
    """
    c_registry = _convert.cstr(registry, "registry", optional=True)
    c_config = _convert.cpath(config_path, "config_path")
    opts = _options(region=region, profile=profile, role_arn=role_arn,
                    role_session_name=role_session_name, external_id=external_id,
                    role_duration_seconds=role_duration_seconds, ecr_endpoint=ecr_endpoint,
                    sts_endpoint=sts_endpoint, ca_bundle=ca_bundle)
    d = _call_json("berth_ecr_docker_login", c_registry, c_config, ctypes.byref(opts),
                   secrets=_secrets())
    return str(d.get("path", ""))


def ecr_call(
    operation: str,
    body: JsonBody = None,
    *,
    region: Optional[str] = None,
    profile: Optional[str] = None,
    role_arn: Optional[str] = None,
    role_session_name: Optional[str] = None,
    external_id: Optional[str] = None,
    role_duration_seconds: Optional[int] = None,
    ecr_endpoint: Optional[str] = None,
    sts_endpoint: Optional[str] = None,
    ca_bundle: PathArg = None,
) -> Dict[str, Any]:
    """Calls any ECR API operation and returns its JSON reply as a dict.

    ``operation`` is the API name ("DescribeRepositories", "CreateRepository",
    "PutLifecyclePolicy", ...); ``body`` the request, as a dict (sent as JSON), as
    JSON text (str or bytes, checked to be a JSON object) or None for ``{}``.
    Requests are signed with the credentials the chain resolves; ``ecr_endpoint``
    overrides the endpoint (else AWS_ENDPOINT_URL_ECR / AWS_ENDPOINT_URL / AWS's).

    AWS errors raise the matching BerthError with ``aws_code`` (e.g.
    "RepositoryNotFoundException" as NotFoundError,
    "RepositoryAlreadyExistsException" as AlreadyExistsError) and ``request_id``.

    The AWS options are ``aws_credentials``'s.
    """
    if not isinstance(operation, str):
        raise TypeError(f"operation must be str, not {type(operation).__name__}")
    if not _OPERATION.fullmatch(operation):
        raise InvalidArgumentError(
            f"operation must be an ECR API name such as 'DescribeRepositories', not "
            f"{operation!r}")
    c_body = _body(body)
    opts = _options(region=region, profile=profile, role_arn=role_arn,
                    role_session_name=role_session_name, external_id=external_id,
                    role_duration_seconds=role_duration_seconds, ecr_endpoint=ecr_endpoint,
                    sts_endpoint=sts_endpoint, ca_bundle=ca_bundle)
    return _call_json("berth_ecr_call", operation.encode("ascii"), c_body, ctypes.byref(opts),
                      secrets=_secrets())


__all__ = ["AWS_OPTION_NAMES", "AwsCredentials", "CallerIdentity", "EcrLogin", "aws_credentials",
           "caller_identity", "ecr_call", "ecr_docker_login", "ecr_login"]
