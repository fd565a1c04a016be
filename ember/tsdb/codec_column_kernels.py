"""Numba kernels that encode and decode whole columns, many columns per compiled call.

Every column starts with a kind byte and a uvarint sample count. Value columns are encoded by
measuring the candidates and keeping the smallest (DESIGN §3 rule 3):

    RAW          8 little-endian bytes a value
    CONST        every bit pattern equal: the pattern, byte-swapped, as a uvarint (0.0 takes 1 byte)
    SCALED       a byte k (| 0x80 when exceptions follow), then the integers round(v * 10**k), verified
                 to decode bit-exactly, as an integer stream (see codec_kernels), then the exceptions
                 (see codec_value_kernels): values no scale fits, NaN payloads such as the staleness
                 marker, ±Inf, -0.0. They repeat the previous integer in the stream, so a counter with a
                 stale marker stays on this path
    XOR          Gorilla-style: 64 bits, then per value '0' (same bits) or '1' + '0' (reuse the previous
                 window of meaningful XOR bits) or '1' + '1' + 6 bits leading zeros + 6 bits length - 1
                 + the bits; LSB-first bit order
    FLOAT_BITS   the bit patterns as int64 through the integer stream (wins for smoothly varying floats)

A timestamp column (kind 8) is one integer stream. Decoders return a negative status, never read or
write out of bounds.
"""

from __future__ import annotations

import numba
import numpy as np

from ember.tsdb.codec_kernels import (
    ERR_BAD_FIELD,
    ERR_BAD_KIND,
    ERR_TOO_LONG,
    ERR_TRAILING,
    ERR_TRUNCATED,
    U64,
    bit_length,
    flush_bits,
    get_bits,
    get_int_stream,
    get_uvarint,
    plan_int_stream,
    put_bits,
    put_int_stream,
    put_uvarint,
    uvarint_len,
)
from ember.tsdb.codec_value_kernels import (
    MAX_SCALE,
    P10,
    SPECIAL,
    choose_scales,
    exceptions_size,
    get_exceptions,
    put_exceptions,
    scaled_ints,
    scan_scales,
)

KIND_RAW = 0
KIND_CONST = 1
KIND_SCALED = 2
KIND_XOR = 3
KIND_FLOAT_BITS = 4
KIND_TIMESTAMPS = 8

MAX_TIMESTAMP_SAMPLES = 1 << 28  # per timestamp (or other int64) column
# Lower for values: it also bounds what a corrupt CONST header (no payload to check against) can make a
# decoder allocate, 128 MiB.
MAX_VALUE_SAMPLES = 1 << 24
FLOAT_TRY_ABOVE_BYTES_PER_SAMPLE = 2  # below this the scaled integers win: skip the float kinds
HAS_EXCEPTIONS = 0x80  # flag on the SCALED scale byte: an exception list follows the integer stream


@numba.njit(cache=True, nogil=True)
def put_header(out: np.ndarray, pos: int, kind: int, n: int) -> int:
    out[pos] = np.uint8(kind)
    return put_uvarint(out, pos + 1, U64(n))


@numba.njit(cache=True, nogil=True)
def byte_swap(x: np.uint64) -> np.uint64:
    r = U64(0)
    for _ in range(8):
        r = (r << U64(8)) | (x & U64(0xFF))
        x >>= U64(8)
    return r


@numba.njit(cache=True, nogil=True)
def put_raw(out: np.ndarray, pos: int, bits: np.ndarray, n: int) -> int:
    pos = put_header(out, pos, KIND_RAW, n)
    for i in range(n):
        b = bits[i]
        for j in range(8):
            out[pos + j] = np.uint8((b >> U64(8 * j)) & U64(0xFF))
        pos += 8
    return pos


@numba.njit(cache=True, nogil=True)
def put_xor(out: np.ndarray, pos: int, bits: np.ndarray, n: int, limit: int) -> int:
    """Write the XOR encoding at out[pos:]; give up (-1) once it reaches `limit` bytes, which must
    leave 20 bytes of room in out."""
    limit += pos
    pos = put_header(out, pos, KIND_XOR, n)
    prev = bits[0]
    pos, acc, nacc = put_bits(out, pos, U64(0), 0, prev, 64)
    window_lead = -1
    window_trail = 0
    for i in range(1, n):
        if pos >= limit:
            return -1
        x = bits[i] ^ prev
        prev = bits[i]
        if x == U64(0):
            pos, acc, nacc = put_bits(out, pos, acc, nacc, U64(0), 1)
            continue
        lead = 64 - bit_length(x)
        trail = bit_length(x & (~x + U64(1))) - 1
        meaningful = 64 - lead - trail
        window = 64 - window_lead - window_trail
        # Reuse the previous window unless a fresh one saves more than its own 12-bit description.
        if window_lead >= 0 and lead >= window_lead and trail >= window_trail and window <= meaningful + 12:
            pos, acc, nacc = put_bits(out, pos, acc, nacc, U64(1), 2)
            pos, acc, nacc = put_bits(out, pos, acc, nacc, x >> U64(window_trail), window)
        else:
            pos, acc, nacc = put_bits(out, pos, acc, nacc, U64(3 | (lead << 2) | ((meaningful - 1) << 8)), 14)
            pos, acc, nacc = put_bits(out, pos, acc, nacc, x >> U64(trail), meaningful)
            window_lead = lead
            window_trail = trail
    return flush_bits(out, pos, acc, nacc)


@numba.njit(cache=True, nogil=True)
def get_xor(buf: np.ndarray, pos: int, end: int, dest: np.ndarray) -> int:
    prev, pos, acc, nacc = get_bits(buf, pos, end, U64(0), 0, 64)
    dest[0] = prev
    window_lead = -1
    window_trail = 0
    for i in range(1, len(dest)):
        flag, pos, acc, nacc = get_bits(buf, pos, end, acc, nacc, 1)
        if flag != U64(0):
            fresh, pos, acc, nacc = get_bits(buf, pos, end, acc, nacc, 1)
            if fresh != U64(0):
                desc, pos, acc, nacc = get_bits(buf, pos, end, acc, nacc, 12)
                window_lead = int(desc & U64(63))
                meaningful = int(desc >> U64(6)) + 1
                if window_lead + meaningful > 64:
                    return ERR_BAD_FIELD
                window_trail = 64 - window_lead - meaningful
            elif window_lead < 0:
                return ERR_BAD_FIELD
            width = 64 - window_lead - window_trail
            x, pos, acc, nacc = get_bits(buf, pos, end, acc, nacc, width)
            prev ^= x << U64(window_trail)
        dest[i] = prev
        if pos > end:
            return ERR_TRUNCATED
    return pos if pos <= end else ERR_TRUNCATED


@numba.njit(cache=True, nogil=True)
def put_scaled(
    out: np.ndarray, pos: int, bits: np.ndarray, n: int, exceptional: np.ndarray, k: int,
    n_exceptions: int, ints: np.ndarray, order: int, code: int, patched: bool, work: np.ndarray, heads: np.ndarray,
) -> int:  # fmt: skip
    """Write the SCALED encoding of the integers that `scaled_ints` left in ints."""
    pos = put_header(out, pos, KIND_SCALED, n)
    out[pos] = np.uint8(k | (HAS_EXCEPTIONS if n_exceptions else 0))
    pos = put_int_stream(out, pos + 1, ints, n, order, code, patched, work, heads)
    if n_exceptions == 0:
        return pos
    return put_exceptions(out, pos, bits, n, exceptional, n_exceptions)


@numba.njit(cache=True, nogil=True)
def get_scaled(
    buf: np.ndarray, pos: int, end: int, dest: np.ndarray, dest_ints: np.ndarray, dest_bits: np.ndarray
) -> int:
    if pos >= end:
        return ERR_TRUNCATED
    flags = int(buf[pos])
    k = flags & ~HAS_EXCEPTIONS
    if k > MAX_SCALE:
        return ERR_BAD_FIELD
    pos = get_int_stream(buf, pos + 1, end, dest_ints)
    if pos < 0:
        return pos
    scale = P10[k]
    if k == 0:
        for i in range(len(dest)):
            dest[i] = np.float64(dest_ints[i])
    else:
        for i in range(len(dest)):
            dest[i] = np.float64(dest_ints[i]) / scale
    if flags & HAS_EXCEPTIONS:
        return get_exceptions(buf, pos, end, dest_bits)
    return pos


@numba.njit(cache=True, nogil=True)
def all_equal(bits: np.ndarray, n: int) -> bool:
    first = bits[0]
    for i in range(1, n):  # noqa: SIM110 - an early-exit loop compiles; all() does not
        if bits[i] != first:
            return False
    return True


@numba.njit(cache=True, nogil=True)
def put_value_column(
    out: np.ndarray, pos: int, values: np.ndarray, mink: np.ndarray, counts: np.ndarray, ints: np.ndarray,
    exceptional: np.ndarray, work: np.ndarray, heads: np.ndarray, lows: np.ndarray, highs: np.ndarray,
    scratch: np.ndarray,
) -> int:  # fmt: skip
    """Encode the column `values` at out[pos:] with the smallest encoding; return the end position.

    The integer-stream candidates know their exact size before writing (from the plan), so only a
    smaller one is written, straight over the previous best; XOR is sized by writing it to scratch."""
    n = len(values)
    bits = values.view(np.uint64)
    if n == 0:
        return put_header(out, pos, KIND_RAW, 0)
    if all_equal(bits, n):
        pos = put_header(out, pos, KIND_CONST, n)
        return put_uvarint(out, pos, byte_swap(bits[0]))
    header = 1 + uvarint_len(U64(n))
    best_end = -1
    best_len = header + 8 * n
    max_misses = n // 16
    if scan_scales(values, bits, n, mink, counts, max_misses):
        exact, loose = choose_scales(counts, n, max_misses)
        for attempt in range(2):
            k = exact if attempt == 0 else loose
            if k < 0 or (attempt == 1 and loose == exact):
                continue
            n_exceptions = scaled_ints(values, n, mink, k, ints, exceptional)
            order, code, patched, stream = plan_int_stream(ints, n, work, heads, lows, highs)
            size = header + 1 + stream
            if n_exceptions:
                size += exceptions_size(bits, n, exceptional, n_exceptions)
            if size < best_len:
                best_end = put_scaled(
                    out, pos, bits, n, exceptional, k, n_exceptions, ints, order, code, patched, work, heads
                )
                best_len = best_end - pos
    if best_len > FLOAT_TRY_ABOVE_BYTES_PER_SAMPLE * n:
        for i in range(n):
            ints[i] = np.int64(bits[i])
        order, code, patched, stream = plan_int_stream(ints, n, work, heads, lows, highs)
        if header + stream < best_len:
            best_end = put_header(out, pos, KIND_FLOAT_BITS, n)
            best_end = put_int_stream(out, best_end, ints, n, order, code, patched, work, heads)
            best_len = best_end - pos
        # XOR last: it gives up as soon as it cannot beat the best so far.
        xor_end = put_xor(scratch, 0, bits, n, best_len)
        if 0 <= xor_end < best_len:
            out[pos : pos + xor_end] = scratch[:xor_end]
            best_end = pos + xor_end
            best_len = xor_end
    if best_end < 0:
        return put_raw(out, pos, bits, n)
    return best_end


@numba.njit(cache=True, nogil=True)
def get_column_header(buf: np.ndarray, pos: int, end: int, timestamps: bool) -> tuple[int, int, int]:
    """(kind, count, payload position) of the column at buf[pos:end]; a negative position on error."""
    if pos >= end:
        return 0, 0, ERR_TRUNCATED
    kind = int(buf[pos])
    count, pos = get_uvarint(buf, pos + 1, end)
    if pos < 0:
        return kind, 0, pos
    if (kind == KIND_TIMESTAMPS) != timestamps or (kind > KIND_FLOAT_BITS and kind != KIND_TIMESTAMPS):
        return kind, 0, ERR_BAD_KIND
    limit = MAX_TIMESTAMP_SAMPLES if timestamps else MAX_VALUE_SAMPLES
    n = int(min(count, U64(limit + 1)))
    payload = end - pos
    if n > limit:
        return kind, n, ERR_TOO_LONG
    # Every kind but CONST spends at least one byte per 256 samples: a larger count is corrupt.
    if kind != KIND_CONST and n > 256 * payload + 2:
        return kind, n, ERR_TOO_LONG
    return kind, int(n), pos


@numba.njit(cache=True, nogil=True)
def get_value_payload(buf: np.ndarray, pos: int, end: int, kind: int, dest_ints: np.ndarray) -> int:
    """Decode a value column's payload into dest_ints (the column's bits, viewed as int64)."""
    n = len(dest_ints)
    dest = dest_ints.view(np.float64)
    dest_bits = dest_ints.view(np.uint64)
    if n == 0:
        return pos
    if kind == KIND_RAW:
        if end - pos < 8 * n:
            return ERR_TRUNCATED
        for i in range(n):
            b = U64(0)
            for j in range(8):
                b |= U64(buf[pos + j]) << U64(8 * j)
            dest_bits[i] = b
            pos += 8
        return pos
    if kind == KIND_CONST:
        swapped, pos = get_uvarint(buf, pos, end)
        dest_bits[:] = byte_swap(swapped)
        return pos
    if kind == KIND_SCALED:
        return get_scaled(buf, pos, end, dest, dest_ints, dest_bits)
    if kind == KIND_XOR:
        return get_xor(buf, pos, end, dest_bits)
    return get_int_stream(buf, pos, end, dest_ints)


@numba.njit(cache=True, nogil=True)
def encode_values_many(values: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Encode the columns values[offsets[i]:offsets[i + 1]]; return the buffer and the CSR byte offsets."""
    columns = len(offsets) - 1
    longest = 0
    for c in range(columns):
        longest = max(longest, offsets[c + 1] - offsets[c])
    out = np.empty(8 * (offsets[columns] - offsets[0]) + 12 * columns + 16, dtype=np.uint8)
    mink = np.empty(longest, dtype=np.int8)
    exceptional = np.empty(longest, dtype=np.bool_)
    counts = np.zeros(SPECIAL + 1, dtype=np.int64)
    ints = np.empty(longest, dtype=np.int64)
    work = np.empty(longest, dtype=np.int64)
    heads = np.zeros(2, dtype=np.int64)
    lows = np.empty(longest // 8 + 1, dtype=np.int64)
    highs = np.empty(longest // 8 + 1, dtype=np.int64)
    scratch = np.empty(8 * longest + 64, dtype=np.uint8)
    ends = np.zeros(columns + 1, dtype=np.int64)
    pos = 0
    for c in range(columns):
        column = values[offsets[c] : offsets[c + 1]]
        pos = put_value_column(out, pos, column, mink, counts, ints, exceptional, work, heads, lows, highs, scratch)
        ends[c + 1] = pos
    return out[:pos], ends


@numba.njit(cache=True, nogil=True)
def encode_timestamps_many(timestamps: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Encode the timestamp columns timestamps[offsets[i]:offsets[i + 1]]; return buffer and offsets."""
    columns = len(offsets) - 1
    longest = 0
    for c in range(columns):
        longest = max(longest, offsets[c + 1] - offsets[c])
    total = offsets[columns] - offsets[0]
    out = np.empty(10 * total + 48 * columns + 16, dtype=np.uint8)
    work = np.empty(longest, dtype=np.int64)
    heads = np.zeros(2, dtype=np.int64)
    lows = np.empty(longest // 8 + 1, dtype=np.int64)
    highs = np.empty(longest // 8 + 1, dtype=np.int64)
    ends = np.zeros(columns + 1, dtype=np.int64)
    pos = 0
    for c in range(columns):
        ints = timestamps[offsets[c] : offsets[c + 1]]
        n = len(ints)
        pos = put_header(out, pos, KIND_TIMESTAMPS, n)
        if n > 0:
            order, code, patched, _ = plan_int_stream(ints, n, work, heads, lows, highs)
            pos = put_int_stream(out, pos, ints, n, order, code, patched, work, heads)
        ends[c + 1] = pos
    return out[:pos], ends


@numba.njit(cache=True, nogil=True)
def decode_many(
    buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, timestamps: bool
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Decode the columns at buf[starts[i]:ends[i]] into one int64 array of bit patterns (values) or
    timestamps, with CSR offsets; also (status, failing column), status 0 when all decoded."""
    columns = len(starts)
    offsets = np.zeros(columns + 1, dtype=np.int64)
    for c in range(columns):
        _, n, pos = get_column_header(buf, starts[c], ends[c], timestamps)
        if pos < 0:
            return np.empty(0, dtype=np.int64), offsets, pos, c
        offsets[c + 1] = offsets[c] + n
    decoded = np.empty(offsets[columns], dtype=np.int64)
    for c in range(columns):
        end = ends[c]
        kind, n, pos = get_column_header(buf, starts[c], end, timestamps)
        dest = decoded[offsets[c] : offsets[c + 1]]
        if timestamps:
            pos = get_int_stream(buf, pos, end, dest) if n > 0 else pos
        else:
            pos = get_value_payload(buf, pos, end, kind, dest)
        if pos >= 0 and pos != end:
            pos = ERR_TRAILING
        if pos < 0:
            return decoded, offsets, pos, c
    return decoded, offsets, 0, -1
