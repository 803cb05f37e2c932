"""Python-level stdout/stderr lines as ``io.stdout``/``io.stderr`` events.

The tee still writes everything to the real stream. It stays quiet when the stream's
file descriptor is a socket: that is ``redirect_stdin_stdout``, where what a child
prints is a pipe message (the core reports it as ``pipe.write``), not output.
"""

from __future__ import annotations

import os
import stat
from typing import Any, TextIO

from ipccore import _trace

LINE_MAX = 1024
"""Characters of one output line kept in an event."""


class Tee:
    """Wraps a text stream; forwards writes and emits one event per complete line."""

    def __init__(self, stream: TextIO, kind: str) -> None:
        self._stream = stream
        self._kind = kind
        self._partial = ""
        self._checked_pid = -1
        self._quiet = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    @property
    def wrapped(self) -> TextIO:
        """The real stream."""
        return self._stream

    def _is_quiet(self) -> bool:
        pid = os.getpid()
        if pid != self._checked_pid:
            self._checked_pid = pid
            self._partial = ""
            try:
                mode = os.fstat(self._stream.fileno()).st_mode
                self._quiet = stat.S_ISSOCK(mode)
            except (OSError, ValueError, AttributeError):
                self._quiet = False
        return self._quiet

    def write(self, text: str) -> int:
        written = self._stream.write(text)
        emitter = _trace.emitter
        if emitter is None or not isinstance(text, str) or self._is_quiet():
            return written
        buf = self._partial + text
        *lines, self._partial = buf.split("\n")
        if len(self._partial) > LINE_MAX:
            lines.append(self._partial)
            self._partial = ""
        for line in lines:
            emitter.emit(self._kind, {"line": line[:LINE_MAX]})
        return written

    def flush(self) -> None:
        self._stream.flush()

    def flush_partial(self) -> None:
        """Emit a last line that had no newline (at close)."""
        emitter = _trace.emitter
        if self._partial and emitter is not None and not self._is_quiet():
            emitter.emit(self._kind, {"line": self._partial[:LINE_MAX]})
        self._partial = ""
