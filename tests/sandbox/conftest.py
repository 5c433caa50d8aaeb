"""Fixtures for the RUN executor's tests: the driver, a busybox base image as an
overlay lower directory, and a runner for root and rootless (an unprivileged user made
with useradd, driven through runuser, with its /etc/subuid range mapped by newuidmap).
"""
import json
import os
import pathlib
import pwd
import shutil
import subprocess
import tempfile

import pytest

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ROOTLESS_USER = "berth-sbx"
BUSYBOX = shutil.which("busybox") or "/bin/busybox"

PASSWD = """root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
svc:x:1001:1001:svc:/srv:/bin/sh
"""
GROUP = """root:x:0:
app:x:1000:
svc:x:1001:
extra:x:2000:app,svc
"""


def driver_path():
    env = os.environ.get("BERTH_SANDBOX_DRIVER")
    if env:
        return env
    for cand in [ROOT / "build" / "tests" / "berth_sandbox_driver"] + sorted(
        ROOT.glob("build*/tests/berth_sandbox_driver"), key=lambda p: -p.stat().st_mtime
    ):
        if cand.exists():
            return str(cand)
    pytest.fail("berth_sandbox_driver is not built (cmake --build build --target berth_sandbox_driver)")


def is_static(path):
    out = subprocess.run(["file", "-L", path], capture_output=True, text=True).stdout
    return "statically linked" in out or "static-pie" in out


@pytest.fixture(scope="session")
def driver():
    return driver_path()


def world_dir(prefix):
    """A temp dir the rootless user can reach (pytest's own tmp dirs are 0700)."""
    d = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    os.chmod(d, 0o755)
    return pathlib.Path(d)


@pytest.fixture(scope="session")
def base():
    """A busybox root file system: bin/ with every applet, etc/passwd and group, some
    data to delete and replace, and a symlink that points at the host's /tmp. No /proc,
    /dev, /sys, /etc/hosts or /etc/resolv.conf: the sandbox must make its mount points
    and leave none of them in a layer."""
    if not os.path.exists(BUSYBOX):
        pytest.fail("busybox is missing: apt-get install busybox-static (scripts/setup.sh)")
    assert is_static(BUSYBOX), "the base needs a static busybox (busybox-static)"
    root = world_dir("berth-sbx-base-")
    (root / "bin").mkdir()
    shutil.copy2(BUSYBOX, root / "bin" / "busybox")
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=True)
    for name in applets.stdout.split():
        if name != "busybox":
            os.symlink("busybox", root / "bin" / name)
    (root / "etc").mkdir()
    (root / "etc" / "passwd").write_text(PASSWD)
    (root / "etc" / "group").write_text(GROUP)
    (root / "data" / "dir").mkdir(parents=True)
    (root / "data" / "old").write_text("old\n")
    (root / "data" / "dir" / "a").write_text("a\n")
    (root / "data" / "dir" / "b").write_text("b\n")
    (root / "tmp").mkdir(mode=0o1777)
    os.chmod(root / "tmp", 0o1777)
    os.symlink("/tmp", root / "hostlink")
    yield root
    shutil.rmtree(root, ignore_errors=True)


def chown_tree(root, uid, gid):
    os.lchown(root, uid, gid)
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            os.lchown(os.path.join(d, n), uid, gid)


@pytest.fixture(scope="session")
def rootless_base(base):
    """The base as a rootless build unpacks it: owned by the user, who is root inside."""
    pw = ensure_rootless_user()
    root = world_dir("berth-sbx-base-rootless-")
    shutil.copytree(base, root, symlinks=True, dirs_exist_ok=True)
    chown_tree(root, pw.pw_uid, pw.pw_gid)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def ensure_rootless_user():
    try:
        pwd.getpwnam(ROOTLESS_USER)
    except KeyError:
        subprocess.run(["useradd", "--create-home", ROOTLESS_USER], check=True)
    return pwd.getpwnam(ROOTLESS_USER)


class Sandbox:
    """One run's directories and the way to start the driver (as root or rootless)."""

    def __init__(self, driver, base, mode):
        self.driver = driver
        self.base = base
        self.mode = mode
        self.dir = world_dir("berth-sbx-run-")
        self.upper = self.dir / "upper"
        self.work = self.dir / "work"
        self.user = ROOTLESS_USER
        if mode == "rootless":
            pw = ensure_rootless_user()
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)

    def cmd(self, argv, *opts, lowers=None, tar=True):
        args = [self.driver, "run"]
        for lower in lowers if lowers is not None else [self.base]:
            args += ["--lower", str(lower)]
        args += ["--upper", str(self.upper), "--work", str(self.work)]
        if tar:
            args += ["--tar", str(self.dir / "layer.tar")]
        args += list(opts) + ["--"] + list(argv)
        if self.mode == "rootless":
            args = ["runuser", "-u", self.user, "--"] + args
        return args

    def cleanup_upper(self):
        """A fresh upper and work dir for another run in the same sandbox dir."""
        shutil.rmtree(self.upper, ignore_errors=True)
        shutil.rmtree(self.work, ignore_errors=True)

    def driver_json(self, *args, timeout=60):
        """Another driver command (diff, unpack) as this sandbox's user."""
        cmd = [self.driver] + [str(a) for a in args]
        if self.mode == "rootless":
            cmd = ["runuser", "-u", self.user, "--"] + cmd
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd="/")
        assert p.stdout.strip(), f"driver printed nothing; stderr: {p.stderr}"
        return json.loads(p.stdout)

    def run(self, argv, *opts, env=None, timeout=60, **kw):
        p = subprocess.run(self.cmd(argv, *opts, **kw), capture_output=True, text=True,
                           env=env, timeout=timeout, cwd="/")
        assert p.stdout.strip(), f"driver printed nothing; stderr: {p.stderr}"
        out = json.loads(p.stdout)
        assert (p.returncode == 0) == ("error" not in out), (p.returncode, out, p.stderr)
        return out

    @property
    def tar(self):
        return self.dir / "layer.tar"

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def rootless_refusal(driver, base):
    """None when the kernel lets an unprivileged user make the sandbox, else the error
    the driver reported (which must then be the documented refusal)."""
    sb = Sandbox(driver, base, "rootless")
    try:
        out = sb.run(["true"], tar=False)
        if "error" in out:
            return out
        return None
    finally:
        sb.cleanup()


@pytest.fixture(params=["root", "rootless"])
def sandbox(request, driver, base):
    if os.geteuid() != 0:
        pytest.skip("the suite creates its rootless user and runs as root; it was started as "
                    f"uid {os.geteuid()}")
    if request.param == "rootless":
        base = request.getfixturevalue("rootless_base")
        refusal = rootless_refusal(driver, base)
        if refusal is not None:
            # The one acceptable failure: the kernel refusing the namespaces, overlayfs or
            # /proc to an unprivileged user, reported as "unsupported" with the reason.
            assert refusal["code"] == -12, refusal  # Errc::unsupported
            assert any(why in refusal["message"] for why in (
                "cannot create the sandbox's namespaces", "mounting overlayfs",
                "mounting /proc")), refusal
            print(f"SKIP rootless: the kernel refused: {refusal['message']}")
            pytest.skip(f"rootless sandbox refused here: {refusal['message']}")
    sb = Sandbox(driver, base, request.param)
    yield sb
    sb.cleanup()


@pytest.fixture
def root_sandbox(driver, base):
    if os.geteuid() != 0:
        pytest.skip(f"root-only case; the suite runs as uid {os.geteuid()}")
    sb = Sandbox(driver, base, "root")
    yield sb
    sb.cleanup()


SINGLE_ID_USER = "berth-sbx-single"


@pytest.fixture
def single_id_sandbox(driver, base):
    """Rootless without subordinate ids: a user useradd gave no /etc/subuid range, so only
    its own id can be mapped (the documented fallback)."""
    if os.geteuid() != 0:
        pytest.skip(f"the suite creates its users and runs as root; it runs as uid {os.geteuid()}")
    try:
        pw = pwd.getpwnam(SINGLE_ID_USER)
    except KeyError:
        subprocess.run(["useradd", "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0",
                        SINGLE_ID_USER], check=True)
        pw = pwd.getpwnam(SINGLE_ID_USER)
    for f in ("/etc/subuid", "/etc/subgid"):
        assert not any(l.startswith(SINGLE_ID_USER + ":") for l in open(f)), f
    lower = world_dir("berth-sbx-base-single-")
    shutil.copytree(base, lower, symlinks=True, dirs_exist_ok=True)
    chown_tree(lower, pw.pw_uid, pw.pw_gid)
    sb = Sandbox(driver, lower, "rootless")
    os.chown(sb.dir, pw.pw_uid, pw.pw_gid)
    sb.user = SINGLE_ID_USER
    yield sb
    sb.cleanup()
    shutil.rmtree(lower, ignore_errors=True)
