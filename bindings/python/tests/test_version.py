"""Versions: the loaded library's and the ABI the binding insists on."""

import re
from pathlib import Path

import berth
from berth import _lib


def test_version_is_the_library_version_string():
    v = berth.version()
    assert re.fullmatch(r"\d+\.\d+\.\d+", v)
    # The same version as the numeric berth_version(), MAJOR*10000 + MINOR*100 + PATCH.
    n = _lib.lib().berth_version()
    assert v == f"{n // 10000}.{n // 100 % 100}.{n % 100}"


def test_abi_version_matches_binding_and_header(berth_header_text):
    assert berth.abi_version() == berth.ABI_VERSION == 2
    header_abi = re.search(r"#define BERTH_ABI_VERSION (\d+)", berth_header_text).group(1)
    assert int(header_abi) == berth.ABI_VERSION


def test_sign_options_version_matches_header(berth_header_text):
    v = re.search(r"#define BERTH_SIGN_OPTIONS_VERSION (\d+)", berth_header_text).group(1)
    assert int(v) == _lib.SIGN_OPTIONS_VERSION


def test_copy_options_version_matches_header(berth_header_text):
    v = re.search(r"#define BERTH_COPY_OPTIONS_VERSION (\d+)", berth_header_text).group(1)
    assert int(v) == _lib.COPY_OPTIONS_VERSION


def test_strerror():
    assert berth.strerror(-1) == "invalid argument"
    assert berth.strerror(-10) == "digest mismatch"


def test_binding_version():
    assert re.fullmatch(r"\d+\.\d+\.\d+", berth.__version__)


def test_build_options_version_matches_header(berth_header_text):
    v = re.search(r"#define BERTH_BUILD_OPTIONS_VERSION (\d+)", berth_header_text).group(1)
    assert int(v) == _lib.BUILD_OPTIONS_VERSION


def test_the_binding_version_is_cmakelists():
    """Written once, in CMakeLists.txt's project(): not again in __init__.py or in
    either pyproject.toml (issue 21)."""
    root = Path(__file__).resolve().parents[3]
    want = re.search(r"project\(berth VERSION ([0-9.]+)",
                     (root / "CMakeLists.txt").read_text()).group(1)
    assert berth.__version__ == want
    for pyproject in ("bindings/python/pyproject.toml", "pyproject.toml"):
        text = (root / pyproject).read_text()
        assert not re.search(r'^version\s*=\s*"', text, re.M), pyproject
    assert want not in Path(berth.__file__).read_text()
