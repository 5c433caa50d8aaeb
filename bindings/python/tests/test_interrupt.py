"""Ctrl-C stops a running call within about a second.

A registry that accepts connections and never answers holds a call for two stalls
of 60 s. The call runs in a child Python (as a user's script would); SIGINT is sent
while it waits, and the child must raise KeyboardInterrupt promptly, leave no
half-written layout behind, and be able to make another call after catching it.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import PACKAGE_ROOT

CHILD = textwrap.dedent("""
    import os, socket, sys, time
    import berth

    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(16)  # never accepted: the kernel completes the handshake, no reply
    ref = "127.0.0.1:%d/hung/app:v1" % hung.getsockname()[1]
    dest = sys.argv[2]
    call = sys.argv[1]
    print("ready", flush=True)
    try:
        if call == "copy":
            berth.copy(ref, "oci:" + dest + ":v1")
        else:
            berth.inspect(ref)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        # The binding is usable after an interrupt: a local call that fails cleanly.
        try:
            berth.inspect("oci:" + dest + "-missing:v1")
        except berth.BerthError as e:
            print("next call:", type(e).__name__, flush=True)
        sys.exit(130)
    print("returned", flush=True)
""")


@pytest.mark.parametrize("call", ["copy", "inspect"])
def test_sigint_stops_a_call_waiting_on_a_silent_registry(tmp_path: Path, call: str) -> None:
    dest = tmp_path / "layout"
    env = dict(os.environ, PYTHONPATH=str(PACKAGE_ROOT))
    child = subprocess.Popen([sys.executable, "-c", CHILD, call, str(dest)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(1.0)  # the call is now waiting on the registry
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        # Without cancellation the call returns after two 60 s stalls; 20 s leaves
        # room for a loaded machine and still fails clearly.
        out, err = child.communicate(timeout=20)
        took = time.monotonic() - sent
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 130, (out, err)
    assert out.splitlines()[-2:] == ["interrupted", "next call: NotFoundError"], (out, err)
    assert took < 20
    # Nothing half-written is left where the copy was going.
    assert not (dest / "index.json").exists()
