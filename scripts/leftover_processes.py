#!/usr/bin/env python3
"""Lists, and with --kill stops, the processes a test run left behind.

scripts/test.sh exports BERTH_TEST_RUN_MARK=<unique value> before any suite starts;
every process a suite starts inherits it (registries, moto, stack.py servers, act),
also when it detaches into its own session. At the end, any process still carrying
the mark (other than this script and the shell that runs it) was left running: a
test that did not stop what it started. Exit status 1 when there was one.

The mark's name does not start with BERTH_: the integration tests' clean environment
drops those (itlib.clean_env), and the mark must survive into every child.
"""

from __future__ import annotations

import os
import signal
import sys
import time

MARK = "BERTH_TEST_RUN_MARK"


def marked(value: str, skip: set[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    needle = ("%s=%s" % (MARK, value)).encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in skip:
            continue
        try:
            with open("/proc/%s/environ" % entry, "rb") as f:
                env = f.read().split(b"\0")
            if needle not in env:
                continue
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue  # gone, or a kernel thread
        found[int(entry)] = cmd or "(no command line)"
    return found


def main() -> int:
    value = os.environ.get(MARK)
    if not value:
        print("leftover_processes: %s is not set" % MARK, file=sys.stderr)
        return 2
    skip = {os.getpid(), os.getppid()}
    left = marked(value, skip)
    # Give processes that are on their way out (a server stopping) a moment.
    deadline = time.monotonic() + 5
    while left and time.monotonic() < deadline:
        time.sleep(0.5)
        left = marked(value, skip)
    if not left:
        print("no process of this test run is left running")
        return 0
    print("processes this test run started and left running:")
    for pid, cmd in sorted(left.items()):
        print("  %d  %s" % (pid, cmd[:200]))
    if "--kill" in sys.argv[1:]:
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    return 1


if __name__ == "__main__":
    sys.exit(main())
