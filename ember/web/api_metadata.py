"""`/api/v1/targets/metadata` and `/api/v1/metadata`: the TYPE/HELP/UNIT lines scrapes have seen, per
target and per metric, in Prometheus's shapes."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ember.errors import BadDataError, EmberError
from ember.exposition.scrape_result import MetricFamily
from ember.model.labels import Labels
from ember.model.matchers import matches_all
from ember.promql.selector import parse_selector
from ember.web.api_query import read_params
from ember.web.context import WebContext
from ember.web.params import Params
from ember.web.responses import error_response, success


def _entries(ctx: WebContext) -> list[tuple[Labels, list[MetricFamily]]]:
    if ctx.scrape is None or not hasattr(ctx.scrape, "target_metadata"):
        return []
    entries: list[tuple[Labels, list[MetricFamily]]] = ctx.scrape.target_metadata()
    return entries


def _type_of(family: MetricFamily) -> str:
    # Prometheus's text parser reports an `untyped` family as type "unknown".
    return "unknown" if family.type == "untyped" else family.type


def _int_param(params: Params, name: str, default: int) -> int:
    """Prometheus's metadata limits: absent means `default`; a negative value means no limit."""
    text = params.get(name)
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise BadDataError(f'invalid parameter "{name}": cannot parse "{text}" to a valid limit') from None


async def targets_metadata(request: Request) -> Response:
    ctx: WebContext = request.app.state.ctx
    try:
        params = await read_params(request)
        limit = _int_param(params, "limit", -1)
        metric = params.get("metric") or ""
        selector = params.get("match_target") or ""
        matchers = parse_selector(selector) if selector else []
    except EmberError as exc:
        return error_response(exc)
    found: list[dict[str, Any]] = []
    for labels, families in _entries(ctx):
        if matchers and not matches_all(matchers, labels):
            continue
        for family in families:
            if metric and family.name != metric:
                continue
            entry: dict[str, Any] = {"target": dict(labels)}
            if not metric:
                entry["metric"] = family.name
            entry.update(type=_type_of(family), help=family.help or "", unit=family.unit or "")
            found.append(entry)
            if 0 <= limit <= len(found):
                return success(found)
    return success(found)


async def metadata(request: Request) -> Response:
    ctx: WebContext = request.app.state.ctx
    try:
        params = await read_params(request)
        limit = _int_param(params, "limit", -1)
        per_metric = _int_param(params, "limit_per_metric", -1)
    except EmberError as exc:
        return error_response(exc)
    metric = params.get("metric") or ""
    by_metric: dict[str, list[dict[str, str]]] = {}
    for _, families in _entries(ctx):
        for family in families:
            if metric and family.name != metric:
                continue
            item = {"type": _type_of(family), "help": family.help or "", "unit": family.unit or ""}
            known = by_metric.setdefault(family.name, [])
            if item not in known and not 0 <= per_metric <= len(known):
                known.append(item)
    names = sorted(by_metric)
    if limit >= 0:
        names = names[:limit]
    return success({name: by_metric[name] for name in names})
