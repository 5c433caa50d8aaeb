"""Ctrl-C during a libberth call.

A ctypes call blocks the main thread, and Python runs signal handlers only between
bytecodes of the main thread: a KeyboardInterrupt would wait for the call to end,
minutes for a large copy or a registry that stopped answering. So a call that may
wait on the network, made from the main thread, runs on a worker thread under a
``berth_cancel`` token while the main thread waits in short, interruptible steps.
On Ctrl-C (or any exception a signal handler raises) the token is fired, libberth
stops within about a second, and the exception propagates once the call has
unwound; a second Ctrl-C while it unwinds stops waiting for it.

The call's error is read on the worker thread, where it is thread-local, and handed
to ``check`` on the caller's thread through ``take_error``.
"""

from __future__ import annotations

import ctypes
import threading
from ctypes import c_void_p
from typing import Any, Dict, Optional, Tuple

#: (code, message, http_status, aws_code, request_id) of the last failed call that ran
#: on a worker thread for this thread, until ``check`` takes it.
ErrorDetails = Tuple[int, bytes, int, bytes, bytes]

_pending = threading.local()


def take_error(rc: int) -> Optional[ErrorDetails]:
    """The details of the failure ``rc`` of the last call made through Interruptible."""
    details: Optional[ErrorDetails] = getattr(_pending, "error", None)
    _pending.error = None
    if details is not None and details[0] == rc:
        return details
    return None


class Interruptible:
    """A libberth function (a ctypes function pointer) that Ctrl-C can stop."""

    def __init__(self, cdll: ctypes.CDLL, fn: Any) -> None:
        self._cdll = cdll
        self._fn = fn

    def __getattr__(self, name: str) -> Any:  # argtypes, restype, __name__
        return getattr(self._fn, name)

    def __call__(self, *args: Any) -> Any:
        _pending.error = None
        if threading.current_thread() is not threading.main_thread():
            return self._fn(*args)  # no signal handler ever runs on this thread
        L = self._cdll
        token = c_void_p()
        # Under ``with berth.Cancel():`` the worker takes that switch's token (a handle of
        # its own on it), so that cancel() reaches the call as well as Ctrl-C does.
        current = getattr(L, "berth_cancel_current", None)
        if current is not None:
            current(ctypes.byref(token))
        if not token.value and L.berth_cancel_new(ctypes.byref(token)) != 0:
            return self._fn(*args)
        box: Dict[str, Any] = {}
        # The worker owns the token and frees it when it is done; the main thread only
        # fires it, under this lock, while it still exists.
        guard = threading.Lock()

        def run() -> None:
            L.berth_cancel_attach(token)
            try:
                rc = self._fn(*args)
                box["rc"] = rc
                if isinstance(rc, int) and rc != 0:
                    info = L.berth_last_error().contents
                    box["error"] = (info.code, info.message or b"", info.http_status,
                                    info.aws_code or b"", info.request_id or b"")
            except BaseException as e:  # a callback's exception that ctypes passed on
                box["exc"] = e
            finally:
                L.berth_cancel_attach(None)
                with guard:
                    L.berth_cancel_free(token)
                    box["freed"] = True

        worker = threading.Thread(target=run, name="berth-call", daemon=True)
        try:
            worker.start()
            while worker.is_alive():
                worker.join(0.1)
        except BaseException:
            with guard:
                if not box.get("freed"):
                    L.berth_cancel_fire(token)
            # Wait for the call to unwind; a second interrupt stops waiting (the worker
            # keeps the call's arguments alive until it ends).
            while worker.is_alive():
                worker.join(0.1)
            raise
        if "exc" in box:
            raise box["exc"]
        _pending.error = box.get("error")
        return box["rc"]


def discard_error() -> None:
    """Forgets the details of a failure its caller handles without ``check``."""
    _pending.error = None
