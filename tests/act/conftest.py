"""Fixtures for the workflow tests under act: the berth CLI, act, the local ECR stack
(tests/ecr_stack, one per session) and the environment a workflow gets to reach it.

Run from the repository root:  python3 -m pytest -q tests/act
(BERTH_CLI=path/to/berth, BERTH_ACT=path/to/act to choose; act is installed by
scripts/setup.sh into .tools/bin).
"""

from __future__ import annotations

import os
import shutil
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "ecr_stack"))
sys.path.insert(0, os.path.join(HERE, "..", "servers"))

import actlib  # noqa: E402
from ecr_fixtures import *  # noqa: E402,F401,F403

REQUIRED_TOOLS = ("git", "curl", "skopeo", "aws", "docker-registry")


@pytest.fixture(scope="session", autouse=True)
def _required_tools() -> None:
    missing = [t for t in REQUIRED_TOOLS if not shutil.which(t)]
    if missing:
        pytest.fail("tests/act needs %s on PATH (scripts/setup.sh)" % ", ".join(missing),
                    pytrace=False)


@pytest.fixture(scope="session")
def berth_bin() -> str:
    try:
        return actlib.find_berth()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="session")
def act_bin() -> str:
    path = actlib.find_act()
    if not path:
        pytest.fail("act is not installed: GOBIN=%s/.tools/bin go install "
                    "github.com/nektos/act@%s (scripts/setup.sh does)"
                    % (actlib.ROOT, actlib.ACT_VERSION), pytrace=False)
    return path


@pytest.fixture
def stack_env(ecr_stack, tmp_path) -> dict[str, str]:
    """What every step of a workflow gets (act --env-file): the stack's addresses as a
    job on a runner would see them, and TEST_OUT, where steps leave records for the
    test outside the log. No AWS credentials: those come from OIDC or secrets."""
    st = ecr_stack
    out = tmp_path / "out"
    out.mkdir()
    return {
        # berth reaches the ECR host name on loopback, TLS verified with the stack's CA
        "BERTH_CONNECT_TO": st.front.connect_to_all,
        "SSL_CERT_FILE": st.ca.cert_file,
        # AWS APIs (berth, awscli) go to moto; no profile files, no instance metadata
        "AWS_ENDPOINT_URL": st.moto.url,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        # what the runner gives a job with `permissions: id-token: write`
        "ACTIONS_ID_TOKEN_REQUEST_URL": st.oidc.request_url,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": st.oidc.request_token,
        # for the workflow's local-stack steps
        "ECR_STACK_RESET_AUTH_URL": st.moto.url + "/moto-api/reset-auth",
        "ECR_STACK_HTTPS_PROXY": st.front.https_proxy,
        "ECR_STACK_CERT_DIR": st.ca.cert_dir,
        "DOCKER_CONFIG": str(out / "docker"),
        "TEST_OUT": str(out),
    }
