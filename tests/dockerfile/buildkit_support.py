"""BuildKit (moby/buildkit v0.26, built from the Go module proxy by scripts/setup.sh) as the
semantic reference of `berth build -f Dockerfile`.

A buildkitd of the session's own runs as root with the OCI worker (runc, overlayfs
snapshotter) in a scratch root, reading base images from loopback registries over plain
http; buildctl builds with the daemon's built-in Dockerfile frontend (`dockerfile.v0`,
never a `# syntax=` image) and writes an OCI archive, which is unpacked into an OCI
layout that umoci and skopeo read like berth's own.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import tarfile
import time
import uuid

from conftest import ROOT, Layout, run_cmd

TOOLS = ROOT / ".tools" / "bin"
BUILDKITD = shutil.which("buildkitd") or str(TOOLS / "buildkitd")
BUILDCTL = shutil.which("buildctl") or str(TOOLS / "buildctl")


def have_buildkit() -> bool:
    return all(os.access(b, os.X_OK) for b in (BUILDKITD, BUILDCTL)) and bool(shutil.which("runc"))


class BuildKit:
    """A buildkitd with its own root, config and socket; stop() ends it and unmounts
    whatever it left mounted under its root."""

    def __init__(self, work: pathlib.Path, plain_http_registries: list[str]):
        self.work = pathlib.Path(work)
        self.root = self.work / "root"
        self.out = self.work / "out"
        self.root.mkdir(parents=True, exist_ok=True)
        self.out.mkdir(exist_ok=True)
        self.sock = self.work / "buildkitd.sock"
        config = self.work / "buildkitd.toml"
        lines = ["[worker.oci]", "  enabled = true", "  gc = false",
                 "[worker.containerd]", "  enabled = false"]
        for host in plain_http_registries:
            lines += ['[registry."%s"]' % host, "  http = true", "  insecure = true"]
        config.write_text("\n".join(lines) + "\n")
        self.log = open(self.work / "buildkitd.log", "wb")
        self.proc = subprocess.Popen(
            [BUILDKITD, "--config", str(config), "--root", str(self.root),
             "--addr", "unix://%s" % self.sock],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_ready()

    def _ctl(self, *args) -> list:
        return [BUILDCTL, "--addr", "unix://%s" % self.sock, *args]

    def _wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("buildkitd exited %d: %s" % (
                    self.proc.returncode, (self.work / "buildkitd.log").read_text()[-3000:]))
            if self.sock.exists() and subprocess.run(
                    self._ctl("debug", "workers"), capture_output=True).returncode == 0:
                return
            time.sleep(0.2)
        raise AssertionError("buildkitd did not answer in %ds" % seconds)

    def build(self, ctx: pathlib.Path, build_args: dict | None = None,
              target: str | None = None, check: bool = True, secrets: list | None = None):
        """Builds ctx (its Dockerfile). Returns (Run, Layout tagged "t")."""
        name = "bk-" + uuid.uuid4().hex[:12]
        archive = self.out / (name + ".tar")
        args = ["build", "--progress", "plain", "--frontend", "dockerfile.v0",
                "--local", "context=%s" % ctx, "--local", "dockerfile=%s" % ctx,
                "--output", "type=oci,dest=%s" % archive]
        for k, v in (build_args or {}).items():
            args += ["--opt", "build-arg:%s=%s" % (k, v)]
        if target:
            args += ["--opt", "target=%s" % target]
        for spec in secrets or []:
            args += ["--secret", spec]
        r = run_cmd(self._ctl(*args), timeout=300, check=check)
        layout = Layout(self.out / name, "t")
        if r.returncode == 0:
            self._to_layout(archive, layout)
        archive.unlink(missing_ok=True)
        return r, layout

    @staticmethod
    def _to_layout(archive: pathlib.Path, layout: Layout) -> None:
        """The OCI archive unpacked into a layout; its one manifest tagged layout.tag (buildctl
        writes no ref.name annotation, which umoci needs)."""
        with tarfile.open(archive) as tar:
            tar.extractall(layout.path, filter="data")
        index_path = layout.path / "index.json"
        index = json.loads(index_path.read_text())
        assert len(index["manifests"]) == 1, index
        index["manifests"][0].setdefault("annotations", {})[
            "org.opencontainers.image.ref.name"] = layout.tag
        index_path.write_text(json.dumps(index))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()
        # Whatever the daemon left mounted under its root (none when it stops cleanly).
        mounts = [line.split()[4] for line in open("/proc/self/mountinfo")]
        for m in sorted((m for m in mounts if m.startswith(str(self.root))), reverse=True):
            subprocess.run(["umount", "-l", m], capture_output=True)
        shutil.rmtree(self.work, ignore_errors=True)
