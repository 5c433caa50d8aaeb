"""Cosign-compatible image signatures (berth_sign / berth_verify).

``sign`` makes the signatures ``cosign verify --key`` accepts; ``verify`` checks the
ones ``cosign sign --key`` makes. Keys are cosign's (``cosign generate-key-pair``;
the password of an encrypted key is given here, as COSIGN_PASSWORD is to cosign) or
PEM EC P-256 keys. The transparency log is neither written nor read.
"""

from __future__ import annotations

import ctypes
import json
from typing import Any, Dict, Optional, Union

from . import _convert
from ._copy import PathArg, _Call
from ._lib import function, take_string


def sign(ref: str, key: PathArg, *, password: Optional[str] = None, **options: Any) -> str:
    """Signs the image ``ref`` (``docker://REF`` or ``oci:DIR[:TAG]``) with the private
    key file ``key``; returns the signed digest. ``options`` are ``copy``'s registry
    options (``dest_creds``, ``plain_http``, ``insecure``, ``ca_bundle``).

    Raises AuthError for a wrong password, ConfigError for a file that is no key.
    """
    c_ref = _convert.cstr(ref, "ref")
    c_key = _convert.cpath(key, "key")
    if c_key is None:
        raise TypeError("key must be a path, not None")
    c_password = _convert.cstr(password, "password", optional=True)
    call = _Call(**options)
    out = ctypes.c_void_p()
    rc = function("berth_sign")(ctypes.byref(out), c_ref, c_key, c_password,
                                ctypes.byref(call.opts))
    digest = take_string(out)
    call.secrets.append(password)
    call.finish(rc)
    return digest


def attest(ref: str, key: PathArg, predicate: Union[str, Dict[str, Any]], *, predicate_type: str,
           password: Optional[str] = None, **options: Any) -> str:
    """Attaches a signed in-toto attestation about ``ref``: ``predicate`` (a dict, or a
    JSON document as str) of ``predicate_type`` (a URI such as
    ``"https://spdx.dev/Document"``), in a DSSE envelope signed with ``key``, where
    ``cosign verify-attestation --key`` finds it. Returns the image's digest."""
    c_ref = _convert.cstr(ref, "ref")
    c_key = _convert.cpath(key, "key")
    if c_key is None:
        raise TypeError("key must be a path, not None")
    text = predicate if isinstance(predicate, str) else json.dumps(predicate)
    c_predicate = _convert.cstr(text, "predicate")
    c_type = _convert.cstr(predicate_type, "predicate_type")
    c_password = _convert.cstr(password, "password", optional=True)
    call = _Call(**options)
    out = ctypes.c_void_p()
    rc = function("berth_attest")(ctypes.byref(out), c_ref, c_key, c_password, c_type,
                                  c_predicate, ctypes.byref(call.opts))
    digest = take_string(out)
    call.secrets.append(password)
    call.finish(rc)
    return digest


def verify(ref: str, public_key: Union[PathArg, None], **options: Any) -> Dict[str, Any]:
    """Checks the cosign signatures of ``ref`` with the PEM public key file: returns
    ``{"digest", "signatures", "valid", "payloads"}`` when at least one is signed by
    the key and names the image's digest; raises GateFailedError otherwise (unsigned,
    another key, another image). ``options`` are ``copy``'s registry options
    (``src_creds``, ``plain_http``, ...). Nothing is written."""
    c_ref = _convert.cstr(ref, "ref")
    c_pub = _convert.cpath(public_key, "public_key")
    if c_pub is None:
        raise TypeError("public_key must be a path, not None")
    call = _Call(**options)
    out = ctypes.c_void_p()
    rc = function("berth_verify")(ctypes.byref(out), c_ref, c_pub, ctypes.byref(call.opts))
    raw = take_string(out)
    call.finish(rc)
    result: Dict[str, Any] = json.loads(raw)
    return result


__all__ = ["attest", "sign", "verify"]
