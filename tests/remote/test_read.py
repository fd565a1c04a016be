"""Remote read (samples response type): Ember answers, and a real Prometheus 2.42 reads from it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import cramjam
import httpx
import numpy as np
import pytest
from starlette.testclient import TestClient

from ember.model.labels import Labels
from ember.model.matchers import Matcher
from ember.model.samples import STALE_NAN, SampleBatch
from ember.promql.engine import Engine
from ember.remote.read_codec import ReadQuery, encode_read_request
from ember.remote.receiver import read_route
from ember.remote.write_codec import DecodedWrite, decode_write_request
from ember.testing import ReferenceStorage
from ember.web.app import create_app
from ember.web.context import WebContext
from tests.local_servers import free_port

REPO = Path(__file__).resolve().parents[2]


def _results(payload: bytes) -> list[DecodedWrite]:
    """Each QueryResult holds TimeSeries exactly as a WriteRequest does (field 1)."""
    raw = bytes(cramjam.snappy.decompress_raw(payload))
    results, pos = [], 0
    while pos < len(raw):
        assert raw[pos] == 0x0A
        length, shift, pos = 0, 0, pos + 1
        while True:
            byte = raw[pos]
            pos += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        results.append(decode_write_request(raw[pos : pos + length]))
        pos += length
    return results


def test_read_returns_matching_series_bit_exact() -> None:
    storage = ReferenceStorage()
    appender = storage.appender()
    up = Labels.from_strings("__name__", "up", "job", "a")
    appender.append(SampleBatch.of_series(up, [1000, 2000, 3000], [1.0, STALE_NAN, -0.0]))
    appender.append(SampleBatch.of_series(Labels.from_strings("__name__", "other"), [1000], [5.0]))
    appender.commit()
    client = TestClient(create_app(WebContext(storage=storage, engine=Engine()), extra_routes=[read_route(storage)]))
    body = encode_read_request([ReadQuery(1500, 3000, [Matcher.equal("__name__", "up")]),
                                ReadQuery(0, 10, [Matcher.regex("__name__", ".+")])])
    response = client.post("/api/v1/read", content=body)
    assert response.status_code == 200 and response.headers["content-encoding"] == "snappy"
    first, second = _results(response.content)
    assert first.series == [up]
    assert first.timestamps.tolist() == [2000, 3000]
    assert first.values.view(np.uint64).tolist() == [0x7FF0000000000002, 0x8000000000000000]
    assert second.series == []
    assert client.post("/api/v1/read", content=b"garbage").status_code == 400




def _wait(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} never answered")


@pytest.mark.server
@pytest.mark.skipif(shutil.which("prometheus") is None, reason="Prometheus 2.42 not installed (Debian prometheus)")
def test_prometheus_reads_from_ember(tmp_path: Path) -> None:
    now = int(time.time())
    source = tmp_path / "data.om"
    source.write_text("".join(f'remote_only{{k="v"}} {i} {now - 600 + i * 15}\n' for i in range(40)) + "# EOF\n")
    subprocess.run([sys.executable, "-m", "ember", "tsdb", "import", "openmetrics", "--quiet", str(source),
                    str(tmp_path / "ember")], check=True, cwd=REPO)
    empty = tmp_path / "empty.yml"
    empty.write_text("global:\n  scrape_interval: 1m\n")
    ember_port, prom_port = free_port(), free_port()
    prom_config = tmp_path / "prom.yml"
    prom_config.write_text(f"remote_read:\n  - url: http://127.0.0.1:{ember_port}/api/v1/read\n    read_recent: true\n")
    processes = [
        subprocess.Popen([sys.executable, "-m", "ember", "serve", f"--config.file={empty}",
                          f"--storage.tsdb.path={tmp_path / 'ember'}", f"--web.listen-address=127.0.0.1:{ember_port}"],
                         cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         env={**os.environ, "PYTHONPATH": str(REPO)}),
        subprocess.Popen(["prometheus", f"--config.file={prom_config}", f"--storage.tsdb.path={tmp_path / 'prom'}",
                          f"--web.listen-address=127.0.0.1:{prom_port}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
    ]
    try:
        _wait(f"http://127.0.0.1:{ember_port}/-/ready")
        _wait(f"http://127.0.0.1:{prom_port}/-/ready")
        body = httpx.get(f"http://127.0.0.1:{prom_port}/api/v1/query",
                         params={"query": "remote_only[10m]", "time": now}).json()
        (series,) = body["data"]["result"]
        assert series["metric"] == {"__name__": "remote_only", "k": "v"}
        assert [float(v) for _, v in series["values"]] == [float(i) for i in range(40)]
    finally:
        for process in processes:
            process.terminate()
            process.wait()
