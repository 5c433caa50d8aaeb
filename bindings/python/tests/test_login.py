"""berth.login / berth.logout: the file written (checked by reading it back, and by
berth finding the login with no credentials given), the check against a registry
asking for Basic auth (Debian's docker-registry with an htpasswd file, through
tests/servers/stack.py), and the password kept out of every error."""

from __future__ import annotations

import base64
import inspect
import json
import os
import shutil
import stat
from pathlib import Path

import pytest

import berth

REGISTRY_BIN = os.environ.get("BERTH_DOCKER_REGISTRY", "docker-registry")
_MISSING = [t for t in (REGISTRY_BIN, "htpasswd") if not shutil.which(t)]
needs_registry = pytest.mark.skipif(bool(_MISSING), reason=f"needs {', '.join(_MISSING)}")

REGISTRY = "registry.example.com:5000"
USER = "py-user"
PASSWORD = "Py-pa55:w0rd!"


@pytest.fixture(autouse=True)
def own_config(tmp_path, monkeypatch):
    """Nothing of the machine's: the default file is the test's own."""
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))
    monkeypatch.delenv("REGISTRY_AUTH_FILE", raising=False)


def auths(path) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)["auths"]


def test_login_without_the_check_writes_the_file_and_logout_removes_it(tmp_path):
    path = tmp_path / "new" / "auth.json"
    assert berth.login(REGISTRY, USER, PASSWORD, config_path=path, verify=False) == str(path)
    entry = auths(path)[REGISTRY]
    assert entry == {"auth": base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600  # a new file
    # Again: the entry replaced, not doubled.
    berth.login(REGISTRY, USER, "0ther", config_path=str(path), verify=False)
    assert list(auths(path)) == [REGISTRY]
    assert base64.b64decode(auths(path)[REGISTRY]["auth"]) == f"{USER}:0ther".encode()

    assert berth.logout(REGISTRY, config_path=path) is True
    assert auths(path) == {}
    assert berth.logout(REGISTRY, config_path=path) is False
    assert berth.logout(REGISTRY, config_path=tmp_path / "none" / "config.json") is False
    assert not (tmp_path / "none").exists()


def test_other_entries_are_kept_and_the_default_file_is_used(tmp_path):
    default = Path(os.environ["DOCKER_CONFIG"]) / "config.json"
    default.parent.mkdir()
    default.write_text('{"auths": {"other.example": {"auth": "eDp5"}}, "credsStore": ""}')
    assert berth.login(REGISTRY, USER, PASSWORD, verify=False) == str(default)
    doc = json.loads(default.read_text())
    assert doc["auths"]["other.example"] == {"auth": "eDp5"} and doc["credsStore"] == ""
    assert REGISTRY in doc["auths"]
    assert berth.logout(REGISTRY) is True
    assert list(auths(default)) == ["other.example"]


def test_registry_auth_file_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(tmp_path / "containers" / "auth.json"))
    path = berth.login(REGISTRY, USER, PASSWORD, verify=False)
    assert path == str(tmp_path / "containers" / "auth.json")
    assert REGISTRY in auths(path)
    assert not Path(os.environ["DOCKER_CONFIG"]).exists()
    assert berth.logout(REGISTRY) is True


def test_a_file_that_is_not_json_is_a_config_error(tmp_path):
    path = tmp_path / "config.json"
    path.write_text("not json")
    with pytest.raises(berth.ConfigError) as info:
        berth.login(REGISTRY, USER, PASSWORD, config_path=path, verify=False)
    assert PASSWORD not in str(info.value)
    with pytest.raises(berth.ConfigError):
        berth.logout(REGISTRY, config_path=path)
    assert path.read_text() == "not json"


@pytest.mark.parametrize("args, kw, error", [
    ((None, USER, PASSWORD), {}, TypeError),
    ((REGISTRY, None, PASSWORD), {}, TypeError),
    ((REGISTRY, USER, None), {}, TypeError),
    ((REGISTRY, USER, PASSWORD.encode()), {}, TypeError),
    (("", USER, PASSWORD), {}, berth.InvalidArgumentError),
    ((REGISTRY, "", PASSWORD), {}, berth.InvalidArgumentError),
    ((REGISTRY, USER, ""), {}, berth.InvalidArgumentError),
    ((REGISTRY, "a:b", PASSWORD), {}, berth.InvalidArgumentError),
    ((REGISTRY, USER, PASSWORD + "\0"), {}, berth.InvalidArgumentError),
    ((REGISTRY, USER, PASSWORD), {"verify": "no"}, TypeError),
    ((REGISTRY, USER, PASSWORD), {"timeout": -1}, berth.InvalidArgumentError),
    ((REGISTRY, USER, PASSWORD), {"ca_bundle": 3}, TypeError),
    ((REGISTRY, USER, PASSWORD), {"creds": "a:b"}, TypeError),
])
def test_bad_arguments(tmp_path, args, kw, error):
    kw.setdefault("config_path", tmp_path / "config.json")
    with pytest.raises(error) as info:
        berth.login(*args, **kw)
    assert PASSWORD not in str(info.value)
    assert not (tmp_path / "config.json").exists()


def test_logout_arguments():
    with pytest.raises(berth.InvalidArgumentError):
        berth.logout("")
    with pytest.raises(TypeError):
        berth.logout(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        berth.logout(REGISTRY, "config.json")  # type: ignore[misc]  # keyword-only


def test_signatures_are_typed_and_keyword_only():
    sig = inspect.signature(berth.login)
    assert list(sig.parameters)[:3] == ["registry", "username", "password"]
    for name in ("config_path", "verify", "plain_http", "insecure", "ca_bundle", "timeout"):
        assert sig.parameters[name].kind is inspect.Parameter.KEYWORD_ONLY, name
    assert sig.parameters["verify"].default is True
    assert sig.return_annotation in (str, "str")
    assert inspect.signature(berth.logout).return_annotation in (bool, "bool")
    assert "login" in berth.__all__ and "logout" in berth.__all__


def test_an_unreachable_registry_writes_nothing(tmp_path):
    path = tmp_path / "config.json"
    with pytest.raises(berth.NetworkError) as info:
        berth.login("127.0.0.1:1", USER, PASSWORD, config_path=path, timeout=20)
    assert PASSWORD not in str(info.value)
    assert not path.exists()


def test_an_older_library_is_unsupported(monkeypatch):
    """A libberth of the same ABI that predates the calls: UnsupportedError naming them."""
    from berth import _lib

    real = _lib.lib()

    class Older:
        def __getattr__(self, name):
            if name in ("berth_registry_login", "berth_registry_logout",
                        "berth_login_options_init"):
                raise AttributeError(name)
            return getattr(real, name)

    monkeypatch.setattr(_lib, "_loaded", Older())
    with pytest.raises(berth.UnsupportedError, match="berth_registry_login"):
        berth.login(REGISTRY, USER, PASSWORD, verify=False)
    with pytest.raises(berth.UnsupportedError, match="berth_registry_logout"):
        berth.logout(REGISTRY)


@needs_registry
def test_login_is_checked_against_a_basic_auth_registry(tmp_path):
    import stack

    password = "S3cret-l0gin-pa55"
    with stack.Registry(auth="htpasswd", users={"binder": password}) as reg:
        path = tmp_path / "config.json"
        # A wrong password: AuthError, nothing written, no password in the error.
        with pytest.raises(berth.AuthError) as info:
            berth.login(reg.hostport, "binder", "wrong-" + password, config_path=path)
        e = info.value
        assert e.code == berth.AuthError.CODE == -6
        for text in (str(e), repr(e), e.message):
            assert password not in text and "wrong-" + password not in text
        assert not path.exists()

        # The right one: checked, written.
        assert berth.login(reg.hostport, "binder", password, config_path=path) == str(path)
        assert base64.b64decode(auths(path)[reg.hostport]["auth"]) == \
            f"binder:{password}".encode()

        # Written to the default file, berth itself finds the login: the catalog needs
        # it, and no credentials are given.
        with pytest.raises(berth.AuthError):
            berth.catalog(reg.hostport)
        default = berth.login(reg.hostport, "binder", password, plain_http=True, timeout=60)
        assert default == os.path.join(os.environ["DOCKER_CONFIG"], "config.json")
        assert isinstance(berth.catalog(reg.hostport), list)

        # A wrong password later leaves the good login alone.
        with pytest.raises(berth.AuthError):
            berth.login(reg.hostport, "binder", "nope", config_path=path)
        assert reg.hostport in auths(path)

        assert berth.logout(reg.hostport) is True
        with pytest.raises(berth.AuthError):
            berth.catalog(reg.hostport)
