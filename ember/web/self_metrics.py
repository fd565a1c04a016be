"""`/metrics`: Ember's own metrics, with Prometheus's metric names where the meaning is the same, so
existing Prometheus self-monitoring dashboards work."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ember.errors import UnavailableError
from ember.web.context import VERSION


class DatabaseCollector(Collector):
    """Reads the database's counters at scrape time."""

    def __init__(self, db: Any) -> None:
        self._db = db

    def collect(self) -> Iterator[Metric]:
        try:
            db = self._db
            head, wal, metrics = db.head, db.wal, db.metrics
        except UnavailableError:  # still replaying the WAL
            return
        yield GaugeMetricFamily("prometheus_tsdb_head_series", "Total number of series in the head block.",
                                value=len(head.series))
        yield CounterMetricFamily("prometheus_tsdb_head_samples_appended_total",
                                  "Total number of appended samples.", value=metrics.samples_appended_total)
        yield GaugeMetricFamily("prometheus_tsdb_head_chunks_storage_size_bytes",
                                "Bytes the head's samples take in memory.", value=head.nbytes())
        yield GaugeMetricFamily("prometheus_tsdb_blocks_loaded", "Number of currently loaded data blocks.",
                                value=len(db.blocks))
        yield CounterMetricFamily("prometheus_tsdb_compactions_total", "Total number of compactions.",
                                  value=metrics.compactions_total)
        yield CounterMetricFamily("prometheus_tsdb_compactions_failed_total",
                                  "Total number of failed maintenance passes.", value=metrics.compactions_failed_total)
        yield CounterMetricFamily("prometheus_tsdb_head_truncations_total", "Total number of head cuts.",
                                  value=metrics.head_cuts_total)
        yield CounterMetricFamily("prometheus_tsdb_time_retentions_total",
                                  "Blocks deleted because of retention.",
                                  value=metrics.blocks_deleted_by_retention_total)
        yield SummaryMetricFamily("prometheus_tsdb_wal_fsync_duration_seconds", "Duration of WAL fsyncs.",
                                  count_value=wal.syncs_total, sum_value=wal.sync_seconds_total)
        yield CounterMetricFamily("prometheus_tsdb_wal_corruptions_total", "WAL corruptions repaired.",
                                  value=wal.corruptions_repaired_total)
        yield GaugeMetricFamily("prometheus_tsdb_data_replay_duration_seconds", "Time taken to replay the WAL.",
                                value=metrics.wal_replay_seconds)


class SelfMetrics:
    """The registry behind `/metrics` and the HTTP instrumentation."""

    def __init__(self, db: Any | None = None) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        if db is not None:
            self.registry.register(DatabaseCollector(db))
        build = GaugeMetricFamily("prometheus_build_info", "Build information.",
                                  labels=["version", "program"])
        build.add_metric([VERSION, "ember"], 1)
        self.registry.register(_Static([build]))
        self.requests = Counter("prometheus_http_requests_total", "Counter of HTTP requests.",
                                ["handler", "code"], registry=self.registry)
        self.durations = Histogram("prometheus_http_request_duration_seconds", "Histogram of HTTP latencies.",
                                   ["handler"], registry=self.registry)

    async def endpoint(self, request: Request) -> Response:
        return Response(generate_latest(self.registry), media_type="text/plain; version=0.0.4; charset=utf-8")

    def middleware(self, app: ASGIApp, handler_of: Callable[[Scope], str]) -> ASGIApp:
        async def instrumented(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            started = time.perf_counter()
            status = {"code": 500}

            async def send_with_status(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status["code"] = message["status"]
                await send(message)

            try:
                await app(scope, receive, send_with_status)
            finally:
                handler = handler_of(scope)
                self.requests.labels(handler, str(status["code"])).inc()
                self.durations.labels(handler).observe(time.perf_counter() - started)

        return instrumented


class _Static(Collector):
    def __init__(self, metrics: list[Metric]) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        yield from self._metrics
