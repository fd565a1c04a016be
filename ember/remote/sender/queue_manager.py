"""One `remote_write` queue: series labels by ref, shards, the sender, and the resharding loop; it is
the `SampleSink` its WAL follower feeds (Prometheus's `QueueManager`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from ember.config.prometheus import RemoteWriteConfig
from ember.model.labels import Labels
from ember.remote.sender.batch_sender import Backoff, BatchSender
from ember.remote.sender.client import Poster, RemoteWriteClient
from ember.remote.sender.metrics import QueueMetrics
from ember.remote.sender.resharding import EwmaRate, ShardInputs, desired_shards
from ember.remote.sender.series_labels import SeriesLabels
from ember.remote.sender.shards import Shards, ShardSettings
from ember.remote.sender.wal_source import FollowerFactory, WalFollower

log = logging.getLogger("ember.remote.sender")

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
ClientFactory = Callable[[RemoteWriteConfig], Poster]
SHARD_UPDATE_INTERVAL_S = 10.0
FLUSH_DEADLINE_S = 60.0
_RESHARD_POLL_S = 0.05


class QueueManager:
    def __init__(self, name: str, config: RemoteWriteConfig, external_labels: Labels, metrics: QueueMetrics,
                 follower_factory: FollowerFactory, client_factory: ClientFactory, *,
                 shard_update_interval_s: float = SHARD_UPDATE_INTERVAL_S) -> None:
        self.name = name
        self.config = config
        queue = config.queue_config
        self._metrics = metrics
        self._series = SeriesLabels(external_labels, config.write_relabel_configs)
        self._settings = ShardSettings(queue.max_samples_per_send, queue.batch_send_deadline / 1000,
                                       queue.capacity)
        self._client = RemoteWriteClient(config.url, client_factory(config), timeout_s=config.remote_timeout / 1000,
                                         headers=config.headers, retry_on_http_429=queue.retry_on_http_429)
        self._rates = {kind: EwmaRate(shard_update_interval_s) for kind in ("in", "out", "dropped", "seconds")}
        self._sender = BatchSender(self._client, self._series.table,
                                   Backoff(queue.min_backoff / 1000, queue.max_backoff / 1000), metrics,
                                   self._count_sent)
        self._follower_factory = follower_factory
        self._follower: WalFollower | None = None
        self._update_interval = shard_update_interval_s
        self._shards: Shards | None = None
        self._reshard_task: asyncio.Task[None] | None = None
        self._closed = threading.Event()
        self._highest_received_s = 0.0
        metrics.shards_min.set(queue.min_shards)
        metrics.shards_max.set(queue.max_shards)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._shards = self._new_shards(self.config.queue_config.min_shards, loop)
        self._metrics.shards.set(self._shards.n)
        self._follower = self._follower_factory(self, self.name)
        self._follower.start()
        self._reshard_task = loop.create_task(self._reshard_loop())

    def _new_shards(self, n: int, loop: asyncio.AbstractEventLoop) -> Shards:
        return Shards(n, self._settings, self._sender.send, loop, on_queued=self._metrics.pending.inc)

    # ------------------------------------------------------------------ SampleSink (follower thread)
    def store_series(self, refs: I64, labels: Sequence[Labels], segment: int) -> None:
        self._series.store(np.asarray(refs, dtype=np.int64), labels, segment)

    def series_reset(self, segment: int) -> None:
        self._series.reset(segment)

    def append_samples(self, refs: I64, timestamps: I64, values: F64) -> bool:
        if self._closed.is_set():
            return False
        if not len(refs):
            return True
        self._rates["in"].add(len(refs))
        highest = int(timestamps.max()) / 1000
        if highest > self._highest_received_s:
            self._highest_received_s = highest
            self._metrics.highest_received.set(highest)
        sendable = self._series.lookup(refs) >= 0
        dropped = len(refs) - int(sendable.sum())
        if dropped:
            self._metrics.dropped.inc(dropped)
            self._rates["dropped"].add(dropped)
            refs, timestamps, values = refs[sendable], timestamps[sendable], values[sendable]
        while len(refs):
            shards = self._shards
            assert shards is not None
            rest = shards.enqueue(refs, timestamps, values, lambda: not self._closed.is_set())
            refs, timestamps, values = refs[rest], timestamps[rest], values[rest]
            if len(refs) and not self._wait_for_new_shards(shards):
                return False
        return True

    def _wait_for_new_shards(self, old: Shards) -> bool:
        """While resharding, the old shards refuse samples: wait for their successors."""
        while self._shards is old:
            if self._closed.wait(_RESHARD_POLL_S):
                return False
        return not self._closed.is_set()

    def lowest_segment_in_use(self) -> int | None:
        return None if self._follower is None else self._follower.lowest_segment_in_use()

    # ------------------------------------------------------------------ resharding (event loop)
    def _count_sent(self, samples: int, seconds: float) -> None:
        self._rates["out"].add(samples)
        self._rates["seconds"].add(seconds)

    async def _reshard_loop(self) -> None:
        while True:
            await asyncio.sleep(self._update_interval)
            target = self.desired_shards()
            shards = self._shards
            if shards is None or target == shards.n:
                continue
            # Prometheus skips resharding while sends are failing: new shards would not help.
            if time.monotonic() - self._sender.last_send_monotonic > 2 * self._settings.batch_send_deadline_s:
                log.warning("remote write %s: skipping resharding, last successful send was too long ago",
                            self.name)
                continue
            log.info("remote write %s: resharding from %d to %d shards", self.name, shards.n, target)
            # The old shards are flushed completely before the new ones start, so order per series holds.
            await shards.stop(None)
            self._shards = self._new_shards(target, asyncio.get_running_loop())
            self._metrics.shards.set(target)

    def desired_shards(self) -> int:
        """Ticks the rates and returns the shard count to run now (also sets `shards_desired`)."""
        for rate in self._rates.values():
            rate.tick()
        shards = self._shards
        current = shards.n if shards is not None else self.config.queue_config.min_shards
        inputs = ShardInputs(self._rates["in"].rate, self._rates["out"].rate, self._rates["dropped"].rate,
                             self._rates["seconds"].rate,
                             max(0.0, self._highest_received_s - self._sender.highest_sent_s))
        queue = self.config.queue_config
        target, wish = desired_shards(inputs, current, queue.min_shards, queue.max_shards)
        self._metrics.shards_desired.set(wish)
        return target

    # ------------------------------------------------------------------ shutdown
    async def stop(self, flush_deadline_s: float = FLUSH_DEADLINE_S) -> None:
        """Reads the WAL on to its current end, stops reading, then sends what is queued, all within about
        `flush_deadline_s`; what is left then is counted as failed (Prometheus's hard shutdown of a queue).
        Unlike Prometheus, samples written just before the stop are still sent."""
        if self._reshard_task is not None:
            self._reshard_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reshard_task
        if self._follower is not None:
            await asyncio.to_thread(self._follower.drain, flush_deadline_s / 2)
        self._closed.set()  # before the follower's stop: a sink waiting for room gives up
        if self._follower is not None:
            await asyncio.to_thread(self._follower.stop)
        if self._shards is not None:
            unsent = await self._shards.stop(flush_deadline_s)
            if unsent:
                log.error("remote write %s: failed to flush all samples on shutdown, dropping %d",
                          self.name, unsent)
                self._metrics.failed.inc(unsent)
                self._metrics.pending.dec(unsent)
        await self._client.close()
        self._metrics.remove()
