"""The registry tests' empty keychain, written once.

Importing ``empty_keychain`` into a test module makes it that module's autouse
fixture: every test in it runs with DOCKER_CONFIG pointing at an empty directory and no
REGISTRY_AUTH_FILE, so no credentials of the user's reach the test registries.
"""

import os

import pytest


@pytest.fixture(scope="module", autouse=True)
def empty_keychain(tmp_path_factory):
    """No credentials from the user's docker config or REGISTRY_AUTH_FILE: the tests
    pass them explicitly."""
    saved = {k: os.environ.get(k) for k in ("DOCKER_CONFIG", "REGISTRY_AUTH_FILE")}
    os.environ["DOCKER_CONFIG"] = str(tmp_path_factory.mktemp("docker-config"))
    os.environ.pop("REGISTRY_AUTH_FILE", None)
    yield
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
