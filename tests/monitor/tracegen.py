"""A synthetic recording of any length, written fast, for the trace exporter's memory test.

Every line passes ``read_recording``'s checks. Each round: a write from the master and its
read in child 1, the reply and its read, a push and its pop, a cpu/rss sample, a queue depth
sample and, every 50th round, a write no one reads (it must end up without an arrow) and a
signal sent and handled.
"""

from __future__ import annotations

from pathlib import Path

MASTER, CHILD = 4000, 4001
KEY, MSQID = 0x1234, 77
T0 = 1_700_000_000.0


class _Lines:
    """Numbered, timed NDJSON lines (seq and ts increase by one step per line)."""

    def __init__(self) -> None:
        self.seq = 0
        self.t = T0
        self.batch: list[str] = []

    def add(self, pid: int, kind: str, rest: str) -> None:
        self.seq += 1
        self.t += 0.00001
        self.batch.append(
            f'{{"v":1,"seq":{self.seq},"ts":{self.t!r},"pid":{pid},"kind":"{kind}",{rest}}}')

    def take(self) -> str:
        text = "\n".join(self.batch) + "\n"
        self.batch.clear()
        return text


def write_recording(path: Path, n_events: int) -> int:
    """Write at least ``n_events`` events (whole rounds); returns how many were written."""
    out = _Lines()
    out.add(MASTER, "proc.hello", '"role":"master","ppid":1,"name":"python","id":null,'
            '"pipe_type":null,"fd":null')
    out.add(MASTER, "proc.spawn", f'"child":{CHILD},"id":1,"pipe_type":2,"fd":4,'
            '"redirect":false,"coroutine":false')
    rounds = 0
    with path.open("w", encoding="ascii") as f:
        while out.seq < n_events:
            rounds += 1
            text = f"message {rounds % 997}"
            n = len(text)
            msg = f'"nbytes":{n},"preview":"{text}","via":"pipe"'
            out.add(MASTER, "pipe.write", f'"fd":4,"to":{CHILD},{msg}')
            out.add(CHILD, "pipe.read", f'"fd":5,"from":{MASTER},{msg}')
            out.add(CHILD, "pipe.write", f'"fd":5,"to":{MASTER},{msg}')
            out.add(MASTER, "pipe.read", f'"fd":4,"from":{CHILD},{msg}')
            q = f'"key":{KEY},"msqid":{MSQID},"mtype":1,"nbytes":{n},"preview":"{text}"'
            out.add(MASTER, "queue.push", q)
            out.add(CHILD, "queue.pop", q)
            out.add(CHILD, "proc.stats", f'"cpu":12.5,"rss":{20_000_000 + rounds % 1000},'
                    '"state":"running","threads":1,"name":"python"')
            out.add(MASTER, "queue.depth", f'"key":{KEY},"msqid":{MSQID},"qnum":{rounds % 3},'
                    f'"cbytes":{rounds % 300},"qbytes":16384')
            if rounds % 50 == 0:
                out.add(MASTER, "pipe.write", f'"fd":4,"to":{CHILD},"nbytes":7,'
                        f'"preview":"lost {rounds % 100:02d}","via":"pipe"')
                out.add(MASTER, "signal.send", f'"to":{CHILD},"signal":10,"name":"SIGUSR1",'
                        '"ok":true')
                out.add(CHILD, "signal.handle", '"signal":10,"name":"SIGUSR1"')
            f.write(out.take())
    return out.seq
