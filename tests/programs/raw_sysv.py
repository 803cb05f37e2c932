"""No ipccore: a raw sysv_ipc producer (the parent) and consumer (a forked child).

The parent creates a private queue, forks the consumer, sends ``argv[1]`` messages and
prints ``sent N`` lines; the consumer prints ``got N``. On SIGUSR1 (or SIGTERM) the
parent sends ``stop``, waits for the consumer and removes the queue, so nothing leaks.
"""

import os
import signal
import sys
import time

import sysv_ipc


def say(line: str) -> None:
    """One line in one write: parent and child share stdout, and an unbuffered print()
    writes the text and its newline apart, so the other's line could land between."""
    os.write(1, f"{line}\n".encode())


count = int(sys.argv[1]) if len(sys.argv) > 1 else 3
queue = sysv_ipc.MessageQueue(None, sysv_ipc.IPC_CREX, mode=0o600)
say(f"queue {queue.id} {queue.key}")
pid = os.fork()
if pid == 0:
    code = 0
    try:
        while True:
            message, _type = queue.receive()
            if message == b"stop":
                break
            say(f"got {message.decode()}")
    except sysv_ipc.Error:
        code = 1
    finally:
        os._exit(code)

finishing = False


def finish(_signum: int, _frame: object) -> None:
    global finishing
    finishing = True


signal.signal(signal.SIGUSR1, finish)
signal.signal(signal.SIGTERM, finish)
for i in range(count):
    queue.send(f"job {i}".encode(), type=1)
    say(f"sent {i}")
say(f"producer {os.getpid()} consumer {pid}")
deadline = time.monotonic() + 60
while not finishing and time.monotonic() < deadline:
    time.sleep(0.02)
queue.send(b"stop")
os.waitpid(pid, 0)
queue.remove()
