"""Dockerfile builds: berth build -f vs buildah bud (vfs, chroot isolation), cold (an
empty cache and state) and again with nothing changed (the step cache), on the same
Dockerfile and context in the same run. Prints median wall time, peak RSS and the
ratio buildah / berth per case.

The base is a busybox image made with berth from Debian's busybox-static (no Docker
Hub here); the context is a copy of a Go source tree (many small files), COPY'd and
then archived and transformed by RUN steps, so both the COPY path and the RUN
sandbox with its layer diff are measured.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BUSYBOX = "/bin/busybox"

DOCKERFILE = """FROM {base}
WORKDIR /src
COPY tree/ ./tree/
RUN find tree -type f | wc -l > /count && tar -cf /src.tar tree
RUN mkdir /out && cd /out && tar -xf /src.tar && rm /src.tar
ENV MODE=bench
CMD ["cat", "/count"]
"""


def make_base(berth: str, work: str) -> str:
    root = os.path.join(work, "root")
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
    layout = os.path.join(work, "base")
    env = dict(os.environ, SOURCE_DATE_EPOCH="0")
    subprocess.run([berth, "build", "--from", "scratch", "--layer", root, "--output",
                    f"oci:{layout}:busybox", "--quiet"], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    return f"oci:{layout}:busybox"


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


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--berth", required=True)
    ap.add_argument("--tree", required=True, help="the directory COPY'd into the image")
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    buildah = shutil.which("buildah")
    work = tempfile.mkdtemp(prefix="berth-bench-dockerfile-")
    try:
        base = make_base(a.berth, work)
        ctx = os.path.join(work, "ctx")
        shutil.copytree(a.tree, os.path.join(ctx, "tree"), symlinks=True)
        with open(os.path.join(ctx, "Dockerfile"), "w") as f:
            f.write(DOCKERFILE.format(base=base))
        files = sum(len(fs) for _, _, fs in os.walk(os.path.join(ctx, "tree")))
        results: dict[tuple[str, str], list[tuple[float, int]]] = {}
        for rep in range(a.reps):
            state = os.path.join(work, f"berth-state-{rep}")
            out = os.path.join(work, f"berth-out-{rep}")
            cmd = [a.berth, "build", ctx, "--output", f"oci:{out}:v1", "--cache", state,
                   "--quiet"]
            results.setdefault(("berth", "cold"), []).append(timed(cmd, work))
            results.setdefault(("berth", "cached"), []).append(timed(cmd, work))
            if buildah:
                root = os.path.join(work, f"buildah-root-{rep}")
                run = os.path.join(work, f"buildah-run-{rep}")
                bcmd = [buildah, "--storage-driver", "vfs", "--root", root, "--runroot", run,
                        "bud", "--isolation", "chroot", "--quiet", "-t", "localhost/bench:v1",
                        ctx]
                results.setdefault(("buildah", "cold"), []).append(timed(bcmd, work))
                results.setdefault(("buildah", "cached"), []).append(timed(bcmd, work))
                shutil.rmtree(root, ignore_errors=True)
                shutil.rmtree(run, ignore_errors=True)
            shutil.rmtree(state, ignore_errors=True)
            shutil.rmtree(out, ignore_errors=True)
        print(f"Dockerfile build: busybox base, COPY of {files} files, two RUN steps "
              f"(median of {a.reps})")
        print(f"{'tool':10} {'case':8} {'wall s':>8} {'peak RSS MiB':>13} {'buildah/berth':>14}")
        for case in ("cold", "cached"):
            mine = results[("berth", case)]
            b_wall = statistics.median(w for w, _ in mine)
            print(f"{'berth':10} {case:8} {b_wall:8.2f} "
                  f"{max(r for _, r in mine) / 1024:13.1f} {'':>14}")
            theirs = results.get(("buildah", case))
            if theirs:
                t_wall = statistics.median(w for w, _ in theirs)
                print(f"{'buildah':10} {case:8} {t_wall:8.2f} "
                      f"{max(r for _, r in theirs) / 1024:13.1f} {t_wall / b_wall:13.1f}x")
            else:
                print(f"{'buildah':10} {case:8} {'n/a':>8}")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
