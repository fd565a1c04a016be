"""The HTTP API on a real database: shapes, status codes and errors as Prometheus's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from starlette.testclient import TestClient

from ember.model.labels import Labels
from ember.model.samples import STALE_NAN, SampleBatch
from ember.promql.engine import Engine
from ember.tsdb.db import DB
from ember.tsdb.options import DBOptions
from ember.tsdb.stats import head_cardinality
from ember.web.app import create_app
from ember.web.context import WebContext
from ember.web.self_metrics import SelfMetrics

T0 = 1_700_000_000_000


@pytest.fixture
def db(tmp_path: Path) -> Iterator[DB]:
    database = DB.open(tmp_path, DBOptions(background_maintenance=False))
    appender = database.appender()
    t = T0 + np.arange(0, 600_000, 15_000)
    for job, rate in (("api", 1.0), ("web", 2.0)):
        labels = Labels.from_strings("__name__", "requests_total", "job", job, "instance", "h:1")
        appender.append(SampleBatch.of_series(labels, t, (t - T0) / 1000 * rate))
    gone = Labels.from_strings("__name__", "gone", "job", "api")
    appender.append(SampleBatch.of_series(gone, [T0, T0 + 15_000], [1.0, STALE_NAN]))
    appender.commit()
    yield database
    database.close()


@pytest.fixture
def client(db: DB) -> TestClient:
    ctx = WebContext(storage=db, engine=Engine(), admin=db, enable_admin_api=True, config_text="global: {}\n",
                     flags={"web.listen-address": "127.0.0.1:0"}, clock=lambda: T0 + 300_000,
                     tsdb_stats=lambda: {"headStats": {"numSeries": len(db.head.series)}, **head_cardinality(db)})
    return TestClient(create_app(ctx, SelfMetrics(db)))


def test_instant_query_vector_shape(client: TestClient) -> None:
    body = client.get("/api/v1/query", params={"query": "requests_total", "time": (T0 + 300_000) / 1000}).json()
    assert body["status"] == "success"
    assert body["data"]["resultType"] == "vector"
    results = sorted(body["data"]["result"], key=lambda r: r["metric"]["job"])
    assert results[0] == {"metric": {"__name__": "requests_total", "instance": "h:1", "job": "api"},
                          "value": [(T0 + 300_000) / 1000, "300"]}


def test_post_form_query_and_scalar(client: TestClient) -> None:
    body = client.post("/api/v1/query", data={"query": "1 + 1.5", "time": "1700000000.5"}).json()
    assert body["data"] == {"resultType": "scalar", "result": [1700000000.5, "2.5"]}


def test_range_query_matrix_shape(client: TestClient) -> None:
    params = {"query": 'rate(requests_total{job="web"}[1m])', "start": (T0 + 120_000) / 1000,
              "end": (T0 + 180_000) / 1000, "step": "30s"}
    body = client.get("/api/v1/query_range", params=params).json()
    assert body["data"]["resultType"] == "matrix"
    (series,) = body["data"]["result"]
    assert series["metric"] == {"instance": "h:1", "job": "web"}
    assert [p[0] for p in series["values"]] == [1700000120, 1700000150, 1700000180]
    assert [float(p[1]) for p in series["values"]] == pytest.approx([2.0, 2.0, 2.0])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"query": "up", "start": "10", "end": "5", "step": "1"}, "end timestamp must not be before start time"),
        ({"query": "up", "start": "0", "end": "100000", "step": "1"}, "exceeded maximum resolution of 11,000"),
        ({"query": "up", "start": "0", "end": "10", "step": "0"}, "zero or negative query resolution step"),
        ({"query": "up", "start": "x", "end": "10", "step": "1"}, 'invalid parameter "start"'),
        ({"query": "sum((", "start": "0", "end": "10", "step": "1"}, ""),
    ],
)
def test_range_query_errors_are_bad_data(client: TestClient, params: dict[str, str], message: str) -> None:
    response = client.get("/api/v1/query_range", params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "error" and body["errorType"] == "bad_data"
    assert message in body["error"]


def test_execution_error_is_422(client: TestClient) -> None:
    response = client.get("/api/v1/query", params={"query": 'label_replace(requests_total, "job", "x", "", "")',
                                                   "time": (T0 + 300_000) / 1000})
    assert response.status_code == 422
    assert response.json()["errorType"] == "execution"


def test_series_labels_and_values(client: TestClient) -> None:
    series = client.get("/api/v1/series", params={"match[]": 'requests_total{job="api"}'}).json()["data"]
    assert series == [{"__name__": "requests_total", "instance": "h:1", "job": "api"}]
    assert client.get("/api/v1/series").json()["error"] == "no match[] parameter provided"
    assert client.get("/api/v1/labels").json()["data"] == ["__name__", "instance", "job"]
    values = client.get("/api/v1/label/job/values", params={"match[]": "requests_total"}).json()
    assert values["data"] == ["api", "web"]
    limited = client.get("/api/v1/label/job/values", params={"limit": "1"}).json()
    assert limited["data"] == ["api"] and limited["warnings"] == ["results truncated due to limit"]


def test_federate_skips_stale_series_and_writes_text(client: TestClient) -> None:
    response = client.get("/federate", params={"match[]": '{__name__=~"requests_total|gone"}'})
    assert response.status_code == 200
    assert "gone" not in response.text
    assert '# TYPE requests_total untyped' in response.text


def test_status_endpoints(client: TestClient) -> None:
    assert client.get("/api/v1/status/buildinfo").json()["data"]["version"] == "0.1.0"
    assert client.get("/api/v1/status/config").json()["data"] == {"yaml": "global: {}\n"}
    assert client.get("/api/v1/status/flags").json()["data"]["web.listen-address"] == "127.0.0.1:0"
    tsdb = client.get("/api/v1/status/tsdb").json()["data"]
    assert tsdb["headStats"]["numSeries"] == 3
    assert tsdb["seriesCountByMetricName"][0] == {"name": "requests_total", "value": 2}
    assert client.get("/api/v1/rules").json()["data"] == {"groups": []}
    assert client.get("/-/healthy").status_code == 200
    assert client.get("/-/ready").status_code == 200


def test_admin_delete_series(client: TestClient) -> None:
    response = client.post("/api/v1/admin/tsdb/delete_series", params={"match[]": 'requests_total{job="api"}'})
    assert response.status_code == 204
    series = client.get("/api/v1/series", params={"match[]": "requests_total"}).json()["data"]
    assert [s["job"] for s in series] == ["web"]


def test_admin_disabled(db: DB) -> None:
    client = TestClient(create_app(WebContext(storage=db, engine=Engine())))
    response = client.post("/api/v1/admin/tsdb/clean_tombstones")
    assert response.status_code == 503
    assert response.json()["error"] == "admin APIs disabled"
    assert client.post("/-/reload").status_code == 403


def test_metrics_endpoint_counts_requests(client: TestClient) -> None:
    client.get("/api/v1/labels")
    text = client.get("/metrics").text
    assert 'prometheus_http_requests_total{code="200",handler="/api/v1/labels"} 1.0' in text
    assert "prometheus_tsdb_head_series 3.0" in text


def test_huge_body_is_refused(client: TestClient) -> None:
    response = client.post("/api/v1/query", content=b"x" * (17 * 1024 * 1024),
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413
