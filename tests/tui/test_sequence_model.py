"""The sequence chart's pure model and layout: lifelines, rows, arrows, marks, columns."""

from __future__ import annotations

from ipcevents.events import Event
from tests.tui.helpers import ev, family, family_of, recording
from tui.seqlayout import TIME_W, layout, paint_head, paint_row, taking_part
from tui.sequence import Sequence


def fed(events: list[Event]) -> Sequence:
    seq = Sequence()
    for i, event in enumerate(events, 1):
        seq.feed(Event(event.seq or i, event.ts, event.pid, event.kind, event.fields))
    return seq


def arrows(seq: Sequence) -> list[tuple[object, object, str, str]]:
    return [(r.src[1], r.dst[1], r.style, r.label) for r in seq.rows if r.dst is not None]


def marks(seq: Sequence) -> list[tuple[object, str]]:
    return [(r.src[1], r.label) for r in seq.rows if r.dst is None]


def test_sibling_lifelines_rows_arrows_and_marks() -> None:
    events = recording("sibling")
    master, (one, two) = family_of(events)
    seq = fed(events)
    heads = [seq.lifelines[k].head for k in seq.order]
    assert heads == [f"{master} master", f"{one} child #1", f"{two} child #2"]
    got = arrows(seq)
    assert got[:2] == [(master, one, "fork", "fork #1"), (master, two, "fork", "fork #2")]
    messages = [a for a in got if a[2] == "pipe"]
    assert [m[:2] for m in messages] == [(two, one)] * 5
    hello = f"from {two}: Hello World!"
    assert messages[0][3] == f'{len(hello)} B "{hello}"'
    assert (two, one, "signal", "SIGKILL") in got
    assert marks(seq) == [(two, "exit 0"), (one, "killed by SIGKILL"),
                          (master, f"reaped {one}"), (master, f"reaped {two}"),
                          (master, "exit 0")]
    killed = seq.lifelines[("proc", one)]
    assert killed.ending == "killed by SIGKILL"
    assert killed.end is not None


def test_queue_lifeline_push_and_pop_with_mtype_and_partner() -> None:
    events = recording("queue")
    master, children = family_of(events)
    seq = fed(events)
    assert seq.order[-1][0] == "queue"
    assert seq.lifelines[seq.order[-1]].head.startswith("queue 0x")
    pushes = [r for r in seq.rows if r.event.kind == "queue.push"]
    pops = [r for r in seq.rows if r.event.kind == "queue.pop"]
    assert len(pushes) == len(pops) == 7
    assert pushes[0].label == 'mtype 3 12 B "Hello World!"'
    assert pushes[0].dst == seq.order[-1]
    assert pops[0].src == seq.order[-1]
    assert pops[0].dst == ("proc", pops[0].event.pid)
    assert pops[0].event.pid in children
    # Each push knows the pop that took it out, and the reverse.
    assert pushes[0].partner is pops[0].event
    assert pops[0].partner is pushes[0].event
    assert (seq.order[-1][1], f"removed by {master}") in marks(seq)


def test_signal_demo_handled_and_timer_marks() -> None:
    seq = fed(recording("signal"))
    labels = [label for _, label in marks(seq)]
    assert "timer 1 fired" in labels
    assert "SIGUSR2 handled" in labels
    usr2 = next(r for r in seq.rows if r.style == "signal" and r.label == "SIGUSR2")
    assert usr2.partner is not None
    assert usr2.partner.kind == "signal.handle"


def test_a_message_is_pending_until_its_read() -> None:
    events = [*family(), ev(4100, "pipe.write", 0.1, fd=5, to=4101, nbytes=2, preview="hi"),
              ev(4102, "proc.exit", 0.2, code=0),
              ev(4101, "pipe.read", 0.3, fd=6, **{"from": 4100}, nbytes=2, preview="hi")]
    seq = fed(events)
    write = next(r for r in seq.rows if r.style == "pipe")
    read_index = seq.count
    assert write.done == read_index
    assert write.pending_at(read_index - 1)
    assert not write.pending_at(read_index)
    assert write.partner is not None
    assert write.partner.kind == "pipe.read"


def test_monitor_sent_messages_come_from_a_monitor_lifeline() -> None:
    events = [*family(),
              ev(999, "pipe.write", 0.1, fd=5, to=4101, nbytes=2, preview="hi", via="monitor"),
              ev(999, "signal.send", 0.2, to=4102, signal=10, name="SIGUSR1", ok=True,
                 via="monitor")]
    seq = fed(events)
    assert seq.order[0] == ("monitor", 999)
    assert seq.lifelines[("monitor", 999)].head == "999 monitor"
    assert [(a[0], a[1], a[2]) for a in arrows(seq)[-2:]] == [(999, 4101, "pipe"),
                                                              (999, 4102, "signal")]
    assert all(r.src == ("monitor", 999) for r in seq.rows[-2:])


def test_aggregate_is_one_arrow_labelled_times_n() -> None:
    events = [*family(), ev(4100, "pipe.write", 0.1, fd=5, to=4101, nbytes=640,
                            preview="x" * 10, count=10)]
    seq = fed(events)
    assert seq.rows[-1].label == '×10 640 B "xxxxxxxxxx"'


def test_untrusted_text_stays_literal_and_printable() -> None:
    events = [*family(), ev(4100, "pipe.write", 0.1, fd=5, to=4101, nbytes=12,
                            preview="[b]x\x1b[31m\n")]
    seq = fed(events)
    label = seq.rows[-1].label
    assert "[b]x" in label
    assert "\x1b" not in label
    assert "\\x1b" in label
    assert "\n" not in label


def test_rows_are_bounded_and_cut_by_event_index() -> None:
    seq = Sequence(rows_max=100)
    for event in family():
        seq.feed(event)
    for i in range(1000):
        seq.feed(ev(4101, "signal.send", i * 0.001, to=4102, signal=10, name="SIGUSR1", ok=True))
    assert len(seq.rows) <= 100 + 100 // 8
    assert seq.rows[-1].index == seq.count
    k = seq.rows[-10].index
    assert seq.rows[seq.upto(k) - 1].index == k
    assert seq.row_for(0) is None


def test_layout_fits_the_demos_at_120_columns() -> None:
    for name in ("sibling", "queue", "pipe", "signal", "coroutine"):
        seq = fed(recording(name))
        geo = layout(seq.visible(seq.count), seq.pair_width, 120 - TIME_W - 1)
        assert geo.total <= 119, name
        assert not geo.two_line, name
        xs = [geo.x[k] for k in geo.keys]
        assert xs == sorted(xs)
        assert len(set(xs)) == len(xs)


def test_many_lifelines_scroll_sideways_and_compress_keeps_the_active() -> None:
    children = tuple(range(5001, 5041))
    events = [*family(4100, children),
              ev(4100, "signal.send", 1.0, to=5040, signal=15, name="SIGTERM", ok=True)]
    seq = fed(events)
    lines = seq.visible(seq.count)
    geo = layout(lines, seq.pair_width, 100)
    assert geo.width > 100
    last = seq.rows[-1:]
    keep = taking_part(last)
    assert keep == {("proc", 4100), ("proc", 5040)}
    small = layout([ln for ln in lines if ln.key in keep], seq.pair_width, 100)
    assert small.width == 100


def test_painted_row_has_the_label_between_the_two_lifelines() -> None:
    events = recording("sibling")
    _master, (one, two) = family_of(events)
    seq = fed(events)
    geo = layout(seq.visible(seq.count), seq.pair_width, 102)
    row = next(r for r in seq.rows if r.style == "pipe")
    plain, spans = paint_row(row, geo, seq.lifelines, seq.count, t=0.211, delta=0.107)
    assert len(plain) == geo.total
    assert plain.startswith("   0.211 +0.107")
    hello = f"from {two}: Hello World!"
    label_at = plain.index(f'{len(hello)} B "{hello}"')
    x1 = TIME_W + geo.x[("proc", one)]
    x2 = TIME_W + geo.x[("proc", two)]
    assert x1 < label_at < x2
    assert plain[x1 + 1] == "◀"
    assert all(style for _, _, style in spans)
    head = paint_head(geo, seq.lifelines, seq.count, 0)[0]
    assert f"{one} child #1" in head
