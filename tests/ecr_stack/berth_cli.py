"""Runs the berth CLI against an EcrStack: its connect-to and CA, and one IAM
identity's AWS keys (never the caller's own ~/.aws); its outputs go to the secrets scan."""

from __future__ import annotations

import os
import subprocess

import ecr_stack as E
import secret_scan

BERTH = os.environ.get("BERTH_CLI") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "bin", "berth")


def berth(st: E.EcrStack, *args: str, who: str = "pusher", extra: dict | None = None,
          timeout: float = 120, control_plane: bool = True) -> subprocess.CompletedProcess:
    """``control_plane``: ECR API calls go through the stack's control plane (pull-through
    cache rules and creation templates; everything else is moto's)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}
    env.update(st.berth_env())
    env.update(st.aws_env(who, control_plane=control_plane))
    env.update(extra or {})
    p = subprocess.run([BERTH, *args], env=env, capture_output=True, text=True, timeout=timeout)
    # Every output is scanned for the secrets the stack issued (tests/servers/secret_scan.py).
    secret_scan.record(p.args, p.returncode, p.stdout, p.stderr, env)
    return p
