"""The keep-alive connection Protocol fed response bytes directly (no sockets): however the bytes are
split into reads, it must return the same status, headers and body as one read, enforce the body limit,
and say when the connection may be reused."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.errors import ScrapeFailedError
from ember.scrape.http_connection import ConnectionClosedError, HttpConnection, MalformedResponseError, RawResponse
from tests.scrape.scripted_http_server import chunked_response, http_response


class RecordingTransport(asyncio.Transport):
    """Keeps what the connection writes; `aborted` says the connection dropped it."""

    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.aborted = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)

    def abort(self) -> None:
        self.aborted = True


def _exchange(reads: list[bytes], *, limit: int = 1 << 20, close_after: bool = False,
              connection: HttpConnection | None = None) -> tuple[RawResponse | Exception, HttpConnection]:
    """Runs one request on `connection` (a new one by default), delivering `reads` as separate reads."""
    connection = connection or HttpConnection()
    transport = RecordingTransport()

    async def run() -> RawResponse | Exception:
        connection.connection_made(transport)
        loop = asyncio.get_running_loop()
        for data in reads:
            loop.call_soon(connection.data_received, data)
        if close_after:
            loop.call_soon(connection.connection_lost, None)
        try:
            return await connection.exchange(b"GET / HTTP/1.1\r\n\r\n", limit)
        except Exception as error:
            return error

    return asyncio.run(run()), connection


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


body_bytes = st.binary(min_size=0, max_size=3000)


@settings(max_examples=150, deadline=None)
@given(body=body_bytes, pieces=st.lists(st.integers(0, 3000), max_size=6), cuts=st.lists(st.integers(0, 10**6),
                                                                                         max_size=12),
       chunked=st.booleans())
def test_any_split_of_the_response_gives_the_same_answer(body: bytes, pieces: list[int], cuts: list[int],
                                                          chunked: bool) -> None:
    if chunked:
        parts = _split(body, pieces)
        data = chunked_response(parts, headers=("Content-Encoding: gzip",))
    else:
        data = http_response(body, headers=("Content-Encoding: gzip",))
    whole, _ = _exchange([data])
    split, connection = _exchange(_split(data, cuts))
    assert isinstance(whole, RawResponse) and isinstance(split, RawResponse)
    assert split == whole
    assert (split.status, split.reason, split.body) == (200, "OK", body)
    assert split.headers[b"content-encoding"] == b"gzip"
    assert connection.reusable


@settings(max_examples=60, deadline=None)
@given(size=st.integers(0, 600), limit=st.integers(1, 600), chunked=st.booleans())
def test_body_limit_is_exceeded_exactly_when_the_body_reaches_it(size: int, limit: int, chunked: bool) -> None:
    """As Prometheus: a body of `limit` bytes or more fails."""
    body = b"x" * size
    data = chunked_response([body[:size // 2], body[size // 2:]]) if chunked else http_response(body)
    result, connection = _exchange([data], limit=limit)
    if size >= limit:
        assert isinstance(result, ScrapeFailedError)
        assert str(result) == "body size limit exceeded"
        assert connection.closed and not connection.reusable
    else:
        assert isinstance(result, RawResponse) and result.body == body


def test_two_answers_in_turn_on_one_connection() -> None:
    first, connection = _exchange([http_response(b"one")])
    second, _ = _exchange([http_response(b"two")], connection=connection)
    assert isinstance(first, RawResponse) and isinstance(second, RawResponse)
    assert (first.body, second.body) == (b"one", b"two")


def test_a_body_read_after_its_headers_is_returned_as_read() -> None:
    body = b"x 1\n" * 5000
    head = http_response(body)[: -len(body)]
    result, connection = _exchange([head, body])
    assert isinstance(result, RawResponse) and result.body is body  # not copied on its way
    assert connection.reusable


def test_answers_read_in_pieces_and_whole_alternate_on_one_connection() -> None:
    connection = None
    answers = [http_response(b"one" * 100), http_response(b"two"), chunked_response([b"thr", b"ee"]),
               http_response(b"four" * 50)]
    cuts = [[40, 80, 200], [], [30], [90, 91]]
    for data, cut in zip(answers * 2, cuts * 2, strict=True):
        result, connection = _exchange(_split(data, cut), connection=connection)
        assert isinstance(result, RawResponse), result
        assert result.body == {0: b"one" * 100, 1: b"two", 2: b"three", 3: b"four" * 50}[answers.index(data)]
        assert connection.reusable and not connection.closed


def test_an_answer_read_in_pieces_that_closes_the_connection_is_not_reused() -> None:
    body = b"x" * 300
    data = http_response(body, headers=("Connection: close",))
    result, connection = _exchange([data[: -len(body)], body[:100], body[100:]])
    assert isinstance(result, RawResponse) and result.body == body
    assert not connection.reusable


def test_bytes_past_the_content_length_end_the_answer_and_the_connection() -> None:
    data = http_response(b"0123456789")
    result, connection = _exchange([data[:-10], b"0123456789" + b"HTTP/1.1 200 OK\r\n"])
    assert isinstance(result, RawResponse) and result.body == b"0123456789"
    assert not connection.reusable and connection.closed


def test_error_status_is_returned_without_its_body_and_not_reused() -> None:
    result, connection = _exchange([http_response(b"gone", status="410 Gone Away")])
    assert isinstance(result, RawResponse)
    assert (result.status, result.reason, result.body) == (410, "Gone Away", b"")
    assert not connection.reusable


def test_interim_continue_answer_is_skipped() -> None:
    result, _ = _exchange([b"HTTP/1.1 100 Continue\r\n\r\n" + http_response(b"m 1\n")])
    assert isinstance(result, RawResponse) and (result.status, result.body) == (200, b"m 1\n")


@pytest.mark.parametrize(("reads", "close_after", "expected"), [
    ([], True, "EOF"),
    ([http_response(b"0123456789")[:-4]], True, "unexpected EOF"),
])
def test_close_before_the_end_of_the_answer(reads: list[bytes], close_after: bool, expected: str) -> None:
    result, _ = _exchange(reads, close_after=close_after)
    assert isinstance(result, ConnectionClosedError) and str(result) == expected


def test_body_until_close_completes_at_close() -> None:
    result, connection = _exchange([b"HTTP/1.0 200 OK\r\n\r\n", b"m 1\n", b"m 2\n"], close_after=True)
    assert isinstance(result, RawResponse) and result.body == b"m 1\nm 2\n"
    assert not connection.reusable


@pytest.mark.parametrize("garbage", [b"SSH-2.0-OpenSSH_9.2\r\n", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
                                     b"HTTP/1.1 abc OK\r\n\r\n"])
def test_garbage_is_a_malformed_response(garbage: bytes) -> None:
    result, connection = _exchange([garbage])
    assert isinstance(result, MalformedResponseError)
    assert connection.closed


def test_bytes_arriving_with_no_request_in_flight_drop_the_connection() -> None:
    _, connection = _exchange([http_response(b"one")])
    connection.data_received(b"HTTP/1.1 200 OK\r\n")
    assert connection.closed and not connection.reusable


def test_cancelled_exchange_leaves_no_waiter() -> None:
    connection = HttpConnection()

    async def run(cancel: Callable[[asyncio.Task[RawResponse]], object]) -> None:
        connection.connection_made(RecordingTransport())
        task = asyncio.ensure_future(connection.exchange(b"GET / HTTP/1.1\r\n\r\n", 100))
        await asyncio.sleep(0)
        cancel(task)
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(run(lambda task: task.cancel()))
    connection.data_received(b"HTTP/1.1 200 OK\r\n")  # a late answer to the cancelled request
    assert connection.closed


def test_first_of_repeated_headers_counts() -> None:
    data = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\ncontent-type: application/openmetrics-text\r\n" \
           b"Content-Length: 0\r\n\r\n"
    result, _ = _exchange([data])
    assert isinstance(result, RawResponse) and result.headers[b"content-type"] == b"text/plain"


def test_request_on_a_connection_the_peer_already_closed_fails_at_once() -> None:
    connection = HttpConnection()

    async def run() -> None:
        connection.connection_made(RecordingTransport())
        connection.connection_lost(None)
        with pytest.raises(ConnectionClosedError, match=r"^EOF$"):
            await connection.exchange(b"GET / HTTP/1.1\r\n\r\n", 100)

    asyncio.run(run())
