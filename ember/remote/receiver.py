"""`POST /api/v1/write`: the remote-write 1.0 receiver. A 2xx is sent only once the samples are in the
WAL and fsynced; a request with a sample the storage refuses is rolled back whole and answered 400 with
Prometheus's message (as Prometheus 2.x does); garbage is a 400, never a crash.

A sender repeats the same series in every request, so the receiver remembers each series' storage ref
by its key (two hashes of its encoded labels): a request whose series are all known is appended by refs,
without building a label set or looking one up."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable, Iterable, Iterator

import numpy as np
import numpy.typing as npt
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ember.errors import BadDataError, EmberError, UnknownSeriesRefError
from ember.model.samples import Int64Array, SampleBatch
from ember.remote.read_codec import decode_read_request, encode_read_response
from ember.remote.write_codec import LabelsCache, WriteColumns, decode_body_columns
from ember.storage.interface import Appendable, Appender, AppendResult, Queryable

MAX_BODY_BYTES = 64 * 1024 * 1024
U64 = npt.NDArray[np.uint64]
Outcome = int | Exception  # a request's sample count, or why it was refused


class SeriesRefCache:
    """Series key -> storage ref, in sorted numpy columns so that a whole request is looked up at once.
    New keys wait in a small sorted run merged into the main one when it grows (an LSM of two levels), so
    a burst of new series does not re-sort everything on every request."""

    def __init__(self, max_entries: int = 4_000_000) -> None:
        self._max = max_entries
        self._levels: list[tuple[U64, U64, Int64Array]] = [_empty_level(), _empty_level()]

    def __len__(self) -> int:
        return sum(len(level[0]) for level in self._levels)

    def lookup(self, first: U64, second: U64) -> Int64Array | None:
        """The ref of every key, or None unless all are known."""
        refs = np.full(len(first), -1, dtype=np.int64)
        for keys, checks, level_refs in self._levels:
            if not len(keys):
                continue
            at = np.minimum(np.searchsorted(keys, first), len(keys) - 1)
            hit = (keys[at] == first) & (checks[at] == second)
            refs[hit] = level_refs[at[hit]]
        return refs if not len(refs) or refs.min() >= 0 else None

    def put(self, first: U64, second: U64, refs: Int64Array) -> None:
        if len(self) + len(first) > self._max:
            self.clear()
        main, recent = self._levels
        recent = _merged(recent, (first, second, refs))
        if len(recent[0]) > max(4096, len(main[0]) // 8):
            main, recent = _merged(main, recent), _empty_level()
        self._levels = [main, recent]

    def clear(self) -> None:
        self._levels = [_empty_level(), _empty_level()]


def _empty_level() -> tuple[U64, U64, Int64Array]:
    return np.empty(0, np.uint64), np.empty(0, np.uint64), np.empty(0, np.int64)


def _merged(old: tuple[U64, U64, Int64Array], new: tuple[U64, U64, Int64Array]) -> tuple[U64, U64, Int64Array]:
    """Both runs as one, sorted by first key; for a repeated first key the newest entry wins."""
    first, second, refs = (np.concatenate([a, b]) for a, b in zip(old, new, strict=True))
    order = np.argsort(first, kind="stable")[::-1]  # newest first among equal keys
    first, second, refs = first[order], second[order], refs[order]
    keep = np.ones(len(first), dtype=bool)
    keep[1:] = first[1:] != first[:-1]
    first, second, refs = first[keep][::-1], second[keep][::-1], refs[keep][::-1]
    return np.ascontiguousarray(first), np.ascontiguousarray(second), np.ascontiguousarray(refs)


class WriteIngester:
    """Decodes and durably appends remote-write requests to one storage, remembering series refs.

    `sync`, when given, fdatasyncs everything committed so far (`DB.sync`): `ingest_batch` then commits
    each request without waiting and covers the whole batch with one fdatasync, as Prometheus's WAL does
    for concurrent remote-write requests."""

    def __init__(self, appendable: Appendable, sync: Callable[[], None] | None = None) -> None:
        self.appendable = appendable
        self.sync = sync
        self.labels_cache = LabelsCache()
        self.ref_cache = SeriesRefCache()

    def ingest(self, body: bytes) -> int:
        """Appends one request's samples and returns their number, after an fdatasync covering them."""
        outcome = self.ingest_batch([body])[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def ingest_batch(self, bodies: Iterable[bytes]) -> list[Outcome]:
        """Each request's sample count, or the error refusing it (that request stored nothing); every
        counted request is durable when this returns. `bodies` is read lazily: requests arriving while
        the first ones are appended can still join the batch's fdatasync."""
        outcomes: list[Outcome] = []
        unsynced = False
        for body in bodies:
            try:
                outcomes.append(self._ingest_one(body, sync=self.sync is None))
                unsynced = self.sync is not None
            except Exception as exc:  # an EmberError is the client's 400; anything else is answered 500
                outcomes.append(exc)
        if unsynced:
            assert self.sync is not None
            try:
                self.sync()
            except Exception as exc:  # committed but not durable: never acknowledged
                outcomes = [exc if isinstance(outcome, int) else outcome for outcome in outcomes]
        return outcomes

    def _ingest_one(self, body: bytes, *, sync: bool) -> int:
        columns = decode_body_columns(body)
        if not len(columns.values):
            return 0
        appender = self.appendable.appender()
        try:
            result = self._append(appender, columns)
        except BaseException:
            appender.rollback()
            raise
        message = result.first_error_message()
        if message is not None:
            appender.rollback()
            raise BadDataError(message)
        appender.commit(sync=sync)
        return len(columns.values)

    def _append(self, appender: Appender, columns: WriteColumns) -> AppendResult:
        series_index = columns.series_index
        refs = self.ref_cache.lookup(columns.key_first, columns.key_second)
        if refs is not None:
            batch = SampleBatch(columns.timestamps, columns.values, series_index, refs=refs)
            try:
                return appender.append(batch)
            except UnknownSeriesRefError:
                self.ref_cache.clear()  # series the storage has since dropped (a head cut): start over
        series = columns.labels(self.labels_cache)
        result = appender.append(SampleBatch(columns.timestamps, columns.values, series_index, series=series))
        if len(result.refs) == columns.num_series:
            self.ref_cache.put(columns.key_first, columns.key_second, result.refs)
        return result


_Waiter = tuple[bytes, "asyncio.Future[Outcome]", asyncio.AbstractEventLoop]


class IngestThread:
    """Runs a `WriteIngester` on one thread fed by a queue, taking every request waiting as one batch.

    With a thread per request (`asyncio.to_thread`) each request paid for its own hand-off, GIL
    contention between the workers (about 80 futex calls per request) and its own wait for the WAL
    sync; here a batch costs one wake-up, one fdatasync and one call back into each event loop. The
    thread ends after `idle_s` without requests and is started again by the next one."""

    def __init__(self, ingester: WriteIngester, idle_s: float = 5.0) -> None:
        self.ingester = ingester
        self.idle_s = idle_s
        self._queue: queue.SimpleQueue[_Waiter] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._running = False

    def submit(self, body: bytes) -> asyncio.Future[Outcome]:
        """The request's sample count or refusing error, once it is durable (or refused)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome] = loop.create_future()
        with self._lock:
            self._queue.put((body, future, loop))
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, name="ember-remote-write", daemon=True).start()
        return future

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=self.idle_s)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._running = False
                        return
                continue
            batch = [first]
            try:
                outcomes = self.ingester.ingest_batch(self._bodies(batch))
            except Exception as exc:  # a bug: answer the batch (500) rather than leave it waiting forever
                outcomes = [exc] * len(batch)
            self._answer(batch, outcomes)

    def _bodies(self, batch: list[_Waiter]) -> Iterator[bytes]:
        """The batch's bodies, taking in every request that has arrived by the time one is done."""
        index = 0
        while True:
            while index < len(batch):
                yield batch[index][0]
                index += 1
            if self._queue.empty():
                return
            batch.append(self._queue.get_nowait())

    def _answer(self, batch: list[_Waiter], outcomes: list[Outcome]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Outcome], Outcome]]] = {}
        for (_, future, loop), outcome in zip(batch, outcomes, strict=True):
            by_loop.setdefault(loop, []).append((future, outcome))
        for loop, answers in by_loop.items():
            with contextlib.suppress(RuntimeError):  # that event loop has closed: nobody is waiting
                loop.call_soon_threadsafe(_settle, answers)


def _settle(answers: list[tuple[asyncio.Future[Outcome], Outcome]]) -> None:
    for future, outcome in answers:
        if not future.done():  # done: cancelled, the client went away
            future.set_result(outcome)


class RemoteWriteEndpoint:
    """The ASGI endpoint of `/api/v1/write`: a plain ASGI app rather than a request/response function,
    because per request the Request and Response objects cost as much as decoding 2,000 samples."""

    def __init__(self, appendable: Appendable, sync: Callable[[], None] | None = None) -> None:
        self.ingester = WriteIngester(appendable, sync)
        self.ingest_thread = IngestThread(self.ingester)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope["headers"])
        encoding = headers.get(b"content-encoding", b"snappy").decode("latin-1")
        if encoding.lower() != "snappy":
            await _plain_text(send, 415, f"unsupported Content-Encoding {encoding!r}: remote write 1.0 uses snappy")
            return
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            await _plain_text(send, 413, f"request body larger than {MAX_BODY_BYTES} bytes")
            return
        body = await _read_body(receive)
        if body is None:
            return  # the client went away
        if len(body) > MAX_BODY_BYTES:
            await _plain_text(send, 413, f"request body larger than {MAX_BODY_BYTES} bytes")
            return
        outcome = await self.ingest_thread.submit(body)
        if isinstance(outcome, EmberError):
            await _plain_text(send, 400, str(outcome))
            return
        if isinstance(outcome, Exception):
            raise outcome
        await send(_NO_CONTENT_START)
        await send(_EMPTY_BODY)


_NO_CONTENT_START = {"type": "http.response.start", "status": 204, "headers": []}
_EMPTY_BODY = {"type": "http.response.body", "body": b""}


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None when the client disconnects; reading stops past the limit."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False) or size > MAX_BODY_BYTES:
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def _plain_text(send: Send, status: int, text: str) -> None:
    body = text.encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode("ascii"))]})
    await send({"type": "http.response.body", "body": body})


def write_route(appendable: Appendable, sync: Callable[[], None] | None = None) -> Route:
    """`POST /api/v1/write`; `sync` (the database's `sync`) lets one fdatasync cover many requests."""
    return Route("/api/v1/write", RemoteWriteEndpoint(appendable, sync), methods=["POST"])


def read_route(queryable: Queryable) -> Route:
    """`POST /api/v1/read`: remote read with the samples response type."""

    def answer(body: bytes) -> bytes:
        queries = decode_read_request(body)
        querier = queryable.querier()
        try:
            return encode_read_response([querier.select(q.matchers, q.start_ms, q.end_ms) for q in queries])
        finally:
            querier.close()

    async def read(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return PlainTextResponse(f"request body larger than {MAX_BODY_BYTES} bytes", status_code=413)
        try:
            payload = await asyncio.to_thread(answer, body)
        except EmberError as exc:
            return PlainTextResponse(str(exc), status_code=400)
        return Response(payload, media_type="application/x-protobuf", headers={"Content-Encoding": "snappy"})

    return Route("/api/v1/read", read, methods=["POST"])
