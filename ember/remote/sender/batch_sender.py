"""Encodes a shard's batch into one WriteRequest and sends it until it is settled: recoverable
failures are retried with exponential backoff from `min_backoff` to `max_backoff` (a `Retry-After`
given by the receiver wins), final ones drop the batch and count it as failed, as Prometheus's
`sendWriteRequestWithBackoff` does."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import cramjam
import numpy as np
import numpy.typing as npt

from ember.remote.sender.client import RecoverableSendError, RemoteWriteClient, RemoteWriteError
from ember.remote.sender.metrics import QueueMetrics
from ember.remote.sender.series_labels import LabelTable
from ember.remote.sender.write_request_kernels import encode_write_request

log = logging.getLogger("ember.remote.sender")

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Backoff:
    min_s: float
    max_s: float


@dataclass(frozen=True)
class EncodedBatch:
    body: bytes
    samples: int
    highest_timestamp_ms: int


def encode_batch(table: LabelTable, refs: I64, timestamps: I64, values: F64) -> tuple[EncodedBatch, int]:
    """The snappy WriteRequest of the samples whose series are in `table` (series grouped, each series'
    samples in queue order), and how many samples had no labels any more."""
    inside = refs < len(table.start)
    known = np.zeros(len(refs), dtype=np.bool_)
    known[inside] = table.start[refs[inside]] >= 0
    missing = int(len(refs) - known.sum())
    if missing:
        refs, timestamps, values = refs[known], timestamps[known], values[known]
    order = np.argsort(refs, kind="stable")
    refs, timestamps, values = refs[order], timestamps[order], values[order]
    starts = np.flatnonzero(np.concatenate([[True], refs[1:] != refs[:-1]])) if len(refs) else refs[:0]
    bounds = np.append(starts, len(refs)).astype(np.int64)
    payload = encode_write_request(table.blob, table.start, table.end, refs[starts], bounds,
                                   np.ascontiguousarray(timestamps), np.ascontiguousarray(values))
    body = bytes(cramjam.snappy.compress_raw(payload.tobytes()))
    highest = int(timestamps.max()) if len(timestamps) else 0
    return EncodedBatch(body, len(refs), highest), missing


class BatchSender:
    """Sends batches for one queue; `labels()` gives the current label table at encoding time."""

    def __init__(self, client: RemoteWriteClient, labels: Callable[[], LabelTable], backoff: Backoff,
                 metrics: QueueMetrics, on_sent: Callable[[int, float], None]) -> None:
        self._client = client
        self._labels = labels
        self._backoff = backoff
        self._metrics = metrics
        self._on_sent = on_sent
        self.last_send_monotonic = time.monotonic()
        self.highest_sent_s = 0.0

    async def send(self, refs: I64, timestamps: I64, values: F64) -> None:
        batch, missing = encode_batch(self._labels(), refs, timestamps, values)
        if missing:
            self._metrics.dropped.inc(missing)
        started = time.monotonic()
        try:
            if batch.samples:
                await self._send_with_backoff(batch)
        except RemoteWriteError as exc:
            log.error("remote write to %s: non-recoverable error, dropping %d samples: %s",
                      self._client.url, batch.samples, exc)
            self._metrics.failed.inc(batch.samples)
        # Not reached when the send is cancelled: the queue's shutdown then counts these as failed.
        self._metrics.pending.dec(len(refs))
        self._on_sent(batch.samples, time.monotonic() - started)
        self.last_send_monotonic = time.monotonic()

    async def _send_with_backoff(self, batch: EncodedBatch) -> None:
        delay = self._backoff.min_s
        while True:
            self._metrics.samples.inc(batch.samples)
            self._metrics.bytes.inc(len(batch.body))
            started = time.monotonic()
            try:
                await self._client.store(batch.body)
            except RecoverableSendError as exc:
                sleep_s = exc.retry_after_s if exc.retry_after_s > 0 else delay
                log.warning("remote write to %s failed, retrying in %.3fs: %s", self._client.url, sleep_s, exc)
                self._metrics.retried.inc(batch.samples)
                await asyncio.sleep(sleep_s)
                delay = min(delay * 2, self._backoff.max_s)
                continue
            finally:
                self._metrics.batch_duration.observe(time.monotonic() - started)
            if batch.highest_timestamp_ms / 1000 > self.highest_sent_s:
                self.highest_sent_s = batch.highest_timestamp_ms / 1000
                self._metrics.highest_sent.set(self.highest_sent_s)
            return
