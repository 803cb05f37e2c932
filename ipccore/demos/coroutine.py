"""Seed section "协程 exportSocket": the pipe scenario through coroutine sockets.

Like :mod:`ipccore.demos.pipe`, but each child is created with ``enable_coroutine=True``
and a SOCK_DGRAM pipe, and both sides talk through ``export_socket()`` (``await
send()``/``await recv()``); the master runs each exchange in its own ``run()`` (the
seed's ``Coroutine\\run``), then ``wait()``s for both children. Same 4 lines as the pipe
demo. No durations: ``speed`` is unused.
"""

from __future__ import annotations

import socket

from ipccore import Process, run
from ipccore.demos.text import check_speed, lines, say


def main(speed: float = 1.0, lang: str = "en", **options: object) -> int:
    """Run the scenario; 0 on success."""
    check_speed(speed)
    t = lines(lang)
    if options:
        raise TypeError(f"the coroutine demo takes no options, got {sorted(options)}")

    async def child(worker: Process) -> None:
        sock = worker.export_socket()
        data = (await sock.recv()).decode()
        say(t.pipe_child.format(pid=worker.pid, data=data))
        await sock.send(t.pipe_reply.format(pid=worker.pid, pipe=worker.pipe))

    workers: dict[int, Process] = {}
    for _i in range(1, 3):
        process = Process(child, False, socket.SOCK_DGRAM, True)
        pid = process.start()
        workers[pid] = process

    for pid, process in workers.items():

        async def talk(pid: int = pid, process: Process = process) -> None:
            sock = process.export_socket()
            await sock.send(t.pipe_greeting.format(pid=pid))
            data = (await sock.recv()).decode()
            say(t.pipe_master.format(pid=pid, data=data))

        run(talk)

    for _pid in workers:
        Process.wait()
    return 0
