"""Numba kernels of the column codec: varints, bit streams and the framed integer stream.

The integer stream is shared by timestamp columns and scaled-integer value columns. It stores the
order-th differences (order 0, 1 or 2, chosen by measuring) divided by their GCD, in frames of 8-256
values; each frame keeps its own base (frame minimum, delta-coded against the previous frame's) and its
own bit width, so a constant step costs one byte per frame and one spike only widens its own frame.
All integer arithmetic wraps modulo 2**64, so every int64 array round-trips, sorted or not.

Decoders never read outside `buf[pos:end]`: they return a negative status instead (see ERR_*).
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

U64 = np.uint64
BYTE_MASK = np.uint64(0xFF)
SEVEN_BITS = np.uint64(0x7F)
LOW32 = np.uint64(0xFFFFFFFF)

ERR_TRUNCATED = -1
ERR_BAD_KIND = -2
ERR_BAD_FIELD = -3
ERR_TOO_LONG = -4
ERR_TRAILING = -5

MAX_FRAME_CODE = 5  # frame sizes 8 << code: 8 to 256
MAX_ORDER = 2
HAS_GCD = 0x20
HAS_PATCHES = 0x40
PATCH_SHARE = 32  # patch at most 1 + m // PATCH_SHARE differences


@numba.njit(cache=True, nogil=True)
def put_uvarint(out: np.ndarray, pos: int, x: np.uint64) -> int:
    while x >= U64(0x80):
        out[pos] = np.uint8((x & SEVEN_BITS) | U64(0x80))
        x >>= U64(7)
        pos += 1
    out[pos] = np.uint8(x)
    return pos + 1


@numba.njit(cache=True, nogil=True)
def uvarint_len(x: np.uint64) -> int:
    n = 1
    while x >= U64(0x80):
        x >>= U64(7)
        n += 1
    return n


@numba.njit(cache=True, nogil=True)
def get_uvarint(buf: np.ndarray, pos: int, end: int) -> tuple[np.uint64, int]:
    """(value, next position), or (0, negative status) when truncated or longer than 10 bytes."""
    x = U64(0)
    shift = U64(0)
    for _ in range(10):
        if pos >= end:
            return U64(0), ERR_TRUNCATED
        b = U64(buf[pos])
        pos += 1
        x |= (b & SEVEN_BITS) << shift
        if b < U64(0x80):
            return x, pos
        shift += U64(7)
    return U64(0), ERR_BAD_FIELD


@numba.njit(cache=True, nogil=True)
def zigzag(x: np.int64) -> np.uint64:
    return U64((x << np.int64(1)) ^ (x >> np.int64(63)))


@numba.njit(cache=True, nogil=True)
def unzigzag(u: np.uint64) -> np.int64:
    return np.int64(u >> U64(1)) ^ -np.int64(u & U64(1))


@intrinsic
def _count_leading_zeros(typingctx: object, x: types.Type) -> tuple[object, object]:
    """LLVM's ctlz on a uint64 (64 for zero)."""

    def codegen(context: object, builder: ir.IRBuilder, signature: object, args: list[ir.Value]) -> ir.Value:
        return builder.ctlz(args[0], ir.Constant(ir.IntType(1), 0))

    return types.uint64(types.uint64), codegen


@numba.njit(cache=True, nogil=True)
def bit_length(u: np.uint64) -> int:
    return 64 - int(_count_leading_zeros(U64(u)))  # type: ignore[call-arg]


@numba.njit(cache=True, nogil=True)
def put_bits_small(
    out: np.ndarray, pos: int, acc: np.uint64, nacc: int, value: np.uint64, width: int
) -> tuple[int, np.uint64, int]:
    """Append the low `width` <= 56 bits of `value` (LSB first); `acc` holds `nacc` < 8 pending bits."""
    acc |= (value & ((U64(1) << U64(width)) - U64(1))) << U64(nacc)
    nacc += width
    while nacc >= 8:
        out[pos] = np.uint8(acc & BYTE_MASK)
        acc >>= U64(8)
        pos += 1
        nacc -= 8
    return pos, acc, nacc


@numba.njit(cache=True, nogil=True)
def put_bits(
    out: np.ndarray, pos: int, acc: np.uint64, nacc: int, value: np.uint64, width: int
) -> tuple[int, np.uint64, int]:
    """Append the low `width` <= 64 bits of `value`."""
    if width > 56:
        pos, acc, nacc = put_bits_small(out, pos, acc, nacc, value & LOW32, 32)
        return put_bits_small(out, pos, acc, nacc, value >> U64(32), width - 32)
    return put_bits_small(out, pos, acc, nacc, value, width)


@numba.njit(cache=True, nogil=True)
def flush_bits(out: np.ndarray, pos: int, acc: np.uint64, nacc: int) -> int:
    if nacc > 0:
        out[pos] = np.uint8(acc & BYTE_MASK)
        pos += 1
    return pos


@numba.njit(cache=True, nogil=True)
def get_bits_small(
    buf: np.ndarray, pos: int, end: int, acc: np.uint64, nacc: int, width: int
) -> tuple[np.uint64, int, np.uint64, int]:
    """Read `width` <= 56 bits (LSB first). Past `end` it reads zeros but still advances `pos`, so the
    caller detects truncation by `pos > end` once, instead of a branch per read."""
    while nacc < width:
        if pos < end:
            acc |= U64(buf[pos]) << U64(nacc)
        pos += 1
        nacc += 8
    value = acc & ((U64(1) << U64(width)) - U64(1))
    acc >>= U64(width)
    return value, pos, acc, nacc - width


@numba.njit(cache=True, nogil=True)
def get_bits(
    buf: np.ndarray, pos: int, end: int, acc: np.uint64, nacc: int, width: int
) -> tuple[np.uint64, int, np.uint64, int]:
    """Read `width` <= 64 bits."""
    if width > 56:
        lo, pos, acc, nacc = get_bits_small(buf, pos, end, acc, nacc, 32)
        hi, pos, acc, nacc = get_bits_small(buf, pos, end, acc, nacc, width - 32)
        return lo | (hi << U64(32)), pos, acc, nacc
    return get_bits_small(buf, pos, end, acc, nacc, width)


# ---------------------------------------------------------------------------------------------------
# Framed integer stream. Layout:
#   params byte: order | frame_code << 2 | HAS_GCD (0x20) when a gcd follows | HAS_PATCHES (0x40)
#   [uvarint gcd > 1]
#   zigzag varints of the first value of ints, then (order 2) of its first difference
#   frames over the order-th differences / gcd, each:
#     header byte: bit width (0-64) | 0x80 when the frame base equals the previous frame's (first: 0)
#     [zigzag varint of base - previous base]
#     ceil(count * width / 8) bytes: the residuals (value - base), packed LSB first
#   [patches: uvarint count, then per patch uvarint gap to the previous one, zigzag varint difference]
# Patches carry the few negative first differences of a counter (its resets): the frames hold a copy
# of the previous difference there instead, so one reset does not widen its whole frame.
# ---------------------------------------------------------------------------------------------------


@numba.njit(cache=True, nogil=True)
def differences(ints: np.ndarray, n: int, order: int, work: np.ndarray, heads: np.ndarray) -> int:
    """Write the order-th differences of ints[:n] into work, their first values into heads; return count."""
    stored = min(order, n)
    if stored == 0:
        work[:n] = ints[:n]
    elif stored == 1:
        heads[0] = ints[0]
        for i in range(n - 1):
            work[i] = ints[i + 1] - ints[i]
    else:
        heads[0] = ints[0]
        heads[1] = ints[1] - ints[0]
        for i in range(n - 2):
            work[i] = (ints[i + 2] - ints[i + 1]) - (ints[i + 1] - ints[i])
    return n - stored


@numba.njit(cache=True, nogil=True)
def divide_by_gcd(work: np.ndarray, m: int) -> np.uint64:
    """Divide work[:m] by the GCD of its magnitudes (1 when that is 0 or too large); return the GCD."""
    g = U64(0)
    for i in range(m):
        x = work[i]
        a = U64(-x) if x < 0 else U64(x)
        while a != U64(0):
            g, a = a, g % a
        if g == U64(1):
            return U64(1)
    if g <= U64(1) or g > U64(1 << 62):
        return U64(1)
    gi = np.int64(g)
    for i in range(m):
        work[i] = work[i] // gi
    return g


@numba.njit(cache=True, nogil=True)
def block_ranges(work: np.ndarray, m: int, lows: np.ndarray, highs: np.ndarray) -> int:
    """Minimum and maximum of each block of 8 values of work[:m]; returns the number of blocks."""
    nblocks = (m + 7) // 8
    for b in range(nblocks):
        lo = work[8 * b]
        hi = lo
        for i in range(8 * b + 1, min(8 * b + 8, m)):
            x = work[i]
            lo = min(lo, x)
            hi = max(hi, x)
        lows[b] = lo
        highs[b] = hi
    return nblocks


@numba.njit(cache=True, nogil=True)
def frames_cost(lows: np.ndarray, highs: np.ndarray, nframes: int, m: int, frame: int) -> int:
    """Bytes the frames of `frame` values take, given each frame's minimum and maximum."""
    cost = 0
    prev = np.int64(0)
    for f in range(nframes):
        lo = lows[f]
        count = min(m - f * frame, frame)
        width = bit_length(U64(highs[f] - lo))
        cost += 1 + (width * count + 7) // 8
        if lo != prev:
            cost += uvarint_len(zigzag(lo - prev))
        prev = lo
    return cost


@numba.njit(cache=True, nogil=True)
def merge_frame_pairs(lows: np.ndarray, highs: np.ndarray, nframes: int) -> int:
    """Turn the ranges of frames into those of frames twice as long, in place; return their number."""
    merged = (nframes + 1) // 2
    for f in range(merged):
        lo = lows[2 * f]
        hi = highs[2 * f]
        if 2 * f + 1 < nframes:
            lo = min(lo, lows[2 * f + 1])
            hi = max(hi, highs[2 * f + 1])
        lows[f] = lo
        highs[f] = hi
    return merged


@numba.njit(cache=True, nogil=True)
def patch_negatives(work: np.ndarray, m: int) -> int:
    """Replace the negative values of work[:m] by the value before them (the first non-negative one
    at the start), when there are few enough; return how many were replaced (0: none, or too many)."""
    count = 0
    for i in range(m):
        if work[i] < 0:
            count += 1
    if count == 0 or count > 1 + m // PATCH_SHARE:
        return 0
    filler = np.int64(0)
    for i in range(m):
        if work[i] >= 0:
            filler = work[i]
            break
    for i in range(m):
        if work[i] < 0:
            work[i] = filler
        else:
            filler = work[i]
    return count


@numba.njit(cache=True, nogil=True)
def put_patches(out: np.ndarray, pos: int, ints: np.ndarray, n: int, count: int) -> int:
    """Write the patch list of the negative first differences of ints[:n] (or, with pos < 0, only
    return its size in bytes)."""
    size = uvarint_len(U64(count))
    if pos >= 0:
        pos = put_uvarint(out, pos, U64(count))
    last = -1
    for i in range(n - 1):
        d = ints[i + 1] - ints[i]
        if d < 0:
            if pos >= 0:
                pos = put_uvarint(out, pos, U64(i - last - 1))
                pos = put_uvarint(out, pos, zigzag(d))
            else:
                size += uvarint_len(U64(i - last - 1)) + uvarint_len(zigzag(d))
            last = i
    return pos if pos >= 0 else size


@numba.njit(cache=True, nogil=True)
def get_patches(buf: np.ndarray, pos: int, end: int, residuals: np.ndarray) -> int:
    m = len(residuals)
    count, pos = get_uvarint(buf, pos, end)
    if pos < 0:
        return pos
    if count > U64(m):
        return ERR_BAD_FIELD
    last = -1
    for _ in range(int(count)):
        gap, pos = get_uvarint(buf, pos, end)
        if pos < 0:
            return pos
        if gap >= U64(m) or last + 1 + int(gap) >= m:
            return ERR_BAD_FIELD
        last += 1 + int(gap)
        value, pos = get_uvarint(buf, pos, end)
        if pos < 0:
            return pos
        residuals[last] = unzigzag(value)
    return pos


@numba.njit(cache=True, nogil=True)
def best_frame_code(work: np.ndarray, m: int, lows: np.ndarray, highs: np.ndarray) -> tuple[int, int]:
    """(frame code, bytes of the frames) of the smallest frame size for work[:m]."""
    best_code, best_cost = 0, -1
    nframes = block_ranges(work, m, lows, highs)
    for code in range(MAX_FRAME_CODE + 1):
        if code > 0:
            if nframes <= 1:
                break  # longer frames cost the same: one frame holds everything already
            nframes = merge_frame_pairs(lows, highs, nframes)
        cost = frames_cost(lows, highs, nframes, m, 8 << code)
        if best_cost < 0 or cost < best_cost:
            best_code, best_cost = code, cost
    return best_code, best_cost


@numba.njit(cache=True, nogil=True)
def plan_int_stream(
    ints: np.ndarray, n: int, work: np.ndarray, heads: np.ndarray, lows: np.ndarray, highs: np.ndarray
) -> tuple[int, int, bool, int]:
    """Measure every order and frame size, and patching for order 1; return (order, frame code,
    patched, encoded bytes) of the smallest, the first one on ties."""
    best_order, best_code, best_patched, best_cost = 0, 0, False, -1
    for order in range(min(MAX_ORDER, max(n - 1, 0)) + 1):
        for patched in (False, True):
            if patched and order != 1:
                break
            m = differences(ints, n, order, work, heads)
            fixed = 1
            if patched:
                count = patch_negatives(work, m)
                if count == 0:
                    break
                fixed += put_patches(work, -1, ints, n, count)
            g = divide_by_gcd(work, m)
            fixed += uvarint_len(g) if g != U64(1) else 0
            for level in range(min(order, n)):
                fixed += uvarint_len(zigzag(heads[level]))
            code, cost = best_frame_code(work, m, lows, highs)
            if best_cost < 0 or fixed + cost < best_cost:
                best_order, best_code, best_patched, best_cost = order, code, patched, fixed + cost
    return best_order, best_code, best_patched, best_cost


@numba.njit(cache=True, nogil=True)
def put_frames(out: np.ndarray, pos: int, work: np.ndarray, m: int, frame: int) -> int:
    prev = np.int64(0)
    for start in range(0, m, frame):
        stop = min(start + frame, m)
        lo = work[start]
        hi = lo
        for i in range(start + 1, stop):
            lo = min(lo, work[i])
            hi = max(hi, work[i])
        width = bit_length(U64(hi - lo))
        if lo == prev:
            out[pos] = np.uint8(width | 0x80)
            pos += 1
        else:
            out[pos] = np.uint8(width)
            pos = put_uvarint(out, pos + 1, zigzag(lo - prev))
        prev = lo
        if 0 < width <= 32:
            pos = put_narrow_residuals(out, pos, work[start:stop], lo, width)
        elif width > 32:
            acc = U64(0)
            nacc = 0
            for i in range(start, stop):
                pos, acc, nacc = put_bits(out, pos, acc, nacc, U64(work[i] - lo), width)
            pos = flush_bits(out, pos, acc, nacc)
    return pos


@numba.njit(cache=True, nogil=True)
def put_narrow_residuals(out: np.ndarray, pos: int, values: np.ndarray, lo: np.int64, width: int) -> int:
    """Pack values - lo (each below 2**width, width <= 32) LSB first, four bytes at a time."""
    acc = U64(0)
    nacc = U64(0)
    w = U64(width)
    for i in range(len(values)):
        acc |= U64(values[i] - lo) << nacc
        nacc += w
        if nacc >= U64(32):
            out[pos] = np.uint8(acc & BYTE_MASK)
            out[pos + 1] = np.uint8((acc >> U64(8)) & BYTE_MASK)
            out[pos + 2] = np.uint8((acc >> U64(16)) & BYTE_MASK)
            out[pos + 3] = np.uint8((acc >> U64(24)) & BYTE_MASK)
            pos += 4
            acc >>= U64(32)
            nacc -= U64(32)
    while nacc > U64(0):
        out[pos] = np.uint8(acc & BYTE_MASK)
        pos += 1
        acc >>= U64(8)
        nacc = nacc - U64(8) if nacc > U64(8) else U64(0)
    return pos


@numba.njit(cache=True, nogil=True)
def put_int_stream(
    out: np.ndarray, pos: int, ints: np.ndarray, n: int, order: int, code: int, patched: bool,
    work: np.ndarray, heads: np.ndarray,
) -> int:  # fmt: skip
    """Encode ints[:n] as `plan_int_stream` chose at out[pos:]; return the end position."""
    m = differences(ints, n, order, work, heads)
    count = patch_negatives(work, m) if patched else 0
    g = divide_by_gcd(work, m)
    params = order | (code << 2) | (HAS_PATCHES if count else 0)
    if g == U64(1):
        out[pos] = np.uint8(params)
        pos += 1
    else:
        out[pos] = np.uint8(params | HAS_GCD)
        pos = put_uvarint(out, pos + 1, g)
    for level in range(min(order, n)):
        pos = put_uvarint(out, pos, zigzag(heads[level]))
    pos = put_frames(out, pos, work, m, 8 << code)
    return put_patches(out, pos, ints, n, count) if count else pos


@numba.njit(cache=True, nogil=True)
def get_frames(buf: np.ndarray, pos: int, end: int, dest: np.ndarray, frame: int) -> int:
    """Decode len(dest) framed values into dest; return the end position or a negative status."""
    m = len(dest)
    prev = np.int64(0)
    for first in range(0, m, frame):
        stop = min(first + frame, m)
        if pos >= end:
            return ERR_TRUNCATED
        header = int(buf[pos])
        pos += 1
        width = header & 0x7F
        if width > 64:
            return ERR_BAD_FIELD
        lo = prev
        if header < 0x80:
            delta, pos = get_uvarint(buf, pos, end)
            if pos < 0:
                return pos
            lo = prev + unzigzag(delta)
        prev = lo
        payload_end = pos + (width * (stop - first) + 7) // 8
        if payload_end > end:
            return ERR_TRUNCATED
        if width == 0:
            dest[first:stop] = lo
        elif width <= 32:
            get_narrow_residuals(buf, pos, payload_end, dest[first:stop], lo, width)
        else:
            acc = U64(0)
            nacc = 0
            for i in range(first, stop):
                r, pos, acc, nacc = get_bits(buf, pos, payload_end, acc, nacc, width)
                dest[i] = lo + np.int64(r)
        pos = payload_end
    return pos


@numba.njit(cache=True, nogil=True)
def get_narrow_residuals(buf: np.ndarray, pos: int, end: int, dest: np.ndarray, lo: np.int64, width: int) -> None:
    """Unpack len(dest) residuals of width <= 32 bits from buf[pos:end] into dest (+ lo), refilling
    four bytes at a time."""
    acc = U64(0)
    nacc = U64(0)
    w = U64(width)
    mask = (U64(1) << w) - U64(1)
    for i in range(len(dest)):
        if nacc < w:
            if pos + 4 <= end:
                word = U64(buf[pos]) | (U64(buf[pos + 1]) << U64(8))
                word |= (U64(buf[pos + 2]) << U64(16)) | (U64(buf[pos + 3]) << U64(24))
                acc |= word << nacc
                nacc += U64(32)
                pos += 4
            else:
                while nacc < w:
                    acc |= U64(buf[pos]) << nacc
                    nacc += U64(8)
                    pos += 1
        dest[i] = lo + np.int64(acc & mask)
        acc >>= w
        nacc -= w


@numba.njit(cache=True, nogil=True)
def get_int_stream(buf: np.ndarray, pos: int, end: int, dest: np.ndarray) -> int:
    """Decode len(dest) integers into dest; return the end position or a negative status."""
    n = len(dest)
    if pos >= end:
        return ERR_TRUNCATED
    params = int(buf[pos])
    order = params & 3
    code = (params >> 2) & 7
    if order > MAX_ORDER or code > MAX_FRAME_CODE or params > (HAS_PATCHES | HAS_GCD | 0x1F):
        return ERR_BAD_FIELD
    g = U64(1)
    pos += 1
    if params & HAS_GCD:
        g, pos = get_uvarint(buf, pos, end)
        if pos < 0:
            return pos
    stored = min(order, n)
    first = np.int64(0)
    step = np.int64(0)
    for level in range(stored):
        h, pos = get_uvarint(buf, pos, end)
        if pos < 0:
            return pos
        if level == 0:
            first = unzigzag(h)
        else:
            step = unzigzag(h)
    residuals = dest[stored:]
    pos = get_frames(buf, pos, end, residuals, 8 << code)
    if pos < 0:
        return pos
    gi = np.int64(g)
    if gi != 1:
        for i in range(len(residuals)):
            residuals[i] = residuals[i] * gi
    if params & HAS_PATCHES:
        pos = get_patches(buf, pos, end, residuals)
        if pos < 0:
            return pos
    integrate(dest, stored, first, step)
    return pos


@numba.njit(cache=True, nogil=True)
def integrate(dest: np.ndarray, stored: int, first: np.int64, step: np.int64) -> None:
    """Undo `differences` in place: dest[stored:] holds the stored-th differences."""
    n = len(dest)
    if stored == 1:
        acc = first
        dest[0] = acc
        for i in range(1, n):
            acc += dest[i]
            dest[i] = acc
    elif stored == 2:
        value = first
        dest[0] = value
        value += step
        dest[1] = value
        for i in range(2, n):
            step += dest[i]
            value += step
            dest[i] = value
