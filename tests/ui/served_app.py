"""The application the browser tests drive: Ember's HTTP API plus the UI over a scratch database of
generated series ending now, a fake scrape manager, and rules/alerts answers in Prometheus 2.42's shapes."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from ember.model.labels import Labels
from ember.model.samples import SampleBatch
from ember.promql.engine import Engine
from ember.scrape.pool import TargetState
from ember.testing.scratch_database import ScratchDatabase
from ember.tsdb.stats import head_cardinality
from ember.ui import ui_routes
from ember.web.app import create_app
from ember.web.context import WebContext

HOUR_MS = 3_600_000
STEP_MS = 15_000
ROOMS = ("lab", "hall", "office", "cellar")
MANY_SERIES = 500


def fill(storage: ScratchDatabase, end_ms: int) -> None:
    """An hour of data up to `end_ms`: 4 temperatures, 2 counters and 500 `demo_many` series."""
    t = np.arange(end_ms - HOUR_MS, end_ms + 1, STEP_MS, dtype=np.int64)
    appender = storage.appender()
    for i, room in enumerate(ROOMS):
        labels = Labels.from_strings("__name__", "demo_temperature", "room", room)
        appender.append(SampleBatch.of_series(labels, t, 18 + 3 * i + np.sin(t / 6e5 + i)))
    for job, rate in (("api", 1.5), ("web", 4.0)):
        labels = Labels.from_strings("__name__", "demo_requests_total", "job", job, "instance", "h:1")
        appender.append(SampleBatch.of_series(labels, t, (t - t[0]) / 1000 * rate))
    for i in range(MANY_SERIES):
        labels = Labels.from_strings("__name__", "demo_many", "i", str(i))
        appender.append(SampleBatch.of_series(labels, t, i + np.cos(t / 3e5 + i / 10)))
    appender.commit()


class FakeScrape:
    """Stands in for the scrape manager: two up targets, one down, one dropped."""

    def __init__(self, now_s: float) -> None:
        def target(job: str, address: str, health: str, error: str = "") -> TargetState:
            discovered = Labels.from_strings("__address__", address, "__meta_filepath", "targets.json",
                                             "__scheme__", "http", "job", job)
            labels = Labels.from_strings("instance", address, "job", job, "team", "core")
            return TargetState(job, f"http://{address}/metrics", f"http://{address}/metrics", discovered, labels,
                               health, error, now_s - 3.2, 0.0123, 15_000, 10_000)

        self._active = [
            target("node", "node-a:9100", "up"),
            target("node", "node-b:9100", "down", 'Get "http://node-b:9100/metrics": connection refused'),
            target("ember", "localhost:9090", "up"),
        ]
        self._dropped = [("node", Labels.from_strings("__address__", "node-c:9100", "job", "node"))]

    def active_targets(self) -> list[TargetState]:
        return self._active

    def dropped_targets(self) -> list[tuple[str, Labels]]:
        return self._dropped


def rule_groups(now_iso: str) -> dict[str, Any]:
    """/api/v1/rules data as Prometheus 2.42 documents it: a firing, a pending and a failing rule."""
    firing_alert = {"labels": {"alertname": "HighTemperature", "room": "cellar", "severity": "page"},
                    "annotations": {"summary": "cellar is too warm"}, "state": "firing",
                    "activeAt": "2026-01-01T10:00:00Z", "value": "2.7e+01"}
    pending_alert = {"labels": {"alertname": "TargetDown", "instance": "node-b:9100", "severity": "ticket"},
                     "annotations": {"summary": "node-b:9100 is down"}, "state": "pending",
                     "activeAt": "2026-01-01T10:05:00Z", "value": "0e+00"}

    def rule(**fields: Any) -> dict[str, Any]:
        base = {"health": "ok", "lastError": "", "evaluationTime": 0.000412, "lastEvaluation": now_iso,
                "labels": {}, "annotations": {}, "alerts": [], "duration": 0, "state": "inactive"}
        return {**base, **fields}

    return {"groups": [{
        "name": "demo", "file": "rules/demo.yml", "interval": 15, "evaluationTime": 0.001, "lastEvaluation": now_iso,
        "rules": [
            rule(name="HighTemperature", query="demo_temperature > 25", type="alerting", state="firing",
                 duration=60, labels={"severity": "page"}, annotations={"summary": "{{ $labels.room }} is too warm"},
                 alerts=[firing_alert]),
            rule(name="TargetDown", query="up == 0", type="alerting", state="pending", duration=300,
                 labels={"severity": "ticket"}, alerts=[pending_alert]),
            rule(name="Quiet", query="absent(demo_temperature)", type="alerting"),
            {"name": "job:demo_requests:rate5m", "query": "sum by (job) (rate(demo_requests_total[5m]))",
             "type": "recording", "health": "err", "lastError": "many-to-many matching not allowed",
             "evaluationTime": 0.0021, "lastEvaluation": now_iso, "labels": {}},
        ],
    }]}


class RulesStandIn:
    """Answers /api/v1/rules and /api/v1/alerts, whose real handlers are being built elsewhere."""

    def __init__(self, app: ASGIApp, rules: dict[str, Any]) -> None:
        self.app = app
        self.rules = rules

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path not in ("/api/v1/rules", "/api/v1/alerts"):
            await self.app(scope, receive, send)
            return
        alerts = [a for g in self.rules["groups"] for r in g["rules"] for a in r.get("alerts", [])]
        data = self.rules if path.endswith("rules") else {"alerts": alerts}
        body = json.dumps({"status": "success", "data": data}).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})


@dataclass
class RunningServer:
    url: str
    server: uvicorn.Server
    thread: threading.Thread
    storage: ScratchDatabase

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.storage.close()


def start_server() -> RunningServer:
    """Uvicorn in a thread on a free port, serving the API and the UI over freshly generated data."""
    now_ms = int(time.time() * 1000)
    storage = ScratchDatabase()
    fill(storage, now_ms)
    ctx = WebContext(storage=storage, engine=Engine(), config_text="global:\n  scrape_interval: 15s\n",
                     flags={"web.listen-address": "127.0.0.1:0", "storage.tsdb.path": "data/"},
                     scrape=FakeScrape(now_ms / 1000),
                     tsdb_stats=lambda: {"headStats": {"numSeries": len(storage.db.head.series),
                                                       "minTime": now_ms - HOUR_MS, "maxTime": now_ms},
                                         **head_cardinality(storage.db)})
    now_iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now_ms / 1000))
    app = RulesStandIn(create_app(ctx, extra_routes=ui_routes()), rule_groups(now_iso))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    return RunningServer(f"http://127.0.0.1:{port}", server, thread, storage)
