"""How long a running call takes to stop once asked, against a registry that accepts
connections and never answers (without a cancel: two 60 s stalls).

Rows: `berth pull` after SIGINT and SIGTERM, a Python `berth.copy` after SIGINT
(KeyboardInterrupt) and after `berth.Cancel.cancel()` from another thread, and
`skopeo inspect` after SIGINT as the peer (Go's default handler: the process dies
at once, with no cleanup). Median of BENCH_REPS (default 5) runs each.

    python3 benchmarks/cancel/latency.py BERTH_BIN LIBBERTH PYTHON_PACKAGE_DIR
"""

import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

berth_bin, libberth, package = sys.argv[1:4]
reps = int(os.environ.get("BENCH_REPS", "5"))
hung = socket.socket()
hung.bind(("127.0.0.1", 0))
hung.listen(64)  # never accepted
ref = "127.0.0.1:%d/hung/app:v1" % hung.getsockname()[1]
work = tempfile.mkdtemp(prefix="berth-cancel-bench-")

PY_CHILD = """
import sys, threading, berth
mode, ref, dest = sys.argv[1:4]
print("ready", flush=True)
try:
    if mode == "sigint":
        berth.copy(ref, "oci:" + dest + ":v1")
    else:
        switch = berth.Cancel()
        def work():
            try:
                with switch:
                    berth.copy(ref, "oci:" + dest + ":v1")
            except berth.CancelledError:
                print("stopped", flush=True)
        t = threading.Thread(target=work)
        t.start()
        sys.stdin.readline()  # the benchmark says when
        switch.cancel()
        t.join()
except KeyboardInterrupt:
    print("stopped", flush=True)
"""


def timed(cmd, env=None, how=signal.SIGINT, ready_line=False):
    """Seconds from the request to stop until the process has stopped."""
    p = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    if ready_line:
        assert p.stdout.readline().strip() == "ready"
    time.sleep(1.0)  # the call is waiting on the registry now
    start = time.monotonic()
    if how is None:
        p.stdin.write("\n")
        p.stdin.flush()
    else:
        p.send_signal(how)
    p.communicate(timeout=150)
    return time.monotonic() - start


py_env = dict(os.environ, PYTHONPATH=package, BERTH_LIBRARY=libberth)
rows = [
    ("berth pull, SIGINT", lambda i: timed([berth_bin, "pull", ref, "%s/c%d" % (work, i)])),
    ("berth pull, SIGTERM",
     lambda i: timed([berth_bin, "pull", ref, "%s/t%d" % (work, i)], how=signal.SIGTERM)),
    ("Python copy, SIGINT", lambda i: timed(
        [sys.executable, "-c", PY_CHILD, "sigint", ref, "%s/p%d" % (work, i)], py_env,
        ready_line=True)),
    ("Python copy, Cancel() from a thread", lambda i: timed(
        [sys.executable, "-c", PY_CHILD, "switch", ref, "%s/s%d" % (work, i)], py_env, how=None,
        ready_line=True)),
]
if subprocess.run(["sh", "-c", "command -v skopeo"], capture_output=True).returncode == 0:
    rows.append(("skopeo inspect, SIGINT (peer)", lambda i: timed(
        ["skopeo", "inspect", "--tls-verify=false", "docker://" + ref])))

print("%-38s %12s" % ("stopping a call on a silent registry", "median (ms)"))
for name, run in rows:
    times = [run(i) for i in range(reps)]
    print("%-38s %12.1f" % (name, statistics.median(times) * 1000))
