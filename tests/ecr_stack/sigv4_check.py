"""SigV4 verification for the hand-written AWS API stand-ins (ecr_public.py's
``EcrPublicApi``, ecr_stack.py's ``EcrControlPlane``).

The signature is recomputed with botocore's own signer from the caller's secret key,
so whatever the AWS CLI / boto3 / berth sign is judged by the same code that signs
for them.  Only the ``Authorization`` header form (what SDKs send to JSON APIs) is
understood; pre-signed query strings are not.
"""

from __future__ import annotations

import datetime
import secrets
import time

#: how far X-Amz-Date may be from now (AWS allows 5 minutes)
MAX_SKEW = 300


def parse_authorization(value: str) -> dict[str, str] | None:
    """The fields of an ``AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...``
    header (``None`` for any other scheme)."""
    if not value.startswith("AWS4-HMAC-SHA256 "):
        return None
    fields: dict[str, str] = {}
    for part in value[len("AWS4-HMAC-SHA256 "):].split(","):
        k, sep, v = part.strip().partition("=")
        if sep:
            fields[k] = v
    return fields


def check_sigv4(method: str, path: str, headers: dict[str, str], body: bytes,
                keys: dict[str, str], service: str, region: str,
                max_skew: float = MAX_SKEW) -> tuple[str | None, str | None, str | None]:
    """(access key id, credential scope, error code or None) of a request.

    ``headers`` must have lower-case names; ``path`` is the request target as sent
    (path and query); ``keys`` maps access key ids to secret keys.  Error codes are
    AWS's: ``MissingAuthenticationTokenException`` (no SigV4 header),
    ``UnrecognizedClientException`` (unknown key), ``IncompleteSignatureException``
    (bad X-Amz-Date), ``InvalidSignatureException`` (wrong signature, wrong scope --
    another service or region -- or a date too far off)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    fields = parse_authorization(headers.get("authorization", ""))
    if fields is None:
        return None, None, "MissingAuthenticationTokenException"
    akid, _, scope = fields.get("Credential", "").partition("/")
    secret = keys.get(akid)
    if secret is None:
        return akid, scope, "UnrecognizedClientException"
    signed = fields.get("SignedHeaders", "").split(";")
    host = headers.get("host", "")
    request = AWSRequest(method=method, url="http://%s%s" % (host, path), data=body,
                         headers={k: headers[k] for k in signed if k in headers})
    amz_date = headers.get("x-amz-date", "")
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(akid, secret, headers.get("x-amz-security-token")),
                       service, region)
    expected_scope = "%s/%s/%s/aws4_request" % (amz_date[:8], region, service)
    canonical = signer.canonical_request(request)
    want = signer.signature(signer.string_to_sign(request, canonical), request)
    if scope != expected_scope or not secrets.compare_digest(want, fields.get("Signature", "")):
        return akid, scope, "InvalidSignatureException"
    try:
        when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc)
    except ValueError:
        return akid, scope, "IncompleteSignatureException"
    if abs(time.time() - when.timestamp()) > max_skew:
        return akid, scope, "InvalidSignatureException"
    return akid, scope, None


def signature_message(code: str) -> str:
    """AWS's message for a ``check_sigv4`` error code."""
    if code == "UnrecognizedClientException":
        return "The security token included in the request is invalid."
    if code == "MissingAuthenticationTokenException":
        return "Missing Authentication Token"
    return ("The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service "
            "documentation for details.")
