"""The SysV queue API in one process: arguments, errors, limits, permissions, events.

Every test uses a fresh key and removes what it created (the autouse fixture checks).
Routing between processes, blocking and signals are in ``test_queue_procs.py``; cleanup
at exit in ``test_queue_cleanup.py``.
"""

from __future__ import annotations

import time

import pytest
import sysv_ipc

from ipccore import IPC_NOWAIT, MODE_BALANCE, MODE_ORIENT, Process, _sysv, _trace
from ipccore.errors import (
    CapacityRefused,
    MessageTooLarge,
    MessageTruncated,
    NoQueue,
    QueueAccessDenied,
)
from ipccore.keys import fresh_key, ftok
from tests.core.queue_helpers import Recorder, fresh_keys


def proc() -> Process:
    return Process(lambda w: None, pipe_type=0)


def keys_in_kernel() -> set[int]:
    return {row.key for row in _sysv.read_table().values()}


def test_push_pop_roundtrip_tags_mtype_and_stat_counts_body_bytes() -> None:
    with fresh_keys() as (key,):
        p = proc()
        assert p.use_queue(key) is True
        assert p.msg_queue_key == key
        assert p.msg_queue_id == sysv_ipc.MessageQueue(key).id
        assert p.push(b"hello") is True
        assert p.push("héllo") is True
        assert p.stat_queue() == {"queue_num": 2, "queue_bytes": 5 + 6}
        raw = sysv_ipc.MessageQueue(key)
        assert raw.receive() == (b"hello", p.id + 1)
        assert p.pop() == "héllo".encode()
        assert p.stat_queue() == {"queue_num": 0, "queue_bytes": 0}
        assert p.free_queue() is True


def test_mode_balance_pops_foreign_types_and_bytes_are_never_unpickled() -> None:
    with fresh_keys() as (key,):
        p = proc()
        p.use_queue(key, MODE_BALANCE)
        body = b"\x80\x04K\x01."  # a pickle of 1: must come back as these bytes
        sysv_ipc.MessageQueue(key).send(body, type=1)
        assert p.pop() == body
        p.free_queue()


def test_mode_orient_pops_only_its_own_type_in_one_process() -> None:
    with fresh_keys() as (key,):
        a, b = proc(), proc()
        a.use_queue(key, MODE_ORIENT | IPC_NOWAIT)
        b.use_queue(key, MODE_ORIENT | IPC_NOWAIT)
        b.push(b"for-b")
        a.push(b"for-a")
        assert a.pop() == b"for-a"
        assert a.pop() is None
        assert b.pop() == b"for-b"
        a.free_queue()


def test_nowait_pop_on_empty_returns_none_at_once() -> None:
    with fresh_keys() as (key,):
        p = proc()
        p.use_queue(key, MODE_BALANCE | IPC_NOWAIT)
        t = time.monotonic()
        assert p.pop() is None
        assert p.pop(10) is None
        assert time.monotonic() - t < 1.0
        p.free_queue()


def test_nowait_push_on_full_returns_false_at_once() -> None:
    with fresh_keys() as (key,):
        p = proc()
        p.use_queue(key, MODE_BALANCE | IPC_NOWAIT)
        qbytes = sysv_ipc.MessageQueue(key).max_size
        pushed = 0
        while p.push(b"x" * 64):
            pushed += 1
            assert pushed <= qbytes // 64
        t = time.monotonic()
        assert p.push(b"x" * 64) is False
        assert time.monotonic() - t < 1.0
        assert pushed == qbytes // 64
        assert p.stat_queue() == {"queue_num": pushed, "queue_bytes": qbytes}
        p.free_queue()


def test_capacity_lowers_the_byte_limit() -> None:
    with fresh_keys() as (key,):
        p = proc()
        p.use_queue(key, MODE_BALANCE | IPC_NOWAIT, 1024)
        assert sysv_ipc.MessageQueue(key).max_size == 1024
        n = 0
        while p.push(b"y" * 64):
            n += 1
        assert n == 16
        with pytest.raises(MessageTooLarge):
            p.push(b"z" * 1025)  # could never fit: refused instead of blocking forever
        p.free_queue()


def _has_cap_sys_resource() -> bool:
    with open("/proc/self/status") as f:
        caps = next(line for line in f if line.startswith("CapEff:"))
    return bool(int(caps.split()[1], 16) & (1 << 24))


def test_capacity_above_msgmnb_needs_privilege() -> None:
    with fresh_keys() as (key,):
        p = proc()
        big = _sysv.msgmnb() * 4
        if _has_cap_sys_resource():
            assert p.use_queue(key, MODE_BALANCE, big) is True
            assert sysv_ipc.MessageQueue(key).max_size == big
            p.free_queue()
        else:
            with pytest.raises(CapacityRefused, match="CAP_SYS_RESOURCE"):
                p.use_queue(key, MODE_BALANCE, big)
            assert key not in keys_in_kernel(), "the queue created for the call must be gone"
            with pytest.raises(NoQueue):
                p.push(b"x")


def test_msgmax_boundary() -> None:
    with fresh_keys() as (key,):
        p = proc()
        p.use_queue(key)
        limit = _sysv.msgmax()
        assert p.push(b"a" * limit) is True
        with pytest.raises(MessageTooLarge, match=str(limit)):
            p.push(b"a" * (limit + 1))
        assert p.stat_queue()["queue_num"] == 1
        assert p.pop() == b"a" * limit
        p.free_queue()


def test_pop_smaller_than_message_raises_with_real_size_and_leaves_it() -> None:
    with fresh_keys() as (key,):
        p = proc()
        p.use_queue(key)
        p.push(b"m" * 100)
        with pytest.raises(MessageTruncated) as info:
            p.pop(10)
        assert info.value.size == 100
        assert p.stat_queue() == {"queue_num": 1, "queue_bytes": 100}
        assert p.pop(100) == b"m" * 100
        p.free_queue()


def test_truncation_in_orient_mode_reports_the_size_of_our_message() -> None:
    with fresh_keys() as (key,):
        mine, other = proc(), proc()
        mine.use_queue(key, MODE_ORIENT)
        other.use_queue(key, MODE_ORIENT)
        other.push(b"o" * 50)
        mine.push(b"m" * 3000)
        with pytest.raises(MessageTruncated) as info:
            mine.pop(2000)
        assert info.value.size == 3000
        assert mine.pop() == b"m" * 3000
        assert other.pop() == b"o" * 50
        mine.free_queue()


def test_errors_without_a_queue() -> None:
    p = proc()
    with pytest.raises(NoQueue, match="use_queue"):
        p.push(b"x")
    with pytest.raises(NoQueue):
        p.pop()
    with pytest.raises(NoQueue):
        p.pop(10)
    with pytest.raises(NoQueue):
        p.stat_queue()
    assert p.free_queue() is False


def test_free_queue_true_once_then_noqueue_and_old_ids_kept() -> None:
    with fresh_keys() as (key,):
        p, q = proc(), proc()
        p.use_queue(key)
        q.use_queue(key)
        msqid = p.msg_queue_id
        assert p.free_queue() is True
        assert p.free_queue() is False
        assert key not in keys_in_kernel()
        assert (p.msg_queue_id, p.msg_queue_key) == (msqid, key)
        with pytest.raises(NoQueue):
            p.push(b"x")
        with pytest.raises(NoQueue, match="removed"):
            q.push(b"x")  # another object on the removed queue
        with pytest.raises(NoQueue, match="removed"):
            q.stat_queue()
        assert q.free_queue() is False


def test_bad_arguments_raise_before_any_syscall() -> None:
    p = proc()
    key = fresh_key()
    before = keys_in_kernel()
    with pytest.raises(TypeError):
        p.use_queue("1")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        p.use_queue(key, True)
    with pytest.raises(TypeError):
        p.use_queue(key, 2, 1.5)  # type: ignore[arg-type]
    for bad_mode in (0, 3, 2 | 512, -1):
        with pytest.raises(ValueError, match="mode"):
            p.use_queue(key, bad_mode)
    with pytest.raises(ValueError, match="key"):
        p.use_queue(2**31)
    assert keys_in_kernel() == before
    with fresh_keys() as (key2,):
        p.use_queue(key2, MODE_BALANCE | IPC_NOWAIT)
        with pytest.raises(ValueError, match="empty"):
            p.push(b"")
        for bad in (123, None, 1.5, [b"x"]):
            with pytest.raises(TypeError):
                p.push(bad)  # type: ignore[arg-type]
        for bad_size in ("10", 1.5, None):
            with pytest.raises(TypeError):
                p.pop(bad_size)  # type: ignore[arg-type]
        for bad_size in (0, -1):
            with pytest.raises(ValueError, match="size"):
                p.pop(bad_size)
        assert p.stat_queue() == {"queue_num": 0, "queue_bytes": 0}
        assert p.push(bytearray(b"ba"))
        assert p.pop() == b"ba"
        p.free_queue()


def test_created_queue_is_0600() -> None:
    with fresh_keys() as (key,):
        p = proc()
        p.use_queue(key)
        row = _sysv.queue_row(p.msg_queue_id or -1)
        assert row is not None
        assert row.perms == 0o600
        assert sysv_ipc.MessageQueue(key).mode & 0o777 == 0o600
        p.free_queue()


def test_foreign_0666_queue_is_refused_unless_trusted() -> None:
    with fresh_keys() as (key,):
        sysv_ipc.MessageQueue(key, sysv_ipc.IPC_CREX, 0o666)
        p = proc()
        with pytest.raises(QueueAccessDenied, match="trust_foreign"):
            p.use_queue(key)
        with pytest.raises(NoQueue):
            p.push(b"x")
        assert p.use_queue(key, trust_foreign=True) is True
        assert p.push(b"shared")
        assert p.pop() == b"shared"
        p.free_queue()


def test_queue_of_another_uid_is_refused() -> None:
    with fresh_keys() as (key,):
        mq = sysv_ipc.MessageQueue(key, sysv_ipc.IPC_CREX, 0o600)
        try:
            mq.uid = 65534
        except sysv_ipc.PermissionsError:
            pytest.skip("cannot give a queue to another uid here (needs root)")
        with pytest.raises(QueueAccessDenied, match="65534"):
            proc().use_queue(key)


def test_keys_ftok_matches_sysv_ipc_and_fresh_key_is_unused(tmp_path: object) -> None:
    assert ftok(__file__, 1) == sysv_ipc.ftok(__file__, 1, silence_warning=True)
    k = fresh_key()
    assert 0 < k <= 0x7FFFFFFF
    assert k not in keys_in_kernel()


def test_events_follow_the_schema() -> None:
    rec = Recorder()
    with fresh_keys() as (key,):
        p = proc()
        _trace.emitter = rec
        try:
            p.use_queue(key, MODE_ORIENT | IPC_NOWAIT)
            p.push(b"abc")
            p.pop()
            with pytest.raises(ValueError, match="empty"):
                p.push(b"")
            with pytest.raises(MessageTooLarge):
                p.push(b"x" * (_sysv.msgmax() + 1))
            p.free_queue()
        finally:
            _trace.emitter = None
    msqid = p.msg_queue_id
    assert rec.events == [
        ("queue.open", {"key": key, "msqid": msqid, "mode": 1, "nowait": True,
                        "created": True}, None),
        ("queue.push", {"key": key, "msqid": msqid, "mtype": p.id + 1, "nbytes": 3}, b"abc"),
        ("queue.pop", {"key": key, "msqid": msqid, "mtype": p.id + 1, "nbytes": 3}, b"abc"),
        ("error", {"op": "push", "error": "MessageTooLarge",
                   "message": rec.events[3][1]["message"]}, None),
        ("queue.free", {"key": key, "msqid": msqid}, None),
    ]
