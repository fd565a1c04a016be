"""A queue's shards: per-shard sample buffers filled by the WAL watcher's thread and drained by one
asyncio task per shard, in batches of `max_samples_per_send` or whatever is there at
`batch_send_deadline`. A series always maps to the same shard (ref modulo the shard count), and a shard
sends one batch at a time and retries it until it is settled, so each series' samples reach the
receiver in WAL order. A full shard makes the watcher wait (backpressure): nothing is ever dropped
for lack of room."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
SendBatch = Callable[[I64, I64, F64], Awaitable[None]]
_WAIT_SLICE_S = 0.1


@dataclass(frozen=True)
class ShardSettings:
    max_samples_per_send: int
    batch_send_deadline_s: float
    capacity: int
    """Samples one shard may hold before the watcher waits (Prometheus's `capacity`)."""


@dataclass
class _Buffer:
    chunks: list[tuple[I64, I64, F64]] = field(default_factory=list)
    count: int = 0
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def take(self, limit: int) -> tuple[I64, I64, F64]:
        """Removes and returns up to `limit` of the oldest samples, as one set of columns."""
        parts: list[tuple[I64, I64, F64]] = []
        taken = 0
        while self.chunks and taken < limit:
            refs, ts, vals = self.chunks[0]
            room = limit - taken
            if len(refs) <= room:
                parts.append(self.chunks.pop(0))
                taken += len(refs)
            else:
                parts.append((refs[:room], ts[:room], vals[:room]))
                self.chunks[0] = (refs[room:], ts[room:], vals[room:])
                taken += room
        self.count -= taken
        if len(parts) == 1:
            return parts[0]
        return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
                np.concatenate([p[2] for p in parts]))


class Shards:
    """`n` shards on `loop`; `enqueue` is called from another thread, everything else on the loop."""

    def __init__(self, n: int, settings: ShardSettings, send: SendBatch, loop: asyncio.AbstractEventLoop,
                 on_queued: Callable[[int], None] | None = None) -> None:
        self.n = n
        self._settings = settings
        self._limit = max(settings.capacity, settings.max_samples_per_send)
        self._send = send
        self._loop = loop
        self._on_queued = on_queued
        self._cond = threading.Condition()
        self._buffers = [_Buffer() for _ in range(n)]
        self._accepting = True
        self._flushing = False
        self._in_flight = 0
        self._tasks = [loop.create_task(self._run(i)) for i in range(n)]

    # ------------------------------------------------------------------ watcher side (any thread)
    def enqueue(self, refs: I64, timestamps: I64, values: F64, keep_waiting: Callable[[], bool]) -> I64:
        """Queues the samples, waiting while shards are full; returns the indices of the samples not
        queued because the shards stopped accepting (to be offered to their successors), in order."""
        shard = refs % self.n
        order = np.argsort(shard, kind="stable")
        bounds = np.searchsorted(shard[order], np.arange(self.n + 1)).tolist()
        offsets = bounds[:-1]
        with self._cond:
            while True:
                if not self._accepting or not keep_waiting():
                    return _unqueued(order, offsets, bounds)
                remaining = 0
                for s in range(self.n):
                    left = bounds[s + 1] - offsets[s]
                    take = min(left, self._limit - self._buffers[s].count)
                    if take > 0:
                        index = order[offsets[s] : offsets[s] + take]
                        self._push(s, refs[index], timestamps[index], values[index])
                        offsets[s] += take
                    remaining += left - max(take, 0)
                if not remaining:
                    return order[:0]
                self._cond.wait(_WAIT_SLICE_S)

    def _push(self, s: int, refs: I64, timestamps: I64, values: F64) -> None:
        buffer = self._buffers[s]
        before = buffer.count
        buffer.chunks.append((refs, timestamps, values))
        buffer.count += len(refs)
        if self._on_queued is not None:
            self._on_queued(len(refs))
        if before < self._settings.max_samples_per_send <= buffer.count or before == 0:
            # The first sample starts the deadline clock; a full batch is sent at once.
            self._loop.call_soon_threadsafe(buffer.wake.set)

    @property
    def pending(self) -> int:
        with self._cond:
            return sum(b.count for b in self._buffers)

    # ------------------------------------------------------------------ sending side (the loop)
    async def _run(self, s: int) -> None:
        buffer = self._buffers[s]
        settings = self._settings
        deadline = self._loop.time() + settings.batch_send_deadline_s
        while True:
            buffer.wake.clear()
            with self._cond:
                due = self._flushing or self._loop.time() >= deadline
                if buffer.count >= settings.max_samples_per_send or (due and buffer.count):
                    batch = buffer.take(settings.max_samples_per_send)
                    self._in_flight += len(batch[0])
                elif self._flushing:
                    return
                else:
                    batch = None
            if batch is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(buffer.wake.wait(), max(0.0, deadline - self._loop.time()))
                if buffer.count == 0 and self._loop.time() >= deadline:
                    deadline = self._loop.time() + settings.batch_send_deadline_s
                continue
            await self._send(*batch)
            with self._cond:
                self._in_flight -= len(batch[0])
                self._cond.notify_all()
            deadline = self._loop.time() + settings.batch_send_deadline_s

    async def stop(self, deadline_s: float | None) -> int:
        """Stops accepting, sends everything buffered, and returns the number of samples still unsent
        when `deadline_s` ran out (their sends are cancelled); None waits as long as it takes."""
        with self._cond:
            self._accepting = False
            self._flushing = True
            self._cond.notify_all()
        for buffer in self._buffers:
            buffer.wake.set()
        _, running = await asyncio.wait(self._tasks, timeout=deadline_s)
        for task in running:
            task.cancel()
        results = await asyncio.gather(*self._tasks, return_exceptions=True)
        for result in results:
            if isinstance(result, Exception) and not isinstance(result, asyncio.CancelledError):
                raise result
        with self._cond:
            return self._in_flight + sum(b.count for b in self._buffers)


def _unqueued(order: I64, offsets: list[int], bounds: list[int]) -> I64:
    parts = [order[offsets[s] : bounds[s + 1]] for s in range(len(offsets))]
    rest = np.concatenate(parts) if parts else order[:0]
    return np.sort(rest)
