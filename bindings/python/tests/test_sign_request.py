"""berth.sign_request's Python surface: argument forms, options, result shape."""

import dataclasses
import datetime
import hashlib
import threading
from urllib.parse import parse_qs, urlsplit

import pytest

import berth

UTC = datetime.timezone.utc
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
KW = dict(region="us-east-1", service="service", access_key="AKIDEXAMPLE", secret_key=SECRET,
          timestamp="20150830T123600Z")
URL = "https://example.amazonaws.com/"
# get-vanilla of the AWS suite.
VANILLA = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"


def sign(method="GET", url=URL, headers=None, body=b"", **kw):
    return berth.sign_request(method, url, headers if headers is not None else {}, body,
                              **{**KW, **kw})


def test_known_signature_and_added_headers():
    r = sign(headers={"Host": "example.amazonaws.com"})
    assert r.signature == VANILLA
    assert r.method == "GET" and r.url == URL
    assert [n for n, _ in r.headers] == ["Host", "X-Amz-Date", "Authorization"]
    assert r.header("x-amz-date") == "20150830T123600Z"
    assert r.header("authorization") == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        f"SignedHeaders=host;x-amz-date, Signature={VANILLA}")
    assert r.canonical_request.startswith("GET\n/\n\nhost:example.amazonaws.com\n")
    assert r.string_to_sign.startswith("AWS4-HMAC-SHA256\n20150830T123600Z\n")


def test_host_is_added_from_the_url():
    r = sign(headers={})
    assert r.headers[0] == ("Host", "example.amazonaws.com")
    assert r.signature == VANILLA


@pytest.mark.parametrize("form", [
    lambda h: dict(h),
    lambda h: list(h),
    lambda h: tuple(h),
    lambda h: iter(h),
])
def test_headers_as_mapping_or_pairs(form):
    pairs = [("Host", "example.amazonaws.com"), ("My-Header1", "value1"), ("X-B", " b  c ")]
    r = sign(headers=form(pairs))
    assert r.headers[:3] == pairs  # given headers first, in their order, as given
    assert r.signature == sign(headers=pairs).signature
    assert "my-header1:value1\n" in r.canonical_request and "x-b:b c\n" in r.canonical_request


def test_repeated_headers_need_pairs():
    r = sign(headers=[("Host", "example.amazonaws.com"), ("My-Header1", "a"), ("My-Header1", "b")])
    assert "my-header1:a,b\n" in r.canonical_request


@pytest.mark.parametrize("headers, error", [
    ("Host: x", TypeError),
    ([("Host",)], TypeError),
    ([("Host", 3)], TypeError),
    ([(b"Host", "x")], TypeError),
    ({"X-A": "a\0b"}, berth.InvalidArgumentError),
    ({"Bad Name": "x"}, berth.InvalidArgumentError),
    ({"X-A": "a\nInjected: 1"}, berth.InvalidArgumentError),
])
def test_bad_headers(headers, error):
    with pytest.raises(error):
        sign(headers=headers)


@pytest.mark.parametrize("when", [
    "20150830T123600Z",
    datetime.datetime(2015, 8, 30, 12, 36),
    datetime.datetime(2015, 8, 30, 12, 36, 0, 999999),
    datetime.datetime(2015, 8, 30, 12, 36, tzinfo=UTC),
    datetime.datetime(2015, 8, 30, 14, 36, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
])
def test_timestamp_forms_agree(when):
    assert sign(timestamp=when).signature == VANILLA


def test_timestamp_defaults_to_now():
    before = datetime.datetime.now(UTC).replace(microsecond=0)
    r = sign(timestamp=None)
    after = datetime.datetime.now(UTC)
    signed_at = datetime.datetime.strptime(r.header("X-Amz-Date"), "%Y%m%dT%H%M%SZ")
    assert before <= signed_at.replace(tzinfo=UTC) <= after


@pytest.mark.parametrize("when, error", [
    ("2015-08-30T12:36:00Z", berth.InvalidArgumentError),
    ("20151330T123600Z", berth.InvalidArgumentError),
    (datetime.datetime(1970, 1, 1), berth.InvalidArgumentError),
    (1440938160, TypeError),
    (datetime.date(2015, 8, 30), TypeError),
])
def test_bad_timestamps(when, error):
    with pytest.raises(error):
        sign(timestamp=when)


def test_presign_puts_the_signature_in_the_url():
    r = sign(presign_expires=300, session_token="TOKEN/+=")
    query = parse_qs(urlsplit(r.url).query)
    assert query["X-Amz-Signature"] == [r.signature]
    assert query["X-Amz-Expires"] == ["300"]
    assert query["X-Amz-Security-Token"] == ["TOKEN/+="]
    assert f"X-Amz-Signature={r.signature}" in r.url
    assert r.header("Authorization") is None and r.header("X-Amz-Date") is None


@pytest.mark.parametrize("expires, error", [
    (0, berth.InvalidArgumentError),
    (-1, berth.InvalidArgumentError),
    (604801, berth.InvalidArgumentError),
    (True, TypeError),
    (1.5, TypeError),
])
def test_bad_presign_expiry(expires, error):
    with pytest.raises(error):
        sign(presign_expires=expires)


def test_body_as_bytes_or_str_and_content_sha256_header():
    body = "Param1=välue1"
    digest = hashlib.sha256(body.encode()).hexdigest()
    as_str = sign("POST", body=body, content_sha256_header=True)
    as_bytes = sign("POST", body=body.encode(), content_sha256_header=True)
    as_view = sign("POST", body=memoryview(bytearray(body.encode())), content_sha256_header=True)
    assert as_str == as_bytes == as_view
    assert as_str.header("x-amz-content-sha256") == digest
    assert as_str.canonical_request.endswith("\n" + digest)
    assert "x-amz-content-sha256" in as_str.header("Authorization")


def test_body_with_nul_bytes_is_hashed_whole():
    body = b"a\0b"
    r = sign("PUT", body=body)
    assert r.canonical_request.endswith(hashlib.sha256(body).hexdigest())


def test_unsigned_payload_and_payload_hash():
    assert sign(body=b"x", unsigned_payload=True).canonical_request.endswith("\nUNSIGNED-PAYLOAD")
    given = "ab" * 32
    assert sign(body=b"x", payload_hash=given).canonical_request.endswith("\n" + given)


def test_double_encode_and_normalize_path():
    url = "https://example.amazonaws.com/a//b/%2F/../c"
    canonical_path = lambda r: r.canonical_request.split("\n")[1]  # noqa: E731
    assert canonical_path(sign(url=url)) == "/a/b/c"
    assert canonical_path(sign(url=url, normalize_path=False, double_encode=False)) == \
        "/a//b/%2F/../c"
    assert canonical_path(sign(url=url, normalize_path=False)) == "/a//b/%252F/../c"


def test_unsigned_session_token():
    r = sign(session_token="TOKEN", sign_session_token=False)
    assert r.header("X-Amz-Security-Token") == "TOKEN"
    assert "x-amz-security-token" not in r.header("Authorization")
    assert r.signature == VANILLA
    signed = sign(session_token="TOKEN")
    assert "x-amz-security-token" in signed.header("Authorization")


def test_result_is_frozen_and_repr_hides_the_token():
    r = sign(session_token="SECRET-TOKEN")
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.url = "https://elsewhere/"
    assert "SECRET-TOKEN" not in repr(r) and SECRET not in repr(r)
    p = sign(session_token="SECRET-TOKEN", presign_expires=60)
    assert "SECRET-TOKEN" not in repr(p) and p.signature in repr(p)


def test_method_is_uppercased_and_url_is_wire_form():
    r = sign("get", url="https://example.amazonaws.com/a b/ሴ?x=1")
    assert r.method == "GET"
    assert r.url == "https://example.amazonaws.com/a%20b/%E1%88%B4?x=1"


def test_required_keywords():
    with pytest.raises(TypeError):
        berth.sign_request("GET", URL, {}, region="r", service="s", access_key="a")  # noqa
    with pytest.raises(TypeError):
        berth.sign_request("GET", URL, {}, b"", "us-east-1")  # keywords only


def test_signing_from_many_threads():
    results, errors = [], []

    def work():
        try:
            for _ in range(100):
                results.append(sign(headers={"Host": "example.amazonaws.com"}).signature)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and set(results) == {VANILLA} and len(results) == 800
