"""Python values to the C forms berth.h expects, checked before they cross over.

C strings end at the first NUL byte: a str with an embedded NUL would reach berth
silently truncated, so that berth would sign (or use) something other than what the
caller passed. Those are refused here instead.
"""

from __future__ import annotations

import datetime as _dt
import json
import operator
import os
import re
from collections.abc import Mapping as _Mapping
from typing import Any, Iterable, List, Mapping, Optional, Tuple, Union, overload

from ._errors import InvalidArgumentError

Headers = Union[Mapping[str, str], Iterable[Tuple[str, str]], None]
Body = Union[bytes, bytearray, memoryview, str, None]


# A str always gives bytes and a path a C string; only None (an optional argument)
# gives None. The overloads let the type checker see that the one signature's
# Optional[bytes] is None only for None.
@overload
def cstr(value: str, what: str) -> bytes: ...


@overload
def cstr(value: Optional[str], what: str, *, optional: bool = False) -> Optional[bytes]: ...


def cstr(value: Optional[str], what: str, *, optional: bool = False) -> Optional[bytes]:
    """UTF-8 bytes of a str argument; None only when optional (it becomes NULL)."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{what} must be str, not {type(value).__name__}")
    if "\0" in value:
        # The value itself may be a secret; name the argument only.
        raise InvalidArgumentError(f"{what} contains a NUL character")
    return value.encode("utf-8")


@overload
def cpath(value: Union[str, "os.PathLike[str]"], what: str) -> bytes: ...


@overload
def cpath(value: Union[str, "os.PathLike[str]", None], what: str) -> Optional[bytes]: ...


def cpath(value: Union[str, "os.PathLike[str]", None], what: str) -> Optional[bytes]:
    """A path argument (str or os.PathLike) as a C string; None stays NULL."""
    if value is None:
        return None
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    return cstr(value, what)


def json_text(value: Union[Mapping[str, Any], str, bytes, bytearray], what: str) -> bytes:
    """A JSON document given as a dict (serialized) or as text (str or UTF-8 bytes,
    passed on as it is), as a C string."""
    if isinstance(value, _Mapping):
        try:
            text = json.dumps(dict(value), separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as e:
            raise TypeError(f"{what} cannot be sent as JSON: {e}") from None
    elif isinstance(value, (bytes, bytearray)):
        try:
            text = bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidArgumentError(f"{what} is not UTF-8") from None
    elif isinstance(value, str):
        text = value
    else:
        raise TypeError(f"{what} must be a dict, str or bytes, not {type(value).__name__}")
    return cstr(text, what)


def header_pairs(headers: Headers) -> List[Tuple[bytes, bytes]]:
    """Headers as a mapping or pairs, in their order, as UTF-8 byte pairs.

    Pairs keep repeated names (a mapping cannot); both are accepted so that callers
    can pass a dict for the common case.
    """
    if headers is None:
        return []
    items = headers.items() if isinstance(headers, _Mapping) else headers
    if isinstance(items, (str, bytes)):
        raise TypeError("headers must be a mapping or a list of (name, value) pairs")
    out = []
    for i, pair in enumerate(items):
        try:
            name, value = pair
        except (TypeError, ValueError):
            raise TypeError(f"headers[{i}] must be a (name, value) pair") from None
        out.append((cstr(name, f"header name #{i}"), cstr(value, f"value of header {name!r}")))
    return out


def body_bytes(body: Body) -> bytes:
    """The payload as bytes; str is UTF-8 encoded, as it would be sent."""
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    raise TypeError(f"body must be bytes or str, not {type(body).__name__}")


_AMZ_DATE = re.compile(r"\d{8}T\d{6}Z")


def epoch_seconds(timestamp: Union[str, _dt.datetime]) -> int:
    """Whole seconds since the Unix epoch of "YYYYMMDDTHHMMSSZ" or a datetime.

    A naive datetime is taken as UTC, since SigV4 times are UTC and local time would
    make signatures depend on the machine's time zone.
    """
    if isinstance(timestamp, str):
        if not _AMZ_DATE.fullmatch(timestamp):
            raise InvalidArgumentError(
                f"timestamp {timestamp!r} is not in the form YYYYMMDDTHHMMSSZ")
        try:
            when = _dt.datetime.strptime(timestamp, "%Y%m%dT%H%M%SZ")
        except ValueError:
            raise InvalidArgumentError(f"timestamp {timestamp!r} is not a valid time") from None
    elif isinstance(timestamp, _dt.datetime):
        when = timestamp
    else:
        raise TypeError(f"timestamp must be str or datetime, not {type(timestamp).__name__}")
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)
    seconds = int(when.timestamp() // 1)
    if seconds <= 0:
        # The C ABI reads 0 as "now"; anything up to the epoch cannot be expressed.
        raise InvalidArgumentError("timestamp must be after 1970-01-01T00:00:00Z")
    return seconds


def as_int(value: Any, what: str) -> int:
    """An int argument (bools refused: True is not a duration)."""
    if isinstance(value, bool):
        raise TypeError(f"{what} must be int, not bool")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be int, not {type(value).__name__}") from None
