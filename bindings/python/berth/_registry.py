"""berth_registry_options from keyword arguments, and the checks every call shares.

ABI 2 describes how to reach a registry once, in berth_registry_options (credentials,
plain HTTP, TLS, stall timeout, chunked uploads, mirrors), which the options of every
call reaching a registry point to: a copy's ``src`` and ``dst``, an inspect's
``registry``, ... ``Registry`` fills one from the binding's keyword arguments and
keeps alive what the struct points to.

No default of include/berth/defaults.h is repeated here: an argument left at None
is passed as 0 and the library applies its default (``berth.defaults()``).
"""

from __future__ import annotations

import ctypes
import math
import os
from typing import Any, Iterable, List, Optional, Union

from . import _convert
from ._errors import InvalidArgumentError
from ._lib import REGISTRY_OPTIONS_VERSION, RegistryOptions, check, function, string_array
from ._runtime import defaults

PathArg = Union[str, "os.PathLike[str]"]
_INT32_MAX = 2**31 - 1


def password_of(creds: Optional[str]) -> Optional[str]:
    """The password of "USER:PASS" credentials (it may be echoed alone, e.g. in a URL)."""
    if isinstance(creds, str) and ":" in creds:
        return creds.split(":", 1)[1]
    return None


def string_list(values: Iterable[str], what: str) -> List[bytes]:
    """A list of str arguments as C strings; a lone str is refused (it is iterable)."""
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{what} must be a list of str, not a single {type(values).__name__}")
    try:
        items = list(values)
    except TypeError:
        raise TypeError(f"{what} must be a list of str, not {type(values).__name__}") from None
    return [_convert.cstr(v, f"{what}[{i}]") for i, v in enumerate(items)]


def seconds_to_ms(value: Optional[float], what: str, *, never: int = 0) -> int:
    """None -> 0 (the library's default); seconds -> milliseconds; 0 -> ``never``."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number of seconds, not {type(value).__name__}")
    if not value >= 0 or math.isinf(value):
        raise InvalidArgumentError(f"{what} must be a non-negative number of seconds, not {value}")
    return never if value == 0 else max(1, int(value * 1000))


def positive_seconds_to_ms(value: Optional[float], what: str) -> int:
    """A time limit that must be positive when given: None -> 0 (none)."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number of seconds, not {type(value).__name__}")
    if not (value > 0 and math.isfinite(value)):
        raise InvalidArgumentError(f"{what} must be a positive number of seconds, not {value}")
    return max(1, int(value * 1000))


def jobs_value(jobs: Optional[int]) -> int:
    """Parallel transfers: None -> 0, which the library reads as its default
    (``berth.defaults()["jobs"]``); else 1 up to ``berth.defaults()["maxJobs"]``."""
    if jobs is None:
        return 0
    jobs = _convert.as_int(jobs, "jobs")
    if jobs < 1:
        raise InvalidArgumentError(f"jobs must be at least 1 (or None for the library's "
                                   f"default), not {jobs}")
    most = int(defaults()["maxJobs"])
    if jobs > most:
        raise InvalidArgumentError(f"jobs must be at most {most} (berth.defaults()['maxJobs']), "
                                   f"not {jobs}")
    return jobs


def chunk_size_value(chunk_size: Optional[int]) -> int:
    if chunk_size is None:
        return 0
    chunk_size = _convert.as_int(chunk_size, "chunk_size")
    if chunk_size < 0 or (0 < chunk_size < 1 << 20):
        raise InvalidArgumentError(f"chunk_size must be 0 or at least 1 MiB, not {chunk_size}")
    return chunk_size


class Registry:
    """One berth_registry_options, filled and checked, with what it points to.

    ``creds`` ("USER:PASSWORD") overrides the docker keychain; ``plain_http`` and
    ``insecure`` (no TLS verification); ``ca_bundle`` a PEM file of extra CAs;
    ``stall_timeout`` seconds (None: the library's default,
    ``berth.defaults()["stallTimeoutMs"]``; 0: never); ``chunk_size`` bytes per PATCH
    when pushing (0: one request per blob); ``mirrors`` "SRC_REGISTRY=HOST[/PREFIX]"
    for reading. ``pointer()`` is what an options struct's src/dst/registry takes;
    the struct (and this object) must outlive the call.
    """

    def __init__(self, *, creds: Optional[str] = None, plain_http: bool = False,
                 insecure: bool = False, ca_bundle: Union[PathArg, None] = None,
                 stall_timeout: Optional[float] = None, chunk_size: Optional[int] = 0,
                 mirrors: Iterable[str] = (), what: str = "") -> None:
        prefix = f"{what}_" if what else ""
        c_creds = _convert.cstr(creds, f"{prefix}creds", optional=True)
        c_ca = _convert.cpath(ca_bundle, "ca_bundle")
        stall_ms = seconds_to_ms(stall_timeout, "stall_timeout", never=-1)
        chunk = chunk_size_value(chunk_size)
        c_mirrors = string_list(mirrors, "mirrors")
        opts = RegistryOptions()
        check(function("berth_registry_options_init")(ctypes.byref(opts),
                                                      REGISTRY_OPTIONS_VERSION))
        opts.creds = c_creds
        opts.plain_http = int(bool(plain_http))
        opts.insecure = int(bool(insecure))
        opts.ca_bundle = c_ca
        opts.stall_timeout_ms = stall_ms
        opts.chunk_size = chunk
        # The array (and the bytes it points to) must outlive the call: held here.
        self._mirrors, n = string_array(c_mirrors)
        if n:
            opts.mirrors = ctypes.cast(self._mirrors, type(opts.mirrors))
            opts.n_mirrors = n
        self.opts = opts
        self.secrets: List[Optional[str]] = [creds, password_of(creds)]

    def pointer(self) -> Any:
        """A pointer to the struct for an options field (ctypes keeps the struct alive
        through the field it is stored in)."""
        return ctypes.pointer(self.opts)


__all__ = ["Registry", "chunk_size_value", "jobs_value", "password_of", "positive_seconds_to_ms",
           "seconds_to_ms", "string_list"]
