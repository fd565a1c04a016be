from __future__ import annotations

import asyncio
import base64
import email.utils
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from ember.config.http_client import Authorization, BasicAuth, HTTPClientConfig
from ember.remote.sender.client import (
    HttpxPoster,
    RecoverableSendError,
    RemoteWriteClient,
    RemoteWriteError,
    retry_after_seconds,
)


def store(status: int, *, retry_429: bool = True, headers: dict[str, str] | None = None) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(status, headers=headers, text="why\nmore"))
    client = RemoteWriteClient("http://r/api/v1/write", HttpxPoster(httpx.AsyncClient(transport=transport)),
                               timeout_s=1, retry_on_http_429=retry_429)
    asyncio.run(client.store(b"body"))


def test_success_statuses() -> None:
    store(200)
    store(204)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_recoverable(status: int) -> None:
    with pytest.raises(RecoverableSendError, match=f"server returned HTTP status {status}"):
        store(status)


def test_429_is_recoverable_only_when_enabled_and_carries_retry_after() -> None:
    with pytest.raises(RecoverableSendError) as caught:
        store(429, headers={"Retry-After": "3"})
    assert caught.value.retry_after_s == 3
    with pytest.raises(RemoteWriteError):
        store(429, retry_429=False)


@pytest.mark.parametrize("status", [400, 401, 404, 413])
def test_other_client_errors_are_final_with_the_first_line_of_the_body(status: int) -> None:
    with pytest.raises(RemoteWriteError, match=f"HTTP status {status} .*: why$"):
        store(status)


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert retry_after_seconds("7") == 7
    assert retry_after_seconds(None) == 0
    assert retry_after_seconds("soon") == 0
    date = email.utils.formatdate(1_000_030, usegmt=True)
    assert retry_after_seconds(date, now=1_000_000) == pytest.approx(30)


class Receiver:
    """A loopback HTTP server (standard library) recording what it was sent and answering `answer`."""

    def __init__(self, status: int = 503, delay_s: float = 0.0) -> None:
        self.seen: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.seen.append((dict(self.headers), body))
                time.sleep(delay_s)
                text = b"busy\nsecond line"
                self.send_response(status)
                self.send_header("Retry-After", "2")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/write"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(("config", "expected"), [
    (HTTPClientConfig(basic_auth=BasicAuth("user", password="pw")), "Basic " + base64.b64encode(b"user:pw").decode()),
    (HTTPClientConfig(authorization=Authorization(credentials="tok")), "Bearer tok"),
])
def test_default_poster_sends_body_protocol_headers_and_credentials(config: HTTPClientConfig, expected: str) -> None:
    receiver = Receiver()
    client = RemoteWriteClient(receiver.url, HttpxPoster.from_config(config), timeout_s=5,
                               headers={"X-Scope-OrgID": "t"})

    async def main() -> None:
        try:
            with pytest.raises(RecoverableSendError, match=r"503 Service Unavailable: busy$") as caught:
                await client.store(b"\x00snappy")
            assert caught.value.retry_after_s == 2
        finally:
            await client.close()

    try:
        asyncio.run(main())
    finally:
        receiver.close()
    headers, body = receiver.seen[0]
    assert body == b"\x00snappy"
    assert headers["Authorization"] == expected
    assert headers["X-Scope-OrgID"] == "t"
    assert headers["Content-Encoding"] == "snappy"
    assert headers["Content-Type"] == "application/x-protobuf"
    assert headers["X-Prometheus-Remote-Write-Version"] == "0.1.0"
    assert headers["User-Agent"].startswith("Ember/")


def test_refused_connections_and_timeouts_are_retried() -> None:
    receiver = Receiver(status=204, delay_s=1.0)
    poster = HttpxPoster.from_config(HTTPClientConfig())

    async def main() -> None:
        try:
            with pytest.raises(RecoverableSendError, match="Post"):
                await poster.post("http://127.0.0.1:1/write", b"", {}, 1)
            with pytest.raises(RecoverableSendError, match="context deadline exceeded"):
                await poster.post(receiver.url, b"x", {}, 0.1)
        finally:
            await poster.close()

    try:
        asyncio.run(main())
    finally:
        receiver.close()
