"""CI pipeline steps: tags, ECR repositories, lifecycle policies and scan gates.

libberth takes and returns JSON for these (berth_tags_compute, berth_ecr_*,
berth_lifecycle_policy_*); this module builds the requests from keyword arguments
and hands the replies back as dicts (or a dataclass for tags). The ECR calls take
the same keyword-only AWS options as ``berth.ecr_call`` (see ``berth._aws``).
"""

from __future__ import annotations

import ctypes
import json
from collections.abc import Mapping as _Mapping
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Mapping, Optional, Sequence, Tuple, Union

from . import _convert
from ._aws import PathArg, _call_json, _json_reply, _options, _secrets
from ._copy import string_list
from ._errors import GateFailedError, InvalidArgumentError
from ._lib import check, function, take_string

_INT32_MAX = 2**31 - 1
_INT64_MAX = 2**63 - 1

#: A lifecycle policy as a dict or as JSON text.
Policy = Union[Mapping[str, Any], str, bytes, bytearray]


@dataclass(frozen=True)
class TagResult:
    """Tags computed with docker/metadata-action semantics.

    ``tags`` in order (the first is the main one), ``version`` the version they
    derive from (e.g. "1.2.3" for a v1.2.3 tag push) and ``labels`` the OCI labels
    (org.opencontainers.image.*) describing the source.
    """

    tags: Tuple[str, ...]
    version: str
    labels: Dict[str, str] = field(default_factory=dict)


def _int32(value: object, what: str, *, minimum: int = 0) -> int:
    n = _convert.as_int(value, what)
    if not minimum <= n <= _INT32_MAX:
        raise InvalidArgumentError(f"{what} must be between {minimum} and {_INT32_MAX}, not {n}")
    return n


# ---------------------------------------------------------------------------------
# Tags


def tags_compute(
    rules: Iterable[str] = (),
    *,
    latest: str = "auto",
    prefix: str = "",
    suffix: str = "",
    context: Optional[Mapping[str, Any]] = None,
) -> TagResult:
    """Image tags from CI metadata, as docker/metadata-action computes them.

    ``rules`` are metadata-action tag rules ("type=ref,event=branch",
    "type=semver,pattern={{version}}", "type=sha", ...; none: its defaults).
    ``latest`` is "auto", "true" or "false"; ``prefix``/``suffix`` wrap every tag.
    ``context`` describes the build: {"event", "ref", "sha", "default_branch",
    "repository", "server_url", "created" (seconds since the epoch)}; None reads
    GitHub Actions' GITHUB_* environment variables.
    """
    request: Dict[str, Any] = {
        "rules": [r.decode("utf-8") for r in string_list(rules, "rules")],
        "latest": latest,
        "prefix": prefix,
        "suffix": suffix,
    }
    for what, v in (("latest", latest), ("prefix", prefix), ("suffix", suffix)):
        _convert.cstr(v, what)
    if context is not None:
        if not isinstance(context, _Mapping):
            raise TypeError(f"context must be a dict or None, not {type(context).__name__}")
        request["context"] = dict(context)
    body = _convert.json_text(request, "tags request")
    out = ctypes.c_void_p()
    rc = function("berth_tags_compute")(ctypes.byref(out), body)
    check(rc)
    d = _json_reply("berth_tags_compute", take_string(out))
    return TagResult(tags=tuple(str(t) for t in d.get("tags", [])),
                     version=str(d.get("version", "")),
                     labels={str(k): str(v) for k, v in (d.get("labels") or {}).items()})


# ---------------------------------------------------------------------------------
# Lifecycle policies (local)


def lifecycle_policy_shorthand(keep_last: Optional[int] = None,
                               expire_untagged_days: Optional[int] = None) -> str:
    """An ECR lifecycle policy (JSON text) from the shorthand.

    ``keep_last`` keeps that many most recent images (tagged or not), and
    ``expire_untagged_days`` expires untagged images older than that many days;
    None leaves a rule out. At least one is needed.
    """
    keep = 0 if keep_last is None else _int32(keep_last, "keep_last", minimum=1)
    days = 0 if expire_untagged_days is None else _int32(expire_untagged_days,
                                                          "expire_untagged_days", minimum=1)
    if not keep and not days:
        raise InvalidArgumentError("lifecycle_policy_shorthand needs keep_last or "
                                   "expire_untagged_days")
    out = ctypes.c_void_p()
    rc = function("berth_lifecycle_policy_shorthand")(ctypes.byref(out), keep, days)
    check(rc)
    return take_string(out)


def lifecycle_policy_with_build_cache(policy: Optional[Policy] = None, *, days: int,
                                      tag_prefix: str = "buildcache") -> str:
    """``policy`` (dict or JSON text; None or "": no rules yet) with a build cache rule
    put first, as JSON text.

    Images tagged with ``tag_prefix`` (the default is ``build_dockerfile``'s cache_to
    tag, "buildcache") expire when not pushed for ``days`` days. Each build replaces
    its cache tag, so a cache in use is never that old. The other rules' priorities
    move up by one: as priority 1, the rule keeps cache images out of every other rule
    (a keep_last count never counts them). The result is validated; pass it to
    ``ecr_put_lifecycle_policy``.

    Raises InvalidArgumentError for days < 1, an empty or over-long prefix, or a policy
    ECR would refuse; UnsupportedError when the loaded libberth predates this call.
    """
    n = _int32(days, "days", minimum=1)
    c_policy = None if policy is None else _convert.json_text(policy, "policy")
    c_prefix = _convert.cstr(tag_prefix, "tag_prefix")
    if not c_prefix:
        raise InvalidArgumentError("tag_prefix must not be empty")
    fn = function("berth_lifecycle_policy_with_build_cache")
    out = ctypes.c_void_p()
    check(fn(ctypes.byref(out), c_policy, n, c_prefix))
    return take_string(out)


def lifecycle_policy_validate(policy: Policy) -> None:
    """Checks a lifecycle policy (dict or JSON text) against ECR's rules.

    Raises InvalidArgumentError naming the rule and field at fault.
    """
    check(function("berth_lifecycle_policy_validate")(_convert.json_text(policy, "policy")))


# ---------------------------------------------------------------------------------
# ECR


def ecr_ensure_repository(
    name: str,
    *,
    scan_on_push: bool = False,
    immutable: bool = False,
    mutability_exclusions: Sequence[str] = (),
    encryption: Optional[str] = None,
    kms_key: Optional[str] = None,
    apply: bool = False,
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
    """Describes the ECR repository ``name`` and creates it, with these settings, when missing.

    ``mutability_exclusions`` are ECR wildcard tag filters ("latest", "dev-*") that
    keep the other mutability (IMMUTABLE_WITH_EXCLUSION with ``immutable``).
    ``encryption`` is "AES256" or "KMS" (with ``kms_key``). An existing repository
    whose settings differ is reported in "differences"; with ``apply`` the
    settings that can change (scan on push, tag mutability and its exclusions)
    are updated.

    Returns {"created": bool, "uri": "...", "differences": [...], "updated": bool}.

    The AWS options are ``berth.aws_credentials``'s.
    """
    c_name = _convert.cstr(name, "name")
    settings: Dict[str, Any] = {"scanOnPush": bool(scan_on_push), "immutable": bool(immutable)}
    if isinstance(mutability_exclusions, (str, bytes)):
        raise TypeError("mutability_exclusions must be a sequence of strings")
    exclusions = list(mutability_exclusions)
    for f in exclusions:
        _convert.cstr(f, "mutability_exclusions")
    if exclusions:
        settings["mutabilityExclusions"] = exclusions
    if encryption is not None:
        _convert.cstr(encryption, "encryption")
        settings["encryption"] = encryption
    if kms_key is not None:
        _convert.cstr(kms_key, "kms_key")
        settings["kmsKey"] = kms_key
    c_settings = _convert.json_text(settings, "settings")
    opts = _options(region=region, profile=profile, role_arn=role_arn,
                    role_session_name=role_session_name, external_id=external_id,
                    role_duration_seconds=role_duration_seconds, ecr_endpoint=ecr_endpoint,
                    sts_endpoint=sts_endpoint, ca_bundle=ca_bundle)
    return _call_json("berth_ecr_ensure_repository", c_name, c_settings, int(bool(apply)),
                      ctypes.byref(opts), secrets=_secrets())


def ecr_ensure_pull_through_cache(
    prefix: str,
    upstream_url: str,
    *,
    credential_arn: Optional[str] = None,
    apply: bool = False,
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
    """Makes the repository prefix ``prefix`` an ECR pull-through cache of the registry
    ``upstream_url`` (created when missing).

    An existing rule with another upstream is reported in "differences" (it cannot
    change); another ``credential_arn`` (a Secrets Manager ARN) is changed with
    ``apply``. Returns {"created", "uri": "<registry>/<prefix>", "differences",
    "updated"}; "uri" is what a mirror points at (``copy(mirrors=[...])``).

    The AWS options are ``berth.aws_credentials``'s.
    """
    rule = {"prefix": prefix, "upstreamUrl": upstream_url}
    if credential_arn is not None:
        rule["credentialArn"] = credential_arn
    for k, v in rule.items():
        _convert.cstr(v, k)
    opts = _options(region=region, profile=profile, role_arn=role_arn,
                    role_session_name=role_session_name, external_id=external_id,
                    role_duration_seconds=role_duration_seconds, ecr_endpoint=ecr_endpoint,
                    sts_endpoint=sts_endpoint, ca_bundle=ca_bundle)
    return _call_json("berth_ecr_ensure_pull_through_cache", _convert.json_text(rule, "rule"),
                      int(bool(apply)), ctypes.byref(opts), secrets=_secrets())


def ecr_ensure_creation_template(
    prefix: str,
    *,
    applied_for: Sequence[str],
    immutable: bool = False,
    mutability_exclusions: Sequence[str] = (),
    encryption: Optional[str] = None,
    kms_key: Optional[str] = None,
    lifecycle_policy: Union[str, Mapping[str, Any], None] = None,
    description: Optional[str] = None,
    apply: bool = False,
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
    """The settings ECR gives repositories under ``prefix`` ("ROOT": all) that it
    creates itself, for ``applied_for`` ("CREATE_ON_PUSH", "PULL_THROUGH_CACHE",
    "REPLICATION"): created when missing, differences reported and changed with
    ``apply``. ``lifecycle_policy`` is JSON text or a mapping, validated as for
    ``ecr_put_lifecycle_policy``. Returns {"created", "uri": prefix, "differences",
    "updated"}.

    The AWS options are ``berth.aws_credentials``'s.
    """
    for name, value in (("applied_for", applied_for),
                        ("mutability_exclusions", mutability_exclusions)):
        if isinstance(value, (str, bytes)):
            raise TypeError(f"{name} must be a sequence of strings")
    template: Dict[str, Any] = {"prefix": prefix, "appliedFor": list(applied_for),
                                "immutable": bool(immutable),
                                "mutabilityExclusions": list(mutability_exclusions)}
    for key, optional in (("encryption", encryption), ("kmsKey", kms_key),
                          ("description", description)):
        if optional is not None:
            template[key] = optional
    if lifecycle_policy is not None:
        template["lifecyclePolicy"] = (lifecycle_policy if isinstance(lifecycle_policy, str)
                                       else json.dumps(dict(lifecycle_policy)))
    text = _convert.json_text(template, "template")
    opts = _options(region=region, profile=profile, role_arn=role_arn,
                    role_session_name=role_session_name, external_id=external_id,
                    role_duration_seconds=role_duration_seconds, ecr_endpoint=ecr_endpoint,
                    sts_endpoint=sts_endpoint, ca_bundle=ca_bundle)
    return _call_json("berth_ecr_ensure_creation_template", text, int(bool(apply)),
                      ctypes.byref(opts), secrets=_secrets())


def ecr_lifecycle_preview(
    repository: str,
    policy: Policy,
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
    """The images of ``repository`` that ``policy`` would expire now.

    Returns {"images": [{"digest", "tags", "pushedAt", "rulePriority", "unit"}],
    "total": N} (``total`` counts all images of the repository). An index, its
    children and the referrers of any of them are one unit, judged by its top image
    ("unit") and expiring together. Nothing is changed.

    The AWS options are ``berth.aws_credentials``'s.
    """
    c_repo = _convert.cstr(repository, "repository")
    c_policy = _convert.json_text(policy, "policy")
    opts = _options(region=region, profile=profile, role_arn=role_arn,
                    role_session_name=role_session_name, external_id=external_id,
                    role_duration_seconds=role_duration_seconds, ecr_endpoint=ecr_endpoint,
                    sts_endpoint=sts_endpoint, ca_bundle=ca_bundle)
    return _call_json("berth_ecr_lifecycle_preview", c_repo, c_policy, ctypes.byref(opts),
                      secrets=_secrets())


def ecr_put_lifecycle_policy(
    repository: str,
    policy: Policy,
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
) -> None:
    """Validates ``policy`` (InvalidArgumentError), then sets it on ``repository``.

    The AWS options are ``berth.aws_credentials``'s.
    """
    c_repo = _convert.cstr(repository, "repository")
    c_policy = _convert.json_text(policy, "policy")
    opts = _options(region=region, profile=profile, role_arn=role_arn,
                    role_session_name=role_session_name, external_id=external_id,
                    role_duration_seconds=role_duration_seconds, ecr_endpoint=ecr_endpoint,
                    sts_endpoint=sts_endpoint, ca_bundle=ca_bundle)
    rc = function("berth_ecr_put_lifecycle_policy")(c_repo, c_policy, ctypes.byref(opts))
    check(rc, _secrets())


def ecr_scan_gate(
    repository: str,
    image: str,
    *,
    fail_on: str = "CRITICAL",
    max: int = 0,  # noqa: A002 - the gate's own word,
    timeout_seconds: Optional[int] = None,
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
    """Fails when the image's scan has more than ``max`` findings at or above ``fail_on``.

    ``image`` is a tag or "sha256:...". A scan is started when none exists and
    awaited up to ``timeout_seconds`` (None: the library's default,
    ``berth.defaults()["scanTimeoutSeconds"]``; BerthTimeoutError after that).
    ``fail_on`` is a severity: "CRITICAL", "HIGH", "MEDIUM", "LOW",
    "INFORMATIONAL" or "UNDEFINED".

    Returns {"status", "counts": {severity: n}, "counted": n, "passed": True,
    "table": "markdown"}. When the gate fails, raises GateFailedError whose
    ``result`` is that dict (with "passed": False).

    The AWS options are ``berth.aws_credentials``'s.
    """
    c_repo = _convert.cstr(repository, "repository")
    c_image = _convert.cstr(image, "image")
    c_fail_on = _convert.cstr(fail_on, "fail_on")
    limit = _int32(max, "max")
    timeout = 0  # the library's default
    if timeout_seconds is not None:
        timeout = _convert.as_int(timeout_seconds, "timeout_seconds")
        if not 1 <= timeout <= _INT64_MAX:
            raise InvalidArgumentError(f"timeout_seconds must be at least 1, not {timeout}")
    opts = _options(region=region, profile=profile, role_arn=role_arn,
                    role_session_name=role_session_name, external_id=external_id,
                    role_duration_seconds=role_duration_seconds, ecr_endpoint=ecr_endpoint,
                    sts_endpoint=sts_endpoint, ca_bundle=ca_bundle)
    out = ctypes.c_void_p()
    rc = function("berth_ecr_scan_gate")(ctypes.byref(out), c_repo, c_image, c_fail_on, limit,
                                         timeout, ctypes.byref(opts))
    if rc != 0 and rc != GateFailedError.CODE:
        take_string(out)  # NULL on other failures; freed all the same
        check(rc, _secrets())
    # berth sets out_json for a failed gate too: the findings travel with the error.
    # The string is taken (and freed) before check(): take_string makes no berth
    # call that would overwrite the thread's last error.
    raw = take_string(out)
    try:
        check(rc, _secrets())
    except GateFailedError as e:
        e.result = _json_reply("berth_ecr_scan_gate", raw) if raw else None
        raise
    return _json_reply("berth_ecr_scan_gate", raw)


__all__ = ["Policy", "TagResult", "ecr_ensure_creation_template",
           "ecr_ensure_pull_through_cache", "ecr_ensure_repository", "ecr_lifecycle_preview",
           "ecr_put_lifecycle_policy", "ecr_scan_gate", "lifecycle_policy_shorthand",
           "lifecycle_policy_validate", "lifecycle_policy_with_build_cache", "tags_compute"]
