"""`berth build -f Dockerfile` against BuildKit, the semantic reference: the same Dockerfile
and context built by both from the same busybox base (pushed to a loopback docker-registry
both read), both images unpacked by umoci and compared: the file trees (paths, types,
contents, modes, owners, symlink targets, hardlinks; not times), the config fields a
Dockerfile sets, and the history (each entry's created_by, empty_layer and comment), so
the layer count too.

Every case must agree with BuildKit exactly; where buildah differs from BuildKit
(test_buildah_differential.py asserts those differences), the case here is the proof that
berth follows BuildKit.

Run as root:  python3 -m pytest -q -p no:cacheprovider tests/dockerfile/test_buildkit_differential.py
"""

from __future__ import annotations

import io
import os
import pathlib
import tarfile
import uuid
from dataclasses import dataclass

import pytest

from buildkit_support import BuildKit, have_buildkit
from conftest import run_cmd
from image_compare import config_diff, normalize_config, snapshot, tree_diff, unpack


@pytest.fixture(scope="session")
def bk_base(busybox_image, berth_bin, registry) -> str:
    """The busybox base, copied by berth into the loopback registry both builders read."""
    ref = "%s/busybox:base" % registry.hostport
    run_cmd([berth_bin, "copy", busybox_image.ref, ref])
    return ref


@pytest.fixture(scope="session")
def buildkit(registry, tmp_path_factory):
    if not have_buildkit():
        pytest.fail("the BuildKit differential needs buildkitd, buildctl (scripts/setup.sh "
                    "builds them into .tools/bin) and runc", pytrace=False)
    bk = BuildKit(tmp_path_factory.mktemp("buildkit"), [registry.hostport])
    yield bk
    bk.stop()


def history(cfg: dict) -> list[tuple]:
    return [(h.get("created_by"), bool(h.get("empty_layer")), h.get("comment"))
            for h in cfg.get("history", [])]


@dataclass
class Pair:
    berth_tree: dict
    bk_tree: dict
    berth_config: dict
    bk_config: dict
    berth_history: list
    bk_history: list
    berth_layers: int
    bk_layers: int

    def assert_same(self):
        diffs = tree_diff(self.berth_tree, self.bk_tree, "buildkit")
        diffs += config_diff(self.berth_config, self.bk_config, "buildkit")
        if self.berth_history != self.bk_history:
            diffs.append("history:\n    berth    %s\n    buildkit %s" % (
                "\n             ".join(map(repr, self.berth_history)),
                "\n             ".join(map(repr, self.bk_history))))
        if self.berth_layers != self.bk_layers:
            diffs.append("layers: berth=%d buildkit=%d" % (self.berth_layers, self.bk_layers))
        assert not diffs, "berth differs from BuildKit:\n  " + "\n  ".join(diffs)


@pytest.fixture
def pair(berth, bk_base, buildkit, tmp_path):
    """pair(dockerfile, files, build_args, setup=fn(ctx), target=None) -> Pair. The
    Dockerfile's `{base}` is the busybox base in the registry; each builder gets a
    context of its own."""
    counter = [0]

    def build(dockerfile: str, files: dict | None = None, build_args: dict | None = None,
              setup=None, target: str | None = None, secrets: list | None = None) -> Pair:
        counter[0] += 1
        n = counter[0]
        text = dockerfile.replace("{base}", bk_base)
        ctx_b = berth.context(text, files, name="ctx-berth-%d" % n)
        ctx_k = berth.context(text, files, name="ctx-bk-%d" % n)
        for ctx in (ctx_b, ctx_k):
            if setup:
                setup(ctx)
        args = []
        for k, v in (build_args or {}).items():
            args += ["--build-arg", "%s=%s" % (k, v)]
        if target:
            args += ["--target", target]
        for spec in secrets or []:
            args += ["--secret", spec]
        _, layout = berth.build(None, None, *args, ctx=ctx_b)
        _, k_layout = buildkit.build(ctx_k, build_args, target, secrets=secrets)
        b_cfg, k_cfg = layout.config(), k_layout.config()
        return Pair(
            berth_tree=snapshot(unpack(layout, tmp_path / ("unpack-berth-%d" % n))),
            bk_tree=snapshot(unpack(k_layout, tmp_path / ("unpack-bk-%d" % n))),
            berth_config=normalize_config(b_cfg.get("config", {})),
            bk_config=normalize_config(k_cfg.get("config", {})),
            berth_history=history(b_cfg), bk_history=history(k_cfg),
            berth_layers=len(layout.manifest()["layers"]),
            bk_layers=len(k_layout.manifest()["layers"]))

    return build


def tar_bytes(entries: list[tuple]) -> bytes:
    """A tar of (name, data|None for a dir, mode, uid, gid)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data, mode, uid, gid in entries:
            ti = tarfile.TarInfo(name)
            ti.mode, ti.uid, ti.gid, ti.mtime = mode, uid, gid, 1_600_000_000
            if data is None:
                ti.type = tarfile.DIRTYPE
                tar.addfile(ti)
            else:
                ti.size = len(data)
                tar.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


# ---------------------------------------------------------------- RUN


def test_run_create_delete_replace_and_opaque_dirs(pair):
    pair("""FROM {base}
RUN mkdir -p /srv/a/b && echo one > /srv/a/b/f && echo keep > /srv/k && ln -s a/b/f /srv/l
RUN rm /etc/group && rm -r /srv/a && mkdir -p /srv/a && echo new > /srv/a/g \\
 && echo two > /srv/k && chmod 600 /srv/k && chown 1000:1000 /srv/k
RUN ["/bin/sh", "-c", "echo exec > /exec-form"]
RUN true
""").assert_same()


def test_heredocs(pair):
    pair("""FROM {base}
RUN <<EOF
echo heredoc > /hd
mkdir /hd-dir
EOF
RUN <<EOF sh -c 'cat > /two'
line one
line two
EOF
RUN <<-EOF
	echo tabs stripped > /tabs
	EOF
RUN <<EOF
#!/bin/sh -e
echo "shebang $0" > /shebang
EOF
COPY <<EOF /etc/app.conf
key=value
EOF
COPY <<A <<B /multi/
first
A
second
B
""").assert_same()


def test_run_mounts(pair, tmp_path):
    secret = tmp_path / "tok"
    secret.write_text("not-in-any-layer")
    cache_id = "c-" + uuid.uuid4().hex[:8]
    pair(f"""FROM {{base}} AS tools
RUN mkdir -p /opt/t && echo tool > /opt/t/bin && chown 1000:1000 /opt/t/bin
FROM {{base}}
RUN --mount=type=bind,source=src,target=/mnt/src cat /mnt/src/a.txt > /bound && ls /mnt/src > /listing
RUN --mount=type=bind,source=src,target=/mnt/rw,rw echo x > /mnt/rw/new && ls /mnt/rw > /rw-listing
RUN --mount=type=bind,from=tools,source=/opt/t,target=/t cat /t/bin > /used && stat -c %u /t/bin >> /used
RUN --mount=type=cache,target=/var/cache/x,id={cache_id},uid=1000,mode=0700 echo run >> /var/cache/x/count && wc -l < /var/cache/x/count > /count && stat -c '%a %u' /var/cache/x > /cache-mode
RUN --mount=type=tmpfs,target=/scratch echo t > /scratch/t && ls /scratch > /tmpfs-listing
RUN --mount=type=secret,id=tok wc -c < /run/secrets/tok > /secret-len && stat -c '%a %u' /run/secrets/tok > /secret-mode
RUN --mount=type=secret,id=tok,env=TOKEN,target=/s/tok,mode=0440,uid=1000 test "$TOKEN" = "$(cat /s/tok)" && stat -c '%a %u' /s/tok > /env-ok
""", {"src/a.txt": "hello\n", "src/skip.tmp": "no", ".dockerignore": "src/*.tmp\n"},
         secrets=["id=tok,src=%s" % secret]).assert_same()


def test_env_user_workdir_shell_reach_run(pair):
    pair("""FROM {base}
ENV GREETING=hello PATH=/opt/bin:$PATH
ARG TOKEN=abc
WORKDIR /work/sub
USER app
RUN id > /tmp/id && pwd > /tmp/pwd && echo "$GREETING $TOKEN $HOME" > /tmp/env
USER root
SHELL ["/bin/sh", "-e", "-c"]
RUN echo "$0 $-" > /shell
""").assert_same()


def test_arg_visibility_and_build_args(pair):
    pair("""ARG BEFORE=outer
FROM {base}
ARG BEFORE
ARG UNSET
ARG WITHDEF=def
RUN echo "before=$BEFORE unset=$UNSET withdef=$WITHDEF" > /args
ENV FROM_ARG=${WITHDEF:-x}
""", build_args={"WITHDEF": "given", "UNUSED": "u"}).assert_same()


def test_run_writes_below_a_volume(pair):
    # buildah creates /data and drops what RUN writes below it; BuildKit keeps both
    # out of the way: the volume is config only and RUN's write stays.
    pair("""FROM {base}
VOLUME /data ["/logs"]
RUN mkdir -p /data && echo kept > /data/f
""").assert_same()


# ---------------------------------------------------------------- COPY and ADD


def test_copy_dirs_files_globs_chown_chmod(pair):
    files = {"a.txt": "a", "b.txt": "b", "c.md": "c", "dir/x": "x", "dir/sub/y": "y",
             "other/z": "z"}
    pair("""FROM {base}
COPY *.txt /txt/
COPY dir /copied-dir
COPY dir/ /copied-dir-slash/
COPY a.txt /renamed
COPY a.txt b.txt /two/
COPY --chown=app:app dir /owned/
COPY --chown=1000 c.md /owned-num.md
COPY --chmod=640 a.txt /mode/a
COPY --chmod=750 dir /mode/new/parents/
COPY --link other /linked/
COPY ["c.md", "/json form/"]
""", files).assert_same()


def test_copy_link_lays_out_without_the_image(pair):
    """COPY --link: the layer is made in an empty directory, so directories the image
    has already are made again (0755, the --chown owner) rather than copied up with
    their metadata; with --chmod BuildKit copies onto the image as without --link."""
    pair("""FROM {base}
RUN mkdir -m 0700 /app && chown 1000:1000 /app && mkdir -p /deep/a/b && chmod 0711 /deep/a
COPY --link f /app/f
COPY --link --chmod=640 f /deep/a/b/mod
COPY --link --chown=1000 f /deep/a/b/own
COPY --link d/ /newdir/sub/
WORKDIR /app
COPY --link f relative
""", {"f": "f\n", "d/x": "x", "d/y/z": "z"}).assert_same()


def test_copy_symbolic_chmod(pair):
    def setup(ctx):
        os.chmod(ctx / "tool", 0o755)
        os.chmod(ctx / "tree" / "sub", 0o700)
    pair("""FROM {base}
COPY --chmod=u=rwX,go=rX tool tree /sym/
COPY --chmod=a+X tree /sym-dir/
COPY --chmod=go-w,u+s tool /suid-tool
COPY --chmod=g=u,o= tool /nested/new/parents/tool
COPY --chmod=+t tree /sticky/
""", {"tool": "#!/bin/sh\n", "tree/file": "f", "tree/sub/deep": "d"}, setup=setup).assert_same()


def test_copy_parents(pair):
    def setup(ctx):
        os.chmod(ctx / "src" / "app", 0o700)
        os.chmod(ctx / "src", 0o750)
    pair("""FROM {base}
COPY --parents src/app/lib/a.txt x/x.txt /d1/
COPY --parents src/./app/ /d2/
COPY --parents src/*/b.txt /d3/
COPY --parents ./src/other /d4
COPY --parents x/x.txt /d5/renamed
COPY --parents --chmod=640 src/app/lib/a.txt /d6/
COPY --parents --chown=1000:1000 src/app/b.txt /d7/
WORKDIR /w
COPY --parents src/./other/o.txt rel/
""", {"src/app/lib/a.txt": "a", "src/app/b.txt": "b", "src/other/o.txt": "o",
      "x/x.txt": "x"}, setup=setup).assert_same()


def test_copy_onto_existing_paths_and_symlinks(pair):
    def setup(ctx):
        os.symlink("target.txt", ctx / "link.txt")
        os.symlink("../outside", ctx / "dangling")
    pair("""FROM {base}
RUN mkdir -p /exists && echo old > /exists/f && ln -s /exists /sl
COPY target.txt /exists/f
COPY link.txt /followed
COPY target.txt /sl/through-symlink
""", {"target.txt": "T"}, setup=setup).assert_same()


def test_add_local_archives_with_chown(pair):
    tar = tar_bytes([("pkg/", None, 0o755, 0, 0), ("pkg/bin", b"#!/bin/sh\n", 0o755, 12, 34),
                     ("pkg/data", b"data", 0o600, 0, 0)])
    import bz2
    import gzip
    import lzma
    pair("""FROM {base}
ADD plain.tar /plain/
ADD packed.tar.gz /packed/
ADD packed.tar.bz2 /packed-bz2/
ADD packed.tar.xz /packed-xz/
ADD --chown=app:app plain.tar /chowned/
ADD notatar.gz /raw/
ADD notatar.xz /raw/
""", {"plain.tar": tar, "packed.tar.gz": gzip.compress(tar, mtime=0),
      "packed.tar.bz2": bz2.compress(tar), "packed.tar.xz": lzma.compress(tar),
      "notatar.gz": gzip.compress(b"just bytes", mtime=0),
      "notatar.xz": lzma.compress(b"just bytes")}).assert_same()


def test_dockerignore(pair):
    pair("""FROM {base}
COPY . /ctx/
""", {".dockerignore": "*.log\n**/tmp\n!keep.log\nsecret/\nDockerfile\n",
      "a.log": "x", "keep.log": "k", "src/tmp/t": "t", "src/main.c": "m", "secret/key": "s",
      "deep/x/tmp/y": "y"}).assert_same()


def test_hardlinks_across_layers(pair):
    # 'ln' to a lower file copies it up unchanged: BuildKit leaves that copy out of the
    # layer, so the new name is a file of its own; writing one name of a lower pair
    # breaks the pair (overlayfs without index=on).
    pair("""FROM {base}
RUN mkdir /h && echo data > /h/a && ln /h/a /h/b
RUN ln /h/a /h/c
RUN echo changed > /h/b
""").assert_same()
    pair("""FROM {base}
RUN ln /etc/passwd /passwd-hard && echo a > /a && ln /a /a2 && ln /a /a3
RUN rm /a && echo appended >> /a2 && ln /etc/group /etc/group-hard
RUN chmod 600 /a3
""").assert_same()


def test_unchanged_copy_ups_stay_out_of_the_layer(pair):
    # Overlay copies these up without changing them; BuildKit writes none of them.
    pair("""FROM {base}
RUN mkdir -p /d/e && echo x > /d/e/f && ln -s f /d/e/l && chmod 700 /d/e
RUN mv /d/e/f /tmp/f && mv /tmp/f /d/e/f && chmod 700 /d/e && chown 0:0 /d/e/l \
 && touch -d @0 /d/e/new && rm /d/e/new
RUN chmod 755 /d/e && touch /d/e/f
""").assert_same()


def test_arg_and_env_order(pair):
    # One environment per stage that ENV and valued ARGs update in order: the later wins.
    pair("""FROM {base}
ARG PATH=/shadowed:/bin
ARG V=1
ENV E=env
ARG E=arg
ARG F=argf
ENV F=envf
ARG NOVALUE
RUN echo "$PATH $E $F" > /p && env | sort | grep -E '^(E|F|V|NOVALUE)=' > /env
""", build_args={"V": "2"}).assert_same()


def test_workdir_forms(pair):
    pair("""FROM {base}
WORKDIR /etc
WORKDIR /
WORKDIR rel/./x/..
USER app
WORKDIR /a/./b/../c/
RUN pwd > /tmp/pwd
WORKDIR sub
RUN pwd > /tmp/pwd2
""").assert_same()


# ---------------------------------------------------------------- metadata


def test_metadata_instructions(pair):
    pair("""FROM {base}
LABEL a=1 "b c"="two words" multi="x\\
y"
MAINTAINER someone <someone@example.com>
EXPOSE 80 443/tcp 53/udp 8000-8002
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=1s --retries=2 CMD wget -q -O- localhost || exit 1
ONBUILD RUN echo triggered > /onbuild
ENV A=1 B="two words"
ENV C $A-$B
WORKDIR /a/./b/../c/
ENTRYPOINT ["/bin/echo"]
""").assert_same()


@pytest.mark.parametrize("variant", ["shell-cmd", "exec-cmd", "entrypoint-resets-cmd",
                                     "shell-entrypoint", "healthcheck-none"])
def test_cmd_entrypoint(pair, variant):
    df = {
        "shell-cmd": "CMD echo shell form",
        "exec-cmd": 'CMD ["echo", "exec"]',
        "entrypoint-resets-cmd": 'CMD ["x"]\nENTRYPOINT ["/bin/echo"]',
        "shell-entrypoint": 'SHELL ["/bin/sh", "-ec"]\nENTRYPOINT echo hi',
        "healthcheck-none": "HEALTHCHECK CMD true\nHEALTHCHECK NONE",
    }[variant]
    pair("FROM {base}\n" + df + "\n").assert_same()


# ---------------------------------------------------------------- stages


def test_multi_stage_copy_from_and_unused_stage(pair):
    pair("""FROM {base} AS build
RUN mkdir /out && echo artifact > /out/a && echo more > /out/b
FROM {base} AS unused
RUN exit 3
FROM build AS child
RUN echo child > /out/c
FROM {base}
COPY --from=build /out/a /a
COPY --from=child /out/ /all/
COPY --from={base} /etc/passwd /passwd-from-image
""").assert_same()


def test_target_stage(pair):
    pair("""FROM {base} AS first
RUN echo first > /f
FROM first AS second
RUN echo second > /s
FROM {base}
RUN exit 9
""", target="second").assert_same()


def test_onbuild_of_a_stage(pair):
    pair("""FROM {base} AS parent
ONBUILD RUN echo fired > /fired
ONBUILD COPY f /from-onbuild
FROM parent
RUN cat /fired
""", {"f": "context file"}).assert_same()
