"""Seed section "管道 Pipe", first script: the master and 2 children over their pipes.

For each child in start order the master ``write()``s a greeting down that child's pipe
and ``read()``s the reply; the child ``read()``s, prints, and ``write()``s back. Four
lines, strictly alternating child / master. The seed's ``var_dump($worker)`` is left out
(its own printed output leaves it out too); the monitor shows the same fields live.

The seed's master exits without ``wait()`` and lets init reap; here the master reaps both
children before returning, so nothing is left behind. No durations: ``speed`` is unused.
"""

from __future__ import annotations

from ipccore import Process
from ipccore.demos.text import check_speed, lines, say


def main(speed: float = 1.0, lang: str = "en", **options: object) -> int:
    """Run the scenario; 0 on success."""
    check_speed(speed)
    t = lines(lang)
    if options:
        raise TypeError(f"the pipe demo takes no options, got {sorted(options)}")

    def child(worker: Process) -> None:
        data = worker.read().decode()
        say(t.pipe_child.format(pid=worker.pid, data=data))
        worker.write(t.pipe_reply.format(pid=worker.pid, pipe=worker.pipe))

    workers: dict[int, Process] = {}
    for _i in range(1, 3):
        process = Process(child)
        pid = process.start()
        workers[pid] = process

    for pid, process in workers.items():
        process.write(t.pipe_greeting.format(pid=pid))
        data = process.read().decode()
        say(t.pipe_master.format(pid=pid, data=data))

    for _pid in workers:
        Process.wait()
    return 0
