"""Differential tests: Ember and a real Prometheus 2.42 (Debian `prometheus`) serve the same data, loaded
from one OpenMetrics file by `promtool tsdb create-blocks-from openmetrics` and `ember tsdb import
openmetrics`; the HTTP API must answer the same (timing fields aside).

Sample timestamps sit 7 ms off the query steps, so Prometheus 2's left-closed range windows and
Prometheus 3's left-open ones (which Ember follows) select the same samples."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.local_servers import free_port, wait_ready

REPO = Path(__file__).resolve().parents[2]
T0 = 1_700_000_000  # seconds, a 2 h boundary minus nothing in particular
STEPS = 240  # one hour at 15 s

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(shutil.which("prometheus") is None or shutil.which("promtool") is None,
                       reason="Prometheus 2.42 not installed (Debian package `prometheus`)"),
]


def _openmetrics() -> str:
    lines = ["# TYPE http_requests counter"]
    for job in ("api", "web"):
        for code in ("200", "500"):
            rate = 3 if code == "200" else 1
            lines += [f'http_requests_total{{job="{job}",code="{code}"}} {i * rate * (1 + (job == "web"))} '
                      f"{T0 + i * 15 + 0.007:.3f}" for i in range(STEPS)]
    lines.append("# TYPE temperature gauge")
    for room in ("a", "b"):
        lines += [f'temperature{{room="{room}"}} {20 + (i % 9) * 0.25 + (room == "b")} {T0 + i * 15 + 0.007:.3f}'
                  for i in range(STEPS)]
    return "\n".join(lines) + "\n# EOF\n"






@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    work = tmp_path_factory.mktemp("differential")
    source = work / "data.om"
    source.write_text(_openmetrics())
    subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", str(source), str(work / "prom")],
                   check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "ember", "tsdb", "import", "openmetrics", "--quiet", str(source),
                    str(work / "ember")], check=True, capture_output=True, cwd=REPO)
    config = work / "config.yml"
    config.write_text("global:\n  scrape_interval: 1m\n")
    prom_port, ember_port = free_port(), free_port()
    processes = [
        subprocess.Popen(["prometheus", f"--config.file={config}", f"--storage.tsdb.path={work / 'prom'}",
                          "--storage.tsdb.retention.time=100y", f"--web.listen-address=127.0.0.1:{prom_port}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        subprocess.Popen([sys.executable, "-m", "ember", "serve", f"--config.file={config}",
                          f"--storage.tsdb.path={work / 'ember'}", "--storage.tsdb.retention.time=100y",
                          f"--web.listen-address=127.0.0.1:{ember_port}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO,
                         env={**os.environ, "PYTHONPATH": str(REPO)}),
    ]
    prom, ember = f"http://127.0.0.1:{prom_port}", f"http://127.0.0.1:{ember_port}"
    try:
        wait_ready(prom)
        wait_ready(ember)
        yield prom, ember
    finally:
        for process in processes:
            process.terminate()
            process.wait()


def _get(base: str, path: str, params: dict[str, Any] | list[tuple[str, Any]]) -> tuple[int, Any]:
    response = httpx.get(f"{base}{path}", params=params, timeout=30)
    return response.status_code, response.json()


def _close(value: str) -> Any:
    """Sample values compared to 1e-12 relative: Prometheus 3 (and Ember) sum with Kahan compensation
    where 2.42 did not, which moves the last bits of e.g. `avg_over_time`."""
    try:
        number = float(value)
    except ValueError:
        return value
    return pytest.approx(number, rel=1e-12, nan_ok=True)


def _normalised(body: Any) -> Any:
    """Order-insensitive where Prometheus does not promise an order; values to a tolerance."""
    if isinstance(body, dict) and isinstance(body.get("data"), dict) and "result" in body["data"]:
        result = body["data"]["result"]
        if isinstance(result, list) and result and isinstance(result[0], dict):
            for series in result:
                for key in ("value", "values"):
                    if key == "value" and key in series:
                        series[key] = [series[key][0], _close(series[key][1])]
                    elif key in series:
                        series[key] = [[t, _close(v)] for t, v in series[key]]
            body["data"]["result"] = sorted(result, key=lambda r: sorted(r["metric"].items()))
    return body


INSTANT = [
    "http_requests_total",
    'sum by (job) (rate(http_requests_total[5m]))',
    'http_requests_total{code=~"5.."} / ignoring(code) group_left sum by (job) (http_requests_total)',
    "topk(1, temperature)",
    "avg_over_time(temperature[10m])",
    "count(temperature > 21)",
    "scalar(sum(temperature))",
    'label_replace(temperature, "where", "room-$1", "room", "(.*)")',
    "absent(nothing)",
    "time()",
]


@pytest.mark.parametrize("expr", INSTANT)
def test_instant_queries_match(servers: tuple[str, str], expr: str) -> None:
    params = {"query": expr, "time": T0 + 1800}
    prom, ember = (_get(base, "/api/v1/query", params) for base in servers)
    assert _normalised(ember[1]) == _normalised(prom[1])
    assert ember[0] == prom[0]


@pytest.mark.parametrize("expr", INSTANT[:6])
def test_range_queries_match(servers: tuple[str, str], expr: str) -> None:
    params = {"query": expr, "start": T0 + 600, "end": T0 + 3000, "step": 60}
    prom, ember = (_get(base, "/api/v1/query_range", params) for base in servers)
    assert _normalised(ember[1]) == _normalised(prom[1])


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/series", [("match[]", "http_requests_total"), ("match[]", "temperature")]),
        ("/api/v1/series", {"match[]": '{job="api"}', "start": T0, "end": T0 + 3600}),
        ("/api/v1/labels", {}),
        ("/api/v1/labels", {"match[]": "temperature"}),
        ("/api/v1/label/job/values", {}),
        ("/api/v1/label/__name__/values", {"start": T0, "end": T0 + 3600}),
        ("/api/v1/metadata", {}),
        ("/api/v1/query_exemplars", {"query": "temperature", "start": T0, "end": T0 + 60}),
        ("/api/v1/alerts", {}),
        ("/api/v1/rules", {}),
    ],
)
def test_index_endpoints_match(servers: tuple[str, str], path: str, params: Any) -> None:
    prom, ember = (_get(base, path, params) for base in servers)
    if isinstance(prom[1].get("data"), list) and prom[1]["data"] and isinstance(prom[1]["data"][0], dict):
        prom[1]["data"].sort(key=lambda d: sorted(d.items()))
        ember[1]["data"].sort(key=lambda d: sorted(d.items()))
    assert ember == prom


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/query", {"query": "sum(("}),
        ("/api/v1/query", {"query": "up", "time": "yesterday"}),
        ("/api/v1/query_range", {"query": "up", "start": T0, "end": T0 - 10, "step": 15}),
        ("/api/v1/query_range", {"query": "up", "start": T0, "end": T0 + 10, "step": 0}),
        ("/api/v1/query_range", {"query": "up", "start": 0, "end": 10**6, "step": 1}),
        ("/api/v1/series", {}),
        ("/api/v1/query", {"query": 'label_replace(temperature, "room", "x", "", "")', "time": T0 + 60}),
    ],
)
def test_errors_have_the_same_type_and_status(servers: tuple[str, str], path: str, params: Any) -> None:
    prom, ember = (_get(base, path, params) for base in servers)
    assert (ember[0], ember[1]["status"], ember[1]["errorType"]) == (prom[0], prom[1]["status"], prom[1]["errorType"])


@pytest.mark.parametrize("expr", [
    "temperature +", "temperature room", "sum(temperature", "temperature)", 'temperature{room="a"',
    "1 + ", "temperature 1", "rate(temperature[5m]",
])
def test_parse_errors_have_prometheus_position_and_message(servers: tuple[str, str], expr: str) -> None:
    prom, ember = (_get(base, "/api/v1/query", {"query": expr, "time": T0}) for base in servers)
    assert (ember[0], ember[1]["error"]) == (prom[0], prom[1]["error"])


def test_grafana_data_source_sequence(servers: tuple[str, str]) -> None:
    """What Grafana's Prometheus data source asks, in order, when a dashboard loads."""
    answers = []
    for base in servers:
        steps = [
            _get(base, "/api/v1/status/buildinfo", {})[0],
            _get(base, "/api/v1/labels", {"start": T0, "end": T0 + 3600})[1]["data"],
            _get(base, "/api/v1/series", {"match[]": "temperature", "start": T0, "end": T0 + 3600})[1]["data"],
            _get(base, "/api/v1/metadata", {})[1]["data"],
            # Grafana aligns start and end to the step
            _normalised(_get(base, "/api/v1/query_range", {
                "query": "rate(http_requests_total[2m])",
                "start": (T0 + 615) // 30 * 30, "end": (T0 + 2415) // 30 * 30, "step": 30,
            })[1]),
        ]
        answers.append(steps)
    build = _get(servers[1], "/api/v1/status/buildinfo", {})[1]["data"]
    assert set(build) >= {"version", "revision", "branch", "buildUser", "buildDate", "goVersion"}
    assert answers[1] == answers[0]
