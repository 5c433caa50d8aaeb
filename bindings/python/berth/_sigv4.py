"""AWS Signature Version 4 through berth_sign_request.

The signer itself is libberth's (tested against the AWS suite in C++); this module
only converts arguments, fills berth_sign_options and copies the result out, so
that Python, Go and C sign byte for byte alike.
"""

from __future__ import annotations

import ctypes
import datetime as _dt
import re
from dataclasses import dataclass
from typing import List, Optional, Tuple, Union

from . import _convert
from ._errors import REDACTED, InvalidArgumentError
from ._lib import (SIGN_OPTIONS_VERSION, Header, SignedRequestHandle, SignedRequestP, SignOptions,
                   check, lib)

_TOKEN = "x-amz-security-token"


@dataclass(frozen=True, repr=False)
class SignedRequest:
    """A signed request as it must be sent, plus each signing stage.

    ``headers`` are the given headers followed by those signing added (Host when it
    was missing, X-Amz-Date, X-Amz-Security-Token, x-amz-content-sha256,
    Authorization), in send order. The stages are there to debug a
    SignatureDoesNotMatch against the canonical request AWS returns.
    """

    method: str
    url: str
    headers: List[Tuple[str, str]]
    canonical_request: str
    string_to_sign: str
    signature: str

    def header(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """The first header of that name, compared case-insensitively."""
        lname = name.lower()
        return next((v for n, v in self.headers if n.lower() == lname), default)

    def __repr__(self) -> str:
        # Reprs end up in logs; a session token is a credential, so it is masked.
        headers = [(n, REDACTED if n.lower() == _TOKEN else v) for n, v in self.headers]
        return (f"SignedRequest(method={self.method!r}, url={_mask_token(self.url)!r}, "
                f"headers={headers!r}, signature={self.signature!r})")


_TOKEN_PARAM = re.compile(r"([?&]X-Amz-Security-Token=)[^&#]*", re.IGNORECASE)


def _mask_token(url: str) -> str:
    return _TOKEN_PARAM.sub(r"\g<1>" + REDACTED, url)


def sign_request(
    method: str,
    url: str,
    headers: _convert.Headers,
    body: _convert.Body = b"",
    *,
    region: str,
    service: str,
    access_key: str,
    secret_key: str,
    session_token: Optional[str] = None,
    timestamp: Union[str, _dt.datetime, None] = None,
    presign_expires: Optional[int] = None,
    content_sha256_header: bool = False,
    unsigned_payload: bool = False,
    normalize_path: bool = True,
    sign_session_token: bool = True,
    double_encode: bool = True,
    payload_hash: Optional[str] = None,
) -> SignedRequest:
    """Signs one HTTP request with SigV4 and returns it ready to send.

    ``url`` is the absolute http(s) URL as sent on the wire; its path is taken
    literally (``double_encode`` encodes it once more for the canonical request,
    as every service but S3 expects). ``headers`` is a mapping or a list of
    ``(name, value)`` pairs; Host is added from the URL when missing. ``body`` (bytes,
    or str sent as UTF-8) is only hashed. ``timestamp`` is "YYYYMMDDTHHMMSSZ" or a
    datetime (naive means UTC); None means now. ``presign_expires`` (1..604800
    seconds) puts the signature in the URL instead of an Authorization header.
    ``payload_hash`` is the hex SHA-256 of a body hashed elsewhere (streaming).

    Raises InvalidArgumentError for a malformed URL, header or option.
    """
    secrets = (secret_key, session_token)
    opts = SignOptions()
    check(lib().berth_sign_options_init(ctypes.byref(opts), SIGN_OPTIONS_VERSION))
    opts.region = _convert.cstr(region, "region")
    opts.service = _convert.cstr(service, "service")
    opts.access_key_id = _convert.cstr(access_key, "access_key")
    opts.secret_access_key = _convert.cstr(secret_key, "secret_key")
    opts.session_token = _convert.cstr(session_token, "session_token", optional=True)
    opts.payload_hash = _convert.cstr(payload_hash, "payload_hash", optional=True)
    if timestamp is not None:
        opts.timestamp = _convert.epoch_seconds(timestamp)
    if presign_expires is not None:
        opts.presign_expires = _convert.as_int(presign_expires, "presign_expires")
        if opts.presign_expires == 0:
            # 0 means header signing in C; as a Python value it is more likely a bug.
            raise InvalidArgumentError(
                "presign_expires must be 1..604800 seconds; pass None to sign with headers")
    opts.content_sha256_header = int(bool(content_sha256_header))
    opts.unsigned_payload = int(bool(unsigned_payload))
    opts.normalize_path = int(bool(normalize_path))
    opts.double_encode = int(bool(double_encode))
    opts.sign_session_token = int(bool(sign_session_token))

    pairs = _convert.header_pairs(headers)
    c_headers = (Header * len(pairs))(*(Header(n, v) for n, v in pairs))
    payload = _convert.body_bytes(body)
    c_method = _convert.cstr(method, "method")
    c_url = _convert.cstr(url, "url")

    out = SignedRequestP()
    L = lib()
    rc = L.berth_sign_request(ctypes.byref(out), c_method, c_url, c_headers, len(pairs),
                              payload or None, len(payload), ctypes.byref(opts))
    check(rc, secrets)
    try:
        return _read(out)
    finally:
        L.berth_signed_request_free(out)


def _read(req: ctypes._Pointer[SignedRequestHandle]) -> SignedRequest:
    L = lib()
    headers = []
    name, value = ctypes.c_char_p(), ctypes.c_char_p()
    for i in range(L.berth_signed_request_header_count(req)):
        check(L.berth_signed_request_header(req, i, ctypes.byref(name), ctypes.byref(value)))
        headers.append((_utf8(name.value), _utf8(value.value)))
    return SignedRequest(
        method=_utf8(L.berth_signed_request_method(req)),
        url=_utf8(L.berth_signed_request_url(req)),
        headers=headers,
        canonical_request=_utf8(L.berth_signed_request_canonical_request(req)),
        string_to_sign=_utf8(L.berth_signed_request_string_to_sign(req)),
        signature=_utf8(L.berth_signed_request_signature(req)),
    )


def _utf8(raw: Optional[bytes]) -> str:
    # Strict, unlike error texts: a request must be sent exactly as it was signed.
    return raw.decode("utf-8") if raw else ""


__all__ = ["SignedRequest", "sign_request"]
