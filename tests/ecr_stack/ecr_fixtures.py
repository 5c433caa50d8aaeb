"""pytest fixtures over ecr_stack.py.

Use from any test directory's conftest.py::

    import os, sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "ecr_stack"))  # adjust
    from ecr_fixtures import *  # noqa: F401,F403

``ecr_stack_session`` starts one EcrStack per session (about 2.5 s: moto, IAM set-up,
OIDC endpoint, docker-registry, front); ``ecr_stack`` hands the same stack to a test
after ``reset()`` (front switches and records back to defaults, IAM auth on) and resets
it again afterwards.  ``ecr_stack_factory`` makes private stacks.  Everything is stopped
and its temp dirs removed at teardown.
"""

from __future__ import annotations

from typing import Iterator

import pytest

import ecr_stack as _ecr
from stack_fixtures import factory_fixture, make_test_image

__all__ = ["ecr_stack_session", "ecr_stack", "ecr_stack_factory", "ecr_oci_image"]


@pytest.fixture(scope="session")
def ecr_stack_session() -> Iterator[_ecr.EcrStack]:
    with _ecr.EcrStack() as st:
        yield st


@pytest.fixture
def ecr_stack(ecr_stack_session: _ecr.EcrStack) -> Iterator[_ecr.EcrStack]:
    """The session's EcrStack, reset before and after the test."""
    ecr_stack_session.reset()
    try:
        yield ecr_stack_session
    finally:
        ecr_stack_session.reset()


ecr_stack_factory = factory_fixture("ecr_stack_factory", _ecr.EcrStack,
                                    "make(**EcrStack kwargs) -> a started private EcrStack, "
                                    "stopped at teardown.")


@pytest.fixture(scope="session")
def ecr_oci_image(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A small OCI image made with umoci: {"layout", "tag", "ref" ("oci:DIR:TAG")}.
    umoci writes its manifest without a top-level mediaType, which ECR refuses."""
    return make_test_image(tmp_path_factory, "ecr-oci")
