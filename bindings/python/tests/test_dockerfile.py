"""berth.build_dockerfile: a Dockerfile built through the C ABI from Python."""

import json
import os
import shutil
import subprocess

import pytest

import berth

BUSYBOX = "/bin/busybox"


@pytest.fixture(scope="module")
def busybox_base(tmp_path_factory):
    """A busybox image as an OCI layout, made with berth.build from a root directory."""
    if os.geteuid() != 0:
        pytest.fail("the Dockerfile tests run as root here (RUN as root; COPY --chown)")
    root = tmp_path_factory.mktemp("root")
    (root / "bin").mkdir()
    shutil.copy2(BUSYBOX, root / "bin" / "busybox")
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=True)
    for name in applets.stdout.split():
        if name != "busybox":
            os.symlink("busybox", root / "bin" / name)
    (root / "etc").mkdir()
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (root / "etc" / "group").write_text("root:x:0:\n")
    out = tmp_path_factory.mktemp("base") / "layout"
    berth.build(output=f"oci:{out}:busybox", layers=[str(root)], created=0)
    return f"oci:{out}:busybox"


def _config(ref):
    layout = ref[len("oci:"):].rsplit(":", 1)[0]
    manifest = berth.manifest(ref).json()
    digest = manifest["config"]["digest"].split(":", 1)[1]
    with open(os.path.join(layout, "blobs", "sha256", digest)) as f:
        return json.load(f)


def test_a_dockerfile_builds_with_run_copy_and_config(busybox_base, tmp_path):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "greeting").write_text("hello\n")
    lines = []
    r = berth.build_dockerfile(
        output=f"oci:{tmp_path / 'out'}:v1", context=ctx, state_dir=tmp_path / "state",
        dockerfile_text=(f"FROM {busybox_base}\nARG WHO\nCOPY greeting /g\n"
                         "RUN echo \"$(cat /g) $WHO\" > /made && echo ran\nENV MODE=test\n"
                         "CMD [\"cat\", \"/made\"]\n"),
        build_args={"WHO": "world"}, labels={"org.example": "yes"}, created=0, log=lines.append)
    assert r.digest.startswith("sha256:") and r.layers_built == 2
    config = _config(f"oci:{tmp_path / 'out'}:v1")
    assert "MODE=test" in config["config"]["Env"]
    assert not any(e.startswith("WHO=") for e in config["config"]["Env"])
    assert config["config"]["Cmd"] == ["cat", "/made"]
    assert config["config"]["Labels"] == {"org.example": "yes"}
    assert config["created"] == "1970-01-01T00:00:00Z"
    assert "ran" in "".join(lines)
    berth.export(f"oci:{tmp_path / 'out'}:v1", tmp_path / "rootfs")
    assert (tmp_path / "rootfs" / "made").read_text() == "hello world\n"

    # The same inputs again: every step from the cache, the same digest.
    again = berth.build_dockerfile(
        output=f"oci:{tmp_path / 'out2'}:v1", context=ctx, state_dir=tmp_path / "state",
        dockerfile_text=(f"FROM {busybox_base}\nARG WHO\nCOPY greeting /g\n"
                         "RUN echo \"$(cat /g) $WHO\" > /made && echo ran\nENV MODE=test\n"
                         "CMD [\"cat\", \"/made\"]\n"),
        build_args={"WHO": "world"}, labels={"org.example": "yes"}, created=0)
    assert again.digest == r.digest


def test_a_failing_run_raises_build_failed_and_stores_nothing(busybox_base, tmp_path):
    with pytest.raises(berth.BuildFailedError) as e:
        berth.build_dockerfile(output=f"oci:{tmp_path / 'out'}:v1", context=tmp_path,
                               state_dir=tmp_path / "state",
                               dockerfile_text=f"FROM {busybox_base}\nRUN echo boom; exit 7\n")
    assert "exit code 7" in str(e.value) and "boom" in str(e.value)
    assert "Dockerfile:2" in str(e.value)
    assert not (tmp_path / "out" / "index.json").exists()


def test_a_log_callback_that_raises_is_raised(busybox_base, tmp_path):
    def bad(_text):
        raise KeyError("from the callback")

    with pytest.raises(KeyError):
        berth.build_dockerfile(output=f"oci:{tmp_path / 'out'}:v1", context=tmp_path,
                               state_dir=tmp_path / "state", log=bad,
                               dockerfile_text=f"FROM {busybox_base}\nENV A=b\n")


def test_bad_options_are_refused_before_anything_runs(tmp_path):
    with pytest.raises(berth.InvalidArgumentError):
        berth.build_dockerfile(output=f"oci:{tmp_path}/o:v1", network="bridge")
    with pytest.raises(berth.NotFoundError):
        berth.build_dockerfile(output=f"oci:{tmp_path}/o:v1", context=tmp_path / "missing",
                               dockerfile_text="FROM scratch\n", state_dir=tmp_path / "s")
    with pytest.raises(berth.InvalidArgumentError):
        berth.build_dockerfile(output=f"oci:{tmp_path}/o:v1", context=tmp_path,
                               dockerfile_text="FROM scratch\nCOPPY a b\n",
                               state_dir=tmp_path / "s")


def test_secrets_reach_run_mounts_and_nothing_else(busybox_base, tmp_path, monkeypatch):
    secret = "py-secret-7f3a"
    (tmp_path / "tok").write_text(secret)
    monkeypatch.setenv("API_KEY", secret + "-env")
    lines = []
    out = tmp_path / "out"
    berth.build_dockerfile(
        output=f"oci:{out}:v1", context=tmp_path, state_dir=tmp_path / "state", created=0,
        secrets=[f"id=tok,src={tmp_path / 'tok'}", "id=API_KEY"], log=lines.append,
        dockerfile_text=(f"FROM {busybox_base}\n"
                         "RUN --mount=type=secret,id=tok wc -c < /run/secrets/tok > /len\n"
                         "RUN --mount=type=secret,id=API_KEY,env=K sh -c 'echo ${#K}' > /envlen\n"
                         "RUN --mount=type=cache,target=/c echo x > /c/x && ls /c > /cached\n"))
    berth.export(f"oci:{out}:v1", tmp_path / "rootfs")
    assert (tmp_path / "rootfs" / "len").read_text().strip() == str(len(secret))
    assert (tmp_path / "rootfs" / "envlen").read_text().strip() == str(len(secret) + 4)
    assert (tmp_path / "rootfs" / "cached").read_text() == "x\n"
    blobs = [p.read_bytes() for p in (out / "blobs" / "sha256").iterdir()]
    assert not any(secret.encode() in b for b in blobs)  # config and history included
    assert secret not in "".join(lines)
    with pytest.raises(berth.InvalidArgumentError):
        berth.build_dockerfile(output=f"oci:{tmp_path}/o:v1", context=tmp_path,
                               state_dir=tmp_path / "s", secrets=["src=/nowhere"],
                               dockerfile_text=f"FROM {busybox_base}\n")


def test_several_platforms_make_one_index(tmp_path):
    # A COPY-only Dockerfile needs no emulator: an image per platform, one index of them.
    (tmp_path / "f").write_text("x\n")
    out = tmp_path / "out"
    r = berth.build_dockerfile(output=f"oci:{out}:v1", context=tmp_path,
                               state_dir=tmp_path / "state", created=0,
                               platform="linux/amd64,linux/s390x",
                               dockerfile_text="FROM scratch\nCOPY f /f\n")
    with open(out / "index.json") as f:
        (entry,) = json.load(f)["manifests"]
    assert entry["digest"] == r.digest
    with open(out / "blobs" / "sha256" / r.digest.split(":", 1)[1]) as f:
        index = json.load(f)
    assert [m["platform"]["architecture"] for m in index["manifests"]] == ["amd64", "s390x"]
    s390x = berth.manifest(f"oci:{out}:v1", platform="linux/s390x")
    assert s390x.digest == index["manifests"][1]["digest"]
