"""berth.Cancel stops calls on any thread, a registry that never answers included."""

import socket
import threading
import time
from typing import Any, Dict, Iterator

import pytest

import berth


@pytest.fixture
def hung_ref() -> Iterator[str]:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)  # never accepted: without a cancel a call waits out two 60 s stalls
    yield "127.0.0.1:%d/hung/app:v1" % s.getsockname()[1]
    s.close()


def test_cancel_stops_a_call_on_another_thread(hung_ref: str) -> None:
    switch = berth.Cancel()
    seen: Dict[str, Any] = {}

    def work() -> None:
        start = time.monotonic()
        try:
            with switch:
                berth.inspect(hung_ref)
        except berth.BerthError as e:
            seen["error"] = e
        seen["took"] = time.monotonic() - start

    t = threading.Thread(target=work)
    t.start()
    time.sleep(0.5)
    assert not switch.cancelled
    switch.cancel()
    t.join(30)
    assert not t.is_alive()
    assert isinstance(seen["error"], berth.CancelledError), seen
    assert "cancelled by the caller" in seen["error"].message
    assert seen["took"] < 20  # two 60 s stalls without it
    assert switch.cancelled


def test_cancel_on_the_main_thread_and_after_the_block(hung_ref: str, tmp_path) -> None:
    switch = berth.Cancel()
    threading.Timer(0.5, switch.cancel).start()
    with switch, pytest.raises(berth.CancelledError):
        berth.copy(hung_ref, "oci:%s:v1" % (tmp_path / "out"))
    assert not (tmp_path / "out" / "index.json").exists()
    # Outside the block the switch is gone: a call fails for its own reason.
    with pytest.raises(berth.NotFoundError):
        berth.inspect("oci:%s:v1" % (tmp_path / "absent"))


def test_nested_blocks_put_the_outer_switch_back(hung_ref: str, tmp_path) -> None:
    outer, inner = berth.Cancel(), berth.Cancel()
    with outer:
        with inner:
            pass
        outer.cancel()
        # The outer switch is attached again: the call stops before it waits.
        start = time.monotonic()
        with pytest.raises(berth.CancelledError):
            berth.inspect(hung_ref)
        assert time.monotonic() - start < 20
    assert not inner.cancelled
