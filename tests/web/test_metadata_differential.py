"""`/api/v1/targets/metadata` and `/api/v1/metadata` compared with a real Prometheus 2.42 scraping the
same two targets (one text format, one OpenMetrics with units)."""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.local_servers import free_port, wait_ready

REPO = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(shutil.which("prometheus") is None, reason="Prometheus 2.42 not installed"),
]

TEXT_BODY = b"""# HELP http_requests_total Requests served, by code.
# TYPE http_requests_total counter
http_requests_total{code="200"} 10
http_requests_total{code="500"} 1
# HELP temperature_celsius Room temperature \\\\ with a backslash.
# TYPE temperature_celsius gauge
temperature_celsius 21.5
# TYPE request_seconds histogram
request_seconds_bucket{le="1"} 1
request_seconds_bucket{le="+Inf"} 2
request_seconds_sum 1.5
request_seconds_count 2
# TYPE mystery untyped
mystery 3
no_metadata_at_all 4
"""

OPENMETRICS_BODY = b"""# TYPE build_seconds gauge
# UNIT build_seconds seconds
# HELP build_seconds Time of the last build.
build_seconds 12.0
# TYPE jobs counter
# HELP jobs Jobs run.
jobs_total 7
# EOF
"""


# entries per parameter set: 4 text families, 2 OpenMetrics families
EXPECTED_COUNT = {(): 6, ("metric",): 1, ("match_target",): 2, ("match_target", "metric"): 1}


class _Targets(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/om"):
            body, kind = OPENMETRICS_BODY, "application/openmetrics-text; version=1.0.0; charset=utf-8"
        else:
            body, kind = TEXT_BODY, "text/plain; version=0.0.4"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    work = tmp_path_factory.mktemp("metadata")
    target = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Targets)
    threading.Thread(target=target.serve_forever, daemon=True).start()
    address = f"127.0.0.1:{target.server_address[1]}"
    config = work / "config.yml"
    config.write_text(f"""global:
  scrape_interval: 1s
scrape_configs:
  - job_name: text
    static_configs: [{{targets: ["{address}"]}}]
  - job_name: om
    metrics_path: /om
    static_configs: [{{targets: ["{address}"], labels: {{team: build}}}}]
""")
    prom_port, ember_port = free_port(), free_port()
    processes = [
        subprocess.Popen(["prometheus", f"--config.file={config}", f"--storage.tsdb.path={work / 'prom'}",
                          f"--web.listen-address=127.0.0.1:{prom_port}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        subprocess.Popen([sys.executable, "-m", "ember", "serve", f"--config.file={config}",
                          f"--storage.tsdb.path={work / 'ember'}", f"--web.listen-address=127.0.0.1:{ember_port}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO,
                         env={**os.environ, "PYTHONPATH": str(REPO)}),
    ]
    bases = (f"http://127.0.0.1:{prom_port}", f"http://127.0.0.1:{ember_port}")
    try:
        for base in bases:
            wait_ready(base)
            _wait_scraped(base)
        yield bases
    finally:
        for process in processes:
            process.terminate()
            process.wait()
        target.shutdown()


def _wait_scraped(base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        targets = httpx.get(f"{base}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
        if len(targets) == 2 and all(t["health"] == "up" for t in targets):
            return
        time.sleep(0.2)
    raise AssertionError(f"{base}: targets never scraped")


def _data(base: str, path: str, params: dict[str, str]) -> Any:
    response = httpx.get(f"{base}{path}", params=params, timeout=10)
    return response.status_code, response.json()


def _sorted(answer: tuple[int, Any]) -> tuple[int, Any]:
    status, body = answer
    if isinstance(body.get("data"), list):
        body["data"].sort(key=lambda d: (sorted(d["target"].items()), d.get("metric", "")))
    return status, body


@pytest.mark.parametrize("params", [
    {},
    {"metric": "http_requests_total"},
    {"match_target": '{job="om"}'},
    {"match_target": '{job="text"}', "metric": "request_seconds"},
    {"metric": "no_such_metric"},
])
def test_targets_metadata_matches_prometheus(servers: tuple[str, str], params: dict[str, str]) -> None:
    prom, ember = (_sorted(_data(base, "/api/v1/targets/metadata", params)) for base in servers)
    assert ember == prom
    assert len(ember[1]["data"]) == EXPECTED_COUNT[tuple(sorted(params))] if "metric" not in params or \
        params["metric"] != "no_such_metric" else not ember[1]["data"]


@pytest.mark.parametrize("params", [{}, {"metric": "build_seconds"}, {"limit": "2"}, {"limit_per_metric": "1"}])
def test_metadata_matches_prometheus(servers: tuple[str, str], params: dict[str, str]) -> None:
    prom, ember = (_data(base, "/api/v1/metadata", params) for base in servers)
    if "limit" in params:  # which metrics a limit keeps is Go map order in Prometheus: compare the count
        assert len(ember[1]["data"]) == len(prom[1]["data"]) == 2
        assert all(ember[1]["data"][name] == _data(servers[0], "/api/v1/metadata", {"metric": name})[1]["data"][name]
                   for name in ember[1]["data"])
    else:
        assert ember == prom


def test_bad_match_target_is_bad_data(servers: tuple[str, str]) -> None:
    prom, ember = (_data(base, "/api/v1/targets/metadata", {"match_target": "{job="}) for base in servers)
    assert (ember[0], ember[1]["errorType"]) == (prom[0], prom[1]["errorType"]) == (400, "bad_data")
