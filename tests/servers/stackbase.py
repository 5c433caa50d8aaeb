"""What the test stacks share: tests/servers/stack.py (registries, token server, fault
proxy) and tests/ecr_stack/ecr_stack.py (moto, OIDC endpoint, ECR front) are built
from these pieces.

* housekeeping: ``LOOPBACK``, ``KEEP`` (``BERTH_STACK_KEEP``), ``free_port``, ``run``,
  ``rmtree``, ``pid_alive``, ``pid_cmdline``, ``write_atomic``, ``b64url``, ``is_ip``,
  ``exchange``, ``records``/``clear_records``, ``FailureQueue``, ``close_socket``.
* HTTP servers in threads: ``HTTPServer`` (the TLS handshake in the connection's
  thread), ``serve_in_thread``, ``shutdown``, ``server_context``, ``handler_for``;
  ``QuietHandler`` and ``ControlHandler`` (a JSON control API as a route table); the
  S3 error document of blob redirects.
* services: ``Service`` (start/stop as a context manager, its work dir, stopped at
  interpreter exit if a test forgot); ``Server`` adds the address; ``TCPServer`` (an
  accept loop), ``RecordingServer`` (records requests and issued tokens, fails on
  demand) and ``ChildProcess`` (a child process on a free port, ``PR_SET_PDEATHSIG``)
  build on it.
* ``StackCLI``: the ``up``/``status``/``down`` commands, the detached supervisor
  (``_serve``) and the state files (``DIR/<name>.json``, ``DIR/<name>.env``).

Python 3.11 stdlib only.  Nothing here is specific to registries or AWS.
"""

from __future__ import annotations

import argparse
import atexit
import base64
import contextlib
import ctypes
import http.client
import http.server
import json
import os
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from typing import Any, Callable, Iterable, Iterator, Self

LOOPBACK = "127.0.0.1"
KEEP = os.environ.get("BERTH_STACK_KEEP", "") not in ("", "0")

# --------------------------------------------------------------------------
# housekeeping


def free_port(host: str = LOOPBACK) -> int:
    """An ephemeral port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def run(cmd: list[str], *, input: bytes | None = None, cwd: str | None = None) -> bytes:
    """stdout of ``cmd``; RuntimeError with its stderr when it fails."""
    proc = subprocess.run(cmd, input=input, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, check=False)
    if proc.returncode != 0:
        raise RuntimeError("command failed (%d): %s\n%s" % (
            proc.returncode, " ".join(shlex.quote(c) for c in cmd),
            proc.stderr.decode(errors="replace")))
    return proc.stdout


def rmtree(path: str | None) -> None:
    """Remove a temp dir, unless BERTH_STACK_KEEP is set."""
    if path and not KEEP:
        shutil.rmtree(path, ignore_errors=True)


def set_pdeathsig() -> None:  # runs in the child before exec
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is not alive
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return False


def pid_cmdline(pid: int) -> str:
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def write_atomic(path: str, text: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def is_ip(host: str) -> bool:
    """Whether ``host`` is an IPv4 or IPv6 literal (not a name)."""
    return bool(re.fullmatch(r"[0-9.]+|[0-9a-fA-F:]+:[0-9a-fA-F:]*", host))


class records:
    """A read-only attribute: copies of the dict records that server threads append to
    the list ``attr`` of the object, under its ``_lock``."""

    def __init__(self, attr: str, doc: str | None = None):
        self.attr = attr
        self.__doc__ = doc

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        with obj._lock:
            return [dict(r) for r in getattr(obj, self.attr)]


def clear_records(lock: Any, *lists: list) -> None:
    with lock:
        for items in lists:
            items.clear()


def exchange(conn: http.client.HTTPConnection, method: str, target: str,
             body: bytes | None = None, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """One request on ``conn``, then closes it: (status, lower-case headers, body)."""
    try:
        conn.request(method, target, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


class FailureQueue:
    """Canned answers for the next requests: ``add(count, answer)``; ``take()`` gives
    the answer due now, or None."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[list[Any]] = []

    def add(self, count: int, answer: Any) -> None:
        with self._lock:
            self._items.append([count, answer])

    def take(self) -> Any:
        with self._lock:
            while self._items:
                if self._items[0][0] <= 0:
                    self._items.pop(0)
                    continue
                self._items[0][0] -= 1
                return self._items[0][1]
        return None


_live: "set[Any]" = set()
_live_lock = threading.Lock()


def track(obj: Any) -> None:
    """Stop ``obj`` at interpreter exit unless it is untracked first."""
    with _live_lock:
        _live.add(obj)


def untrack(obj: Any) -> None:
    with _live_lock:
        _live.discard(obj)


@atexit.register
def _stop_everything() -> None:
    with _live_lock:
        objs = list(_live)
    for obj in objs:
        try:
            obj.stop()
        except Exception:  # pragma: no cover - best effort at exit
            pass


def close_socket(sock: socket.socket | None, reset: bool = False) -> None:
    """Shut a socket down (FIN; RST with ``reset``) and close it, whatever state it is in."""
    if sock is None:
        return
    try:
        if reset:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        else:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


# --------------------------------------------------------------------------
# HTTP servers in threads


class HTTPServer(http.server.ThreadingHTTPServer):
    """A threading HTTP server; with ``ssl_ctx`` HTTPS, the TLS handshake done in the
    connection's own thread (a stuck client blocks no one).  ``close_all()`` ends the
    open connections."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr: tuple[str, int], handler: Any, ssl_ctx: ssl.SSLContext | None = None):
        self.ssl_ctx = ssl_ctx
        self.conns: set[socket.socket] = set()
        self.conns_lock = threading.Lock()
        super().__init__(addr, handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        sock = request
        try:
            if self.ssl_ctx is not None:
                request.settimeout(30)
                sock = self.ssl_ctx.wrap_socket(request, server_side=True)
                sock.settimeout(None)
        except (OSError, ssl.SSLError):
            try:
                request.close()
            except OSError:
                pass
            return
        with self.conns_lock:
            self.conns.add(sock)
        try:
            self.RequestHandlerClass(sock, client_address, self)
        except (OSError, ssl.SSLError):
            pass
        finally:
            with self.conns_lock:
                self.conns.discard(sock)
            try:
                sock.close()
            except OSError:
                pass

    def close_all(self) -> None:
        with self.conns_lock:
            conns = list(self.conns)
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def server_url(server: HTTPServer | None) -> str | None:
    """``http://127.0.0.1:PORT`` of a plain HTTP server, None when there is none."""
    return "http://%s:%d" % (LOOPBACK, server.server_address[1]) if server else None


def handler_for(handler: type, **attrs: Any) -> type:
    """A subclass of the request handler class ``handler`` with ``attrs`` set: how a
    handler finds the object it serves (``handler_for(_Handler, px=proxy)``)."""
    return type(handler.__name__, (handler,), attrs)


def serve_in_thread(server: HTTPServer, name: str) -> threading.Thread:
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                         name=name, daemon=True)
    t.start()
    return t


def shutdown(server: HTTPServer | None, thread: threading.Thread | None = None) -> None:
    """Stop serving, end the open connections, close the socket."""
    if server is None:
        return
    server.shutdown()
    server.close_all()
    server.server_close()
    if thread:
        thread.join(5)


def server_context(cert: Any) -> ssl.SSLContext:
    """A TLS server context for an IssuedCert (its chain and key), HTTP/1.1 only."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert.chain_file, cert.key_file)
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """HTTP/1.1, no access log, and small helpers to answer."""

    protocol_version = "HTTP/1.1"

    def log_message(self, fmt: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str,
              headers: Iterable[tuple[str, str]] = (), close: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, obj: Any, headers: Iterable[tuple[str, str]] = ()) -> None:
        self._send(status, json.dumps(obj, default=str).encode(), "application/json", headers)

    def _read_small_body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _json_body(self) -> Any:
        """The request body as JSON ({} when empty)."""
        return json.loads(self._read_small_body() or b"{}")

    def _stream(self, resp: http.client.HTTPResponse, rec: dict, copy: Iterable[str] = (),
                headers: Iterable[tuple[str, str]] = ()) -> None:
        """Answer with ``resp``: its status, those of the headers named in ``copy`` that it
        has, then ``headers``, and (but to HEAD) its body in 64 KiB pieces, counted in
        ``rec["bytes"]``."""
        rec["status"] = resp.status
        self.send_response(resp.status)
        for k in copy:
            if resp.getheader(k):
                self.send_header(k, resp.getheader(k))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command == "HEAD":
            return
        while True:
            data = resp.read1(65536)
            if not data:
                break
            self.wfile.write(data)
            rec["bytes"] += len(data)


#: S3's answer to a pre-signed URL request that carries an Authorization header too
S3_ONE_AUTH_MESSAGE = ("Only one auth mechanism allowed; only the X-Amz-Algorithm query "
                       "parameter, Signature query string parameter or the Authorization "
                       "header should be specified")


def s3_error_xml(code: str, message: str, request_id: str, host_id: str | None = None) -> bytes:
    """An S3 error document."""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s'
            '</Message><RequestId>%s</RequestId>%s</Error>'
            % (code, message, request_id,
               "<HostId>%s</HostId>" % host_id if host_id else "")).encode()


class ControlHandler(QuietHandler):
    """A JSON control API.  ``routes()`` maps ``(METHOD, path)`` to a function: POST ones
    get the JSON body, a path ending in "/" matches by prefix and passes on the rest.
    A function returns the answer (None: ``{}``) or ``(status, answer)``.  No route: 404
    ``{"error": "not found"}``; ValueError, KeyError or TypeError: 400 ``{"error": ...}``."""

    def routes(self) -> dict[tuple[str, str], Callable[..., Any]]:
        raise NotImplementedError

    def _route(self) -> None:
        path = urllib.parse.urlsplit(self.path).path.rstrip("/")
        routes = self.routes()
        fn, args = routes.get((self.command, path)), ()
        for (method, prefix), f in routes.items():
            if fn is None and method == self.command and prefix.endswith("/") \
                    and path.startswith(prefix):
                fn, args = f, (path[len(prefix):],)
        if fn is None:
            return self._json(404, {"error": "not found"})
        try:
            if self.command == "POST":
                args = (self._json_body(),) + args
            answer = fn(*args)
        except (ValueError, KeyError, TypeError) as e:
            return self._json(400, {"error": str(e)})
        status, answer = answer if isinstance(answer, tuple) else (200, answer)
        self._json(status, {} if answer is None else answer)

    do_GET = do_POST = do_DELETE = _route


# --------------------------------------------------------------------------
# services


class Service:
    """Something with ``start()``/``stop()``, usable as a context manager, stopped at
    interpreter exit if a test forgot.  Subclasses give ``start_parts()`` and extend
    ``stop()``.

    With a ``workdir_prefix``, ``start()`` makes the work dir first: ``workdir`` when
    one was given (its files stay), else a temp dir that ``stop()`` removes again."""

    #: when set, start() makes the work dir (the one given, or a temp dir named so)
    workdir_prefix: str | None = None

    def __init__(self, workdir: str | None = None):
        self._workdir_arg = workdir
        self.workdir: str | None = None
        self._owns_workdir = False

    def start(self) -> Self:
        """Track, make the work dir, ``start_parts()``; when that fails, stop and re-raise."""
        track(self)
        try:
            if self.workdir_prefix:
                self.make_workdir()
            self.start_parts()
        except BaseException:
            self.stop()
            raise
        return self

    def start_parts(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        untrack(self)
        self.remove_workdir()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def make_workdir(self) -> str:
        if self._workdir_arg:
            self.workdir = self._workdir_arg
            os.makedirs(self.workdir, exist_ok=True)
        else:
            self.workdir = tempfile.mkdtemp(prefix=self.workdir_prefix or "berth-")
            self._owns_workdir = True
        return self.workdir

    def remove_workdir(self) -> None:
        if self._owns_workdir:
            rmtree(self.workdir)
            self._owns_workdir = False


def stop_all(services: Iterable[Any]) -> None:
    """Stop each of ``services`` that is there, whatever the others do."""
    for obj in services:
        if obj is not None:
            try:
                obj.stop()
            except Exception:
                pass


class Server(Service):
    """A Service listening on ``host:port``."""

    host = LOOPBACK
    port = 0

    @property
    def scheme(self) -> str:
        return "http"

    @property
    def hostport(self) -> str:
        return "%s:%d" % (self.host, self.port)

    @property
    def url(self) -> str:
        return "%s://%s" % (self.scheme, self.hostport)


class TCPServer(Server):
    """A listening socket on loopback whose connections each get a thread running
    ``serve_connection(sock, addr)``.  ``stop()`` closes the listener and every
    connection still open in ``connection()``."""

    backlog = 128
    name = "berth-tcp"

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._conns: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    def listen(self) -> None:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((LOOPBACK, 0))
        s.listen(self.backlog)
        self._sock = s
        self.port = s.getsockname()[1]
        self._stopping.clear()
        t = threading.Thread(target=self._accept_loop, args=(s,), name=self.name, daemon=True)
        t.start()
        self._threads.append(t)
        track(self)

    def _accept_loop(self, sock: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                c, addr = sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve_connection, args=(c, addr),
                             name=self.name + "-conn", daemon=True).start()

    def serve_connection(self, c: socket.socket, addr: Any) -> None:
        raise NotImplementedError

    @contextlib.contextmanager
    def connection(self, c: socket.socket) -> Iterator[socket.socket]:
        """Holds ``c`` open until the block ends or ``stop()`` closes it."""
        with self._lock:
            self._conns.add(c)
        try:
            yield c
        finally:
            with self._lock:
                self._conns.discard(c)
            close_socket(c)

    def stop(self) -> None:
        self._stopping.set()
        sock, self._sock = self._sock, None
        close_socket(sock)
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            close_socket(c)
        for t in self._threads:
            t.join(2)
        self._threads = []
        super().stop()


class RecordingServer(Server):
    """An HTTP server in a thread (HTTPS with ``tls_cert``, an IssuedCert) that records
    the requests it saw and the tokens it issued, and can be told to answer the next
    requests with a failure.  ``serve(handler, name)`` ends the subclass's
    ``start_parts()``."""

    def __init__(self, workdir: str | None = None, tls_cert: Any = None):
        super().__init__(workdir)
        self.tls_cert = tls_cert
        self._lock = threading.Lock()
        self._requests: list[dict] = []
        self._issued: list[dict] = []
        self._fail = FailureQueue()
        self._httpd: HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def scheme(self) -> str:
        return "https" if self.tls_cert else "http"

    def start(self) -> Self:
        if self._httpd:
            return self
        return super().start()

    def serve(self, handler: Any, name: str) -> None:
        self._httpd = HTTPServer((LOOPBACK, 0), handler,
                                 server_context(self.tls_cert) if self.tls_cert else None)
        self.port = self._httpd.server_address[1]
        self._thread = serve_in_thread(self._httpd, name)

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        shutdown(httpd, self._thread)
        super().stop()

    requests = records("_requests", "Every request seen, oldest first (copies).")
    issued = records("_issued", "Every token minted (copies).")

    def clear_requests(self) -> None:
        clear_records(self._lock, self._requests, self._issued)

    def _record(self, rec: dict) -> None:
        with self._lock:
            self._requests.append(rec)

    def _take_failure(self) -> Any:
        return self._fail.take()


class ChildProcess(Server):
    """A server in a child process, on ``port`` or a free port.

    Subclasses give ``command()`` (called once the port is chosen), ``probe()``
    (True once the server answers) and may override ``prepare()`` (files before the
    first start) and ``environment()``.  ``start()`` tries another free port when the
    log says the one chosen was taken meanwhile (``port_taken``).

    ``die_with_parent`` sets PR_SET_PDEATHSIG so the child gets SIGTERM when the
    thread that started it dies (start it from the main thread, or pass False)."""

    what = "server"            # in the error when it does not start
    log_name = "server.log"
    start_attempts = 8
    port_taken = "address already in use"

    def __init__(self, *, workdir: str | None = None, host: str = LOOPBACK, port: int = 0,
                 start_timeout: float = 30.0, die_with_parent: bool = True):
        super().__init__(workdir)
        self.host, self.port = host, port
        self.start_timeout = start_timeout
        self.die_with_parent = die_with_parent
        self.proc: subprocess.Popen | None = None
        self.log_file: str | None = None
        self._log_fh: Any = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def command(self) -> list[str]:
        raise NotImplementedError

    def probe(self) -> bool:
        raise NotImplementedError

    def prepare(self) -> None:
        pass

    def environment(self) -> dict[str, str]:
        return dict(os.environ)

    workdir_prefix = "berth-server-"

    def start(self) -> Self:
        if self.proc:
            return self
        return super().start()

    def start_parts(self) -> None:
        self.log_file = os.path.join(self.workdir, self.log_name)
        self.prepare()
        self._spawn()

    def _spawn(self) -> None:
        env = self.environment()
        fixed = self.port
        last_error = ""
        for _attempt in range(self.start_attempts):
            self.port = fixed or free_port(self.host)
            argv = self.command()
            self._log_fh = open(self.log_file, "ab")
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._log_fh,
                                         stderr=subprocess.STDOUT, env=env,
                                         preexec_fn=set_pdeathsig if self.die_with_parent else None,
                                         cwd=self.workdir)
            if self._wait_ready():
                return
            last_error = self.log_text()[-3000:]
            self._kill()
            if fixed or self.port_taken not in last_error:
                break
        raise RuntimeError("%s did not start; log:\n%s" % (self.what, last_error))

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if self.probe():
                    return True
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.05)
        return False

    def _kill(self) -> None:
        proc, self.proc = self.proc, None
        if proc and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if self._log_fh:
            self._log_fh.close()
            self._log_fh = None

    def stop(self) -> None:
        self._kill()
        super().stop()

    def log_text(self) -> str:
        try:
            with open(self.log_file or "", errors="replace") as f:
                return f.read()
        except OSError:
            return ""


# --------------------------------------------------------------------------
# the CLI: up / status / down and the supervisor


class StackCLI:
    """``up``/``status``/``down`` for a stack, and ``_serve``, the supervisor ``up``
    starts detached (its own session) with the same arguments.

    The supervisor runs the stack, writes ``DIR/<state_file>`` (the stack's
    ``state()`` plus bookkeeping) and ``DIR/<env_file>`` (``export KEY=VALUE``), and
    stops the stack on SIGTERM/SIGINT/SIGHUP or when a watched child dies.  ``up``
    prints the path of the state file once it is there.  ``down`` stops the
    supervisor (SIGTERM, then SIGKILL), kills leftover children, and removes the work
    dir, the state files and ``DIR`` itself when ``up`` made it.

    A subclass names the files and fills in ``add_up_args``, ``make_stack``,
    ``children``, ``leftovers``, ``status_info`` and ``up_message``."""

    prog = "stack.py"
    script = ""                   # the file the supervisor runs
    description = ""
    label = "stack"               # "stack down", "no stack at ...", "a stack is already up"
    article = "a"
    state_file = "stack.json"
    env_file = "stack.env"
    log_file = "supervisor.log"
    temp_prefix = "berth-stack-"
    state_env = "BERTH_TEST_STACK_STATE"   # the state file's path, in the env file
    down_wait = 20.0              # seconds the supervisor gets after SIGTERM
    up_kill_wait = 15.0           # seconds a supervisor that did not come up gets

    def add_up_args(self, p: argparse.ArgumentParser) -> None:
        raise NotImplementedError

    def make_stack(self, a: argparse.Namespace, workdir: str) -> Any:
        raise NotImplementedError

    def children(self, st: Any) -> list[tuple[str, Any]]:
        """(name, ChildProcess) the supervisor watches: it stops when one exits."""
        return []

    def leftovers(self, state: dict) -> list[tuple[int | None, tuple[str, ...]]]:
        """(pid, command-line markers) that ``down`` kills when they outlived the
        supervisor and their command line has one of the markers."""
        return []

    def status_info(self, state: dict) -> dict:
        return {}

    def up_message(self, st: Any) -> str:
        return "%s up" % self.label.lower()

    # -- commands ------------------------------------------------------------
    def main(self, argv: list[str] | None = None) -> int:
        argv = list(sys.argv[1:] if argv is None else argv)
        ap = argparse.ArgumentParser(prog=self.prog, description=self.description)
        sub = ap.add_subparsers(dest="cmd", required=True)
        up = sub.add_parser("up", help="start the %s in the background; prints the path of %s"
                            % (self.label, self.state_file))
        self._add_up_args(up)
        serve = sub.add_parser("_serve", help=argparse.SUPPRESS)
        self._add_up_args(serve)
        serve.add_argument("--created-state-dir", action="store_true")
        for name in ("down", "status"):
            p = sub.add_parser(name)
            p.add_argument("--state-dir")
            p.add_argument("--state-file")
        a = ap.parse_args(argv)
        commands = {"up": self.cmd_up, "_serve": self.cmd_serve, "down": self.cmd_down,
                    "status": self.cmd_status}
        if a.cmd == "up":
            return self.cmd_up(a, argv[1:])
        return commands[a.cmd](a)

    def _add_up_args(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("--state-dir", help="where %s goes (made if missing; default: a temp dir)"
                       % self.state_file)
        self.add_up_args(p)

    def cmd_serve(self, a: argparse.Namespace) -> int:
        state_dir = os.path.abspath(a.state_dir)
        workdir = tempfile.mkdtemp(prefix="work-", dir=state_dir)
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, lambda *_: stop.set())
        st = self.make_stack(a, workdir)
        try:
            st.start()
            state = st.state()
            state.update({"state_dir": state_dir,
                          "state_file": os.path.join(state_dir, self.state_file),
                          "env_file": os.path.join(state_dir, self.env_file),
                          "supervisor_pid": os.getpid(), "temp_dirs": [workdir],
                          "supervisor_log": os.path.join(state_dir, self.log_file),
                          "state_dir_created": bool(a.created_state_dir)})
            state["pids"] = [os.getpid()] + state["pids"]
            state["env"][self.state_env] = state["state_file"]
            write_atomic(state["env_file"], "".join(
                "export %s=%s\n" % (k, shlex.quote(v)) for k, v in state["env"].items()))
            write_atomic(state["state_file"], json.dumps(state, indent=2) + "\n")
            print(self.up_message(st), flush=True)
            while not stop.wait(0.5):
                gone = [(name, c) for name, c in self.children(st)
                        if c.proc is None or c.proc.poll() is not None]
                if gone:
                    name, child = gone[0]
                    print("%s exited:\n%s" % (name, child.log_text()[-2000:]), flush=True)
                    break
        finally:
            st.stop()
            shutil.rmtree(workdir, ignore_errors=True)
            print("%s down" % self.label.lower(), flush=True)
        return 0

    def cmd_up(self, a: argparse.Namespace, args: list[str]) -> int:
        created = False
        if a.state_dir:
            state_dir = os.path.abspath(a.state_dir)
            if not os.path.isdir(state_dir):
                os.makedirs(state_dir)
                created = True
        else:
            state_dir = tempfile.mkdtemp(prefix=self.temp_prefix)
            created = True
        state_file = os.path.join(state_dir, self.state_file)
        if os.path.exists(state_file):
            try:
                with open(state_file) as f:
                    old = json.load(f)
                if pid_alive(old.get("supervisor_pid")):
                    print("%s %s is already up in %s (run down first)"
                          % (self.article, self.label, state_dir), file=sys.stderr)
                    return 1
            except (OSError, ValueError):
                pass
            os.unlink(state_file)
        # the supervisor parses what up was given; the last --state-dir wins
        argv = [sys.executable, os.path.abspath(self.script), "_serve", *args,
                "--state-dir", state_dir] + (["--created-state-dir"] if created else [])
        log_path = os.path.join(state_dir, self.log_file)
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True,
                                    close_fds=True)
        deadline = time.monotonic() + a.timeout
        while time.monotonic() < deadline:
            if os.path.exists(state_file):
                print(state_file)
                return 0
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(self.up_kill_wait)
            except subprocess.TimeoutExpired:
                proc.kill()
        with open(log_path, errors="replace") as f:
            sys.stderr.write("%s did not come up; supervisor log:\n%s"
                             % (self.label, f.read()[-4000:]))
        if created:
            shutil.rmtree(state_dir, ignore_errors=True)
        return 1

    def locate_state(self, a: argparse.Namespace) -> str:
        if getattr(a, "state_file", None):
            return os.path.abspath(a.state_file)
        if not a.state_dir:
            raise SystemExit("--state-dir (or --state-file) is required")
        return os.path.join(os.path.abspath(a.state_dir), self.state_file)

    def read_state(self, a: argparse.Namespace) -> tuple[str, dict | None]:
        state_file = self.locate_state(a)
        try:
            with open(state_file) as f:
                return state_file, json.load(f)
        except FileNotFoundError:
            return state_file, None

    def cmd_down(self, a: argparse.Namespace) -> int:
        state_file, state = self.read_state(a)
        if state is None:
            print("no %s at %s" % (self.label, state_file), file=sys.stderr)
            return 0
        sup = state.get("supervisor_pid")
        if pid_alive(sup) and "_serve" in pid_cmdline(sup):
            os.kill(sup, signal.SIGTERM)
            deadline = time.monotonic() + self.down_wait
            while pid_alive(sup) and time.monotonic() < deadline:
                time.sleep(0.05)
            if pid_alive(sup):
                os.kill(sup, signal.SIGKILL)
        for pid, markers in self.leftovers(state):
            if pid_alive(pid) and any(m in pid_cmdline(pid) for m in markers):
                os.kill(pid, signal.SIGKILL)
        for d in state.get("temp_dirs", []):
            shutil.rmtree(d, ignore_errors=True)
        state_dir = state.get("state_dir") or os.path.dirname(state_file)
        if state.get("state_dir_created"):
            shutil.rmtree(state_dir, ignore_errors=True)
        else:
            for name in (self.state_file, self.env_file, self.log_file):
                try:
                    os.unlink(os.path.join(state_dir, name))
                except FileNotFoundError:
                    pass
        print("%s down" % self.label.lower())
        return 0

    def cmd_status(self, a: argparse.Namespace) -> int:
        _, state = self.read_state(a)
        if state is None:
            print("down")
            return 1
        alive = {str(p): pid_alive(p) for p in state.get("pids", [])}
        up = all(alive.values())
        print(json.dumps({"up": up, "pids": alive, **self.status_info(state)}))
        return 0 if up else 1
