"""berth.Cancel: stopping a call from another thread.

Ctrl-C reaches calls made from the main thread (``_interrupt``). A call made on any
other thread (a web handler, a pool worker) is stopped through a ``Cancel``: every
berth call made inside ``with cancel:`` on that thread sees it, and ``cancel.cancel()``
from any thread makes the running one raise ``CancelledError`` within about a second,
a registry that stopped answering included.
"""

from __future__ import annotations

import ctypes
import threading
from ctypes import c_void_p
from types import TracebackType
from typing import List, Optional, Type

from ._lib import function

_active = threading.local()


def active_handle() -> Optional[c_void_p]:
    """The handle of the innermost ``with Cancel()`` block of this thread, if any."""
    stack: List["Cancel"] = getattr(_active, "stack", [])
    return stack[-1]._handle if stack else None


class Cancel:
    """A cancel switch for berth calls.

    >>> switch = berth.Cancel()
    >>> def work():
    ...     with switch:
    ...         berth.copy(src, dst)      # raises CancelledError once switch.cancel() runs
    >>> threading.Timer(30, switch.cancel).start()

    One ``Cancel`` may guard calls on several threads at once; once cancelled it stays
    cancelled (make a new one for the next calls).
    """

    def __init__(self) -> None:
        self._handle = c_void_p()
        self._lock = threading.Lock()
        rc = function("berth_cancel_new")(ctypes.byref(self._handle))
        if rc != 0:
            raise MemoryError("berth_cancel_new failed")
        self._saved = threading.local()

    def cancel(self) -> None:
        """Stops the calls running under this switch, and every later one. Any thread."""
        with self._lock:
            if self._handle.value:
                function("berth_cancel_fire")(self._handle)

    @property
    def cancelled(self) -> bool:
        """Whether ``cancel()`` was called."""
        with self._lock:
            return bool(self._handle.value) and function("berth_cancel_fired")(self._handle) == 1

    def __enter__(self) -> "Cancel":
        outer = c_void_p()
        function("berth_cancel_current")(ctypes.byref(outer))
        saved: List[c_void_p] = getattr(self._saved, "outer", [])
        saved.append(outer)
        self._saved.outer = saved
        function("berth_cancel_attach")(self._handle)
        stack: List[Cancel] = getattr(_active, "stack", [])
        stack.append(self)
        _active.stack = stack
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]],
                 exc: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        _active.stack.pop()
        outer = self._saved.outer.pop()
        function("berth_cancel_attach")(outer)  # the thread's token before (usually none)
        function("berth_cancel_free")(outer)

    def __del__(self) -> None:
        # A thread still inside ``with`` holds its own reference in libberth.
        handle = getattr(self, "_handle", None)
        if handle is not None and handle.value:
            try:
                with self._lock:
                    function("berth_cancel_free")(handle)
                    handle.value = None
            except Exception:  # interpreter shutdown: the library may be gone
                pass
