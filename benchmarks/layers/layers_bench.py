#!/usr/bin/env python3
"""Layer build benchmark: berth build vs umoci insert vs tar | gzip/pigz/zstd.

Run by benchmarks/run_layers.sh (which builds berth and passes its path); see its
header for the knobs. For each input tree (a large real one, $(go env GOROOT), and
~50k generated small files cached in --cache), every tool turns the tree into one
compressed layer, --reps rounds in a rotated order, the median wall time kept:

  berth gzip      berth build --from scratch --layer TREE:/t --compression gzip
                  (default level 3) --output oci:NEW:bench
  berth gzip -N   the same with --level N (BENCH_LAYERS_GZIP_LEVELS, default 1,2,4,6)
  berth zstd      --compression zstd (default level 3)
  umoci insert    umoci insert --image COPY:bench TREE /t into a fresh copy of an
                  empty image (umoci init + umoci new, copied outside the timing)
  tar | gzip -6   tar -cf - -C TREE . | gzip -6 > FILE
  tar | pigz      tar -cf - -C TREE . | pigz -p2 > FILE   (level 6)
  tar | zstd -3   tar -cf - -C TREE . | zstd -T0 -3 > FILE

berth and umoci also hash (digest and diffID), write the image config and manifest;
the tar pipelines do none of that. Outputs go to --out (default a tmpfs when there
is one), so the disk does not enter; the inputs are read once before the first
round, so the page cache holds them. Peak RSS is /usr/bin/time's %M (for a pipeline
the largest of its processes). MB/s is input MB (the bytes of the regular files,
10^6) per second of wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

SMALL_FILES = 50_000
SMALL_VERSION = 1

LEVEL_GOAL = 1.6  # issue #11: the default level's speed over umoci insert
GOAL_VS_UMOCI = 2.0  # berth gzip at least this much faster than umoci insert
GOAL_ZSTD_MBPS = 300.0


def log(msg: str) -> None:
    print("layers: " + msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# inputs


WORDS = ("the of and to in is it for on with as by at from this that be are or an "
         "func return if else err nil package import type struct int string byte "
         "error config layer image digest manifest registry blob tar gzip zstd "
         "build push pull copy index platform linux amd64 arm64 version").split()


def ensure_small_tree(cache: str) -> str:
    """~50k small files (32 B to 16 KiB, most around 1 KiB; 9 in 10 text-like,
    1 in 10 random bytes) in 50 x 10 directories, made once, deterministically."""
    root = os.path.join(cache, "small-files")
    stamp = os.path.join(cache, "small-files.done")
    try:
        with open(stamp) as f:
            if json.load(f) == {"version": SMALL_VERSION, "files": SMALL_FILES}:
                return root
    except (OSError, ValueError):
        pass
    log("generating %d small files in %s (once; cached)" % (SMALL_FILES, root))
    shutil.rmtree(root, ignore_errors=True)
    rng = random.Random(20240604)
    per_dir = SMALL_FILES // 500
    n = 0
    for top in range(50):
        for sub in range(10):
            d = os.path.join(root, "pkg%02d" % top, "mod%d" % sub)
            os.makedirs(d)
            for i in range(per_dir):
                size = int(min(16384, max(32, rng.lognormvariate(7.0, 1.0))))
                if rng.random() < 0.1:
                    data = rng.randbytes(size)
                else:
                    words = []
                    total = 0
                    while total < size:
                        w = rng.choice(WORDS)
                        words.append(w)
                        total += len(w) + 1
                        if rng.random() < 0.12:
                            words.append("\n")
                    data = " ".join(words).encode()[:size]
                name = "f%05d.%s" % (n, rng.choice(("go", "txt", "json", "c", "h", "py")))
                with open(os.path.join(d, name), "wb") as f:
                    f.write(data)
                os.utime(os.path.join(d, name), (1700000000, 1700000000))
                n += 1
    with open(stamp, "w") as f:
        json.dump({"version": SMALL_VERSION, "files": SMALL_FILES}, f)
    return root


def tree_stats(root: str) -> tuple[int, int]:
    """(regular files, their bytes)."""
    files = size = 0
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            st = os.lstat(os.path.join(dirpath, name))
            if (st.st_mode & 0o170000) == 0o100000:
                files += 1
                size += st.st_size
    return files, size


def warm(root: str) -> int:
    """Reads the whole tree once (into the page cache); returns the tar stream size."""
    p = subprocess.run("tar -cf - -C %s . | wc -c" % sh_quote(root), shell=True,
                       capture_output=True, text=True, check=True)
    return int(p.stdout.strip())


def sh_quote(s: str) -> str:
    return "'" + s.replace("'", "'\\''") + "'"


# --------------------------------------------------------------------------
# tools: each returns (command, function giving the output size after the run)


def berth_cmd(berth: str, comp: str, level: int | None):
    def make(tree: str, out: str):
        cmd = [berth, "build", "--from", "scratch", "--layer", "%s:/t" % tree,
               "--compression", comp]
        if level is not None:
            cmd += ["--level", str(level)]
        cmd += ["--output", "oci:%s:bench" % out, "--quiet"]
        return cmd, lambda: layout_last_layer_size(out)
    return make


def umoci_cmd(base: str):
    def make(tree: str, out: str):
        shutil.copytree(base, out, symlinks=True)  # outside the timing
        return (["umoci", "insert", "--image", "%s:bench" % out, tree, "/t"],
                lambda: layout_last_layer_size(out))
    return make


def pipe_cmd(compressor: str):
    def make(tree: str, out: str):
        f = out + ".tar.x"
        return (["bash", "-c", "set -o pipefail; tar -cf - -C %s . | %s > %s" %
                 (sh_quote(tree), compressor, sh_quote(f))],
                lambda: os.path.getsize(f))
    return make


def layout_last_layer_size(layout: str) -> int:
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    desc = index["manifests"][-1]
    for m in index["manifests"]:
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == "bench":
            desc = m
    with open(os.path.join(layout, "blobs", *desc["digest"].split(":"))) as f:
        manifest = json.load(f)
    return manifest["layers"][-1]["size"]


def ensure_umoci_base(cache: str) -> str | None:
    if not shutil.which("umoci"):
        return None
    base = os.path.join(cache, "umoci-empty")
    if os.path.isfile(os.path.join(base, "index.json")):
        return base
    shutil.rmtree(base, ignore_errors=True)
    subprocess.run(["umoci", "init", "--layout", base], check=True)
    subprocess.run(["umoci", "new", "--image", base + ":bench"], check=True)
    return base


def run_measured(cmd: list[str], work: str) -> tuple[float, int, float, str]:
    """(wall seconds, peak RSS KiB, user+sys seconds, error text or '')."""
    stats = os.path.join(work, "time.out")
    errf = os.path.join(work, "stderr.out")
    with open(errf, "wb") as err:
        t0 = time.perf_counter()
        rc = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", "-o", stats] + cmd,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=err).returncode
        wall = time.perf_counter() - t0
    with open(stats) as f:
        last = f.read().strip().splitlines()[-1].split()
    rss, cpu = int(last[0]), float(last[1]) + float(last[2])
    error = ""
    if rc != 0:
        with open(errf, errors="replace") as f:
            error = "exit %d: %s" % (rc, f.read()[-600:].strip())
    return wall, rss, cpu, error


# --------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--berth", required=True)
    ap.add_argument("--cache", required=True)
    ap.add_argument("--out", default="")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--trees", default="goroot,small")
    ap.add_argument("--enforce", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.cache, exist_ok=True)

    trees = []
    for name in args.trees.split(","):
        if name == "goroot":
            root = os.environ.get("BENCH_LAYERS_TREE", "")
            if not root:
                try:
                    root = subprocess.run(["go", "env", "GOROOT"], capture_output=True,
                                          text=True, check=True).stdout.strip()
                except (OSError, subprocess.CalledProcessError):
                    root = "/usr/local/go"
            label = "GOROOT" if not os.environ.get("BENCH_LAYERS_TREE") else root
            trees.append((label, root, "large"))
        elif name == "small":
            trees.append(("%dk small files" % (SMALL_FILES // 1000), ensure_small_tree(args.cache),
                          "small"))
        else:
            raise SystemExit("layers: unknown tree %s" % name)

    umoci_base = ensure_umoci_base(args.cache)
    tools = [("berth gzip", berth_cmd(args.berth, "gzip", None))]
    # The other gzip levels beside the default (3), to keep choosing it by measurement
    # (issue #11: >= 1.6x umoci insert at an output no larger than umoci's).
    levels = [int(v) for v in os.environ.get("BENCH_LAYERS_GZIP_LEVELS", "1,2,4,6").split(",") if v]
    tools += [("berth gzip -%d" % lv, berth_cmd(args.berth, "gzip", lv)) for lv in levels]
    tools.append(("berth zstd", berth_cmd(args.berth, "zstd", None)))
    notes = []
    if umoci_base:
        tools.append(("umoci insert", umoci_cmd(umoci_base)))
    else:
        notes.append("umoci insert: n/a (umoci not installed)")
    for label, exe, comp in (("tar | gzip -6", "gzip", "gzip -6"),
                             ("tar | pigz -p2", "pigz", "pigz -p2"),
                             ("tar | zstd -T0 -3", "zstd", "zstd -q -T0 -3")):
        if shutil.which(exe):
            tools.append((label, pipe_cmd(comp)))
        else:
            notes.append("%s: n/a (%s not installed)" % (label, exe))

    out_root = args.out or ("/dev/shm" if os.path.isdir("/dev/shm") and
                            os.access("/dev/shm", os.W_OK) else tempfile.gettempdir())
    work = tempfile.mkdtemp(prefix="berth-bench-layers-", dir=out_root)
    results: dict = {}
    errors: dict = {}
    info = {}
    try:
        for tlabel, root, _kind in trees:
            files, size = tree_stats(root)
            tar_size = warm(root)
            info[tlabel] = (root, files, size, tar_size)
            log("%s: %s, %d files, %.1f MB (tar stream %.1f MB)" %
                (tlabel, root, files, size / 1e6, tar_size / 1e6))
            for rep in range(args.reps):
                k = rep % len(tools)
                order = tools[k:] + tools[:k]
                log("%s round %d/%d" % (tlabel, rep + 1, args.reps))
                for name, make in order:
                    key = (tlabel, name)
                    if key in errors:
                        continue
                    out = os.path.join(work, "out")
                    cmd, size_of = make(root, out)
                    wall, rss, cpu, err = run_measured(cmd, work)
                    osize = 0
                    if not err:
                        try:
                            osize = size_of()
                        except (OSError, ValueError, KeyError, IndexError) as e:
                            err = "no output: %s" % e
                    shutil.rmtree(out, ignore_errors=True)
                    try:
                        os.unlink(out + ".tar.x")
                    except FileNotFoundError:
                        pass
                    if err:
                        log("%s on %s FAILED: %s" % (name, tlabel, err))
                        errors[key] = err
                        continue
                    results.setdefault(key, []).append((wall, rss, osize, cpu))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    missed = report(trees, tools, results, errors, notes, info, args.reps, out_root)
    return 1 if errors or (args.enforce and missed) else 0


def report(trees, tools, results, errors, notes, info, reps, out_root) -> list[str]:
    print("Layer build, median wall time of %d rounds, unpinned on %d cores (shared); "
          "outputs on %s; MB/s = input MB (10^6 bytes of regular files) per second"
          % (reps, os.cpu_count() or 0, out_root))
    for n in notes:
        print("  " + n)
    missed = []
    for tlabel, _root, kind in trees:
        root, files, size, tar_size = info[tlabel]
        print()
        print("%s (%s): %d files, %.1f MB, tar stream %.1f MB" %
              (tlabel, root, files, size / 1e6, tar_size / 1e6))
        print()
        print("| tool | time | input MB/s | CPU (user+sys) | output MB | of tar | peak RSS |")
        print("|---|---|---|---|---|---|---|")
        med = {}
        for name, _ in tools:
            key = (tlabel, name)
            mname = name.replace("|", "\\|")  # a pipe would end the Markdown cell
            if key in errors:
                print("| %s | FAILED | | | | | |" % mname)
                continue
            if key not in results:
                continue
            rs = results[key]
            t = statistics.median(r[0] for r in rs)
            cpu = statistics.median(r[3] for r in rs)
            osize = rs[-1][2]
            rss = max(r[1] for r in rs)
            med[name] = (t, osize, cpu)
            print("| %s | %.2f s | %.0f | %.2f s | %.1f | %.1f%% | %.1f MB |" %
                  (mname, t, size / 1e6 / t, cpu, osize / 1e6, 100.0 * osize / tar_size,
                   rss / 1024))
        print()
        b, u = med.get("berth gzip"), med.get("umoci insert")
        if b and u:
            speed = u[0] / b[0]
            # issue #11: 1.6x at umoci's size on the large tree, 2x on the small files
            factor = LEVEL_GOAL if kind == "large" else GOAL_VS_UMOCI
            # The size condition is the large tree's; on the small files it is shown.
            sized = kind == "large"
            ok = speed >= factor and (b[1] <= u[1] or not sized)
            print("goal %s: berth gzip >= %.1fx umoci insert%s: %.2fx "
                  "(CPU %.2fx), %.1f vs %.1f MB: %s"
                  % (tlabel, factor, " and no larger" if sized else "", speed, u[2] / b[2],
                     b[1] / 1e6, u[1] / 1e6, "met" if ok else "MISSED"))
            if not ok:
                missed.append("gzip vs umoci on " + tlabel)
        for lname in sorted(k for k in med if k.startswith("berth gzip -")):
            b1 = med[lname]
            if u:
                print("     (%s: %.2fx umoci (CPU %.2fx), %.1f MB: %s; >= %.1fx and no larger: %s)"
                      % (lname, u[0] / b1[0], u[2] / b1[2], b1[1] / 1e6,
                         "no larger" if b1[1] <= u[1] else "larger", LEVEL_GOAL,
                         "yes" if u[0] / b1[0] >= LEVEL_GOAL and b1[1] <= u[1] else "no"))
        z = med.get("berth zstd")
        if z:
            mbps = size / 1e6 / z[0]
            ok = mbps >= GOAL_ZSTD_MBPS
            if kind == "large":
                print("goal %s: berth zstd >= %.0f MB/s of input: %.0f MB/s: %s" %
                      (tlabel, GOAL_ZSTD_MBPS, mbps, "met" if ok else "MISSED"))
                if not ok:
                    missed.append("zstd on " + tlabel)
            else:  # per-file costs dominate; no goal, shown for comparison
                tz = med.get("tar | zstd -T0 -3")
                print("     (berth zstd: %.0f MB/s of input%s; the zstd goal is for the large tree)"
                      % (mbps, ", tar | zstd -T0 -3: %.0f MB/s" % (size / 1e6 / tz[0]) if tz else ""))
    for k, e in sorted(errors.items()):
        print("FAILED %s on %s: %s" % (k[1], k[0], e))
    return missed


if __name__ == "__main__":
    sys.exit(main())
