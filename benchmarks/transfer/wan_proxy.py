#!/usr/bin/env python3
"""A WAN in a box: a TCP proxy on loopback that adds latency and caps bandwidth.

    wan_proxy.py --upstream HOST:PORT [--delay-ms 10] [--rate 50e6] [--port-file F]

Listens on 127.0.0.1 (an ephemeral port, written to --port-file and stdout) and
relays every connection to --upstream. Each direction of each connection gets
--delay-ms of one-way delay (10 ms each way = a 20 ms round trip) and its own
token bucket of --rate bytes per second: a per-connection cap, as on a real path
where one TCP stream rarely gets the whole link, so clients that open several
connections at once profit as they would over a WAN. Bytes are forwarded as
read (up to 256 KiB at a time), each chunk released once its delay has passed
and the bucket has room, so a request/response exchange costs a full round trip
and a large body streams at the cap. Runs until killed (SIGTERM).

Used by transfer_bench.py for the *-wan operations: the clients never know the
proxy is there (the registry sees the proxy's address in the Host header and
answers with URLs that point back through it).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import socket
import time

CHUNK = 256 * 1024


async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
               delay: float, rate: float) -> None:
    """Copies reader -> writer: each chunk leaves `delay` after it arrived, paced
    to `rate` bytes/s. A queue decouples reading from the delayed writing so that
    the pipe keeps a full bandwidth-delay product in flight."""
    queue: asyncio.Queue = asyncio.Queue()

    async def read_side() -> None:
        next_free = time.monotonic()  # token bucket as a virtual finishing time
        try:
            while True:
                data = await reader.read(CHUNK)
                now = time.monotonic()
                if not data:
                    break
                next_free = max(next_free, now) + len(data) / rate
                # The chunk is on the far side once it has been "sent" at the capped
                # rate and then travelled for `delay`.
                queue.put_nowait((next_free + delay, data))
                # Back-pressure: do not read further ahead than the cap allows.
                if next_free - now > 0.05:
                    await asyncio.sleep(next_free - now - 0.05)
        except (ConnectionError, OSError):
            pass
        finally:
            queue.put_nowait((time.monotonic() + delay, b""))

    async def write_side() -> None:
        try:
            while True:
                due, data = await queue.get()
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            try:
                if writer.can_write_eof():
                    writer.write_eof()
            except (ConnectionError, OSError, RuntimeError):
                pass

    await asyncio.gather(read_side(), write_side())


async def serve(upstream: tuple[str, int], delay: float, rate: float, port_file: str) -> None:
    async def handle(creader: asyncio.StreamReader, cwriter: asyncio.StreamWriter) -> None:
        try:
            ureader, uwriter = await asyncio.open_connection(*upstream)
        except OSError:
            cwriter.close()
            return
        for w in (cwriter, uwriter):
            sock = w.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            await asyncio.gather(pump(creader, uwriter, delay, rate),
                                 pump(ureader, cwriter, delay, rate))
        finally:
            for w in (cwriter, uwriter):
                w.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, limit=CHUNK * 4)
    port = server.sockets[0].getsockname()[1]
    if port_file:
        with open(port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        import os
        os.replace(port_file + ".tmp", port_file)
    print(port, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True, help="HOST:PORT")
    ap.add_argument("--delay-ms", type=float, default=10.0, help="one-way delay per direction")
    ap.add_argument("--rate", type=float, default=50e6, help="bytes/s per connection and direction")
    ap.add_argument("--port-file", default="")
    a = ap.parse_args()
    host, _, port = a.upstream.rpartition(":")
    asyncio.run(serve((host, int(port)), a.delay_ms / 1000.0, a.rate, a.port_file))


if __name__ == "__main__":
    main()
