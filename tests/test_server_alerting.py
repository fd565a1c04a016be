"""End to end through `ember serve`: a scrape target goes down, the `up == 0` alert goes pending, fires,
reaches a real Alertmanager (Debian `prometheus-alertmanager`), and resolves when the target returns."""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.local_servers import free_port, wait_ready
from tests.notifier.test_real_alertmanager import ALERTMANAGER, alertmanager  # noqa: F401 (a fixture)

REPO = Path(__file__).resolve().parents[1]
pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(not Path(ALERTMANAGER).exists(), reason="prometheus-alertmanager is not installed"),
]

RULES = """groups:
  - name: availability
    interval: 1s
    rules:
      - alert: TargetDown
        expr: up{job="flaky"} == 0
        for: 2s
        labels:
          severity: page
        annotations:
          summary: "{{ $labels.instance }} of job {{ $labels.job }} is down"
"""


class FlakyTarget:
    """An exposition endpoint that answers 503 while `down` is set."""

    def __init__(self) -> None:
        self.down = False
        target = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = b"# TYPE flaky_up gauge\nflaky_up 1\n"
                self.send_response(503 if target.down else 200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def flaky() -> Iterator[FlakyTarget]:
    target = FlakyTarget()
    yield target
    target.server.shutdown()


def _until(what: str, check: Callable[[], Any], timeout_s: float = 30) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_target_down_alert_fires_reaches_alertmanager_and_resolves(
    tmp_path: Path, flaky: FlakyTarget, alertmanager: str  # noqa: F811 (the imported fixture)
) -> None:
    (tmp_path / "rules.yml").write_text(RULES)
    config = tmp_path / "prometheus.yml"
    config.write_text(f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
  external_labels: {{site: test}}
rule_files: [rules.yml]
alerting:
  alertmanagers:
    - static_configs: [{{targets: ['{alertmanager}']}}]
scrape_configs:
  - job_name: flaky
    static_configs: [{{targets: ['{flaky.address}']}}]
""")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "ember", "serve", f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'd'}",
         f"--web.listen-address=127.0.0.1:{port}", "--web.external-url=http://ember.example:9090/"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    base = f"http://127.0.0.1:{port}"

    def ember_alerts() -> list[dict[str, Any]]:
        alerts: list[dict[str, Any]] = httpx.get(f"{base}/api/v1/alerts").json()["data"]["alerts"]
        return alerts

    def alertmanager_alerts() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = httpx.get(f"http://{alertmanager}/api/v2/alerts",
                                                params={"filter": 'alertname="TargetDown"'}).json()
        return found

    try:
        wait_ready(base, process)
        _until("the rule group to evaluate", lambda: httpx.get(f"{base}/api/v1/rules").json()["data"]["groups"])
        assert ember_alerts() == []
        flaky.down = True
        pending = _until("a pending alert", lambda: [a for a in ember_alerts() if a["state"] == "pending"])
        assert pending[0]["labels"] == {"alertname": "TargetDown", "instance": flaky.address, "job": "flaky",
                                        "severity": "page"}
        _until("the alert to fire", lambda: [a for a in ember_alerts() if a["state"] == "firing"])
        (received,) = _until("the alert in Alertmanager", alertmanager_alerts)
        assert received["labels"] == {"alertname": "TargetDown", "instance": flaky.address, "job": "flaky",
                                      "severity": "page", "site": "test"}
        assert received["annotations"] == {"summary": f"{flaky.address} of job flaky is down"}
        assert received["status"]["state"] == "active"
        assert received["generatorURL"].startswith("http://ember.example:9090/graph?g0.expr=")
        rule = httpx.get(f"{base}/api/v1/rules", params={"type": "alert"}).json()["data"]["groups"][0]["rules"][0]
        assert (rule["name"], rule["state"], rule["health"]) == ("TargetDown", "firing", "ok")
        flaky.down = False
        _until("the alert to resolve in Ember", lambda: ember_alerts() == [])
        _until("the resolution in Alertmanager", lambda: alertmanager_alerts() == [])
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
