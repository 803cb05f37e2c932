"""The issue's targets, each tied to a case and the pair of variants it compares."""

from __future__ import annotations

from bench.report import Target

_MONITORED = (("pipe-pingpong", "pipe ping-pong"), ("pipe-oneway", "pipe flood"),
              ("queue-pingpong", "queue ping-pong"), ("queue-oneway", "queue flood"))

# Parallel data: one Target per row, alike by design (the duplicate finder pairs them).
TARGETS = [
    Target("pipe ping-pong DGRAM ≥ 0.92 of raw", "pipe-pingpong-dgram", "ipccore",
           "raw socketpair", min_ratio=0.92),
    Target("pipe ping-pong STREAM ≥ 0.92 of raw", "pipe-pingpong-stream", "ipccore",
           "raw socketpair", min_ratio=0.92),
    Target("pipe one-way 64 B DGRAM ≥ 0.92", "pipe-oneway-64b-dgram", "ipccore",
           "raw socketpair", min_ratio=0.92),
    Target("pipe one-way 4 KiB DGRAM ≥ 0.92", "pipe-oneway-4k-dgram", "ipccore",
           "raw socketpair", min_ratio=0.92),
    Target("pipe one-way 64 B STREAM ≥ 0.92", "pipe-oneway-64b-stream", "ipccore",
           "raw socketpair", min_ratio=0.92),
    Target("pipe one-way 4 KiB STREAM ≥ 0.92", "pipe-oneway-4k-stream", "ipccore",
           "raw socketpair", min_ratio=0.92),
    Target("coroutine ping-pong ≥ 1.5× asyncio streams", "coroutine-pingpong",
           "ipccore export_socket STREAM", "asyncio streams", min_ratio=1.5),
    Target("queue one-way 64 B ≥ 0.90 of sysv_ipc", "queue-oneway-64b", "ipccore",
           "raw sysv_ipc", min_ratio=0.90),
    Target("queue one-way 8 KiB ≥ 0.90 of sysv_ipc", "queue-oneway-8k", "ipccore",
           "raw sysv_ipc", min_ratio=0.90),
    Target("queue contention ≥ 0.90 of sysv_ipc", "queue-contention", "ipccore",
           "raw sysv_ipc", min_ratio=0.90),
    Target("spawn ≤ 1.5× the cost of os.fork", "spawn", "ipccore", "os.fork",
           min_ratio=1 / 1.5),
    Target("spawn faster than multiprocessing fork", "spawn", "ipccore",
           "mp.Process fork", min_ratio=1.0),
    *(Target(f"monitor, default mode: {what} ≤ 1.25× slowdown", f"monitor-{work}",
             "ipccore + collector", "ipccore", min_ratio=0.8) for work, what in _MONITORED),
    *(Target(f"monitor, full mode: {what} ≤ 2.5× slowdown", f"monitor-{work}",
             "ipccore + collector, full", "ipccore", min_ratio=0.4)
      for work, what in _MONITORED),
    Target("UI ingestion ≥ 20,000 events/s", "ui-ingest", "tui app", None,
           min_rate=20_000),
]
