"""Every line the demos print, in English and in the seed's Chinese, in one place.

The ``zh`` templates are the seed's ``echo`` strings character for character, so a
``--lang zh`` run can be held line by line against the tutorial (only pids, pipe fds and
times differ). Lines the seed never prints (how a demo ends where the original hangs) all
start with :data:`OWN`, in both languages, so nobody mistakes them for the seed's output.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

OWN = "[demo] "
"""Prefix of the lines that are the demo's own, not the seed's."""

LANGS = ("en", "zh")

MESSAGES = ("Hello World!", "Hello Cat!", "Hello King", "Hello Leon", "Hello Rose")
"""The seed's ``$messages`` (sibling and queue scenarios), the same in both languages."""


@dataclass(frozen=True, slots=True)
class Lines:
    """One language's templates, named after the scenario and who prints them."""

    pipe_child: str
    pipe_greeting: str
    pipe_reply: str
    pipe_master: str
    sibling_child: str
    sibling_message: str
    sibling_reaped_killed: str
    sibling_reaped_exited: str
    queue_child: str
    queue_end_balance: str
    queue_end_orient: str
    queue_end_nowait: str
    signal_child: str
    signal_handler: str
    signal_reaped: str
    signal_end: str


# EN and ZH are parallel data (one line per field, the same fields in the same order);
# the duplicate finder pairs them by shape, and that is the point.
EN = Lines(
    pipe_child='Child {pid}: data from the master - "{data}".',
    pipe_greeting="{pid}, hello!",
    pipe_reply="to the boss, from {pid}, via pipe {pipe}!",
    pipe_master='Master: data from child {pid} - "{data}"',
    sibling_child='Child {pid}: received - "{data}".',
    sibling_message="from {pid}: {msg}",
    sibling_reaped_killed=OWN + "reaped {pid} (killed by {signal})",
    sibling_reaped_exited=OWN + "reaped {pid} (exit code {code})",
    queue_child='Child {pid}: data from the master - "{msg}".',
    queue_end_balance=OWN + "queue demo: each child stopped on a sentinel message "
    "(the original blocks in pop() forever); both reaped, queue removed",
    queue_end_orient=OWN + "queue demo (mode 1): every push went through child {last}'s "
    "object, so child {first} got nothing and would wait forever; the master pushed "
    "its sentinel through child {first}'s own object; both reaped, queue removed",
    queue_end_nowait=OWN + "queue demo (IPC_NOWAIT): each child stopped when pop() found "
    "the queue empty; both reaped, queue removed",
    signal_child="PID:{pid} kill -USR2 Master {ppid}.",
    signal_handler="Got SIGUSR2 from a child: ending every child!",
    signal_reaped="PID={pid}",
    signal_end=OWN + "signal demo: every child reaped, so the master cleared its "
    "{ms} ms timer and event_wait() returned (the original runs forever)",
)

ZH = Lines(
    pipe_child='Child {pid}：来自 Master 的数据 - "{data}"。',
    pipe_greeting="{pid}，你好！",
    pipe_reply="发送给领导，来自 {pid} 的数据，通过管道 {pipe} ！",
    pipe_master='Master：来自子进程 {pid} 的数据 - "{data}"',
    sibling_child='Child {pid}：接收到的数据 - "{data}"。',
    sibling_message="来自 {pid} {msg} ！",
    sibling_reaped_killed=OWN + "已回收 {pid}（被 {signal} 结束）",
    sibling_reaped_exited=OWN + "已回收 {pid}（退出码 {code}）",
    queue_child='Child {pid}：来自 Master 的数据 - "{msg}"。',
    queue_end_balance=OWN + "队列演示：每个子进程收到结束标记后退出（原程序会一直阻塞在 pop()）；"
    "两个子进程已回收，队列已删除",
    queue_end_orient=OWN + "队列演示（模式 1）：所有 push 都经由子进程 {last} 的对象，"
    "子进程 {first} 收不到任何消息、会永远等待；主进程经由子进程 {first} 自己的对象"
    "发送了结束标记；两个子进程已回收，队列已删除",
    queue_end_nowait=OWN + "队列演示（IPC_NOWAIT）：队列为空时 pop() 立即返回，子进程随之退出；"
    "两个子进程已回收，队列已删除",
    signal_child="PID:{pid} kill -USR2 Master {ppid}.",
    signal_handler="收到子进程 USR2 信号，结束所有子进程！",
    signal_reaped="PID={pid}",
    signal_end=OWN + "信号演示：子进程全部回收后，主进程清除了 {ms} 毫秒的定时器，"
    "event_wait() 随之返回（原程序会一直运行）",
)


def lines(lang: str) -> Lines:
    """The templates for ``lang`` (``en`` or ``zh``)."""
    if lang == "en":
        return EN
    if lang == "zh":
        return ZH
    raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")


def say(line: str) -> None:
    """Print one whole line and flush it at once.

    Master and children share stdout; one ``write`` plus a flush per line keeps a line
    from being split by another process's output (PHP's ``echo a, b`` is several writes
    and does interleave). Through ``sys.stdout`` so a monitor's tee sees the line.
    """
    out = sys.stdout
    out.write(line + "\n")
    out.flush()


def check_speed(speed: float) -> float:
    """``speed`` as a positive finite float, or ValueError/TypeError before anything runs."""
    if isinstance(speed, bool) or not isinstance(speed, int | float):
        raise TypeError(f"speed must be a number, not {type(speed).__name__}")
    value = float(speed)
    if not 0 < value < float("inf"):
        raise ValueError(f"speed must be a positive number, got {speed!r}")
    return value
