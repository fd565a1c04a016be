"""The remote-read client: reading through it equals reading the remote storage directly, against
Ember's own `/api/v1/read` (in-process and over real HTTP with uvicorn) and a real Prometheus 2.42."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import uvicorn
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from ember.config.durations import Duration
from ember.config.http_client import Authorization, BasicAuth, HTTPClientConfig
from ember.config.loader import load_config_text
from ember.config.prometheus import RemoteReadConfig
from ember.errors import BadDataError, StorageError
from ember.model.labels import Labels
from ember.model.matchers import Matcher
from ember.model.samples import STALE_NAN, SampleBatch
from ember.remote.read_client import RemoteReadClient, clients_from_config
from ember.remote.read_codec import decode_read_request, decode_read_response, encode_read_response
from ember.remote.read_http import build_sync_client
from ember.remote.receiver import read_route
from ember.storage.interface import MAX_TIME, MIN_TIME, Appender
from ember.storage.series_set import SeriesSet
from ember.testing import ReferenceStorage
from ember.testing.storage_suite import UP_A, UP_B, StorageConformance
from tests.local_servers import free_port

URL = "http://testserver/api/v1/read"
ALL = [Matcher.regex("__name__", ".+")]


def _store(storage: ReferenceStorage, series: dict[Labels, tuple[list[int], list[float]]]) -> None:
    appender = storage.appender()
    for labels, (ts, vals) in series.items():
        appender.append(SampleBatch.of_series(labels, ts, vals))
    appender.commit()


def _client(storage: ReferenceStorage, **settings_: Any) -> RemoteReadClient:
    """A client of `storage` served by Ember's read route in-process (Starlette's test transport)."""
    options = {k: settings_.pop(k) for k in ("external_labels", "local_start_time") if k in settings_}
    app = Starlette(routes=[read_route(storage)])
    return RemoteReadClient(RemoteReadConfig(url=URL, **settings_), client=TestClient(app), **options)


def _same(a: SeriesSet, b: SeriesSet) -> bool:
    return (
        list(a.labels) == list(b.labels)
        and a.offsets.tolist() == b.offsets.tolist()
        and a.timestamps.tolist() == b.timestamps.tolist()
        and a.values.view(np.uint64).tolist() == b.values.view(np.uint64).tolist()
    )


METRICS = [Labels.from_strings("__name__", f"m{i % 3}", "i", str(i), "job", "ab"[i % 2]) for i in range(8)]


@settings(max_examples=25)
@given(
    st.dictionaries(
        st.sampled_from(METRICS),
        st.lists(st.tuples(st.integers(-5, 40), st.sampled_from([0.5, -0.0, 7.0, STALE_NAN, float("inf")])),
                 min_size=1, max_size=12, unique_by=lambda p: p[0]),
        min_size=1,
    ),
    st.sampled_from([ALL, [Matcher.equal("__name__", "m1")], [Matcher.regex("job", "a"), Matcher.not_equal("i", "2")]]),
    st.integers(-10, 45),
    st.integers(0, 30),
)
def test_select_through_the_client_equals_selecting_directly(
    data: dict[Labels, list[tuple[int, float]]], matchers: list[Matcher], mint: int, width: int
) -> None:
    storage = ReferenceStorage()
    _store(storage, {lb: ([t * 1000 for t, _ in sorted(p)], [v for _, v in sorted(p)]) for lb, p in data.items()})
    client = _client(storage)
    mint_ms, maxt_ms = mint * 1000, (mint + width) * 1000
    direct = storage.querier().select(matchers, mint_ms, maxt_ms)
    assert _same(client.querier().select(matchers, mint_ms, maxt_ms), direct)


def test_read_recent_false_skips_what_the_local_storage_holds() -> None:
    storage = ReferenceStorage()
    _store(storage, {UP_A: ([1000, 2000, 3000, 4000], [1.0, 2.0, 3.0, 4.0])})
    client = _client(storage, local_start_time=lambda: 2500)
    querier = client.querier()
    assert len(querier.select(ALL, 3000, 5000)) == 0
    assert client.requests_total == 0  # the whole range is local: the remote is not asked
    ts, _ = querier.select(ALL, 0, 5000).series(0)
    assert ts.tolist() == [1000, 2000]  # cut at the local start time
    recent = _client(storage, local_start_time=lambda: 2500, read_recent=True)
    assert recent.querier().select(ALL, 3000, 5000).series(0)[0].tolist() == [3000, 4000]


def test_required_matchers_must_all_be_equality_matchers_of_the_selector() -> None:
    storage = ReferenceStorage()
    _store(storage, {UP_A: ([1000], [1.0]), UP_B: ([1000], [2.0])})
    client = _client(storage, required_matchers=Labels.from_strings("job", "a", "__name__", "up"))
    querier = client.querier()
    assert list(querier.select([Matcher.equal("__name__", "up"), Matcher.equal("job", "a")], 0, 5000).labels) == [UP_A]
    assert len(querier.select([Matcher.equal("__name__", "up"), Matcher.regex("job", "a")], 0, 5000)) == 0
    assert len(querier.select([Matcher.equal("job", "a")], 0, 5000)) == 0
    assert client.requests_total == 1


def test_external_labels_are_matched_and_removed_from_the_result() -> None:
    storage = ReferenceStorage()
    eu, us = UP_A.with_labels(region="eu"), UP_A.with_labels(region="us")
    _store(storage, {eu: ([1000], [1.0]), us: ([1000], [2.0])})
    external = Labels.from_strings("region", "eu")
    querier = _client(storage, external_labels=external).querier()
    found = querier.select([Matcher.equal("__name__", "up")], 0, 5000)
    assert list(found.labels) == [UP_A] and found.values.tolist() == [1.0]
    # A selector naming the external label itself is sent as written, and nothing is removed.
    found = querier.select([Matcher.equal("__name__", "up"), Matcher.equal("region", "us")], 0, 5000)
    assert list(found.labels) == [us]
    unfiltered = _client(storage, external_labels=external, filter_external_labels=False).querier()
    assert list(unfiltered.select([Matcher.equal("__name__", "up")], 0, 5000).labels) == [eu, us]


def test_request_headers_and_failures_are_reported_as_prometheus_does() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers.get("x-scope-orgid") == "broken":
            return httpx.Response(500, text="storage on fire\n")
        if request.headers.get("x-scope-orgid") == "short":
            return httpx.Response(200, content=encode_read_response([]))
        return httpx.Response(200, content=encode_read_response([SeriesSet.empty()]))

    def client(tenant: str) -> RemoteReadClient:
        config = RemoteReadConfig(url="http://remote/api/v1/read", headers={"X-Scope-OrgID": tenant})
        transport_client = httpx.Client(transport=httpx.MockTransport(answer), headers=config.headers)
        return RemoteReadClient(config, client=transport_client)

    assert len(client("fine").querier().select(ALL, 0, 10)) == 0
    request = seen[-1]
    assert request.headers["content-encoding"] == "snappy"
    assert request.headers["x-prometheus-remote-read-version"] == "0.1.0"
    (query,) = decode_read_request(request.content)
    assert (query.start_ms, query.end_ms, query.matchers) == (0, 10, ALL)
    broken = client("broken")
    with pytest.raises(StorageError, match=r"^remote_read: remote server http://remote/api/v1/read returned "
                                           r"HTTP status 500 Internal Server Error: storage on fire$"):
        broken.querier().select(ALL, 0, 10)
    assert broken.failures_total == 1
    with pytest.raises(StorageError, match="responses: want 1, got 0"):
        client("short").querier().select(ALL, 0, 10)


def test_an_unreachable_remote_is_a_storage_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = RemoteReadClient(RemoteReadConfig(url=f"http://127.0.0.1:{port}/api/v1/read",
                                               remote_timeout=Duration(2000)))
    with pytest.raises(StorageError, match="remote_read: error sending request"):
        client.querier().select(ALL, 0, 10)
    client.close()


def test_http_client_settings_carry_auth_and_headers(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("s3cret\n")
    basic = build_sync_client(HTTPClientConfig(basic_auth=BasicAuth("me", password_file=str(secret))),
                              timeout_s=5, headers={"X-Tenant": "t1"})
    request = basic.build_request("POST", "http://x/")
    assert next(basic.auth.sync_auth_flow(request)).headers["authorization"] == "Basic bWU6czNjcmV0"  # type: ignore[union-attr]
    assert basic.headers["x-tenant"] == "t1" and basic.timeout.read == 5
    bearer = build_sync_client(HTTPClientConfig(authorization=Authorization("Bearer", "tok")), timeout_s=1)
    assert bearer.headers["authorization"] == "Bearer tok"


def test_label_calls_need_matchers() -> None:
    storage = ReferenceStorage()
    _store(storage, {UP_A: ([1000], [1.0]), UP_B: ([1000], [2.0])})
    querier = _client(storage).querier()
    assert querier.label_values("job", [Matcher.equal("__name__", "up")]) == ["a", "b"]
    assert querier.label_names([Matcher.equal("job", "b")]) == ["__name__", "job"]
    with pytest.raises(StorageError, match="not implemented"):
        querier.label_names()


class _RemoteStorage:
    """Appends go to a reference storage; reads come back through the remote-read client."""

    def __init__(self) -> None:
        self.backing = ReferenceStorage()
        self.client = _client(self.backing)

    def appender(self) -> Appender:
        return self.backing.appender()

    def querier(self) -> Any:
        return self.client.querier()


class TestRemoteReadConformance(StorageConformance):
    @pytest.fixture
    def storage(self) -> _RemoteStorage:
        return _RemoteStorage()

    def test_label_names_and_values(self, storage: Any) -> None:
        """Remote read has no label calls: answered by a select when there are matchers, else refused."""
        _store(storage.backing, {UP_A: ([1000], [1.0]), UP_B: ([1000], [1.0])})
        assert storage.querier().label_values("job", [Matcher.equal("__name__", "up")]) == ["a", "b"]
        with pytest.raises(StorageError):
            storage.querier().label_values("job")


# ----------------------------------------------------------------------------- real HTTP servers


@pytest.fixture
def served() -> Iterator[tuple[ReferenceStorage, str]]:
    """Ember's read route over a reference storage, served by uvicorn in a thread."""
    storage = ReferenceStorage()

    async def teapot(request: Request) -> Response:
        return PlainTextResponse("no", status_code=503)

    app = Starlette(routes=[read_route(storage), Route("/teapot", teapot, methods=["POST"])])
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield storage, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_reading_ember_over_http(served: tuple[ReferenceStorage, str]) -> None:
    storage, base = served
    series = {lb: (list(range(0, 60_000, 15_000)), [float(i), STALE_NAN, -0.0, 1e300]) for i, lb in enumerate(METRICS)}
    _store(storage, series)
    client = RemoteReadClient(RemoteReadConfig(url=f"{base}/api/v1/read"))
    for matchers in (ALL, [Matcher.equal("job", "b")], [Matcher.regex("__name__", "m[02]")]):
        direct = storage.querier().select(matchers, 10_000, 50_000)
        assert _same(client.querier().select(matchers, 10_000, 50_000), direct)
    teapot = RemoteReadClient(replace(client.config, url=f"{base}/teapot"))
    with pytest.raises(StorageError, match=r"returned HTTP status 503 Service Unavailable: no$"):
        teapot.querier().select(ALL, 0, 1)
    client.close()
    teapot.close()


@pytest.mark.server
@pytest.mark.skipif(shutil.which("prometheus") is None or shutil.which("promtool") is None,
                    reason="Prometheus 2.42 and promtool not installed (Debian package prometheus)")
def test_reading_a_real_prometheus(tmp_path: Path) -> None:
    """Blocks made by promtool from known samples; the client reads back exactly those samples."""
    start = (int(time.time()) - 3 * 3600) // 3600 * 3600
    rng = np.random.default_rng(3)
    lines, expected = [], {}
    for i in range(5):
        labels = Labels.from_strings("__name__", "backfilled", "shard", str(i))
        ts = start * 1000 + np.arange(40, dtype=np.int64) * 15_000
        vals = rng.normal(size=40).round(3)
        expected[labels] = (ts.tolist(), vals.tolist())
        pairs = zip(ts.tolist(), vals.tolist(), strict=True)
        lines += [f'backfilled{{shard="{i}"}} {v!r} {t // 1000}\n' for t, v in pairs]
    lines.sort(key=lambda line: int(line.rsplit(" ", 1)[1]))
    source = tmp_path / "data.om"
    source.write_text("# TYPE backfilled gauge\n" + "".join(lines) + "# EOF\n")
    data = tmp_path / "prom"
    subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", str(source), str(data)],
                   check=True, capture_output=True)
    port = free_port()
    config = tmp_path / "prom.yml"
    config.write_text("global:\n  scrape_interval: 1m\n")
    process = subprocess.Popen(["prometheus", f"--config.file={config}", f"--storage.tsdb.path={data}",
                                f"--web.listen-address=127.0.0.1:{port}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        client = RemoteReadClient(RemoteReadConfig(url=f"http://127.0.0.1:{port}/api/v1/read"))
        found = client.querier().select([Matcher.equal("__name__", "backfilled")], MIN_TIME + 1, MAX_TIME - 1)
        assert {lb: (ts.tolist(), vals.tolist()) for lb, ts, vals in found} == expected
        window = client.querier().select([Matcher.equal("shard", "2")], start * 1000 + 30_000, start * 1000 + 60_000)
        assert list(window.labels) == [Labels.from_strings("__name__", "backfilled", "shard", "2")]
        assert window.timestamps.tolist() == [start * 1000 + 30_000, start * 1000 + 45_000, start * 1000 + 60_000]
        client.close()
    finally:
        process.terminate()
        process.wait(30)


def test_response_decoder_sorts_and_merges_a_series_sent_twice() -> None:
    twice = SeriesSet([UP_B, UP_A, UP_B], np.array([0, 2, 3, 5]), np.array([1000, 3000, 500, 2000, 3000]),
                      np.array([1.0, 3.0, 9.0, 2.0, 3.0]))
    (decoded,) = decode_read_response(encode_read_response([twice]))
    assert list(decoded.labels) == [UP_A, UP_B]
    assert decoded.offsets.tolist() == [0, 1, 4]
    assert decoded.timestamps.tolist() == [500, 1000, 2000, 3000]
    assert decoded.values.tolist() == [9.0, 1.0, 2.0, 3.0]
    with pytest.raises(BadDataError):
        decode_read_response(b"not snappy at all")


def test_clients_are_built_from_remote_read_sections() -> None:
    config = load_config_text(
        "global:\n  external_labels: {region: eu}\n"
        "remote_read:\n"
        "  - url: http://a.example/api/v1/read\n    read_recent: true\n    remote_timeout: 7s\n"
        "    headers: {X-Scope-OrgID: t1}\n    required_matchers: {job: api}\n"
        "    authorization: {credentials: tok}\n"
        "  - url: http://b.example/api/v1/read\n    filter_external_labels: false\n"
    )
    first, second = clients_from_config(config, lambda: MAX_TIME)
    assert first.config.read_recent and first.config.required_matchers == Labels.from_strings("job", "api")
    assert first.external_labels == Labels.from_strings("region", "eu") and len(second.external_labels) == 0
    request = first._client.build_request("POST", first.config.url)
    assert request.headers["x-scope-orgid"] == "t1" and request.headers["authorization"] == "Bearer tok"
    assert first._client.timeout.read == 7.0
    for client in (first, second):
        client.close()
