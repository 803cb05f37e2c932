"""SysV message queues for :class:`ipccore.Process` (Swoole's useQueue/push/pop).

Bodies are raw bytes tagged with ``mtype = self.id + 1``; nothing is ever pickled. The
hot path (``push``/``pop``) uses attributes bound once in ``use_queue`` and sends every
unusual case (EINTR, full/empty queue, odd argument types) to a slow path, so with no
monitor attached the layer over ``sysv_ipc`` costs a few attribute loads and one
``is None`` test. See ``docs/queue.md`` for where this deliberately differs from Swoole.
"""

from __future__ import annotations

import errno
from typing import Any

import sysv_ipc

from ipccore import _sysv, _trace, queue_registry
from ipccore._trace import NO_GRANT, Grant, fail
from ipccore.constants import IPC_NOWAIT, MODE_BALANCE, MODE_ORIENT
from ipccore.errors import CapacityRefused, IPCError, MessageTooLarge, MessageTruncated
from ipccore.keys import KEY_MAX, script_key
from ipccore.queue_open import check_int, no_queue, open_queue


def _closed_push(data: bytes, block: bool, mtype: int) -> None:
    """Stands in for ``MessageQueue.send`` while no queue is open."""
    raise no_queue("push")


def _closed_pop(block: bool, mtype: int) -> tuple[bytes, int]:
    """Stands in for ``MessageQueue.receive`` while no queue is open."""
    raise no_queue("pop")


class QueueMixin:
    """Gives :class:`ipccore.Process` its queue methods (use_queue, push, pop...).

    The host class provides ``id`` (1, 2, 3... per object); messages pushed through this
    object carry ``mtype = id + 1`` and ``MODE_ORIENT`` pops only that type.
    """

    id: int
    msg_queue_id: int | None = None
    msg_queue_key: int | None = None

    _q_open: bool = False
    _q_send: Any = staticmethod(_closed_push)
    _q_recv: Any = staticmethod(_closed_pop)
    _q_block: bool = True
    _q_mtype: int = 1
    _q_rtype: int = 0
    _q_limit: int = 0
    _q_msgmax: int = 0
    _q_receivers: dict[int, Any] | None = None
    _q_pushes: Grant = NO_GRANT
    """The monitor's grant for this object's pushes (``_trace.Grant``)."""
    _q_pops: Grant = NO_GRANT
    """... and for its pops (of the message type ``_q_pops.c``)."""

    def use_queue(
        self,
        key: int = 0,
        mode: int = MODE_BALANCE,
        capacity: int = -1,
        *,
        persistent: bool = False,
        trust_foreign: bool = False,
    ) -> bool:
        """Create (0600) or attach to the SysV queue ``key``; True on success.

        ``key <= 0`` means ``ftok(main script, 1)`` like Swoole. ``mode`` is
        ``MODE_ORIENT`` or ``MODE_BALANCE``, optionally ``| IPC_NOWAIT``. ``capacity > 0``
        sets the queue's byte limit (``msg_qbytes``); above ``kernel.msgmnb`` that needs
        CAP_SYS_RESOURCE, else :class:`CapacityRefused` (and a queue we just created is
        removed again). A created queue is removed when this program exits unless
        ``persistent=True``. An existing queue of another uid, or writable by other
        users, raises :class:`QueueAccessDenied` unless ``trust_foreign=True``.
        """
        key = check_int("key", key)
        mode = check_int("mode", mode)
        capacity = check_int("capacity", capacity)
        if key > KEY_MAX:
            raise ValueError(f"key must be <= {KEY_MAX:#x}, got {key:#x}")
        base = mode & ~IPC_NOWAIT
        if base not in (MODE_ORIENT, MODE_BALANCE):
            raise ValueError(
                "mode must be MODE_ORIENT (1) or MODE_BALANCE (2), optionally | IPC_NOWAIT "
                f"(256); got {mode}"
            )
        if not 1 <= check_int("id", self.id) < KEY_MAX:
            raise ValueError(f"a Process id is in 1..{KEY_MAX - 1}, got {self.id}")
        if key <= 0:
            key = script_key()
        queue_registry.reclaim_orphans()
        mq, created = open_queue(key, trust_foreign)
        if capacity > 0:
            _set_capacity(mq, key, capacity, created)
        if created and not persistent:
            queue_registry.own(key, mq.id)
        msgmax = _sysv.msgmax()
        limit = min(msgmax, mq.max_size)
        sender = _same_queue(key, mq.id, limit)
        receiver = sender if limit == msgmax else _same_queue(key, mq.id, msgmax)
        self.msg_queue_id = mq.id
        self.msg_queue_key = key
        self._q_open = True
        self._q_send = sender.send
        self._q_recv = receiver.receive
        self._q_block = not mode & IPC_NOWAIT
        self._q_mtype = self.id + 1
        self._q_rtype = self.id + 1 if base == MODE_ORIENT else 0
        self._q_limit = limit
        self._q_msgmax = msgmax
        self._q_receivers = {msgmax: receiver.receive, limit: sender.receive}
        self._q_pushes = self._q_pops = NO_GRANT  # a grant is for one queue
        em = _trace.emitter
        if em is not None:
            fields = {"key": key, "msqid": mq.id, "mode": base, "nowait": not self._q_block}
            em.emit("queue.open", {**fields, "created": created})
        return True

    def push(self, data: bytes | bytearray | memoryview | str) -> bool:
        """Send one message tagged ``id + 1``; False only if IPC_NOWAIT and the queue is full.

        Blocks while the queue is full (without IPC_NOWAIT); a handled signal runs its
        handler and the wait continues. A body the queue can never hold raises
        :class:`MessageTooLarge` before the system call (sysv_ipc checks the length
        against the ``max_message_size`` bound in ``use_queue``).
        """
        if type(data) is not bytes or not data:
            return self._push_slow(data)
        try:
            self._q_send(data, self._q_block, self._q_mtype)
        except Exception as e:
            return self._push_retry(data, e)
        em = _trace.emitter
        if em is not None:  # inline, not through _emit: one Python frame less per push
            g = self._q_pushes
            if g.left > 0:  # counted on the monitor's grant: no call
                g.left -= 1
                g.nbytes += len(data)
            else:
                self._q_pushes = em.queue_io("queue.push", self.msg_queue_key,
                                             self.msg_queue_id, self._q_mtype, len(data),
                                             data) or NO_GRANT
        return True

    def pop(self, size: int = 65536) -> bytes | None:
        """Take the next message (of type ``id + 1`` in MODE_ORIENT, any in MODE_BALANCE).

        Blocks until one arrives; with IPC_NOWAIT returns None at once when there is none.
        A handled signal runs its handler and the wait continues (PEP 475). A message
        bigger than ``size`` raises :class:`MessageTruncated` and stays queued.
        """
        if type(size) is not int or size < self._q_msgmax:
            return self._pop_slow(size)
        try:
            data, mtype = self._q_recv(self._q_block, self._q_rtype)
        except Exception as e:
            return self._pop_retry(self._q_msgmax, size, e)
        em = _trace.emitter
        if em is not None:
            g = self._q_pops
            if g.left > 0 and g.c == mtype:  # counted on the monitor's grant: no call
                g.left -= 1
                g.nbytes += len(data)
            else:
                self._q_pops = em.queue_io("queue.pop", self.msg_queue_key,
                                           self.msg_queue_id, mtype, len(data),
                                           data) or NO_GRANT
        return data  # type: ignore[no-any-return]

    def stat_queue(self) -> dict[str, int]:
        """``{"queue_num": messages, "queue_bytes": body bytes}`` as the kernel counts them."""
        if not self._q_open or self.msg_queue_id is None:
            raise no_queue("stat_queue")
        row = _sysv.queue_row(self.msg_queue_id)
        if row is None or row.key != self.msg_queue_key:
            raise no_queue("stat_queue", gone=True)
        return {"queue_num": row.qnum, "queue_bytes": row.cbytes}

    def free_queue(self) -> bool:
        """Remove the queue from the kernel: True the first time, False afterwards.

        ``msg_queue_id``/``msg_queue_key`` keep their values (as in Swoole); push, pop and
        stat_queue raise :class:`NoQueue` until the next ``use_queue()``.
        """
        if not self._q_open or self.msg_queue_id is None:
            return False
        msqid = self.msg_queue_id
        self._q_open = False
        self._q_send, self._q_recv, self._q_receivers = _closed_push, _closed_pop, None
        self._q_pushes = self._q_pops = NO_GRANT
        queue_registry.disown(msqid)
        try:
            sysv_ipc.remove_message_queue(msqid)
        except sysv_ipc.Error:
            return False
        em = _trace.emitter
        if em is not None:
            em.emit("queue.free", {"key": self.msg_queue_key, "msqid": msqid})
        return True

    def _emit(self, kind: str, em: _trace.Emitter, mtype: int, data: bytes) -> None:
        em.queue_io(kind, self.msg_queue_key, self.msg_queue_id, mtype, len(data), data)

    def _push_slow(self, data: object) -> bool:
        """Argument checks and conversions the fast path skipped, then a normal push."""
        if not self._q_open:
            raise no_queue("push")
        if isinstance(data, str):
            data = data.encode()
        elif isinstance(data, bytearray | memoryview):
            data = bytes(data)
        elif not isinstance(data, bytes):
            raise TypeError(f"push() takes bytes or str, not {type(data).__name__}")
        n = len(data)
        if n == 0:
            raise ValueError("push(): the data to push is empty")
        if n > self._q_limit:
            raise self._too_large(n)
        return self.push(data)

    def _too_large(self, n: int) -> IPCError:
        return fail(
            "push",
            MessageTooLarge(
                f"push(): {n} bytes do not fit in one queue message (limit {self._q_limit}: "
                "kernel.msgmax or the queue capacity); split the data"
            ),
        )

    def _push_retry(self, data: bytes, first: Exception) -> bool:
        """After a failed send: full → False, EINTR → send again, removed → NoQueue."""
        exc: Exception | None = first
        while exc is not None:
            if isinstance(exc, sysv_ipc.BusyError):
                return False
            if isinstance(exc, sysv_ipc.ExistentialError) or (
                isinstance(exc, OSError) and exc.errno in (errno.EINVAL, errno.EIDRM)
            ):
                raise no_queue("push", gone=True) from None
            if isinstance(exc, ValueError) and len(data) > self._q_limit:
                raise self._too_large(len(data)) from None
            if type(exc) is not sysv_ipc.Error:
                raise exc
            try:
                self._q_send(data, self._q_block, self._q_mtype)
                exc = None
            except Exception as e:
                exc = e
        em = _trace.emitter
        if em is not None:
            self._emit("queue.push", em, self._q_mtype, data)
        return True

    def _pop_slow(self, size: object) -> bytes | None:
        """pop() with an explicit size below msgmax, or bad arguments, or no queue."""
        if type(size) is not int:
            raise TypeError(f"size must be an int, not {type(size).__name__}")
        if not self._q_open:
            raise no_queue("pop")
        if size <= 0:
            raise ValueError(f"pop(): size must be > 0, got {size}")
        return self._pop_retry(size, size, None)

    def _pop_retry(self, buffer: int, size: int, first: BaseException | None) -> bytes | None:
        """Receive with a ``buffer``-byte receiver, handling every failure.

        Empty with IPC_NOWAIT → None; EINTR → receive again (the handler has run);
        E2BIG → a bigger buffer if ``size`` allows, else :class:`MessageTruncated`.
        """
        exc = first
        while True:
            if exc is None:
                try:
                    data, mtype = self._receiver(buffer)(self._q_block, self._q_rtype)
                    break
                except Exception as e:
                    exc = e
            if isinstance(exc, sysv_ipc.BusyError):
                return None
            if isinstance(exc, sysv_ipc.ExistentialError):
                raise no_queue("pop", gone=True) from None
            if isinstance(exc, OSError) and exc.errno == errno.E2BIG:
                if buffer >= size:
                    raise self._truncated(size) from None
                buffer = size
            elif type(exc) is not sysv_ipc.Error:
                raise exc
            exc = None
        em = _trace.emitter
        if em is not None:
            self._emit("queue.pop", em, mtype, data)
        return data  # type: ignore[no-any-return]

    def _receiver(self, buffer: int) -> Any:
        """A ``receive`` bound to a ``buffer``-byte buffer (sysv_ipc fixes it per object)."""
        receivers = self._q_receivers
        if receivers is None:
            raise no_queue("pop")
        buffer = min(buffer, self._q_msgmax)
        recv = receivers.get(buffer)
        if recv is None:
            mq = _same_queue(self.msg_queue_key or 0, self.msg_queue_id or 0, buffer, "pop")
            recv = receivers[buffer] = mq.receive
        return recv

    def _truncated(self, size: int) -> IPCError:
        real = _sysv.peek_size(self.msg_queue_id or 0, self._q_rtype)
        if real is None or real <= size:
            return fail(
                "pop",
                MessageTruncated(
                    f"pop(): the next message is larger than {size} bytes and was left in "
                    "the queue; call pop() with a bigger size (or no size)",
                    size + 1,
                ),
            )
        return fail(
            "pop",
            MessageTruncated(
                f"pop(): the next message is {real} bytes, more than size={size}; it was "
                f"left in the queue: call pop({real}) or pop()",
                real,
            ),
        )


def _same_queue(key: int, msqid: int, buffer: int, op: str = "use_queue") -> Any:
    """Another handle on queue ``msqid`` whose send/receive buffer is ``buffer`` bytes.

    sysv_ipc fixes the buffer per object, so pop(size) and the length check of push each
    need an object of their own; a different msqid means the queue was replaced.
    """
    try:
        mq = sysv_ipc.MessageQueue(key, 0, max_message_size=buffer)
    except sysv_ipc.ExistentialError:
        raise no_queue(op, gone=True) from None
    if mq.id != msqid:
        raise no_queue(op, gone=True)
    return mq


def _set_capacity(mq: Any, key: int, capacity: int, created: bool) -> None:
    """Set ``msg_qbytes``; on refusal remove a queue we just created and raise."""
    try:
        mq.max_size = capacity
    except (sysv_ipc.PermissionsError, OSError) as e:
        if created:
            mq.remove()
        raise fail(
            "use_queue",
            CapacityRefused(
                f"use_queue(): cannot set capacity {capacity} on queue {key:#x} ({e}); "
                f"above kernel.msgmnb ({_sysv.msgmnb()}) this needs CAP_SYS_RESOURCE: use "
                "a smaller capacity or raise msgmnb"
            ),
        ) from None
