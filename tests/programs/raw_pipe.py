"""os.pipe + os.fork, no ipccore: the parent writes N messages, the child reads them.

Prints one line per message sent (``sent <n> <size> <text>``) so a test can compare
what the program says it did with what was observed. ``argv[1]``: messages (default 5);
``argv[2]``: seconds to wait before each write (default 0.05); ``argv[3]``: seconds to
linger after writing (default 0).
"""

import os
import sys
import time

count = int(sys.argv[1]) if len(sys.argv) > 1 else 5
pause = float(sys.argv[2]) if len(sys.argv) > 2 else 0.05
linger = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(w)
    got = 0
    while True:
        data = os.read(r, 65536)
        if not data:
            break
        got += len(data)
    os._exit(0 if got else 1)
os.close(r)
for i in range(count):
    time.sleep(pause)
    text = f"message {i} " + "x" * (i * 10)
    os.write(w, text.encode())
    print(f"sent {i} {len(text)} {text}", flush=True)
time.sleep(linger)
os.close(w)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
