"""Coroutine socket ping-pong: ``export_socket()`` against the two asyncio ways.

Both ends run an asyncio loop. Baselines: asyncio streams (``open_connection(sock=...)``,
the usual high-level API) and ``loop.sock_sendall``/``loop.sock_recv`` on a raw
socketpair (the same system calls with only the loop on top). All on SOCK_STREAM so the
streams baseline applies; ipccore also runs on its default DGRAM pipe for reference.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from typing import Any

from bench.cases import missing
from bench.harness import Case, Runner, Variant
from bench.procs import children, expect_ok, running

STOP = b"!"
ACK = b"k"
MSG = b"x" * 64

# Each variant writes out its own child and timed loop (not shared) so it measures its
# own API inline, with no extra call per message; the duplicate finder pairs them by shape.


def streams() -> Runner:
    def run(n: int) -> float:
        a, b = socket.socketpair()
        with children() as kids, a, b:

            async def child_main() -> None:
                reader, writer = await asyncio.open_connection(sock=b)
                writer.write(ACK)
                await writer.drain()
                while (data := await reader.read(8192)) not in (STOP, b""):
                    writer.write(data)
                    await writer.drain()
                writer.close()

            def child() -> None:
                a.close()
                asyncio.run(child_main())

            async def main() -> float:
                reader, writer = await asyncio.open_connection(sock=a)
                await reader.read(8192)
                start = time.perf_counter()
                for _ in range(n):
                    writer.write(MSG)
                    await writer.drain()
                    await reader.read(8192)
                elapsed = time.perf_counter() - start
                writer.write(STOP)
                await writer.drain()
                writer.close()
                return elapsed

            pid = kids.fork(child)
            b.close()
            elapsed = asyncio.run(main())
            expect_ok(kids.reap(pid), "streams child")
            return elapsed

    return run


def sock_calls() -> Runner:
    def run(n: int) -> float:
        a, b = socket.socketpair()
        a.setblocking(False)
        b.setblocking(False)
        with children() as kids, a, b:

            async def child_main() -> None:
                loop = asyncio.get_running_loop()
                await loop.sock_sendall(b, ACK)
                while (data := await loop.sock_recv(b, 8192)) not in (STOP, b""):
                    await loop.sock_sendall(b, data)

            def child() -> None:
                a.close()
                asyncio.run(child_main())

            async def main() -> float:
                loop = asyncio.get_running_loop()
                await loop.sock_recv(a, 8192)
                start = time.perf_counter()
                for _ in range(n):
                    await loop.sock_sendall(a, MSG)
                    await loop.sock_recv(a, 8192)
                elapsed = time.perf_counter() - start
                await loop.sock_sendall(a, STOP)
                return elapsed

            pid = kids.fork(child)
            b.close()
            elapsed = asyncio.run(main())
            expect_ok(kids.reap(pid), "sock_* child")
            return elapsed

    return run


def exported(pipe_type: int, uvloop: bool = True) -> Runner:
    """Both ends on ``export_socket()``: the child with ``enable_coroutine=True``.

    ``run()`` takes uvloop's loop when it is installed; ``uvloop=False`` sets
    ``IPCCORE_UVLOOP=0`` (inherited by the child) for the stock asyncio loop."""

    def run(n: int) -> float:
        if uvloop:
            return _exported(pipe_type, n)
        os.environ["IPCCORE_UVLOOP"] = "0"
        try:
            return _exported(pipe_type, n)
        finally:
            del os.environ["IPCCORE_UVLOOP"]

    return run


def _exported(pipe_type: int, n: int) -> float:
    import ipccore
    from ipccore import Process

    async def callback(worker: Any) -> None:
        sock = worker.export_socket()
        await sock.send(ACK)
        while (data := await sock.recv()) not in (STOP, b""):
            await sock.send(data)

    result: list[float] = []

    async def main() -> None:
        sock = proc.export_socket()
        await sock.recv()
        start = time.perf_counter()
        for _ in range(n):
            await sock.send(MSG)
            await sock.recv()
        result.append(time.perf_counter() - start)
        await sock.send(STOP)

    proc = Process(callback, pipe_type=pipe_type, enable_coroutine=True)
    with children() as kids, running(kids, proc) as pid:
        ipccore.run(main)
        expect_ok(kids.reap(pid), "ipccore coroutine child")
    return result[0]


def cases() -> list[Case]:
    core = missing("ipccore", "Process", "run")
    return [
        Case(
            "coroutine-pingpong",
            "coroutine socket ping-pong, 64 B",
            "round trip",
            (
                Variant("ipccore export_socket STREAM", exported(1), core),
                Variant("ipccore export_socket DGRAM", exported(2), core),
                Variant("ipccore export_socket STREAM, asyncio loop", exported(1, False),
                        core),
                Variant("asyncio streams", streams()),
                Variant("asyncio sock_sendall/sock_recv", sock_calls()),
            ),
            base="asyncio sock_sendall/sock_recv",
            n0=1000,
        )
    ]
