"""`berth build -f Dockerfile` on a real distribution: a Debian bookworm base made by
mmdebstrap from Debian's archive (minbase, about 180 MB), and a Dockerfile that does what
real ones do - apt-get update and install, useradd, a RUN as that user - built by berth
and by BuildKit from the same base in a loopback registry and compared where the result
is content, not a clock (/usr, /home and the account files; apt's lists, logs and caches
hold times).

Run as root:  python3 -m pytest -q -p no:cacheprovider tests/dockerfile/test_debian_base.py
"""

from __future__ import annotations

import os
import shutil

import pytest

from buildkit_support import BuildKit, have_buildkit
from conftest import SCRUB, Layout, check_peers, run_cmd
from image_compare import snapshot, tree_diff, unpack

MIRROR = "http://deb.debian.org/debian"

DOCKERFILE = """FROM {base}
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update -q && apt-get install -y -q --no-install-recommends hello \\
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 1500 app
USER app
WORKDIR /home/app
RUN hello > greeting && mkdir -p .config/tool && echo on > .config/tool/setting
"""

COMPARED = ("usr/", "home/", "etc/passwd", "etc/group")


@pytest.fixture(scope="session")
def debian_image(berth_bin, tmp_path_factory, registry):
    """(layout, registry ref) of a Debian bookworm minbase image, one layer."""
    if not shutil.which("mmdebstrap"):
        pytest.fail("the Debian base needs mmdebstrap (scripts/setup.sh)", pytrace=False)
    work = tmp_path_factory.mktemp("debian")
    root = work / "root"
    run_cmd(["mmdebstrap", "--variant=minbase", "--quiet", "bookworm", str(root), MIRROR],
            timeout=600)
    layout = Layout(work / "layout", "bookworm")
    env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUB)}
    env.update(SOURCE_DATE_EPOCH="0", HOME=str(work))
    run_cmd([berth_bin, "build", "--from", "scratch", "--layer", str(root), "--output",
             layout.ref], env=env, timeout=300)
    shutil.rmtree(root)
    ref = "%s/debian:bookworm" % registry.hostport
    run_cmd([berth_bin, "copy", layout.ref, ref], timeout=300)
    return layout, ref


def compared(tree: dict) -> dict:
    return {p: e for p, e in tree.items() if p.startswith(COMPARED)}


def test_apt_get_useradd_and_user_run(berth, debian_image, tmp_path):
    layout, _ = debian_image
    _, out = berth.build(DOCKERFILE.replace("{base}", layout.ref), timeout=600)
    tree = snapshot(unpack(out, tmp_path / "unpack"))
    assert tree["usr/bin/hello"]["type"] == "file"
    greeting = tree["home/app/greeting"]
    assert greeting["text"] == "Hello, world!\n"
    assert (greeting["uid"], greeting["gid"]) == (1500, 1500)
    assert tree["home/app/.config/tool/setting"]["uid"] == 1500
    assert not [p for p in tree if p.startswith("var/lib/apt/lists/") and
                not p.endswith(("lock", "partial", "auxfiles"))]
    cfg = out.config()
    assert cfg["config"]["User"] == "app" and cfg["config"]["WorkingDir"] == "/home/app"
    # The image's history: the base's entry, then one per instruction.
    assert len(cfg["history"]) == 1 + 6


def test_apt_get_build_matches_buildkit(berth, debian_image, registry, tmp_path_factory,
                                        tmp_path):
    if not have_buildkit():
        pytest.fail("needs buildkitd, buildctl and runc (scripts/setup.sh)", pytrace=False)
    _, ref = debian_image
    text = DOCKERFILE.replace("{base}", ref)
    _, out = berth.build(text, timeout=600)
    bk = BuildKit(tmp_path_factory.mktemp("buildkit-debian"), [registry.hostport])
    try:
        _, k_out = bk.build(berth.context(text, name="ctx-bk"))
        b_tree = compared(snapshot(unpack(out, tmp_path / "unpack-berth")))
        k_tree = compared(snapshot(unpack(k_out, tmp_path / "unpack-bk")))
        check_peers(k_out, tmp_path / "peer-check")
    finally:
        bk.stop()
    assert len(b_tree) > 1000, "the compared part of the image is too small to mean much"
    diffs = tree_diff(b_tree, k_tree, "buildkit")
    assert not diffs, "berth differs from BuildKit:\n  " + "\n  ".join(diffs[:50])


def test_rootless_apt_get_build_matches_root(berth, rootless, debian_image, tmp_path):
    """apt-get as an unprivileged user's build: apt drops to _apt (uid 42) for downloads,
    useradd writes the account files, a RUN runs as the new user; the same files as
    root's build."""
    _, ref = debian_image
    text = DOCKERFILE.replace("{base}", ref)
    _, as_root = berth.build(text, timeout=600)
    as_user = rootless.build(text, timeout=600)
    b_tree = compared(snapshot(unpack(as_root, tmp_path / "unpack-root")))
    r_tree = compared(snapshot(unpack(as_user, tmp_path / "unpack-rootless")))
    assert r_tree["home/app/greeting"]["uid"] == 1500
    diffs = tree_diff(r_tree, b_tree, "root")  # "berth" is the rootless side here
    assert not diffs, "the rootless build differs from root's:\n  " + "\n  ".join(diffs[:50])
