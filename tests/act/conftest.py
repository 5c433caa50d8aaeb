"""Fixtures for the workflow tests under act: the berth CLI, act, the local ECR stack
(tests/ecr_stack, one per session) and the environment a workflow gets to reach it.

Run from the repository root:  python3 -m pytest -q tests/act
(BERTH_CLI=path/to/berth, BERTH_ACT=path/to/act to choose; act is installed by
scripts/setup.sh into .tools/bin).

Dockerfile builds take their base from ECR Public: `public_base` is a busybox image
(Debian's busybox-static, every applet linked) pushed to the ECR Public stand-in
(tests/ecr_stack/ecr_public.py, public.ecr.aws over TLS, anonymous pulls), and
`public_env` is `stack_env` with that registry reachable too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "ecr_stack"))
sys.path.insert(0, os.path.join(HERE, "..", "servers"))

import actlib  # noqa: E402
import ecr_public  # noqa: E402
from ecr_fixtures import *  # noqa: E402,F401,F403

REQUIRED_TOOLS = ("git", "curl", "skopeo", "aws", "docker-registry", "busybox", "file")


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



@pytest.fixture(scope="session")
def ecr_public_session(ecr_stack_session):
    """ECR Public (its API, token server and registry under public.ecr.aws). No key
    may sign for it: a workflow's role session pulls anonymously, as from ECR Public
    with a role that has no ecr-public rights."""
    with ecr_public.EcrPublic({}) as pub:
        yield pub


@pytest.fixture(scope="session")
def public_base(ecr_public_session, berth_bin, tmp_path_factory) -> dict[str, str]:
    """A busybox image at actlib.PUBLIC_BASE: {"ref", "digest"}. Made by berth from a
    directory, pushed with ECR Public's password (never handed to a workflow)."""
    pub = ecr_public_session
    busybox = shutil.which("busybox")
    kind = subprocess.run(["file", "-L", busybox], capture_output=True, text=True).stdout
    if "statically linked" not in kind and "static-pie" not in kind:
        pytest.fail("%s is not static: apt-get install busybox-static (scripts/setup.sh)"
                    % busybox, pytrace=False)
    work = tmp_path_factory.mktemp("public-base")
    root = work / "root"
    (root / "bin").mkdir(parents=True)
    shutil.copy2(busybox, root / "bin" / "busybox")
    applets = subprocess.run([busybox, "--list"], capture_output=True, text=True, check=True)
    for name in applets.stdout.split():
        if name != "busybox":
            os.symlink("busybox", root / "bin" / name)
    (root / "etc").mkdir()
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n"
                                         "app:x:1000:1000::/app:/bin/sh\n")
    (root / "etc" / "group").write_text("root:x:0:\napp:x:1000:\n")
    (root / "tmp").mkdir()
    os.chmod(root / "tmp", 0o1777)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work),
           "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
           "AWS_EC2_METADATA_DISABLED": "true", **pub.env()}
    layout = "oci:%s:1.36" % (work / "layout")
    subprocess.run([berth_bin, "build", "--layer", str(root), "--output", layout,
                    "--quiet"], env=env, check=True, capture_output=True)
    p = subprocess.run([berth_bin, "push", "--quiet", "--dest-creds", "AWS:" + pub.password,
                        layout, actlib.PUBLIC_BASE], env=env, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return {"ref": actlib.PUBLIC_BASE, "digest": p.stdout.strip()}


@pytest.fixture
def public_env(stack_env, ecr_public_session, public_base, tmp_path) -> dict[str, str]:
    """stack_env with ECR Public reachable: its names mapped for berth, both test CAs
    trusted (one bundle), its API's endpoint."""
    pub = ecr_public_session
    bundle = tmp_path / "ca-bundle.pem"
    with open(bundle, "w") as out:
        for f in (stack_env["SSL_CERT_FILE"], pub.ca.cert_file):
            with open(f) as src:
                out.write(src.read().rstrip("\n") + "\n")
    return dict(stack_env,
                BERTH_CONNECT_TO=stack_env["BERTH_CONNECT_TO"] + "," + pub.connect_to,
                SSL_CERT_FILE=str(bundle),
                AWS_ENDPOINT_URL_ECR_PUBLIC=pub.api.url)
