"""Dockerfile builds: berth build -f vs BuildKit (buildkitd with the OCI worker, started
once; buildctl per build, as a CI job talks to a running daemon) and buildah bud (vfs,
chroot isolation), cold and again with nothing changed, on the same Dockerfile, context
and base (read by all three from a loopback docker-registry) in the same run. berth runs
as a user runs it: a fresh process per build. Prints median wall time, peak RSS (of the
client process: buildctl's is not the daemon's, so BuildKit's memory is not comparable
and shown as n/a) and each peer's time over berth's.

Cases:
- busybox: a busybox base (Debian's busybox-static), a Go source tree COPY'd, then
  archived and unpacked again by two RUN steps;
- debian: a multi-stage build on a Debian bookworm minbase made by mmdebstrap (when it is
  installed): the tree COPY'd and hashed, files written and deleted, then a slim final
  stage with COPY --from, useradd and USER.

Cold: berth with an empty state dir, BuildKit with --no-cache, buildah with a fresh store.
Cached: the same build again (berth's step cache, BuildKit's cache, buildah's --layers).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "servers"))
sys.path.insert(0, str(REPO / "tests" / "dockerfile"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import stack  # noqa: E402
from byte_proxy import ByteProxy  # noqa: E402
from ci_bench import Tools, ci_rows  # noqa: E402

BUSYBOX = "/bin/busybox"

BUSYBOX_DOCKERFILE = """FROM {base}
WORKDIR /src
COPY tree/ ./tree/
RUN find tree -type f | wc -l > /count && tar -cf /src.tar tree
RUN mkdir /out && cd /out && tar -xf /src.tar && rm /src.tar
ENV MODE=bench
CMD ["cat", "/count"]
"""

DEBIAN_DOCKERFILE = """FROM {base} AS build
WORKDIR /src
COPY tree/ ./tree/
RUN find tree -type f | sort | xargs cat | sha256sum > /digest && tar -czf /tree.tgz tree \\
 && find tree -name '*_test.go' -delete
RUN mkdir -p /out && cp /digest /out/ && tar -xzf /tree.tgz -C /out && rm /tree.tgz
FROM {base}
COPY --from=build /out /app
RUN useradd --create-home app && chown -R app /app/digest
USER app
CMD ["cat", "/app/digest"]
"""


def busybox_root(work: str) -> str:
    root = os.path.join(work, "busybox-root")
    os.makedirs(os.path.join(root, "bin"))
    os.makedirs(os.path.join(root, "etc"))
    os.makedirs(os.path.join(root, "tmp"), mode=0o1777)
    shutil.copy2(BUSYBOX, os.path.join(root, "bin", "busybox"))
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=True)
    for name in applets.stdout.split():
        if name != "busybox":
            os.symlink("busybox", os.path.join(root, "bin", name))
    with open(os.path.join(root, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\n")
    return root


def debian_root(work: str) -> str | None:
    if not shutil.which("mmdebstrap"):
        return None
    root = os.path.join(work, "debian-root")
    subprocess.run(["mmdebstrap", "--variant=minbase", "--quiet", "bookworm", root,
                    "http://deb.debian.org/debian"], check=True)
    return root


def push_base(berth: str, root: str, ref: str, *layers: str) -> None:
    env = dict(os.environ, SOURCE_DATE_EPOCH="0")
    extra = [a for layer in layers for a in ("--layer", layer)]
    subprocess.run([berth, "build", "--from", "scratch", "--layer", root, *extra, "--level",
                    "1", "--output", ref, "--quiet"], check=True, env=env,
                   stdout=subprocess.DEVNULL)


def big_data(work: str, mib: int = 500) -> str:
    """mib files of 1 MiB of random bytes (they do not compress) under data/, laid at /."""
    root = os.path.join(work, "big-data")
    os.makedirs(os.path.join(root, "data"))
    for i in range(mib):
        with open(os.path.join(root, "data", "f%04d" % i), "wb") as f:
            f.write(os.urandom(1 << 20))
    return root


def print_ci(rows) -> None:
    print()
    print("CI rows: the peers' ratio is their time / berth's")
    print(f"{'case':26} {'tool':9} {'wall s':>8} {'peak RSS MiB':>13} {'peer/berth':>11}  note")
    mine = {}
    for case, tool, wall, rss, note in rows:
        label = case if case not in mine else ""
        if tool == "berth":
            mine[case] = wall
        ratio = (f"{wall / mine[case]:10.2f}x" if tool != "berth" and wall is not None
                 and mine.get(case) else "")
        wall_s = "n/a" if wall is None else f"{wall:.2f}"
        rss_s = "n/a" if rss is None else f"{rss / 1024:.1f}"
        print(f"{label:26} {tool:9} {wall_s:>8} {rss_s:>13} {ratio:>11}  {note}")


def timed(cmd: list[str], cwd: str) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of cmd, through /usr/bin/time."""
    t0 = time.monotonic()
    r = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, cwd=cwd, capture_output=True,
                       text=True)
    wall = time.monotonic() - t0
    if r.returncode != 0:
        sys.stderr.write(r.stdout[-2000:] + r.stderr[-4000:])
        raise SystemExit(f"dockerfile bench: {cmd[0]} failed ({r.returncode})")
    rss = int(r.stderr.strip().splitlines()[-1])
    return wall, rss


def run_case(name, ctx, reps, berth, buildkit, buildah, registry, work, results):
    for rep in range(reps):
        state = os.path.join(work, f"berth-state-{name}-{rep}")
        out = os.path.join(work, f"berth-out-{name}-{rep}")
        cmd = [berth, "build", ctx, "--output", f"oci:{out}:v1", "--cache", state, "--quiet"]
        results.setdefault((name, "berth", "cold"), []).append(timed(cmd, work))
        results.setdefault((name, "berth", "cached"), []).append(timed(cmd, work))
        shutil.rmtree(state, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
        if buildkit:
            tar = os.path.join(work, "bk.tar")
            base = buildkit._ctl("build", "--progress", "quiet", "--frontend", "dockerfile.v0",
                                 "--local", f"context={ctx}", "--local", f"dockerfile={ctx}",
                                 "--output", f"type=oci,dest={tar}")
            results.setdefault((name, "buildkit", "cold"), []).append(
                timed(base + ["--no-cache"], work))
            results.setdefault((name, "buildkit", "cached"), []).append(timed(base, work))
            os.unlink(tar)
        if buildah:
            root = os.path.join(work, f"buildah-root-{rep}")
            run = os.path.join(work, f"buildah-run-{rep}")
            bcmd = [buildah, "--storage-driver", "vfs", "--root", root, "--runroot", run,
                    "bud", "--isolation", "chroot", "--quiet", "--layers", "--tls-verify=false",
                    "-t", "localhost/bench:v1", ctx]
            results.setdefault((name, "buildah", "cold"), []).append(timed(bcmd, work))
            results.setdefault((name, "buildah", "cached"), []).append(timed(bcmd, work))
            shutil.rmtree(root, ignore_errors=True)
            shutil.rmtree(run, ignore_errors=True)


def print_table(cases, results, reps):
    print(f"Dockerfile builds, median of {reps}; ratio = the peer's time / berth's")
    print(f"{'case':26} {'tool':9} {'wall s':>8} {'peak RSS MiB':>13} {'peer/berth':>11}")
    for name, what in cases:
        for case in ("cold", "cached"):
            mine = results[(name, "berth", case)]
            b_wall = statistics.median(w for w, _ in mine)
            label = f"{name} {case}"
            print(f"{label:26} {'berth':9} {b_wall:8.2f} "
                  f"{max(r for _, r in mine) / 1024:13.1f} {'':>11}")
            for tool in ("buildkit", "buildah"):
                theirs = results.get((name, tool, case))
                if not theirs:
                    print(f"{'':26} {tool:9} {'n/a':>8}")
                    continue
                t_wall = statistics.median(w for w, _ in theirs)
                rss = "n/a" if tool == "buildkit" else f"{max(r for _, r in theirs) / 1024:.1f}"
                print(f"{'':26} {tool:9} {t_wall:8.2f} {rss:>13} {t_wall / b_wall:10.2f}x")
        print(f"  ({what})")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--berth", required=True)
    ap.add_argument("--tree", required=True, help="the directory COPY'd into the image")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--only", choices=("all", "builds", "ci"), default="all",
                    help="the cold/cached builds, the CI rows, or both")
    a = ap.parse_args()
    buildah = shutil.which("buildah")
    work = tempfile.mkdtemp(prefix="berth-bench-dockerfile-")
    buildkit = None
    results: dict = {}
    try:
        with stack.Registry() as registry:
            try:
                from buildkit_support import BuildKit, have_buildkit
                if have_buildkit():
                    buildkit = BuildKit(pathlib.Path(work) / "buildkit", [registry.hostport])
            except Exception as e:  # reported, and the table shows n/a
                print(f"dockerfile bench: BuildKit unavailable: {e}", file=sys.stderr)
            files = sum(len(fs) for _, _, fs in os.walk(a.tree))
            cases = []
            for name, root, dockerfile, what in () if a.only == "ci" else (
                    ("busybox", busybox_root(work), BUSYBOX_DOCKERFILE,
                     f"busybox base, COPY of {files} files, two RUN steps"),
                    ("debian multi-stage", debian_root(work), DEBIAN_DOCKERFILE,
                     f"Debian minbase, COPY of {files} files hashed, files deleted, "
                     "slim final stage with COPY --from and useradd")):
                if root is None:
                    print(f"dockerfile bench: {name}: mmdebstrap is missing", file=sys.stderr)
                    continue
                ref = f"{registry.hostport}/bench/{name.split()[0]}:base"
                push_base(a.berth, root, ref)
                ctx = os.path.join(work, "ctx-" + name.split()[0])
                shutil.copytree(a.tree, os.path.join(ctx, "tree"), symlinks=True)
                with open(os.path.join(ctx, "Dockerfile"), "w") as f:
                    f.write(dockerfile.format(base=ref))
                run_case(name, ctx, a.reps, a.berth, buildkit, buildah, registry, work, results)
                cases.append((name, what))
            if cases:
                print_table(cases, results, a.reps)
            if a.only != "builds":
                proxy = ByteProxy(registry.host, registry.port)
                small = busybox_root(os.path.join(work, "ci"))
                base_ref = f"{proxy.hostport}/bench/ci-base:v1"
                push_base(a.berth, small, base_ref)
                big_ref = f"{registry.hostport}/bench/big:v1"
                push_base(a.berth, small, big_ref, big_data(work))

                def factory(name):
                    if not buildkit:
                        return None
                    return BuildKit(pathlib.Path(work) / name,
                                    [registry.hostport, proxy.hostport])
                tools = Tools(a.berth, factory if buildkit else None, buildah, work)
                print_ci(ci_rows(tools, proxy, registry, base_ref, big_ref, a.tree, a.reps))
        return 0
    finally:
        if buildkit:
            buildkit.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
