"""`/api/v1/series`, `/api/v1/labels`, `/api/v1/label/<name>/values`: the index over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ember.errors import BadDataError, EmberError
from ember.model.labels import Labels
from ember.storage.interface import Querier
from ember.web.api_query import read_params
from ember.web.context import WebContext
from ember.web.params import limit_param, matcher_sets, range_params
from ember.web.responses import error_response, success

TRUNCATED = "results truncated due to limit"


async def _with_querier(ctx: WebContext, work: Callable[[Querier], Any]) -> tuple[Any, list[str]]:
    """The work's result and the querier's warnings (a fan-out querier's failed remote reads)."""

    def run() -> tuple[Any, list[str]]:
        querier = ctx.storage.querier()
        try:
            return work(querier), list(getattr(querier, "warnings", []))
        finally:
            querier.close()

    async with ctx.query_slots:
        return await asyncio.to_thread(run)


def _limited(items: list[Any], limit: int) -> tuple[list[Any], list[str]]:
    if limit and len(items) > limit:
        return items[:limit], [TRUNCATED]
    return items, []


async def _answer(items: list[Any], limit: int, remote_warnings: list[str]) -> Response:
    """The success response, limited and encoded in a worker thread: the answer to a wide match is
    megabytes of JSON, and encoding it on the event loop would hold up every scrape meanwhile."""

    def build() -> Response:
        data, warnings = _limited(items, limit)
        return success(data, remote_warnings + warnings)

    return await asyncio.to_thread(build)


async def series(request: Request) -> Response:
    ctx: WebContext = request.app.state.ctx
    try:
        params = await read_params(request)
        sets = matcher_sets(params)
        if not sets:
            raise BadDataError("no match[] parameter provided")
        mint, maxt = range_params(params)
        limit = limit_param(params)

        def find(querier: Querier) -> list[dict[str, str]]:
            found: set[Labels] = set()
            for matchers in sets:
                found.update(querier.select(matchers, mint, maxt).labels)
            return [dict(lb) for lb in sorted(found)]

        labels, remote_warnings = await _with_querier(ctx, find)
    except EmberError as exc:
        return error_response(exc)
    return await _answer(labels, limit, remote_warnings)


async def label_names(request: Request) -> Response:
    ctx: WebContext = request.app.state.ctx
    try:
        params = await read_params(request)
        sets, (mint, maxt), limit = matcher_sets(params), range_params(params), limit_param(params)

        def find(querier: Querier) -> list[str]:
            if not sets:
                return querier.label_names((), mint, maxt)
            names: set[str] = set()
            for matchers in sets:
                names.update(querier.label_names(matchers, mint, maxt))
            return sorted(names)

        names, remote_warnings = await _with_querier(ctx, find)
    except EmberError as exc:
        return error_response(exc)
    return await _answer(names, limit, remote_warnings)


async def label_values(request: Request) -> Response:
    ctx: WebContext = request.app.state.ctx
    name = request.path_params["name"]
    try:
        name = _label_name(name)
        params = await read_params(request)
        sets, (mint, maxt), limit = matcher_sets(params), range_params(params), limit_param(params)

        def find(querier: Querier) -> list[str]:
            if not sets:
                return querier.label_values(name, (), mint, maxt)
            values: set[str] = set()
            for matchers in sets:
                values.update(querier.label_values(name, matchers, mint, maxt))
            return sorted(values)

        values, remote_warnings = await _with_querier(ctx, find)
    except EmberError as exc:
        return error_response(exc)
    return await _answer(values, limit, remote_warnings)


def _label_name(raw: str) -> str:
    """The path's label name; `U__`-escaped UTF-8 names are decoded as Prometheus does."""
    if raw.startswith("U__"):
        return _unescape_utf8_name(raw[3:])
    if not raw:
        raise BadDataError(f'invalid label name: "{raw}"')
    return raw


def _unescape_utf8_name(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] == "_" and i + 1 < len(text) and text[i + 1] == "_":
            out.append("_")
            i += 2
        elif text[i] == "_":
            end = text.find("_", i + 1)
            if end < 0:
                raise BadDataError(f'invalid label name: "U__{text}"')
            try:
                out.append(chr(int(text[i + 1 : end], 16)))
            except ValueError:
                raise BadDataError(f'invalid label name: "U__{text}"') from None
            i = end + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


