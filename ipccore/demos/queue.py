"""Seed section "队列": 2 children pop from one SysV message queue, the master pushes 5.

Each child is created, given the queue with ``use_queue(key, mode)`` and started; the
master then ``push()``es the 5 greetings through the last object (``$process`` after the
seed's loop) and ``wait()``s for both. Each child pops, prints, and sleeps a second per
message. Three variants, as in the seed's commented-out lines:

* ``mode=2`` (the seed's): contention, the messages spread over both children, about
  two per second. The original then hangs (both children block in ``pop()``); here the
  master pushes one sentinel per child after the 5 messages, and each child stops on it.
* ``mode=1``: a child pops only messages tagged with its own object's ``id + 1``; every
  push went through child 2's object, so child 2 gets all 5 and child 1 nothing, forever
  in the original. Here child 2 stops on its sentinel, and only then the master pushes
  child 1's sentinel through child 1's own object, which frees it.
* ``nowait=True`` (``| IPC_NOWAIT``): ``pop()`` returns None on an empty queue and the
  child's loop ends there. In the seed that is a race: a child that pops before the
  master has pushed finds nothing and exits silently. So that the demo shows the usual
  outcome every time, each child here first waits for a note on its pipe that the master
  writes once it has pushed everything.

``key`` defaults to a fresh key so two runs never collide (``key=1`` is the seed's).
The master frees the queue at the end.
"""

from __future__ import annotations

import time

from ipccore import IPC_NOWAIT, MODE_BALANCE, MODE_ORIENT, Process
from ipccore.demos.text import MESSAGES, check_speed, lines, say
from ipccore.keys import KEY_MAX, fresh_key

SENTINEL = b"<stop>"
"""Pushed after the 5 messages: the child that pops it stops (the seed has no such end)."""
PUSHED = b"pushed"
"""With IPC_NOWAIT, the master's note to a child that the queue is filled."""


def _check(mode: object, nowait: object, key: object) -> None:
    if mode not in (MODE_ORIENT, MODE_BALANCE) or isinstance(mode, bool):
        raise ValueError(f"mode must be 1 (MODE_ORIENT) or 2 (MODE_BALANCE), not {mode!r}")
    if not isinstance(nowait, bool):
        raise TypeError(f"nowait must be a bool, not {type(nowait).__name__}")
    if key is not None and (isinstance(key, bool) or not isinstance(key, int)):
        raise TypeError(f"key must be an int, not {type(key).__name__}")
    if isinstance(key, int) and not 1 <= key <= KEY_MAX:
        raise ValueError(f"key must be in 1..{KEY_MAX:#x}, got {key}")


def main(
    speed: float = 1.0,
    lang: str = "en",
    mode: int = MODE_BALANCE,
    nowait: bool = False,
    key: int | None = None,
) -> int:
    """Run the scenario (about 3 s times ``speed``; 5 s with ``mode=1``); 0 on success."""
    second = check_speed(speed)
    t = lines(lang)
    _check(mode, nowait, key)
    queue_key = fresh_key() if key is None else key
    queue_mode = mode | IPC_NOWAIT if nowait else mode

    def child(worker: Process) -> None:
        if nowait:
            worker.read()
        while (msg := worker.pop()) is not None:
            if msg == SENTINEL:
                break
            say(t.queue_child.format(pid=worker.pid, msg=msg.decode()))
            time.sleep(1 * second)

    workers: list[Process] = []
    for _i in range(1, 3):
        process = Process(child)
        process.use_queue(queue_key, queue_mode)
        process.start()
        workers.append(process)

    for msg in MESSAGES:
        process.push(msg)

    first, last = workers
    if nowait:
        for worker in workers:
            worker.write(PUSHED)
        Process.wait(True)
        Process.wait(True)
        end = t.queue_end_nowait.format()
    elif mode == MODE_BALANCE:
        process.push(SENTINEL)
        process.push(SENTINEL)
        Process.wait(True)
        Process.wait(True)
        end = t.queue_end_balance.format()
    else:
        process.push(SENTINEL)
        Process.wait(True)
        first.push(SENTINEL)
        Process.wait(True)
        end = t.queue_end_orient.format(first=first.pid, last=last.pid)

    process.free_queue()
    say(end)
    return 0
