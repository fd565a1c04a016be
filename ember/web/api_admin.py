"""`/api/v1/admin/tsdb/*`: deletion, tombstone cleaning and snapshots, only with --web.enable-admin-api."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from ember.errors import BadDataError, EmberError, UnavailableError
from ember.web.api_query import read_params
from ember.web.context import WebContext
from ember.web.params import matcher_sets, range_params
from ember.web.responses import error_response, success


def _admin(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.ctx
    if not ctx.enable_admin_api or ctx.admin is None:
        raise UnavailableError("admin APIs disabled")
    return ctx


async def delete_series(request: Request) -> Response:
    try:
        ctx = _admin(request)
        params = await read_params(request)
        sets = matcher_sets(params)
        if not sets:
            raise BadDataError("no match[] parameter provided")
        mint, maxt = range_params(params)
        for matchers in sets:
            await asyncio.to_thread(ctx.admin.delete, matchers, mint, maxt)
    except EmberError as exc:
        return error_response(exc)
    return Response(status_code=204)


async def clean_tombstones(request: Request) -> Response:
    try:
        ctx = _admin(request)
        await asyncio.to_thread(ctx.admin.clean_tombstones)
    except EmberError as exc:
        return error_response(exc)
    return Response(status_code=204)


async def snapshot(request: Request) -> Response:
    try:
        ctx = _admin(request)
        params = await read_params(request)
        skip_head = (params.get("skip_head") or "").lower() in ("1", "true")
        name = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{int(time.time() * 1e6) % 10**16:016x}"
        target = Path(ctx.admin.directory) / "snapshots" / name
        await asyncio.to_thread(ctx.admin.snapshot, target, with_head=not skip_head)
    except EmberError as exc:
        return error_response(exc)
    return success({"name": name})
