"""The notifier's own metrics, with Prometheus's names (`notifier/notifier.go` `alertMetrics`), read at
scrape time by a collector registered in the registry the server passes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.registry import Collector


@dataclass
class NotifierMetrics:
    """Counters per Alertmanager URL; the gauges are read through callbacks when collected."""

    queue_length: Callable[[], int]
    queue_capacity: int
    active_alertmanagers: Callable[[], list[str]]
    sent: dict[str, float] = field(default_factory=dict)
    errors: dict[str, float] = field(default_factory=dict)
    latency_count: dict[str, int] = field(default_factory=dict)
    latency_sum: dict[str, float] = field(default_factory=dict)
    dropped: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_dropped(self, count: int) -> None:
        with self._lock:
            self.dropped += count

    def record_send(self, url: str, count: int, ok: bool, seconds: float) -> None:
        """One POST to one Alertmanager: `count` alerts sent or failed, and its latency."""
        with self._lock:
            counters = self.sent if ok else self.errors
            counters[url] = counters.get(url, 0.0) + count
            self.latency_count[url] = self.latency_count.get(url, 0) + 1
            self.latency_sum[url] = self.latency_sum.get(url, 0.0) + seconds


class NotifierCollector(Collector):
    """Exposes `NotifierMetrics`; per-Alertmanager series exist for the currently active Alertmanagers,
    starting at zero, as Prometheus initialises and deletes them on discovery changes."""

    def __init__(self, metrics: NotifierMetrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        m = self._metrics
        urls = m.active_alertmanagers()
        sent = CounterMetricFamily("prometheus_notifications_sent_total", "Total number of alerts sent.",
                                   labels=["alertmanager"])
        errors = CounterMetricFamily("prometheus_notifications_errors_total",
                                     "Total number of sent alerts affected by errors.", labels=["alertmanager"])
        latency = SummaryMetricFamily("prometheus_notifications_latency_seconds",
                                      "Latency quantiles for sending alert notifications.", labels=["alertmanager"])
        with m._lock:
            for url in urls:
                sent.add_metric([url], m.sent.get(url, 0.0))
                errors.add_metric([url], m.errors.get(url, 0.0))
                latency.add_metric([url], m.latency_count.get(url, 0), m.latency_sum.get(url, 0.0))
            dropped = m.dropped
        yield latency
        yield errors
        yield sent
        yield CounterMetricFamily("prometheus_notifications_dropped_total",
                                  "Total number of alerts dropped due to errors when sending to Alertmanager.",
                                  value=dropped)
        yield GaugeMetricFamily("prometheus_notifications_queue_length",
                                "The number of alert notifications in the queue.", value=m.queue_length())
        yield GaugeMetricFamily("prometheus_notifications_queue_capacity",
                                "The capacity of the alert notifications queue.", value=m.queue_capacity)
        yield GaugeMetricFamily("prometheus_notifications_alertmanagers_discovered",
                                "The number of alertmanagers discovered and active.", value=len(urls))
