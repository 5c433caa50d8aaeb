"""Helpers for running workflows under act (nektos/act) on the host.

A workflow runs in a throwaway git repository (act needs one with a commit) through
``act push -P ubuntu-latest=-self-hosted``: the ``run:`` steps run on this machine, no
container is involved, and act does what the Actions runner does with workflow
commands (``::add-mask::`` from stdout and stderr alike, ``$GITHUB_ENV``,
``$GITHUB_OUTPUT``, ``$GITHUB_PATH``, step outputs, local actions with ``uses: ./``).
Nothing is fetched: ``actions/checkout`` of the repository itself is done by act
locally, and any other remote action must be mapped to a local directory
(``--local-repository``).

Kept free of pytest fixtures; they live in conftest.py.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
WORKFLOWS = os.path.join(HERE, "workflows")
ACT_VERSION = "v0.2.89"

# The throwaway repository's GitHub identity (act reads it from the origin remote).
REPOSITORY = "org/app"

# Where Dockerfiles' base image is: a busybox image on the ECR Public stand-in
# (conftest.py's public_base).
PUBLIC_BASE = "public.ecr.aws/docker/library/busybox:1.36"

# Variables of this process that would steer a step's AWS, TLS, proxy or GitHub
# behaviour; a workflow gets only what the test gives it.
_DROPPED_PREFIXES = ("AWS_", "ACTIONS_", "GITHUB_", "RUNNER_", "BERTH_", "ACT_", "INPUT_",
                     "XDG_")
_DROPPED = {"SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE",
            "NODE_EXTRA_CA_CERTS", "DOCKER_CONFIG", "DOCKER_HOST", "REGISTRY_AUTH_FILE",
            "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy",
            "https_proxy", "no_proxy", "all_proxy", "CI", "HOME", "TMPDIR"}


def find_berth() -> str:
    """BERTH_CLI, else build/bin/berth of this checkout."""
    path = os.environ.get("BERTH_CLI") or os.path.join(ROOT, "build", "bin", "berth")
    if not os.access(path, os.X_OK):
        raise RuntimeError("no berth CLI at %s: set BERTH_CLI or build bin/berth" % path)
    return os.path.abspath(path)


def find_act() -> str | None:
    for c in (os.environ.get("BERTH_ACT"), os.path.join(ROOT, ".tools", "bin", "act"),
              shutil.which("act")):
        if c and os.access(c, os.X_OK):
            return os.path.abspath(c)
    return None


def path_without_berth(path: str) -> str:
    """PATH with every directory that holds a 'berth' executable left out."""
    keep = [d for d in path.split(os.pathsep)
            if d and not os.access(os.path.join(d, "berth"), os.X_OK)]
    return os.pathsep.join(keep)


def git(repo: str, *args: str) -> str:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": repo,
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "ci", "GIT_AUTHOR_EMAIL": "ci@example.com",
           "GIT_COMMITTER_NAME": "ci", "GIT_COMMITTER_EMAIL": "ci@example.com",
           "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z"}
    return subprocess.run(["git", "-C", repo, *args], env=env, check=True, text=True,
                          capture_output=True).stdout.strip()


def make_repo(repo: str, workflow: str, files: dict[str, str | bytes] | None = None,
              executables: tuple[str, ...] = (), with_action: bool = False) -> str:
    """A git repository at `repo` holding tests/act/workflows/<workflow> as its only
    workflow, `files` (path -> content), and with_action: this checkout's action.yml
    at its root (so `uses: ./` is the berth action) with the scripts it runs. Returns
    the commit's SHA."""
    os.makedirs(os.path.join(repo, ".github", "workflows"), exist_ok=True)
    shutil.copy(os.path.join(WORKFLOWS, workflow), os.path.join(repo, ".github", "workflows"))
    if with_action:
        shutil.copy(os.path.join(ROOT, "action.yml"), os.path.join(repo, "action.yml"))
        os.makedirs(os.path.join(repo, "scripts"), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, "scripts", "install_release.sh"),
                     os.path.join(repo, "scripts", "install_release.sh"))
    for rel, content in (files or {}).items():
        p = os.path.join(repo, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(content.encode() if isinstance(content, str) else content)
    for rel in executables:
        os.chmod(os.path.join(repo, rel), 0o755)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "remote", "add", "origin", "https://github.com/%s.git" % REPOSITORY)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a commit for act")
    return git(repo, "rev-parse", "HEAD")


def push_event(sha: str, ref: str = "refs/heads/main") -> dict:
    """The parts of GitHub's push payload that act and berth read."""
    owner, name = REPOSITORY.split("/")
    return {"ref": ref, "before": "0" * 40, "after": sha, "created": False, "deleted": False,
            "forced": False, "pusher": {"name": "ci"},
            "head_commit": {"id": sha, "message": "a commit for act"},
            "repository": {"name": name, "full_name": REPOSITORY, "default_branch": "main",
                           "owner": {"login": owner, "name": owner}}}


@dataclass
class ActResult:
    cmd: list[str]
    returncode: int
    log: str  # act's whole output, stdout and stderr as one stream

    def step_lines(self, job: str | None = None) -> list[str]:
        """The output lines of run steps ('[wf/job]   | text'), text only."""
        out = []
        for line in self.log.splitlines():
            m = re.match(r"^\[([^\]]+)\]\s+\| ?(.*)$", line)
            if m and (job is None or m.group(1).rstrip().endswith("/" + job)):
                out.append(m.group(2))
        return out

    def outcome(self, step: str) -> str | None:
        """'success' or 'failure' of the step whose name (as act prints it) is `step`."""
        for line in self.log.splitlines():
            m = re.search(r"(✅  Success|❌  Failure) - Main (.+?)(?: \[[^\]]*\])?$", line)
            if m and m.group(2) == step:
                return "success" if m.group(1).startswith("✅") else "failure"
        return None


def run_act(act: str, repo: str, workdir: str, *, env: dict[str, str],
            secrets: dict[str, str] | None = None, event: dict | None = None,
            path: str, local_repositories: dict[str, str] | None = None,
            timeout: float = 120) -> ActResult:
    """Run `act push` in `repo` on the host. `env` reaches every step (--env-file);
    `secrets` are `secrets.*` (--secret-file; act masks them); `path` is the PATH the
    steps start with. act's caches and HOME live in `workdir`."""
    os.makedirs(workdir, exist_ok=True)
    home = os.path.join(workdir, "home")
    os.makedirs(home, exist_ok=True)
    env_file = os.path.join(workdir, "env.yml")
    secret_file = os.path.join(workdir, "secrets.yml")
    event_file = os.path.join(workdir, "event.json")
    # JSON is YAML: act reads *.yml env and secret files as a map, with no quoting rules.
    with open(env_file, "w") as f:
        json.dump(env, f)
    with open(secret_file, "w") as f:
        json.dump(dict({"GITHUB_TOKEN": "act-local-token"}, **(secrets or {})), f)
    with open(event_file, "w") as f:
        json.dump(event or {}, f)
    cmd = [act, "push", "-P", "ubuntu-latest=-self-hosted",
           "--env-file", env_file, "--secret-file", secret_file, "-e", event_file,
           "--var-file", os.devnull, "--input-file", os.devnull,
           "--action-cache-path", os.path.join(workdir, "act-cache"),
           "--cache-server-path", os.path.join(workdir, "act-cache-server"),
           "--no-cache-server", "--action-offline-mode", "--defaultbranch", "main"]
    for name, local in (local_repositories or {}).items():
        cmd += ["--local-repository", "%s=%s" % (name, local)]
    proc_env = {k: v for k, v in os.environ.items()
                if k not in _DROPPED and not k.startswith(_DROPPED_PREFIXES)}
    proc_env.update({"HOME": home, "PATH": path, "ACT_DISABLE_VERSION_CHECK": "1",
                     "TMPDIR": workdir, "LANG": "C.UTF-8"})
    p = subprocess.run(cmd, cwd=repo, env=proc_env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    return ActResult(cmd, p.returncode, p.stdout.decode("utf-8", "replace"))


def sources_hash(src: str) -> str:
    """What action.yml hashes for the cache key: every file under CMakeLists.txt,
    cmake/, include/ and lib/, sorted by path, as `sha256sum` lines."""
    paths = []
    for top in ("CMakeLists.txt", "cmake", "include", "lib"):
        p = os.path.join(src, top)
        if os.path.isfile(p):
            paths.append(top)
        for d, _, names in os.walk(p):
            paths += [os.path.relpath(os.path.join(d, n), src) for n in names]
    lines = ""
    for rel in sorted(paths, key=lambda s: s.encode()):
        with open(os.path.join(src, rel), "rb") as f:
            lines += "%s  %s\n" % (hashlib.sha256(f.read()).hexdigest(), rel)
    return hashlib.sha256(lines.encode()).hexdigest()


def sha256_file(path: str) -> str:
    with open(path, "rb") as f:
        return "sha256:" + hashlib.sha256(f.read()).hexdigest()


def layer_files(layout: str, digest: str) -> dict[str, tarfile.TarInfo | bytes]:
    """Path -> contents (regular files) or TarInfo (anything else) of the image as its
    layers stack up (no whiteouts expected here)."""
    def blob(d: str) -> bytes:
        algo, hexd = d.split(":")
        with open(os.path.join(layout, "blobs", algo, hexd), "rb") as f:
            return f.read()
    files: dict[str, tarfile.TarInfo | bytes] = {}
    for layer in json.loads(blob(digest))["layers"]:
        with tarfile.open(fileobj=io.BytesIO(blob(layer["digest"]))) as tar:
            for m in tar:
                name = m.name[2:] if m.name.startswith("./") else m.name.lstrip("/")
                name = name.rstrip("/")
                files[name] = tar.extractfile(m).read() if m.isreg() else m
    return files
