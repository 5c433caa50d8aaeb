"""Facts about the loaded libberth: its versions, its error texts and where it is."""

from __future__ import annotations

from ._lib import lib, loaded_path, text


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
