"""A compiled reader of remote-write 1.0 `WriteRequest` protobufs into flat arrays.

    WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
    TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; ... }
    Label        { string name = 1; string value = 2; }
    Sample       { double value = 1; int64 timestamp = 2; }

Unknown fields (exemplars, histograms, metadata) are skipped by wire type, as protobuf readers do. One
pass reads everything a receiver needs: label byte ranges, sample values and timestamps, and a key per
series (two hashes of its encoded label fields) for the receiver's series cache. Canonical encodings
(what every Prometheus sender writes) take inlined fast paths; anything else takes the general path.
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
U64 = npt.NDArray[np.uint64]

_PRIME_1 = np.uint64(0x9E3779B97F4A7C15)
_PRIME_2 = np.uint64(0xC2B2AE3D27D4EB4F)
_SEED_1 = np.uint64(0xCBF29CE484222325)
_SEED_2 = np.uint64(0x84222325CBF29CE4)


@numba.njit(cache=True, nogil=True)
def _varint(buf: U8, pos: int, end: int) -> tuple[int, int, int]:
    """(value, new position, status) of the varint at pos; a 10-byte varint wraps to int64, as Go's."""
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
def _field(buf: U8, pos: int, end: int) -> tuple[int, int, int, int, int]:
    """(field number, wire type, payload start, payload end, status) of the next field; fields that are
    not length-delimited are skipped and reported with start == end == the position after them."""
    if pos + 1 < end and buf[pos] < 0x80 and buf[pos + 1] < 0x80:  # one-byte tag and length
        key = int(buf[pos])
        if (key & 7) == 2:
            stop = pos + 2 + int(buf[pos + 1])
            if stop > end:
                return key >> 3, 2, pos + 2, pos + 2, TRUNCATED
            return key >> 3, 2, pos + 2, stop, OK
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
def _read_label(buf: U8, pos: int, end: int, spans: I64, base: int) -> int:
    """Fills spans[base:base+4] with the name and value byte ranges of the Label in buf[pos:end]."""
    spans[base] = spans[base + 1] = spans[base + 2] = spans[base + 3] = pos
    while pos < end:
        field, wire, start, stop, status = _field(buf, pos, end)
        if status != OK:
            return status
        pos = stop
        if wire == 2 and (field == 1 or field == 2):
            slot = base + (0 if field == 1 else 2)
            spans[slot] = start
            spans[slot + 1] = stop
    return OK


@numba.njit(cache=True, nogil=True)
def _word(buf: U8, pos: int) -> np.uint64:
    """The little-endian 64-bit word at buf[pos:pos+8]."""
    word = np.uint64(0)
    for k in range(8):
        word |= np.uint64(buf[pos + k]) << np.uint64(8 * k)
    return word


@numba.njit(cache=True, nogil=True)
def _read_sample(buf: U8, pos: int, end: int) -> tuple[np.uint64, int, int]:
    """(value bits, 0 when absent as protobuf's default; timestamp; status) of the Sample in buf[pos:end]."""
    if end - pos >= 11 and buf[pos] == 0x09 and buf[pos + 9] == 0x10 and buf[end - 1] < 0x80:
        # Canonical: value then timestamp, the timestamp's varint ending the message.
        stamp, after, status = _varint(buf, pos + 10, end)
        if status == OK and after == end:
            return _word(buf, pos + 1), stamp, OK
    value = np.uint64(0)
    stamp = 0
    while pos < end:
        key, pos, status = _varint(buf, pos, end)
        if status != OK:
            return value, stamp, status
        if key == (1 << 3) | 1:
            if pos + 8 > end:
                return value, stamp, TRUNCATED
            value = _word(buf, pos)
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
def _mix(h1: np.uint64, h2: np.uint64, word: np.uint64) -> tuple[np.uint64, np.uint64]:
    h1 = (h1 ^ word) * _PRIME_1
    h1 ^= h1 >> np.uint64(29)
    h2 = (h2 + word + np.uint64(1)) * _PRIME_2
    h2 ^= h2 >> np.uint64(31)
    return h1, h2


@numba.njit(cache=True, nogil=True)
def _hash_bytes(buf: U8, start: int, stop: int, h1: np.uint64, h2: np.uint64) -> tuple[np.uint64, np.uint64]:
    """Folds buf[start:stop] and its length into both hashes, eight bytes per step."""
    pos = start
    while pos + 8 <= stop:
        h1, h2 = _mix(h1, h2, _word(buf, pos))
        pos += 8
    tail = np.uint64(stop - start) << np.uint64(56)
    for k in range(stop - pos):
        tail |= np.uint64(buf[pos + k]) << np.uint64(8 * k)
    return _mix(h1, h2, tail)


@numba.njit(cache=True, nogil=True)
def decode_write_request(buf: U8) -> tuple[int, int, I64, I64, I64, I64, U64, U64, U64]:
    """(status, error position, label_offsets[series+1], label_spans[labels*4] (name start, name end,
    value start, value end), sample_offsets[series+1], timestamps, value bits (0 where a sample has no
    value field), key_first[series], key_second[series]).

    A series' key hashes the exact bytes of its Label fields (tags and lengths included), in order:
    equal keys mean equal encoded labels, so the receiver may reuse what it built for them before.
    Calls between compiled functions are not inlined, so the canonical cases are written out here."""
    end = len(buf)
    # Every TimeSeries, Label and Sample field takes at least two bytes (tag and length), so these sizes
    # can never be outgrown: no reallocation inside the loop.
    most = end // 2 + 1
    spans = np.empty(4 * most, dtype=np.int64)
    label_offsets = np.empty(most + 1, dtype=np.int64)
    sample_offsets = np.empty(most + 1, dtype=np.int64)
    label_offsets[0] = sample_offsets[0] = 0
    timestamps = np.empty(most, dtype=np.int64)
    values = np.empty(most, dtype=np.uint64)
    key_first = np.empty(most, dtype=np.uint64)
    key_second = np.empty(most, dtype=np.uint64)
    n_series = n_labels = n_samples = 0
    pos = 0
    status = OK
    while pos < end:
        field, wire, start, stop, status = _field(buf, pos, end)
        pos = stop
        if status != OK:
            break
        if field != 1 or wire != 2:
            continue
        h1, h2 = _SEED_1, _SEED_2
        inner = start
        while inner < stop:
            tag_at = inner
            if inner + 1 < stop and buf[inner + 1] < 0x80 and (buf[inner] == 0x0A or buf[inner] == 0x12):
                kind, kind_wire, a, b = int(buf[inner]) >> 3, 2, inner + 2, inner + 2 + int(buf[inner + 1])
                if b > stop:
                    status, inner = TRUNCATED, inner + 2
                    pos = inner
                    break
            else:
                kind, kind_wire, a, b, status = _field(buf, inner, stop)
                if status != OK:
                    pos = b
                    break
            inner = b
            if kind == 1 and kind_wire == 2:
                base = 4 * n_labels
                na = a + 2
                nb = na + (int(buf[a + 1]) if a + 1 < b else 0)
                if (b - a >= 4 and buf[a] == 0x0A and buf[a + 1] < 0x80 and nb + 2 <= b and buf[nb] == 0x12
                        and buf[nb + 1] < 0x80 and nb + 2 + int(buf[nb + 1]) == b):
                    spans[base], spans[base + 1], spans[base + 2], spans[base + 3] = na, nb, nb + 2, b
                else:
                    status = _read_label(buf, a, b, spans, base)
                # The key: this Label field's bytes, eight at a time, then the tail with the length.
                p = tag_at
                while p + 8 <= b:
                    word = np.uint64(0)
                    for k in range(8):
                        word |= np.uint64(buf[p + k]) << np.uint64(8 * k)
                    h1 = (h1 ^ word) * _PRIME_1
                    h1 ^= h1 >> np.uint64(29)
                    h2 = (h2 + word + np.uint64(1)) * _PRIME_2
                    h2 ^= h2 >> np.uint64(31)
                    p += 8
                word = np.uint64(b - tag_at) << np.uint64(56)
                for k in range(b - p):
                    word |= np.uint64(buf[p + k]) << np.uint64(8 * k)
                h1 = (h1 ^ word) * _PRIME_1
                h1 ^= h1 >> np.uint64(29)
                h2 = (h2 + word + np.uint64(1)) * _PRIME_2
                h2 ^= h2 >> np.uint64(31)
                n_labels += 1
            elif kind == 2 and kind_wire == 2:
                if b - a >= 11 and buf[a] == 0x09 and buf[a + 9] == 0x10 and buf[b - 1] < 0x80:
                    # Canonical: value then timestamp, the timestamp's varint ending the message.
                    stamp, shift, p, last = 0, 0, a + 10, 0x80
                    while p < b and shift <= 63 and last >= 0x80:
                        last = int(buf[p])
                        stamp |= (last & 0x7F) << shift
                        shift += 7
                        p += 1
                    if last < 0x80 and p == b:
                        word = np.uint64(0)
                        for k in range(8):
                            word |= np.uint64(buf[a + 1 + k]) << np.uint64(8 * k)
                        values[n_samples], timestamps[n_samples] = word, stamp
                    else:
                        values[n_samples], timestamps[n_samples], status = _read_sample(buf, a, b)
                else:
                    values[n_samples], timestamps[n_samples], status = _read_sample(buf, a, b)
                n_samples += 1
            if status != OK:
                pos = inner
                break
        if status != OK:
            break
        key_first[n_series] = h1
        key_second[n_series] = h2
        n_series += 1
        label_offsets[n_series] = n_labels
        sample_offsets[n_series] = n_samples
    if status != OK:
        return (status, pos, label_offsets[:1], spans[:0], sample_offsets[:1], timestamps[:0], values[:0],
                key_first[:0], key_second[:0])
    return (OK, pos, label_offsets[: n_series + 1].copy(), spans[: 4 * n_labels].copy(),
            sample_offsets[: n_series + 1].copy(), timestamps[:n_samples].copy(), values[:n_samples].copy(),
            key_first[:n_series].copy(), key_second[:n_series].copy())
