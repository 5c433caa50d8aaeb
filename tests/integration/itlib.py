"""Helpers for berth's integration tests: running the CLI and the peer tools, making
OCI layouts, reading them back.

Kept free of pytest fixtures so that it can be imported from any test module
(``from itlib import ...``); the fixtures live in conftest.py.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import tarfile
import time
from dataclasses import dataclass, field
from typing import Any

import secret_scan  # tests/servers, on sys.path through conftest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"



# ---------------------------------------------------------------- exit codes


def _table_text(text: str) -> str:
    return " ".join(text.replace("`", "").split())


def readme_exit_codes() -> dict[int, str]:
    """README's "## Exit codes" table: {code: meaning}, backticks and spacing dropped."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    section = text.split("\n## Exit codes\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \| (.+) \|$", section, re.M)
    return {int(code): _table_text(meaning) for code, meaning in rows}


def help_exit_codes(overview: str) -> dict[int, str]:
    """The "exit codes" table of `berth --help` (rows "  N  text", continued by lines
    indented past the code)."""
    lines = overview.split("\nexit codes", 1)[1].splitlines()[1:]
    rows: dict[int, str] = {}
    code = None
    for line in lines:
        m = re.match(r"^  (\d+)  (\S.*)$", line)
        if m:
            code = int(m.group(1))
            rows[code] = m.group(2)
        elif code is not None and line.startswith("     ") and line.strip():
            rows[code] += " " + line.strip()
        else:
            break
    return {c: _table_text(t) for c, t in rows.items()}


EXIT_TABLE = readme_exit_codes()


def exit_code(phrase: str) -> int:
    """The code README's table gives for a kind of failure: the one row naming it."""
    rows = [c for c, meaning in EXIT_TABLE.items() if phrase in meaning]
    assert len(rows) == 1, "%r is in rows %s of README's exit-code table" % (phrase, rows)
    return rows[0]


# The CLI's exit codes, as README's table gives them (lib/cli/main.cpp exit_code_for).
EXIT_OK = exit_code("success")
EXIT_FAILURE = exit_code("not found")
EXIT_USAGE = exit_code("usage:")
EXIT_AUTH = exit_code("credentials missing")
EXIT_GATE = exit_code("a gate failed")
EXIT_TRANSFER = exit_code("a retry may help")


# ---------------------------------------------------------------- tools


def find_berth() -> str:
    """BERTH_CLI, else the first of build/bin/berth, build-*/bin/berth (newest first)."""
    env = os.environ.get("BERTH_CLI")
    if env:
        if not os.access(env, os.X_OK):
            raise RuntimeError("BERTH_CLI=%s is not an executable" % env)
        return env
    candidates = [os.path.join(ROOT, "build", "bin", "berth")]
    candidates += sorted(glob.glob(os.path.join(ROOT, "build-*", "bin", "berth")),
                         key=lambda p: -os.path.getmtime(p))
    for c in candidates:
        if os.access(c, os.X_OK):
            return c
    raise RuntimeError("no berth CLI found: set BERTH_CLI or build bin/berth "
                       "(looked at %s)" % ", ".join(candidates))


def find_crane() -> str | None:
    for c in (os.environ.get("BERTH_CRANE"), os.path.join(ROOT, ".tools", "bin", "crane"),
              shutil.which("crane")):
        if c and os.access(c, os.X_OK):
            return c
    return None


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise RuntimeError("integration tests need '%s' on PATH (scripts/setup.sh installs "
                           "it; see docs/testing.md); it is missing" % name)
    return path


@dataclass
class Result:
    cmd: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    json: Any = None  # the --json summary line, when there is one
    events: list[dict] = field(default_factory=list)  # --json progress lines

    def describe(self) -> str:
        return "%s -> %d (%.2fs)\nstdout: %s\nstderr: %s" % (
            " ".join(self.cmd), self.returncode, self.seconds, self.stdout[-3000:],
            self.stderr[-4000:])


def run(cmd: list[str], *, env: dict | None = None, check: bool = True, timeout: float = 120,
        cwd: str | None = None, input: str | None = None) -> Result:
    start = time.monotonic()
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env=env, timeout=timeout, cwd=cwd, input=input)
    except subprocess.TimeoutExpired as e:
        raise AssertionError("timed out after %ss: %s\nstderr so far: %s" % (
            timeout, " ".join(cmd), (e.stderr or b"")[-3000:])) from None
    r = Result(cmd, p.returncode, p.stdout, p.stderr, time.monotonic() - start)
    record_run(r, env)
    if check and p.returncode != 0:
        raise AssertionError(r.describe())
    return r


def record_run(r: Result, env: dict | None) -> None:
    """Hands a run to the session's secrets scan (tests/servers/secret_scan.py)."""
    secret_scan.record(r.cmd, r.returncode, r.stdout, r.stderr, env)


# Measures one program's peak RSS: a small Python forks and execs it and reads
# ru_maxrss from wait4. (wait4 on a child of the test process itself would count the
# pytest process it was forked from: a Linux child's maxrss includes its pre-exec
# image.)
_MEASURE = ("import os, sys\n"
            "pid = os.fork()\n"
            "if pid == 0:\n"
            "    os.execv(sys.argv[2], sys.argv[2:])\n"
            "_, status, usage = os.wait4(pid, 0)\n"
            "open(sys.argv[1], 'w').write(str(usage.ru_maxrss))\n"
            "sys.exit(os.waitstatus_to_exitcode(status))\n")


def kill_when(cmd: list[str], env: dict, ready, timeout: float = 60) -> None:
    """Starts cmd, waits until ready() is true, then SIGKILLs it: a writer killed at a
    chosen point (crash-safety tests)."""
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and p.poll() is None and not ready():
            time.sleep(0.02)
        assert p.poll() is None, "the writer finished before it could be killed"
        assert ready(), "the writer never got to the point of the test"
        p.send_signal(signal.SIGKILL)
    finally:
        p.kill()
        p.wait()


def run_measured(cmd: list[str], *, env: dict | None = None,
                 timeout: float = 120) -> tuple[Result, int]:
    """Runs cmd like run(check=False) and also returns its peak resident set size in
    bytes (ru_maxrss of cmd's own process)."""
    import sys
    import tempfile
    with tempfile.NamedTemporaryFile("r") as peak:
        r = run([sys.executable, "-I", "-S", "-c", _MEASURE, peak.name, *cmd], env=env,
                check=False, timeout=timeout)
        kib = int(peak.read() or 0)
    r.cmd = cmd
    record_run(r, env)
    assert kib > 0, "no peak RSS measured: " + r.describe()
    return r, kib * 1024


def clean_env(home: str, **extra: str) -> dict:
    """An environment in which no credential or CA of the machine leaks into a run:
    HOME and DOCKER_CONFIG point into the test's own directory."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("BERTH_", "DOCKER_", "REGISTRY_AUTH", "SSL_CERT", "CURL_CA",
                                "XDG_RUNTIME_DIR", "http_proxy", "https_proxy", "HTTP_PROXY",
                                "HTTPS_PROXY", "ALL_PROXY", "all_proxy", "no_proxy", "NO_PROXY"))}
    os.makedirs(home, exist_ok=True)
    env["HOME"] = home
    env["DOCKER_CONFIG"] = os.path.join(home, ".docker")
    env["XDG_RUNTIME_DIR"] = os.path.join(home, "run")
    env.update(extra)
    return env


class Berth:
    """Runs the berth CLI with a clean environment."""

    def __init__(self, binary: str, home: str):
        self.binary, self.home = binary, home
        self.env = clean_env(home)

    def copy(self, src: str, dst: str, *args: str, env: dict | None = None, check: bool = True,
             timeout: float = 180) -> Result:
        e = dict(self.env)
        e.update(env or {})
        r = run([self.binary, "copy", "--json", *args, src, dst], env=e, check=check,
                timeout=timeout)
        for line in r.stdout.splitlines():
            line = line.strip()
            if line.startswith("{"):
                r.json = json.loads(line)
        for line in r.stderr.splitlines():
            line = line.strip()
            if line.startswith("{"):
                try:
                    r.events.append(json.loads(line))
                except ValueError:
                    pass
        if check:
            assert r.json is not None, "no JSON summary:\n" + r.describe()
        return r


# ---------------------------------------------------------------- digests and layouts


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return "sha256:" + h.hexdigest()


def blob_path(layout: str, digest: str) -> str:
    algo, hexpart = digest.split(":", 1)
    return os.path.join(layout, "blobs", algo, hexpart)


def read_blob(layout: str, digest: str) -> bytes:
    with open(blob_path(layout, digest), "rb") as f:
        return f.read()


def write_blob(layout: str, data: bytes) -> dict:
    d = sha256(data)
    p = blob_path(layout, d)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data)
    return {"digest": d, "size": len(data)}


def layout_index(layout: str) -> dict:
    with open(os.path.join(layout, "index.json")) as f:
        return json.load(f)


def layout_entry(layout: str, tag: str | None) -> dict:
    """The index.json entry for a tag (or the only entry when tag is None)."""
    entries = layout_index(layout)["manifests"]
    if tag is None:
        assert len(entries) == 1, entries
        return entries[0]
    for e in entries:
        if (e.get("annotations") or {}).get("org.opencontainers.image.ref.name") == tag:
            return e
    raise AssertionError("no tag %r in %s: %s" % (tag, layout, entries))


def verify_layout(layout: str, tag: str | None) -> dict:
    """Checks that every blob reachable from the tag is present with its digest and
    size. Returns {"digest": top digest, "media_type", "blobs": {digest: size}}."""
    top = layout_entry(layout, tag)
    blobs: dict[str, int] = {}

    def check(desc: dict) -> bytes | None:
        p = blob_path(layout, desc["digest"])
        assert os.path.exists(p), "blob %s missing from %s" % (desc["digest"], layout)
        assert os.path.getsize(p) == desc["size"], desc
        assert sha256_file(p) == desc["digest"], "blob %s is corrupt" % desc["digest"]
        blobs[desc["digest"]] = desc["size"]
        if desc.get("mediaType") in (OCI_MANIFEST, OCI_INDEX,
                                     "application/vnd.docker.distribution.manifest.v2+json",
                                     "application/vnd.docker.distribution.manifest.list.v2+json"):
            return read_blob(layout, desc["digest"])
        return None

    def walk(desc: dict) -> None:
        raw = check(desc)
        if raw is None:
            return
        doc = json.loads(raw)
        for child in doc.get("manifests", []):
            walk(child)
        if "config" in doc:
            check(doc["config"])
        for layer in doc.get("layers", []):
            check(layer)

    walk(top)
    return {"digest": top["digest"], "media_type": top.get("mediaType"), "blobs": blobs}


def tar_bytes(files: dict[str, bytes]) -> bytes:
    """A deterministic tar of regular files."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, data in sorted(files.items()):
            ti = tarfile.TarInfo(name)
            ti.size, ti.mode, ti.mtime = len(data), 0o644, 1700000000
            ti.uname = ti.gname = "root"
            tf.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def make_layout_image(layout: str, tag: str, layers: list[bytes], *, gzip_layers: bool = True,
                      os_name: str = "linux", arch: str = "amd64",
                      add_to_index: bool = True) -> dict:
    """Writes an image (config + manifest) into an OCI layout by hand; each entry of
    ``layers`` is a tar. Returns the manifest descriptor (with platform)."""
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    if not os.path.exists(os.path.join(layout, "oci-layout")):
        with open(os.path.join(layout, "oci-layout"), "w") as f:
            json.dump({"imageLayoutVersion": "1.0.0"}, f)
    if not os.path.exists(os.path.join(layout, "index.json")):
        with open(os.path.join(layout, "index.json"), "w") as f:
            json.dump({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}, f)
    layer_descs, diff_ids = [], []
    for tar in layers:
        diff_ids.append(sha256(tar))
        blob = gzip.compress(tar, compresslevel=1, mtime=0) if gzip_layers else tar
        d = write_blob(layout, blob)
        d["mediaType"] = OCI_LAYER_GZIP if gzip_layers else OCI_LAYER_TAR
        layer_descs.append(d)
    config = json.dumps({
        "architecture": arch, "os": os_name, "created": "2024-01-01T00:00:00Z",
        "config": {"Env": ["PATH=/usr/bin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "berth tests"}
                    for _ in layers]}, sort_keys=True).encode()
    cdesc = write_blob(layout, config)
    cdesc["mediaType"] = OCI_CONFIG
    manifest = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                           "config": {"mediaType": OCI_CONFIG, **{k: cdesc[k] for k in ("digest", "size")}},
                           "layers": [{"mediaType": d["mediaType"], "digest": d["digest"],
                                       "size": d["size"]} for d in layer_descs]},
                          sort_keys=True).encode()
    mdesc = write_blob(layout, manifest)
    desc = {"mediaType": OCI_MANIFEST, "digest": mdesc["digest"], "size": mdesc["size"],
            "platform": {"os": os_name, "architecture": arch}}
    if add_to_index:
        set_layout_tag(layout, tag, {k: desc[k] for k in ("mediaType", "digest", "size")})
    return desc


def set_layout_tag(layout: str, tag: str, desc: dict) -> None:
    idx = layout_index(layout)
    entry = dict(desc)
    entry["annotations"] = {"org.opencontainers.image.ref.name": tag}
    idx["manifests"] = [m for m in idx["manifests"]
                        if (m.get("annotations") or {}).get("org.opencontainers.image.ref.name") != tag]
    idx["manifests"].append(entry)
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump(idx, f)


def add_index(layout: str, tag: str, children: list[dict]) -> dict:
    """Writes an OCI image index over ``children`` (descriptors with platform) and tags it."""
    raw = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": children},
                     sort_keys=True).encode()
    d = write_blob(layout, raw)
    desc = {"mediaType": OCI_INDEX, "digest": d["digest"], "size": d["size"]}
    set_layout_tag(layout, tag, desc)
    return desc


# ---------------------------------------------------------------- peers


def skopeo_raw(ref: str, *extra: str) -> bytes:
    """``skopeo inspect --raw`` of docker://REF, as bytes."""
    p = subprocess.run(["skopeo", "inspect", "--raw", "--retry-times", "0", *extra,
                        "docker://" + ref], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    if p.returncode != 0:
        raise AssertionError("skopeo inspect --raw %s failed: %s" % (ref, p.stderr.decode()[-2000:]))
    return p.stdout


def skopeo_digest(ref: str, *extra: str) -> str:
    return sha256(skopeo_raw(ref, *extra))


def registry_tags(reg: Any, repo: str) -> list[str]:
    st, _, body = reg.request("GET", "/v2/%s/tags/list" % repo)
    assert st == 200, (st, body)
    return sorted(json.loads(body).get("tags") or [])
