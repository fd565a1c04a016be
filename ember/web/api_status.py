"""Status, build and runtime information, and the endpoints whose subsystems report through the context
(targets, rules, alerts, metadata, exemplars): Prometheus's shapes."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ember.errors import EmberError
from ember.rules.api_shapes import alerts_response, rules_response
from ember.web.context import WebContext, build_info
from ember.web.responses import error_response, success


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
    progress = _ctx(request).walreplay
    return success(progress() if progress is not None else {"min": 0, "max": 0, "current": 0})


def _duration(ms: int) -> str:
    from ember.config.durations import format_duration_ms

    return format_duration_ms(ms)


def _active_json(state: Any) -> dict[str, Any]:
    return {
        "discoveredLabels": dict(state.discovered_labels),
        "labels": dict(state.labels),
        "scrapePool": state.scrape_pool,
        "scrapeUrl": state.scrape_url,
        "globalUrl": state.global_url,
        "lastError": state.last_error,
        "lastScrape": _rfc3339(state.last_scrape) if state.last_scrape is not None else "0001-01-01T00:00:00Z",
        "lastScrapeDuration": state.last_scrape_duration,
        "health": state.health,
        "scrapeInterval": _duration(state.scrape_interval_ms),
        "scrapeTimeout": _duration(state.scrape_timeout_ms),
    }


async def targets(request: Request) -> Response:
    ctx = _ctx(request)
    wanted = request.query_params.get("state", "any").lower()
    pool = request.query_params.get("scrapePool")
    active, dropped = ([], []) if ctx.scrape is None else (ctx.scrape.active_targets(), ctx.scrape.dropped_targets())
    if pool:
        active = [s for s in active if s.scrape_pool == pool]
        dropped = [d for d in dropped if d[0] == pool]
    counts: dict[str, int] = {}
    for job, _ in dropped:
        counts[job] = counts.get(job, 0) + 1
    data: dict[str, Any] = {}
    if wanted in ("active", "any"):
        data["activeTargets"] = [_active_json(s) for s in sorted(active, key=lambda s: (s.scrape_pool, s.scrape_url))]
    if wanted in ("dropped", "any"):
        data["droppedTargets"] = [{"discoveredLabels": dict(labels)} for _, labels in dropped]
        data["droppedTargetCounts"] = counts
    return success(data)


async def rules(request: Request) -> Response:
    manager = _ctx(request).rules
    if manager is None:
        return success({"groups": []})
    params = request.query_params
    filters = {name: params.getlist(name) for name in ("type", "rule_name[]", "rule_group[]", "file[]")}
    try:
        return success(rules_response(manager, filters))
    except EmberError as exc:
        return error_response(exc)


async def alerts(request: Request) -> Response:
    manager = _ctx(request).rules
    if manager is None:
        return success({"alerts": []})
    return success(alerts_response(manager))


async def alertmanagers(request: Request) -> Response:
    notifier = _ctx(request).notifier
    active, dropped = notifier.alertmanagers() if notifier is not None else ([], [])
    return success({"activeAlertmanagers": [{"url": url} for url in active],
                    "droppedAlertmanagers": [{"url": url} for url in dropped]})


async def query_exemplars(request: Request) -> Response:
    return success([])
