"""``monitor.end`` is the last event of a stream, whoever injects after it (the sampler's
loop, the intake's reject counter): a late sample is dropped, not recorded or served."""

from __future__ import annotations

import json
from pathlib import Path

from ipccore.monitor.stream import Stream


def test_nothing_after_monitor_end(tmp_path: Path) -> None:
    path = tmp_path / "run.ndjson"
    stream = Stream(0.0, path, 100)
    stream.open()
    assert stream.inject("proc.stats", {"rss": 1}, pid=10) is not None
    stream.inject("monitor.end", {"code": 0, "signal": None})
    stream.release(float("inf"))
    stream.finish()
    assert stream.inject("proc.stats", {"rss": 2}, pid=10) is None
    assert stream.inject("queue.depth", {"msqid": 1, "qnum": 0}) is None
    stream.release(float("inf"))
    stream.close_record()
    kinds = [json.loads(line)["kind"] for line in path.read_text().splitlines()]
    served = [event.kind for event in stream.take_served()]
    assert kinds == served == ["proc.stats", "monitor.end"]
