"""Error mapping: every BERTH_E* code of berth.h has its class, details come from
berth_last_error(), and secrets never reach a message."""

import pickle
import re
import threading

import pytest

import berth
from berth import _errors, _lib

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEXAMPLE-session-token-1234567890"
KW = dict(region="us-east-1", service="ecr", access_key="AKIDEXAMPLE", secret_key=SECRET)


def header_codes(text):
    return {name: int(code) for name, code in
            re.findall(r"#define (BERTH_E\w+)\s+\((-\d+)\)", text)}


def test_every_code_in_berth_h_has_its_own_class(berth_header_text):
    codes = header_codes(berth_header_text)
    assert len(codes) >= 20
    assert set(berth.ERROR_CLASSES) == set(codes.values())
    classes = [berth.error_class(c) for c in codes.values()]
    assert len(set(classes)) == len(classes)
    for code, cls in zip(codes.values(), classes):
        assert issubclass(cls, berth.BerthError) and cls is not berth.BerthError
        assert cls.CODE == code
        assert getattr(berth, cls.__name__) is cls
        assert cls.__doc__


@pytest.mark.parametrize("name, code", [
    ("InvalidArgumentError", -1), ("OutOfMemoryError", -2), ("BerthIOError", -3),
    ("NetworkError", -4), ("BerthTimeoutError", -5), ("AuthError", -6), ("DeniedError", -7),
    ("NotFoundError", -8), ("AlreadyExistsError", -9), ("DigestMismatchError", -10),
    ("ProtocolError", -11), ("UnsupportedError", -12), ("CancelledError", -13),
    ("TooLargeError", -14), ("ThrottledError", -15), ("ConfigError", -16), ("UnsafeError", -17),
    ("GateFailedError", -18), ("ServerError", -19), ("BuildFailedError", -20), ("InternalError", -99),
])
def test_public_names(name, code):
    assert getattr(berth, name).CODE == code
    assert getattr(berth, name)("x").code == code


def test_unknown_code_gets_the_base_class():
    err = _errors.make_error(-1234, "from a newer library")
    assert type(err) is berth.BerthError
    assert err.code == -1234


def test_bad_url_scheme_is_invalid_argument():
    with pytest.raises(berth.InvalidArgumentError) as info:
        berth.sign_request("GET", "ftp://example.com/", {}, **KW)
    err = info.value
    assert isinstance(err, berth.BerthError)
    assert err.code == -1
    assert "scheme" in err.message and err.message == str(err)
    assert err.http_status is None and err.aws_code is None and err.request_id is None


@pytest.mark.parametrize("url, kw, words", [
    ("https://example.com/", dict(region=""), "region"),
    ("https://example.com/", dict(service=""), "service"),
    ("https://example.com/", dict(presign_expires=604801), "604800"),
    ("example.com/", {}, "scheme"),
    ("https:///path", {}, "host"),
])
def test_library_messages_reach_the_exception(url, kw, words):
    with pytest.raises(berth.InvalidArgumentError, match=words):
        berth.sign_request("GET", url, {}, **{**KW, **kw})


def test_error_details_come_from_berth_last_error():
    opts = _lib.SignOptions()
    rc = _lib.lib().berth_sign_options_init(opts, 999)
    with pytest.raises(berth.InvalidArgumentError, match="version"):
        _lib.check(rc)


@pytest.mark.parametrize("url", [
    f"ftp://AKIDEXAMPLE:{SECRET}@example.com/",
    f"https://user:{SECRET}@/nohost",
    f"gopher://example.com/?X-Amz-Security-Token={TOKEN}&k={SECRET}",
])
def test_secrets_never_appear_in_messages(url):
    with pytest.raises(berth.BerthError) as info:
        berth.sign_request("GET", url, {"X-Token": TOKEN}, **KW, session_token=TOKEN)
    err = info.value
    for text in (str(err), repr(err), err.message, *err.args):
        assert SECRET not in text and TOKEN not in text
        assert "<redacted>" in text


def test_secrets_with_nul_are_refused_without_echoing_them():
    with pytest.raises(berth.InvalidArgumentError) as info:
        berth.sign_request("GET", "https://example.com/", {}, **{**KW, "secret_key": SECRET + "\0"})
    assert SECRET not in str(info.value) and "secret_key" in str(info.value)


def test_redact_hides_url_passwords_and_given_secrets():
    text = "bad: https://me:hunter2@example.com/?t=abcd"
    assert _errors.redact(text, ["abcd"]) == "bad: https://me:<redacted>@example.com/?t=<redacted>"
    assert _errors.redact("nothing to hide", [None, ""]) == "nothing to hide"


def test_str_carries_http_details():
    err = berth.DeniedError("not allowed", http_status=403, aws_code="AccessDenied",
                            request_id="req-1")
    assert err.code == -7
    assert str(err) == "not allowed (HTTP 403, AccessDenied, request id req-1)"


def test_errors_pickle_with_their_details():
    err = berth.ThrottledError("slow down", http_status=429, aws_code="ThrottlingException")
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is berth.ThrottledError
    assert (copy.code, copy.message, copy.http_status, copy.aws_code, copy.request_id) == \
        (-15, "slow down", 429, "ThrottlingException", None)


def test_last_error_is_per_thread():
    """A failure on one thread must not be reported with another thread's message."""
    failures = []

    def fail():
        for _ in range(200):
            try:
                berth.sign_request("GET", "ftp://x/", {}, **KW)
            except berth.InvalidArgumentError as e:
                if "scheme" not in e.message:
                    failures.append(e.message)

    def succeed():
        for _ in range(200):
            berth.sign_request("GET", "https://example.com/", {}, **KW)
            try:
                berth.sign_request("GET", "https://example.com/", {}, **{**KW, "region": ""})
            except berth.InvalidArgumentError as e:
                if "region" not in e.message:
                    failures.append(e.message)

    threads = [threading.Thread(target=f) for f in (fail, succeed, fail, succeed)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_library_errors_are_import_errors():
    assert issubclass(berth.BerthLibraryError, ImportError)
    assert issubclass(berth.AbiMismatchError, berth.BerthLibraryError)
