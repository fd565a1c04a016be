"""One keep-alive HTTP/1.1 connection to a scrape target: an asyncio Protocol that writes a prebuilt GET
request and parses the response with httptools (llhttp, C), so a scrape costs a few Python callbacks
instead of a general-purpose client's stream and header machinery (see `ember.scrape.http_client`).

Once the headers of a 200 answer with a Content-Length have been parsed, the rest of its body is taken
as it arrives, without httptools: httptools hands each body piece over as a new copy, and copying a
60 KB body into freshly allocated memory was the largest part of a fetch's CPU on a machine that idles
between scrapes. The parser, which has then not seen the end of the body, is replaced for the next
answer on the connection."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from typing import NamedTuple, cast

import httptools

from ember.errors import BODY_SIZE_LIMIT_EXCEEDED, ScrapeFailedError

KEPT_HEADERS = frozenset((b"content-type", b"content-encoding", b"content-length", b"transfer-encoding",
                          b"location"))
"""The response headers a scrape looks at (lower-case); the others are parsed and dropped."""


class ConnectionClosedError(ConnectionError):
    """The peer closed the connection before the response was complete; `idle_close` says before any of
    it arrived (Go's "EOF", where a cut-off answer is "unexpected EOF")."""

    def __init__(self, idle_close: bool) -> None:
        super().__init__("EOF" if idle_close else "unexpected EOF")
        self.idle_close = idle_close


class DeadlineExceededError(Exception):
    """The deadline of an exchange passed before its answer was complete (Go's "context deadline
    exceeded"); the connection is aborted."""


class MalformedResponseError(ValueError):
    """The peer answered with something that is not HTTP/1.x."""


class RawResponse(NamedTuple):
    """What a scrape needs of a response: status line, the kept headers (lower-case names) and the body,
    still content-encoded. `body` is empty for non-200 answers, which are not read."""

    status: int
    reason: str
    headers: dict[bytes, bytes]
    body: bytes


class HttpConnection(asyncio.Protocol):
    """One TCP (or TLS) connection carrying one request at a time. `reusable` is true once a response
    has been read completely and both sides allow keep-alive."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[RawResponse] | None = None
        self._limit = 0
        self._received = 0
        self._reason: list[bytes] = []
        self._headers: dict[bytes, bytes] = {}
        self._chunks: list[bytes] = []
        self._size = 0
        self._headers_done = False
        self._raw_remaining = 0  # body bytes still to come past httptools (after its headers)
        self._parser_stale = False  # the parser stopped mid-body: a new one for the next answer
        self.reusable = False
        self.closed = False
        self.idle_since = 0.0

    # ------------------------------------------------------------------ asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass asyncio's

    def data_received(self, data: bytes) -> None:
        if self._waiter is None or self._waiter.done():
            self.abort()  # bytes nobody asked for: the stream is out of step, never reuse it
            return
        self._received += len(data)
        if self._raw_remaining:
            self._take_raw_body(data)
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(MalformedResponseError("unexpected protocol upgrade"))
        except httptools.HttpParserError as exc:
            self._fail(MalformedResponseError(f"malformed HTTP response: {exc}"))

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.reusable = False
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        if exc is None and self._headers_done and self._reads_until_close():
            self._complete()
        elif exc is not None:
            waiter.set_exception(exc)
        else:
            waiter.set_exception(ConnectionClosedError(idle_close=self._received == 0))

    # ------------------------------------------------------------------ httptools callbacks
    def on_status(self, reason: bytes) -> None:
        self._reason.append(reason)

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name in KEPT_HEADERS:
            self._headers.setdefault(name, value)  # the first of repeated headers, as Go's Header.Get

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if 100 <= status < 200:
            return  # an interim answer (100 Continue); Go's transport skips these as well
        self._headers_done = True
        if status != 200:
            self._complete()  # the body of an error answer is not read: this connection is closed
            return
        declared = self._headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) >= self._limit:
            self._fail(ScrapeFailedError(BODY_SIZE_LIMIT_EXCEEDED))
            return
        if declared is not None and declared.isdigit() and b"transfer-encoding" not in self._headers:
            # What httptools does not hand to on_body from the data being fed comes to _take_raw_body.
            self._raw_remaining = int(declared)

    def on_body(self, body: bytes) -> None:
        if self._waiter is None or self._waiter.done():
            return
        if self._raw_remaining:
            self._raw_remaining -= len(body)
        self._size += len(body)
        if self._size >= self._limit:
            self._fail(ScrapeFailedError(BODY_SIZE_LIMIT_EXCEEDED))
            return
        self._chunks.append(body)

    def on_message_complete(self) -> None:
        if not self._headers_done:
            self._reset()  # the end of an interim 1xx answer; the real one follows
            return
        self._raw_remaining = 0
        if self._waiter is not None and not self._waiter.done():
            self.reusable = self._parser.should_keep_alive()
            self._complete()

    # ------------------------------------------------------------------ use
    async def exchange(self, request: bytes, body_limit: int, deadline: float | None = None) -> RawResponse:
        """Sends `request` and waits for its response, until `deadline` (the event loop's clock) at the
        latest: then `DeadlineExceededError`. On any failure or cancellation the caller must `abort()` the
        connection: the stream position is then unknown. (One timer on the loop, where `asyncio.timeout`
        around the call costs three times as much CPU, on every scrape.)"""
        assert self._transport is not None
        if self.closed:  # the peer hung up before the request could go out
            raise ConnectionClosedError(idle_close=True)
        self._reset()
        self._received = 0
        self._limit = body_limit
        self.reusable = False
        loop = asyncio.get_running_loop()
        self._waiter = loop.create_future()
        timer = None if deadline is None else loop.call_at(deadline, self._deadline_passed)
        try:
            self._transport.write(request)
            return await self._waiter
        finally:
            if timer is not None:
                timer.cancel()
            self._waiter = None
            self._chunks = []

    @property
    def answered(self) -> bool:
        """True once any byte of the current response has arrived."""
        return self._received > 0

    def close(self) -> None:
        """Closes after the current answer (what is still buffered for sending goes out first)."""
        self.closed = True
        self.reusable = False
        if self._transport is not None:
            with contextlib.suppress(RuntimeError):
                self._transport.close()

    def abort(self) -> None:
        self.closed = True
        self.reusable = False
        if self._transport is not None:
            with contextlib.suppress(RuntimeError):  # its event loop is closed already
                self._transport.abort()

    # ------------------------------------------------------------------ internals
    def _reset(self) -> None:
        self._reason = []
        self._headers = {}
        self._chunks = []
        self._size = 0
        self._headers_done = False
        self._raw_remaining = 0
        if self._parser_stale:
            self._parser = httptools.HttpResponseParser(self)
            self._parser_stale = False

    def _take_raw_body(self, data: bytes) -> None:
        """A piece of the body after the parsed headers, kept as it came (no copy)."""
        self._parser_stale = True
        if self._waiter is None or self._waiter.done():
            return
        # The body is under the limit: a Content-Length reaching it was refused with the headers.
        excess = len(data) > self._raw_remaining
        if excess:  # bytes after the answer: it is complete, the stream is out of step, never reuse it
            data = data[: self._raw_remaining]
        self._raw_remaining -= len(data)
        self._size += len(data)
        self._chunks.append(data)
        if not self._raw_remaining:
            self.reusable = not excess and self._parser.should_keep_alive()  # decided by the headers
            self._complete()
            if excess:
                self.abort()

    def _reads_until_close(self) -> bool:
        """True for a response whose body is delimited by the end of the connection (HTTP/1.0 style)."""
        return b"content-length" not in self._headers and b"transfer-encoding" not in self._headers

    def _complete(self) -> None:
        assert self._waiter is not None
        status = self._parser.get_status_code()
        body = b"".join(self._chunks) if status == 200 else b""
        reason = b"".join(self._reason).decode("latin-1")
        self._waiter.set_result(RawResponse(status, reason, self._headers, body))

    def _deadline_passed(self) -> None:
        self._fail(DeadlineExceededError())

    def _fail(self, error: Exception) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(error)
        self.abort()


async def open_connection(host: str, port: int, tls: ssl.SSLContext | None, server_name: str) -> HttpConnection:
    """A new connection to host:port, TLS-wrapped (with SNI and verification against `server_name`)
    when `tls` is given."""
    loop = asyncio.get_running_loop()
    if tls is None:
        _, protocol = await loop.create_connection(HttpConnection, host, port)
    else:
        _, protocol = await loop.create_connection(HttpConnection, host, port, ssl=tls,
                                                   server_hostname=server_name or host)
    return protocol
