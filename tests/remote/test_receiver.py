"""The remote-write receiver on a real database, through the HTTP app and through `ember serve`."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from starlette.testclient import TestClient

import ember.remote.receiver as receiver
from ember.errors import BadDataError, StorageError
from ember.model.labels import Labels
from ember.model.matchers import Matcher
from ember.promql.engine import Engine
from ember.remote.receiver import IngestThread, SeriesRefCache, WriteIngester, write_route
from ember.remote.write_codec import decode_body_columns, encode_body
from ember.storage.interface import MAX_TIME, MIN_TIME
from ember.tsdb.db import DB
from ember.tsdb.options import DBOptions
from ember.web.app import create_app
from ember.web.context import WebContext
from tests.local_servers import free_port

REPO = Path(__file__).resolve().parents[2]
UP = Labels.from_strings("__name__", "up", "job", "remote")


def _client(db: DB) -> TestClient:
    return TestClient(create_app(WebContext(storage=db, engine=Engine()), extra_routes=[write_route(db)]))


def test_write_then_read_back(tmp_path: Path) -> None:
    with DB.open(tmp_path, DBOptions(background_maintenance=False, wal_sync_interval_s=0.01)) as db:
        client = _client(db)
        response = client.post("/api/v1/write", content=encode_body([(UP, [1000, 2000], [1.0, 0.0])]),
                               headers={"Content-Encoding": "snappy",
                                        "Content-Type": "application/x-protobuf"})
        assert response.status_code == 204
        ts, vals = db.querier().select([Matcher.equal("job", "remote")], MIN_TIME, MAX_TIME).series(0)
        assert ts.tolist() == [1000, 2000] and vals.tolist() == [1.0, 0.0]


def test_out_of_order_is_400_with_prometheus_message_and_stores_nothing(tmp_path: Path) -> None:
    with DB.open(tmp_path, DBOptions(background_maintenance=False, wal_sync_interval_s=0.01)) as db:
        client = _client(db)
        assert client.post("/api/v1/write", content=encode_body([(UP, [5000], [1.0])])).status_code == 204
        other = Labels.from_strings("__name__", "other")
        response = client.post("/api/v1/write", content=encode_body([(other, [6000], [1.0]), (UP, [1000], [2.0])]))
        assert response.status_code == 400 and "out of order sample" in response.text
        assert len(db.querier().select([Matcher.equal("__name__", "other")], MIN_TIME, MAX_TIME)) == 0


def test_a_series_without_labels_is_400_with_prometheus_message(tmp_path: Path) -> None:
    with DB.open(tmp_path, DBOptions(background_maintenance=False, wal_sync_interval_s=0.01)) as db:
        client = _client(db)
        response = client.post("/api/v1/write", content=encode_body([(Labels(), [1000], [1.0])]))
        assert response.status_code == 400 and "empty labelset: invalid sample" in response.text
        assert client.post("/api/v1/write", content=encode_body([(UP, [1], [1.0])])).status_code == 204


@pytest.mark.parametrize("body", [b"garbage", b"\x10\x00\x00", b""])
def test_garbage_is_400_and_the_server_keeps_working(tmp_path: Path, body: bytes) -> None:
    with DB.open(tmp_path, DBOptions(background_maintenance=False, wal_sync_interval_s=0.01)) as db:
        client = _client(db)
        response = client.post("/api/v1/write", content=body)
        assert response.status_code == 400 and "snappy" in response.text
        assert client.post("/api/v1/write", content=encode_body([(UP, [1], [1.0])])).status_code == 204


def test_receiver_is_off_unless_enabled(tmp_path: Path) -> None:
    with DB.open(tmp_path, DBOptions(background_maintenance=False)) as db:
        client = TestClient(create_app(WebContext(storage=db, engine=Engine())))
        assert client.post("/api/v1/write", content=encode_body([(UP, [1], [1.0])])).status_code in (404, 405)




def _start(data: Path, port: int) -> subprocess.Popen[bytes]:
    config = data.parent / "empty.yml"
    config.write_text("global:\n  scrape_interval: 1m\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "ember", "serve", f"--config.file={config}", f"--storage.tsdb.path={data}",
         f"--web.listen-address=127.0.0.1:{port}", "--web.enable-remote-write-receiver"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(REPO)})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/-/ready", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("ember serve never became ready")


@pytest.mark.server
def test_sigkill_while_receiving_keeps_every_acknowledged_sample(tmp_path: Path) -> None:
    data, port = tmp_path / "data", free_port()
    series = [Labels.from_strings("__name__", "rw", "i", str(i)) for i in range(50)]
    acknowledged: list[int] = []
    for cycle in range(3):
        process = _start(data, port)
        start = (max(acknowledged) + 1000) if acknowledged else 1000

        def send(first: int = start) -> None:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
                for step in range(100_000):
                    t = first + step * 1000
                    body = encode_body([(lb, [t], [float(t + i)]) for i, lb in enumerate(series)])
                    try:
                        if client.post("/api/v1/write", content=body).status_code == 204:
                            acknowledged.append(t)
                    except httpx.TransportError:
                        return  # the server was killed mid-request: that write was never acknowledged

        sender = threading.Thread(target=send)
        sender.start()
        time.sleep(0.5 + 0.3 * cycle)
        process.send_signal(signal.SIGKILL)  # while requests are in flight
        process.wait()
        sender.join()
    with DB.open(data, DBOptions(background_maintenance=False)) as db:
        found = db.querier().select([Matcher.equal("__name__", "rw")], MIN_TIME, MAX_TIME)
        assert len(found) == 50
        for labels, ts, vals in found:
            assert set(acknowledged) <= set(ts.tolist())
            i = int(labels.get("i"))
            assert np.array_equal(vals, ts + i)
    assert len(acknowledged) >= 3


def test_series_ref_cache_finds_every_key_or_none_and_newest_wins() -> None:
    cache = SeriesRefCache()
    keys = np.arange(10_000, dtype=np.uint64) * np.uint64(7919)
    cache.put(keys[:5000], keys[:5000] + np.uint64(1), np.arange(5000, dtype=np.int64))
    for start in range(5000, 10_000, 500):  # enough small puts to merge the recent run into the main one
        cache.put(keys[start:start + 500], keys[start:start + 500] + np.uint64(1),
                  np.arange(start, start + 500, dtype=np.int64))
    wanted = keys[[9999, 0, 4321, 5000]]
    found = cache.lookup(wanted, wanted + np.uint64(1))
    assert found is not None and found.tolist() == [9999, 0, 4321, 5000]
    assert cache.lookup(wanted, wanted + np.uint64(2)) is None  # the second hash must match too
    assert cache.lookup(np.array([3], np.uint64), np.array([4], np.uint64)) is None
    cache.put(keys[:1], keys[:1] + np.uint64(1), np.array([77], np.int64))
    assert cache.lookup(keys[:1], keys[:1] + np.uint64(1)).tolist() == [77]  # type: ignore[union-attr]


def test_repeated_requests_append_by_ref_and_survive_the_series_being_dropped(tmp_path: Path) -> None:
    series = [Labels.from_strings("__name__", "rw", "i", str(i)) for i in range(20)]
    with DB.open(tmp_path, DBOptions(background_maintenance=False, wal_sync_interval_s=0.01)) as db:
        ingester = WriteIngester(db)
        for step in range(3):
            t = 1000 * (step + 1)
            ingester.ingest(encode_body([(lb, [t], [float(t + i)]) for i, lb in enumerate(series)]))
        assert len(ingester.ref_cache) == 20
        db.flush_head()  # everything goes to a block; the head forgets the series and their refs
        later = 2 * 3_600_000 + 1000  # past the flushed block
        assert not db.head.series.are_live(ingester.ref_cache.lookup(  # type: ignore[arg-type]
            *_keys_of(series, later))).any()
        ingester.ingest(encode_body([(lb, [later], [float(later + i)]) for i, lb in enumerate(series)]))
        found = db.querier().select([Matcher.equal("__name__", "rw")], MIN_TIME, MAX_TIME)
        assert len(found) == 20
        for labels, ts, vals in found:
            assert ts.tolist() == [1000, 2000, 3000, later]
            assert np.array_equal(vals, ts + int(labels.get("i")))


def _keys_of(series: list[Labels], t: int) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[type-arg]
    columns = decode_body_columns(encode_body([(lb, [t], [0.0]) for lb in series]))
    return columns.key_first, columns.key_second


def test_other_encodings_are_415_oversized_bodies_413_and_other_methods_405(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    with DB.open(tmp_path, DBOptions(background_maintenance=False, wal_sync_interval_s=0.01)) as db:
        client = _client(db)
        body = encode_body([(UP, [1], [1.0])])
        response = client.post("/api/v1/write", content=body, headers={"Content-Encoding": "gzip"})
        assert response.status_code == 415 and "snappy" in response.text
        assert response.headers["content-type"].startswith("text/plain")
        assert client.get("/api/v1/write").status_code == 405
        monkeypatch.setattr(receiver, "MAX_BODY_BYTES", 10)
        assert client.post("/api/v1/write", content=body).status_code == 413
        assert len(db.querier().select([Matcher.equal("job", "remote")], MIN_TIME, MAX_TIME)) == 0


def _batch_db(tmp_path: Path) -> DB:
    return DB.open(tmp_path, DBOptions(background_maintenance=False, wal_sync_interval_s=0.01))


def _stored(db: DB, name: str) -> list[int]:
    found = db.querier().select([Matcher.equal("__name__", name)], MIN_TIME, MAX_TIME)
    return [int(t) for _, ts, _ in found for t in ts]


def test_a_batch_commits_each_request_then_one_sync_covers_them(tmp_path: Path) -> None:
    with _batch_db(tmp_path) as db:
        visible_at_sync: list[list[int]] = []

        def sync() -> None:
            visible_at_sync.append(_stored(db, "up"))
            db.sync()

        ingester = WriteIngester(db, sync)
        other = Labels.from_strings("__name__", "other")
        outcomes = ingester.ingest_batch([
            encode_body([(UP, [5000], [1.0])]),
            b"garbage",
            encode_body([(other, [6000], [1.0]), (UP, [1000], [2.0])]),  # out of order: refused whole
            encode_body([(UP, [6000, 7000], [3.0, 4.0])]),
        ])
        assert outcomes[0] == 1 and outcomes[3] == 2
        assert isinstance(outcomes[1], BadDataError) and "snappy" in str(outcomes[1])
        assert isinstance(outcomes[2], BadDataError) and "out of order sample" in str(outcomes[2])
        assert visible_at_sync == [[5000, 6000, 7000]]  # one sync, after every accepted request's commit
        assert _stored(db, "other") == []
        assert all(isinstance(o, BadDataError) for o in ingester.ingest_batch([b"garbage", b"\x10\x00"]))
        assert len(visible_at_sync) == 1  # nothing accepted: nothing to sync


def test_a_failed_sync_acknowledges_no_request_of_the_batch(tmp_path: Path) -> None:
    def broken_sync() -> None:
        raise StorageError("WAL fdatasync failed: disk gone")

    with _batch_db(tmp_path) as db:
        ingester = WriteIngester(db, broken_sync)
        outcomes = ingester.ingest_batch([encode_body([(UP, [1000], [1.0])]), b"garbage"])
        assert isinstance(outcomes[0], StorageError) and isinstance(outcomes[1], BadDataError)
        with pytest.raises(StorageError, match="disk gone"):
            ingester.ingest(encode_body([(UP, [2000], [1.0])]))


def test_concurrent_requests_through_the_app_are_all_stored_and_acknowledged(tmp_path: Path) -> None:
    series = [Labels.from_strings("__name__", "rw", "i", str(i)) for i in range(24)]
    with _batch_db(tmp_path) as db:
        syncs: list[int] = []

        def sync() -> None:
            syncs.append(1)
            db.sync()

        app = create_app(WebContext(storage=db, engine=Engine()), direct_routes=[write_route(db, sync)])

        async def send_all() -> list[int]:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://ember") as client:
                responses = await asyncio.gather(*(
                    client.post("/api/v1/write", content=encode_body([(lb, [1000, 2000], [float(i), 1.0])]))
                    for i, lb in enumerate(series)))
            return [r.status_code for r in responses]

        assert asyncio.run(send_all()) == [204] * len(series)
        assert 1 <= len(syncs) <= len(series)
        found = db.querier().select([Matcher.equal("__name__", "rw")], MIN_TIME, MAX_TIME)
        assert sorted(int(lb.get("i")) for lb, _, _ in found) == list(range(len(series)))
        for labels, ts, vals in found:
            assert ts.tolist() == [1000, 2000] and vals.tolist() == [float(labels.get("i")), 1.0]


def test_the_ingest_thread_ends_when_idle_and_starts_again(tmp_path: Path) -> None:
    def ingest_threads() -> int:
        return sum(t.name == "ember-remote-write" and t.is_alive() for t in threading.enumerate())

    with _batch_db(tmp_path) as db:
        before = ingest_threads()
        worker = IngestThread(WriteIngester(db, db.sync), idle_s=0.02)

        async def submit(t: int) -> object:
            return await worker.submit(encode_body([(UP, [t], [1.0])]))

        assert asyncio.run(submit(1000)) == 1
        deadline = time.monotonic() + 5
        while ingest_threads() > before and time.monotonic() < deadline:
            time.sleep(0.01)
        assert ingest_threads() == before
        assert asyncio.run(submit(2000)) == 1
        assert _stored(db, "up") == [1000, 2000]


def test_an_unexpected_error_is_a_500_and_the_receiver_keeps_working(tmp_path: Path) -> None:
    with _batch_db(tmp_path) as db:
        calls = {"n": 0}

        class FlakyStorage:
            def appender(self):  # type: ignore[no-untyped-def]
                calls["n"] += 1
                if calls["n"] == 1:
                    raise RuntimeError("a bug")
                return db.appender()

        client = TestClient(create_app(WebContext(storage=db, engine=Engine()),
                                       direct_routes=[write_route(FlakyStorage(), db.sync)]),
                            raise_server_exceptions=False)
        assert client.post("/api/v1/write", content=encode_body([(UP, [1000], [1.0])])).status_code == 500
        assert client.post("/api/v1/write", content=encode_body([(UP, [2000], [1.0])])).status_code == 204
        assert _stored(db, "up") == [2000]


def test_a_batch_that_fails_as_a_whole_is_answered_and_the_thread_goes_on(tmp_path: Path) -> None:
    with _batch_db(tmp_path) as db:
        ingester = WriteIngester(db, db.sync)
        worker = IngestThread(ingester)
        real_batch = ingester.ingest_batch
        calls = {"n": 0}

        def flaky_batch(bodies):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            if calls["n"] == 1:
                raise RuntimeError("a bug in the batch")
            return real_batch(bodies)

        ingester.ingest_batch = flaky_batch  # type: ignore[method-assign]

        async def submit(t: int) -> object:
            return await asyncio.wait_for(worker.submit(encode_body([(UP, [t], [1.0])])), 30)

        first = asyncio.run(submit(1000))
        assert isinstance(first, RuntimeError) and "a bug" in str(first)
        assert asyncio.run(submit(2000)) == 1
        assert _stored(db, "up") == [2000]
