"""`berth build --platform linux/amd64,linux/arm64`: one image per platform, one index of
them, as BuildKit builds them. RUN for a foreign architecture goes through the kernel's
binfmt_misc handler (Debian's qemu-user-static, registered by scripts/setup.sh for
aarch64); without a handler the build fails naming what to install. Stages with
FROM --platform=$BUILDPLATFORM run natively and see TARGETARCH.

The base is made here: a static Go program (archtool: writes runtime.GOARCH and
$TARGETARCH to a file) built for amd64, arm64 and s390x, each laid on scratch by berth,
joined by berth index.

Run as root:  python3 -m pytest -q -p no:cacheprovider tests/dockerfile/test_multi_platform.py
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import shutil

import pytest

from conftest import HERE, SCRUB, Layout, run_cmd

ARCHS = ("amd64", "arm64", "s390x")
BINFMT = pathlib.Path("/proc/sys/fs/binfmt_misc")

EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}

CROSS = """FROM --platform=$BUILDPLATFORM {base} AS build
ARG TARGETARCH
RUN ["/tool", "/built-on"]
FROM {base}
ARG TARGETARCH
COPY --from=build /built-on /built-on
RUN ["/tool", "/ran-as"]
"""


@pytest.fixture(scope="session")
def multiarch_base(berth_bin, tmp_path_factory) -> str:
    go = shutil.which("go")
    if not go:
        pytest.fail("the multi-platform tests need Go to build their base", pytrace=False)
    work = tmp_path_factory.mktemp("multiarch")
    env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUB)}
    env.update(SOURCE_DATE_EPOCH="0", HOME=str(work), CGO_ENABLED="0")
    layout = Layout(work / "base", "multi")
    for arch in ARCHS:
        root = work / ("root-" + arch)
        root.mkdir()
        run_cmd([go, "build", "-o", str(root / "tool"), "."], cwd=str(HERE / "archtool"),
                env=dict(env, GOARCH=arch, GOCACHE=os.environ.get("GOCACHE", str(work / "gocache"))),
                timeout=300)
        run_cmd([berth_bin, "build", "--from", "scratch", "--layer", str(root), "--platform",
                 "linux/" + arch, "--output", "oci:%s:%s" % (layout.path, arch)], env=env)
    run_cmd([berth_bin, "index", *["oci:%s:%s" % (layout.path, a) for a in ARCHS],
             "--output", layout.ref], env=env)
    return layout.ref


def handler(arch: str) -> pathlib.Path:
    return BINFMT / ("qemu-" + {"arm64": "aarch64", "s390x": "s390x"}[arch])


def enabled(arch: str) -> bool:
    p = handler(arch)
    return p.exists() and p.read_text().startswith("enabled")


def exported(berth, layout: Layout, platform: str, dest: pathlib.Path) -> pathlib.Path:
    run_cmd([berth.binary, "export", "--platform", platform, layout.ref, str(dest)],
            env=berth.env)
    return dest


def test_two_platforms_one_index(berth, multiarch_base, tmp_path):
    if not enabled("arm64"):
        pytest.fail("RUN for linux/arm64 needs qemu-user-static's aarch64 binfmt handler "
                    "(scripts/setup.sh registers it)", pytrace=False)
    # SOURCE_DATE_EPOCH: the image's time is fixed, so the rebuild below can be the same
    # index (without it the time is the build's, to the second, as BuildKit's).
    r, out = berth.build(CROSS.format(base=multiarch_base), None, "--platform",
                         "linux/amd64,linux/arm64", env=EPOCH)
    index = json.loads(out.blob(out.digest))
    assert index["mediaType"] == "application/vnd.oci.image.index.v1+json"
    assert [m["platform"]["architecture"] for m in index["manifests"]] == ["amd64", "arm64"]
    amd = exported(berth, out, "linux/amd64", tmp_path / "amd64")
    arm = exported(berth, out, "linux/arm64", tmp_path / "arm64")
    assert (amd / "ran-as").read_text() == "amd64 amd64\n"
    assert (arm / "ran-as").read_text() == "arm64 arm64\n"  # emulated
    # The $BUILDPLATFORM stage ran natively for both, and saw the target's arch.
    assert (amd / "built-on").read_text() == "amd64 amd64\n"
    assert (arm / "built-on").read_text() == "amd64 arm64\n"
    for m in index["manifests"]:
        cfg = json.loads(out.blob(json.loads(out.blob(m["digest"]))["config"]["digest"]))
        assert cfg["architecture"] == m["platform"]["architecture"]
    run_cmd(["skopeo", "inspect", "--raw", out.ref])
    # Again: every step of every platform from the cache, the same index.
    r2, again = berth.build(CROSS.format(base=multiarch_base), None, "--platform",
                            "linux/amd64,linux/arm64", env=EPOCH)
    assert again.digest == out.digest
    # Every RUN and COPY of both platforms (3 each) came from the cache.
    assert r2.stderr.count("  CACHED") == 6, r2.stderr


def test_several_platforms_pushed_to_a_registry(berth, multiarch_base, registry):
    """-t to a registry: one index, its tag and each child as skopeo reads them there."""
    ref = "%s/multi/app:v1" % registry.hostport
    ctx = berth.context("FROM %s\nCOPY f /f\n" % multiarch_base, {"f": "x\n"})
    r = berth.run("--cache", str(berth.cache), "--quiet", "--platform", "linux/arm64,linux/s390x",
                  "-t", ref, str(ctx))
    raw = run_cmd(["skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + ref]).stdout
    index = json.loads(raw)
    assert [m["platform"]["architecture"] for m in index["manifests"]] == ["arm64", "s390x"]
    assert r.stdout.strip().splitlines()[-1] == "sha256:" + hashlib.sha256(raw.encode()).hexdigest()
    for m in index["manifests"]:
        cfg = json.loads(run_cmd(["skopeo", "--override-arch", m["platform"]["architecture"],
                                  "inspect", "--config", "--tls-verify=false",
                                  "docker://" + ref]).stdout)
        assert cfg["architecture"] == m["platform"]["architecture"]


def test_run_without_a_handler_names_the_fix(berth, multiarch_base):
    p = handler("s390x")
    was_enabled = enabled("s390x")
    if was_enabled:  # this machine has one: switch it off for the test
        p.write_text("0")
    try:
        r, out = berth.build(CROSS.format(base=multiarch_base), None, "--platform",
                             "linux/s390x", check=False)
    finally:
        if was_enabled:
            p.write_text("1")
    assert r.returncode != 0, r.describe()
    assert "Dockerfile:7" in r.stderr and "linux/s390x" in r.stderr, r.stderr
    assert "qemu-user-static" in r.stderr, r.stderr
    assert out.tags() == []


def test_no_run_needs_no_emulator(berth, multiarch_base, tmp_path):
    df = "FROM %s\nCOPY f /f\nENV ARCH=set\n" % multiarch_base
    _, out = berth.build(df, {"f": "x\n"}, "--platform", "linux/s390x")
    cfg = out.config()
    assert cfg["architecture"] == "s390x"
    assert (exported(berth, out, "linux/s390x", tmp_path / "s") / "tool").is_file()


def test_platform_list_errors(berth, multiarch_base):
    for bad in ("linux/amd64,linux/amd64", "linux/amd64,", "linux"):
        r, _ = berth.build("FROM %s\n" % multiarch_base, None, "--platform", bad, check=False)
        assert r.returncode != 0 and "platform" in r.stderr.lower(), (bad, r.stderr)
