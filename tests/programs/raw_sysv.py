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

count = int(sys.argv[1]) if len(sys.argv) > 1 else 3
queue = sysv_ipc.MessageQueue(None, sysv_ipc.IPC_CREX, mode=0o600)
print(f"queue {queue.id} {queue.key}", flush=True)
pid = os.fork()
if pid == 0:
    code = 0
    try:
        while True:
            message, _type = queue.receive()
            if message == b"stop":
                break
            print(f"got {message.decode()}", flush=True)
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
    print(f"sent {i}", flush=True)
print(f"producer {os.getpid()} consumer {pid}", flush=True)
deadline = time.monotonic() + 60
while not finishing and time.monotonic() < deadline:
    time.sleep(0.02)
queue.send(b"stop")
os.waitpid(pid, 0)
queue.remove()
