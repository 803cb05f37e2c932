"""The playground: a master with three idle children that the monitor drives by hand.

``python -m ipccore.demos.playground [--speed F]`` (run by ``python -m tui`` through the
live source). Children 1 and 2 wait on their pipes and print what they get; child 3 pops
from a SysV queue of a fresh key and prints what it pops. Every child handles SIGUSR1,
SIGUSR2 and SIGHUP by printing a line, so signals sent from the panel are visible; the
other signals keep their default action (SIGSTOP/SIGCONT stop and resume, SIGTERM,
SIGINT and SIGKILL end the child). The master reaps children as they end and exits,
removing the queue, once none is left.
"""

from __future__ import annotations

import argparse
import signal
import sys

from ipccore import Process
from ipccore.keys import fresh_key

CHILDREN = 3
HANDLED = (signal.SIGUSR1, signal.SIGUSR2, signal.SIGHUP)


def _say(text: str) -> None:
    print(text, flush=True)


def _handle(signum: int) -> None:
    _say(f"child got {signal.Signals(signum).name}")


def _pipe_child(worker: Process) -> None:
    for signum in HANDLED:
        Process.signal(signum, _handle)
    _say(f"child {worker.pid} waits on its pipe")
    while data := worker.read():
        _say(f"child {worker.pid} read: {data.decode('utf-8', 'backslashreplace')}")


def _queue_child(worker: Process) -> None:
    for signum in HANDLED:
        Process.signal(signum, _handle)
    _say(f"child {worker.pid} waits on the queue")
    while (data := worker.pop()) is not None:
        _say(f"child {worker.pid} popped: {data.decode('utf-8', 'backslashreplace')}")


def _terminated(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """Start the children, reap them as they end; 0 once all are gone."""
    parser = argparse.ArgumentParser(prog="python -m ipccore.demos.playground")
    parser.add_argument("--speed", type=float, default=1.0, help="accepted, unused")
    parser.parse_args(argv)
    workers = [Process(_pipe_child) for _ in range(CHILDREN - 1)]
    queue_worker = Process(_queue_child)
    queue_worker.use_queue(fresh_key(), 2)
    workers.append(queue_worker)
    for worker in workers:
        worker.start()
    # Installed after the forks so only the master has it: a SIGTERM (the monitor's stop)
    # unwinds through ``finally`` and removes the queue.
    signal.signal(signal.SIGTERM, _terminated)
    _say(f"playground: {CHILDREN} children idle; drive them from the monitor")
    try:
        for _ in workers:
            Process.wait(True)
    finally:
        queue_worker.free_queue()
    return 0


if __name__ == "__main__":
    sys.exit(main())
