"""berth.build_dockerfile: a Dockerfile built through the C ABI from Python."""

import json
import os
import re
import shutil
import subprocess

import pytest

import berth
from stack_fixtures import plain_registry  # noqa: F401 - a fixture

BUSYBOX = "/bin/busybox"
REGISTRY_BIN = os.environ.get("BERTH_DOCKER_REGISTRY", "docker-registry")

needs_registry = pytest.mark.skipif(not shutil.which(REGISTRY_BIN),
                                    reason=f"needs {REGISTRY_BIN}")


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


def test_cache_specs_are_checked_before_anything_runs(tmp_path):
    (tmp_path / "f").write_text("x\n")
    kw = dict(output=f"oci:{tmp_path / 'out'}:v1", context=tmp_path, state_dir=tmp_path / "s",
              dockerfile_text="FROM scratch\nCOPY f /f\n")
    with pytest.raises(berth.UnsupportedError, match="type=gha"):
        berth.build_dockerfile(cache_to="type=gha", **kw)
    with pytest.raises(berth.InvalidArgumentError, match="ref="):
        berth.build_dockerfile(cache_to="type=registry", **kw)
    with pytest.raises(berth.InvalidArgumentError, match="mode"):
        berth.build_dockerfile(cache_to="type=registry,ref=127.0.0.1:1/c,mode=all", **kw)
    with pytest.raises(berth.UnsupportedError, match="type=s3"):
        berth.build_dockerfile(cache_from=["type=s3"], **kw)
    with pytest.raises(berth.InvalidArgumentError, match="ref="):
        berth.build_dockerfile(cache_from=["type=registry"], **kw)
    with pytest.raises(TypeError):
        berth.build_dockerfile(cache_from="127.0.0.1:1/c", **kw)  # a list, not a str
    with pytest.raises(TypeError):
        berth.build_dockerfile(cache_to=["127.0.0.1:1/c"], **kw)
    assert not (tmp_path / "out").exists()


def _as_older_library(monkeypatch, newest):
    """berth_dockerfile_options_init as a libberth that knows versions up to `newest`
    (the real library refuses the newer ones); returns the versions of the structs
    berth_build_dockerfile was then given."""
    from berth import _dockerfile

    real = _dockerfile.function
    given = []

    def function(name):
        fn = real(name)
        if name == "berth_dockerfile_options_init":
            return lambda opts, version: fn(opts, 0xFFFF if version > newest else version)
        if name == "berth_build_dockerfile":
            def build(out, opts):
                given.append(opts._obj.version)
                return fn(out, opts)
            return build
        return fn

    monkeypatch.setattr(_dockerfile, "function", function)
    return given


def test_an_older_library_gets_the_version_it_knows(tmp_path, monkeypatch):
    (tmp_path / "f").write_text("x\n")
    kw = dict(context=tmp_path, state_dir=tmp_path / "s",
              dockerfile_text="FROM scratch\nCOPY f /f\n")
    given = _as_older_library(monkeypatch, 2)
    berth.build_dockerfile(output=f"oci:{tmp_path / 'v2'}:v1",
                           secrets=[f"id=x,src={tmp_path / 'f'}"], **kw)
    assert given == [2]
    with pytest.raises(berth.UnsupportedError, match="cache_from and cache_to need "
                       "berth_dockerfile_options version 3"):
        berth.build_dockerfile(output=f"oci:{tmp_path / 'no'}:v1",
                               cache_to="type=registry,ref=127.0.0.1:1/c", **kw)
    with pytest.raises(berth.UnsupportedError, match="version 3"):
        berth.build_dockerfile(output=f"oci:{tmp_path / 'no'}:v1",
                               cache_from=["127.0.0.1:1/c"], **kw)
    assert given == [2] and not (tmp_path / "no").exists()

    given = _as_older_library(monkeypatch, 1)
    berth.build_dockerfile(output=f"oci:{tmp_path / 'v1'}:v1", **kw)
    assert given == [1]
    with pytest.raises(berth.UnsupportedError, match="secrets need .* version 2"):
        berth.build_dockerfile(output=f"oci:{tmp_path / 'no'}:v1", secrets=["id=x"], **kw)
    assert given == [1]


@needs_registry
def test_a_registry_cache_serves_a_fresh_state_dir(busybox_base, plain_registry,  # noqa: F811
                                                   tmp_path):
    """A CI runner that starts empty: the first build exports its steps to a real
    registry (cache_to); a second with a new state_dir takes each from there
    (cache_from), runs nothing, and makes the same image."""
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "a.txt").write_text("alpha\n")
    text = (f"FROM {busybox_base}\nCOPY a.txt /a.txt\n"
            "RUN echo ran-py | tr a-z A-Z && wc -c /a.txt > /size\n")
    cache = f"{plain_registry.hostport}/bind-py/cache"
    first = []
    r1 = berth.build_dockerfile(output=f"oci:{tmp_path / 'one'}:v1", context=ctx,
                                state_dir=tmp_path / "runner1", created=0,
                                dockerfile_text=text, log=first.append,
                                cache_to=f"type=registry,ref={cache}")
    first_log = "".join(first)
    assert "RAN-PY" in first_log, first_log
    assert f"build cache {cache}:buildcache: 2 steps" in first_log, first_log

    second = []
    r2 = berth.build_dockerfile(output=f"oci:{tmp_path / 'two'}:v1", context=ctx,
                                state_dir=tmp_path / "runner2", created=0,
                                dockerfile_text=text, log=second.append,
                                cache_from=[f"type=registry,ref={cache}"])
    second_log = "".join(second)
    assert "RAN-PY" not in second_log, second_log
    steps = re.findall(r"^#\d+ (?:COPY|RUN) .*\n(.*)", second_log, re.M)
    assert steps == ["  CACHED", "  CACHED"], second_log
    assert r2.digest == r1.digest
