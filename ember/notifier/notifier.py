"""The notifier: queues the alerts the rule manager hands over and posts them, in batches of at most 64,
to every discovered Alertmanager concurrently (Prometheus's `notifier.Manager`)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Mapping, Sequence

import httpx
from prometheus_client import CollectorRegistry

from ember.config.prometheus import AlertingConfig
from ember.errors import ConfigError
from ember.model.labels import Labels
from ember.notifier.alert_queue import AlertQueue
from ember.notifier.discovery import AlertmanagerSet
from ember.notifier.metrics import NotifierCollector, NotifierMetrics
from ember.notifier.payload import encode_alerts, relabel_alerts
from ember.rules.alert import Alert

MAX_BATCH_SIZE = 64
"""Alerts per request, Prometheus's `maxBatchSize`."""
SUPPORTED_API_VERSIONS = ("v2",)
_JSON_HEADERS = {"Content-Type": "application/json"}

log = logging.getLogger("ember.notifier")


def check_alerting_config(settings: AlertingConfig) -> None:
    """Refuses settings the notifier cannot honour (today: an API version other than v2)."""
    for index, config in enumerate(settings.alertmanagers):
        if config.api_version not in SUPPORTED_API_VERSIONS:
            raise ConfigError(
                f"alerting.alertmanagers[{index}].api_version: expected Alertmanager api version to be one of "
                f"[{', '.join(SUPPORTED_API_VERSIONS)}] but got {config.api_version}"
            )


class Notifier:
    """Sends alerts to Alertmanager. `send` never blocks; a sender task does the HTTP work."""

    def __init__(
        self,
        settings: AlertingConfig,
        external_labels: Mapping[str, str] | Labels,
        *,
        queue_capacity: int = 10_000,
        logger: logging.Logger | None = None,
        registry: CollectorRegistry | None = None,
        drain_timeout_s: float = 5.0,
    ) -> None:
        check_alerting_config(settings)
        self._settings = settings
        self._external = _as_labels(external_labels)
        self._log = logger or log
        self._queue = AlertQueue(queue_capacity)
        self._drain_timeout_s = drain_timeout_s
        self._sets: list[AlertmanagerSet] = []
        self._more: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._sender: asyncio.Task[None] | None = None
        self._stopping = False
        self._config_lock = threading.Lock()
        self.metrics = NotifierMetrics(lambda: len(self._queue), queue_capacity, lambda: self.alertmanagers()[0])
        if registry is not None:
            registry.register(NotifierCollector(self.metrics))

    def send(self, alerts: Sequence[Alert]) -> None:
        """Queues `alerts` after external labels and `alert_relabel_configs`; when the queue is full the
        oldest queued alerts are dropped and counted. Safe to call from any thread."""
        with self._config_lock:
            relabelled = relabel_alerts(alerts, self._settings.alert_relabel_configs, self._external)
        if not relabelled:
            return
        dropped = self._queue.push(relabelled)
        if dropped:
            self._log.warning("Alert notification queue full, dropping alerts num_dropped=%d", dropped)
            self.metrics.add_dropped(dropped)
        self._wake_sender()

    def _wake_sender(self) -> None:
        loop, more = self._loop, self._more
        if loop is None or more is None or loop.is_closed():
            return
        if threading.get_ident() == self._loop_thread:
            more.set()
        else:
            loop.call_soon_threadsafe(more.set)

    def alertmanagers(self) -> tuple[list[str], list[str]]:
        """The active and the dropped Alertmanager URLs, for `/api/v1/alertmanagers`."""
        sets = self._sets
        return [url for s in sets for url in s.active], [url for s in sets for url in s.dropped]

    @property
    def queue_length(self) -> int:
        return len(self._queue)

    async def start(self) -> None:
        """Starts discovery and the sender task (on the running event loop); a second call does nothing."""
        if self._sender is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._more = asyncio.Event()
        self._stopping = False
        self._sets = await self._started_sets(self._settings, [])
        self._sender = asyncio.create_task(self._send_loop())
        if len(self._queue):
            self._more.set()

    async def apply_config(self, settings: AlertingConfig, external_labels: Mapping[str, str] | Labels) -> None:
        """Applies a reloaded configuration; queued alerts stay queued and unchanged Alertmanager sets keep
        their discovered Alertmanagers. Raises ConfigError, changing nothing, for settings it cannot use."""
        check_alerting_config(settings)
        if self._sender is not None:
            previous = self._sets
            self._sets = await self._started_sets(settings, previous)
            for old in previous:
                if old not in self._sets:
                    await old.stop()
        with self._config_lock:
            self._settings = settings
            self._external = _as_labels(external_labels)

    async def _started_sets(self, settings: AlertingConfig, previous: list[AlertmanagerSet]) -> list[AlertmanagerSet]:
        """One set per `alertmanagers` entry; a previous set with an equal configuration is kept as is."""
        available = list(previous)
        sets: list[AlertmanagerSet] = []
        try:
            for index, config in enumerate(settings.alertmanagers):
                kept = next((s for s in available if s.config == config), None)
                if kept is None:
                    kept = AlertmanagerSet(f"config-{index}", config, self._log)
                    await kept.start()
                else:
                    available.remove(kept)
                sets.append(kept)
        except BaseException:
            for started in sets:
                if started not in previous:
                    await started.stop()
            raise
        return sets

    async def stop(self) -> None:
        """Stops the sender after its current batch, sends what is still queued for at most
        `drain_timeout_s` (Prometheus drains the queue on shutdown), then stops discovery."""
        if self._sender is None:
            return
        self._stopping = True
        deadline = time.monotonic() + self._drain_timeout_s
        if self._more is not None:
            self._more.set()
        try:
            await asyncio.wait_for(self._sender, timeout=self._drain_timeout_s)
            while len(self._queue) and time.monotonic() < deadline:
                await asyncio.wait_for(self._send_one_batch(), timeout=max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            self._log.warning("Draining notifications on shutdown timed out")
        finally:
            self._sender.cancel()
            await asyncio.gather(self._sender, return_exceptions=True)
            left = self._queue.clear()
            if left:
                self._log.warning("Notifications dropped on shutdown count=%d", left)
                self.metrics.add_dropped(left)
            for am_set in self._sets:
                await am_set.stop()
            self._sets, self._sender, self._loop, self._more = [], None, None, None

    async def _send_loop(self) -> None:
        assert self._more is not None
        while not self._stopping:
            await self._more.wait()
            self._more.clear()
            while len(self._queue) and not self._stopping:
                try:
                    await self._send_one_batch()
                except Exception:  # a bug here must not silence alerting for the rest of the process
                    self._log.exception("Sending a batch of alerts failed")

    async def _send_one_batch(self) -> None:
        alerts = self._queue.next_batch(MAX_BATCH_SIZE)
        if not alerts:
            return
        try:
            delivered = await self._send_all(alerts)
        except asyncio.CancelledError:  # shutdown cut the batch short: it is lost, so count it
            self.metrics.add_dropped(len(alerts))
            raise
        if not delivered:
            self.metrics.add_dropped(len(alerts))

    async def _send_all(self, alerts: list[Alert]) -> bool:
        """Posts `alerts` to every Alertmanager of every set; False when some set that had Alertmanagers
        (and alerts left after its relabelling) got them into none of them (Prometheus's `sendAll`)."""
        begin = time.monotonic()
        shared_payload: bytes | None = None
        attempts = []
        for am_set in self._sets:
            if not am_set.active:
                continue
            configs = am_set.config.alert_relabel_configs
            set_alerts = relabel_alerts(alerts, configs, Labels()) if configs else alerts
            if not set_alerts:
                continue
            if configs:
                payload = encode_alerts(set_alerts)
            else:
                shared_payload = shared_payload or encode_alerts(alerts)
                payload = shared_payload
            attempts.append(self._send_to_set(am_set, payload, len(set_alerts), begin))
        covered = await asyncio.gather(*attempts)
        return all(covered)

    async def _send_to_set(self, am_set: AlertmanagerSet, payload: bytes, count: int, begin: float) -> bool:
        results = await asyncio.gather(
            *(self._post(am_set, url, payload, count, begin) for url in am_set.active)
        )
        return any(results)

    async def _post(self, am_set: AlertmanagerSet, url: str, payload: bytes, count: int, begin: float) -> bool:
        error = ""
        try:
            async with asyncio.timeout(int(am_set.config.timeout) / 1000):
                response = await am_set.client.post(url, content=payload, headers=_JSON_HEADERS)
            if response.status_code // 100 != 2:
                error = f"bad response status {response.status_code} {response.reason_phrase}"
        except TimeoutError:
            error = "context deadline exceeded"
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            error = str(exc) or type(exc).__name__
        seconds = time.monotonic() - begin
        if error:
            self._log.error("Error sending alerts alertmanager=%s count=%d err=%s", url, count, error)
        self.metrics.record_send(url, count, not error, seconds)
        return not error


def _as_labels(external_labels: Mapping[str, str] | Labels) -> Labels:
    return external_labels if isinstance(external_labels, Labels) else Labels(external_labels.items())
