"""Any ipccore start: opens (then frees) a queue at argv[1]; reclaims dead masters' queues."""

from __future__ import annotations

import sys

from ipccore import Process

p = Process(lambda w: None, pipe_type=0)
p.use_queue(int(sys.argv[1]))
p.free_queue()
