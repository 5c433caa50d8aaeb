"""The binding's version is CMakeLists.txt's project() version: written once, by hand,
there only (issue 21: it was also written in __init__.py and bindings/python's
pyproject.toml, and could drift)."""

from __future__ import annotations

import re
from pathlib import Path

import berth


def test_the_binding_version_is_cmakelists():
    cmake = (Path(__file__).resolve().parents[3] / "CMakeLists.txt").read_text()
    want = re.search(r"project\(berth VERSION ([0-9.]+)", cmake).group(1)
    assert berth.__version__ == want
    for pyproject in ("bindings/python/pyproject.toml", "pyproject.toml"):
        text = (Path(__file__).resolve().parents[3] / pyproject).read_text()
        assert not re.search(r'^version\s*=\s*"', text, re.M), pyproject
    init = (Path(berth.__file__)).read_text()
    assert want not in init
