"""The chapter after the seed: ``Process\\Pool``. 3 workers take 12 jobs from a SysV
queue; worker #1 is SIGKILLed in the middle of a job, comes back under a new pid, and
no job is lost.

Three kinds of process, all visible in the monitor:

* **this process** (the producer): starts the pool's master, pushes the 12 jobs into
  the pool's queue, reads the workers' reports from a second queue of its own, SIGKILLs
  worker #1 right after it has taken its 3rd job, and once every job is reported done
  sends SIGTERM to the master;
* **the master** (``Pool.start()``): restarts worker #1 under a new pid and gives the
  job it held back to the queue; on SIGTERM it stops the workers, waits for them and
  removes its queue;
* **3 workers**: each job takes 0.4 s (times ``--speed``); a worker reports "took" and
  "done" for every job.

There is no pool in the seed, so ``--lang zh`` prints the same English lines. Both
queues use keys of their own (``fresh_key``), never a shared one.
"""

from __future__ import annotations

import os
import signal
import time

from ipccore import Process
from ipccore.constants import IPC_MSGQUEUE
from ipccore.demos.text import OWN, check_speed, lines, say
from ipccore.keys import fresh_key
from ipccore.pool import Pool

JOBS = 12
VICTIM = 1
"""The worker id that is SIGKILLed."""
KILL_AT = 3
"""Worker #1 is killed right after taking its ``KILL_AT``-th job."""


def _pool(jobs_key: int, reports_key: int, second: float) -> Pool:
    pool = Pool(3, IPC_MSGQUEUE, jobs_key)
    pool.set(max_wait_time=max(5.0, 10 * second))

    def start(p: Pool, wid: int) -> None:
        p.get_process().use_queue(reports_key)
        say(f"worker #{wid} (pid {os.getpid()}) is up")

    def message(p: Pool, data: bytes) -> None:
        me = p.get_process()
        me.push(f"took {p.worker_id} {os.getpid()} {data.decode()}")
        time.sleep(0.4 * second)
        say(f"worker #{p.worker_id} (pid {os.getpid()}) did {data.decode()}")
        me.push(f"done {p.worker_id} {os.getpid()} {data.decode()}")

    pool.on("WorkerStart", start)
    pool.on("Message", message)
    pool.on("WorkerStop", lambda p, wid: say(f"worker #{wid} (pid {os.getpid()}) stops"))
    return pool


def _wait_for_queue(key: int, master: int) -> None:
    """Until the master has made the jobs queue (it does so before forking workers)."""
    from ipccore._sysv import read_table

    while not any(row.key == key for row in read_table().values()):
        if Process.kill(master, 0) is False:
            raise RuntimeError("the pool's master ended before making its queue")
        time.sleep(0.01)


def main(speed: float = 1.0, lang: str = "en") -> int:
    """Run the scenario (about 3 s times ``speed``); 0 when every job was done."""
    second = check_speed(speed)
    lines(lang)  # checks lang; the pool has no seed lines of its own
    jobs_key, reports_key = fresh_key(), fresh_key()
    reports = Process(lambda w: None, pipe_type=0)
    reports.use_queue(reports_key)
    pool = _pool(jobs_key, reports_key, second)
    master = Process(lambda w: pool.start(), pipe_type=0)
    master_pid = master.start()
    try:
        _wait_for_queue(jobs_key, master_pid)
        producer = Process(lambda w: None, pipe_type=0)
        producer.use_queue(jobs_key)
        for n in range(1, JOBS + 1):
            producer.push(f"job {n}")
        say(f"{OWN}pushed {JOBS} jobs into queue {jobs_key:#x}")
        done: dict[str, str] = {}
        taken_by_victim = 0
        killed: tuple[str, str] | None = None
        while len(done) < JOBS:
            report = reports.pop()
            assert report is not None
            what, wid, pid, job = report.decode().split(" ", 3)
            if what == "done":
                done[job] = pid
            elif wid == str(VICTIM) and killed is None:
                taken_by_victim += 1
                if taken_by_victim == KILL_AT:
                    say(f"{OWN}SIGKILL worker #{wid} (pid {pid}) in the middle of {job}")
                    Process.kill(int(pid), signal.SIGKILL)
                    killed = (pid, job)
        if killed is not None:
            pid, job = killed
            if done[job] == pid:
                say(f"{OWN}{job} had finished just before the SIGKILL landed")
            else:
                say(f"{OWN}{job} was given back and done by pid {done[job]} "
                    f"(worker #{VICTIM} was pid {pid})")
        say(f"{OWN}all {JOBS} jobs done, none lost; stopping the pool")
    finally:
        Process.kill(master_pid, signal.SIGTERM)
        result = Process.wait(True)
        reports.free_queue()
    ok = result is not None and result.code == 0 and result.signal == 0
    say(f"{OWN}the pool's master ended ({'cleanly' if ok else result})")
    return 0 if ok and len(done) == JOBS else 1
