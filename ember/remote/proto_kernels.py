"""A compiled reader of remote-write 1.0 `WriteRequest` protobufs into flat arrays.

    WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
    TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; ... }
    Label        { string name = 1; string value = 2; }
    Sample       { double value = 1; int64 timestamp = 2; }

Unknown fields (exemplars, histograms, metadata) are skipped by wire type, as protobuf readers do.
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

OK = 0
TRUNCATED = 1
BAD_WIRE_TYPE = 2
BAD_VARINT = 3

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


@numba.njit(cache=True, nogil=True)
def _varint(buf: U8, pos: int, end: int) -> tuple[int, int, int]:
    """(value, new position, status) of the varint at pos."""
    result = 0
    shift = 0
    while pos < end:
        byte = buf[pos]
        pos += 1
        result |= (int(byte) & 0x7F) << shift
        if byte < 0x80:
            return result, pos, OK
        shift += 7
        if shift > 63:
            return 0, pos, BAD_VARINT
    return 0, pos, TRUNCATED


@numba.njit(cache=True, nogil=True)
def _skip(buf: U8, pos: int, end: int, wire: int) -> tuple[int, int]:
    if wire == 0:
        _, pos, status = _varint(buf, pos, end)
        return pos, status
    if wire == 1:
        return pos + 8, OK if pos + 8 <= end else TRUNCATED
    if wire == 2:
        length, pos, status = _varint(buf, pos, end)
        if status != OK:
            return pos, status
        if length < 0 or pos + length > end:
            return pos, TRUNCATED
        return pos + length, OK
    if wire == 5:
        return pos + 4, OK if pos + 4 <= end else TRUNCATED
    return pos, BAD_WIRE_TYPE


@numba.njit(cache=True, nogil=True)
def _read_label(buf: U8, pos: int, end: int, spans: I64, base: int) -> int:
    """Fills spans[base:base+4] with the name and value byte ranges of the Label in buf[pos:end]."""
    spans[base] = spans[base + 1] = spans[base + 2] = spans[base + 3] = pos
    while pos < end:
        key, pos, status = _varint(buf, pos, end)
        if status != OK:
            return status
        if (key & 7) != 2:
            pos, status = _skip(buf, pos, end, key & 7)
            if status != OK:
                return status
            continue
        size, pos, status = _varint(buf, pos, end)
        if status != OK or size < 0 or pos + size > end:
            return TRUNCATED
        if (key >> 3) == 1 or (key >> 3) == 2:
            slot = base + (0 if (key >> 3) == 1 else 2)
            spans[slot] = pos
            spans[slot + 1] = pos + size
        pos += size
    return OK


@numba.njit(cache=True, nogil=True)
def _read_sample(buf: U8, pos: int, end: int) -> tuple[int, int, int]:
    """(byte offset of the value, or -1 when absent; timestamp; status) of the Sample in buf[pos:end].
    The caller gathers the values' bytes afterwards in one vectorised step: building a float from bytes
    here would cost an array per sample."""
    value = -1
    stamp = 0
    while pos < end:
        key, pos, status = _varint(buf, pos, end)
        if status != OK:
            return value, stamp, status
        if key == (1 << 3) | 1:
            if pos + 8 > end:
                return value, stamp, TRUNCATED
            value = pos
            pos += 8
        elif key == (2 << 3):
            stamp, pos, status = _varint(buf, pos, end)
            if status != OK:
                return value, stamp, status
        else:
            pos, status = _skip(buf, pos, end, key & 7)
            if status != OK:
                return value, stamp, status
    return value, stamp, OK


@numba.njit(cache=True, nogil=True)
def _field(buf: U8, pos: int, end: int) -> tuple[int, int, int, int, int]:
    """(field number, wire type, payload start, payload end, status) of the next length-delimited field;
    other wire types are skipped and reported with start == end == the position after them."""
    key, pos, status = _varint(buf, pos, end)
    if status != OK:
        return 0, 0, pos, pos, status
    wire = key & 7
    if wire != 2:
        pos, status = _skip(buf, pos, end, wire)
        return key >> 3, wire, pos, pos, status
    length, pos, status = _varint(buf, pos, end)
    if status != OK or length < 0 or pos + length > end:
        return key >> 3, wire, pos, pos, TRUNCATED
    return key >> 3, wire, pos, pos + length, OK


@numba.njit(cache=True, nogil=True)
def decode_write_request(buf: U8) -> tuple[int, int, I64, I64, I64, I64, I64]:
    """(status, error position, label_offsets[series+1], label_spans[labels*4] (name start, name end,
    value start, value end), sample_offsets[series+1], timestamps, value_offsets (the byte offset of each
    sample's little-endian float64 value, -1 when the sample has none)."""
    end = len(buf)
    # Every TimeSeries, Label and Sample field takes at least two bytes (tag and length), so these sizes
    # can never be outgrown: no reallocation inside the loop.
    most = end // 2 + 1
    spans = np.empty(4 * most, dtype=np.int64)
    label_offsets = np.empty(most + 1, dtype=np.int64)
    sample_offsets = np.empty(most + 1, dtype=np.int64)
    label_offsets[0] = sample_offsets[0] = 0
    timestamps = np.empty(most, dtype=np.int64)
    values = np.empty(most, dtype=np.int64)  # byte offsets of the sample values, gathered by the caller
    n_series = n_labels = n_samples = 0
    pos = 0
    while pos < end:
        field, wire, start, stop, status = _field(buf, pos, end)
        pos = stop
        if status != OK:
            return status, pos, label_offsets[:1], spans[:0], sample_offsets[:1], timestamps[:0], values[:0]
        if field != 1 or wire != 2:
            continue
        inner = start
        while inner < stop:
            kind, kind_wire, a, b, status = _field(buf, inner, stop)
            inner = b
            if status != OK:
                return status, inner, label_offsets[:1], spans[:0], sample_offsets[:1], timestamps[:0], values[:0]
            if kind == 1 and kind_wire == 2:
                status = _read_label(buf, a, b, spans, 4 * n_labels)
                n_labels += 1
            elif kind == 2 and kind_wire == 2:
                values[n_samples], timestamps[n_samples], status = _read_sample(buf, a, b)
                n_samples += 1
            if status != OK:
                return status, inner, label_offsets[:1], spans[:0], sample_offsets[:1], timestamps[:0], values[:0]
        n_series += 1
        label_offsets[n_series] = n_labels
        sample_offsets[n_series] = n_samples
    return (OK, pos, label_offsets[: n_series + 1].copy(), spans[: 4 * n_labels].copy(),
            sample_offsets[: n_series + 1].copy(), timestamps[:n_samples].copy(), values[:n_samples].copy())


@numba.njit(cache=True, nogil=True)
def gather_words(buf: U8, offsets: I64) -> npt.NDArray[np.uint64]:
    """The little-endian 64-bit word at each byte offset (0 where the offset is -1): a sample value's
    bits, which the caller views as float64, so every bit pattern (staleness NaN, -0.0) survives."""
    words = np.zeros(len(offsets), dtype=np.uint64)
    for i in range(len(offsets)):
        start = offsets[i]
        if start < 0:
            continue
        word = np.uint64(0)
        for k in range(8):
            word |= np.uint64(buf[start + k]) << np.uint64(8 * k)
        words[i] = word
    return words


FNV_OFFSET = np.uint64(0xCBF29CE484222325)
FNV_PRIME = np.uint64(0x100000001B3)
MIX_PRIME = np.uint64(0x9E3779B97F4A7C15)


@numba.njit(cache=True, nogil=True)
def series_key_hashes(buf: U8, label_offsets: I64, spans: I64) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """Two independent 64-bit hashes of each series' label bytes (from its first label name to its last
    label value): a steady sender repeats those bytes exactly, so they identify the label set."""
    n = len(label_offsets) - 1
    first = np.empty(n, dtype=np.uint64)
    second = np.empty(n, dtype=np.uint64)
    for i in range(n):
        h1 = FNV_OFFSET
        h2 = np.uint64(0x84222325CBF29CE4)
        if label_offsets[i + 1] > label_offsets[i]:
            start = spans[4 * label_offsets[i]]
            end = spans[4 * (label_offsets[i + 1] - 1) + 3]
            for p in range(start, end):
                byte = np.uint64(buf[p])
                h1 = (h1 ^ byte) * FNV_PRIME
                h2 = (h2 + byte + np.uint64(1)) * MIX_PRIME
                h2 ^= h2 >> np.uint64(29)
            h1 ^= np.uint64(end - start)
        first[i] = h1
        second[i] = h2
    return first, second
