"""The remote-write queue metrics, with Prometheus's names, help texts and `remote_name`/`url` labels."""

from __future__ import annotations

import contextlib

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_QUEUE_LABELS = ("remote_name", "url")
_BATCH_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60, 120, 300)


class SenderMetrics:
    """One set of metric families per `RemoteWriteStorage`; each queue takes its labelled children."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        reg = registry if registry is not None else CollectorRegistry()
        self.registry = reg
        prefix = "prometheus_remote_storage_"

        def counter(name: str, help_text: str) -> Counter:
            return Counter(prefix + name, help_text, _QUEUE_LABELS, registry=reg)

        def gauge(name: str, help_text: str) -> Gauge:
            return Gauge(prefix + name, help_text, _QUEUE_LABELS, registry=reg)

        self.samples = counter("samples_total", "Total number of samples sent to remote storage.")
        self.failed = counter("samples_failed_total", "Total number of samples which failed on send to "
                              "remote storage, non-recoverable errors.")
        self.retried = counter("samples_retried_total", "Total number of samples which failed on send to "
                               "remote storage but were retried because the send error was recoverable.")
        self.dropped = counter("samples_dropped_total", "Total number of samples which were dropped after "
                               "being read from the WAL before being sent via remote write, either via "
                               "relabelling or unintentionally because of an unknown reference ID.")
        self.bytes = counter("bytes_total", "The total number of bytes of data (not metadata) sent by the "
                             "queue after compression.")
        self.pending = gauge("samples_pending", "The number of samples pending in the queues shards to be "
                             "sent to the remote storage.")
        self.shards = gauge("shards", "The number of shards used for parallel sending to the remote storage.")
        self.shards_desired = gauge("shards_desired", "The number of shards that the queues shard "
                                    "calculation wants to run based on the rate of samples in vs. samples out.")
        self.shards_min = gauge("shards_min", "The minimum number of shards that the queue is allowed to run.")
        self.shards_max = gauge("shards_max", "The maximum number of shards that the queue is allowed to run.")
        self.highest_sent = gauge("queue_highest_sent_timestamp_seconds", "Timestamp from a WAL sample, the "
                                  "highest timestamp successfully sent by this queue, in seconds since epoch.")
        self.batch_duration = Histogram(prefix + "sent_batch_duration_seconds", "Duration of send calls to the "
                                        "remote storage.", _QUEUE_LABELS, buckets=_BATCH_BUCKETS, registry=reg)
        self.highest_received = Gauge(prefix + "highest_timestamp_in_seconds", "Highest timestamp that has come "
                                      "into the remote storage via the Appender interface, in seconds since "
                                      "epoch.", registry=reg)

    def queue(self, remote_name: str, url: str) -> QueueMetrics:
        return QueueMetrics(self, remote_name, url)


class QueueMetrics:
    """The children of one queue; `remove` drops them when the queue goes away (as Prometheus
    unregisters a stopped queue's series)."""

    def __init__(self, families: SenderMetrics, remote_name: str, url: str) -> None:
        self._families = families
        self._key = (remote_name, url)
        f = families
        self.samples = f.samples.labels(*self._key)
        self.failed = f.failed.labels(*self._key)
        self.retried = f.retried.labels(*self._key)
        self.dropped = f.dropped.labels(*self._key)
        self.bytes = f.bytes.labels(*self._key)
        self.pending = f.pending.labels(*self._key)
        self.shards = f.shards.labels(*self._key)
        self.shards_desired = f.shards_desired.labels(*self._key)
        self.shards_min = f.shards_min.labels(*self._key)
        self.shards_max = f.shards_max.labels(*self._key)
        self.highest_sent = f.highest_sent.labels(*self._key)
        self.batch_duration = f.batch_duration.labels(*self._key)
        self.highest_received = f.highest_received

    def remove(self) -> None:
        f = self._families
        for family in (f.samples, f.failed, f.retried, f.dropped, f.bytes, f.pending, f.shards, f.shards_desired,
                       f.shards_min, f.shards_max, f.highest_sent, f.batch_duration):
            with contextlib.suppress(KeyError):
                family.remove(*self._key)
