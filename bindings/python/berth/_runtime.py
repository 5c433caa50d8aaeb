"""Facts about the loaded libberth: its versions, its error texts and where it is."""

from __future__ import annotations

import ctypes
from typing import Any, Dict, Optional

from ._lib import check, lib, loaded_path, parse_json, take_string, text


def version() -> str:
    """Version of the loaded library, e.g. "0.1.0" (not of this binding)."""
    return text(lib().berth_version_string())


def abi_version() -> int:
    """ABI version of the loaded library; the binding refuses to load any other."""
    return int(lib().berth_abi_version())


def strerror(code: int) -> str:
    """The library's static text for a BERTH_E* code, e.g. "invalid argument"."""
    return text(lib().berth_strerror(int(code)))


def library_path() -> str:
    """Where the loaded library came from, to debug which copy a process uses."""
    return loaded_path()


_defaults: Optional[Dict[str, Any]] = None


def defaults() -> Dict[str, Any]:
    """The library's defaults (include/berth/defaults.h, through berth_defaults()).

    Keys: "jobs" (parallel blob transfers), "maxJobs" (the most a call accepts),
    "platform" (the image of an index taken where one is needed), "stallTimeoutMs",
    "pageSize" (tag and repository lists), "maxExportBytes", "maxExpansionRatio"
    (export's bomb caps) and "scanTimeoutSeconds" (a scan gate's wait). An argument
    left at None takes these values; they are read from the library once and not
    repeated anywhere in the binding. A new dict each call (change it freely).
    """
    global _defaults
    if _defaults is None:
        out = ctypes.c_void_p()
        rc = lib().berth_defaults(ctypes.byref(out))
        raw = take_string(out)
        check(rc)
        _defaults = parse_json("berth_defaults", raw)
    return dict(_defaults)
