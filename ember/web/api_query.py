"""`/api/v1/query`, `/api/v1/query_range`, `/api/v1/format_query`: PromQL over HTTP, off the event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import promql_parser
from starlette.requests import Request
from starlette.responses import Response

from ember.errors import BadDataError, EmberError, QueryParseError
from ember.promql.engine import Engine
from ember.promql.result import QueryResult
from ember.timeutil import now_ms
from ember.web.context import WebContext
from ember.web.params import Params, parse_duration_param_ms, parse_time_ms
from ember.web.query_json import query_response_body
from ember.web.responses import error_response, success

MAX_POINTS = 11_000


async def read_params(request: Request) -> Params:
    form = None
    if request.method == "POST" and request.headers.get("content-type", "").startswith(
        "application/x-www-form-urlencoded"
    ):
        form = await request.form()
    return Params(request.query_params, form)


def _engine_for(ctx: WebContext, params: Params) -> Engine:
    timeout = params.get("timeout")
    if not timeout:
        return ctx.engine
    seconds = parse_duration_param_ms(timeout) / 1000
    base = ctx.engine
    return Engine(
        lookback_delta_ms=base.lookback_delta_ms,
        timeout_s=min(seconds, base.timeout_s) if seconds > 0 else base.timeout_s,
        max_samples=base.max_samples,
        default_subquery_step_ms=base.default_subquery_step_ms,
    )


def _answered(work: Callable[[threading.Event], QueryResult], cancel: threading.Event) -> bytes:
    """The query and its JSON body, both in the worker thread: a large matrix takes tens of milliseconds to
    write, and on the event loop that would delay every scrape due meanwhile."""
    return query_response_body(work(cancel))


async def _run(ctx: WebContext, work: Callable[[threading.Event], QueryResult]) -> bytes:
    """Runs a query and writes its response body in a worker thread under the concurrency limit; a dropped
    client cancels it."""
    cancel = threading.Event()
    async with ctx.query_slots:
        try:
            return await asyncio.to_thread(_answered, work, cancel)
        except QueryParseError as exc:  # Prometheus's API reports it as an invalid `query` parameter
            raise BadDataError(f'invalid parameter "query": {exc}') from None
        except asyncio.CancelledError:
            cancel.set()
            raise


async def query(request: Request) -> Response:
    ctx: WebContext = request.app.state.ctx
    try:
        params = await read_params(request)
        expr = params.get("query") or ""
        time_text = params.get("time")
        at = parse_time_ms(time_text) if time_text else now_ms()
        engine = _engine_for(ctx, params)
        body = await _run(ctx, lambda cancel: engine.instant_query(ctx.storage, expr, at, cancel=cancel))
    except EmberError as exc:
        return error_response(exc)
    return Response(body, media_type="application/json")


async def query_range(request: Request) -> Response:
    ctx: WebContext = request.app.state.ctx
    try:
        params = await read_params(request)
        expr = params.get("query") or ""
        start = _time_param(params, "start")
        end = _time_param(params, "end")
        step = _step_param(params)
        if end < start:
            raise BadDataError("end timestamp must not be before start time")
        if (end - start) // step >= MAX_POINTS:
            raise BadDataError("exceeded maximum resolution of 11,000 points per timeseries. "
                               "Try decreasing the query resolution (?step=XX)")
        engine = _engine_for(ctx, params)
        body = await _run(
            ctx, lambda cancel: engine.range_query(ctx.storage, expr, start, end, step, cancel=cancel)
        )
    except EmberError as exc:
        return error_response(exc)
    return Response(body, media_type="application/json")


def _time_param(params: Params, name: str) -> int:
    text = params.get(name)
    if not text:
        raise BadDataError(f'invalid parameter "{name}": cannot parse "" to a valid timestamp')
    try:
        return parse_time_ms(text)
    except BadDataError as exc:
        raise BadDataError(f'invalid parameter "{name}": {exc}') from None


def _step_param(params: Params) -> int:
    text = params.get("step")
    if not text:
        raise BadDataError('invalid parameter "step": cannot parse "" to a valid duration')
    try:
        step = parse_duration_param_ms(text)
    except BadDataError as exc:
        raise BadDataError(f'invalid parameter "step": {exc}') from None
    if step <= 0:
        raise BadDataError("zero or negative query resolution step widths are not accepted. "
                           "Try a positive integer")
    return step


async def format_query(request: Request) -> Response:
    try:
        params = await read_params(request)
        text = params.get("query") or ""
        try:
            tree = promql_parser.parse(text)
        except (ValueError, TypeError) as exc:
            raise BadDataError(str(exc)) from None
    except EmberError as exc:
        return error_response(exc)
    return success(tree.prettify())
