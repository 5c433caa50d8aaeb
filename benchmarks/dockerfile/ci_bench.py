"""The CI rows of the Dockerfile benchmark (issue #23), each for berth, BuildKit and
buildah in the same run, every registry access through a ByteProxy:

- ci no change: a 10-instruction Dockerfile rebuilt and pushed again with its local
  cache warm (the push moves nothing);
- ci fresh runner: the build cache kept in the registry (berth --cache-to/--cache-from
  type=registry, BuildKit --export-cache/--import-cache type=registry,mode=max, buildah
  --cache-to/--cache-from), then a runner with nothing local builds the same Dockerfile
  with one source file changed and pushes it; bytes moved over the network against the
  size of the layers that changed;
- snapshot: a RUN that writes one file, on a base of 500 MB and on the bare busybox
  base; the difference is what the base's size costs the snapshot.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import statistics
import subprocess
import time
import urllib.request

CI_DOCKERFILE = """FROM {base}
ARG VERSION=1
ENV APP_HOME=/app VERSION=$VERSION
WORKDIR /app
RUN mkdir -p /deps && for i in $(seq 1 500); do echo "dependency $i" > /deps/d$i; done
RUN tar -cf /deps.tar /deps && rm -r /deps
COPY --link tree/ ./tree/
LABEL org.example.bench=ci
USER 0
CMD ["ls", "/app/tree"]
"""

SNAPSHOT_DOCKERFILE = """FROM {base}
ARG N=0
RUN echo "$N" > /touched
"""


def run(cmd: list[str], cwd: str, env: dict | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of cmd (through /usr/bin/time)."""
    t0 = time.monotonic()
    r = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, cwd=cwd, capture_output=True,
                       text=True, env=env)
    wall = time.monotonic() - t0
    if r.returncode != 0:
        raise SystemExit("ci bench: %s failed (%d):\n%s%s" % (
            " ".join(cmd[:3]), r.returncode, r.stdout[-2000:], r.stderr[-4000:]))
    return wall, int(r.stderr.strip().splitlines()[-1])


def manifest_layers(hostport: str, repo: str, tag: str) -> dict[str, int]:
    """digest -> size of the image's layers, read from the registry itself."""
    req = urllib.request.Request(
        "http://%s/v2/%s/manifests/%s" % (hostport, repo, tag),
        headers={"Accept": "application/vnd.oci.image.manifest.v1+json, "
                           "application/vnd.docker.distribution.manifest.v2+json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        m = json.loads(resp.read())
    return {l["digest"]: l["size"] for l in m["layers"]}


def change_one_file(ctx: str) -> None:
    """Appends a line to the first .go file of the context's tree."""
    for d, _, names in sorted(os.walk(os.path.join(ctx, "tree"))):
        for n in sorted(names):
            if n.endswith(".go"):
                with open(os.path.join(d, n), "a") as f:
                    f.write("\n// changed by the benchmark\n")
                return
    raise SystemExit("ci bench: no .go file in the tree")


class Tools:
    """How each tool builds CTX and pushes REF, with its own state."""

    def __init__(self, berth, buildkit_factory, buildah, work):
        self.berth, self.buildkit_factory, self.buildah, self.work = (
            berth, buildkit_factory, buildah, work)

    def berth_build(self, ctx, state, ref, extra=()):
        return [self.berth, "build", "--quiet", "--cache", state, "-t", ref, *extra, ctx]

    def buildkit_build(self, bk, ctx, ref, extra=()):
        return bk._ctl("build", "--progress", "quiet", "--frontend", "dockerfile.v0",
                       "--local", "context=" + ctx, "--local", "dockerfile=" + ctx,
                       "--output", "type=image,name=%s,push=true,registry.insecure=true" % ref,
                       *extra)

    def buildah_build(self, ctx, store, ref, extra=()):
        """bud then push, as one shell command (timed together)."""
        base = [self.buildah, "--storage-driver", "vfs", "--root", store + "/root",
                "--runroot", store + "/run"]
        # buildah 1.28 has no COPY --link: the same Dockerfile without it.
        nolink = os.path.join(ctx, "Dockerfile.buildah")
        with open(os.path.join(ctx, "Dockerfile")) as f, open(nolink, "w") as g:
            g.write(f.read().replace("COPY --link ", "COPY "))
        bud = base + ["bud", "--isolation", "chroot", "--quiet", "--layers",
                      "--tls-verify=false", "-f", nolink, *extra, "-t", ref, ctx]
        push = base + ["push", "--quiet", "--tls-verify=false", ref, "docker://" + ref]
        return ["sh", "-c", shlex.join(map(str, bud)) + " >/dev/null && " +
                shlex.join(map(str, push))]


def daemon_peak_rss_kib(bk) -> int | None:
    try:
        with open("/proc/%d/status" % bk.proc.pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def ci_rows(tools: Tools, proxy, registry, base_ref, big_ref, tree, reps):
    """Rows of (case, tool, wall s, peak RSS KiB or None, note)."""
    work = tools.work
    rows = []
    peaks = []

    def median_row(case, tool, samples, note=""):
        rows.append((case, tool, statistics.median(w for w, _, _ in samples),
                     max(r for _, r, _ in samples) if samples[0][1] is not None else None,
                     note or samples[-1][2]))

    no_change = {"berth": [], "buildkit": [], "buildah": []}
    fresh = {"berth": [], "buildkit": [], "buildah": []}
    for rep in range(reps):
        ctx = os.path.join(work, "ci-ctx-%d" % rep)
        shutil.copytree(tree, os.path.join(ctx, "tree"), symlinks=True)
        with open(os.path.join(ctx, "Dockerfile"), "w") as f:
            f.write(CI_DOCKERFILE.format(base=base_ref))
        repo = "%s/ci%d" % (proxy.hostport, rep)
        # --- berth
        state1, state2 = (os.path.join(work, "ci-berth-%s-%d" % (s, rep)) for s in "ab")
        cache = "type=registry,ref=%s/berth-cache,mode=max" % repo
        first = tools.berth_build(ctx, state1, repo + "/berth:v1", ["--cache-to", cache])
        run(first, work)
        proxy.reset()
        w, r = run(first, work)
        no_change["berth"].append((w, r, "%d bytes moved" % proxy.total()))
        # --- BuildKit
        if tools.buildkit_factory:
            bk = tools.buildkit_factory("ci-bk-%d" % rep)
            try:
                cache_bk = ["--export-cache", "type=registry,ref=%s/bk-cache,mode=max,"
                            "registry.insecure=true" % repo]
                first_bk = tools.buildkit_build(bk, ctx, repo + "/bk:v1", cache_bk)
                run(first_bk, work)
                proxy.reset()
                w, _ = run(first_bk, work)
                no_change["buildkit"].append((w, None, "%d bytes moved" % proxy.total()))
            finally:
                peaks.append(daemon_peak_rss_kib(bk))
                bk.stop()
        # --- buildah
        if tools.buildah:
            store = os.path.join(work, "ci-buildah-a-%d" % rep)
            cache_ba = ["--cache-to", repo + "/buildah-cache"]
            first_ba = tools.buildah_build(ctx, store, repo + "/buildah:v1", cache_ba)
            run(first_ba, work)
            proxy.reset()
            w, r = run(first_ba, work)
            no_change["buildah"].append((w, r, "%d bytes moved" % proxy.total()))
            shutil.rmtree(store, ignore_errors=True)

        # One source file changed; each tool on a fresh runner with the registry cache.
        change_one_file(ctx)
        proxy.reset()
        w, r = run(tools.berth_build(ctx, state2, repo + "/berth:v2",
                                     ["--cache-from", cache, "--cache-to", cache]), work)
        moved = proxy.total()
        fresh["berth"].append((w, r, moved_note(moved, registry, repo, "berth")))
        if tools.buildkit_factory:
            bk = tools.buildkit_factory("ci-bk-fresh-%d" % rep)
            try:
                imp = ["--import-cache", "type=registry,ref=%s/bk-cache,registry.insecure=true"
                       % repo] + cache_bk
                proxy.reset()
                w, _ = run(tools.buildkit_build(bk, ctx, repo + "/bk:v2", imp), work)
                fresh["buildkit"].append((w, None, moved_note(proxy.total(), registry, repo, "bk")))
            finally:
                peaks.append(daemon_peak_rss_kib(bk))
                bk.stop()
        if tools.buildah:
            store = os.path.join(work, "ci-buildah-b-%d" % rep)
            proxy.reset()
            w, r = run(tools.buildah_build(ctx, store, repo + "/buildah:v2",
                                           ["--cache-from", repo + "/buildah-cache"]), work)
            fresh["buildah"].append((w, r, moved_note(proxy.total(), registry, repo, "buildah")))
            shutil.rmtree(store, ignore_errors=True)
        for s in (state1, state2):
            shutil.rmtree(s, ignore_errors=True)
        shutil.rmtree(ctx, ignore_errors=True)

    for tool, samples in no_change.items():
        if samples:
            median_row("ci no change, push", tool, samples)
    for tool, samples in fresh.items():
        if samples:
            median_row("ci fresh runner, 1 file", tool, samples)
    rows += snapshot_rows(tools, registry, base_ref, big_ref, reps, peaks)
    known = [p for p in peaks if p]
    if known:
        rows.append(("buildkitd daemon", "buildkit", None, max(known),
                     "peak RSS of the daemon over its builds"))
    return rows


def moved_note(moved: int, registry, repo: str, name: str) -> str:
    """Bytes moved against the layers v2 has and v1 had not (read from the registry)."""
    path = repo.split("/", 1)[1] + "/" + name
    v1 = manifest_layers(registry.hostport, path, "v1")
    v2 = manifest_layers(registry.hostport, path, "v2")
    changed = sum(size for d, size in v2.items() if d not in v1)
    ratio = moved / changed if changed else float("inf")
    return "%.2f MB moved, %.2f MB changed layers: %.2fx" % (moved / 1e6, changed / 1e6, ratio)


def snapshot_rows(tools: Tools, registry, base_ref, big_ref, reps, peaks):
    """A RUN writing one file, on the big base and on the small one: the median time of
    a build whose only step that runs is that RUN, for each base; the row's note is the
    difference."""
    work = tools.work
    rows = []
    ctx = os.path.join(work, "snapshot-ctx")
    os.makedirs(ctx, exist_ok=True)
    times: dict = {}
    for label, ref in (("small", base_ref), ("big", big_ref)):
        with open(os.path.join(ctx, "Dockerfile"), "w") as f:
            f.write(SNAPSHOT_DOCKERFILE.format(base=ref))
        state = os.path.join(work, "snapshot-berth-" + label)
        out = os.path.join(work, "snapshot-out-" + label)
        cmd = lambda n: [tools.berth, "build", "--quiet", "--cache", state, "--build-arg",
                         "N=%d" % n, "--output", "oci:%s:v1" % out, ctx]
        run(cmd(-1), work)  # the base unpacked once
        times[("berth", label)] = [run(cmd(n), work) for n in range(reps)]
        shutil.rmtree(out, ignore_errors=True)
        if tools.buildkit_factory:
            bk = tools.buildkit_factory("snapshot-bk-" + label)
            try:
                # No --output: exporting the 500 MB base each time is not the snapshot.
                bcmd = lambda n: bk._ctl("build", "--progress", "quiet", "--frontend",
                                         "dockerfile.v0", "--local", "context=" + ctx, "--local",
                                         "dockerfile=" + ctx, "--opt", "build-arg:N=%d" % n)
                run(bcmd(-1), work)
                times[("buildkit", label)] = [run(bcmd(n), work) for n in range(reps)]
            finally:
                peaks.append(daemon_peak_rss_kib(bk))
                bk.stop()
        if tools.buildah:
            store = os.path.join(work, "snapshot-buildah-" + label)
            base = [tools.buildah, "--storage-driver", "vfs", "--root", store + "/root",
                    "--runroot", store + "/run", "bud", "--isolation", "chroot", "--quiet",
                    "--layers", "--tls-verify=false"]
            acmd = lambda n: base + ["--build-arg", "N=%d" % n, "-t", "localhost/snap:v1", ctx]
            run(acmd(-1), work)
            times[("buildah", label)] = [run(acmd(n), work) for n in range(reps)]
            shutil.rmtree(store, ignore_errors=True)
    for tool in ("berth", "buildkit", "buildah"):
        if (tool, "big") not in times:
            continue
        big = statistics.median(w for w, _ in times[(tool, "big")])
        small = statistics.median(w for w, _ in times[(tool, "small")])
        rss = max(r for _, r in times[(tool, "big")]) if tool != "buildkit" else None
        rows.append(("snapshot, 500 MB base", tool, big, rss,
                     "%+.0f ms over the bare base (%.2f s)" % ((big - small) * 1000, small)))
    return rows
