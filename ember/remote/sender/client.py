"""POSTs remote-write bodies and classifies the answer the way Prometheus's `storage/remote` client does:
2xx is success; 5xx, 429 (with `retry_on_http_429`) and transport failures are recoverable and retried;
any other status is final and the batch is dropped.

Requests go through a `Poster`; the one used is httpx's (the project's HTTP client outside scraping).
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import httpx

from ember.config.http_client import HTTPClientConfig
from ember.config.http_credentials import USER_AGENT
from ember.errors import EmberError
from ember.scrape.http_client import build_client

PROTOCOL_HEADERS = {
    "Content-Encoding": "snappy",
    "Content-Type": "application/x-protobuf",
    "User-Agent": USER_AGENT,
    "X-Prometheus-Remote-Write-Version": "0.1.0",
}
_ERROR_LINE_BYTES = 512


class RemoteWriteError(EmberError):
    """A batch the receiver refused for good (a 4xx other than a retried 429)."""


@dataclass(frozen=True)
class RecoverableSendError(Exception):
    """A failed send worth retrying; `retry_after_s` > 0 when the receiver said when."""

    reason: str
    retry_after_s: float = 0.0

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class PostResult:
    status: int
    reason: str
    retry_after: str | None
    body_start: str
    """The start of the response body, for the error message."""


class Poster(Protocol):
    """One HTTP connection pool; transport failures raise RecoverableSendError."""

    async def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout_s: float) -> PostResult: ...

    async def close(self) -> None: ...


class HttpxPoster:
    """The poster over an httpx client (by default one built from the remote_write section's auth, TLS
    and proxy settings, as discovery builds its clients)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    @classmethod
    def from_config(cls, config: HTTPClientConfig) -> HttpxPoster:
        return cls(build_client(config))

    async def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout_s: float) -> PostResult:
        try:
            response = await self._client.post(url, content=body, headers=dict(headers), timeout=timeout_s)
        except httpx.TimeoutException:
            raise RecoverableSendError(f'Post "{url}": context deadline exceeded') from None
        except httpx.HTTPError as exc:
            raise RecoverableSendError(f'Post "{url}": {exc or type(exc).__name__}') from None
        text = "" if response.status_code < 300 else response.text[:_ERROR_LINE_BYTES]
        return PostResult(response.status_code, response.reason_phrase, response.headers.get("Retry-After"), text)

    async def close(self) -> None:
        await self._client.aclose()


def retry_after_seconds(header: str | None, now: float | None = None) -> float:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date); 0 when absent or invalid."""
    if not header:
        return 0.0
    text = header.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return 0.0
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RemoteWriteClient:
    """One receiver endpoint: URL, extra headers and timeout over a poster."""

    def __init__(self, url: str, poster: Poster, *, timeout_s: float, headers: Mapping[str, str] | None = None,
                 retry_on_http_429: bool = False) -> None:
        self.url = url
        self._poster = poster
        self._timeout = timeout_s
        self._headers = {**dict(headers or {}), **PROTOCOL_HEADERS}
        self._retry_429 = retry_on_http_429

    async def store(self, body: bytes) -> None:
        """Sends one snappy-compressed WriteRequest; raises RecoverableSendError or RemoteWriteError."""
        result = await self._poster.post(self.url, body, self._headers, self._timeout)
        status = result.status
        if 200 <= status < 300:
            return
        line = result.body_start.split("\n", 1)[0]
        message = f"server returned HTTP status {status} {result.reason}: {line}"
        if status >= 500 or (status == 429 and self._retry_429):
            raise RecoverableSendError(message, retry_after_seconds(result.retry_after))
        raise RemoteWriteError(message)

    async def close(self) -> None:
        await self._poster.close()
