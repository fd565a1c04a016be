"""A fake Alertmanager for the notifier tests: a Starlette app on a free loopback port that records each
POST it receives and answers with a chosen status, optionally after a delay."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass(frozen=True)
class ReceivedPost:
    path: str
    headers: dict[str, str]
    alerts: list[dict[str, Any]]


class FakeAlertmanager:
    """`async with FakeAlertmanager() as am:` serves on `am.address` until the block ends."""

    def __init__(self, status: int = 200, delay_s: float = 0.0, tls: tuple[str, str] | None = None) -> None:
        """`tls` is (certificate file, key file) to serve HTTPS."""
        self.status = status
        self.delay_s = delay_s
        self.posts: list[ReceivedPost] = []
        app = Starlette(routes=[Route("/{path:path}", self._receive, methods=["POST"])])
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        cert, key = tls or (None, None)
        config = uvicorn.Config(app, log_level="error", lifespan="off", timeout_graceful_shutdown=1,
                                ssl_certfile=cert, ssl_keyfile=key)
        self._server = uvicorn.Server(config)
        self._task: asyncio.Task[None] | None = None
        self._closing = asyncio.Event()

    @property
    def address(self) -> str:
        host, port = self._sock.getsockname()
        return f"{host}:{port}"

    @property
    def alerts(self) -> list[dict[str, Any]]:
        return [alert for post in self.posts for alert in post.alerts]

    async def _receive(self, request: Request) -> Response:
        body = json.loads(await request.body())
        self.posts.append(ReceivedPost(request.url.path, dict(request.headers), body))
        if self.delay_s:
            with contextlib.suppress(TimeoutError):  # cut short when the server closes
                await asyncio.wait_for(self._closing.wait(), self.delay_s)
        return Response(status_code=self.status)

    async def __aenter__(self) -> FakeAlertmanager:
        self._task = asyncio.create_task(self._server.serve(sockets=[self._sock]))
        for _ in range(200):
            if self._server.started:
                return self
            await asyncio.sleep(0.01)
        raise RuntimeError("fake Alertmanager did not start")

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._closing.set()
        self._server.should_exit = True
        if self._task is not None:
            await self._task
        self._sock.close()


async def wait_until(condition: Any, timeout_s: float = 5.0) -> None:
    """Polls `condition()` until true; fails the test after `timeout_s`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
