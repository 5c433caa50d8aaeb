"""Exceptions of the berth binding, one class per BERTH_E* code of berth.h.

The mapping lives here and nowhere else so that every module that calls into the
library raises the same classes. This module does not touch the native library:
the exceptions stay importable (and catchable) even when libberth cannot be loaded.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, Iterable, Optional, Tuple, Type


class BerthError(Exception):
    """A failure reported by libberth (or caught by the binding before calling it).

    Attributes mirror ``berth_error_info``: ``code`` is the negative BERTH_E* code,
    ``message`` the human-readable text, and ``http_status``, ``aws_code`` and
    ``request_id`` are ``None`` when the failure did not come from an HTTP reply.
    Catch a subclass to react to one kind of failure, or this class for all.
    """

    #: The BERTH_E* code a subclass stands for; the base class has none of its own.
    CODE: Optional[int] = None

    def __init__(
        self,
        message: str = "",
        *,
        code: Optional[int] = None,
        http_status: Optional[int] = None,
        aws_code: Optional[str] = None,
        request_id: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.code = code if code is not None else self.CODE
        self.message = message
        self.http_status = http_status or None
        self.aws_code = aws_code or None
        self.request_id = request_id or None

    def __str__(self) -> str:
        # The details a support ticket needs (status, AWS code, request id) travel
        # with the text, so a logged traceback is enough to follow a failure up.
        details = []
        if self.http_status:
            details.append(f"HTTP {self.http_status}")
        if self.aws_code:
            details.append(self.aws_code)
        if self.request_id:
            details.append(f"request id {self.request_id}")
        text = self.message or f"berth error {self.code}"
        return f"{text} ({', '.join(details)})" if details else text

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code}, message={self.message!r})"

    def __reduce__(self) -> Tuple[Callable[..., BerthError], Tuple[Any, ...]]:
        # Keyword-only attributes are not in self.args; without this, exceptions
        # crossing a multiprocessing boundary would lose them.
        return (
            _rebuild,
            (type(self), self.message, self.code, self.http_status, self.aws_code, self.request_id),
        )


def _rebuild(cls: Type[BerthError], message: str, code: Optional[int],
             http_status: Optional[int], aws_code: Optional[str],
             request_id: Optional[str]) -> BerthError:
    return cls(message, code=code, http_status=http_status, aws_code=aws_code,
               request_id=request_id)


def _rebuild_gate(cls: Type[GateFailedError], message: str, code: Optional[int],
                  http_status: Optional[int], aws_code: Optional[str],
                  request_id: Optional[str], result: Optional[Dict[str, Any]]) -> GateFailedError:
    e = cls(message, code=code, http_status=http_status, aws_code=aws_code,
            request_id=request_id)
    e.result = result
    return e


# One class per code in berth.h, in its order. Names avoid shadowing builtins
# (TimeoutError, IOError, MemoryError) so that `from berth import *` is harmless.

class InvalidArgumentError(BerthError):
    """Invalid argument or malformed input (BERTH_EINVAL)."""

    CODE = -1


class OutOfMemoryError(BerthError):
    """libberth ran out of memory (BERTH_ENOMEM)."""

    CODE = -2


class BerthIOError(BerthError):
    """Local file-system error (BERTH_EIO)."""

    CODE = -3


class NetworkError(BerthError):
    """Connection failed, reset, DNS or TLS error (BERTH_ENETWORK)."""

    CODE = -4


class BerthTimeoutError(BerthError, TimeoutError):
    """An operation or wait timed out (BERTH_ETIMEOUT); also a builtin TimeoutError, so
    ``except TimeoutError`` catches it as the docstrings say."""

    CODE = -5


class AuthError(BerthError):
    """Missing, invalid or expired credentials, HTTP 401 (BERTH_EAUTH)."""

    CODE = -6


class DeniedError(BerthError):
    """Authenticated but not allowed, HTTP 403 (BERTH_EDENIED)."""

    CODE = -7


class NotFoundError(BerthError):
    """Repository, manifest, blob, file or profile missing (BERTH_ENOTFOUND)."""

    CODE = -8


class AlreadyExistsError(BerthError):
    """Already exists, or an immutable tag (BERTH_EEXISTS)."""

    CODE = -9


class DigestMismatchError(BerthError):
    """Content does not match its digest (BERTH_EDIGEST)."""

    CODE = -10


class ProtocolError(BerthError):
    """A server broke the protocol or sent garbage (BERTH_EPROTOCOL)."""

    CODE = -11


class UnsupportedError(BerthError):
    """Valid but not supported: media type, option (BERTH_EUNSUPPORTED)."""

    CODE = -12


class CancelledError(BerthError):
    """A callback asked to stop (BERTH_ECANCELLED)."""

    CODE = -13


class TooLargeError(BerthError):
    """A size limit was exceeded (BERTH_ETOOLARGE)."""

    CODE = -14


class ThrottledError(BerthError):
    """Rate limited after all retries, HTTP 429 (BERTH_ETHROTTLED)."""

    CODE = -15


class ConfigError(BerthError):
    """Malformed configuration file or environment (BERTH_ECONFIG)."""

    CODE = -16


class UnsafeError(BerthError):
    """Refused for safety: path escape, credential leak (BERTH_EUNSAFE)."""

    CODE = -17


class GateFailedError(BerthError):
    """A policy gate failed, e.g. scan findings (BERTH_EGATE).

    ``result`` holds what the gate found when the call returns it
    (``ecr_scan_gate``: the findings dict with "counts", "counted", "table"), else
    ``None``.
    """

    CODE = -18
    result: Optional[Dict[str, Any]] = None

    def __reduce__(self) -> Tuple[Callable[..., BerthError], Tuple[Any, ...]]:
        rebuild, args = super().__reduce__()
        return (_rebuild_gate, (*args, self.result))


class ServerError(BerthError):
    """The server failed, 5xx after all retries (BERTH_ESERVER)."""

    CODE = -19


class BuildFailedError(BerthError):
    """A build step failed, e.g. a Dockerfile RUN exited non-zero (BERTH_EBUILD)."""

    CODE = -20


class InternalError(BerthError):
    """A bug in berth; please report it (BERTH_EINTERNAL)."""

    CODE = -99


#: BERTH_E* code -> exception class.
ERROR_CLASSES: Dict[int, Type[BerthError]] = {
    cls.CODE: cls
    for cls in (
        InvalidArgumentError, OutOfMemoryError, BerthIOError, NetworkError, BerthTimeoutError,
        AuthError, DeniedError, NotFoundError, AlreadyExistsError, DigestMismatchError,
        ProtocolError, UnsupportedError, CancelledError, TooLargeError, ThrottledError,
        ConfigError, UnsafeError, GateFailedError, ServerError, BuildFailedError, InternalError,
    )
}


class BerthLibraryError(ImportError):
    """libberth could not be found or loaded, or is not a berth library.

    An ImportError because the binding is unusable without it; it is not a
    BerthError since no BERTH_E* code describes it.
    """


class AbiMismatchError(BerthLibraryError):
    """The loaded libberth speaks another ABI version than this binding."""


def error_class(code: int) -> Type[BerthError]:
    """The exception class for a code; unknown (newer) codes get BerthError itself."""
    return ERROR_CLASSES.get(code, BerthError)


# user:password@ in URLs that a message may echo back.
_USERINFO_PASSWORD = re.compile(r"(://[^/?#@\s:]*:)[^/?#@\s]*@")
REDACTED = "<redacted>"


def redact(text: str, secrets: Iterable[Optional[str]] = ()) -> str:
    """Removes credentials from text meant for logs and tracebacks.

    libberth echoes inputs such as URLs in its messages; a URL may carry a password
    and a caller may have put a key where it did not belong, so every message is
    scrubbed of the secrets the call was given before it reaches an exception.
    """
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return _USERINFO_PASSWORD.sub(r"\1" + REDACTED + "@", text)


def make_error(
    code: int,
    message: str,
    http_status: int = 0,
    aws_code: str = "",
    request_id: str = "",
    secrets: Iterable[Optional[str]] = (),
) -> BerthError:
    """Builds the exception for one failure, with secrets scrubbed from its text."""
    secrets = tuple(secrets)
    return error_class(code)(
        redact(message, secrets),
        code=code,
        http_status=http_status,
        aws_code=aws_code,
        request_id=redact(request_id, secrets),
    )
