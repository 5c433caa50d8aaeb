"""Ctrl-C and SIGTERM stop the berth command cleanly.

A registry that accepts connections and never answers holds a pull for two stalls
of 60 s. The signal arrives while berth waits: berth must stop within seconds,
say "interrupted" (or "terminated") on stderr with nothing on stdout, exit
128+signal as a shell reports it, and leave no half-written destination.
"""

import signal
import socket
import subprocess
import time

import pytest

from itlib import exit_code


@pytest.fixture
def hung_registry():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)  # never accepted: the handshake completes, nothing ever answers
    yield "127.0.0.1:%d" % s.getsockname()[1]
    s.close()


@pytest.mark.parametrize("sig,word", [(signal.SIGINT, "interrupted"),
                                      (signal.SIGTERM, "terminated")])
def test_a_signal_stops_a_pull_from_a_silent_registry(berth_bin, hung_registry, tmp_path, sig,
                                                      word):
    dest = tmp_path / "out"
    child = subprocess.Popen([berth_bin, "pull", f"{hung_registry}/hung/app:v1", f"./{dest.name}"],
                             cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    try:
        time.sleep(1.0)  # berth is now waiting on the registry
        assert child.poll() is None
        sent = time.monotonic()
        child.send_signal(sig)
        # Without the handler's cancel a default SIGINT would also end it at once
        # but without cleanup; with it and no cancel, two 60 s stalls.
        out, err = child.communicate(timeout=20)
        took = time.monotonic() - sent
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    # README's table gives 130 and 143, the shell's 128+signal.
    assert child.returncode == exit_code(word) == 128 + sig, err
    assert out == ""
    assert err.strip().splitlines()[-1] == f"berth pull: {word}", err
    assert took < 20
    assert not dest.exists() or not any(dest.iterdir())
