#!/usr/bin/env python3
"""Image transfer benchmark: berth vs skopeo vs crane vs a raw curl floor.

Run by benchmarks/run_transfer.sh (which builds berth and passes the paths); see
its header for the knobs. Steps:

1. The fixture: an OCI layout of a few large layers built by ``berth build`` from
   system directories, cached in ``--cache`` (rebuilt only when the list of
   directories changes or the layout is gone).
2. Two docker-registry instances (tests/servers/stack.py): A holds the source image
   ``bench/src:bench`` (seeded with the curl floor), B receives the registry-to-
   registry copies, so every byte of a copy crosses the wire twice.
3. ``--reps`` rounds; in each, every tool (in a rotated order) does:
   push   layout -> A, a repository it never used
   noop   the same push again: everything is there already
   pull   A bench/src -> a new layout directory
   copy   A bench/src -> B, a repository it never used (named so that no tool
          can mount the blobs from a same-named repository on B)
   Wall time is measured around the process; peak RSS is /usr/bin/time's %M (the
   largest resident set of the process and its children: for the curl floor that
   is the largest single curl/xargs/bash).
4. Each result is checked (the manifest digest on the destination, or every blob of
   the pulled layout by size and sha256 in the first round), then the medians are
   printed as Markdown tables with the ratios and the goals.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
TAG = "bench"
FIXTURE_VERSION = 1

GOALS = {  # operation -> minimum speed-up over skopeo (issue #11)
    "push": 1.5,
    "pull": 1.5,
    "copy": 1.5,
}
CRANE_GOAL = 1.2  # loopback push, pull, copy: crane's time / berth's
FLOOR_GOAL = 1.2  # pull: berth's time / the curl floor's
WAN_CRANE_GOAL = 1.3  # each *-wan op: crane's time / berth's
REPLICATE_GOAL = 1.3  # replicate to 3 registries: time / one berth copy's
NOOP_GOAL_MS = 50
RSS_GOAL_MB = 64


def log(msg: str) -> None:
    print("transfer: " + msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# fixture


def default_layer_dirs() -> list[tuple[str, str]]:
    goroot = ""
    try:
        goroot = subprocess.run(["go", "env", "GOROOT"], capture_output=True, text=True,
                                check=False).stdout.strip()
    except OSError:
        pass
    cands = ["/usr/lib/x86_64-linux-gnu", goroot or "/usr/local/go", "/usr/include",
             "/usr/lib/python3"]
    out = []
    for d in cands:
        if d and os.path.isdir(d):
            out.append((d, d))
    return out


def parse_layer_dirs(spec: str) -> list[tuple[str, str]]:
    out = []
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        src, _, dest = item.partition(":")
        out.append((src, dest or src))
    return out


def ensure_fixture(berth: str, cache: str, dirs: list[tuple[str, str]]) -> str:
    layout = os.path.join(cache, "transfer-layout")
    stamp_file = os.path.join(cache, "transfer-layout.json")
    want = {"version": FIXTURE_VERSION, "layers": dirs}
    try:
        with open(stamp_file) as f:
            have = json.load(f)
        if (have == json.loads(json.dumps(want)) and
                os.path.isfile(os.path.join(layout, "index.json"))):
            return layout
    except (OSError, ValueError):
        pass
    log("building the fixture layout in %s from %s (once; cached)" %
        (layout, ", ".join(d for d, _ in dirs)))
    shutil.rmtree(layout, ignore_errors=True)
    os.makedirs(cache, exist_ok=True)
    cmd = [berth, "build", "--from", "scratch"]
    for src, dest in dirs:
        cmd += ["--layer", "%s:%s" % (src, dest)]
    cmd += ["--output", "oci:%s:%s" % (layout, TAG), "--quiet"]
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    with open(stamp_file, "w") as f:
        json.dump(want, f)
    return layout


def read_layout(layout: str) -> tuple[str, list[tuple[str, int]]]:
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    desc = next(m for m in index["manifests"]
                if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == TAG)
    mdig = desc["digest"]
    with open(os.path.join(layout, "blobs", *mdig.split(":"))) as f:
        manifest = json.load(f)
    blobs = [(manifest["config"]["digest"], manifest["config"]["size"])]
    blobs += [(l["digest"], l["size"]) for l in manifest["layers"]]
    return mdig, blobs


# --------------------------------------------------------------------------
# registries


class Registries:
    def __init__(self, stack_py: str, work: str, count: int = 2):
        self.stack_py, self.work, self.count = stack_py, work, count
        self.dirs: list[str] = []
        self.hosts: list[str] = []
        self.logs: list[str] = []
        self.pids: list[int] = []

    def cpu(self) -> float:
        """User+system CPU seconds the registries have used so far."""
        total = 0.0
        for pid in self.pids:
            try:
                with open("/proc/%d/stat" % pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, IndexError, ValueError):
                pass
        return total

    def __enter__(self) -> "Registries":
        try:
            for name in ("regA", "regB", "regC", "regD")[:self.count]:
                d = os.path.join(self.work, name)
                self.dirs.append(d)
                subprocess.run([sys.executable, self.stack_py, "up", "--kind", "plain",
                                "--state-dir", d], check=True, stdout=subprocess.DEVNULL)
                with open(os.path.join(d, "stack.json")) as f:
                    reg = json.load(f)["registry"]
                self.hosts.append(reg["hostport"])
                self.logs.append(reg["log_file"])
                self.pids.append(int(reg["pid"]))
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        for d in self.dirs:
            subprocess.run([sys.executable, self.stack_py, "down", "--state-dir", d],
                           check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class WanProxies:
    """One wan_proxy.py process per registry (its own interpreter, so that the
    proxies of a registry-to-registry copy do not share a GIL)."""

    def __init__(self, script: str, work: str, upstreams: list[str], delay_ms: float,
                 rate: float):
        self.script, self.work, self.upstreams = script, work, upstreams
        self.delay_ms, self.rate = delay_ms, rate
        self.procs: list[subprocess.Popen] = []
        self.hosts: list[str] = []

    def __enter__(self) -> "WanProxies":
        try:
            for i, up in enumerate(self.upstreams):
                pf = os.path.join(self.work, "wan-proxy-%d.port" % i)
                self.procs.append(subprocess.Popen(
                    [sys.executable, self.script, "--upstream", up, "--delay-ms",
                     str(self.delay_ms), "--rate", str(self.rate), "--port-file", pf],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL))
                deadline = time.monotonic() + 10
                while not os.path.exists(pf):
                    if time.monotonic() > deadline or self.procs[-1].poll() is not None:
                        raise SystemExit("transfer: the WAN proxy did not start")
                    time.sleep(0.02)
                with open(pf) as f:
                    self.hosts.append("127.0.0.1:%d" % int(f.read()))
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()


def count_blob_gets(log_file: str, offset: int, repo: str) -> int:
    """Blob GETs for `repo` in a registry's access log after byte `offset`."""
    with open(log_file, "rb") as f:
        f.seek(offset)
        text = f.read().decode(errors="replace")
    return text.count('"GET /v2/%s/blobs/' % repo)


def head_manifest(hostport: str, repo: str, tag: str) -> str | None:
    conn = http.client.HTTPConnection(hostport, timeout=30)
    try:
        conn.request("HEAD", "/v2/%s/manifests/%s" % (repo, tag), headers={"Accept": MT_MANIFEST})
        resp = conn.getresponse()
        resp.read()
        return resp.getheader("Docker-Content-Digest") if resp.status == 200 else None
    finally:
        conn.close()


# --------------------------------------------------------------------------
# tools


class Tool:
    name = ""

    def available(self) -> str | None:  # None when usable, else why not
        return None

    def push(self, layout: str, reg: str, repo: str) -> list[str]:
        raise NotImplementedError

    def pull(self, reg: str, repo: str, dest: str) -> list[str]:
        raise NotImplementedError

    def copy(self, src: str, srepo: str, dst: str, drepo: str) -> list[str]:
        raise NotImplementedError


class Berth(Tool):
    name = "berth"

    def __init__(self, binary: str):
        self.bin = binary

    def available(self):
        return None if os.access(self.bin, os.X_OK) else "%s missing" % self.bin

    def push(self, layout, reg, repo):
        return [self.bin, "copy", "--quiet", "oci:%s:%s" % (layout, TAG),
                "docker://%s/%s:%s" % (reg, repo, TAG)]

    def pull(self, reg, repo, dest):
        return [self.bin, "copy", "--quiet", "docker://%s/%s:%s" % (reg, repo, TAG),
                "oci:%s:%s" % (dest, TAG)]

    def copy(self, src, srepo, dst, drepo):
        return [self.bin, "copy", "--quiet", "docker://%s/%s:%s" % (src, srepo, TAG),
                "docker://%s/%s:%s" % (dst, drepo, TAG)]


    def replicate(self, src, srepo, dsts):
        return ([self.bin, "replicate", "--quiet", "docker://%s/%s:%s" % (src, srepo, TAG)] +
                ["docker://%s/%s:%s" % (h, r, TAG) for h, r in dsts])


class Skopeo(Tool):
    name = "skopeo"

    def __init__(self, wrapper: str):
        self.wrap = [wrapper] if wrapper else []

    def available(self):
        if not shutil.which("skopeo"):
            return "skopeo not installed"
        return None

    def _cmd(self, *args):
        return self.wrap + ["skopeo", "copy", "-q", "--src-tls-verify=false",
                            "--dest-tls-verify=false"] + list(args)

    def push(self, layout, reg, repo):
        return self._cmd("oci:%s:%s" % (layout, TAG), "docker://%s/%s:%s" % (reg, repo, TAG))

    def pull(self, reg, repo, dest):
        return self._cmd("docker://%s/%s:%s" % (reg, repo, TAG), "oci:%s:%s" % (dest, TAG))

    def copy(self, src, srepo, dst, drepo):
        return self._cmd("docker://%s/%s:%s" % (src, srepo, TAG),
                         "docker://%s/%s:%s" % (dst, drepo, TAG))


class Crane(Tool):
    name = "crane"

    def __init__(self, binary: str):
        self.bin = binary

    def available(self):
        return None if self.bin and os.access(self.bin, os.X_OK) else "crane not found"

    def push(self, layout, reg, repo):
        return [self.bin, "push", "--insecure", layout, "%s/%s:%s" % (reg, repo, TAG)]

    def pull(self, reg, repo, dest):
        return [self.bin, "pull", "--insecure", "--format=oci", "%s/%s:%s" % (reg, repo, TAG), dest]

    def copy(self, src, srepo, dst, drepo):
        return [self.bin, "copy", "--insecure", "%s/%s:%s" % (src, srepo, TAG),
                "%s/%s:%s" % (dst, drepo, TAG)]


class Curl(Tool):
    name = "curl"

    def __init__(self, script: str):
        self.script = script

    def available(self):
        missing = [t for t in ("curl", "jq", "xargs", "sha256sum") if not shutil.which(t)]
        return "missing " + ", ".join(missing) if missing else None

    def push(self, layout, reg, repo):
        return [self.script, "push", layout, TAG, "http://" + reg, repo]

    def pull(self, reg, repo, dest):
        return [self.script, "pull", "http://" + reg, repo, TAG, dest]

    def copy(self, src, srepo, dst, drepo):
        return [self.script, "copy", "http://" + src, srepo, TAG, "http://" + dst, drepo]

    def noop(self, reg, repo):
        return [self.script, "noop", "http://" + reg, repo, TAG]


# --------------------------------------------------------------------------
# measuring


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


def check_layout(dest: str, mdig: str, blobs: list[tuple[str, int]], full: bool) -> str:
    try:
        with open(os.path.join(dest, "index.json")) as f:
            index = json.load(f)
    except (OSError, ValueError) as e:
        return "no index.json: %s" % e
    if mdig not in [m.get("digest") for m in index.get("manifests", [])]:
        return "index.json lacks %s" % mdig
    for digest, size in [(mdig, -1)] + blobs:
        path = os.path.join(dest, "blobs", *digest.split(":"))
        if not os.path.isfile(path):
            return "missing blob %s" % digest
        if size >= 0 and os.path.getsize(path) != size:
            return "blob %s has %d bytes, not %d" % (digest, os.path.getsize(path), size)
        if full:
            h = hashlib.sha256()
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    h.update(chunk)
            if "sha256:" + h.hexdigest() != digest:
                return "blob %s has the wrong digest" % digest
    return ""


def settle() -> None:
    """Flush what the previous run wrote so its writeback does not land in the next."""
    os.sync()
    time.sleep(0.2)


# --------------------------------------------------------------------------
# report


def fmt_s(v: float | None) -> str:
    if v is None:
        return "n/a"
    return "%.0f ms" % (v * 1000) if v < 0.5 else "%.2f s" % v


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--berth", required=True)
    ap.add_argument("--crane", default="")
    ap.add_argument("--stack", required=True, help="tests/servers/stack.py")
    ap.add_argument("--cache", required=True)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--tools", default="berth,skopeo,crane,curl")
    ap.add_argument("--ops", default="push,noop,pull,copy,push-wan,pull-wan,copy-wan,replicate")
    ap.add_argument("--wan-reps", type=int, default=3, help="rounds with the *-wan ops")
    ap.add_argument("--wan-delay-ms", type=float, default=10.0, help="one way, per direction")
    ap.add_argument("--wan-rate", type=float, default=50e6, help="bytes/s per connection")
    ap.add_argument("--enforce", action="store_true")
    args = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))

    dirs = (parse_layer_dirs(os.environ["BENCH_TRANSFER_DIRS"])
            if os.environ.get("BENCH_TRANSFER_DIRS") else default_layer_dirs())
    layout = ensure_fixture(args.berth, args.cache, dirs)
    mdig, blobs = read_layout(layout)
    total = sum(s for _, s in blobs)

    all_tools = {"berth": Berth(args.berth),
                 "skopeo": Skopeo(os.path.join(here, "fresh_blob_cache.sh")),
                 "crane": Crane(args.crane),
                 "curl": Curl(os.path.join(here, "curl_floor.sh"))}
    tools, notes = [], []
    for name in args.tools.split(","):
        t = all_tools[name]
        why = t.available()
        if why:
            log("%s skipped: %s" % (name, why))
            notes.append("%s: n/a (%s)" % (name, why))
        else:
            tools.append(t)
    ops = args.ops.split(",")

    work = tempfile.mkdtemp(prefix="berth-bench-transfer-")
    results: dict[tuple[str, str], list[tuple[float, int, float]]] = {}
    errors: dict[tuple[str, str], str] = {}
    extra: dict[str, list] = {"source_gets": [], "registry_cpu": {}}
    wan = any(op.endswith("-wan") for op in ops)
    nregs = 4 if "replicate" in ops else 2
    try:
        with Registries(args.stack, work, nregs) as regs, \
                WanProxies(os.path.join(here, "wan_proxy.py"), work,
                           regs.hosts[:2] if wan else [], args.wan_delay_ms,
                           args.wan_rate) as proxies:
            reg_a, reg_b = regs.hosts[:2]
            log("registries %s; fixture %d blobs, %.1f MB" %
                (" ".join(regs.hosts), len(blobs), total / 1e6))
            if wan:
                log("WAN proxies %s (%.0f ms one way, %.0f MB/s per connection)" %
                    (" ".join(proxies.hosts), args.wan_delay_ms, args.wan_rate / 1e6))
            subprocess.run(all_tools["curl"].push(layout, reg_a, "bench/src"), check=True)
            if head_manifest(reg_a, "bench/src", TAG) != mdig:
                raise SystemExit("transfer: seeding registry A failed")
            for rep in range(args.reps):
                order = tools[rep % len(tools):] + tools[:rep % len(tools)]
                log("round %d/%d: %s" % (rep + 1, args.reps, " ".join(t.name for t in order)))
                for op in ops:
                    base = op[:-4] if op.endswith("-wan") else op
                    if op.endswith("-wan") and rep >= args.wan_reps:
                        continue
                    ra, rb = (proxies.hosts if op.endswith("-wan") else (reg_a, reg_b))
                    for t in order:
                        key = (op, t.name)
                        if key in errors:
                            continue
                        if (op.endswith("-wan") and isinstance(t, Curl)) or \
                                (op == "replicate" and not isinstance(t, Berth)):
                            continue
                        suffix = "-wan" if op.endswith("-wan") else ""
                        push_repo = "bench/%s-push%s-%d" % (t.name, suffix, rep)
                        checks = []  # (registry, repo) that must hold the manifest
                        if base == "push":
                            cmd = t.push(layout, ra, push_repo)
                            checks = [(reg_a, push_repo)]
                        elif base == "noop":
                            if ("push", t.name) in errors:
                                continue
                            cmd = (t.noop(ra, push_repo) if isinstance(t, Curl)
                                   else t.push(layout, ra, push_repo))
                            checks = [(reg_a, push_repo)]
                        elif base == "pull":
                            dest = os.path.join(work, "pull-%s-%d" % (t.name, rep))
                            cmd = t.pull(ra, "bench/src", dest)
                        elif base == "copy":
                            copy_repo = "bench/%s-copy%s-%d" % (t.name, suffix, rep)
                            cmd = t.copy(ra, "bench/src", rb, copy_repo)
                            checks = [(reg_b, copy_repo)]
                        else:  # replicate: A -> B, C, D
                            checks = [(h, "bench/%s-repl-%d" % (t.name, rep))
                                      for h in regs.hosts[1:]]
                            cmd = t.replicate(reg_a, "bench/src", checks)
                            log_at = os.path.getsize(regs.logs[0])
                        reg_cpu = regs.cpu()
                        wall, rss, cpu, err = run_measured(cmd, work)
                        reg_cpu = regs.cpu() - reg_cpu
                        if not err:
                            if base == "pull":
                                err = check_layout(dest, mdig, blobs, full=rep == 0)
                                shutil.rmtree(dest, ignore_errors=True)
                            for host, repo in checks:
                                got = head_manifest(host, repo, TAG)
                                if got != mdig:
                                    err = "%s/%s manifest is %s, not %s" % (host, repo, got, mdig)
                            if base == "replicate" and not err:
                                time.sleep(0.2)  # the access log is written asynchronously
                                extra["source_gets"].append(
                                    count_blob_gets(regs.logs[0], log_at, "bench/src"))
                        if err:
                            log("%s %s FAILED: %s" % (t.name, op, err))
                            errors[key] = err
                            continue
                        results.setdefault(key, []).append((wall, rss, cpu))
                        extra["registry_cpu"].setdefault(key, []).append(reg_cpu)
                        settle()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    report(tools, ops, results, errors, notes, total, len(blobs), args, extra)
    return 1 if errors or (args.enforce and MISSED) else 0  # noqa


MISSED: list[str] = []


def report(tools, ops, results, errors, notes, total, nblobs, args, extra) -> None:
    reps = args.reps
    names = [t.name for t in tools]
    med = {k: statistics.median(w for w, _, _ in v) for k, v in results.items()}
    best = {k: min(w for w, _, _ in v) for k, v in results.items()}
    rss = {k: max(r for _, r, _ in v) for k, v in results.items()}
    cpu = {k: statistics.median(c for _, _, c in v) for k, v in results.items()}
    label = {"push": "push (layout → registry)", "noop": "no-op re-push",
             "pull": "pull (registry → layout)", "copy": "copy (registry → registry)",
             "push-wan": "push, 20 ms RTT + cap", "pull-wan": "pull, 20 ms RTT + cap",
             "copy-wan": "copy, 20 ms RTT + cap", "replicate": "replicate A → B, C, D"}

    print("Image transfer, %d blobs / %.1f MB (gzip layers), median of %d rounds, wall "
          "time (MB/s = 10^6 bytes per second); unpinned on %d cores shared with two "
          "docker-registry 2.8 instances on loopback" % (nblobs, total / 1e6, reps,
                                                         os.cpu_count() or 0))
    print("load average at the end: %.2f %.2f %.2f" % os.getloadavg())
    if any(op.endswith("-wan") for op in ops):
        print("*-wan rows: through wan_proxy.py, %.0f ms each way (%.0f ms RTT), %.0f MB/s "
              "per connection and direction, median of %d rounds" %
              (args.wan_delay_ms, 2 * args.wan_delay_ms, args.wan_rate / 1e6,
               min(args.wan_reps, reps)))
    for n in notes:
        print("  " + n)
    print()

    def cell(op, name):
        k = (op, name)
        if k in errors:
            return "FAILED"
        if k not in med:
            return "n/a"
        if op == "noop":
            return fmt_s(med[k])
        return "%s (%.0f MB/s)" % (fmt_s(med[k]), total / 1e6 / med[k])

    peers = [n for n in names if n != "berth"]
    head = ["operation"] + names + ["berth vs %s" % p for p in peers if p != "curl"]
    if "curl" in peers:
        head.append("curl / berth")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for op in ops:
        row = [label[op]] + [cell(op, n) for n in names]
        for p in peers:
            b, v = med.get((op, "berth")), med.get((op, p))
            if p == "curl":
                continue
            row.append("%.2f×" % (v / b) if b and v else "n/a")
        if "curl" in peers:
            b, v = med.get((op, "berth")), med.get((op, "curl"))
            row.append("%.2f" % (v / b) if b and v else "n/a")
        print("| " + " | ".join(row) + " |")
    print()
    print("Speed-up = peer's median time / berth's (higher is better for berth); "
          "curl / berth = how close berth is to the raw-HTTP floor (1.00 = at the floor).")
    print()

    head = ["peak RSS / CPU (user+sys)"] + names
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for op in ops:
        row = [label[op]]
        for n in names:
            k = (op, n)
            row.append("%.1f MB / %.2f s" % (rss[k] / 1024, cpu[k]) if k in rss else
                       ("FAILED" if k in errors else "n/a"))
        print("| " + " | ".join(row) + " |")
    print()
    print("best-of-%d wall times: " % reps + "; ".join(
        "%s %s %s" % (n, op, fmt_s(best[(op, n)])) for op in ops for n in names
        if (op, n) in best))
    print()

    def goal(text, ok):
        print("goal %s: %s" % (text, "met" if ok else "MISSED"))
        if not ok:
            MISSED.append(text)

    for op, factor in GOALS.items():
        b = med.get((op, "berth"))
        s, c = med.get((op, "skopeo")), med.get((op, "crane"))
        if b and s:
            goal("%s >= %.1fx skopeo (%.2fx)" % (op, factor, s / b), s / b >= factor)
        if b and c:
            goal("%s >= %.1fx crane (%.2fx)" % (op, CRANE_GOAL, c / b), c / b >= CRANE_GOAL)
    b, f = med.get(("pull", "berth")), med.get(("pull", "curl"))
    if b and f:
        goal("pull within %.1fx of the curl floor (%.2fx)" % (FLOOR_GOAL, b / f), b / f <= FLOOR_GOAL)
    for op in ("push-wan", "pull-wan", "copy-wan"):
        b, c = med.get((op, "berth")), med.get((op, "crane"))
        if b and c:
            goal("%s >= %.1fx crane (%.2fx)" % (op, WAN_CRANE_GOAL, c / b), c / b >= WAN_CRANE_GOAL)
    # Everything on the two cores: the client's CPU and the registries'. When their
    # sum over the two cores comes near the wall time, the machine, not the client,
    # sets the pace.
    for op in ("push", "pull", "copy", "replicate"):
        rc = extra["registry_cpu"].get((op, "berth"))
        if rc and (op, "berth") in results:
            ccpu = statistics.median(c for _, _, c in results[(op, "berth")])
            print("%s (berth): registries' CPU %.2f s + berth's %.2f s = %.2f s of the 2 "
                  "cores' %.2f s (wall %s x 2)" % (op, statistics.median(rc), ccpu,
                                                   statistics.median(rc) + ccpu,
                                                   2 * med[(op, "berth")],
                                                   fmt_s(med[(op, "berth")])))
    r, c = med.get(("replicate", "berth")), med.get(("copy", "berth"))
    if r and c:
        goal("replicate to 3 <= %.1fx one copy (%.2fx: %s vs %s)" %
             (REPLICATE_GOAL, r / c, fmt_s(r), fmt_s(c)), r / c <= REPLICATE_GOAL)
    if extra["source_gets"]:
        gets = extra["source_gets"]
        goal("replicate reads each source blob once (blob GETs on A per run: %s; %d blobs)" %
             (", ".join(map(str, gets)), nblobs), max(gets) <= nblobs)
    b = med.get(("noop", "berth"))
    if b is not None:
        goal("no-op re-push <= %d ms (%.0f ms)" % (NOOP_GOAL_MS, b * 1000), b * 1000 <= NOOP_GOAL_MS)
    peak = max((rss[k] for k in rss if k[1] == "berth"), default=None)
    if peak is not None:
        goal("peak RSS <= %d MB (%.1f MB)" % (RSS_GOAL_MB, peak / 1024), peak / 1024 <= RSS_GOAL_MB)
    for k, e in sorted(errors.items()):
        print("FAILED %s %s: %s" % (k[1], k[0], e))


if __name__ == "__main__":
    sys.exit(main())
