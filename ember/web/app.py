"""The Starlette application: Prometheus's HTTP API paths, methods and limits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ember.web import api_admin, api_metadata, api_query, api_series, api_status, federate, health
from ember.web.auth import BasicAuth
from ember.web.context import WebContext
from ember.web.responses import failure
from ember.web.self_metrics import SelfMetrics

Handler = Callable[[Request], Awaitable[Response]]
GET_POST = ["GET", "POST"]
MAX_BODY_BYTES = 16 * 1024 * 1024


def _api_routes() -> list[BaseRoute]:
    def api(path: str, handler: Handler, methods: list[str] | None = None) -> Route:
        return Route(f"/api/v1{path}", handler, methods=methods or ["GET"])

    return [
        api("/query", api_query.query, GET_POST),
        api("/query_range", api_query.query_range, GET_POST),
        api("/format_query", api_query.format_query, GET_POST),
        api("/query_exemplars", api_status.query_exemplars, GET_POST),
        api("/series", api_series.series, [*GET_POST, "DELETE"]),
        api("/labels", api_series.label_names, GET_POST),
        api("/label/{name}/values", api_series.label_values),
        api("/metadata", api_metadata.metadata),
        api("/targets", api_status.targets),
        api("/targets/metadata", api_metadata.targets_metadata),
        api("/rules", api_status.rules),
        api("/alerts", api_status.alerts),
        api("/alertmanagers", api_status.alertmanagers),
        api("/status/buildinfo", api_status.buildinfo),
        api("/status/runtimeinfo", api_status.runtimeinfo),
        api("/status/config", api_status.config),
        api("/status/flags", api_status.flags),
        api("/status/tsdb", api_status.tsdb),
        api("/status/walreplay", api_status.walreplay),
        api("/admin/tsdb/delete_series", api_admin.delete_series, ["POST", "PUT"]),
        api("/admin/tsdb/clean_tombstones", api_admin.clean_tombstones, ["POST", "PUT"]),
        api("/admin/tsdb/snapshot", api_admin.snapshot, ["POST", "PUT"]),
    ]


def _handler_label(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "other"


class BodyLimit:
    """Refuses request bodies over a limit (declared or streamed) with a 413 before a handler reads them."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = dict(scope.get("headers") or []).get(b"content-length")
            if length is not None and length.isdigit() and int(length) > self.max_bytes:
                response = failure("bad_data", f"request body larger than {self.max_bytes} bytes", 413)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class DirectDispatch(Starlette):
    """The Starlette app, with a few hot routes (`/api/v1/write`) sent straight to their endpoint through
    the same auth, body-limit and metrics layers: Starlette's routing and middleware stack cost a
    remote-write request about as much CPU as decoding its 2,000 samples."""

    def __init__(self, direct: dict[tuple[str, str], ASGIApp], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._direct = direct

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            endpoint = self._direct.get((scope["method"], scope["path"]))
            if endpoint is not None:
                await endpoint(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def _fixed_label(label: str) -> Callable[[Scope], str]:
    return lambda scope: label


def _layers(metrics: SelfMetrics, basic_auth_users: dict[str, str] | None,
            handler_of: Callable[[Scope], str]) -> list[Middleware]:
    """Every request's layers, outermost first: basic auth, body limit, request metrics."""
    return [
        *([Middleware(BasicAuth, users=basic_auth_users)] if basic_auth_users else []),
        Middleware(BodyLimit),
        Middleware(metrics.middleware, handler_of=handler_of),  # type: ignore[arg-type]
    ]


def _direct_endpoints(routes: Sequence[Route], metrics: SelfMetrics,
                      basic_auth_users: dict[str, str] | None) -> dict[tuple[str, str], ASGIApp]:
    """(method, path) -> the route's endpoint wrapped in the same layers as every other request."""
    direct: dict[tuple[str, str], ASGIApp] = {}
    for route in routes:
        app: ASGIApp = route.app
        for cls, args, kwargs in reversed(_layers(metrics, basic_auth_users, _fixed_label(route.path))):
            app = cls(app, *args, **kwargs)
        for method in route.methods or ():
            direct[(method, route.path)] = app
    return direct


def create_app(ctx: WebContext, self_metrics: SelfMetrics | None = None,
               extra_routes: Sequence[BaseRoute] = (), basic_auth_users: dict[str, str] | None = None,
               direct_routes: Sequence[Route] = ()) -> Starlette:
    """The whole HTTP surface; `extra_routes` lets the server add remote read and the UI, `direct_routes`
    the hot plain-path routes (remote write) that skip Starlette's routing."""
    metrics = self_metrics or SelfMetrics()
    routes: list[BaseRoute] = [
        *_api_routes(),
        Route("/federate", federate.federate, methods=["GET"]),
        Route("/metrics", metrics.endpoint, methods=["GET"]),
        Route("/-/healthy", health.healthy, methods=["GET", "HEAD"]),
        Route("/-/ready", health.ready, methods=["GET", "HEAD"]),
        Route("/-/reload", health.reload, methods=["POST", "PUT"]),
        Route("/-/quit", health.quit_server, methods=["POST", "PUT"]),
        *extra_routes,
        *direct_routes,  # still routed for their other methods (405) and when mounted under a root path
    ]
    app = DirectDispatch(
        _direct_endpoints(direct_routes, metrics, basic_auth_users),
        routes=routes,
        middleware=_layers(metrics, basic_auth_users, _handler_label),
    )
    app.state.ctx = ctx
    return app
