"""Seed section "信号": children SIGUSR2 the master, which SIGKILLs them all.

Two children sleep 3 s and 6 s, print a line and send SIGUSR2 to the master. The
master's SIGUSR2 handler prints and SIGKILLs every child; its SIGCHLD handler reaps with
non-blocking ``wait()`` in a loop and prints ``PID=`` per child; a 2 s ``Timer.tick``
keeps ``event_wait()`` running. So at about 3 s: child 1's line, the handler's line and
both reap lines at once; child 2 never reaches its 6 s.

The original runs forever (the tick never ends). Here the SIGCHLD handler clears the
timer once every child is reaped, so ``event_wait()`` returns and the demo says so. The
reap order is a race, in Swoole too.
"""

from __future__ import annotations

import os
import signal
import time

from ipccore import Process, Timer, event_wait
from ipccore.demos.text import check_speed, lines, say


def _keep_alive(*_args: object) -> None:
    """The seed's empty ``function () {}``: the tick only keeps the loop running."""


def main(speed: float = 1.0, lang: str = "en", **options: object) -> int:
    """Run the scenario (about 3 s times ``speed``); 0 on success."""
    second = check_speed(speed)
    t = lines(lang)
    if options:
        raise TypeError(f"the signal demo takes no options, got {sorted(options)}")

    ppid = os.getpid()
    workers: dict[int, Process] = {}
    for i in range(1, 3):

        def child(worker: Process, i: int = i) -> None:
            time.sleep(i * 3 * second)
            say(t.signal_child.format(pid=worker.pid, ppid=ppid))
            worker.kill(ppid, signal.SIGUSR2)
            # PHP's shutdown after the callback takes long enough that the master's
            # SIGKILL always finds the child alive (the seed's "结束所有子进程"); a Python
            # child would exit first. Linger (bounded) so the ending is the seed's.
            time.sleep(second)

        process = Process(child)
        pid = process.start()
        workers[pid] = process

    def on_usr2(_sig: int) -> None:
        say(t.signal_handler)
        for pid in workers:
            Process.kill(pid, signal.SIGKILL)

    reaped: set[int] = set()
    tick_ms = 2000 * second
    timer: int | None = None

    def on_chld(_sig: int) -> None:
        while ret := Process.wait(False):
            say(t.signal_reaped.format(pid=ret.pid))
            reaped.add(ret.pid)
        if timer is not None and reaped >= workers.keys():
            Timer.clear(timer)

    Process.signal(signal.SIGUSR2, on_usr2)
    Process.signal(signal.SIGCHLD, on_chld)
    timer = Timer.tick(tick_ms, _keep_alive)
    if reaped >= workers.keys():
        Timer.clear(timer)
    try:
        event_wait()
    finally:
        Process.signal(signal.SIGCHLD, None)
        Process.signal(signal.SIGUSR2, None)
    say(t.signal_end.format(ms=f"{tick_ms:g}"))
    return 0
