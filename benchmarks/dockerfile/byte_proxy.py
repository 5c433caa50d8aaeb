"""A TCP forwarder that counts the bytes it carries each way: put between the builders
and a registry, it measures what a build moved over the network, the same way for
every tool (no tool's own numbers are trusted)."""

from __future__ import annotations

import socket
import threading


class ByteProxy:
    """Listens on 127.0.0.1:<ephemeral> and forwards every connection to target."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.sent = 0      # client -> registry (uploads)
        self.received = 0  # registry -> client (downloads)
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self.hostport = "127.0.0.1:%d" % self.port
        threading.Thread(target=self._accept, daemon=True).start()

    def reset(self) -> None:
        with self._lock:
            self.sent = self.received = 0

    def total(self) -> int:
        with self._lock:
            return self.sent + self.received

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, upload: bool) -> None:
        try:
            while True:
                data = src.recv(1 << 16)
                if not data:
                    break
                dst.sendall(data)
                with self._lock:
                    if upload:
                        self.sent += len(data)
                    else:
                        self.received += len(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self._server.close()
