"""Where libberth.so is looked for, in the order the binding promises.

1. ``BERTH_LIBRARY``: a full path. When set it is the only candidate, so a wrong
   value fails loudly instead of silently loading some other copy.
2. Next to the package (``berth/libberth.so*``): a wheel that bundles the library.
3. The repository's ``build/`` tree, found by walking up from the package: running
   from a checkout right after ``ninja -C build``.
4. The system loader (``ctypes.util.find_library("berth")``, then
   ``libberth.so.2``): an installed library.

The first candidate that exists wins. Kept free of ctypes loading so the order can
be tested with fake directories.
"""

from __future__ import annotations

import ctypes.util
import os
from pathlib import Path
from typing import Mapping, NamedTuple, Optional, Tuple

ENV_VAR = "BERTH_LIBRARY"
PACKAGE_DIR = Path(__file__).resolve().parent
# The soname: what the system loader knows an installed libberth of this ABI by.
SONAME = "libberth.so.2"


class Candidate(NamedTuple):
    """A library to dlopen: a path or a bare soname, and the rule that chose it."""

    target: str
    source: str


def _next_to_package(package_dir: Path) -> Optional[Path]:
    # The unversioned name first (it is what a developer copies), then the soname,
    # then any fully versioned file.
    def rank(p: Path) -> Tuple[bool, bool, str]:
        return (p.name != "libberth.so", p.name != SONAME, p.name)

    found = sorted((p for p in package_dir.glob("libberth.so*") if p.is_file()), key=rank)
    return found[0] if found else None


def _in_build_tree(package_dir: Path) -> Optional[Path]:
    for parent in package_dir.parents:
        path = parent / "build" / "libberth.so"
        if path.is_file():
            return path
    return None


def find(environ: Optional[Mapping[str, str]] = None,
         package_dir: Optional[Path] = None) -> Candidate:
    """The library to load, or the system soname when nothing closer exists."""
    environ = os.environ if environ is None else environ
    package_dir = PACKAGE_DIR if package_dir is None else Path(package_dir)

    explicit = environ.get(ENV_VAR)
    if explicit:
        return Candidate(explicit, ENV_VAR)
    bundled = _next_to_package(package_dir)
    if bundled:
        return Candidate(str(bundled), f"next to the package ({package_dir})")
    built = _in_build_tree(package_dir)
    if built:
        return Candidate(str(built), "the repository's build tree")
    system = ctypes.util.find_library("berth")
    return Candidate(system or SONAME, "the system loader")


def searched(package_dir: Optional[Path] = None) -> str:
    """Plain words for an error message that nothing was found."""
    package_dir = PACKAGE_DIR if package_dir is None else Path(package_dir)
    return (f"{ENV_VAR} is unset, there is no libberth.so* in {package_dir}, no build/libberth.so "
            f"in any parent of it, and the system loader does not know libberth")
