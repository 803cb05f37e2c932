"""The event record and its NDJSON codec (schema ``v`` 1, see ``docs/events.md``).

One JSON object per line. The same bytes travel from a process to the collector, from
the collector to a recording and from a recording back into the UI, so a replay is
exactly what a live user saw.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1
PREVIEW_MAX = 64
"""Bytes of a message body kept in ``preview`` (before escaping)."""

COMMON_KEYS = frozenset({"v", "seq", "ts", "pid", "kind"})


class EventDecodeError(ValueError):
    """A line is not a valid v1 event (malformed JSON, wrong types, missing keys)."""


def preview(data: bytes) -> str:
    """A short, always-printable view of a message body.

    Non-UTF-8 bytes are escaped the way ``bytes.decode("utf-8", "backslashreplace")``
    does (``\\xff``); the body is cut to :data:`PREVIEW_MAX` bytes first (``nbytes``
    carries the real size).
    """
    return data[:PREVIEW_MAX].decode("utf-8", "backslashreplace")


@dataclass(frozen=True, slots=True)
class Event:
    """One observed operation (or a collector sample)."""

    seq: int
    """Global order, assigned by the collector (0 before it has seen the event)."""
    ts: float
    """Wall-clock seconds (``time.time()``) when the operation completed."""
    pid: int
    """The process that did the operation (for samples: the sampled process)."""
    kind: str
    """Dotted kind, e.g. ``pipe.write``; the part before the dot is the category."""
    fields: Mapping[str, Any] = field(default_factory=dict)
    """The kind-specific fields (everything but the common keys)."""

    @property
    def category(self) -> str:
        """``proc``, ``pipe``, ``queue``, ``signal``, ``timer``, ``io``, ``monitor``..."""
        return self.kind.partition(".")[0]

    def get(self, key: str, default: Any = None) -> Any:
        """A kind-specific field, or ``default``."""
        return self.fields.get(key, default)

    def to_dict(self) -> dict[str, Any]:
        """The wire form: common keys first, then the fields."""
        out: dict[str, Any] = {
            "v": SCHEMA_VERSION,
            "seq": self.seq,
            "ts": self.ts,
            "pid": self.pid,
            "kind": self.kind,
        }
        out.update(self.fields)
        return out

    def to_json(self) -> str:
        """One NDJSON line, without the newline. ASCII-only, so any byte survives."""
        return json.dumps(self.to_dict(), ensure_ascii=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, obj: Any) -> Event:
        """Validate and build; raises :class:`EventDecodeError` on anything off."""
        if not isinstance(obj, dict):
            raise EventDecodeError("an event must be a JSON object")
        if obj.get("v") != SCHEMA_VERSION:
            raise EventDecodeError(f"unsupported schema version {obj.get('v')!r}")
        seq, ts, pid, kind = obj.get("seq", 0), obj.get("ts"), obj.get("pid"), obj.get("kind")
        if type(seq) is not int or seq < 0:
            raise EventDecodeError("seq must be a non-negative integer")
        if type(ts) not in (int, float):
            raise EventDecodeError("ts must be a number")
        if type(pid) is not int or pid < 0:
            raise EventDecodeError("pid must be a non-negative integer")
        if not isinstance(kind, str) or not kind or len(kind) > 64:
            raise EventDecodeError("kind must be a short non-empty string")
        fields = {k: v for k, v in obj.items() if k not in COMMON_KEYS}
        return cls(seq=seq, ts=float(ts), pid=pid, kind=kind, fields=fields)

    @classmethod
    def from_json(cls, line: str | bytes) -> Event:
        """Parse one NDJSON line; raises :class:`EventDecodeError`."""
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError) as exc:
            raise EventDecodeError(f"not JSON: {exc}") from None
        return cls.from_dict(obj)
