"""`/-/healthy`, `/-/ready`, `/-/reload`, `/-/quit` (the last two only with --web.enable-lifecycle)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from ember.errors import EmberError
from ember.web.context import WebContext


def _ctx(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.ctx
    return ctx


async def healthy(request: Request) -> Response:
    return PlainTextResponse("Ember Server is Healthy.\n")


async def ready(request: Request) -> Response:
    if _ctx(request).ready():
        return PlainTextResponse("Ember Server is Ready.\n")
    return PlainTextResponse("Service Unavailable", status_code=503)


async def reload(request: Request) -> Response:
    ctx = _ctx(request)
    if not ctx.enable_lifecycle:
        return PlainTextResponse("Lifecycle API is not enabled.", status_code=403)
    if ctx.reload is None:
        return PlainTextResponse("reload is not available", status_code=503)
    try:
        await ctx.reload()
    except EmberError as exc:
        return PlainTextResponse(f"failed to reload config: {exc}", status_code=500)
    return PlainTextResponse("")


async def quit_server(request: Request) -> Response:
    ctx = _ctx(request)
    if not ctx.enable_lifecycle:
        return PlainTextResponse("Lifecycle API is not enabled.", status_code=403)
    if ctx.shutdown is not None:
        ctx.shutdown()
    return PlainTextResponse("Requesting termination... Goodbye!")
