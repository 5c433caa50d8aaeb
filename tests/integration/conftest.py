"""Fixtures for berth's integration tests against real registries.

Registries (CNCF distribution 2.8 via tests/servers/stack.py) are shared per session;
every test works in its own repositories, so tests stay independent. FaultProxies are
cheap threads and are made per test so that their request records belong to it.

Run:  python3 -m pytest -q tests/integration      (BERTH_CLI=path/to/berth to choose)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import uuid
from typing import Iterator

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "servers"))

import itlib  # noqa: E402
import stack  # noqa: E402
from secret_scan import secret_scan_session  # noqa: E402,F401  (autouse, session)

REQUIRED_TOOLS = ("skopeo", "umoci", stack.REGISTRY_BIN, "htpasswd", stack.OPENSSL_BIN)


@pytest.fixture(scope="session")
def berth_bin() -> str:
    try:
        return itlib.find_berth()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="session", autouse=True)
def _required_tools() -> None:
    missing = [t for t in REQUIRED_TOOLS if not shutil.which(t)]
    if missing:
        pytest.fail("integration tests need %s on PATH (scripts/setup.sh installs them; "
                    "see docs/testing.md)"
                    % ", ".join(missing), pytrace=False)


@pytest.fixture(scope="session")
def crane() -> str:
    path = itlib.find_crane()
    if not path:
        pytest.skip("crane is not installed: GOBIN=%s/.tools/bin go install "
                    "github.com/google/go-containerregistry/cmd/crane@v0.22.1" % itlib.ROOT)
    return path


@pytest.fixture
def berth(berth_bin: str, tmp_path) -> itlib.Berth:
    """The berth CLI with a clean HOME/DOCKER_CONFIG under tmp_path."""
    return itlib.Berth(berth_bin, str(tmp_path / "home"))


@pytest.fixture
def repo(request) -> str:
    """A repository name unique to this test."""
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40]
    return "it/%s-%s" % (name, uuid.uuid4().hex[:6])


# ---------------------------------------------------------------- registries


@pytest.fixture(scope="session")
def plain_reg() -> Iterator[stack.Registry]:
    with stack.Registry() as reg:
        yield reg


@pytest.fixture(scope="session")
def v3_reg() -> Iterator[stack.Registry]:
    """CNCF distribution v3.1 (no referrers API either: the tag scheme, like 2.8)."""
    if not stack.registry_v3_bin():
        pytest.fail("distribution v3 is not installed (scripts/setup.sh puts it in "
                    ".tools/bin/registry-v3)", pytrace=False)
    with stack.Registry(distribution="v3") as reg:
        yield reg


@pytest.fixture(scope="session")
def api_reg() -> Iterator[stack.Registry]:
    """A registry that serves the OCI referrers API (go-containerregistry's)."""
    if not stack.referrers_registry_bin():
        pytest.fail("referrers-registry is not built (scripts/setup.sh builds "
                    "tests/servers/referrers_registry into .tools/bin)", pytrace=False)
    with stack.Registry(distribution="ggcr") as reg:
        yield reg


@pytest.fixture(scope="session")
def basic_reg() -> Iterator[stack.Registry]:
    with stack.Registry(auth="htpasswd") as reg:
        yield reg


@pytest.fixture(scope="session")
def token_reg() -> Iterator[stack.Registry]:
    with stack.Registry(auth="token") as reg:
        yield reg


@pytest.fixture(scope="session")
def tls_ca(tmp_path_factory) -> Iterator[stack.TestCA]:
    ca = stack.TestCA(str(tmp_path_factory.mktemp("tls-ca")))
    yield ca


@pytest.fixture(scope="session")
def tls_reg(tls_ca: stack.TestCA) -> Iterator[stack.Registry]:
    """HTTPS; the certificate names localhost, 127.0.0.1 and registry.test."""
    with stack.Registry(tls=True, ca=tls_ca,
                        tls_hosts=("localhost", stack.LOOPBACK, "registry.test")) as reg:
        yield reg


@pytest.fixture
def proxy_for() -> Iterator:
    """make(registry) -> a FaultProxy in front of it, stopped at teardown."""
    made: list[stack.FaultProxy] = []

    def make(reg: stack.Registry) -> stack.FaultProxy:
        px = stack.FaultProxy(reg).start()
        made.append(px)
        return px

    yield make
    for px in made:
        px.stop()


# ---------------------------------------------------------------- images


@pytest.fixture(scope="session")
def small_image(tmp_path_factory) -> dict:
    """A two-layer image made by umoci: {"layout", "tag", "ref"}."""
    layout = str(tmp_path_factory.mktemp("small") / "layout")
    ref = stack.make_oci_image(layout, "v1", files={"hello.txt": "hello from berth\n",
                                                    "data/blob.bin": os.urandom(8192)},
                               layers=2)
    return {"layout": layout, "tag": "v1", "ref": ref}


@pytest.fixture(scope="session")
def multi_image(tmp_path_factory) -> dict:
    """A multi-arch index (linux/amd64 + linux/arm64) in an OCI layout. The two images
    are made by umoci; the index is written by hand. {"layout", "tag", "ref", "index",
    "children": {"amd64": desc, "arm64": desc}}."""
    layout = str(tmp_path_factory.mktemp("multi") / "layout")
    children = {}
    for arch in ("amd64", "arm64"):
        stack.make_oci_image(layout, arch, files={"arch.txt": "built for %s\n" % arch,
                                                  "rand.bin": os.urandom(2048)})
        stack._run(["umoci", "config", "--image", "%s:%s" % (layout, arch), "--os", "linux",
                    "--architecture", arch])
        entry = itlib.layout_entry(layout, arch)
        children[arch] = {"mediaType": entry["mediaType"], "digest": entry["digest"],
                          "size": entry["size"],
                          "platform": {"architecture": arch, "os": "linux"}}
    index = itlib.add_index(layout, "multi", [children["amd64"], children["arm64"]])
    return {"layout": layout, "tag": "multi", "ref": "oci:%s:multi" % layout, "index": index,
            "children": children}


@pytest.fixture(scope="session")
def big_image(tmp_path_factory) -> dict:
    """One 40 MiB random (incompressible, uncompressed-tar) layer: more than the
    16 MiB monolithic-upload limit, so pushes go up in chunked PATCHes."""
    layout = str(tmp_path_factory.mktemp("big") / "layout")
    desc = itlib.make_layout_image(layout, "big",
                                   [itlib.tar_bytes({"big.bin": os.urandom(40 << 20)})],
                                   gzip_layers=False)
    manifest = itlib.read_blob(layout, desc["digest"])
    layer = json.loads(manifest)["layers"][0]
    return {"layout": layout, "tag": "big", "ref": "oci:%s:big" % layout, "digest": desc["digest"],
            "layer": layer}
