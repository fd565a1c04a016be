"""WAL record types and their on-disk encoding (DESIGN §3 rule 4).

Each record is a frame: a 12-byte header `[type u8][version u8][reserved u16][payload length u32]
[crc32c u32]` followed by the payload. The crc covers the first 8 header bytes and the payload, so a
flipped type or length byte is caught as well as a damaged payload. Arrays are stored as raw
little-endian bytes, so encoding and decoding cost a memcpy, never a Python object per sample.
"""

from __future__ import annotations

import struct
import sys
from dataclasses import dataclass

import crc32c
import numpy as np
import numpy.typing as npt

from ember.errors import CorruptionError, StorageError
from ember.model.labels import Labels

SERIES = 1
SERIES_SET = 2
GROUP_SAMPLES = 3
SAMPLES = 4
TOMBSTONES = 5
RECORD_TYPES = frozenset({SERIES, SERIES_SET, GROUP_SAMPLES, SAMPLES, TOMBSTONES})

FORMAT_VERSION = 1
HEADER = struct.Struct("<BBHII")
HEADER_SIZE = HEADER.size
MAX_PAYLOAD = 0xFFFFFFFF

_I64 = np.dtype("<i8")
_F64 = np.dtype("<f8")
_U32 = np.dtype("<u4")
_COUNT = struct.Struct("<Q")
_SET_HEADER = struct.Struct("<qQ")
_GROUP_HEADER = struct.Struct("<qqQ")
_TIMESTAMP = struct.Struct("<q")
_CRC = struct.Struct("<I")


@dataclass(frozen=True, eq=False)
class SeriesRecord:
    """Series definitions: `labels[i]` is the label set of series `refs[i]`."""

    refs: npt.NDArray[np.int64]
    labels: list[Labels]


@dataclass(frozen=True, eq=False)
class SeriesSetRecord:
    """One generation of a scrape group: the sorted refs its rows' values line up with."""

    set_id: int
    refs: npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class GroupSamplesRecord:
    """One scrape row: `values[i]` belongs to the set's `refs[i]`, all at `timestamp`."""

    set_id: int
    timestamp: int
    values: npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class SamplesRecord:
    """Samples that do not form a row of a set (remote write, backfill, out-of-order)."""

    refs: npt.NDArray[np.int64]
    timestamps: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class TombstonesRecord:
    """Deletions: samples of `refs[i]` in `[mint[i], maxt[i]]` are gone."""

    refs: npt.NDArray[np.int64]
    mint: npt.NDArray[np.int64]
    maxt: npt.NDArray[np.int64]


Record = SeriesRecord | SeriesSetRecord | GroupSamplesRecord | SamplesRecord | TombstonesRecord


class FrameError(Exception):
    """A frame that does not parse; `reason` goes into the repair log line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ----------------------------------------------------------------------------- framing
def frame(record_type: int, payload: bytes) -> bytes:
    """Wraps an encoded payload in its header."""
    if len(payload) > MAX_PAYLOAD:
        raise StorageError(f"WAL record of {len(payload)} bytes exceeds the 4 GiB limit")
    head = HEADER.pack(record_type, FORMAT_VERSION, 0, len(payload), 0)[:8]
    crc = crc32c.crc32c(payload, crc32c.crc32c(head))
    return head + _CRC.pack(crc) + payload


def parse_frame(buf: memoryview, offset: int) -> tuple[int, memoryview, int]:
    """The frame at `offset`: (record type, payload, offset after it); raises FrameError."""
    if len(buf) - offset < HEADER_SIZE:
        raise FrameError("torn record header")
    record_type, version, reserved, length, crc = HEADER.unpack_from(buf, offset)
    if record_type not in RECORD_TYPES or version != FORMAT_VERSION or reserved != 0:
        raise FrameError("invalid record header")
    start = offset + HEADER_SIZE
    end = start + length
    if end > len(buf):
        raise FrameError("torn record")
    payload = buf[start:end]
    if crc32c.crc32c(payload, crc32c.crc32c(buf[offset : offset + 8])) != crc:
        raise FrameError("crc mismatch")
    return record_type, payload, end


def valid_prefix(buf: memoryview) -> tuple[int, str | None]:
    """Length of the run of intact frames at the start of `buf`, and why the scan stopped (None at the
    clean end). Used both by replay and by the writer's check of the last segment on open."""
    offset = 0
    while offset < len(buf):
        try:
            _, _, offset = parse_frame(buf, offset)
        except FrameError as error:
            return offset, error.reason
    return offset, None


# ---------------------------------------------------------------------------- encoding
def encode_record(record: Record) -> bytes:
    """The framed bytes of `record`, ready for `WAL.log`."""
    if isinstance(record, GroupSamplesRecord):
        values = _raw(record.values, _F64)
        payload = _GROUP_HEADER.pack(record.set_id, record.timestamp, len(record.values)) + values
        return frame(GROUP_SAMPLES, payload)
    if isinstance(record, SamplesRecord):
        return frame(SAMPLES, _encode_columns(record.refs, (record.timestamps, _I64), (record.values, _F64)))
    if isinstance(record, SeriesSetRecord):
        return frame(SERIES_SET, _SET_HEADER.pack(record.set_id, len(record.refs)) + _raw(record.refs, _I64))
    if isinstance(record, SeriesRecord):
        return frame(SERIES, _encode_series(record))
    if isinstance(record, TombstonesRecord):
        return frame(TOMBSTONES, _encode_columns(record.refs, (record.mint, _I64), (record.maxt, _I64)))
    raise TypeError(f"not a WAL record: {type(record).__name__}")


class GroupSamplesFrame:
    """The framed bytes of `GroupSamplesRecord`s of one set, rewritten in place for each row: a steady
    group's row goes into `values` and `seal` fills in its timestamp and checksum, so logging a row
    makes no record object, no payload copy and no frame concatenation."""

    def __init__(self, set_id: int, length: int) -> None:
        payload_size = _GROUP_HEADER.size + 8 * length
        self._buffer = bytearray(HEADER_SIZE + payload_size)
        HEADER.pack_into(self._buffer, 0, GROUP_SAMPLES, FORMAT_VERSION, 0, payload_size, 0)
        _GROUP_HEADER.pack_into(self._buffer, HEADER_SIZE, set_id, 0, length)
        self._header_crc = crc32c.crc32c(bytes(self._buffer[:8]))
        self._payload = memoryview(self._buffer)[HEADER_SIZE:]
        self.values: npt.NDArray[np.float64] = np.frombuffer(
            self._buffer, dtype=_F64, offset=HEADER_SIZE + _GROUP_HEADER.size)

    def seal(self, timestamp: int) -> bytearray:
        """The frame of the row now in `values` at `timestamp`; valid until the next `seal`."""
        _TIMESTAMP.pack_into(self._buffer, HEADER_SIZE + 8, timestamp)
        _CRC.pack_into(self._buffer, 8, crc32c.crc32c(self._payload, self._header_crc))
        return self._buffer


def _raw(array: npt.ArrayLike, dtype: np.dtype[np.generic]) -> bytes:
    return np.ascontiguousarray(array, dtype=dtype).tobytes()


def _encode_columns(refs: npt.ArrayLike, *columns: tuple[npt.ArrayLike, np.dtype[np.generic]]) -> bytes:
    ref_bytes = _raw(refs, _I64)
    count = len(ref_bytes) // 8
    parts = [_COUNT.pack(count), ref_bytes]
    for column, dtype in columns:
        raw = _raw(column, dtype)
        if len(raw) != count * dtype.itemsize:
            raise ValueError("WAL record columns differ in length")
        parts.append(raw)
    return b"".join(parts)


def _encode_series(record: SeriesRecord) -> bytes:
    """Refs, pair counts, string lengths in code points, then all names and values as one utf-8 text;
    decoding the text once and slicing it is far cheaper than decoding each string."""
    if len(record.labels) != len(record.refs):
        raise ValueError("SeriesRecord refs and labels differ in length")
    flats = [labels.flat for labels in record.labels]
    strings = [s for flat in flats for s in flat]
    pair_counts = np.fromiter((len(flat) // 2 for flat in flats), dtype=_U32, count=len(flats))
    lengths = np.fromiter((len(s) for s in strings), dtype=_U32, count=len(strings))
    text = "".join(strings).encode("utf-8", "surrogatepass")
    return b"".join(
        [
            _COUNT.pack(len(flats)),
            _raw(record.refs, _I64),
            pair_counts.tobytes(),
            _COUNT.pack(len(strings)),
            lengths.tobytes(),
            text,
        ]
    )


# ---------------------------------------------------------------------------- decoding
def decode_record(record_type: int, payload: bytes | memoryview) -> Record:
    """The record encoded in `payload` (a frame's body); CorruptionError when it is malformed."""
    buf = memoryview(payload)
    try:
        if record_type == GROUP_SAMPLES:
            set_id, timestamp, count = _GROUP_HEADER.unpack_from(buf, 0)
            values = _array(buf, _GROUP_HEADER.size, count, _F64, last=True)
            return GroupSamplesRecord(set_id, timestamp, values)
        if record_type == SAMPLES:
            refs, timestamps, values = _decode_columns(buf, _I64, _I64, _F64)
            return SamplesRecord(refs, timestamps, values)
        if record_type == SERIES_SET:
            set_id, count = _SET_HEADER.unpack_from(buf, 0)
            return SeriesSetRecord(set_id, _array(buf, _SET_HEADER.size, count, _I64, last=True))
        if record_type == SERIES:
            return _decode_series(buf)
        if record_type == TOMBSTONES:
            refs, mint, maxt = _decode_columns(buf, _I64, _I64, _I64)
            return TombstonesRecord(refs, mint, maxt)
    except (struct.error, ValueError, UnicodeDecodeError) as error:
        raise CorruptionError(f"malformed WAL record of type {record_type}: {error}") from error
    raise CorruptionError(f"unknown WAL record type {record_type}")


def _array(buf: memoryview, offset: int, count: int, dtype: np.dtype[np.generic], *, last: bool = False) -> np.ndarray:  # type: ignore[type-arg]
    """A native-order copy of `count` items at `offset` (a copy so records outlive the read buffer)."""
    end = offset + count * dtype.itemsize
    if end > len(buf) or (last and end != len(buf)):
        raise ValueError("array length does not match the payload size")
    return np.frombuffer(buf, dtype=dtype, count=count, offset=offset).astype(dtype.newbyteorder("="))


def _decode_columns(buf: memoryview, *dtypes: np.dtype[np.generic]) -> list[np.ndarray]:  # type: ignore[type-arg]
    (count,) = _COUNT.unpack_from(buf, 0)
    offset = _COUNT.size
    columns = []
    for i, dtype in enumerate(dtypes):
        columns.append(_array(buf, offset, count, dtype, last=i == len(dtypes) - 1))
        offset += count * dtype.itemsize
    return columns


def _decode_series(buf: memoryview) -> SeriesRecord:
    (count,) = _COUNT.unpack_from(buf, 0)
    offset = _COUNT.size
    refs = _array(buf, offset, count, _I64)
    offset += count * 8
    pair_counts = _array(buf, offset, count, _U32).astype(np.int64)
    offset += count * 4
    (num_strings,) = _COUNT.unpack_from(buf, offset)
    offset += _COUNT.size
    lengths = _array(buf, offset, num_strings, _U32).astype(np.int64)
    offset += num_strings * 4
    text = bytes(buf[offset:]).decode("utf-8", "surrogatepass")
    ends = np.cumsum(lengths)
    if int(pair_counts.sum()) * 2 != num_strings or (ends[-1] if num_strings else 0) != len(text):
        raise ValueError("string table does not match the label counts")
    bounds = np.concatenate([[0], ends]).tolist()
    # Interned: names and common values repeat across series, and a head holds millions of them.
    strings = [sys.intern(text[bounds[i] : bounds[i + 1]]) for i in range(num_strings)]
    series_ends = (np.cumsum(pair_counts) * 2).tolist()
    starts = [0, *series_ends][:-1]
    # The strings come from Labels that were already sorted and validated when they were logged.
    labels = [Labels._from_sorted_flat(tuple(strings[a:b])) for a, b in zip(starts, series_ends, strict=True)]
    return SeriesRecord(refs, labels)
