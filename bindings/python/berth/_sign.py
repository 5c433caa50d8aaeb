"""Cosign-compatible image signatures (berth_sign / berth_attest / berth_verify).

``sign`` makes the signatures ``cosign verify --key`` accepts; ``verify`` checks the
ones ``cosign sign --key`` makes. Keys are cosign's (``cosign generate-key-pair``;
the password of an encrypted key is given here, as COSIGN_PASSWORD is to cosign) or
PEM EC P-256 keys. The transparency log is neither written nor read.

Every function takes the keyword-only registry options of the image's registry:
``creds`` ("USER:PASSWORD", else the docker keychain), ``plain_http``, ``insecure``,
``ca_bundle``, ``stall_timeout``, ``mirrors`` (for reading) and ``timeout``
(seconds for the whole call).
"""

from __future__ import annotations

import ctypes
import json
from typing import Any, Dict, Iterable, List, Optional, Union

from . import _convert
from ._copy import PathArg, _json_out
from ._errors import GateFailedError
from ._lib import (COSIGN_OPTIONS_VERSION, VERIFY_OPTIONS_VERSION, CosignOptions, VerifyOptions,
                   check, function, parse_json, take_string)
from ._registry import Registry, positive_seconds_to_ms


class _Access:
    """The registry options of sign, attest and verify: the one declaration."""

    def __init__(self, *, creds: Optional[str] = None, plain_http: bool = False,
                 insecure: bool = False, ca_bundle: Union[PathArg, None] = None,
                 stall_timeout: Optional[float] = None, mirrors: Iterable[str] = (),
                 timeout: Optional[float] = None) -> None:
        self.timeout_ms = positive_seconds_to_ms(timeout, "timeout")
        self.registry = Registry(creds=creds, plain_http=plain_http, insecure=insecure,
                                 ca_bundle=ca_bundle, stall_timeout=stall_timeout,
                                 mirrors=mirrors)
        self.secrets: List[Optional[str]] = list(self.registry.secrets)


def _key(key: Union[PathArg, None], what: str) -> bytes:
    c_key = _convert.cpath(key, what)
    if c_key is None:
        raise TypeError(f"{what} must be a path, not None")
    return c_key


def _cosign_options(password: Optional[str], access: _Access) -> CosignOptions:
    opts = CosignOptions()
    check(function("berth_cosign_options_init")(ctypes.byref(opts), COSIGN_OPTIONS_VERSION))
    opts.key_password = _convert.cstr(password, "password", optional=True)
    opts.registry = access.registry.pointer()
    opts.timeout_ms = access.timeout_ms
    access.secrets.append(password)
    return opts


def sign(
    ref: str,
    key: PathArg,
    *,
    password: Optional[str] = None,
    creds: Optional[str] = None,
    plain_http: bool = False,
    insecure: bool = False,
    ca_bundle: Union[PathArg, None] = None,
    stall_timeout: Optional[float] = None,
    mirrors: Iterable[str] = (),
    timeout: Optional[float] = None,
) -> str:
    """Signs the image ``ref`` (``docker://REF`` or ``oci:DIR[:TAG]``) with the private
    key file ``key`` (an encrypted cosign key takes ``password``); returns the signed
    digest. The signature is stored where ``cosign verify`` finds it (the
    ``sha256-<hex>.sig`` tag).

    Raises AuthError for a wrong password, ConfigError for a file that is no key.

    Registry options: ``creds`` ("USER:PASSWORD", else the docker keychain),
    ``plain_http``, ``insecure`` (no TLS verification), ``ca_bundle`` (a PEM file of
    extra trusted CAs), ``stall_timeout`` (seconds without data before a transfer is
    abandoned; None: the library's default), ``mirrors``
    ("SRC_REGISTRY=HOST[/PREFIX]", for reading) and ``timeout`` (seconds for the whole
    call; None: none).
    """
    c_ref = _convert.cstr(ref, "ref")
    c_key = _key(key, "key")
    access = _Access(creds=creds, plain_http=plain_http, insecure=insecure, ca_bundle=ca_bundle,
                     stall_timeout=stall_timeout, mirrors=mirrors, timeout=timeout)
    opts = _cosign_options(password, access)
    out = ctypes.c_void_p()
    rc = function("berth_sign")(ctypes.byref(out), c_ref, c_key, ctypes.byref(opts))
    d = _json_out("berth_sign", rc, out, lambda rc: check(rc, access.secrets))
    return str(d.get("digest", ""))


def attest(
    ref: str,
    key: PathArg,
    predicate: Union[str, Dict[str, Any]],
    *,
    predicate_type: str,
    password: Optional[str] = None,
    creds: Optional[str] = None,
    plain_http: bool = False,
    insecure: bool = False,
    ca_bundle: Union[PathArg, None] = None,
    stall_timeout: Optional[float] = None,
    mirrors: Iterable[str] = (),
    timeout: Optional[float] = None,
) -> str:
    """Attaches a signed in-toto attestation about ``ref``: ``predicate`` (a dict, or a
    JSON document as str) of ``predicate_type`` (a URI such as
    ``"https://spdx.dev/Document"``), in a DSSE envelope signed with ``key``, where
    ``cosign verify-attestation --key`` finds it. Returns the image's digest.
    ``password`` and the registry options as for ``sign``.
    """
    c_ref = _convert.cstr(ref, "ref")
    c_key = _key(key, "key")
    text = predicate if isinstance(predicate, str) else json.dumps(predicate)
    c_predicate = _convert.cstr(text, "predicate")
    c_type = _convert.cstr(predicate_type, "predicate_type")
    access = _Access(creds=creds, plain_http=plain_http, insecure=insecure, ca_bundle=ca_bundle,
                     stall_timeout=stall_timeout, mirrors=mirrors, timeout=timeout)
    opts = _cosign_options(password, access)
    out = ctypes.c_void_p()
    rc = function("berth_attest")(ctypes.byref(out), c_ref, c_key, c_type, c_predicate,
                                  ctypes.byref(opts))
    d = _json_out("berth_attest", rc, out, lambda rc: check(rc, access.secrets))
    return str(d.get("digest", ""))


def verify(
    ref: str,
    public_key: Union[PathArg, None],
    *,
    creds: Optional[str] = None,
    plain_http: bool = False,
    insecure: bool = False,
    ca_bundle: Union[PathArg, None] = None,
    stall_timeout: Optional[float] = None,
    mirrors: Iterable[str] = (),
    timeout: Optional[float] = None,
) -> Dict[str, Any]:
    """Checks the cosign signatures of ``ref`` with the PEM public key file: returns
    ``{"digest", "signatures", "valid", "payloads"}`` when at least one is signed by
    the key and names the image's digest; raises GateFailedError otherwise (unsigned,
    another key, another image), whose ``result`` holds the same dict. Nothing is
    written. The registry options as for ``sign``.
    """
    c_ref = _convert.cstr(ref, "ref")
    c_pub = _key(public_key, "public_key")
    access = _Access(creds=creds, plain_http=plain_http, insecure=insecure, ca_bundle=ca_bundle,
                     stall_timeout=stall_timeout, mirrors=mirrors, timeout=timeout)
    opts = VerifyOptions()
    check(function("berth_verify_options_init")(ctypes.byref(opts), VERIFY_OPTIONS_VERSION))
    opts.registry = access.registry.pointer()
    opts.timeout_ms = access.timeout_ms
    out = ctypes.c_void_p()
    rc = function("berth_verify")(ctypes.byref(out), c_ref, c_pub, ctypes.byref(opts))
    raw = take_string(out)
    try:
        check(rc, access.secrets)
    except GateFailedError as e:
        # The verdict comes with the gate's failure: attach it.
        e.result = parse_json("berth_verify", raw) if raw else None
        raise
    return parse_json("berth_verify", raw)


__all__ = ["attest", "sign", "verify"]
