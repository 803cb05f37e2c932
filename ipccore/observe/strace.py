"""strace's output, turned into our events: every message of a program we did not write.

strace runs as ``strace -f -qq -ttt -s 64 -yy -e trace=... -o FILE``; its lines look like

    29884 1796503101.781783 write(4<pipe:[96254]>, "message 0 ", 10) = 10
    29929 1796503101.734123 read(3<pipe:[96254]>,  <unfinished ...>
    29929 1796503101.781933 <... read resumed>"message 0 ", 65536) = 10
    30125 1796503106.999520 sendto(3<UNIX-STREAM:[97580->97581]>, "hi\\0\\377", 4, 0, NULL, 0) = 4
    30125 1796503106.999639 msgsnd(327738, {mtype=3, mtext="queued text"}, 11, 0) = 0
    30125 1796503106.999703 --- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid=30125} ---

(``-yy`` names what each fd is: only pipes and Unix sockets become ``pipe.*`` events;
file reads are left out). Strings are C-escaped (``\\n``, ``\\"``, octal ``\\377``) and cut
at 64 bytes with ``...`` after the quote, which is exactly our preview's length.
:class:`StraceParser` is pure: lines in, :class:`Traced` out; who is at the other end of
a pipe is asked of a resolver (the watcher's last sample).
"""

from __future__ import annotations

import re
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ipcevents.events import preview

TRACED_CALLS = ("read", "write", "readv", "writev", "sendto", "sendmsg", "recvfrom",
                "recvmsg", "msgsnd", "msgrcv", "kill", "tgkill", "clone", "clone3", "fork",
                "vfork", "wait4", "exit_group")
"""``rt_sigaction`` is left out: a shell sets every signal's action at each fork (hundreds
of lines), and the dispositions already come from ``/proc/PID/status`` samples."""
STRING_MAX = 64

_LINE = re.compile(r"^(?:\[pid\s+)?(\d+)\]?\s+(\d+\.\d+)\s+(.*)$")
_UNFINISHED = " <unfinished ...>"
_RESUMED = re.compile(r"^<\.\.\. (\w+) resumed>(.*)$")
_CALL = re.compile(r"^(\w+)\((.*)\)\s+=\s+(-?\d+|\?|0x[0-9a-f]+)(.*)$", re.S)
_SIGNAL = re.compile(r"^--- (SIG\w+) \{(.*)\} ---$")
_FD = re.compile(r"^(\d+)<(pipe|UNIX[\w-]*):\[(\d+)(?:->(\d+))?\]>$")
_WRITES = {"write", "writev", "send", "sendto", "sendmsg"}
_READS = {"read", "readv", "recv", "recvfrom", "recvmsg"}
_ESCAPES = {"n": 10, "t": 9, "r": 13, "v": 11, "f": 12, "a": 7, "b": 8, "e": 27,
            '"': 34, "\\": 92, "'": 39, "?": 63}


@dataclass(frozen=True, slots=True)
class Traced:
    """One event seen by strace: who, when, what (the fields of docs/events.md)."""

    pid: int
    ts: float
    kind: str
    fields: dict[str, Any]
    ref: FdRef | None = None
    """For ``pipe.*``: the fd it went through, so a peer still unknown (the watcher had not
    sampled the pipe yet) can be asked again before the event is handed on."""


@dataclass(frozen=True, slots=True)
class FdRef:
    """What ``-yy`` said an fd is: a pipe (inode) or a Unix socket (inode, peer inode)."""

    fd: int
    pipe: bool
    ino: int
    peer_ino: int | None


Resolver = Callable[[FdRef, int, bool], int | None]
"""``(fd, pid, writing) -> pid at the other end``, or None when unknown."""


def split_args(text: str) -> list[str]:
    """Top-level comma-separated arguments; quotes, brackets and ``<...>`` kept whole."""
    out: list[str] = []
    depth = angle = 0
    start, i, n = 0, 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "<" and (angle or (i and text[i - 1].isdigit())):
            angle += 1
        elif c == ">" and angle:
            angle -= 1
        elif c == "," and not depth and not angle:
            out.append(text[start:i].strip())
            start = i + 1
        i += 1
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def unescape(text: str) -> bytes:
    """The bytes of a C-escaped strace string body (without its quotes)."""
    out = bytearray()
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c != "\\" or i + 1 >= n:
            out += c.encode("utf-8", "surrogateescape")
            i += 1
            continue
        nxt = text[i + 1]
        if nxt in "01234567":
            j = i + 1
            while j < n and j < i + 4 and text[j] in "01234567":
                j += 1
            out.append(int(text[i + 1:j], 8) & 0xFF)
            i = j
        elif nxt == "x" and i + 3 < n + 1:
            out.append(int(text[i + 2:i + 4], 16))
            i += 4
        else:
            out.append(_ESCAPES.get(nxt, ord(nxt)))
            i += 2
    return bytes(out)


_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"(\.\.\.)?')


def first_string(text: str) -> bytes | None:
    match = _STRING.search(text)
    return unescape(match.group(1)) if match else None


def fd_ref(arg: str) -> FdRef | None:
    match = _FD.match(arg)
    if match is None:
        return None
    peer = match.group(4)
    return FdRef(int(match.group(1)), match.group(2) == "pipe", int(match.group(3)),
                 int(peer) if peer else None)


def _signum(name: str) -> int | None:
    try:
        return int(signal.Signals[name])
    except KeyError:
        return None


class StraceParser:
    """Lines of ``strace -f -ttt -yy`` output in, events out."""

    def __init__(self, resolve: Resolver | None = None,
                 queue_key: Callable[[int], int | None] | None = None) -> None:
        self._resolve = resolve or (lambda _ref, _pid, _w: None)
        self._queue_key = queue_key or (lambda _msqid: None)
        self._pending: dict[int, str] = {}
        """Per pid: the start of a call that strace printed as ``<unfinished ...>``."""

    def feed(self, line: str) -> list[Traced]:
        match = _LINE.match(line.rstrip("\n"))
        if match is None:
            return []
        pid, ts, body = int(match.group(1)), float(match.group(2)), match.group(3)
        if body.endswith(_UNFINISHED):
            self._pending[pid] = body[: -len(_UNFINISHED)]
            return []
        resumed = _RESUMED.match(body)
        if resumed is not None:
            start = self._pending.pop(pid, None)
            if start is None:
                return []
            body = start + resumed.group(2)
        sig = _SIGNAL.match(body)
        if sig is not None:
            num = _signum(sig.group(1))
            return [] if num is None else [Traced(pid, ts, "signal.handle",
                                                  {"signal": num, "name": sig.group(1)})]
        call = _CALL.match(body)
        if call is None:
            return []
        name, args, result = call.group(1), split_args(call.group(2)), call.group(3)
        event = self._call(pid, name, args, result)
        if event is None:
            return []
        ref = fd_ref(args[0]) if event[0].startswith("pipe.") else None
        return [Traced(pid, ts, event[0], event[1], ref)]

    def _call(self, pid: int, name: str, args: list[str],
              result: str) -> tuple[str, dict[str, Any]] | None:
        ok = result.lstrip("-").isdigit() and not result.startswith("-")
        value = int(result) if ok else -1
        if name in _WRITES or name in _READS:
            ref = fd_ref(args[0]) if args else None
            if ref is None or not ok:
                return None
            writing = name in _WRITES
            body = first_string(", ".join(args[1:])) or b""
            if not writing:
                body = body[:value]
            peer = self._resolve(ref, pid, writing)
            fields: dict[str, Any] = {"fd": ref.fd, "to" if writing else "from": peer,
                                      "nbytes": value, "preview": preview(body),
                                      "via": "trace"}
            return ("pipe.write" if writing else "pipe.read"), fields
        if name in ("msgsnd", "msgrcv") and len(args) >= 3 and ok:
            return self._queue(name, args, value)
        if name in ("kill", "tgkill"):
            target = args[1] if name == "tgkill" else args[0] if args else ""
            signame = args[-1] if args else ""
            num = _signum(signame)
            if num is None or not target.lstrip("-").isdigit():
                return None
            return "signal.send", {"to": int(target), "signal": num, "name": signame,
                                   "ok": ok}
        if name == "rt_sigaction" and len(args) >= 2 and args[1] != "NULL":
            num = _signum(args[0])
            handler = re.search(r"sa_handler=(\w+)", args[1])
            if num is None or handler is None:
                return None
            how = handler.group(1)
            return "signal.install", {"signal": num, "name": args[0],
                                      "handler": how not in ("SIG_DFL", "SIG_IGN"),
                                      "ignored": how == "SIG_IGN"}
        if name in ("clone", "clone3", "fork", "vfork") and ok and value > 0:
            if "CLONE_THREAD" in " ".join(args):
                return None
            return "proc.spawn", {"child": value, "id": None, "pipe_type": None, "fd": None,
                                  "redirect": False, "coroutine": False}
        if name == "wait4" and ok and value > 0 and len(args) >= 2:
            return "proc.reap", {"child": value, **_wait_status(args[1])}
        if name == "exit_group" and args and args[0].lstrip("-").isdigit():
            return "proc.exit", {"code": int(args[0]) & 0xFF}
        return None

    def _queue(self, name: str, args: list[str],
               value: int) -> tuple[str, dict[str, Any]] | None:
        if not args[0].isdigit():
            return None
        msqid = int(args[0])
        mtype = re.search(r"mtype=(-?\d+)", args[1])
        body = first_string(args[1]) or b""
        nbytes = value if name == "msgrcv" else int(args[2]) if args[2].isdigit() else 0
        key = self._queue_key(msqid)
        fields = {"key": key if key is not None else 0, "msqid": msqid,
                  "mtype": int(mtype.group(1)) if mtype else 0, "nbytes": nbytes,
                  "preview": preview(body[:nbytes]), "via": "trace"}
        return ("queue.push" if name == "msgsnd" else "queue.pop"), fields


def _wait_status(text: str) -> dict[str, int | None]:
    code = re.search(r"WEXITSTATUS\(s\) == (\d+)", text)
    if code:
        return {"code": int(code.group(1)), "signal": None}
    sig = re.search(r"WTERMSIG\(s\) == (SIG\w+)", text)
    return {"code": None, "signal": _signum(sig.group(1)) if sig else None}
