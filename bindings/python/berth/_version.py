"""This binding's version, written nowhere by hand: CMakeLists.txt's ``project(berth
VERSION ...)`` is the one place the project states it.

In a checkout (tests, ``pip install bindings/python``, which builds in place) it is
read from that CMakeLists.txt; an installed wheel or sdist knows it from its
metadata, which both pyproject.toml files take from the same line.
"""

from __future__ import annotations

import re
from pathlib import Path

_PROJECT = re.compile(r"project\(berth VERSION ([0-9]+\.[0-9]+\.[0-9]+)")


def package_version() -> str:
    # bindings/python/berth/_version.py -> the repository's CMakeLists.txt
    cmake = Path(__file__).resolve().parents[3] / "CMakeLists.txt"
    try:
        found = _PROJECT.search(cmake.read_text(encoding="utf-8"))
        if found:
            return found.group(1)
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("berth")
    except PackageNotFoundError:
        return "0+unknown"


#: Read once, for setuptools' dynamic version (bindings/python/pyproject.toml).
VERSION = package_version()
