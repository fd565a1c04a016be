"""Remote read 1.0 with the samples response type: `ReadRequest` in, snappy `ReadResponse` out.

    ReadRequest  { repeated Query queries = 1; repeated ResponseType accepted_response_types = 2; }
    Query        { int64 start_timestamp_ms = 1; int64 end_timestamp_ms = 2;
                   repeated LabelMatcher matchers = 3; ReadHints hints = 4; }
    LabelMatcher { Type type = 1 (EQ, NEQ, RE, NRE); string name = 2; string value = 3; }
    ReadResponse { repeated QueryResult results = 1; }  QueryResult { repeated TimeSeries timeseries = 1; }

The server side decodes requests and encodes responses; the client side (`ember.remote.read_client`)
encodes requests and decodes responses.
"""

from __future__ import annotations

from dataclasses import dataclass

import cramjam
import numba
import numpy as np
import numpy.typing as npt

from ember.errors import BadDataError
from ember.model.matchers import Matcher, MatchType
from ember.remote.write_codec import DecodedWrite, decode_write_request, decompress, encode_field, encode_varint
from ember.storage.series_set import SeriesSet

_MATCH_TYPES = [MatchType.EQUAL, MatchType.NOT_EQUAL, MatchType.REGEX, MatchType.NOT_REGEX]


@dataclass(frozen=True)
class ReadQuery:
    start_ms: int
    end_ms: int
    matchers: list[Matcher]


def _read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    result, shift = 0, 0
    while pos < len(buf):
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            break
    raise BadDataError("proto: malformed varint in ReadRequest")


def _fields(buf: bytes) -> list[tuple[int, int, int | bytes]]:
    """(field, wire type, value) of a small message; length-delimited values as bytes."""
    out: list[tuple[int, int, int | bytes]] = []
    pos = 0
    while pos < len(buf):
        key, pos = _read_varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(buf, pos)
            out.append((field, wire, value))
        elif wire == 2:
            length, pos = _read_varint(buf, pos)
            if pos + length > len(buf):
                raise BadDataError("proto: unexpected end of ReadRequest")
            out.append((field, wire, buf[pos : pos + length]))
            pos += length
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        else:
            raise BadDataError("proto: illegal wire type in ReadRequest")
    return out


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def decode_read_request(body: bytes) -> list[ReadQuery]:
    queries = []
    for field, wire, value in _fields(decompress(body)):
        if field != 1 or wire != 2 or not isinstance(value, bytes):
            continue
        start = end = 0
        matchers = []
        for qf, qwire, qvalue in _fields(value):
            if qf == 1 and qwire == 0:
                start = _signed(int(qvalue))  # type: ignore[arg-type]
            elif qf == 2 and qwire == 0:
                end = _signed(int(qvalue))  # type: ignore[arg-type]
            elif qf == 3 and isinstance(qvalue, bytes):
                matchers.append(_matcher(qvalue))
        queries.append(ReadQuery(start, end, matchers))
    return queries


def _matcher(buf: bytes) -> Matcher:
    kind, name, value = 0, "", ""
    for field, _, item in _fields(buf):
        if field == 1 and isinstance(item, int):
            kind = item
        elif field == 2 and isinstance(item, bytes):
            name = item.decode("utf-8")
        elif field == 3 and isinstance(item, bytes):
            value = item.decode("utf-8")
    if kind >= len(_MATCH_TYPES):
        raise BadDataError(f"invalid matcher type {kind}")
    try:
        return Matcher(name, _MATCH_TYPES[kind], value)
    except ValueError as exc:
        raise BadDataError(str(exc)) from None


@numba.njit(cache=True, nogil=True)
def _encode_samples(timestamps: npt.NDArray[np.int64], values: npt.NDArray[np.float64]) -> npt.NDArray[np.uint8]:
    """The `samples` fields (2) of a TimeSeries: each `0x12 len 0x09 <double> 0x10 <varint ts>`."""
    out = np.empty(len(values) * 22, dtype=np.uint8)
    bits = values.view(np.uint64)
    pos = 0
    for i in range(len(values)):
        ts = np.uint64(timestamps[i])
        size = 1
        probe = ts >> np.uint64(7)
        while probe:
            size += 1
            probe >>= np.uint64(7)
        out[pos] = 0x12
        out[pos + 1] = 10 + size
        out[pos + 2] = 0x09
        word = bits[i]
        for k in range(8):
            out[pos + 3 + k] = (word >> np.uint64(8 * k)) & np.uint64(0xFF)
        out[pos + 11] = 0x10
        pos += 12
        while ts >= np.uint64(0x80):
            out[pos] = (ts & np.uint64(0x7F)) | np.uint64(0x80)
            ts >>= np.uint64(7)
            pos += 1
        out[pos] = ts
        pos += 1
    return out[:pos]


def encode_read_response(results: list[SeriesSet]) -> bytes:
    """A snappy-compressed ReadResponse holding one QueryResult per query."""
    response = bytearray()
    for series_set in results:
        result = bytearray()
        for labels, timestamps, values in series_set:
            body = bytearray()
            for name, value in labels:
                body += encode_field(1, encode_field(1, name.encode()) + encode_field(2, value.encode()))
            body += _encode_samples(timestamps, values).tobytes()
            result += encode_field(1, bytes(body))
        response += encode_field(1, bytes(result))
    return bytes(cramjam.snappy.compress_raw(bytes(response)))


def encode_read_request(queries: list[ReadQuery]) -> bytes:
    """A snappy ReadRequest (for tests and for Ember reading from other servers)."""
    kinds = {t: i for i, t in enumerate(_MATCH_TYPES)}
    body = bytearray()
    for query in queries:
        q = b"\x08" + encode_varint(query.start_ms) + b"\x10" + encode_varint(query.end_ms)
        for m in query.matchers:
            matcher = b"\x08" + encode_varint(kinds[m.type]) + encode_field(2, m.name.encode())
            q += encode_field(3, matcher + encode_field(3, m.value.encode()))
        body += encode_field(1, q)
    return bytes(cramjam.snappy.compress_raw(bytes(body)))


def decode_read_response(body: bytes) -> list[SeriesSet]:
    """The series of each QueryResult of a snappy `ReadResponse`, as sorted `SeriesSet`s (the client side).

    A QueryResult's TimeSeries have exactly a WriteRequest's layout (field 1), so the compiled
    remote-write decoder reads them; a series sent twice is merged, equal timestamps kept once."""
    results = []
    for field, wire, value in _fields(decompress(body)):
        if field == 1 and wire == 2 and isinstance(value, bytes):
            results.append(_series_set_of(decode_write_request(value)))
    return results


def _series_set_of(decoded: DecodedWrite) -> SeriesSet:
    if not decoded.series:
        return SeriesSet.empty()
    ordered = sorted(set(decoded.series))
    rank = {labels: i for i, labels in enumerate(ordered)}
    ranks = np.fromiter((rank[labels] for labels in decoded.series), dtype=np.int64, count=len(decoded.series))
    series_ids = np.repeat(ranks, np.diff(decoded.sample_offsets))
    order = np.lexsort((decoded.timestamps, series_ids))
    series_ids, timestamps, values = series_ids[order], decoded.timestamps[order], decoded.values[order]
    keep = np.ones(len(timestamps), dtype=bool)
    keep[1:] = (series_ids[1:] != series_ids[:-1]) | (timestamps[1:] != timestamps[:-1])
    series_ids, timestamps, values = series_ids[keep], timestamps[keep], values[keep]
    offsets = np.zeros(len(ordered) + 1, dtype=np.int64)
    np.cumsum(np.bincount(series_ids, minlength=len(ordered)), out=offsets[1:])
    return SeriesSet(ordered, offsets, timestamps, values)
