"""`POST /api/v1/write`: the remote-write 1.0 receiver. A 2xx is sent only once the samples are in the
WAL and fsynced; a request with a sample the storage refuses is rolled back whole and answered 400 with
Prometheus's message (as Prometheus 2.x does); garbage is a 400, never a crash."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ember.errors import BadDataError, EmberError
from ember.model.samples import SampleBatch
from ember.remote.read_codec import decode_read_request, encode_read_response
from ember.remote.write_codec import LabelsCache, decode_body
from ember.storage.interface import Appendable, Queryable

MAX_BODY_BYTES = 64 * 1024 * 1024


def ingest(appendable: Appendable, body: bytes, cache: LabelsCache | None = None) -> int:
    """Decodes and durably appends one request; returns the number of samples stored."""
    decoded = decode_body(body, cache)
    if not len(decoded.values):
        return 0
    appender = appendable.appender()
    batch = SampleBatch.of_samples(decoded.series, decoded.series_index, decoded.timestamps, decoded.values)
    result = appender.append(batch)
    message = result.first_error_message()
    if message is not None:
        appender.rollback()
        raise BadDataError(message)
    appender.commit(sync=True)
    return len(decoded.values)


def write_route(appendable: Appendable) -> Route:
    cache = LabelsCache()

    async def write(request: Request) -> Response:
        encoding = request.headers.get("content-encoding", "snappy")
        if encoding.lower() != "snappy":
            return PlainTextResponse(f"unsupported Content-Encoding {encoding!r}: remote write 1.0 uses snappy",
                                     status_code=415)
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
            return PlainTextResponse(f"request body larger than {MAX_BODY_BYTES} bytes", status_code=413)
        body = await request.body()
        try:
            await asyncio.to_thread(ingest, appendable, body, cache)
        except EmberError as exc:
            return PlainTextResponse(str(exc), status_code=400)
        return Response(status_code=204)

    return Route("/api/v1/write", write, methods=["POST"])


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
