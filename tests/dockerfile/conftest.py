"""Fixtures for `berth build -f Dockerfile`: a busybox base image made by berth itself,
a runner for the CLI with a per-test cache and HOME, and readers that judge every image
with real peers (umoci unpacks its files, skopeo reads its config).

Run as root:  python3 -m pytest -q tests/dockerfile      (BERTH_CLI=path/to/berth to choose)
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass

import pytest

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tests" / "servers"))

import stack  # noqa: E402

BUSYBOX = shutil.which("busybox") or "/bin/busybox"

PASSWD = """root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
"""
GROUP = """root:x:0:
app:x:1000:
"""

# Variables of the caller's environment that must never reach a build's RUN steps.
SCRUB = ("BERTH_", "DOCKER_", "SOURCE_DATE_EPOCH", "http_proxy", "https_proxy", "HTTP_PROXY",
         "HTTPS_PROXY", "ALL_PROXY", "all_proxy", "no_proxy", "NO_PROXY")


def find_berth() -> str:
    env = os.environ.get("BERTH_CLI")
    if env:
        return env
    return str(ROOT / "build" / "bin" / "berth")


def wait_for_binary(path: str, seconds: float = 60) -> None:
    """The CLI may be replaced under us by a rebuild: wait until it is there."""
    deadline = time.monotonic() + seconds
    while not os.access(path, os.X_OK):
        if time.monotonic() > deadline:
            pytest.fail("berth CLI %s is missing (build it, or set BERTH_CLI)" % path,
                        pytrace=False)
        time.sleep(1)


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


@dataclass
class Run:
    cmd: list
    returncode: int
    stdout: str
    stderr: str

    def describe(self) -> str:
        return "%s -> %d\nstdout: %s\nstderr: %s" % (
            " ".join(map(str, self.cmd)), self.returncode, self.stdout[-3000:],
            self.stderr[-5000:])


def run_cmd(cmd, *, env=None, input=None, timeout=120, check=True, cwd=None) -> Run:
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env,
                       input=input, timeout=timeout, cwd=cwd)
    r = Run([str(c) for c in cmd], p.returncode, p.stdout, p.stderr)
    if check and p.returncode != 0:
        raise AssertionError(r.describe())
    return r


class Layout:
    """An OCI image layout berth wrote, read with umoci and skopeo (and by hand)."""

    def __init__(self, path, tag):
        self.path = pathlib.Path(path)
        self.tag = tag

    @property
    def ref(self) -> str:
        return "oci:%s:%s" % (self.path, self.tag)

    def index(self) -> dict:
        return json.loads((self.path / "index.json").read_text())

    def tags(self) -> list:
        if not (self.path / "index.json").exists():
            return []
        return [m.get("annotations", {}).get("org.opencontainers.image.ref.name")
                for m in self.index().get("manifests", [])]

    def entry(self) -> dict:
        for m in self.index()["manifests"]:
            if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == self.tag:
                return m
        raise AssertionError("no tag %s in %s: %s" % (self.tag, self.path, self.tags()))

    def blob(self, digest: str) -> bytes:
        algo, hexd = digest.split(":", 1)
        data = (self.path / "blobs" / algo / hexd).read_bytes()
        assert "sha256:" + hashlib.sha256(data).hexdigest() == digest, "blob digest mismatch"
        return data

    @property
    def digest(self) -> str:
        return self.entry()["digest"]

    def manifest(self) -> dict:
        return json.loads(self.blob(self.digest))

    def config(self) -> dict:
        """The config blob as skopeo reads it (checked equal to the layout's blob; skopeo's
        parsed view, which drops Docker-only fields such as Healthcheck, must agree on
        the OCI fields)."""
        raw = run_cmd(["skopeo", "inspect", "--config", "--raw", self.ref]).stdout
        blob = self.blob(self.manifest()["config"]["digest"])
        assert raw.encode() == blob, "skopeo's config differs from the layout's blob"
        cfg = json.loads(blob)
        parsed = json.loads(run_cmd(["skopeo", "inspect", "--config", self.ref]).stdout)
        for k in ("created", "architecture", "os", "rootfs", "history"):
            assert parsed.get(k) == cfg.get(k), k
        for k in ("Env", "Cmd", "Entrypoint", "WorkingDir", "User", "Labels",
                  "ExposedPorts", "Volumes", "StopSignal"):
            assert parsed.get("config", {}).get(k) == cfg.get("config", {}).get(k), k
        return cfg

    def config_digest(self) -> str:
        return self.manifest()["config"]["digest"]

    def skopeo_digest(self) -> str:
        raw = run_cmd(["skopeo", "inspect", "--raw", self.ref]).stdout
        return "sha256:" + hashlib.sha256(raw.encode()).hexdigest()

    def unpack(self, bundle) -> pathlib.Path:
        """umoci unpacks the image; returns its rootfs."""
        bundle = pathlib.Path(bundle)
        if bundle.exists():
            shutil.rmtree(bundle)
        run_cmd(["umoci", "unpack", "--image", "%s:%s" % (self.path, self.tag), str(bundle)])
        return bundle / "rootfs"


class Berth:
    """berth build with a clean HOME and a cache dir of the test's own."""

    def __init__(self, binary: str, work: pathlib.Path):
        self.binary = binary
        self.work = work
        self.home = work / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        self.cache = work / "cache"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUB)}
        self.env.update(HOME=str(self.home), DOCKER_CONFIG=str(self.home / ".docker"),
                        XDG_CACHE_HOME=str(self.home / ".cache"))
        self._n = 0

    def context(self, dockerfile: str | None, files: dict | None = None, name="ctx"):
        """A context dir with the Dockerfile and files {relpath: str|bytes}."""
        ctx = self.work / name
        ctx.mkdir(parents=True, exist_ok=True)
        if dockerfile is not None:
            (ctx / "Dockerfile").write_text(dockerfile)
        for rel, data in (files or {}).items():
            p = ctx / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, bytes):
                p.write_bytes(data)
            else:
                p.write_text(data)
        return ctx

    def new_layout(self, tag="t") -> Layout:
        self._n += 1
        return Layout(self.work / ("out%d" % self._n), tag)

    def run(self, *args, env=None, input=None, timeout=120, check=True) -> Run:
        wait_for_binary(self.binary)
        e = dict(self.env)
        e.update(env or {})
        return run_cmd([self.binary, "build", "--progress", "plain", *args], env=e,
                       input=input, timeout=timeout, check=check, cwd=str(self.work))

    def build(self, dockerfile: str | None = None, files: dict | None = None, *args,
              ctx=None, layout: Layout | None = None, cache=None, env=None, check=True,
              input=None, timeout=120):
        """Builds ctx (made from dockerfile + files unless given) into a new layout.
        Returns (Run, Layout); a successful build's image is checked with both peers."""
        if ctx is None:
            ctx = self.context(dockerfile, files)
        layout = layout or self.new_layout()
        r = self.run("--cache", str(cache or self.cache), "--output", layout.ref, *args,
                     str(ctx), env=env, check=check, input=input, timeout=timeout)
        if r.returncode == 0:
            check_peers(layout, self.work / "peer-check")
        return r, layout


ROOTLESS_USER = "berth-sbx"  # the sandbox suite's unprivileged user (/etc/subuid range)


class RootlessBerth:
    """berth build run by an unprivileged user (runuser), as on a developer's machine:
    its HOME, cache, context and output live in a directory that user owns; the images it
    writes are read back as root."""

    def __init__(self, binary: str):
        import pwd
        import tempfile
        try:
            pwd.getpwnam(ROOTLESS_USER)
        except KeyError:
            subprocess.run(["useradd", "--create-home", ROOTLESS_USER], check=True)
        self.pw = pwd.getpwnam(ROOTLESS_USER)
        self.binary = binary
        self.work = pathlib.Path(tempfile.mkdtemp(prefix="berth-rootless-build-", dir="/tmp"))
        os.chmod(self.work, 0o755)
        os.chown(self.work, self.pw.pw_uid, self.pw.pw_gid)
        self._n = 0

    def build(self, dockerfile: str, files: dict | None = None, env=None,
              timeout=120) -> Layout:
        self._n += 1
        ctx = self.work / ("ctx%d" % self._n)
        ctx.mkdir()
        (ctx / "Dockerfile").write_text(dockerfile)
        for rel, data in (files or {}).items():
            p = ctx / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data) if isinstance(data, bytes) else p.write_text(data)
        for d, dirs, names in os.walk(ctx):
            for n in [d] + [os.path.join(d, x) for x in dirs + names]:
                os.lchown(n, self.pw.pw_uid, self.pw.pw_gid)
        layout = Layout(self.work / ("out%d" % self._n), "t")
        e = {k: v for k, v in os.environ.items() if not k.startswith(SCRUB)}
        e.update(HOME=str(self.work), XDG_CACHE_HOME=str(self.work / ".cache"),
                 DOCKER_CONFIG=str(self.work / ".docker"))
        e.update(env or {})
        run_cmd(["runuser", "-u", ROOTLESS_USER, "--", self.binary, "build", "--progress",
                 "plain", "--cache", str(self.work / "cache"), "--output", layout.ref,
                 str(ctx)], env=e, timeout=timeout, cwd=str(self.work))
        check_peers(layout, self.work / "peer-check")
        return layout

    def cleanup(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)


@pytest.fixture
def rootless(berth_bin):
    r = RootlessBerth(berth_bin)
    yield r
    r.cleanup()


def check_peers(layout: Layout, scratch: pathlib.Path) -> None:
    """Both peers accept the image: skopeo reads manifest and config, umoci unpacks it,
    and the digests they see are the layout's. An index: skopeo picks each platform's
    image out of it, the child the index names."""
    assert layout.skopeo_digest() == layout.digest
    top = json.loads(layout.blob(layout.digest))
    if "manifests" in top:
        for m in top["manifests"]:
            p = m["platform"]
            cfg = json.loads(run_cmd(["skopeo", "--override-os", p["os"], "--override-arch",
                                      p["architecture"], "inspect", "--config",
                                      layout.ref]).stdout)
            child = json.loads(layout.blob(m["digest"]))
            assert cfg == json.loads(layout.blob(child["config"]["digest"])), p
        return
    info = json.loads(run_cmd(["skopeo", "inspect", layout.ref]).stdout)
    assert info["Digest"] == layout.digest
    assert len(info["Layers"]) == len(layout.manifest()["layers"])
    layout.config()
    layout.unpack(scratch)
    shutil.rmtree(scratch)


@pytest.fixture(scope="session", autouse=True)
def _required() -> None:
    if os.geteuid() != 0:
        pytest.fail("the Dockerfile suite runs as root (RUN sandboxes, umoci unpack)",
                    pytrace=False)
    missing = [t for t in ("skopeo", "umoci", stack.REGISTRY_BIN) if not shutil.which(t)]
    if missing:
        pytest.fail("tests/dockerfile needs %s on PATH (scripts/setup.sh)" % ", ".join(missing),
                    pytrace=False)


@pytest.fixture(scope="session")
def berth_bin() -> str:
    b = find_berth()
    wait_for_binary(b)
    return b


@pytest.fixture(scope="session")
def busybox_image(berth_bin, tmp_path_factory) -> Layout:
    """busybox (Debian's busybox-static) with every applet, /etc/passwd and /etc/group
    naming app 1000:1000, built by berth from a directory with SOURCE_DATE_EPOCH=0."""
    if not os.path.exists(BUSYBOX):
        pytest.fail("busybox is missing: apt-get install busybox-static", pytrace=False)
    out = run_cmd(["file", "-L", BUSYBOX]).stdout
    assert "statically linked" in out or "static-pie" in out, "busybox must be busybox-static"
    base = tmp_path_factory.mktemp("busybox")
    root = base / "root"
    (root / "bin").mkdir(parents=True)
    shutil.copy2(BUSYBOX, root / "bin" / "busybox")
    applets = run_cmd([BUSYBOX, "--list"]).stdout.split()
    for name in applets:
        if name != "busybox":
            os.symlink("busybox", root / "bin" / name)
    (root / "etc").mkdir()
    (root / "etc" / "passwd").write_text(PASSWD)
    (root / "etc" / "group").write_text(GROUP)
    (root / "tmp").mkdir()
    os.chmod(root / "tmp", 0o1777)
    layout = Layout(base / "layout", "busybox")
    env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUB)}
    env["SOURCE_DATE_EPOCH"] = "0"
    env["HOME"] = str(base)
    wait_for_binary(berth_bin)
    run_cmd([berth_bin, "build", "--from", "scratch", "--layer", str(root),
             "--output", layout.ref], env=env)
    check_peers(layout, base / "peer-check")
    assert len(layout.manifest()["layers"]) == 1
    return layout


@pytest.fixture
def berth(berth_bin, tmp_path) -> Berth:
    return Berth(berth_bin, tmp_path)


@pytest.fixture
def base(busybox_image) -> str:
    """The FROM reference of the busybox base."""
    return busybox_image.ref


@pytest.fixture(scope="session")
def registry():
    """A plain docker-registry (CNCF distribution 2.8) from tests/servers/stack.py."""
    with stack.Registry() as reg:
        yield reg
