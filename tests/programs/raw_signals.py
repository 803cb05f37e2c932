"""No ipccore: handles SIGUSR1, blocks SIGUSR2, ignores SIGHUP, then waits to be ended.

Prints ``ready`` once the dispositions are in place; counts the SIGUSR1 it handles.
"""

import signal
import sys
import time

handled = 0


def on_usr1(_signum: int, _frame: object) -> None:
    global handled
    handled += 1
    print(f"handled SIGUSR1 {handled}", flush=True)


signal.signal(signal.SIGUSR1, on_usr1)
signal.signal(signal.SIGHUP, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR2})
print("ready", flush=True)
deadline = time.monotonic() + float(sys.argv[1] if len(sys.argv) > 1 else 60)
while time.monotonic() < deadline:
    time.sleep(0.05)
