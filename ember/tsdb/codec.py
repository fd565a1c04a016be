"""Column codec of the TSDB (DESIGN §3 rule 3): self-describing encodings of timestamp and value columns.

Each encoded column starts with its kind and sample count, so a reader needs nothing else to decode it.
Value columns are encoded by measuring the candidate encodings and keeping the smallest (constant,
scaled integer with exceptions, XOR float, float bits as integers, raw); timestamp columns use the
framed delta / delta-of-delta integer stream. Every float64 bit pattern and every int64 round-trips
exactly. The work happens in numba kernels (`codec_kernels`, `codec_value_kernels`,
`codec_column_kernels`): one compiled call per batch of columns, no per-sample Python.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ember.errors import BadDataError, CorruptionError
from ember.tsdb import codec_column_kernels as kernels
from ember.tsdb.codec_kernels import ERR_BAD_FIELD, ERR_BAD_KIND, ERR_TOO_LONG, ERR_TRAILING, ERR_TRUNCATED

__all__ = [
    "MAX_TIMESTAMP_SAMPLES",
    "MAX_VALUE_SAMPLES",
    "decode_timestamps",
    "decode_timestamps_many",
    "decode_values",
    "decode_values_many",
    "encode_timestamps",
    "encode_timestamps_many",
    "encode_values",
    "encode_values_many",
    "warm_up",
]

Buffer = bytes | bytearray | memoryview | npt.NDArray[np.uint8]
Int64Array = npt.NDArray[np.int64]
Float64Array = npt.NDArray[np.float64]

MAX_TIMESTAMP_SAMPLES = kernels.MAX_TIMESTAMP_SAMPLES
MAX_VALUE_SAMPLES = kernels.MAX_VALUE_SAMPLES

_STATUS_MESSAGES = {
    ERR_TRUNCATED: "encoded column is truncated",
    ERR_BAD_KIND: "unknown or unexpected column encoding",
    ERR_BAD_FIELD: "invalid field in encoded column",
    ERR_TOO_LONG: "encoded column claims more samples than it can hold",
    ERR_TRAILING: "unexpected bytes after the end of an encoded column",
}


def _as_byte_array(buf: Buffer) -> npt.NDArray[np.uint8]:
    # Never copied: it may be a large, read-only memory map of a block (numba compiles the read-only
    # and the writable variant; `warm_up` loads both).
    if isinstance(buf, np.ndarray):
        if buf.dtype != np.uint8 or buf.ndim != 1:
            raise BadDataError("an encoded column must be a one-dimensional uint8 array")
        return np.ascontiguousarray(buf)
    if not isinstance(buf, bytes | bytearray | memoryview):
        raise BadDataError(f"an encoded column must be bytes or a uint8 array, not {type(buf).__name__}")
    return np.frombuffer(buf, dtype=np.uint8)


def _column(array: npt.ArrayLike, dtype: type[np.generic], what: str) -> npt.NDArray[Any]:
    """A contiguous, aligned, writable array of `dtype`, so each kernel compiles for one array type."""
    arr = np.asarray(array)
    if arr.ndim != 1:
        raise BadDataError(f"{what} must be a one-dimensional array")
    # Only exact conversions: a 64-bit integer does not always fit a float64.
    exact = np.can_cast(arr.dtype, dtype, casting="safe") and arr.dtype.itemsize < 8
    if arr.dtype != dtype and not exact and arr.size > 0:
        raise BadDataError(f"{what} must be {np.dtype(dtype).name}, not {arr.dtype}")
    return np.require(arr, dtype=dtype, requirements=["C", "A", "W"])


def _offsets(offsets: npt.ArrayLike, total: int, limit: int) -> Int64Array:
    arr = _column(offsets, np.int64, "column offsets")
    if len(arr) == 0 or arr[0] != 0 or arr[-1] != total or np.any(np.diff(arr) < 0):
        raise BadDataError("column offsets must rise from 0 to the number of samples")
    if len(arr) > 1 and int(np.diff(arr).max()) > limit:
        raise BadDataError(f"a column holds at most {limit} samples")
    return arr  # type: ignore[return-value]


def encode_values_many(values: Float64Array, offsets: Int64Array) -> tuple[npt.NDArray[np.uint8], Int64Array]:
    """Encode the value columns values[offsets[i]:offsets[i + 1]] with one compiled call; return the
    concatenated encodings and their CSR byte offsets (column i is buf[ends[i]:ends[i + 1]])."""
    flat = _column(values, np.float64, "values")
    buf, ends = kernels.encode_values_many(flat, _offsets(offsets, len(flat), MAX_VALUE_SAMPLES))
    return buf, ends


def encode_timestamps_many(timestamps: Int64Array, offsets: Int64Array) -> tuple[npt.NDArray[np.uint8], Int64Array]:
    """Encode the timestamp columns timestamps[offsets[i]:offsets[i + 1]] with one compiled call."""
    flat = _column(timestamps, np.int64, "timestamps")
    buf, ends = kernels.encode_timestamps_many(flat, _offsets(offsets, len(flat), MAX_TIMESTAMP_SAMPLES))
    return buf, ends


def _whole_column(flat: npt.NDArray[Any], limit: int) -> Int64Array:
    if len(flat) > limit:
        raise BadDataError(f"a column holds at most {limit} samples")
    return np.array([0, len(flat)], dtype=np.int64)


def encode_values(values: Float64Array) -> bytes:
    """Encode one column of float64 sample values, every bit pattern preserved."""
    flat = _column(values, np.float64, "values")
    buf, _ = kernels.encode_values_many(flat, _whole_column(flat, MAX_VALUE_SAMPLES))
    return bytes(buf)


def encode_timestamps(ts: Int64Array) -> bytes:
    """Encode one column of int64 timestamps (any order, any values)."""
    flat = _column(ts, np.int64, "timestamps")
    buf, _ = kernels.encode_timestamps_many(flat, _whole_column(flat, MAX_TIMESTAMP_SAMPLES))
    return bytes(buf)


def _decode_many(
    buf: Buffer, starts: npt.ArrayLike, ends: npt.ArrayLike, timestamps: bool
) -> tuple[Int64Array, Int64Array]:
    data = _as_byte_array(buf)
    first = _column(starts, np.int64, "column starts")
    last = _column(ends, np.int64, "column ends")
    if len(first) != len(last):
        raise BadDataError("column starts and ends must have the same length")
    if len(first) and (first.min() < 0 or last.max() > len(data) or np.any(first > last)):
        raise BadDataError("column starts and ends must lie within the buffer, each start <= its end")
    return _checked_decode(data, first, last, timestamps)


def _checked_decode(
    data: npt.NDArray[np.uint8], first: Int64Array, last: Int64Array, timestamps: bool
) -> tuple[Int64Array, Int64Array]:
    flat, offsets, status, column = kernels.decode_many(data, first, last, timestamps)
    if status != 0:
        message = _STATUS_MESSAGES.get(status, "invalid encoded column")
        raise CorruptionError(f"{message} (column {column})", offset=int(first[column]))
    return flat, offsets


def decode_values_many(
    buf: npt.NDArray[np.uint8], starts: Int64Array, ends: Int64Array
) -> tuple[Float64Array, Int64Array]:
    """Decode the k value columns at buf[starts[i]:ends[i]] with one compiled call; return the
    concatenated values and CSR offsets (k + 1)."""
    flat, offsets = _decode_many(buf, starts, ends, timestamps=False)
    return flat.view(np.float64), offsets


def decode_timestamps_many(
    buf: npt.NDArray[np.uint8], starts: Int64Array, ends: Int64Array
) -> tuple[Int64Array, Int64Array]:
    """Decode the k timestamp columns at buf[starts[i]:ends[i]] with one compiled call."""
    return _decode_many(buf, starts, ends, timestamps=True)


def _decode_whole(buf: Buffer, timestamps: bool) -> Int64Array:
    data = _as_byte_array(buf)
    bounds = np.array([0, len(data)], dtype=np.int64)
    return _checked_decode(data, bounds[:1], bounds[1:], timestamps)[0]


def decode_values(buf: Buffer) -> Float64Array:
    """Decode a column written by `encode_values`."""
    return _decode_whole(buf, timestamps=False).view(np.float64)


def decode_timestamps(buf: Buffer) -> Int64Array:
    """Decode a column written by `encode_timestamps`."""
    return _decode_whole(buf, timestamps=True)


def warm_up() -> None:
    """Compile (or load from numba's cache) every kernel on tiny inputs, for read-only and writable
    buffers alike, so the first real block does not pay for compilation."""
    values = np.array([1.0, 2.5, np.nan, 7.0, 1e300, 0.1], dtype=np.float64)
    timestamps = np.array([0, 15_000, 30_001], dtype=np.int64)
    encoded_values = encode_values(values)
    encoded_timestamps = encode_timestamps(timestamps)
    decode_values(encoded_values)
    decode_timestamps(encoded_timestamps)
    decode_values(np.frombuffer(encoded_values, dtype=np.uint8).copy())
    decode_timestamps(np.frombuffer(encoded_timestamps, dtype=np.uint8).copy())
