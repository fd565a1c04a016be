"""`ember serve` as a user runs it: a subprocess on a free port over an existing data directory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

import ember
from ember.model.samples import is_stale
from tests.local_servers import free_port, wait_ready

REPO = Path(__file__).resolve().parents[1]






@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    now = int(time.time() * 1000)
    with ember.open(tmp_path / "data") as db:
        t = now - np.arange(20, 0, -1) * 15_000
        db.append_many({"__name__": "temperature", "room": "lab"}, t, np.arange(20, dtype=float))
    return tmp_path / "data"


@pytest.fixture
def server(data_dir: Path, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    config = tmp_path / "ember.yml"
    base_port = free_port()
    config.write_text("global:\n  scrape_interval: 1s\n  external_labels:\n    site: test\n"
                      f"scrape_configs:\n  - job_name: ember\n    static_configs:\n"
                      f"      - targets: ['127.0.0.1:{base_port}']\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "ember", "serve", f"--config.file={config}", f"--storage.tsdb.path={data_dir}",
         f"--web.listen-address=127.0.0.1:{base_port}", "--web.enable-lifecycle"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    base = f"http://127.0.0.1:{base_port}"
    try:
        wait_ready(base, process)
        yield base, process, data_dir
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.server
def test_scrapes_itself_and_lists_the_target(server: tuple[str, subprocess.Popen[bytes], Path]) -> None:
    base = server[0]
    deadline = time.monotonic() + 30
    result: list[dict[str, object]] = []
    while time.monotonic() < deadline and not result:
        result = httpx.get(f"{base}/api/v1/query", params={"query": 'up{job="ember"}'}).json()["data"]["result"]
        time.sleep(0.2)
    assert result and result[0]["value"][1] == "1"  # type: ignore[index]
    (target,) = httpx.get(f"{base}/api/v1/targets").json()["data"]["activeTargets"]
    assert target["health"] == "up" and target["scrapePool"] == "ember" and target["scrapeInterval"] == "1s"
    scraped = httpx.get(f"{base}/api/v1/query", params={"query": "prometheus_http_requests_total"}).json()
    assert scraped["data"]["result"], "Ember's own /metrics were scraped"


@pytest.mark.server
def test_serves_queries_and_stops_cleanly_on_sigterm(server: tuple[str, subprocess.Popen[bytes], Path]) -> None:
    base, process, data_dir = server
    body = httpx.get(f"{base}/api/v1/query", params={"query": "temperature"}).json()
    assert body["status"] == "success"
    assert body["data"]["result"][0]["value"][1] == "19"
    federated = httpx.get(f"{base}/federate", params={"match[]": "temperature"}).text
    assert 'temperature{room="lab",site="test"} 19' in federated
    assert httpx.post(f"{base}/-/reload").status_code == 200
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    with ember.open(data_dir) as db:  # the lock was released and the data is intact
        (series,) = db.select("temperature")
        assert series.values.tolist() == list(map(float, range(20)))


def _serve(config: Path, *args: str) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "ember", "serve", f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}",
         *args],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, process)
    except BaseException:
        process.kill()
        raise
    return base, process


def test_agent_mode_refuses_sections_it_cannot_run(tmp_path: Path) -> None:
    config = tmp_path / "prometheus.yml"
    config.write_text("rule_files: ['rules.yml']\n")
    done = subprocess.run(
        [sys.executable, "-m", "ember", "serve", "--agent", f"--config.file={config}",
         f"--storage.agent.path={tmp_path / 'd'}", "--web.listen-address=127.0.0.1:0"],
        cwd=REPO, capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 1
    assert "field rule_files is not allowed in agent mode" in done.stderr


@pytest.mark.server
def test_agent_mode_scrapes_into_the_wal_and_refuses_queries(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "agent.yml"
    config.write_text(f"global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: self\n"
                      f"    static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n")
    agent_dir = tmp_path / "agent"
    process = subprocess.Popen(
        [sys.executable, "-m", "ember", "serve", "--agent", f"--config.file={config}",
         f"--storage.agent.path={agent_dir}", f"--web.listen-address=127.0.0.1:{port}"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, process)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            targets = httpx.get(f"{base}/api/v1/targets").json()["data"]["activeTargets"]
            if targets and targets[0]["health"] == "up":
                break
            time.sleep(0.2)
        refused = httpx.get(f"{base}/api/v1/query", params={"query": "up"})
        assert refused.status_code == 422
        assert refused.json()["errorType"] == "execution"
        assert refused.json()["error"] == "unavailable with Prometheus Agent"
        assert httpx.get(f"{base}/api/v1/labels").status_code == 422
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    assert not (agent_dir / "chunks_head").exists()  # WAL only: no head chunks, no blocks
    with ember.open(agent_dir) as db:  # the same WAL format: the database reads the agent's samples
        (series,) = db.select('up{job="self"}')
        assert series.values[0] == 1.0
        assert is_stale(series.values[-1])  # the target's end-of-run staleness marker, written at shutdown


@pytest.mark.server
def test_remote_read_fans_remote_data_into_queries(
    server: tuple[str, subprocess.Popen[bytes], Path], tmp_path: Path
) -> None:
    remote_base = server[0]
    config = tmp_path / "reader.yml"
    config.write_text(f"remote_read:\n  - url: {remote_base}/api/v1/read\n")
    base, process = _serve(config, f"--storage.tsdb.path={tmp_path / 'empty'}")
    try:
        body = httpx.get(f"{base}/api/v1/query", params={"query": "temperature"}).json()
        (series,) = body["data"]["result"]
        assert series["metric"] == {"__name__": "temperature", "room": "lab"}
        assert series["value"][1] == "19"
        assert "warnings" not in body
    finally:
        process.kill()
        process.wait()


@pytest.mark.server
def test_a_failing_remote_read_is_a_warning(tmp_path: Path) -> None:
    config = tmp_path / "reader.yml"
    config.write_text(f"remote_read:\n  - url: http://127.0.0.1:{free_port()}/api/v1/read\n")
    base, process = _serve(config, f"--storage.tsdb.path={tmp_path / 'empty'}")
    try:
        body = httpx.get(f"{base}/api/v1/query", params={"query": "temperature"}).json()
        assert body["status"] == "success" and body["data"]["result"] == []
        assert body["warnings"] and "read" in body["warnings"][0].lower()
    finally:
        process.kill()
        process.wait()


def test_warm_up_queries_all_succeed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from ember.server import ServeOptions, Server

    server = Server(ServeOptions(storage_path=str(tmp_path / "data")))
    with caplog.at_level("WARNING", logger="ember.server"):
        server._warm_up_queries()
    assert [r.getMessage() for r in caplog.records] == []
