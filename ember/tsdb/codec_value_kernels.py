"""Numba kernels of the scaled-integer value encoding: finding the decimal scale and the exceptions.

A value v is on the integer path at scale k when float64(round(v * 10**k)) / 10**k gives back v's exact
bits, the same computation the decoder does (with |v * 10**k| < 2**53, so the integer converts
exactly). The column takes the smallest k that fits every finite value (or, when cheaper, one that fits
all but a few). Values on the path at no scale up to MAX_SCALE, the non-finite ones and -0.0 are
exceptions: kept bit-exactly in a list (count, then per exception a uvarint of (gap to the previous
exception << 3 | tag), then 8 raw bytes for tag 0), with the previous integer repeated in the stream,
so that a stale marker in a counter costs about a byte instead of the whole column.
"""

from __future__ import annotations

import numba
import numpy as np

from ember.tsdb.codec_kernels import ERR_BAD_FIELD, ERR_TRUNCATED, U64, get_uvarint, put_uvarint, uvarint_len

MAX_SCALE = 9
NEVER = MAX_SCALE + 1  # finite, but on the integer path at no scale
SPECIAL = MAX_SCALE + 2  # NaN (any payload), ±Inf, -0.0
P10 = np.array([10.0**k for k in range(MAX_SCALE + 1)], dtype=np.float64)
EXACT_INTEGER_LIMIT = 9007199254740992.0  # 2**53: every integer below converts to float64 exactly

# Exception tags: common special bit patterns take no raw bytes.
SPECIAL_PATTERNS = np.array(
    [
        0,  # tag 0: raw, 8 bytes follow
        0x7FF0000000000002,  # staleness marker (Prometheus value.StaleNaN)
        0x7FF8000000000000,  # the canonical quiet NaN
        0x7FF0000000000000,  # +Inf
        0xFFF0000000000000,  # -Inf
        0x8000000000000000,  # -0.0
        0xFFF8000000000000,  # the quiet NaN with the sign bit set (x86's default NaN)
    ],
    dtype=np.uint64,
)
TAG_BITS = 3


@numba.njit(cache=True, nogil=True)
def scan_scales(
    values: np.ndarray, bits: np.ndarray, n: int, mink: np.ndarray, counts: np.ndarray,
    max_misses: int,
) -> bool:  # fmt: skip
    """Record in mink[i] the smallest scale that keeps value i exact (NEVER, SPECIAL) and count values
    per scale in counts; give up (False) once more than max_misses finite values fit no scale."""
    counts[:] = 0
    misses = 0
    for i in range(n):
        v = values[i]
        if not np.isfinite(v) or bits[i] == U64(0x8000000000000000):
            mink[i] = SPECIAL
            counts[SPECIAL] += 1
            continue
        found = NEVER
        for k in range(MAX_SCALE + 1):
            scaled = v * P10[k]
            if abs(scaled) >= EXACT_INTEGER_LIMIT:
                break
            if np.rint(scaled) / P10[k] == v:
                found = k
                break
        mink[i] = found
        counts[found] += 1
        if found == NEVER:
            misses += 1
            if misses > max_misses:
                return False
    return True


@numba.njit(cache=True, nogil=True)
def choose_scales(counts: np.ndarray, n: int, max_misses: int) -> tuple[int, int]:
    """(smallest scale with no finite exception, smallest with at most max_misses); -1 when none."""
    finite = n - counts[SPECIAL]
    covered = 0
    exact = -1
    loose = -1
    for k in range(MAX_SCALE + 1):
        covered += counts[k]
        if loose < 0 and finite - covered <= max_misses:
            loose = k
        if covered == finite:
            exact = k
            break
    return exact, loose


@numba.njit(cache=True, nogil=True)
def scaled_ints(values: np.ndarray, n: int, mink: np.ndarray, k: int, ints: np.ndarray, exceptional: np.ndarray) -> int:
    """Fill ints[:n] with round(v * 10**k), exceptions repeating their neighbour, and flag them in
    exceptional; return their count. A value that fits a smaller scale is checked again at k: a
    larger scale can push it past 2**53, where it no longer converts exactly."""
    scale = P10[k]
    exceptions = 0
    for i in range(n):
        fits = mink[i] == k  # checked at k by scan_scales already
        if mink[i] < k:
            scaled = values[i] * scale
            fits = abs(scaled) < EXACT_INTEGER_LIMIT and np.rint(scaled) / scale == values[i]
        exceptional[i] = not fits
        exceptions += not fits
    previous = np.int64(0)
    for i in range(n):
        if not exceptional[i]:
            previous = np.int64(np.rint(values[i] * scale))
            break
    for i in range(n):
        if not exceptional[i]:
            previous = np.int64(np.rint(values[i] * scale))
        ints[i] = previous
    return exceptions


@numba.njit(cache=True, nogil=True)
def exception_tag(b: np.uint64) -> int:
    for t in range(1, len(SPECIAL_PATTERNS)):
        if SPECIAL_PATTERNS[t] == b:
            return t
    return 0


@numba.njit(cache=True, nogil=True)
def exceptions_size(bits: np.ndarray, n: int, exceptional: np.ndarray, count: int) -> int:
    """Bytes `put_exceptions` will write."""
    size = uvarint_len(U64(count))
    last = -1
    for i in range(n):
        if exceptional[i]:
            tag = exception_tag(bits[i])
            size += uvarint_len((U64(i - last - 1) << U64(TAG_BITS)) | U64(tag)) + (8 if tag == 0 else 0)
            last = i
    return size


@numba.njit(cache=True, nogil=True)
def put_exceptions(out: np.ndarray, pos: int, bits: np.ndarray, n: int, exceptional: np.ndarray, count: int) -> int:
    """Write the count, then per exception a uvarint (gap to the previous one << 3 | tag), then the raw
    bits for tag 0."""
    pos = put_uvarint(out, pos, U64(count))
    last = -1
    for i in range(n):
        if not exceptional[i]:
            continue
        b = bits[i]
        tag = exception_tag(b)
        pos = put_uvarint(out, pos, (U64(i - last - 1) << U64(TAG_BITS)) | U64(tag))
        if tag == 0:
            for j in range(8):
                out[pos + j] = np.uint8((b >> U64(8 * j)) & U64(0xFF))
            pos += 8
        last = i
    return pos


@numba.njit(cache=True, nogil=True)
def get_exceptions(buf: np.ndarray, pos: int, end: int, dest_bits: np.ndarray) -> int:
    """Patch the exceptions into dest_bits; return the end position or a negative status."""
    n = len(dest_bits)
    count, pos = get_uvarint(buf, pos, end)
    if pos < 0:
        return pos
    if count > U64(n):
        return ERR_BAD_FIELD
    last = -1
    for _ in range(np.int64(count)):
        entry, pos = get_uvarint(buf, pos, end)
        if pos < 0:
            return pos
        gap = entry >> U64(TAG_BITS)
        tag = np.int64(entry & U64((1 << TAG_BITS) - 1))
        if gap >= U64(n) or tag >= len(SPECIAL_PATTERNS):
            return ERR_BAD_FIELD
        i = last + 1 + int(gap)
        if i >= n:
            return ERR_BAD_FIELD
        if tag == 0:
            if end - pos < 8:
                return ERR_TRUNCATED
            b = U64(0)
            for j in range(8):
                b |= U64(buf[pos + j]) << U64(8 * j)
            pos += 8
            dest_bits[i] = b
        else:
            dest_bits[i] = SPECIAL_PATTERNS[tag]
        last = i
    return pos
