"""kill -9 in the middle of `berth ecr login` (issue 12): docker's config.json is the
old file or the new one, always valid JSON, mode 0600 — never empty, never half.

Where to kill is not left to chance: an LD_PRELOAD shim (built here with cc) holds
berth in rename(2) when it commits config.json, after every byte of the new file was
written to its temporary file, and tells the test so through a marker file; the test
then SIGKILLs it. That is the last moment before the commit, the one that matters.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import stat
import subprocess
import time

import pytest

from awslib import ACCOUNT, REGION, user_env

REGISTRY = "%s.dkr.ecr.%s.amazonaws.com" % (ACCOUNT, REGION)

SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* rename(2) onto a path ending in $HOLD_RENAME_SUFFIX: write $HOLD_MARKER, then wait
   to be killed. Any other rename passes through. */
int rename(const char *from, const char *to) {
  static int (*real)(const char *, const char *);
  const char *suffix = getenv("HOLD_RENAME_SUFFIX"), *marker = getenv("HOLD_MARKER");
  size_t n = strlen(to), k = suffix ? strlen(suffix) : 0;
  if (suffix && marker && n >= k && strcmp(to + n - k, suffix) == 0) {
    int fd = open(marker, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) { (void)!write(fd, from, strlen(from)); close(fd); }
    for (;;) pause();
  }
  if (!real) real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
  return real(from, to);
}
"""


@pytest.fixture(scope="module")
def hold_shim(tmp_path_factory) -> str:
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        pytest.skip("no C compiler for the LD_PRELOAD shim")
    d = tmp_path_factory.mktemp("shim")
    (d / "hold.c").write_text(SHIM)
    subprocess.run([cc, "-shared", "-fPIC", "-O1", "-o", str(d / "hold.so"), str(d / "hold.c"),
                    "-ldl"], check=True)
    return str(d / "hold.so")


def login_killed_at_commit(berth_bin: str, env: dict, cfg: str, shim: str, marker: str) -> str:
    """Runs `berth ecr login`, SIGKILLs it while it holds in rename(); returns the temp
    file it was committing."""
    e = dict(env, LD_PRELOAD=shim, HOLD_RENAME_SUFFIX="/config.json", HOLD_MARKER=marker)
    p = subprocess.Popen([berth_bin, "ecr", "login", REGISTRY, "--config", cfg], env=e,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not os.path.exists(marker) and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert os.path.exists(marker), "berth never reached the commit: %s" % (
            p.stderr.read().decode() if p.poll() is not None else "still running")
        p.send_signal(signal.SIGKILL)
    finally:
        p.kill()
        p.wait()
        p.stderr.close()
    with open(marker) as f:
        return f.read()


def assert_private_json(cfg: str) -> dict:
    assert stat.S_IMODE(os.stat(cfg).st_mode) == 0o600
    with open(cfg) as f:
        return json.load(f)  # valid JSON, or the test fails here


def test_kill_at_commit_of_a_new_config_leaves_no_file(world, berth, berth_bin, home, hold_shim,
                                                       tmp_path):
    """Was: berth created an empty config.json (0600) before writing it; a kill in
    between left a file that is not JSON."""
    cfg = str(tmp_path / "docker" / "config.json")
    temp = login_killed_at_commit(berth_bin, user_env(world, home, "puller"), cfg, hold_shim,
                                  str(tmp_path / "marker"))
    assert not os.path.exists(cfg), "a config.json appeared before the commit: %r" % (
        open(cfg).read())
    # what was about to be committed: whole, private, the new entry
    doc = assert_private_json(temp)
    assert list(doc["auths"]) == [REGISTRY]
    # the next login writes the file and removes the killed run's temp file (it holds
    # a password)
    r = berth(["ecr", "login", REGISTRY, "--config", cfg], user_env(world, home, "puller"))
    assert r.code == 0, r.err
    assert list(assert_private_json(cfg)["auths"]) == [REGISTRY]
    assert os.listdir(os.path.dirname(cfg)) == ["config.json"]


def test_kill_at_commit_keeps_the_old_config(world, berth_bin, home, hold_shim, tmp_path):
    cfg = tmp_path / "config.json"
    old = {"auths": {"other.example": {"auth": "dXNlcjpwYXNz"},
                     REGISTRY: {"auth": base64.b64encode(b"AWS:stale").decode()}},
           "credHelpers": {"gcr.io": "gcloud"}}
    cfg.write_text(json.dumps(old))
    cfg.chmod(0o600)
    before = cfg.read_bytes()
    temp = login_killed_at_commit(berth_bin, user_env(world, home, "puller"), str(cfg),
                                  hold_shim, str(tmp_path / "marker"))
    assert cfg.read_bytes() == before  # the old file, whole
    assert assert_private_json(str(cfg)) == old
    new = assert_private_json(temp)  # the new one was whole too, and private
    assert new["auths"]["other.example"] == old["auths"]["other.example"]
    assert base64.b64decode(new["auths"][REGISTRY]["auth"]).startswith(b"AWS:")
