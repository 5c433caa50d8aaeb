"""pytest fixtures over stack.py.

Use from any test directory's conftest.py::

    import os, sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "servers"))  # adjust
    from stack_fixtures import *  # noqa: F401,F403

Every fixture stops its servers and removes its temp dirs at teardown.
``factory_fixture`` and ``make_test_image`` serve tests/ecr_stack/ecr_fixtures.py too.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Iterator

import pytest

import stack

__all__ = [
    "oci_image", "plain_registry", "htpasswd_registry", "token_registry", "tls_registry",
    "fault_proxy", "registry_factory", "token_server_factory", "proxy_factory", "stack_factory",
]


def factory_fixture(name: str, cls: Callable[..., Any], doc: str) -> Any:
    """A pytest fixture ``name`` giving ``make(*args, **kw)``: ``cls(*args, **kw)``,
    started; everything it made is stopped at teardown, the last made first."""
    def fixture() -> Iterator[Callable[..., Any]]:
        made: list[Any] = []

        def make(*args: Any, **kw: Any) -> Any:
            obj = cls(*args, **kw)
            made.append(obj)
            return obj.start()

        try:
            yield make
        finally:
            for obj in reversed(made):
                obj.stop()
    fixture.__name__ = fixture.__qualname__ = name
    fixture.__doc__ = doc
    return pytest.fixture(fixture)


def make_test_image(tmp_path_factory: pytest.TempPathFactory, dirname: str) -> dict:
    """A small OCI image made with umoci in a new temp dir ``dirname``:
    {"layout", "tag", "ref" ("oci:DIR:TAG")}."""
    layout = str(tmp_path_factory.mktemp(dirname) / "layout")
    ref = stack.make_oci_image(layout, "v1", files={"hello.txt": "hello from berth\n",
                                                    "data/blob.bin": os.urandom(4096)})
    return {"layout": layout, "tag": "v1", "ref": ref}


@pytest.fixture(scope="session")
def oci_image(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A small OCI image made with umoci: {"layout", "tag", "ref" ("oci:DIR:TAG")}."""
    return make_test_image(tmp_path_factory, "oci")


registry_factory = factory_fixture("registry_factory", stack.Registry,
                                   "make(**Registry kwargs) -> started Registry, stopped at "
                                   "teardown.")
token_server_factory = factory_fixture("token_server_factory", stack.TokenServer,
                                       "make(**TokenServer kwargs) -> started TokenServer.")
proxy_factory = factory_fixture("proxy_factory", stack.FaultProxy,
                                "make(upstream, **FaultProxy kwargs) -> started FaultProxy.")
stack_factory = factory_fixture("stack_factory", stack.Stack,
                                "make(kind, tls=..., proxy=..., ...) -> started Stack.")


@pytest.fixture
def plain_registry() -> Iterator[stack.Registry]:
    with stack.Registry() as reg:
        yield reg


@pytest.fixture
def htpasswd_registry() -> Iterator[stack.Registry]:
    with stack.Registry(auth="htpasswd") as reg:
        yield reg


@pytest.fixture
def token_registry() -> Iterator[stack.Registry]:
    """Token auth; ``token_registry.token_server`` records the token requests."""
    with stack.Registry(auth="token") as reg:
        yield reg


@pytest.fixture
def tls_registry() -> Iterator[stack.Registry]:
    """HTTPS with a test CA: ``ca_file``, ``cert_dir``."""
    with stack.Registry(tls=True) as reg:
        yield reg


@pytest.fixture
def fault_proxy(plain_registry: stack.Registry) -> Iterator[stack.FaultProxy]:
    """A FaultProxy in front of ``plain_registry``."""
    with stack.FaultProxy(plain_registry) as px:
        yield px
