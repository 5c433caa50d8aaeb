"""`berth build -f Dockerfile CONTEXT` against BuildKit's semantics, judged by peers:
umoci unpacks every image's files, skopeo reads its manifest and config (conftest.py
checks both accept each image berth writes), a docker-registry receives pushes."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import io
import json
import os
import pathlib
import re
import signal
import socket
import stat
import subprocess
import tarfile
import threading
import time
import uuid

import pytest

from conftest import Layout, check_peers, run_cmd

SDE = {"SOURCE_DATE_EPOCH": "1700000000"}


# ---------------------------------------------------------------- helpers


def steps(stderr: str) -> list[tuple[str, bool]]:
    """[(instruction, cached)] from the plain step log ("#3 RUN ..." then "  CACHED")."""
    out: list[list] = []
    for line in stderr.splitlines():
        m = re.match(r"^#(\d+) (.*)$", line)
        if m:
            out.append([m.group(2), False])
        elif line == "  CACHED" and out:
            out[-1][1] = True
    return [(s, c) for s, c in out]


def cached_of(stderr: str, kinds=("RUN", "COPY")) -> dict[str, bool]:
    return {s: c for s, c in steps(stderr) if s.split(" ", 1)[0] in kinds}


def cfg(layout: Layout) -> dict:
    return layout.config()["config"]


def layer_bytes(layout: Layout) -> list[bytes]:
    """Every layer of the image, decompressed."""
    out = []
    for desc in layout.manifest()["layers"]:
        data = layout.blob(desc["digest"])
        out.append(gzip.decompress(data) if desc["mediaType"].endswith("+gzip") else data)
    return out


def tar_listing(data: bytes) -> list[tuple]:
    """(name, type, mode, uid, gid, size, mtime, link) of every entry of a tar."""
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        return [(m.name, m.type, oct(m.mode), m.uid, m.gid, m.size, m.mtime, m.linkname)
                for m in t.getmembers()]


def tree_contains(root: pathlib.Path, needle: bytes) -> list[str]:
    """Files under root (no symlinks followed) whose contents hold needle."""
    hits = []
    for d, _dirs, files in os.walk(root):
        for n in files:
            p = pathlib.Path(d) / n
            if p.is_symlink() or not p.is_file():
                continue
            if needle in p.read_bytes():
                hits.append(str(p.relative_to(root)))
    return hits


# ---------------------------------------------------------------- stages


def test_multi_stage_copy_from_name_and_index(berth, base, tmp_path):
    df = f"""FROM {base} AS builder
RUN echo built-by-name > /artifact && chmod 640 /artifact && chown 1000:1000 /artifact
FROM {base}
RUN echo built-by-index > /second
FROM {base} AS final
COPY --from=builder /artifact /from-name
COPY --from=1 /second /from-index
COPY --from={base} /etc/group /group-from-image
"""
    _, out = berth.build(df)
    root = out.unpack(tmp_path / "b")
    assert (root / "from-name").read_text() == "built-by-name\n"
    assert (root / "from-index").read_text() == "built-by-index\n"
    st = (root / "from-name").stat()
    assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (0o640, 1000, 1000)
    assert (root / "group-from-image").read_text() == "root:x:0:\napp:x:1000:\n"
    assert not (root / "artifact").exists() and not (root / "second").exists()
    # base layer + the three COPY layers
    assert len(out.manifest()["layers"]) == 4


def test_from_previous_stage(berth, base, tmp_path):
    df = f"""FROM {base} AS one
RUN echo one > /one
ENV FROM_ONE=yes
FROM one AS two
RUN cat /one > /two && echo "$FROM_ONE" >> /two
"""
    _, out = berth.build(df)
    root = out.unpack(tmp_path / "b")
    assert (root / "one").read_text() == "one\n"
    assert (root / "two").read_text() == "one\nyes\n"
    assert "FROM_ONE=yes" in cfg(out)["Env"]
    assert len(out.manifest()["layers"]) == 3


def test_target_builds_only_that_stage(berth, base, tmp_path):
    df = f"""FROM {base} AS first
RUN echo first > /first
LABEL stage=first
FROM {base} AS second
RUN echo second-ran; exit 9
"""
    r, out = berth.build(df, None, "--target", "first")
    assert "second-ran" not in r.stderr
    root = out.unpack(tmp_path / "b")
    assert (root / "first").read_text() == "first\n"
    assert cfg(out)["Labels"] == {"stage": "first"}
    r, _ = berth.build(None, None, "--target", "nope", ctx=berth.work / "ctx", check=False)
    assert r.returncode != 0 and 'target stage "nope" could not be found' in r.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Stages run at once on up to one thread per CPU: on one CPU they run one at a time.
two_cpus = pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two CPUs")


@two_cpus
def test_independent_stages_run_at_the_same_time(berth, base, tmp_path):
    """Stage a's RUN waits for a connection that only stage b's RUN makes (RUN shares the
    host's network): the build succeeds only when both RUNs run at the same time; one
    after the other, a's gives up. A stage nothing needs still never runs. (nc -l ends
    once it accepted, its stdin being /dev/null: the connection is the proof, not data.)"""
    port = free_port()
    df = f"""FROM {base} AS a
RUN timeout 60 nc -l -p {port} && echo met > /got
FROM {base} AS unused
RUN echo unused-ran; exit 9
FROM {base} AS b
RUN for i in $(seq 300); do nc 127.0.0.1 {port} && exit 0; sleep 0.2; done; exit 1
FROM {base}
COPY --from=a /got /got
COPY --from=b /etc/group /group
"""
    r, out = berth.build(df)
    assert "unused-ran" not in r.stderr and "[stage 1 unused]" not in r.stderr, r.stderr
    root = out.unpack(tmp_path / "b")
    assert (root / "got").read_text() == "met\n"


PARALLEL_DF = """FROM {base} AS common
RUN echo common > /common
FROM common AS a
RUN echo a > /a && sleep 1
COPY x.txt /x
FROM common AS b
RUN echo b > /b
WORKDIR /work/b
FROM {base} AS c
RUN echo same > /same
FROM {base} AS d
RUN echo same > /same
FROM {base}
COPY --from=a /a /x /
COPY --from=b /b /common /
COPY --from=b /work /work
COPY --from=c /same /c-same
COPY --from=d /same /d-same
"""


def test_parallel_stages_same_image_as_one_at_a_time(berth, base, tmp_path):
    """--jobs 1 builds one stage at a time: the image is the same, byte for byte, and
    every step the stages committed at once is in the cache (a rebuild is all CACHED)."""
    ctx = berth.context(PARALLEL_DF.format(base=base), {"x.txt": "x"})
    r1, parallel = berth.build(None, None, "--no-cache", ctx=ctx, env=SDE)
    _, serial = berth.build(None, None, "--no-cache", "--jobs", "1", ctx=ctx, env=SDE,
                            cache=tmp_path / "serial-cache")
    assert parallel.digest == serial.digest
    r3, again = berth.build(None, None, ctx=ctx, env=SDE)
    c = [cached for s, cached in steps(r3.stderr) if s.split(" ", 1)[0] in ("RUN", "COPY")]
    assert len(c) == 11 and all(c), r3.stderr
    assert again.digest == parallel.digest
    # whole lines only: every step line is one of the Dockerfile's
    written = {line for line in PARALLEL_DF.format(base=base).splitlines()}
    for step, _ in steps(r1.stderr):
        assert step in written, (step, r1.stderr)


def test_parallel_stages_run_a_shared_step_once(berth, base, tmp_path):
    """Two stages starting with the same RUN run it once, as BuildKit does (and as one
    stage after the other would, through the cache): both get the very same layer, even
    from a command whose output differs each time."""
    df = f"""FROM {base} AS c
RUN head -c 16 /dev/urandom | od -An -tx1 > /random
FROM {base} AS d
RUN head -c 16 /dev/urandom | od -An -tx1 > /random
FROM {base}
COPY --from=c /random /c
COPY --from=d /random /d
"""
    r, out = berth.build(df)
    root = out.unpack(tmp_path / "b")
    assert (root / "c").read_text() == (root / "d").read_text()
    assert sorted(c for s, c in steps(r.stderr) if s.startswith("RUN")) == [False, True]


def test_run_starts_while_a_stage_thread_ends(berth, base):
    """A RUN's sandbox is cloned while another stage thread may be starting or ending:
    the command must not wait for that thread (glibc's setuid wrappers did, forever, in
    the clone). Each build ends a worker thread just as the next stage's RUN starts."""
    ctx = berth.context(f"FROM {base} AS one\nENV A=1\nFROM one\nUSER app\nRUN id -u\n")
    for _ in range(15):
        r = berth.run("--no-cache", "--cache", str(berth.cache), "--output",
                      berth.new_layout().ref, str(ctx), timeout=60)
        assert "1000" in r.stderr, r.stderr


def sandbox_processes(marker: str) -> list[str]:
    """The pids whose command line is `sleep <marker>`."""
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if cmdline.split(b"\0")[:2] == [b"sleep", marker.encode()]:
            out.append(pid)
    return out


@two_cpus
def test_failing_stage_stops_the_parallel_build(berth, base):
    """Stage bad fails while stage slow is running (bad connects to slow first, so slow is
    known to be running): the build fails at once with bad's error, kills slow's RUN
    and stores nothing."""
    port = free_port()
    marker = str(3000 + port % 1000)
    df = f"""FROM {base} AS slow
RUN timeout 100 nc -l -p {port} > /dev/null; sleep {marker}
FROM {base} AS bad
RUN for i in $(seq 300); do nc 127.0.0.1 {port} && break; sleep 0.2; done; \\
    echo bad-stage-output; exit 7
FROM {base} AS after
RUN echo after-ran
FROM {base}
COPY --from=slow /etc/group /a
COPY --from=bad /etc/group /b
COPY --from=after /etc/group /c
"""
    started = time.monotonic()
    r, out = berth.build(df, check=False)
    assert time.monotonic() - started < 100, r.describe()
    assert r.returncode == 1, r.describe()
    assert "Dockerfile:4: RUN for i" in r.stderr and "exit code 7" in r.stderr, r.stderr
    assert "bad-stage-output" in r.stderr
    assert "cancelled" not in r.stderr and "another stage" not in r.stderr, r.stderr
    assert out.tags() == []
    assert sandbox_processes(marker) == []


# ---------------------------------------------------------------- ARG and ENV


def test_arg_before_from(berth, busybox_image, tmp_path):
    df = f"""ARG BASEDIR={busybox_image.path}
ARG BASETAG=no-such-tag
FROM oci:${{BASEDIR}}:${{BASETAG}}
RUN echo "x${{BASETAG}}x" > /unseen
ARG BASETAG
RUN echo "$BASETAG" > /redeclared
"""
    r, _ = berth.build(df, None, check=False, layout=berth.new_layout())
    assert r.returncode == 1, "the default BASETAG names no image: " + r.describe()
    assert "no image tagged 'no-such-tag'" in r.stderr, r.stderr
    _, out = berth.build(None, None, "--build-arg", "BASETAG=busybox", ctx=berth.work / "ctx")
    root = out.unpack(tmp_path / "b")
    # a global ARG is not in a stage until the stage declares it again
    assert (root / "unseen").read_text() == "xx\n"
    assert (root / "redeclared").read_text() == "busybox\n"
    assert out.manifest()["layers"][0] == busybox_image.manifest()["layers"][0]
    ctx = berth.context("ARG BASE\nFROM ${BASE} AS Built\nRUN echo via-base-arg > /b\n"
                        "FROM built\nRUN cat /b > /c\n", name="ctx-base")
    _, out = berth.build(None, None, "--build-arg", "BASE=" + busybox_image.ref, ctx=ctx)
    root = out.unpack(tmp_path / "c")
    assert (root / "c").read_text() == "via-base-arg\n"


def test_arg_in_stage_default_and_override(berth, base, tmp_path):
    df = f"""FROM {base}
ARG A=default-a
ARG B=default-b
RUN echo "$A $B" > /args
"""
    _, out = berth.build(df, None, "--build-arg", "B=override-b")
    root = out.unpack(tmp_path / "b")
    assert (root / "args").read_text() == "default-a override-b\n"
    run_hist = [h["created_by"] for h in out.config()["history"]
                if h["created_by"].startswith("RUN")]
    assert run_hist == ['RUN |2 A=default-a B=override-b /bin/sh -c echo "$A $B" > /args '
                        '# buildkit']


def test_env_overrides_arg_in_run(berth, base, tmp_path):
    df = f"""FROM {base}
ARG V=from-arg
ENV V=from-env
RUN echo "$V" > /v && env | sed -n 's/^V=//p' > /v2
"""
    _, out = berth.build(df, None, "--build-arg", "V=from-cli")
    root = out.unpack(tmp_path / "b")
    assert (root / "v").read_text() == "from-env\n"
    assert (root / "v2").read_text() == "from-env\n"
    assert "V=from-env" in cfg(out)["Env"]


def test_build_args_stay_out_of_config_and_files(berth, base, tmp_path):
    df = f"""FROM {base}
ARG SECRETARG
ARG WRITTEN
RUN echo plain > /plain
RUN echo "$WRITTEN" > /written && env > /run-env
"""
    _, out = berth.build(df, None, "--build-arg", "SECRETARG=s3cr3t-arg-value",
                         "--build-arg", "WRITTEN=written-arg-value",
                         "--build-arg", "UNDECLARED=undeclared-value")
    root = out.unpack(tmp_path / "b")
    assert (root / "plain").read_text() == "plain\n"
    assert (root / "written").read_text() == "written-arg-value\n"
    env = cfg(out).get("Env") or []
    assert not [e for e in env if e.startswith(("SECRETARG=", "WRITTEN="))], env
    run_env = (root / "run-env").read_text().splitlines()
    # declared ARGs are in RUN's environment (so only the RUN that saved it has it)
    assert "WRITTEN=written-arg-value" in run_env and "SECRETARG=s3cr3t-arg-value" in run_env
    assert tree_contains(root, b"s3cr3t-arg-value") == ["run-env"]
    assert not [e for e in run_env if e.startswith("UNDECLARED=")], run_env
    assert sorted(tree_contains(root, b"written-arg-value")) == ["run-env", "written"]
    assert tree_contains(root, b"undeclared-value") == []
    assert sum(b"s3cr3t-arg-value" in layer for layer in layer_bytes(out)) == 1


def test_host_environment_absent_from_run(berth, base, tmp_path):
    secret = "host-secret-" + uuid.uuid4().hex
    df = f"""FROM {base}
RUN env > /envfile
"""
    _, out = berth.build(df, None, env={"BERTH_DF_HOST_SECRET": secret,
                                         "AWS_SECRET_ACCESS_KEY": secret})
    root = out.unpack(tmp_path / "b")
    envfile = (root / "envfile").read_text()
    assert envfile.strip(), "RUN env printed nothing"
    assert secret not in envfile
    assert "BERTH_DF_HOST_SECRET" not in envfile and "AWS_SECRET_ACCESS_KEY" not in envfile
    assert "HOME=" + str(berth.home) not in envfile
    env = dict(line.split("=", 1) for line in envfile.splitlines())
    # the default PATH BuildKit gives a stage without one, plus what sh itself sets
    assert env["PATH"] == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    assert set(env) <= {"PATH", "PWD", "SHLVL", "HOSTNAME", "HOME", "TERM"}, sorted(env)
    assert not [e for e in cfg(out).get("Env") or [] if secret in e]


def test_image_base_without_path_gets_default_path(berth, base):
    """dockerfile2llb 'makes sure that PATH is always set' in a stage's config."""
    _, out = berth.build(f"FROM {base}\nRUN echo x > /x\n")
    assert cfg(out).get("Env") == [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]


def test_build_arg_without_value_takes_the_environment(berth, base, tmp_path):
    df = f"""FROM {base}
ARG FROMENV
ARG UNSET
RUN echo "[$FROMENV][${{UNSET-unset}}]" > /a
"""
    _, out = berth.build(df, None, "--build-arg", "FROMENV", "--build-arg", "UNSET",
                         env={"FROMENV": "env-value"})
    assert (out.unpack(tmp_path / "b") / "a").read_text() == "[env-value][unset]\n"


def test_env_both_forms(berth, base, tmp_path):
    df = f"""FROM {base}
ENV A=1 B="two words"
ENV C old form value
ENV D=$A-${{C}}
RUN env | sed -n 's/^B=//p' > /b && env | sed -n 's/^C=//p' > /c \\
    && env | sed -n 's/^D=//p' > /d
"""
    _, out = berth.build(df)
    env = cfg(out)["Env"]
    for want in ("A=1", "B=two words", "C=old form value", "D=1-old form value"):
        assert want in env, env
    root = out.unpack(tmp_path / "b")
    assert (root / "b").read_text() == "two words\n"
    assert (root / "c").read_text() == "old form value\n"
    assert (root / "d").read_text() == "1-old form value\n"


def test_env_expansion_uses_values_before_the_instruction(berth, base, tmp_path):
    df = f"""FROM {base}
ENV abc=hello
ENV abc=bye def=$abc
ENV ghi=$abc
LABEL l=$abc
ARG X=$def
RUN echo "$X" > /x
"""
    _, out = berth.build(df)
    c = cfg(out)
    assert [e for e in c["Env"] if not e.startswith("PATH=")] == ["abc=bye", "def=hello",
                                                                  "ghi=bye"]
    assert c["Labels"] == {"l": "bye"}
    assert (out.unpack(tmp_path / "b") / "x").read_text() == "hello\n"


def test_platform_args_and_network_none(berth, base, tmp_path):
    df = f"""FROM {base}
RUN echo "x$TARGETARCH" > /undeclared
ARG TARGETARCH
ARG TARGETPLATFORM
RUN echo "$TARGETPLATFORM $TARGETARCH" > /declared
RUN --network=none cut -d: -f1 /proc/net/dev | tail -n +3 | tr -d ' ' > /net-flag
"""
    _, out = berth.build(df, None, "--platform", "linux/amd64")
    root = out.unpack(tmp_path / "b")
    assert (root / "undeclared").read_text() == "x\n"
    assert (root / "declared").read_text() == "linux/amd64 amd64\n"
    assert (root / "net-flag").read_text() == "lo\n"
    (berth.work / "ctx" / "Dockerfile").write_text(
        f"FROM {base}\nRUN cut -d: -f1 /proc/net/dev | tail -n +3 | tr -d ' ' > /net\n")
    _, out = berth.build(None, None, "--network", "none", ctx=berth.work / "ctx")
    assert (out.unpack(tmp_path / "c") / "net").read_text() == "lo\n"


def test_labels_and_label_flag(berth, base):
    df = f"""FROM {base}
LABEL a=1 "b c"="d e"
LABEL version=dockerfile
"""
    _, out = berth.build(df, None, "--label", "version=cli", "--label", "extra=x")
    assert cfg(out)["Labels"] == {"a": "1", "b c": "d e", "version": "cli", "extra": "x"}


# ---------------------------------------------------------------- config instructions


def test_workdir_new_path(berth, base, tmp_path):
    df = f"""FROM {base}
WORKDIR /new/dir
RUN pwd > /pwd && echo here > rel
"""
    _, out = berth.build(df)
    root = out.unpack(tmp_path / "b")
    assert (root / "new" / "dir").is_dir()
    assert (root / "new" / "dir").stat().st_mode & 0o7777 == 0o755
    assert (root / "pwd").read_text() == "/new/dir\n"
    assert (root / "new" / "dir" / "rel").read_text() == "here\n"
    assert cfg(out)["WorkingDir"] == "/new/dir"


def test_workdir_relative_chain(berth, base, tmp_path):
    df = f"""FROM {base}
WORKDIR /etc/sub
WORKDIR /a
WORKDIR b
RUN pwd > /pwd
"""
    _, out = berth.build(df)
    root = out.unpack(tmp_path / "b")
    assert (root / "a" / "b").is_dir()
    assert (root / "etc" / "sub").is_dir()  # below a directory of the base
    assert (root / "etc" / "passwd").read_text().startswith("root:x:0:0:")
    assert (root / "pwd").read_text() == "/a/b\n"
    assert cfg(out)["WorkingDir"] == "/a/b"
    hist = [h["created_by"] for h in out.config()["history"]]
    assert hist[-4:-1] == ["WORKDIR /etc/sub", "WORKDIR /a", "WORKDIR /a/b"]


def test_workdir_after_user_is_owned_by_user(berth, base, tmp_path):
    df = f"""FROM {base}
USER app
WORKDIR /home/app/w
RUN touch ./mine
"""
    r, out = berth.build(df, check=False)
    assert r.returncode == 0, r.describe()
    root = out.unpack(tmp_path / "b")
    st = (root / "home" / "app" / "w").stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (1000, 1000, 0o755)
    assert (root / "home" / "app" / "w" / "mine").stat().st_uid == 1000


def test_workdir_history_text(berth, base):
    _, out = berth.build(f"FROM {base}\nWORKDIR /w\n")
    last = out.config()["history"][-1]
    assert last["created_by"] == "WORKDIR /w"
    assert not last.get("empty_layer")
    assert len(out.manifest()["layers"]) == 2


def test_user_by_name(berth, base, tmp_path):
    df = f"""FROM {base}
USER app
RUN id -u > /tmp/uid && id -g > /tmp/gid
COPY f /copied-as-app
"""
    _, out = berth.build(df, {"f": "f\n"})
    root = out.unpack(tmp_path / "b")
    st = (root / "copied-as-app").stat()
    assert (st.st_uid, st.st_gid) == (0, 0)  # COPY ignores USER, as BuildKit's
    assert (root / "tmp" / "uid").read_text() == "1000\n"
    assert (root / "tmp" / "gid").read_text() == "1000\n"
    st = (root / "tmp" / "uid").stat()
    assert (st.st_uid, st.st_gid) == (1000, 1000)
    assert cfg(out)["User"] == "app"


def test_unknown_user_fails(berth, base):
    for df, line in ((f"FROM {base}\nUSER nobody\nRUN id\n", "RUN id"),
                     (f"FROM {base}\nCOPY --chown=nobody f /f\n", "COPY --chown=nobody")):
        r, out = berth.build(df, {"f": "f\n"}, check=False)
        assert r.returncode == 1, r.describe()
        assert "unable to find user nobody" in r.stderr, r.stderr
        assert line in r.stderr
        assert out.tags() == []


def test_cmd_entrypoint_forms(berth, base):
    df = f"""FROM {base} AS first
CMD echo hi
ENTRYPOINT ["/bin/echo", "x"]
FROM first AS second
ENTRYPOINT exec top -b
FROM first AS third
CMD ["ls", "-l"]
"""
    ctx = berth.context(df)
    _, first = berth.build(None, None, "--target", "first", ctx=ctx)
    c = cfg(first)
    assert c["Cmd"] == ["/bin/sh", "-c", "echo hi"]  # a CMD of this stage stays
    assert c["Entrypoint"] == ["/bin/echo", "x"]
    _, second = berth.build(None, None, "--target", "second", ctx=ctx)
    c = cfg(second)
    assert c["Entrypoint"] == ["/bin/sh", "-c", "exec top -b"]
    assert not c.get("Cmd"), c  # the inherited CMD is reset by ENTRYPOINT
    _, third = berth.build(None, None, "--target", "third", ctx=ctx)
    c = cfg(third)
    assert c["Cmd"] == ["ls", "-l"]
    assert c["Entrypoint"] == ["/bin/echo", "x"]
    # from an image whose config has a Cmd
    img = Layout(berth.work / "cmd-image", "c")
    berth_env = dict(berth.env, SOURCE_DATE_EPOCH="0")
    run_cmd([berth.binary, "build", "--from", base, "--cmd", '["echo", "base-cmd"]',
             "--output", img.ref], env=berth_env)
    assert cfg(img)["Cmd"] == ["echo", "base-cmd"]
    ctx2 = berth.context(f"FROM {img.ref}\nENTRYPOINT [\"/bin/true\"]\n", name="ctx2")
    _, reset = berth.build(None, None, ctx=ctx2)
    c = cfg(reset)
    assert c["Entrypoint"] == ["/bin/true"]
    assert not c.get("Cmd"), c
    ctx3 = berth.context(f"FROM {img.ref}\nLABEL keep=cmd\n", name="ctx3")
    _, kept = berth.build(None, None, ctx=ctx3)
    assert cfg(kept)["Cmd"] == ["echo", "base-cmd"]


def test_expose_volume_stopsignal(berth, base):
    df = f"""FROM {base}
EXPOSE 80 53/udp
VOLUME /data /v2
VOLUME ["/v3"]
STOPSIGNAL SIGQUIT
"""
    _, out = berth.build(df)
    c = cfg(out)
    assert c["ExposedPorts"] == {"80/tcp": {}, "53/udp": {}}
    assert c["Volumes"] == {"/data": {}, "/v2": {}, "/v3": {}}
    assert c["StopSignal"] == "SIGQUIT"


def test_shell_used_by_shell_form(berth, base, tmp_path):
    df = f"""FROM {base}
RUN printf '#!/bin/sh\\necho "$@" > /shell-args\\n' > /myshell && chmod 755 /myshell
SHELL ["/myshell", "-flag"]
RUN hello world
CMD run me
"""
    _, out = berth.build(df)
    root = out.unpack(tmp_path / "b")
    assert (root / "shell-args").read_text() == "-flag hello world\n"
    c = cfg(out)
    assert c["Shell"] == ["/myshell", "-flag"]
    assert c["Cmd"] == ["/myshell", "-flag", "run me"]


def test_healthcheck_fields(berth, base):
    df = f"""FROM {base}
HEALTHCHECK --interval=30s --timeout=5s --start-period=1m30s --retries=3 \\
  CMD wget -q -O- http://localhost/ || exit 1
"""
    _, out = berth.build(df)
    hc = cfg(out)["Healthcheck"]
    assert hc["Test"] == ["CMD-SHELL", "wget -q -O- http://localhost/ || exit 1"]
    assert hc["Interval"] == 30 * 10**9
    assert hc["Timeout"] == 5 * 10**9
    assert hc["StartPeriod"] == 90 * 10**9
    assert hc["Retries"] == 3


def test_onbuild_triggers_run_in_child(berth, base, tmp_path):
    parent_df = f"""FROM {base} AS parent
ONBUILD RUN echo triggered > /trigger
FROM parent AS child
RUN echo child > /child
"""
    ctx = berth.context(parent_df)
    _, parent = berth.build(None, None, "--target", "parent", ctx=ctx)
    assert cfg(parent)["OnBuild"] == ["RUN echo triggered > /trigger"]
    assert not (parent.unpack(tmp_path / "p") / "trigger").exists()
    # a stage used as a base
    _, child = berth.build(None, None, ctx=ctx)
    root = child.unpack(tmp_path / "c")
    assert (root / "trigger").read_text() == "triggered\n"
    assert (root / "child").read_text() == "child\n"
    assert not cfg(child).get("OnBuild")
    # an image used as a base
    ctx2 = berth.context(f"FROM {parent.ref}\nRUN echo grandchild > /g\n", name="ctx2")
    _, img_child = berth.build(None, None, ctx=ctx2)
    root = img_child.unpack(tmp_path / "i")
    assert (root / "trigger").read_text() == "triggered\n"
    assert (root / "g").read_text() == "grandchild\n"
    assert not cfg(img_child).get("OnBuild")


def test_onbuild_copy_from_a_stage(berth, base, tmp_path):
    """A trigger's COPY --from names a stage nothing else needs (BuildKit >= 0.17,
    moby/buildkit#5357): that stage is built when the trigger runs."""
    df = f"""FROM {base} AS helper
RUN echo helped > /helped
FROM {base} AS parent
ONBUILD COPY --from=helper /helped /helped
FROM parent
RUN cat /helped > /seen
"""
    _, out = berth.build(df)
    root = out.unpack(tmp_path / "b")
    assert (root / "seen").read_text() == "helped\n"


def test_onbuild_copy_uses_child_context(berth, base, tmp_path):
    pctx = berth.context(f"FROM {base}\nONBUILD COPY child.txt /child.txt\n"
                         "ONBUILD RUN cat /child.txt > /copy-of-child\n", name="pctx")
    _, parent = berth.build(None, None, ctx=pctx)
    assert cfg(parent)["OnBuild"] == ["COPY child.txt /child.txt",
                                      "RUN cat /child.txt > /copy-of-child"]
    cctx = berth.context(f"FROM {parent.ref}\n", {"child.txt": "from child context\n"},
                         name="cctx")
    _, child = berth.build(None, None, ctx=cctx)
    root = child.unpack(tmp_path / "c")
    assert (root / "child.txt").read_text() == "from child context\n"
    assert (root / "copy-of-child").read_text() == "from child context\n"
    assert not cfg(child).get("OnBuild")


# ---------------------------------------------------------------- files


def test_heredocs(berth, base, tmp_path):
    df = f"""FROM {base}
RUN <<EOF
echo line1 > /h1
echo line2 >> /h1
EOF
COPY <<EOF /etc/greeting
hello heredoc
EOF
RUN cat <<EOT > /h2
inner
EOT
"""
    _, out = berth.build(df)
    root = out.unpack(tmp_path / "b")
    assert (root / "h1").read_text() == "line1\nline2\n"
    assert (root / "etc" / "greeting").read_text() == "hello heredoc\n"
    assert (root / "h2").read_text() == "inner\n"


def test_heredoc_expansion_and_tabs(berth, base, tmp_path):
    df = f"""FROM {base}
ENV NAME=world
COPY <<EOF /expanded
hello $NAME
EOF
COPY <<"EOF" /quoted
hello $NAME
EOF
RUN <<-EOF
\techo tabbed > /tabbed
\tEOF
"""
    _, out = berth.build(df)
    root = out.unpack(tmp_path / "b")
    assert (root / "expanded").read_text() == "hello world\n"
    assert (root / "quoted").read_text() == "hello $NAME\n"
    assert (root / "tabbed").read_text() == "tabbed\n"


def test_heredoc_with_shebang(berth, base, tmp_path):
    df = f"""FROM {base}
RUN <<EOF
#!/bin/sh -e
echo "script-$0" > /shebang
EOF
"""
    r, out = berth.build(df, check=False)
    assert r.returncode == 0, r.describe()
    root = out.unpack(tmp_path / "b")
    assert (root / "shebang").read_text().startswith("script-")


def test_copy_chown_chmod(berth, base, tmp_path):
    df = f"""FROM {base}
COPY --chown=app:app f /owned
COPY --chmod=0640 f /moded
COPY --chown=1000:1000 --chmod=750 d /dir/
"""
    ctx = berth.context(df, {"f": "f\n", "d/x": "x\n"})
    os.chmod(ctx / "f", 0o644)
    _, out = berth.build(None, None, ctx=ctx)
    root = out.unpack(tmp_path / "b")
    st = (root / "owned").stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (1000, 1000, 0o644)
    st = (root / "moded").stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (0, 0, 0o640)
    st = (root / "dir" / "x").stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (1000, 1000, 0o750)
    assert (root / "dir" / "x").read_text() == "x\n"


def test_add_local_tar_is_extracted(berth, base, tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        data = b"in the archive\n"
        info = tarfile.TarInfo("pkg/file.txt")
        info.size, info.mode, info.uid, info.gid = len(data), 0o600, 1000, 1000
        tf.addfile(info, io.BytesIO(data))
    df = f"FROM {base}\nADD a.tar.gz /opt/\nCOPY a.tar.gz /kept.tar.gz\n"
    _, out = berth.build(df, {"a.tar.gz": buf.getvalue()})
    root = out.unpack(tmp_path / "b")
    assert (root / "opt" / "pkg" / "file.txt").read_text() == "in the archive\n"
    st = (root / "opt" / "pkg" / "file.txt").stat()
    assert (st.st_uid, st.st_mode & 0o7777) == (1000, 0o600)
    assert (root / "kept.tar.gz").read_bytes() == buf.getvalue()  # COPY does not extract


@pytest.fixture
def http_files(tmp_path):
    """A loopback HTTP server (a thread) serving tmp_path/srv: (dir, base URL)."""
    srv = tmp_path / "srv"
    srv.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(srv))
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try:
        yield srv, "http://127.0.0.1:%d" % httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()
        t.join(5)


def test_add_url_and_checksum(berth, base, tmp_path, http_files):
    srv, url = http_files
    data = b"served over http\n"
    (srv / "file.txt").write_bytes(data)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    df = f"""FROM {base}
ADD {url}/file.txt /dl/
ADD --checksum={digest} {url}/file.txt /checked
"""
    _, out = berth.build(df)
    root = out.unpack(tmp_path / "b")
    for rel in ("dl/file.txt", "checked"):
        assert (root / rel).read_bytes() == data
        st = (root / rel).stat()
        assert (st.st_uid, st.st_mode & 0o7777) == (0, 0o600), rel  # as BuildKit's ADD
    wrong = "sha256:" + "0" * 64
    ctx = berth.context(f"FROM {base}\nADD --checksum={wrong} {url}/file.txt /bad\n",
                        name="ctx-bad")
    r, bad = berth.build(None, None, ctx=ctx, check=False)
    assert r.returncode != 0, r.describe()
    assert "digest mismatch" in r.stderr and digest in r.stderr
    assert bad.tags() == []


def test_copy_exclude(berth, base, tmp_path):
    df = f"FROM {base}\nCOPY --exclude=*.log --exclude=skip/ . /ex/\n"
    _, out = berth.build(df, {"a.txt": "a\n", "b.log": "b\n", "sub/c.log": "c\n",
                              "skip/d.txt": "d\n"})
    root = out.unpack(tmp_path / "b")
    assert (root / "ex" / "a.txt").read_text() == "a\n"
    assert not (root / "ex" / "b.log").exists()
    assert not (root / "ex" / "skip").exists()


def test_copy_destinations(berth, base, tmp_path):
    df = f"""FROM {base}
WORKDIR /app
COPY f .
COPY f rel/
COPY f /file-no-slash
COPY d /dcontents
COPY f g /multi-dir/
COPY f g /out
"""
    _, out = berth.build(df, {"f": "f\n", "g": "g\n", "d/sub/x": "x\n"})
    root = out.unpack(tmp_path / "b")
    assert (root / "app" / "f").read_text() == "f\n"
    assert (root / "app" / "rel" / "f").read_text() == "f\n"
    assert (root / "file-no-slash").read_text() == "f\n"
    assert (root / "dcontents" / "sub" / "x").read_text() == "x\n"  # a directory's contents
    assert not (root / "dcontents" / "d").exists()
    assert sorted(os.listdir(root / "multi-dir")) == ["f", "g"]
    # BuildKit copies each source onto the destination in turn (moby/buildkit#1853)
    assert (root / "out").read_text() == "g\n"


def test_parser_escape_continuations_and_quotes(berth, base, tmp_path):
    df = f"""# escape=`
FROM {base}
ENV A=a` b B="c d" C=c:\\path
RUN echo one `
# a comment inside a continuation
   two `

   three > /cont
RUN ["/bin/sh", "-c", "echo exec-form > /exec"]
"""
    _, out = berth.build(df)
    env = cfg(out)["Env"]
    assert "A=a b" in env and "B=c d" in env and "C=c:\\path" in env, env
    root = out.unpack(tmp_path / "b")
    assert (root / "cont").read_text() == "one two three\n"
    assert (root / "exec").read_text() == "exec-form\n"


def test_dockerignore(berth, base, tmp_path):
    files = {".dockerignore": "secret.txt\n*.log\n!wanted.log\n", "keep.txt": "keep\n",
             "wanted.log": "wanted\n",
             "secret.txt": "ignored-secret\n", "x.log": "log\n", "sub/keep2.txt": "k2\n"}
    df = f"""FROM {base}
COPY . /app/
"""
    _, out = berth.build(df, files)
    root = out.unpack(tmp_path / "b")
    assert (root / "app" / "keep.txt").read_text() == "keep\n"
    assert (root / "app" / "sub" / "keep2.txt").read_text() == "k2\n"
    assert not (root / "app" / "secret.txt").exists()
    assert not (root / "app" / "x.log").exists()
    assert (root / "app" / "wanted.log").read_text() == "wanted\n"
    assert tree_contains(root, b"ignored-secret") == []
    (berth.work / "ctx" / "Dockerfile").write_text(f"FROM {base}\nCOPY secret.txt /s\n")
    bad = berth.new_layout()
    r, _ = berth.build(None, None, ctx=berth.work / "ctx", layout=bad, check=False)
    assert r.returncode == 1, r.describe()
    assert 'COPY source "/secret.txt": not found' in r.stderr, r.stderr
    assert bad.tags() == []


def test_dockerfile_named_dockerignore_wins(berth, base, tmp_path):
    """<Dockerfile>.dockerignore beside a Dockerfile given with -f is used instead of the
    context's .dockerignore."""
    ctx = berth.context(None, {".dockerignore": "a.txt\n", "a.txt": "a\n", "b.txt": "b\n"})
    dfdir = berth.work / "df"
    dfdir.mkdir()
    (dfdir / "app.Dockerfile").write_text(f"FROM {base}\nCOPY . /c/\n")
    (dfdir / "app.Dockerfile.dockerignore").write_text("b.txt\n")
    layout = berth.new_layout()
    berth.run("--cache", str(berth.cache), "-f", str(dfdir / "app.Dockerfile"),
              "--output", layout.ref, str(ctx))
    check_peers(layout, tmp_path / "peers")
    root = layout.unpack(tmp_path / "b")
    assert (root / "c" / "a.txt").read_text() == "a\n"
    assert not (root / "c" / "b.txt").exists()


def test_dockerfile_from_stdin(berth, base, tmp_path):
    ctx = berth.context(f"FROM {base}\nRUN echo wrong > /which\n", {"data.txt": "data\n"})
    layout = berth.new_layout()
    r = berth.run("--cache", str(berth.cache), "-f", "-", "--output", layout.ref, str(ctx),
                  input=f"FROM {base}\nCOPY data.txt /data.txt\nRUN echo stdin > /which\n")
    assert r.returncode == 0
    check_peers(layout, tmp_path / "peers")
    root = layout.unpack(tmp_path / "b")
    assert (root / "which").read_text() == "stdin\n"
    assert (root / "data.txt").read_text() == "data\n"


def test_history_entries(berth, base, busybox_image):
    df = f"""FROM {base}
ENV A=1
RUN echo x > /x
LABEL l=v
COPY f /f
EXPOSE 80
CMD ["run"]
"""
    _, out = berth.build(df, {"f": "f\n"})
    c = out.config()
    hist = c["history"]
    base_hist = busybox_image.config()["history"]
    assert hist[:len(base_hist)] == base_hist
    mine = [(h["created_by"], bool(h.get("empty_layer"))) for h in hist[len(base_hist):]]
    assert mine == [
        ("ENV A=1", True),
        ("RUN /bin/sh -c echo x > /x # buildkit", False),
        ("LABEL l=v", True),
        ("COPY f /f # buildkit", False),
        ("EXPOSE [80/tcp]", True),
        ('CMD ["run"]', True),
    ]
    non_empty = [h for h in hist if not h.get("empty_layer")]
    assert len(non_empty) == len(out.manifest()["layers"]) == len(c["rootfs"]["diff_ids"]) == 3


def test_run_changes_as_layers(berth, base, tmp_path):
    """What a RUN changes reaches the image as umoci applies it: deletions (whiteouts),
    a replaced directory (opaque), hardlinks, special bits, fifos, odd names."""
    df = f"""FROM {base} AS prep
RUN mkdir -p /data/dir && echo a > /data/dir/a && echo b > /data/dir/b && echo old > /data/old
FROM prep
RUN rm /data/old && rm -rf /data/dir && mkdir /data/dir && echo c > /data/dir/c \\
 && rm /etc/group \\
 && echo h > /h1 && ln /h1 /h2 \\
 && echo s > /suid && chmod 4755 /suid && mkdir /sticky && chmod 1777 /sticky \\
 && mkfifo /fifo && echo sp > '/with space' && echo u > "/$(printf 'caf\\303\\251')"
"""
    _, out = berth.build(df)
    root = out.unpack(tmp_path / "b")
    assert not (root / "data" / "old").exists()
    assert sorted(os.listdir(root / "data" / "dir")) == ["c"]
    assert not (root / "etc" / "group").exists()
    assert (root / "etc" / "passwd").exists()
    assert (root / "h1").stat().st_ino == (root / "h2").stat().st_ino
    assert (root / "h2").read_text() == "h\n"
    assert (root / "suid").stat().st_mode & 0o7777 == 0o4755
    assert (root / "sticky").stat().st_mode & 0o7777 == 0o1777
    assert stat.S_ISFIFO((root / "fifo").lstat().st_mode)
    assert (root / "with space").read_text() == "sp\n"
    assert (root / "caf\u00e9").read_text() == "u\n"
    assert len(out.manifest()["layers"]) == 3


# ---------------------------------------------------------------- failure


def test_failing_run(berth, base, tmp_path):
    ctx = berth.context(f"FROM {base}\nRUN echo good > /good\n")
    layout = berth.new_layout("good")
    berth.build(None, None, ctx=ctx, layout=layout)
    before_blobs = sorted(os.listdir(layout.path / "blobs" / "sha256"))
    before_index = (layout.path / "index.json").read_text()
    (ctx / "Dockerfile").write_text(
        f"FROM {base}\nRUN echo fine > /fine\nRUN echo boom-output; exit 3\nRUN echo after\n")
    r, _ = berth.build(None, None, ctx=ctx, layout=Layout(layout.path, "bad"), check=False)
    assert r.returncode == 1, r.describe()
    assert "Dockerfile:3" in r.stderr
    assert "exit code 3" in r.stderr
    assert "boom-output" in r.stderr
    assert "#3 RUN echo after" not in r.stderr
    assert (layout.path / "index.json").read_text() == before_index
    assert Layout(layout.path, "bad").tags() == ["good"]
    assert sorted(os.listdir(layout.path / "blobs" / "sha256")) == before_blobs
    # a failed step is not cached: the same build fails the same way again
    r2, _ = berth.build(None, None, ctx=ctx, layout=Layout(layout.path, "bad"), check=False)
    assert r2.returncode == 1 and "exit code 3" in r2.stderr and "boom-output" in r2.stderr
    assert cached_of(r2.stderr) == {"RUN echo fine > /fine": True,
                                    "RUN echo boom-output; exit 3": False}, r2.stderr


def test_failing_run_error_lists_output_tail(berth, base):
    r, out = berth.build(f"FROM {base}\nRUN echo boom-output; echo second-line; exit 3\n",
                         check=False)
    assert r.returncode == 1, r.describe()
    lines = r.stderr.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("berth build: Dockerfile:2:"))
    assert lines[at].endswith("exit code 3"), lines[at]
    assert lines[at + 1:at + 3] == ["  boom-output", "  second-line"], lines[at:]
    assert out.tags() == []


# ---------------------------------------------------------------- cache


CACHE_DF = """FROM {base}
RUN echo early > /early
COPY a.txt /a.txt
RUN echo "ran-$(cat /a.txt)" && cat /a.txt > /from-a
COPY b.txt /b.txt
"""


def test_cache_second_build_all_cached(berth, base):
    ctx = berth.context(CACHE_DF.format(base=base), {"a.txt": "a1", "b.txt": "b1"})
    r1, out1 = berth.build(None, None, ctx=ctx, env=SDE)
    assert cached_of(r1.stderr) and not any(cached_of(r1.stderr).values()), r1.stderr
    r2, out2 = berth.build(None, None, ctx=ctx, env=SDE)
    c = cached_of(r2.stderr)
    assert len(c) == 4 and all(c.values()), r2.stderr
    assert "ran-a1" not in r2.stderr
    assert out2.digest == out1.digest


def test_cache_hit_without_source_date_epoch_reuses_layers(berth, base):
    """Without SOURCE_DATE_EPOCH the image's times are the build's (as BuildKit's
    exporter writes them, moby/moby#48391), but a cached build reuses every layer."""
    ctx = berth.context(CACHE_DF.format(base=base), {"a.txt": "a1", "b.txt": "b1"})
    _, out1 = berth.build(None, None, ctx=ctx)
    time.sleep(1.1)
    r2, out2 = berth.build(None, None, ctx=ctx)
    c = cached_of(r2.stderr)
    assert len(c) == 4 and all(c.values()), r2.stderr
    assert out2.manifest()["layers"] == out1.manifest()["layers"]
    c1, c2 = out1.config(), out2.config()
    assert c1["created"] != c2["created"]
    for c in (c1, c2):
        del c["created"]
        for h in c["history"]:
            h.pop("created", None)
    assert c1 == c2


def test_cache_changed_copy_reruns_later_steps(berth, base, tmp_path):
    ctx = berth.context(CACHE_DF.format(base=base), {"a.txt": "a1", "b.txt": "b1"})
    _, out1 = berth.build(None, None, ctx=ctx)
    (ctx / "a.txt").write_text("a2")
    r2, out2 = berth.build(None, None, ctx=ctx)
    c = cached_of(r2.stderr)
    assert c == {"RUN echo early > /early": True, "COPY a.txt /a.txt": False,
                 'RUN echo "ran-$(cat /a.txt)" && cat /a.txt > /from-a': False,
                 "COPY b.txt /b.txt": False}, r2.stderr
    assert "ran-a2" in r2.stderr
    root = out2.unpack(tmp_path / "b")
    assert (root / "from-a").read_text() == "a2"
    assert out2.manifest()["layers"][1] == out1.manifest()["layers"][1]  # /early reused
    assert out2.manifest()["layers"][3] != out1.manifest()["layers"][3]


def test_cache_base_change_reruns(berth, base, tmp_path):
    """A base rebuilt under the same tag is a new base: nothing on it is reused."""
    rootdir = tmp_path / "extra"
    (rootdir / "etc").mkdir(parents=True)
    base2 = Layout(tmp_path / "base2", "v")
    env = dict(berth.env, SOURCE_DATE_EPOCH="0")

    def make_base(version):
        (rootdir / "etc" / "ver").write_text(version)
        run_cmd([berth.binary, "build", "--from", base, "--layer", str(rootdir),
                 "--output", base2.ref], env=env)

    make_base("one\n")
    ctx = berth.context(f"FROM {base2.ref}\nCOPY f /f\nRUN cat /etc/ver > /seen\n",
                        {"f": "f\n"})
    berth.build(None, None, ctx=ctx)
    r, _ = berth.build(None, None, ctx=ctx)
    assert list(cached_of(r.stderr).values()) == [True, True], r.stderr
    make_base("two\n")
    r, out = berth.build(None, None, ctx=ctx)
    assert list(cached_of(r.stderr).values()) == [False, False], r.stderr
    assert (out.unpack(tmp_path / "b") / "seen").read_text() == "two\n"


def test_cache_copy_mode_change_reruns(berth, base, tmp_path):
    ctx = berth.context(f"FROM {base}\nCOPY f /f\nRUN stat -c %a /f > /mode\n", {"f": "f\n"})
    os.chmod(ctx / "f", 0o644)
    berth.build(None, None, ctx=ctx)
    os.chmod(ctx / "f", 0o755)
    r, out = berth.build(None, None, ctx=ctx)
    assert list(cached_of(r.stderr).values()) == [False, False], r.stderr
    root = out.unpack(tmp_path / "b")
    assert (root / "f").stat().st_mode & 0o7777 == 0o755
    assert (root / "mode").read_text() == "755\n"


def test_cache_copy_from_changed_stage_reruns(berth, base, tmp_path):
    text = f"""FROM {base} AS builder
COPY src /src
RUN sed 's/^/built-/' /src > /out
FROM {base}
COPY --from=builder /out /out
RUN cat /out > /final
"""
    ctx = berth.context(text, {"src": "v1\n"})
    berth.build(None, None, ctx=ctx)
    r, _ = berth.build(None, None, ctx=ctx)
    assert all(cached_of(r.stderr).values()) and len(cached_of(r.stderr)) == 4, r.stderr
    (ctx / "src").write_text("v2\n")
    r, out = berth.build(None, None, ctx=ctx)
    assert not any(cached_of(r.stderr).values()), r.stderr
    root = out.unpack(tmp_path / "b")
    assert (root / "final").read_text() == "built-v2\n"


def test_no_cache_reruns(berth, base):
    ctx = berth.context(CACHE_DF.format(base=base), {"a.txt": "a1", "b.txt": "b1"})
    berth.build(None, None, ctx=ctx)
    r2, _ = berth.build(None, None, "--no-cache", ctx=ctx)
    c = cached_of(r2.stderr)
    assert len(c) == 4 and not any(c.values()), r2.stderr
    assert "ran-a1" in r2.stderr
    r3, _ = berth.build(None, None, ctx=ctx)
    assert all(cached_of(r3.stderr).values()), r3.stderr


def test_cache_build_arg_and_env_changes_rerun(berth, base, tmp_path):
    text = f"FROM {base}\nARG A=1\nRUN echo \"a-is-$A\" > /a\nENV E=%s\nRUN echo \"e-is-$E\" > /e\n"
    ctx = berth.context(text % "1")
    berth.build(None, None, "--build-arg", "A=x", ctx=ctx)
    r, _ = berth.build(None, None, "--build-arg", "A=x", ctx=ctx)
    assert list(cached_of(r.stderr).values()) == [True, True], r.stderr
    r, out = berth.build(None, None, "--build-arg", "A=y", ctx=ctx)
    assert list(cached_of(r.stderr).values()) == [False, False], r.stderr
    assert (out.unpack(tmp_path / "a") / "a").read_text() == "a-is-y\n"
    (ctx / "Dockerfile").write_text(text % "2")
    r, out = berth.build(None, None, "--build-arg", "A=y", ctx=ctx)
    assert list(cached_of(r.stderr).values()) == [True, False], r.stderr
    root = out.unpack(tmp_path / "b")
    assert (root / "a").read_text() == "a-is-y\n"
    assert (root / "e").read_text() == "e-is-2\n"


def test_reproducible_with_source_date_epoch(berth, base, tmp_path):
    df = f"""FROM {base}
RUN echo x > /f && touch /stamp && mkdir -p /d/e
COPY c.txt /c.txt
ENV E=1
"""
    ctx = berth.context(df, {"c.txt": "c\n"})
    _, a = berth.build(None, None, "--no-cache", ctx=ctx, env=SDE, cache=tmp_path / "cache-a")
    time.sleep(1.1)
    os.utime(ctx / "c.txt")
    _, b = berth.build(None, None, "--no-cache", ctx=ctx, env=SDE, cache=tmp_path / "cache-b")
    assert a.path != b.path
    assert a.digest == b.digest
    assert a.skopeo_digest() == b.skopeo_digest()
    c = a.config()
    assert c["created"] == "2023-11-14T22:13:20Z"
    assert all(h["created"] == "2023-11-14T22:13:20Z" for h in c["history"][1:])
    root = a.unpack(tmp_path / "b")
    for rel in ("f", "stamp", "d/e", "c.txt"):
        assert (root / rel).lstat().st_mtime <= 1700000000, rel


# ---------------------------------------------------------------- safety


def test_run_writes_to_tmp_stay_inside(berth, base, tmp_path):
    name = "berth-df-" + uuid.uuid4().hex
    _, out = berth.build(f"FROM {base}\nRUN echo inside > /tmp/{name}\n")
    assert not os.path.exists("/tmp/" + name)
    root = out.unpack(tmp_path / "b")
    assert (root / "tmp" / name).read_text() == "inside\n"


def test_run_cannot_see_host_files(berth, base, tmp_path):
    secret = "host-file-" + uuid.uuid4().hex
    paths = [pathlib.Path("/tmp") / ("berth-df-host-" + uuid.uuid4().hex),
             tmp_path / "host-secret.txt"]
    for p in paths:
        p.write_text(secret)
    try:
        lines = "".join(
            f"RUN if [ -e {p} ]; then cat {p} > /seen{i}; else echo absent > /seen{i}; fi\n"
            for i, p in enumerate(paths))
        _, out = berth.build(f"FROM {base}\n{lines}")
        root = out.unpack(tmp_path / "b")
        for i in range(len(paths)):
            assert (root / f"seen{i}").read_text() == "absent\n"
        assert tree_contains(root, secret.encode()) == []
        (berth.work / "ctx" / "Dockerfile").write_text(f"FROM {base}\nRUN cat {paths[0]}\n")
        r, bad = berth.build(None, None, ctx=berth.work / "ctx", check=False)
        assert r.returncode == 1, r.describe()
        assert "exit code 1" in r.stderr and "No such file" in r.stderr
        assert secret not in r.stderr + r.stdout
        assert bad.tags() == []
    finally:
        paths[0].unlink()


def test_copy_parent_path_stays_in_context(berth, base, tmp_path):
    secret = "outside-secret-" + uuid.uuid4().hex
    (berth.work / "outside.txt").write_text(secret)
    df = f"FROM {base}\nCOPY ../outside.txt /got\n"
    r, out = berth.build(df, {"outside.txt": "inside-content"}, check=False)
    assert secret not in r.stderr + r.stdout
    if r.returncode == 0:
        root = out.unpack(tmp_path / "b")
        assert (root / "got").read_text() == "inside-content"  # clamped to the context
        assert tree_contains(root, secret.encode()) == []
        assert not any(secret.encode() in layer for layer in layer_bytes(out))
    else:
        assert r.returncode == 1, r.describe()
        assert out.tags() == []


def test_context_symlink_not_followed_outside(berth, base, tmp_path):
    secret = "symlink-secret-" + uuid.uuid4().hex
    outside = berth.work / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(secret)
    ctx = berth.context(None, {"plain.txt": "plain\n"})
    os.symlink("../outside/secret.txt", ctx / "rel-link")
    os.symlink(str(outside / "secret.txt"), ctx / "abs-link")
    os.symlink(str(outside), ctx / "dir-link")
    (ctx / "Dockerfile").write_text(f"FROM {base}\nCOPY . /c/\n")
    _, out = berth.build(None, None, ctx=ctx)
    root = out.unpack(tmp_path / "b")
    assert (root / "c" / "plain.txt").read_text() == "plain\n"
    assert os.readlink(root / "c" / "rel-link") == "../outside/secret.txt"
    assert os.readlink(root / "c" / "abs-link") == str(outside / "secret.txt")
    assert os.readlink(root / "c" / "dir-link") == str(outside)
    assert tree_contains(root, secret.encode()) == []
    assert not any(secret.encode() in layer for layer in layer_bytes(out))
    # naming the link itself as the source: resolved inside the context, or an error
    for src in ("rel-link", "abs-link", "dir-link/secret.txt"):
        (ctx / "Dockerfile").write_text(f"FROM {base}\nCOPY {src} /followed\n")
        r, o = berth.build(None, None, ctx=ctx, check=False)
        assert secret not in r.stderr + r.stdout
        if r.returncode == 0:
            got = o.unpack(tmp_path / "f")
            assert tree_contains(got, secret.encode()) == [], src
            assert not any(secret.encode() in layer for layer in layer_bytes(o)), src
        else:
            assert r.returncode == 1 and o.tags() == [], r.describe()


def test_copy_through_image_symlink_stays_in_image(berth, base, tmp_path):
    hostdir = pathlib.Path("/tmp") / ("berth-df-hostdir-" + uuid.uuid4().hex)
    hostdir.mkdir()
    try:
        df = f"""FROM {base}
RUN ln -s {hostdir} /dl && ln -s ../../../../..{hostdir} /rel
COPY f /dl/through-abs
COPY f /rel/through-rel
"""
        _, out = berth.build(df, {"f": "copied\n"})
        assert list(hostdir.iterdir()) == []
        root = out.unpack(tmp_path / "b")
        inside = root / str(hostdir).lstrip("/")
        assert (inside / "through-abs").read_text() == "copied\n"
        assert (inside / "through-rel").read_text() == "copied\n"
        assert os.readlink(root / "dl") == str(hostdir)
    finally:
        for f in hostdir.iterdir():
            f.unlink()
        hostdir.rmdir()


def test_copy_from_stage_symlink_to_host_path(berth, base, tmp_path):
    secret = "stage-link-secret-" + uuid.uuid4().hex
    host = pathlib.Path("/tmp") / ("berth-df-host-" + uuid.uuid4().hex)
    host.write_text(secret)
    try:
        df = f"""FROM {base} AS s
RUN ln -s {host} /s
FROM {base}
COPY --from=s /s /got
"""
        r, out = berth.build(df, check=False)
        assert secret not in r.stdout + r.stderr
        if r.returncode == 0:
            root = out.unpack(tmp_path / "b")
            assert tree_contains(root, secret.encode()) == []
            assert not any(secret.encode() in layer for layer in layer_bytes(out))
        else:
            assert r.returncode == 1 and out.tags() == [], r.describe()
            assert "/s" in r.stderr
    finally:
        host.unlink()


def _evil_tar(path: pathlib.Path, kind: str, host: pathlib.Path, hostdir: pathlib.Path):
    def add(tf, name, data=b"evil\n", **kw):
        info = tarfile.TarInfo(name)
        for k, v in kw.items():
            setattr(info, k, v)
        if info.type == tarfile.REGTYPE:
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        else:
            tf.addfile(info)

    with tarfile.open(path, "w") as tf:
        add(tf, "ok.txt", b"ok\n")
        if kind == "dotdot":
            add(tf, "../../../../.." + str(hostdir) + "/dotdot")
        elif kind == "absolute":
            add(tf, str(hostdir) + "/absolute")
        elif kind == "through-symlink":
            add(tf, "lnk", type=tarfile.SYMTYPE, linkname=str(hostdir))
            add(tf, "lnk/through")
        elif kind == "hardlink-to-host":
            add(tf, "hl", type=tarfile.LNKTYPE, linkname=str(host))


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "through-symlink", "hardlink-to-host"])
def test_add_hostile_tar_stays_in_image(berth, base, tmp_path, kind):
    secret = "tar-host-secret-" + uuid.uuid4().hex
    host = pathlib.Path("/tmp") / ("berth-df-host-" + uuid.uuid4().hex)
    host.write_text(secret)
    hostdir = pathlib.Path("/tmp") / ("berth-df-hostdir-" + uuid.uuid4().hex)
    hostdir.mkdir()
    try:
        ctx = berth.context(f"FROM {base}\nADD evil.tar /x/\n")
        _evil_tar(ctx / "evil.tar", kind, host, hostdir)
        r, out = berth.build(None, None, ctx=ctx, check=False)
        assert list(hostdir.iterdir()) == [], kind
        assert host.read_text() == secret
        assert secret not in r.stdout + r.stderr
        if r.returncode == 0:
            root = out.unpack(tmp_path / "b")
            assert (root / "x" / "ok.txt").read_text() == "ok\n"
            assert tree_contains(root, secret.encode()) == []
            assert not any(secret.encode() in layer for layer in layer_bytes(out))
        else:
            assert r.returncode == 1 and out.tags() == [], r.describe()
            assert "evil.tar" in r.stderr or "tar entry" in r.stderr, r.stderr
    finally:
        host.unlink()
        for f in hostdir.iterdir():
            f.unlink()
        hostdir.rmdir()


def test_concurrent_builds_share_a_cache(berth, base):
    ctx = berth.context(f"FROM {base}\nRUN echo one > /one\nCOPY f /f\nRUN cat /f > /g\n",
                        {"f": "f\n"})
    outs = [berth.new_layout(), berth.new_layout()]
    env = dict(berth.env, **SDE)
    procs = [subprocess.Popen([berth.binary, "build", "--progress", "plain", "--cache",
                               str(berth.cache), "--output", o.ref, str(ctx)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for o in outs]
    results = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
    for (_stdout, stderr, rc), o in zip(results, outs):
        assert rc == 0, stderr
        check_peers(o, berth.work / "peers")
    assert outs[0].digest == outs[1].digest


def _sandbox_pids(marker: str) -> list[int]:
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            cmdline = pathlib.Path("/proc", d, "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            pids.append(int(d))
    return pids


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["KILL", "TERM"])
def test_killed_during_run_leaves_no_tag(berth, base, tmp_path, sig):
    marker = "%d.%d" % (37 + int(sig), os.getpid() % 1000)  # a sleep no one else runs
    ctx = berth.context(f"FROM {base}\nRUN echo before > /before\nRUN sleep {marker}\n"
                        "RUN echo after > /after\n")
    layout = berth.new_layout()
    cmd = [berth.binary, "build", "--progress", "plain", "--cache", str(berth.cache),
           "--output", layout.ref, str(ctx)]
    p = subprocess.Popen(cmd, env=berth.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    try:
        deadline = time.monotonic() + 60
        seen = ""
        while time.monotonic() < deadline:
            line = p.stderr.readline()
            if not line:
                break
            seen += line
            if line.startswith("#") and ("RUN sleep " + marker) in line:
                break
        assert ("RUN sleep " + marker) in seen, seen
        deadline = time.monotonic() + 10
        while not _sandbox_pids("sleep\0" + marker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _sandbox_pids("sleep\0" + marker), "the RUN never started"
        p.send_signal(sig)
        assert p.wait(10) != 0
    finally:
        p.kill()
        p.wait()
        p.stderr.close()
    try:
        deadline = time.monotonic() + 10
        while _sandbox_pids("sleep\0" + marker) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = _sandbox_pids("sleep\0" + marker)
        assert left == [], "the RUN outlived the killed build: %s" % left
    finally:
        for pid in _sandbox_pids("sleep\0" + marker):
            os.kill(pid, signal.SIGKILL)
    assert layout.tags() == []
    (ctx / "Dockerfile").write_text(f"FROM {base}\nRUN echo before > /before\n"
                                    "RUN echo after > /after\n")
    _, out = berth.build(None, None, ctx=ctx, layout=layout)
    root = out.unpack(tmp_path / "b")
    assert (root / "before").read_text() == "before\n"
    assert (root / "after").read_text() == "after\n"
    assert layout.tags() == ["t"]
    # the killed build's scratch directories were swept by the next build
    leftovers = [str(p) for p in berth.cache.rglob("*") if "berth-tmp" in p.name]
    assert leftovers == []


# ---------------------------------------------------------------- RUN --mount


def test_run_mounts_bind_cache_tmpfs_secret(berth, base, tmp_path):
    """Every mount type: what RUN sees, what stays out of the layers, and a secret found
    nowhere in the image, its config and history, the build's log or its state dir."""
    secret = "s3cr3t-" + uuid.uuid4().hex
    secret_file = tmp_path / "tok"
    secret_file.write_text(secret)
    df = f"""FROM {base}
RUN --mount=type=bind,source=src,target=/mnt/src cat /mnt/src/a.txt > /bound && ls /mnt/src > /listing
RUN --mount=type=bind,source=src,target=/mnt/rw,rw echo scribble > /mnt/rw/new && ls /mnt/rw > /rw-listing
RUN --mount=type=cache,target=/var/cache/x,id=counter echo run >> /var/cache/x/count && wc -l < /var/cache/x/count > /count
RUN --mount=type=tmpfs,target=/scratch echo t > /scratch/t && ls /scratch > /tmpfs-listing
RUN --mount=type=secret,id=tok wc -c < /run/secrets/tok > /secret-len && stat -c '%a %u' /run/secrets/tok > /secret-mode
RUN --mount=type=secret,id=tok,env=TOKEN,target=/s/tok,mode=0440,uid=1000 test "$TOKEN" = "$(cat /s/tok)" && stat -c '%a %u' /s/tok > /env-ok
"""
    files = {"src/a.txt": "hello\n", "src/ignored.tmp": "no", ".dockerignore": "src/*.tmp\n"}
    ctx = berth.context(df, files)
    r, out = berth.build(None, None, "--secret", "id=tok,src=%s" % secret_file, ctx=ctx)
    root = out.unpack(tmp_path / "u")
    assert (root / "bound").read_text() == "hello\n"
    assert (root / "listing").read_text() == "a.txt\n"  # .dockerignore'd: not there
    assert (root / "rw-listing").read_text() == "a.txt\nnew\n"
    assert (root / "count").read_text().strip() == "1"
    assert (root / "tmpfs-listing").read_text() == "t\n"
    assert (root / "secret-len").read_text().strip() == str(len(secret))
    assert (root / "secret-mode").read_text() == "400 0\n"
    assert (root / "env-ok").read_text() == "440 1000\n"
    for gone in ("mnt", "scratch", "run", "s", "var/cache/x"):
        assert not (root / gone).exists(), gone
    assert not (ctx / "src" / "new").exists()  # a rw bind's writes go nowhere
    assert tree_contains(root, secret.encode()) == []
    assert not any(secret.encode() in layer for layer in layer_bytes(out))
    assert secret not in json.dumps(out.config())
    assert secret not in r.stdout + r.stderr
    assert not [str(p) for p in berth.cache.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]
    # The cache mount outlives the build; the step runs again only with --no-cache.
    _, again = berth.build(None, None, "--no-cache", "--secret", "id=tok,src=%s" % secret_file,
                           ctx=ctx)
    assert (again.unpack(tmp_path / "u2") / "count").read_text().strip() == "2"


def test_run_mount_bind_content_is_in_the_key(berth, base):
    df = f"FROM {base}\nRUN --mount=type=bind,target=/c cat /c/f > /copy\n"
    ctx = berth.context(df, {"f": "one\n"})
    berth.build(None, None, ctx=ctx)
    r, _ = berth.build(None, None, ctx=ctx)
    assert all(c for _, c in steps(r.stderr)), r.stderr
    (ctx / "f").write_text("two\n")
    r, out = berth.build(None, None, ctx=ctx)
    assert not any(c for s, c in steps(r.stderr) if s.startswith("RUN")), r.stderr
    with tarfile.open(fileobj=io.BytesIO(layer_bytes(out)[-1])) as t:
        assert t.extractfile("copy").read() == b"two\n"


def test_run_mount_bind_from_a_stage(berth, base, tmp_path):
    df = f"""FROM {base} AS tools
RUN mkdir -p /opt/t && echo tool > /opt/t/bin && chown 1000:1000 /opt/t/bin
FROM {base}
RUN --mount=type=bind,from=tools,source=/opt/t,target=/t cat /t/bin > /used && stat -c %u /t/bin >> /used
"""
    _, out = berth.build(df)
    assert (out.unpack(tmp_path / "u") / "used").read_text() == "tool\n1000\n"


def test_run_network_flag_is_in_the_key(berth, base):
    ctx = berth.context(f"FROM {base}\nRUN --network=none echo one > /f\n")
    berth.build(None, None, ctx=ctx)
    (ctx / "Dockerfile").write_text(f"FROM {base}\nRUN --network=host echo one > /f\n")
    r, _ = berth.build(None, None, ctx=ctx)
    assert not any(c for s, c in steps(r.stderr) if s.startswith("RUN")), r.stderr


def test_run_mount_errors(berth, base):
    r, out = berth.build(f"FROM {base}\nRUN --mount=type=secret,id=missing,required cat /run/secrets/missing\n",
                         check=False)
    assert r.returncode != 0 and out.tags() == []
    assert "missing" in r.stderr and "--secret" in r.stderr, r.stderr
    r, _ = berth.build(f"FROM {base}\nRUN --mount=type=ssh true\n", check=False)
    assert r.returncode != 0 and "ssh" in r.stderr, r.stderr
    r, _ = berth.build(f"FROM {base}\nRUN true\n", None, "--secret", "src=/x", check=False)
    assert r.returncode != 0 and "id=" in r.stderr, r.stderr
    # A secret that is not required and not given: the step runs without it.
    _, out = berth.build(f"FROM {base}\nRUN --mount=type=secret,id=opt test ! -e /run/secrets/opt\n")


# ---------------------------------------------------------------- rootless


def test_rootless_build_equals_the_root_build(berth, rootless, busybox_image, berth_bin,
                                              registry):
    """An unprivileged user's build (user namespace, newuidmap for the other ids) gives
    the image root's build gives, digest for digest: RUN as root and as another user,
    whiteouts, COPY, WORKDIR made for USER."""
    ref = "%s/busybox:rootless-base" % registry.hostport
    run_cmd([berth_bin, "copy", busybox_image.ref, ref])
    df = """FROM %s AS stage
RUN mkdir /out && echo s > /out/s && chown 1000:1000 /out/s && chmod 4755 /out/s
FROM %s
RUN mkdir -p /srv/data && echo root > /srv/r && chown 1000:1000 /srv/data && rm /etc/group \
 && printf 'root:x:0:\\napp:x:1000:\\n' > /etc/group
COPY f /srv/f
COPY --chmod=600 f /srv/g
COPY --chown=app:app --chmod=4750 f /srv/h
COPY --from=stage /out/ /srv/from-stage/
ADD owned.tar /srv/tar/
USER app
WORKDIR /srv/data/w
RUN echo app > /srv/data/app-file && id > /srv/data/id && mkdir sub && rm -r sub \
 && cat /srv/h /srv/from-stage/s /srv/tar/pkg/data > /srv/data/read
""" % (ref, ref)
    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode="w") as t:
        for name, uid, mode in (("pkg/", 0, 0o755), ("pkg/data", 1000, 0o640)):
            ti = tarfile.TarInfo(name)
            ti.uid = ti.gid = uid
            ti.mode, ti.mtime = mode, 1_600_000_000
            if name.endswith("/"):
                ti.type = tarfile.DIRTYPE
                t.addfile(ti)
            else:
                ti.size = 5
                t.addfile(ti, io.BytesIO(b"tar!\n"))
    files = {"f": "from the context\n", "owned.tar": tar.getvalue()}
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    _, as_root = berth.build(df, files, env=env)
    as_user = rootless.build(df, files, env=env)
    if as_user.digest != as_root.digest:
        diffs = []
        for i, (a, b) in enumerate(zip(layer_bytes(as_root), layer_bytes(as_user))):
            if a != b:
                diffs.append("layer %d:\n  root     %s\n  rootless %s" % (
                    i, tar_listing(a), tar_listing(b)))
        pytest.fail("the rootless build differs from root's:\n" + "\n".join(diffs))
    cfg = as_user.config()
    assert cfg["config"]["User"] == "app"
    with tarfile.open(fileobj=io.BytesIO(layer_bytes(as_user)[-1])) as t:
        last = {m.name: m for m in t.getmembers()}
    assert (last["srv/data/app-file"].uid, last["srv/data/app-file"].gid) == (1000, 1000)
    assert "srv/data/id" in last and "srv/data/w/sub" not in last
    # That image as a base: its layers unpacked rootless keep their owners, so a RUN as
    # app may write in app's directory and sees app's files as app's.
    child_ref = "%s/busybox:rootless-child" % registry.hostport
    run_cmd([berth_bin, "copy", as_root.ref, child_ref])
    child = rootless.build("FROM %s\nUSER app\nRUN touch /srv/data/more && stat -c '%%u %%a' "
                           "/srv/tar/pkg/data /srv/from-stage/s > /srv/data/owners\n"
                           % child_ref, env=env)
    with tarfile.open(fileobj=io.BytesIO(layer_bytes(child)[-1])) as t:
        owners = t.extractfile("srv/data/owners").read().decode()
    assert owners == "1000 640\n1000 4755\n"


# ---------------------------------------------------------------- outputs


def test_push_with_tag_to_registry(berth, base, registry):
    repo = "df/push-" + uuid.uuid4().hex[:8]
    ref1 = "%s/%s:v1" % (registry.hostport, repo)
    ref2 = "%s/%s:v2" % (registry.hostport, repo)
    ctx = berth.context(f"FROM {base}\nLABEL pushed=yes\nRUN echo pushed > /p\n")
    r = berth.run("--cache", str(berth.cache), "--quiet", "-t", ref1, "-t", ref2, str(ctx))
    digest = r.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest), r.stdout
    for ref in (ref1, ref2):
        info = json.loads(run_cmd(["skopeo", "inspect", "--tls-verify=false",
                                   "docker://" + ref]).stdout)
        assert info["Digest"] == digest
        assert info["Labels"] == {"pushed": "yes"}
        assert len(info["Layers"]) == 2
        raw = run_cmd(["skopeo", "inspect", "--raw", "--tls-verify=false",
                       "docker://" + ref]).stdout
        assert "sha256:" + hashlib.sha256(raw.encode()).hexdigest() == digest


def test_archive_outputs(berth, base, tmp_path):
    ctx = berth.context(f"FROM {base}\nLABEL kind=archive\nRUN echo in-archive > /a\n")
    for dst, ref in (("docker-archive:%s:img:v1", "docker-archive:%s"),
                     ("oci-archive:%s:v1", "oci-archive:%s:v1")):
        path = tmp_path / (dst.split(":")[0] + ".tar")
        berth.run("--cache", str(berth.cache), "--output", dst % path, str(ctx))
        info = json.loads(run_cmd(["skopeo", "inspect", ref % path]).stdout)
        assert info["Labels"] == {"kind": "archive"}
        assert len(info["Layers"]) == 2
        layout = Layout(tmp_path / ("from-" + dst.split(":")[0]), "v1")
        run_cmd(["skopeo", "copy", ref % path, layout.ref])
        root = layout.unpack(tmp_path / ("b-" + dst.split(":")[0]))
        assert (root / "a").read_text() == "in-archive\n"


def test_extra_tags_quiet_and_json_results(berth, base, tmp_path):
    ctx = berth.context(f"FROM {base}\nRUN echo t > /t\n")
    layout = Layout(tmp_path / "tags", "main")
    r = berth.run("--cache", str(berth.cache), "--quiet", "--output", layout.ref,
                  "-t", "extra", "-t", "more", str(ctx))
    assert r.stdout.strip() == layout.digest
    assert sorted(layout.tags()) == ["extra", "main", "more"]
    assert {m["digest"] for m in layout.index()["manifests"]} == {layout.digest}
    check_peers(Layout(layout.path, "extra"), tmp_path / "peers")
    r = berth.run("--cache", str(berth.cache), "--json", "--output",
                  Layout(layout.path, "j").ref, str(ctx))
    summary = json.loads([line for line in r.stdout.splitlines() if line.startswith("{")][-1])
    j = Layout(layout.path, "j")
    assert summary["digest"] == j.digest
    assert summary["config"] == j.config_digest()
    assert [layer["digest"] for layer in summary["layers"]] == \
        [d["digest"] for d in j.manifest()["layers"][1:]]


def test_iidfile_is_config_digest(berth, base, tmp_path):
    iid = tmp_path / "iid"
    _, out = berth.build(f"FROM {base}\nENV X=1\n", None, "--iidfile", str(iid))
    text = iid.read_text().strip()
    assert text == out.config_digest()
    assert text == out.manifest()["config"]["digest"]
    raw = out.blob(text)
    assert "sha256:" + hashlib.sha256(raw).hexdigest() == text


def test_run_hostname_is_buildkits(berth, base, tmp_path):
    _, out = berth.build(f"FROM {base}\nRUN hostname > /hn\n")
    assert (out.unpack(tmp_path / "b") / "hn").read_text() == "buildkitsandbox\n"
