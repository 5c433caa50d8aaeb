"""buildah (Debian's buildah 1.28) as the reference a `berth build -f Dockerfile` is
compared with, and the readers that turn two images into comparable trees and configs.

buildah builds with vfs storage and chroot isolation in a directory of the session's own
(`buildah --storage-driver vfs --root DIR --runroot DIR bud --isolation chroot`), in the
Docker format so that HEALTHCHECK, SHELL and ONBUILD survive (buildah's OCI format drops
them with a warning); the image is pushed to an OCI layout (umoci unpacks its files) and
to a `dir:` copy (its config blob exactly as buildah wrote it, Docker-only fields kept).

Quirks of buildah that are not content, and are removed before comparing (each removal is
checked, never assumed):
- chroot isolation leaves empty `/dev`, `/proc`, `/sys`, `/run` and empty `/etc/hosts`,
  `/etc/hostname`, `/etc/resolv.conf` in RUN layers (they must be empty to be dropped);
- the `io.buildah.version` label;
- the Docker format writes unset list/map/string fields as empty values (`"Entrypoint":
  []`, `"WorkingDir": ""`), which mean the same as absent ones.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import uuid

from conftest import Layout, run_cmd

BUILDAH = shutil.which("buildah") or "buildah"

# Paths buildah's chroot isolation leaves behind in RUN layers, empty.
CHROOT_QUIRK_DIRS = ("dev", "proc", "sys", "run")
CHROOT_QUIRK_FILES = ("etc/hosts", "etc/hostname", "etc/resolv.conf")
BUILDAH_LABEL = "io.buildah.version"

class Buildah:
    """buildah with a storage root of its own (vfs, chroot isolation, no daemon)."""

    def __init__(self, work: pathlib.Path):
        self.work = pathlib.Path(work)
        self.root = self.work / "storage"
        self.runroot = self.work / "run"
        self.out = self.work / "out"
        for d in (self.root, self.runroot, self.out):
            d.mkdir(parents=True, exist_ok=True)
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("BUILDAH_", "CONTAINERS_", "REGISTRY_AUTH_FILE"))}
        self.env["HOME"] = str(self.work / "home")
        self.env["XDG_RUNTIME_DIR"] = str(self.runroot / "xdg")
        (self.work / "home").mkdir(exist_ok=True)
        (self.runroot / "xdg").mkdir(exist_ok=True)

    def _cmd(self, *args) -> list:
        return [BUILDAH, "--storage-driver", "vfs", "--root", str(self.root),
                "--runroot", str(self.runroot), *args]

    def run(self, *args, timeout=180, check=True):
        return run_cmd(self._cmd(*args), env=self.env, timeout=timeout, check=check)

    def bud(self, ctx, build_args: dict | None = None, name: str | None = None) -> str:
        """Builds ctx (its Dockerfile) as `localhost/NAME:latest`; returns NAME."""
        name = name or "t-" + uuid.uuid4().hex[:12]
        args = ["bud", "--isolation", "chroot", "--format", "docker", "--tls-verify=false",
                "--layers=false", "-q"]
        for k, v in (build_args or {}).items():
            args += ["--build-arg", "%s=%s" % (k, v)]
        self.run(*args, "-t", name, str(ctx))
        return name

    def push_oci(self, name: str) -> Layout:
        layout = Layout(self.out / name, "t")
        self.run("push", "-q", name, layout.ref)
        return layout

    def docker_config(self, name: str) -> dict:
        """The config blob buildah wrote (Docker format), read from a `dir:` copy and
        checked against its digest."""
        d = self.out / (name + ".dir")
        self.run("push", "-q", name, "dir:%s" % d)
        manifest = json.loads((d / "manifest.json").read_text())
        digest = manifest["config"]["digest"]
        data = (d / digest.split(":", 1)[1]).read_bytes()
        assert "sha256:" + hashlib.sha256(data).hexdigest() == digest
        return json.loads(data)


def drop_chroot_quirks(tree: dict[str, dict]) -> list[str]:
    """Removes the paths buildah's chroot isolation leaves, after checking each is empty
    (an empty dir owned by root, or an empty regular file); returns what was removed."""
    removed = []
    for d in CHROOT_QUIRK_DIRS:
        if d in tree:
            e = tree[d]
            assert e["type"] == "dir", (d, e)
            inside = [p for p in tree if p.startswith(d + "/")]
            assert not inside, "buildah's %s is not empty: %s" % (d, inside)
            del tree[d]
            removed.append(d)
    for f in CHROOT_QUIRK_FILES:
        if f in tree:
            e = tree[f]
            assert e["type"] == "file" and e["size"] == 0, (f, e)
            del tree[f]
            removed.append(f)
    return removed


def have_buildah() -> bool:
    try:
        return subprocess.run([BUILDAH, "--version"], capture_output=True).returncode == 0
    except OSError:
        return False
