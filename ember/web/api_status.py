"""Status, build and runtime information, and the endpoints whose subsystems report through the context
(targets, rules, alerts, metadata, exemplars): Prometheus's shapes."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ember.web.context import WebContext, build_info
from ember.web.responses import success


def _ctx(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.ctx
    return ctx


def _rfc3339(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat().replace("+00:00", "Z")


async def buildinfo(request: Request) -> Response:
    return success(build_info())


async def runtimeinfo(request: Request) -> Response:
    ctx = _ctx(request)
    return success({
        "startTime": _rfc3339(ctx.start_time),
        "CWD": os.getcwd(),
        "reloadConfigSuccess": True,
        "lastConfigTime": _rfc3339(ctx.start_time),
        "corruptionCount": 0,
        "goroutineCount": 0,
        "GOMAXPROCS": os.cpu_count() or 1,
        "GOMEMLIMIT": 0,
        "GOGC": "",
        "GODEBUG": "",
        "storageRetention": ctx.storage_retention,
    })


async def config(request: Request) -> Response:
    return success({"yaml": _ctx(request).config_text})


async def flags(request: Request) -> Response:
    return success(_ctx(request).flags)


async def tsdb(request: Request) -> Response:
    ctx = _ctx(request)
    stats: dict[str, Any] = ctx.tsdb_stats() if ctx.tsdb_stats is not None else {}
    return success(stats)


async def walreplay(request: Request) -> Response:
    return success({"min": 0, "max": 0, "current": 0})


async def targets(request: Request) -> Response:
    return success({"activeTargets": [], "droppedTargets": [], "droppedTargetCounts": {}})


async def targets_metadata(request: Request) -> Response:
    return success([])


async def metadata(request: Request) -> Response:
    return success({})


async def rules(request: Request) -> Response:
    return success({"groups": []})


async def alerts(request: Request) -> Response:
    return success({"alerts": []})


async def alertmanagers(request: Request) -> Response:
    return success({"activeAlertmanagers": [], "droppedAlertmanagers": []})


async def query_exemplars(request: Request) -> Response:
    return success([])
