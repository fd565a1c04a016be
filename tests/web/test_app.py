"""The application's direct routes (`/api/v1/write`): dispatched past Starlette's routing, yet behind the
same basic auth, body limit and request metrics as every other path."""

from __future__ import annotations

import bcrypt
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send

from ember.promql.engine import Engine
from ember.testing import ReferenceStorage
from ember.web.app import MAX_BODY_BYTES, create_app
from ember.web.context import WebContext
from ember.web.self_metrics import SelfMetrics

HASH = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(4)).decode()


class CountingEndpoint:
    """A plain ASGI endpoint that answers 204 and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.routed_by_starlette = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        self.routed_by_starlette += "endpoint" in scope  # set by Starlette's router when it matches a route
        await PlainTextResponse("", status_code=204)(scope, receive, send)


def _client(endpoint: CountingEndpoint, metrics: SelfMetrics, users: dict[str, str] | None = None) -> TestClient:
    route = Route("/api/v1/write", endpoint, methods=["POST"])
    app = create_app(WebContext(storage=ReferenceStorage(), engine=Engine()), metrics,
                     basic_auth_users=users, direct_routes=[route])
    return TestClient(app)


def _count(metrics: SelfMetrics, code: str) -> float:
    value = metrics.registry.get_sample_value("prometheus_http_requests_total",
                                              {"handler": "/api/v1/write", "code": code})
    return value or 0.0


def test_a_direct_route_needs_basic_auth_like_every_path() -> None:
    endpoint, metrics = CountingEndpoint(), SelfMetrics()
    client = _client(endpoint, metrics, {"alice": HASH})
    denied = client.post("/api/v1/write", content=b"x")
    assert denied.status_code == 401 and denied.headers["WWW-Authenticate"] == "Basic"
    assert client.post("/api/v1/write", content=b"x", auth=("alice", "wrong")).status_code == 401
    assert endpoint.calls == 0
    assert client.post("/api/v1/write", content=b"x", auth=("alice", "s3cret")).status_code == 204
    assert endpoint.calls == 1
    assert _count(metrics, "204") == 1 and _count(metrics, "401") == 0  # refused before the metrics, as elsewhere


def test_a_direct_route_is_counted_in_the_request_metrics() -> None:
    endpoint, metrics = CountingEndpoint(), SelfMetrics()
    client = _client(endpoint, metrics)
    for _ in range(3):
        assert client.post("/api/v1/write", content=b"x").status_code == 204
    assert endpoint.calls == 3 and _count(metrics, "204") == 3
    assert endpoint.routed_by_starlette == 0
    durations = metrics.registry.get_sample_value("prometheus_http_request_duration_seconds_count",
                                                  {"handler": "/api/v1/write"})
    assert durations == 3


def test_a_direct_route_keeps_the_body_limit_and_its_other_methods_are_405() -> None:
    endpoint, metrics = CountingEndpoint(), SelfMetrics()
    client = _client(endpoint, metrics)
    too_long = client.post("/api/v1/write", content=b"x", headers={"Content-Length": str(MAX_BODY_BYTES + 1)})
    assert too_long.status_code == 413 and too_long.json()["errorType"] == "bad_data"
    assert client.get("/api/v1/write").status_code == 405
    assert client.put("/api/v1/write", content=b"x").status_code == 405
    assert endpoint.calls == 0
    assert client.get("/-/healthy").status_code == 200  # every other path still goes through Starlette
