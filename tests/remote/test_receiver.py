"""The remote-write receiver on a real database, through the HTTP app and through `ember serve`."""

from __future__ import annotations

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

from ember.model.labels import Labels
from ember.model.matchers import Matcher
from ember.promql.engine import Engine
from ember.remote.receiver import write_route
from ember.remote.write_codec import encode_body
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
