"""QueueManager against a fake receiver: batching, labels, retries, drops and backpressure."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import numpy as np
import pytest

from ember.config.durations import Duration
from ember.config.prometheus import QueueConfig, RemoteWriteConfig
from ember.model import STALE_NAN
from ember.model.labels import Labels
from ember.relabel import Action, RelabelConfig
from ember.remote.sender.metrics import QueueMetrics, SenderMetrics
from ember.remote.sender.queue_manager import QueueManager
from ember.remote.sender.shards import Shards
from tests.remote.sender.fakes import FakeReceiver, FollowerRegistry, rows, series

URL = "http://receiver.test/api/v1/write"
NO_LABELS = Labels()


class KeptQueueMetrics(QueueMetrics):
    """Keeps the queue's series after stop, so tests can read what the flush did."""

    def remove(self) -> None:
        pass


def make_config(**queue: Any) -> RemoteWriteConfig:
    settings: dict[str, Any] = {"max_samples_per_send": 100, "batch_send_deadline": Duration(30),
                                "min_backoff": Duration(5), "max_backoff": Duration(20), "capacity": 1000}
    settings.update(queue)
    return RemoteWriteConfig(url=URL, name="q", headers={"X-Scope-OrgID": "tenant-1"},
                             queue_config=QueueConfig(**settings))


Scenario = Callable[[QueueManager, FakeReceiver, SenderMetrics], Awaitable[None]]


def run(receiver: FakeReceiver, config: RemoteWriteConfig, scenario: Scenario,
        external: Labels = NO_LABELS) -> SenderMetrics:
    metrics = SenderMetrics()

    async def main() -> None:
        queue = QueueManager("q", config, external, KeptQueueMetrics(metrics, "q", URL), FollowerRegistry(),
                             receiver.client_factory, shard_update_interval_s=3600)
        await queue.start()
        try:
            await scenario(queue, receiver, metrics)
        finally:
            await queue.stop(flush_deadline_s=2)

    asyncio.run(main())
    return metrics


def value(metrics: SenderMetrics, name: str) -> float:
    found = metrics.registry.get_sample_value(f"prometheus_remote_storage_{name}", {"remote_name": "q", "url": URL})
    return 0.0 if found is None else found


async def feed(queue: QueueManager, labels: list[Labels], timestamps: list[int], values: np.ndarray) -> bool:
    """Announces the series, then appends one row per timestamp, from a thread as the WAL watcher does."""
    refs = np.arange(len(labels), dtype=np.int64) + 7

    def work() -> bool:
        queue.store_series(refs, labels, 0)
        return all(queue.append_samples(refs, np.full(len(refs), t, dtype=np.int64), values[k].copy())
                   for k, t in enumerate(timestamps))

    return await asyncio.to_thread(work)


async def settle(receiver: FakeReceiver, expected: int, timeout_s: float = 10) -> None:
    for _ in range(int(timeout_s / 0.01)):
        if len(receiver.accepted) >= expected:
            return
        await asyncio.sleep(0.01)


def sample_values(steps: int, width: int) -> np.ndarray:
    values = np.arange(steps * width, dtype=np.float64).reshape(steps, width) + 0.5
    values[-1, 0] = STALE_NAN
    values[1, 1] = -0.0
    return values


def test_batches_carry_every_sample_once_with_protocol_headers() -> None:
    labels, timestamps = series(10), [1000 * k for k in range(50)]
    values = sample_values(50, 10)
    receiver = FakeReceiver()

    async def scenario(queue: QueueManager, receiver: FakeReceiver, metrics: SenderMetrics) -> None:
        assert await feed(queue, labels, timestamps, values)
        await settle(receiver, 500)

    metrics = run(receiver, make_config(), scenario)
    assert sorted(receiver.accepted, key=str) == sorted(rows(labels, timestamps, values), key=str)
    assert max(receiver.batch_sizes) <= 100 and len(receiver.batch_sizes) >= 5
    headers = receiver.requests[0].headers
    assert headers["Content-Encoding"] == "snappy"
    assert headers["Content-Type"] == "application/x-protobuf"
    assert headers["X-Prometheus-Remote-Write-Version"] == "0.1.0"
    assert headers["User-Agent"].startswith("Ember/")
    assert headers["X-Scope-OrgID"] == "tenant-1"
    assert value(metrics, "samples_total") == 500
    assert value(metrics, "samples_pending") == 0
    assert value(metrics, "queue_highest_sent_timestamp_seconds") == 49.0
    assert value(metrics, "bytes_total") == sum(len(r.content) for r in receiver.requests)


def test_each_series_arrives_in_wal_order() -> None:
    labels, timestamps = series(3), list(range(0, 300_000, 1000))
    values = np.tile(np.arange(300, dtype=np.float64)[:, None], (1, 3))
    receiver = FakeReceiver()

    async def scenario(queue: QueueManager, receiver: FakeReceiver, metrics: SenderMetrics) -> None:
        assert await feed(queue, labels, timestamps, values)
        await settle(receiver, 900)

    run(receiver, make_config(max_samples_per_send=7), scenario)
    for one in labels:
        stamps = [t for lab, t, _ in receiver.accepted if lab == one]
        assert stamps == timestamps


def test_external_labels_added_and_write_relabel_applied_once_per_series() -> None:
    labels = series(4)
    receiver = FakeReceiver()
    drop = RelabelConfig(source_labels=("i",), regex="1", action=Action.DROP)
    rename = RelabelConfig(source_labels=("i",), target_label="instance", replacement="host-$1")
    config = RemoteWriteConfig(url=URL, name="q", write_relabel_configs=(drop, rename),
                               queue_config=make_config().queue_config)
    external = Labels.from_strings("cluster", "eu-1", "job", "from-external")

    async def scenario(queue: QueueManager, receiver: FakeReceiver, metrics: SenderMetrics) -> None:
        assert await feed(queue, labels, [1000, 2000], np.ones((2, 4)))
        await settle(receiver, 6)

    metrics = run(receiver, config, scenario, external)
    sent = {lab for lab, _, _ in receiver.accepted}
    assert sent == {Labels.from_strings("__name__", "m", "job", "api", "i", str(i), "cluster", "eu-1",
                                        "instance", f"host-{i}") for i in (0, 2, 3)}
    assert value(metrics, "samples_dropped_total") == 2


def test_samples_of_unknown_series_are_dropped_and_counted() -> None:
    receiver = FakeReceiver()

    async def scenario(queue: QueueManager, receiver: FakeReceiver, metrics: SenderMetrics) -> None:
        refs = np.array([1, 2], dtype=np.int64)
        ok = await asyncio.to_thread(queue.append_samples, refs, np.array([5, 5]), np.array([1.0, 2.0]))
        assert ok

    metrics = run(receiver, make_config(), scenario)
    assert value(metrics, "samples_dropped_total") == 2
    assert receiver.accepted == []


def test_server_errors_are_retried_until_accepted_leaving_no_gap() -> None:
    labels, timestamps = series(5), [1000 * k for k in range(40)]
    values = sample_values(40, 5)
    receiver = FakeReceiver(respond=lambda n: httpx.Response(500 if n < 4 else 200, text="overloaded"))

    async def scenario(queue: QueueManager, receiver: FakeReceiver, metrics: SenderMetrics) -> None:
        assert await feed(queue, labels, timestamps, values)
        await settle(receiver, 200)

    metrics = run(receiver, make_config(max_samples_per_send=50), scenario)
    assert sorted(receiver.accepted, key=str) == sorted(rows(labels, timestamps, values), key=str)
    assert value(metrics, "samples_retried_total") > 0
    assert value(metrics, "samples_failed_total") == 0


def test_429_is_retried_honouring_retry_after_when_enabled() -> None:
    receiver = FakeReceiver(respond=lambda n: httpx.Response(429, headers={"Retry-After": "0"}) if n == 0
                            else httpx.Response(204))

    async def scenario(queue: QueueManager, receiver: FakeReceiver, metrics: SenderMetrics) -> None:
        assert await feed(queue, series(2), [1000], np.ones((1, 2)))
        await settle(receiver, 2)

    metrics = run(receiver, make_config(retry_on_http_429=True), scenario)
    assert len(receiver.accepted) == 2 and len(receiver.requests) == 2
    assert value(metrics, "samples_retried_total") == 2


def test_429_is_final_when_retry_on_http_429_is_off() -> None:
    receiver = FakeReceiver(respond=lambda n: httpx.Response(429))

    async def scenario(queue: QueueManager, receiver: FakeReceiver, metrics: SenderMetrics) -> None:
        assert await feed(queue, series(2), [1000], np.ones((1, 2)))
        await asyncio.sleep(0.2)

    metrics = run(receiver, make_config(retry_on_http_429=False), scenario)
    assert len(receiver.requests) == 1
    assert value(metrics, "samples_failed_total") == 2


def test_client_errors_drop_the_batch_and_count_it() -> None:
    receiver = FakeReceiver(respond=lambda n: httpx.Response(400, text="out of order sample"))

    async def scenario(queue: QueueManager, receiver: FakeReceiver, metrics: SenderMetrics) -> None:
        assert await feed(queue, series(10), [1000 * k for k in range(30)], np.ones((30, 10)))
        for _ in range(500):
            if value(metrics, "samples_failed_total") >= 300:
                break
            await asyncio.sleep(0.01)

    metrics = run(receiver, make_config(), scenario)
    assert receiver.accepted == []
    assert value(metrics, "samples_failed_total") == 300
    assert value(metrics, "samples_retried_total") == 0
    assert len(receiver.requests) == 3  # one try per batch of 100


def test_a_full_queue_makes_the_feeder_wait_and_loses_nothing() -> None:
    labels, timestamps = series(10), [1000 * k for k in range(40)]
    values = sample_values(40, 10)
    receiver = FakeReceiver()

    async def scenario(queue: QueueManager, receiver: FakeReceiver, metrics: SenderMetrics) -> None:
        receiver.gate = asyncio.Event()
        feeding = asyncio.ensure_future(feed(queue, labels, timestamps, values))
        await asyncio.sleep(0.3)
        assert not feeding.done()  # blocked on the full shard: nothing is dropped for lack of room
        assert value(metrics, "samples_pending") <= 50 + 25  # capacity + the batch in flight
        receiver.gate.set()
        assert await feeding
        await settle(receiver, 400)

    metrics = run(receiver, make_config(capacity=50, max_samples_per_send=25), scenario)
    assert sorted(receiver.accepted, key=str) == sorted(rows(labels, timestamps, values), key=str)
    assert value(metrics, "samples_dropped_total") == 0


def test_stop_flushes_a_partial_batch_before_its_deadline() -> None:
    receiver = FakeReceiver()

    async def scenario(queue: QueueManager, receiver: FakeReceiver, metrics: SenderMetrics) -> None:
        assert await feed(queue, series(3), [1000], np.ones((1, 3)))

    run(receiver, make_config(batch_send_deadline=Duration(60_000)), scenario)
    assert len(receiver.accepted) == 3


def test_stop_gives_up_after_its_deadline_and_counts_the_rest_as_failed() -> None:
    receiver = FakeReceiver(respond=lambda n: httpx.Response(503))
    metrics = SenderMetrics()

    async def main() -> None:
        queue = QueueManager("q", make_config(), Labels(), KeptQueueMetrics(metrics, "q", URL),
                             FollowerRegistry(), receiver.client_factory)
        await queue.start()
        assert await feed(queue, series(4), [1000], np.ones((1, 4)))
        await asyncio.sleep(0.1)
        await queue.stop(flush_deadline_s=0.2)

    asyncio.run(main())
    assert value(metrics, "samples_failed_total") == 4
    assert value(metrics, "samples_pending") == 0
    assert receiver.accepted == []


def test_stop_removes_the_queue_series_from_the_registry() -> None:
    receiver = FakeReceiver()
    metrics = SenderMetrics()

    async def main() -> None:
        queue = QueueManager("q", make_config(), Labels(), metrics.queue("q", URL), FollowerRegistry(),
                             receiver.client_factory)
        await queue.start()
        assert value(metrics, "shards_max") == 50
        await queue.stop()

    asyncio.run(main())
    assert metrics.registry.get_sample_value("prometheus_remote_storage_shards_max",
                                             {"remote_name": "q", "url": URL}) is None


def test_resharding_keeps_every_series_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    labels, timestamps = series(8), [1000 * k for k in range(60)]
    values = np.tile(np.arange(60, dtype=np.float64)[:, None], (1, 8))
    receiver = FakeReceiver()
    seen_shards: list[int] = []

    async def scenario(queue: QueueManager, receiver: FakeReceiver, metrics: SenderMetrics) -> None:
        assert await feed(queue, labels, timestamps[:30], values[:30])
        monkeypatch.setattr(queue, "desired_shards", lambda: 3)
        queue._update_interval = 0.02
        task = asyncio.get_running_loop().create_task(queue._reshard_loop())
        refs = np.arange(8, dtype=np.int64) + 7
        for k in range(30, 60):  # appended while the reshard happens
            assert await asyncio.to_thread(queue.append_samples, refs, np.full(8, timestamps[k]), values[k])
            await asyncio.sleep(0.005)
        await settle(receiver, 480)
        assert isinstance(queue._shards, Shards)
        seen_shards.append(queue._shards.n)
        task.cancel()

    metrics = run(receiver, make_config(max_samples_per_send=10, batch_send_deadline=Duration(500)), scenario)
    assert seen_shards == [3] and value(metrics, "shards") == 3
    for one in labels:
        assert [t for lab, t, _ in receiver.accepted if lab == one] == timestamps


def test_append_after_stop_reports_closed() -> None:
    receiver = FakeReceiver()
    metrics = SenderMetrics()
    done = threading.Event()

    async def main() -> None:
        queue = QueueManager("q", make_config(), Labels(), metrics.queue("q", URL), FollowerRegistry(),
                             receiver.client_factory)
        await queue.start()
        await queue.stop()
        queue.store_series(np.array([1]), series(1), 0)
        assert not queue.append_samples(np.array([1]), np.array([1]), np.array([1.0]))
        done.set()

    asyncio.run(main())
    assert done.is_set()
