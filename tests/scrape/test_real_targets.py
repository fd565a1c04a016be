"""Scraping real exporters: a Python app instrumented with prometheus_client, and the Debian
prometheus-node-exporter when installed."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from ember.config.loader import load_config_text
from ember.model.labels import Labels
from ember.model.matchers import Matcher
from ember.scrape.http_client import ScrapeClient
from ember.scrape.loop import ScrapeLoop
from ember.scrape.target import populate_target
from ember.storage.interface import MAX_TIME, MIN_TIME
from ember.testing import ReferenceStorage
from tests.local_servers import free_port


def _scrape_twice(address: str) -> tuple[ReferenceStorage, list[str]]:
    config = load_config_text(
        f"scrape_configs:\n  - job_name: real\n    static_configs:\n      - targets: ['{address}']\n"
    ).scrape_configs[0]
    target = populate_target(Labels([("__address__", address)]), config)
    assert target is not None
    storage = ReferenceStorage()
    clock = iter([1000.0, 1000.1, 1015.0, 1015.1, 1030.0, 1030.1])

    async def scenario() -> list[str]:
        loop = ScrapeLoop(target, config, storage, ScrapeClient(), clock=lambda: next(clock))
        errors = [(await loop.scrape_once()).error for _ in range(2)]
        return errors

    return storage, asyncio.run(scenario())


def test_prometheus_client_app() -> None:
    registry = CollectorRegistry()
    requests = Counter("app_requests", "Requests served.", ["path"], registry=registry)
    Gauge("app_temperature_celsius", "A gauge.", registry=registry).set(21.5)
    latency = Histogram("app_latency_seconds", "Latency.", registry=registry)
    requests.labels("/").inc(3)
    latency.observe(0.2)
    port = free_port()
    server, _thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    try:
        storage, errors = _scrape_twice(f"127.0.0.1:{port}")
    finally:
        server.shutdown()
    assert errors == ["", ""]
    querier = storage.querier()
    (labels,) = querier.select([Matcher.equal("__name__", "app_requests_total")], MIN_TIME, MAX_TIME).labels
    assert labels.get("path") == "/" and labels.get("job") == "real"
    buckets = querier.select([Matcher.equal("__name__", "app_latency_seconds_bucket")], MIN_TIME, MAX_TIME)
    assert {lb.get("le") for lb in buckets.labels} >= {"0.25", "+Inf"}
    _, values = querier.select([Matcher.equal("__name__", "app_temperature_celsius")], MIN_TIME, MAX_TIME).series(0)
    assert values.tolist() == [21.5, 21.5]


@pytest.fixture
def node_exporter() -> Iterator[str]:
    binary = shutil.which("prometheus-node-exporter")
    if binary is None:
        pytest.skip("prometheus-node-exporter not installed (Debian package prometheus-node-exporter)")
    port = free_port()
    process = subprocess.Popen([binary, f"--web.listen-address=127.0.0.1:{port}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://{address}/metrics", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield address
    finally:
        process.terminate()
        process.wait()


@pytest.mark.server
def test_node_exporter(node_exporter: str) -> None:
    storage, errors = _scrape_twice(node_exporter)
    assert errors == ["", ""]
    querier = storage.querier()
    assert len(querier.select([Matcher.regex("__name__", "node_.+")], MIN_TIME, MAX_TIME)) > 50
    _, up = querier.select([Matcher.equal("__name__", "up")], MIN_TIME, MAX_TIME).series(0)
    assert up.tolist() == [1.0, 1.0]
