"""Makes the tests find the package source and libberth without installing anything.

The package under test is the source tree next to this directory, even when an
older berth is installed. libberth comes from BERTH_LIBRARY when it is set (as in
CI, where it names build/libberth.so); otherwise from the repository's build
directories, build/ first, so that `pytest` works right after a build.

The copy tests run a real registry through the repository's test stack
(tests/servers/stack.py), which is put on sys.path here.
"""

import os
import sys
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
PACKAGE_ROOT = TESTS_DIR.parent           # bindings/python
REPO_ROOT = PACKAGE_ROOT.parents[1]       # the berth checkout

sys.path.insert(0, str(PACKAGE_ROOT))
# `import stack` (the registry test stack). Appended, so that it shadows nothing.
STACK_DIR = REPO_ROOT / "tests" / "servers"
if str(STACK_DIR) not in sys.path:
    sys.path.append(str(STACK_DIR))


def _built_library():
    preferred = REPO_ROOT / "build" / "libberth.so"
    if preferred.is_file():
        return preferred
    others = [p for p in REPO_ROOT.glob("build*/libberth.so") if p.is_file()]
    return max(others, key=lambda p: p.stat().st_mtime) if others else None


if not os.environ.get("BERTH_LIBRARY"):
    _found = _built_library()
    if _found:
        os.environ["BERTH_LIBRARY"] = str(_found)


def pytest_report_header(config):
    return f"BERTH_LIBRARY: {os.environ.get('BERTH_LIBRARY', '(unset; discovery decides)')}"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def berth_header_text() -> str:
    return (REPO_ROOT / "include" / "berth.h").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def real_library_file() -> Path:
    """The loaded libberth as a real file (not a symlink), for copying around."""
    import berth

    return Path(berth.library_path()).resolve()
