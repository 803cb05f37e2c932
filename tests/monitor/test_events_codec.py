"""The NDJSON codec: round trips (hypothesis), the hand-built encoder, field checks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipccore.monitor.connection import encode
from ipcevents.events import (
    PEER_KINDS,
    PREVIEW_MAX,
    Event,
    EventDecodeError,
    check_fields,
    preview,
)

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**62), 2**62),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=80),
)
field_names = st.text(min_size=1, max_size=12).filter(
    lambda k: k not in {"v", "seq", "ts", "pid", "kind"})
events = st.builds(
    Event,
    seq=st.integers(0, 2**53),
    ts=st.floats(0, 4e9, allow_nan=False),
    pid=st.integers(0, 2**22),
    kind=st.sampled_from(sorted(PEER_KINDS)),
    fields=st.dictionaries(field_names, scalars, max_size=6),
)


@given(events)
def test_event_round_trip(event: Event) -> None:
    line = event.to_json()
    assert line.isascii()
    assert "\n" not in line
    assert Event.from_json(line) == event


@given(st.sampled_from(sorted(PEER_KINDS)), st.dictionaries(field_names, scalars, max_size=6),
       st.one_of(st.none(), st.binary(max_size=200)))
@settings(max_examples=300)
def test_hand_built_encoder_is_valid_json(kind: str, fields: dict[str, Any],
                                          data: bytes | None) -> None:
    fields.pop("preview", None)
    line = encode(4321, kind, fields, data)
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1
    event = Event.from_json(line)
    assert (event.kind, event.pid, event.seq) == (kind, 4321, 0)
    assert {k: v for k, v in event.fields.items() if k != "preview"} == fields
    if data is not None:
        assert event.get("preview") == preview(data)


@given(st.binary(max_size=300))
def test_preview_survives_any_bytes(data: bytes) -> None:
    text = preview(data)
    assert text == data[:PREVIEW_MAX].decode("utf-8", "backslashreplace")
    assert json.loads(json.dumps(text)) == text


def test_preview_escapes_like_backslashreplace() -> None:
    assert preview(b"ok\xff") == "ok\\xff"
    assert preview(b"a" * 100) == "a" * PREVIEW_MAX


def test_non_finite_floats_become_null() -> None:
    event = Event.from_json(encode(1, "timer.add", {"ms": float("nan"), "timer": 1}, None))
    assert event.get("ms") is None


@pytest.mark.parametrize(("kind", "fields", "match"), [
    ("nope.nope", {}, "unknown kind"),
    ("monitor.end", {}, "collector-only"),
    ("pipe.write", {"nbytes": "3"}, "wrong type"),
    ("pipe.write", {"nbytes": True}, "wrong type"),
    ("pipe.write", {"x": [1]}, "not a scalar"),
    ("io.stdout", {"line": "x" * 10_000}, "too long"),
    ("pipe.write", {"nbytes": 9, "count": 1, "ts0": 1.0}, "count 1"),
    ("queue.pop", {"nbytes": 9, "count": 3}, "needs ts0"),
    ("pipe.read", {"nbytes": 9, "count": 2.0, "ts0": 1.0}, "wrong type"),
])
def test_check_fields_rejects(kind: str, fields: dict[str, Any], match: str) -> None:
    with pytest.raises(EventDecodeError, match=match):
        check_fields(kind, fields, peer=True)


def test_an_aggregate_is_the_same_kind_with_a_count() -> None:
    """``count`` >= 2 and ``ts0`` make an aggregate; without ``count`` an event counts 1;
    a ``count`` on a kind that is never aggregated is just an unknown extra field."""
    fields = {"fd": 5, "to": 7, "nbytes": 640, "preview": "x", "via": "pipe",
              "count": 10, "ts0": 1.5}
    check_fields("pipe.write", fields, peer=True)
    line = Event(0, 2.0, 1, "pipe.write", fields).to_json()
    again = Event.from_json(line)
    assert (again.count, again.get("ts0"), again.get("nbytes")) == (10, 1.5, 640)
    assert Event(0, 2.0, 1, "pipe.write", {"nbytes": 64}).count == 1
    assert Event(0, 2.0, 1, "timer.fire", {"timer": 1, "count": 5}).count == 1


def test_collector_kinds_are_fine_in_a_recording() -> None:
    check_fields("monitor.end", {"code": 0, "signal": None}, peer=False)


def test_signal_name_of_anything_an_untrusted_stream_sends() -> None:
    import signal

    from ipcevents.events import signal_name

    assert signal_name(9) == "SIGKILL"
    assert signal_name(signal.SIGUSR1) == "SIGUSR1"
    assert signal_name(40) == "SIG40"
    for bad in (None, "\n", "9", 9.0, True, [9]):
        assert signal_name(bad) == "?"
