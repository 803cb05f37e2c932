"""Property tests (hypothesis) for the codec and the state model, on *schema-valid* input.

``test_events_codec``/``test_tui_state`` already show that arbitrary input never raises;
here the properties are about consistency: what the emitter writes the collector accepts
and parses back exactly, any mutation of a line is either a valid event or an
``EventDecodeError`` (never another exception), and the state model's counters add up
for any sequence of valid events.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ipccore.monitor.connection import encode
from ipcevents.events import (
    AGGREGABLE,
    ALL_KINDS,
    PEER_KINDS,
    Event,
    EventDecodeError,
    check_fields,
    preview,
)
from tui.state import LOG_MAX, NOT_LOGGED, MonitorState, apply

_BY_TYPE: dict[type, st.SearchStrategy[Any]] = {
    int: st.integers(0, 2**31),
    float: st.floats(allow_nan=False, allow_infinity=False, width=32),
    str: st.text(max_size=100),
    bool: st.booleans(),
    type(None): st.none(),
}


_AGGREGATE = st.fixed_dictionaries({"count": st.integers(2, 10**6),
                                     "ts0": st.floats(0, 2e9)})
"""``count`` and ``ts0`` come together (an aggregate) or not at all."""


def _fields(kind: str, schema: dict[str, dict[str, tuple[type, ...]]]) -> st.SearchStrategy[Any]:
    plain = st.fixed_dictionaries(
        {}, optional={k: st.one_of(*(_BY_TYPE[t] for t in ts)) for k, ts in schema[kind].items()
                      if not (kind in AGGREGABLE and k in ("count", "ts0"))}
    )
    if kind not in AGGREGABLE:
        return plain
    return st.tuples(plain, st.one_of(st.just({}), _AGGREGATE)).map(lambda p: {**p[0], **p[1]})


def _event(schema: dict[str, dict[str, tuple[type, ...]]]) -> st.SearchStrategy[Event]:
    return st.sampled_from(sorted(schema)).flatmap(
        lambda kind: st.builds(
            Event, st.integers(0, 10**6), st.floats(0, 2e9), st.integers(0, 40),
            st.just(kind), _fields(kind, schema),
        )
    )


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(sorted(PEER_KINDS)), data=st.data(), body=st.binary(max_size=300))
def test_emitter_lines_are_accepted_and_parse_back(kind: str, data: st.DataObject,
                                                   body: bytes) -> None:
    fields = data.draw(_fields(kind, PEER_KINDS))
    fields.pop("preview", None)
    with_body = "preview" in PEER_KINDS[kind]
    line = encode(4242, kind, fields, body if with_body else None)
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1
    assert line.isascii()
    event = Event.from_json(line)
    check_fields(event.kind, event.fields, peer=True)
    assert (event.pid, event.kind, event.seq) == (4242, kind, 0)
    for key, value in fields.items():
        got = event.get(key)
        assert got == value or (isinstance(value, float) and abs(got - value) <= 1e-6 * abs(value))
    if with_body:
        assert event.get("preview") == preview(body)


@settings(max_examples=300, deadline=None)
@given(event=_event(ALL_KINDS), pos=st.integers(0, 10**6), byte=st.integers(0, 255))
def test_a_mutated_line_is_an_event_or_a_decode_error(event: Event, pos: int,
                                                      byte: int) -> None:
    line = bytearray(event.to_json().encode())
    line[pos % len(line)] = byte
    try:
        parsed = Event.from_json(bytes(line))
        check_fields(parsed.kind, parsed.fields, peer=False)
    except EventDecodeError:
        return
    expected = json.loads(bytes(line))
    expected.setdefault("seq", 0)  # lines in transit carry no seq: the collector assigns it
    if type(expected.get("ts")) is int:  # a digit for the dot: ts is kept as a float
        expected["ts"] = float(expected["ts"])
    assert parsed.to_dict() == expected


@settings(max_examples=120, deadline=None)
@given(st.lists(_event(ALL_KINDS), max_size=120))
def test_state_counters_add_up_for_any_valid_stream(events: list[Event]) -> None:
    state = MonitorState()
    for event in events:
        apply(state, event)
    assert state.events == len(events)
    logged = [e for e in events if e.kind not in NOT_LOGGED]
    assert len(state.log) == min(len(logged), LOG_MAX)
    out: Counter[int] = Counter()
    into: Counter[int] = Counter()
    for e in events:
        if e.kind in ("pipe.write", "queue.push"):
            out[e.pid] += e.count
        elif e.kind == "queue.pop" or (e.kind == "pipe.read" and type(e.get("nbytes")) is int
                                       and e.get("nbytes") != 0):
            into[e.pid] += e.count
    for pid, view in state.procs.items():
        assert view.msgs_out == out[pid]
        assert view.msgs_in == into[pid]
        assert len(view.signals) <= 16
    for key, queue in state.queues.items():
        mine = [e for e in events if e.category == "queue" and e.get("key") == key]
        assert queue.pushes == sum(e.count for e in mine if e.kind == "queue.push")
        assert queue.pops == sum(e.count for e in mine if e.kind == "queue.pop")
        assert queue.qnum >= 0
        assert queue.cbytes >= 0
    assert state.dropped == sum(e.get("count", 0) for e in events
                                if e.kind == "monitor.dropped" and type(e.get("count")) is int)
    ends = [e for e in events if e.kind == "monitor.end"]
    assert state.ended == bool(ends)
