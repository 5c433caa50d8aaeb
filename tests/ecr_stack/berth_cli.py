"""Runs the berth CLI against an EcrStack: its connect-to and CA, and one IAM
identity's AWS keys (never the caller's own ~/.aws)."""

from __future__ import annotations

import os
import subprocess

import ecr_stack as E

BERTH = os.environ.get("BERTH_CLI") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "bin", "berth")


def berth(st: E.EcrStack, *args: str, who: str = "pusher", extra: dict | None = None,
          timeout: float = 120) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}
    env.update(st.berth_env())
    env.update(st.aws_env(who))
    env.update(extra or {})
    return subprocess.run([BERTH, *args], env=env, capture_output=True, text=True,
                          timeout=timeout)
