"""Finding libberth: BERTH_LIBRARY, next to the package, the build tree, the system
loader, in that order; and clear errors when the library is wrong or missing."""

import _ctypes
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import berth
from berth import _discover, _lib

PACKAGE_ROOT = Path(__file__).resolve().parents[1]


def _fake_tree(tmp_path, *files):
    """A package dir inside a fake checkout, plus empty files standing for libraries."""
    package_dir = tmp_path / "repo" / "bindings" / "python" / "berth"
    package_dir.mkdir(parents=True)
    for f in files:
        path = tmp_path / "repo" / f
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    return package_dir


def test_berth_library_is_what_gets_loaded():
    env = os.environ.get("BERTH_LIBRARY")
    if not env:
        pytest.skip("BERTH_LIBRARY is not set")
    assert berth.library_path() == os.path.abspath(env)


def test_default_package_dir_is_the_package():
    assert _discover.PACKAGE_DIR == Path(berth.__file__).resolve().parent


def test_env_wins_over_everything(tmp_path):
    pkg = _fake_tree(tmp_path, "bindings/python/berth/libberth.so", "build/libberth.so")
    found = _discover.find({"BERTH_LIBRARY": "/opt/x/libberth.so"}, pkg)
    assert found == _discover.Candidate("/opt/x/libberth.so", "BERTH_LIBRARY")


def test_next_to_package_beats_build_tree(tmp_path):
    pkg = _fake_tree(tmp_path, "bindings/python/berth/libberth.so.2",
                     "bindings/python/berth/libberth.so", "build/libberth.so")
    assert _discover.find({}, pkg).target == str(pkg / "libberth.so")


def test_next_to_package_takes_any_versioned_name(tmp_path):
    pkg = _fake_tree(tmp_path, "bindings/python/berth/libberth.so.0.1.0")
    assert _discover.find({}, pkg).target == str(pkg / "libberth.so.0.1.0")


def test_build_tree_is_found_by_walking_up(tmp_path):
    pkg = _fake_tree(tmp_path, "build/libberth.so", "build-other/libberth.so")
    found = _discover.find({"BERTH_LIBRARY": ""}, pkg)
    assert found.target == str(tmp_path / "repo" / "build" / "libberth.so")
    assert "build tree" in found.source


def test_system_loader_is_the_last_resort(tmp_path):
    pkg = _fake_tree(tmp_path)
    found = _discover.find({}, pkg)
    assert found.source == "the system loader"
    assert "libberth" in found.target


def test_build_tree_library_really_loads(tmp_path, real_library_file):
    pkg = _fake_tree(tmp_path)
    (tmp_path / "repo" / "build").mkdir()
    shutil.copy(real_library_file, tmp_path / "repo" / "build" / "libberth.so")
    cdll = _lib.open_library(_discover.find({}, pkg))
    assert cdll.berth_abi_version() == berth.ABI_VERSION


def test_bundled_library_really_loads(tmp_path, real_library_file):
    pkg = _fake_tree(tmp_path)
    shutil.copy(real_library_file, pkg / "libberth.so.2")
    candidate = _discover.find({}, pkg)
    assert candidate.target == str(pkg / "libberth.so.2")
    assert _lib.open_library(candidate).berth_version_string() == berth.version().encode()


def test_bad_berth_library_path_is_a_clear_error(tmp_path):
    missing = str(tmp_path / "nowhere" / "libberth.so")
    with pytest.raises(berth.BerthLibraryError) as info:
        _lib.open_library(_discover.find({"BERTH_LIBRARY": missing}))
    assert "BERTH_LIBRARY" in str(info.value) and missing in str(info.value)
    assert isinstance(info.value, ImportError)


def test_berth_library_naming_something_else_is_refused():
    not_berth = _ctypes.__file__  # a shared object that surely lacks berth_abi_version
    with pytest.raises(berth.BerthLibraryError, match="not libberth"):
        _lib.open_library(_discover.find({"BERTH_LIBRARY": not_berth}))


def test_unloadable_file_is_a_clear_error(tmp_path):
    junk = tmp_path / "libberth.so"
    junk.write_bytes(b"not an ELF file")
    with pytest.raises(berth.BerthLibraryError, match="cannot load libberth from"):
        _lib.open_library(_discover.find({"BERTH_LIBRARY": str(junk)}))


def test_missing_system_library_says_what_to_do():
    candidate = _discover.Candidate("libberth-absent.so.1", "the system loader")
    with pytest.raises(berth.BerthLibraryError) as info:
        _lib.open_library(candidate)
    assert "libberth not found" in str(info.value) and "BERTH_LIBRARY" in str(info.value)


def test_abi_mismatch_is_refused(monkeypatch):
    monkeypatch.setattr(_lib, "ABI_VERSION", 2)
    with pytest.raises(berth.AbiMismatchError) as info:
        _lib.open_library()
    assert "ABI version 1" in str(info.value) and "ABI version 2" in str(info.value)


def _python(code, env_update):
    env = {**os.environ, **env_update, "PYTHONPATH": str(PACKAGE_ROOT)}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=60)


def test_bad_berth_library_in_a_fresh_process(tmp_path):
    missing = str(tmp_path / "libberth.so")
    # Importing works (the library loads on first use), the first call fails clearly.
    ran = _python("import berth; print('imported'); berth.version()", {"BERTH_LIBRARY": missing})
    assert ran.returncode != 0
    assert "imported" in ran.stdout
    assert "BerthLibraryError" in ran.stderr and missing in ran.stderr


def test_berth_library_in_a_fresh_process(real_library_file):
    ran = _python("import berth; print(berth.library_path(), berth.version())",
                  {"BERTH_LIBRARY": str(real_library_file)})
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == [str(real_library_file), berth.version()]


def test_functions_newer_than_the_library_fail_at_their_call():
    """A libberth of the same ABI but older than the binding still loads; only the
    call that needs a function it lacks fails, and says why."""
    with pytest.raises(berth.UnsupportedError, match="berth_not_yet_invented"):
        _lib.function("berth_not_yet_invented")
    assert _lib.function("berth_copy") is _lib.lib().berth_copy
