"""``python -m ipccore export``: committed recordings as Perfetto / Chrome traces, checked
against the format's rules, and a generated million-event recording in bounded memory."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from ipcevents.events import Event
from ipcevents.perfetto import TraceWriter, export, export_file
from ipcevents.replay import read_recording
from tests.monitor.tracegen import write_recording

RECORDINGS = Path(__file__).resolve().parents[1] / "data" / "recordings"
DEMOS = sorted(p.stem for p in RECORDINGS.glob("*.ndjson"))
ROOT = Path(__file__).resolve().parents[2]


def trace_of(path: Path, tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / f"{path.stem}.json"
    export_file(path, out)
    trace: dict[str, Any] = json.loads(out.read_text(encoding="ascii"))
    return trace


def check_rules(trace: dict[str, Any]) -> list[dict[str, Any]]:
    """The rules every export keeps; returns the trace events."""
    assert trace["displayTimeUnit"] == "ns"
    events: list[dict[str, Any]] = trace["traceEvents"]
    names = {e["pid"]: e["args"]["name"] for e in events
             if e["ph"] == "M" and e["name"] == "process_name"}
    sort = {e["pid"]: e["args"]["sort_index"] for e in events
            if e["ph"] == "M" and e["name"] == "process_sort_index"}
    used = {e["pid"] for e in events if e["ph"] != "M" and e.get("s") != "g"}
    for pid in used:
        assert names.get(pid, "").startswith(f"{pid} "), f"pid {pid} has no name"
        assert pid in sort
    assert sorted(sort.values()) == list(range(len(sort)))
    outs: dict[int, dict[str, Any]] = {}
    ins: dict[int, list[dict[str, Any]]] = {}
    for e in events:
        assert e["ph"] in ("X", "i", "C", "M"), e
        if e["ph"] == "X":
            assert e["dur"] >= 0
            assert e["ts"] >= 0
        if e["ph"] != "X":
            assert "bind_id" not in e
        if e.get("flow_out"):
            assert e["bind_id"] not in outs
            outs[e["bind_id"]] = e
        if e.get("flow_in"):
            ins.setdefault(e["bind_id"], []).append(e)
    assert set(outs) == set(ins)
    for bind, source in outs.items():
        assert len(ins[bind]) == 1
        assert ins[bind][0]["pid"] != source["pid"]
    return events


@pytest.mark.parametrize("demo", DEMOS)
def test_demo_recording_keeps_the_rules(demo: str, tmp_path: Path) -> None:
    path = RECORDINGS / f"{demo}.ndjson"
    events = check_rules(trace_of(path, tmp_path))
    recorded = list(read_recording(path))
    slices = [e for e in events if e["ph"] == "X"]
    kinds = Counter(e["name"] for e in slices)
    for kind in ("pipe.write", "pipe.read", "queue.push", "queue.pop", "signal.send",
                 "signal.handle"):
        assert kinds[kind] == sum(1 for r in recorded if r.kind == kind), kind
    assert {e["args"]["seq"] for e in slices} <= {r.seq for r in recorded}


def test_pipe_demo_every_write_has_its_arrow(tmp_path: Path) -> None:
    path = RECORDINGS / "pipe.ndjson"
    events = check_rules(trace_of(path, tmp_path))
    writes = [r for r in read_recording(path) if r.kind == "pipe.write"]
    assert writes
    flows = [e for e in events if e.get("flow_out")]
    assert len(flows) == len(writes)
    assert all(e["name"] == "pipe.write" for e in flows)
    by_bind = {e["bind_id"]: e for e in events if e.get("flow_in")}
    for out in flows:
        read = by_bind[out["bind_id"]]
        assert read["name"] == "pipe.read"
        assert read["args"]["from"] == out["pid"]
        assert read["pid"] == out["args"]["to"]
        assert read["args"]["preview"] == out["args"]["preview"]


def test_processes_named_in_spawn_order(tmp_path: Path) -> None:
    events = check_rules(trace_of(RECORDINGS / "sibling.ndjson", tmp_path))
    order = sorted((e["args"]["sort_index"], e["pid"]) for e in events
                   if e["name"] == "process_sort_index")
    names = {e["pid"]: e["args"]["name"] for e in events if e["name"] == "process_name"}
    labels = [names[pid].split(" ", 1)[1] for _index, pid in order]
    assert labels[:3] == ["master", "child #1", "child #2"]


def test_queue_demo_has_counters_and_push_pop_arrows(tmp_path: Path) -> None:
    path = RECORDINGS / "queue.ndjson"
    events = check_rules(trace_of(path, tmp_path))
    counters = [e for e in events if e["ph"] == "C"]
    depth = [e for e in counters if e["name"].endswith(" depth")]
    size = [e for e in counters if e["name"].endswith(" bytes")]
    samples = [r for r in read_recording(path) if r.kind == "queue.depth"]
    assert len(depth) == len(size) == len(samples) > 0
    assert [e["args"]["messages"] for e in depth] == [r.get("qnum") for r in samples]
    assert [e["args"]["cbytes"] for e in size] == [r.get("cbytes") for r in samples]
    assert any(e["name"] == "cpu" for e in counters)
    assert any(e["name"] == "rss" and e["args"]["bytes"] > 0 for e in counters)
    pushes = sum(1 for r in read_recording(path) if r.kind == "queue.push")
    arrows = [e for e in events if e.get("flow_out") and e["name"] == "queue.push"]
    assert 0 < len(arrows) <= pushes


def test_signal_demo_send_to_handle_arrow(tmp_path: Path) -> None:
    events = check_rules(trace_of(RECORDINGS / "signal.ndjson", tmp_path))
    sends = {e["bind_id"]: e for e in events if e.get("flow_out") and e["name"] == "signal.send"}
    handles = [e for e in events if e.get("flow_in") and e["name"] == "signal.handle"]
    assert sends
    assert len(handles) == len(sends)
    for handle in handles:
        send = sends[handle["bind_id"]]
        assert send["args"]["to"] == handle["pid"]
        assert send["args"]["signal"] == handle["args"]["signal"]
    instants = {e["name"] for e in events if e["ph"] == "i"}
    assert {"proc.spawn", "proc.reap"} <= instants
    assert all(e["s"] == "p" for e in events if e["ph"] == "i")


@pytest.mark.parametrize("demo", DEMOS)
def test_same_recording_same_bytes(demo: str, tmp_path: Path) -> None:
    path = RECORDINGS / f"{demo}.ndjson"
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    export_file(path, a)
    export_file(path, b)
    assert a.read_bytes() == b.read_bytes()


def ev(seq: int, ts: float, pid: int, kind: str, **fields: Any) -> Event:
    return Event(seq, ts, pid, kind, fields)


def run(events: list[Event], **kwargs: Any) -> list[dict[str, Any]]:
    out = io.StringIO()
    writer = TraceWriter(out, **kwargs)
    for event in events:
        writer.add(event)
    writer.close()
    return check_rules(json.loads(out.getvalue()))


def test_aggregate_is_one_slice_with_its_count() -> None:
    events = run([
        ev(1, 100.0, 10, "proc.spawn", child=11, id=1),
        ev(2, 100.5, 10, "pipe.write", to=11, nbytes=640, preview="x", count=10, ts0=100.1),
        ev(3, 100.6, 11, "pipe.read", **{"from": 10}, nbytes=640, preview="x", count=10,
           ts0=100.2),
        ev(4, 100.7, 10, "pipe.write", to=11, nbytes=1, preview="y"),
    ])
    bursts = [e for e in events if e["ph"] == "X" and "×" in e["name"]]
    assert [e["name"] for e in bursts] == ["pipe.write ×10", "pipe.read ×10"]
    write = bursts[0]
    assert write["args"]["count"] == 10
    assert write["dur"] == pytest.approx(400_000, abs=0.01)
    assert write["tid"] != write["pid"]  # a track of its own
    tracks = {e["tid"]: e["args"]["name"] for e in events if e["name"] == "thread_name"}
    assert tracks[write["tid"]] == "pipe.write bursts"
    assert not any("bind_id" in e for e in bursts)


def test_unread_writes_get_no_arrow_and_memory_is_bounded() -> None:
    events = [ev(1, 1.0, 10, "proc.spawn", child=11, id=1)]
    events += [ev(2 + i, 2.0 + i, 10, "pipe.write", to=11, nbytes=3, preview=f"{i:03d}")
               for i in range(10)]
    # Only the newest four are still held when the reads come: older ones were let go.
    events += [ev(20 + i, 20.0 + i, 11, "pipe.read", **{"from": 10}, nbytes=3,
                  preview=f"{i:03d}") for i in (0, 7, 9)]
    out = run(events, pending_max=4)
    assert sum(1 for e in out if e["ph"] == "X") == 13
    arrows = [e["args"]["preview"] for e in out if e.get("flow_out")]
    assert arrows == ["007", "009"]


def test_merged_signals_get_one_arrow() -> None:
    out = run([
        ev(1, 1.0, 10, "proc.spawn", child=11, id=1),
        ev(2, 1.1, 10, "signal.send", to=11, signal=10, name="SIGUSR1", ok=True),
        ev(3, 1.2, 10, "signal.send", to=11, signal=10, name="SIGUSR1", ok=True),
        ev(4, 1.3, 11, "signal.handle", signal=10, name="SIGUSR1"),
        ev(5, 1.4, 11, "signal.handle", signal=10, name="SIGUSR1"),
        ev(6, 1.5, 10, "signal.send", to=11, signal=9, name="SIGKILL", ok=False),
    ])
    arrows = [e for e in out if e.get("flow_out")]
    assert [e["args"]["seq"] for e in arrows] == [2]
    assert sum(1 for e in out if e["name"] == "signal.send") == 3


def test_monitor_injection_names_the_monitor() -> None:
    out = run([
        ev(1, 1.0, 10, "proc.spawn", child=11, id=1),
        ev(2, 1.1, 99, "pipe.write", to=11, nbytes=2, preview="hi", via="monitor"),
        ev(3, 1.2, 11, "pipe.read", **{"from": 99}, nbytes=2, preview="hi"),
    ])
    names = {e["pid"]: e["args"]["name"] for e in out if e["name"] == "process_name"}
    assert names == {10: "10 master", 11: "11 child #1", 99: "99 monitor"}


def test_any_program_is_named_by_its_command() -> None:
    out = run([
        ev(1, 1.0, 20, "proc.seen", ppid=1, cmd="/usr/bin/python3 /tmp/prog.py --fast"),
        ev(2, 1.1, 20, "io.stdout", line="hi"),
    ])
    names = {e["pid"]: e["args"]["name"] for e in out if e["name"] == "process_name"}
    assert names == {20: "20 python3 prog.py"}


def test_untrusted_text_stays_data(tmp_path: Path) -> None:
    nasty = '"}],"x":1,\u202e[bold]\x1b[2J\\'
    out = run([ev(1, 1.0, 10, "io.stdout", line=nasty)])
    assert [e["args"]["line"] for e in out if e["name"] == "io.stdout"] == [nasty]


def test_cli_writes_beside_or_where_told(tmp_path: Path) -> None:
    src = tmp_path / "run.ndjson"
    src.write_bytes((RECORDINGS / "pipe.ndjson").read_bytes())
    done = subprocess.run([sys.executable, "-m", "ipccore", "export", str(src)],
                          capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "run.trace.json").is_file()
    assert "run.trace.json" in done.stdout
    out = tmp_path / "elsewhere.json"
    done = subprocess.run([sys.executable, "-m", "ipccore", "export", str(src), "-o", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert done.returncode == 0
    check_rules(json.loads(out.read_text()))


def test_broken_recording_exports_what_it_read_and_says_where(tmp_path: Path) -> None:
    lines = (RECORDINGS / "pipe.ndjson").read_text().splitlines(keepends=True)
    src = tmp_path / "broken.ndjson"
    src.write_text("".join(lines[:10]) + '{"v":1,"seq":99,"ts":\n')
    out = tmp_path / "broken.json"
    done = subprocess.run([sys.executable, "-m", "ipccore", "export", str(src), "-o", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert done.returncode == 1
    assert "line 11" in done.stderr
    trace = json.loads(out.read_text())
    check_rules(trace)
    seqs = {e["args"]["seq"] for e in trace["traceEvents"] if "seq" in e.get("args", {})}
    assert max(seqs) == json.loads(lines[9])["seq"]
    assert any(e["name"].startswith("recording broken") for e in trace["traceEvents"])


def test_missing_recording_is_a_clear_error(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "ipccore", "export", str(tmp_path / "no")],
                          capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert done.returncode == 1
    assert "No such file" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_export_of_iterable_matches_file(tmp_path: Path) -> None:
    path = RECORDINGS / "queue.ndjson"
    out = io.StringIO()
    export(read_recording(path), out)
    target = tmp_path / "q.json"
    export_file(path, target)
    assert out.getvalue() == target.read_text()


PEAK = """
import resource, sys
from ipcevents.perfetto import export_file
_, stats = export_file(sys.argv[1], sys.argv[2])
print(stats.events, stats.flows, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_rss_kib(src: Path, out: Path) -> tuple[int, int, int]:
    done = subprocess.run([sys.executable, "-c", PEAK, str(src), str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=900, check=True)
    events, flows, rss = (int(x) for x in done.stdout.split())
    return events, flows, rss


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_million_events_in_bounded_memory(tmp_path: Path) -> None:
    small, big = tmp_path / "small.ndjson", tmp_path / "big.ndjson"
    n_small = write_recording(small, 100_000)
    n_big = write_recording(big, 1_000_000)
    assert n_big >= 1_000_000
    ev_small, flows_small, rss_small = peak_rss_kib(small, tmp_path / "small.json")
    small.unlink()
    ev_big, flows_big, rss_big = peak_rss_kib(big, tmp_path / "big.json")
    assert (ev_small, ev_big) == (n_small, n_big)
    assert flows_big > 9 * flows_small
    # Ten times the events, about the same peak: nothing grows with the recording (all of
    # it in memory would be far above 100 MiB: ~150 MB of lines, ~1 KB per Event).
    print(f"peak RSS: {rss_small} KiB for {n_small} events, {rss_big} KiB for {n_big}")
    assert rss_big - rss_small < 16 * 1024
    trace = json.loads((tmp_path / "big.json").read_text())
    check_rules(trace)


def test_exporter_needs_only_the_event_vocabulary() -> None:
    code = ("import sys, ipcevents.perfetto; "
            "print(' '.join(m for m in sys.modules if m.split('.')[0] in "
            "('ipccore', 'tui', 'textual', 'sysv_ipc', 'psutil')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=60, check=True)
    assert done.stdout.split() == []
