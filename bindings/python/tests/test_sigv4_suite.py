"""All 38 cases of the AWS SigV4 suite, header and query mode, through berth.sign_request.

Canonical request, string to sign and signature are compared byte for byte; the
signed request's headers and URL are compared the way the suite's README says
(header order and query order do not matter).
"""

from urllib.parse import urlsplit

import pytest

import berth
import _suite

CASES = _suite.case_names()


def test_suite_has_all_38_cases():
    assert len(CASES) == 38


def _sign(case: _suite.Case, mode: str) -> berth.SignedRequest:
    ctx, creds = case.context, case.context["credentials"]
    presign = mode == "query"
    return berth.sign_request(
        case.request.method,
        case.url,
        case.request.headers,
        case.request.body,
        region=ctx["region"],
        service=ctx["service"],
        access_key=creds["access_key_id"],
        secret_key=creds["secret_access_key"],
        session_token=creds.get("token"),
        # Both accepted forms of timestamp get the whole suite: the wire form in
        # header mode, a naive (UTC) datetime in query mode.
        timestamp=case.timestamp if presign else case.timestamp.strftime("%Y%m%dT%H%M%SZ"),
        presign_expires=ctx["expiration_in_seconds"] if presign else None,
        # The suite adds x-amz-content-sha256 only in header mode (see README.md).
        content_sha256_header=ctx["sign_body"] and not presign,
        normalize_path=ctx["normalize"],
        sign_session_token=not ctx.get("omit_session_token", False),
    )


@pytest.mark.parametrize("mode", ["header", "query"])
@pytest.mark.parametrize("name", CASES)
def test_suite_case(name, mode):
    case = _suite.load(name)
    signed = _sign(case, mode)

    assert signed.canonical_request == _suite.expected(case.dir / f"{mode}-canonical-request.txt")
    assert signed.string_to_sign == _suite.expected(case.dir / f"{mode}-string-to-sign.txt")
    assert signed.signature == _suite.expected(case.dir / f"{mode}-signature.txt")

    want = _suite.parse_message((case.dir / f"{mode}-signed-request.txt").read_bytes())
    assert signed.method == want.method
    assert sorted((n.lower(), v) for n, v in signed.headers) == \
        sorted((n.lower(), v) for n, v in want.headers)
    assert _suite.path_of(urlsplit(signed.url).path) == _suite.path_of(want.target)
    assert _suite.query_params(signed.url) == _suite.query_params(want.target)
    if mode == "query":
        assert f"X-Amz-Signature={signed.signature}" in signed.url
        assert signed.header("Authorization") is None
    else:
        assert signed.header("Authorization").endswith(f"Signature={signed.signature}")
