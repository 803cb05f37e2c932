"""Seed section "管道 Pipe", second script: child 2 writes to child 1 through child 1's object.

Child 1 loops on ``read()``. Child 2 was forked after child 1 started, so it holds child
1's ``Process`` object (the master's end of child 1's pipe): it ``write()``s the 5
greetings to it, one per second, then ``kill()``s child 1 with SIGKILL. The master
``wait()``s twice. The seed prints nothing after the 5 lines; the demo adds one clearly
marked line per reaped child, so the ending (child 1 killed, child 2 exited) is visible.
"""

from __future__ import annotations

import signal
import time

from ipccore import Process
from ipccore.demos.text import MESSAGES, check_speed, lines, say
from ipcevents.events import signal_name


def main(speed: float = 1.0, lang: str = "en", **options: object) -> int:
    """Run the scenario (about 6 s times ``speed``); 0 on success."""
    second = check_speed(speed)
    t = lines(lang)
    if options:
        raise TypeError(f"the sibling demo takes no options, got {sorted(options)}")

    def first(worker: Process) -> None:
        while True:
            data = worker.read()
            if data:
                say(t.sibling_child.format(pid=worker.pid, data=data.decode()))
            else:
                # End of file: every writer is gone. The seed's loop would spin here.
                break

    process1 = Process(first)
    process1.start()

    messages = MESSAGES

    def second_child(worker: Process) -> None:
        for msg in messages:
            time.sleep(1 * second)
            process1.write(t.sibling_message.format(pid=worker.pid, msg=msg))
        time.sleep(1 * second)
        assert process1.pid is not None
        worker.kill(process1.pid, signal.SIGKILL)

    process2 = Process(second_child)
    process2.start()
    for _ in range(2):
        reaped = Process.wait(True)
        if reaped is None:
            break
        if reaped.signal:
            say(t.sibling_reaped_killed.format(pid=reaped.pid, signal=signal_name(reaped.signal)))
        else:
            say(t.sibling_reaped_exited.format(pid=reaped.pid, code=reaped.code))
    return 0
