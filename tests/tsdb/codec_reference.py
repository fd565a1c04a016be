"""Plain-Python reference implementation of Ember's column codec format, for the kernel property tests.

Written from the format description in `ember/tsdb/codec_column_kernels.py`, with Python integers
(arithmetic reduced modulo 2**64 where the kernels wrap). The encoder makes the same choices as the
kernels, so the two must produce identical bytes; the decoder reads any valid encoding.
"""

from __future__ import annotations

import itertools
import math
import struct

MASK64 = (1 << 64) - 1
KIND_RAW, KIND_CONST, KIND_SCALED, KIND_XOR, KIND_FLOAT_BITS, KIND_TIMESTAMPS = 0, 1, 2, 3, 4, 8
MAX_SCALE = 9
NEVER, SPECIAL = 10, 11
SPECIALS = [0, 0x7FF0000000000002, 0x7FF8000000000000, 0x7FF0000000000000, 0xFFF0000000000000,
            0x8000000000000000, 0xFFF8000000000000]  # fmt: skip


def signed(x: int) -> int:
    x &= MASK64
    return x - (1 << 64) if x >> 63 else x


def zigzag(x: int) -> int:
    x = signed(x)
    return ((x << 1) ^ (x >> 63)) & MASK64


def unzigzag(u: int) -> int:
    return (u >> 1) ^ -(u & 1)


def uvarint(x: int) -> bytes:
    out = bytearray()
    while x >= 0x80:
        out.append((x & 0x7F) | 0x80)
        x >>= 7
    out.append(x)
    return bytes(out)


def float_bits(v: float) -> int:
    return int(struct.unpack("<Q", struct.pack("<d", v))[0])


def bits_float(b: int) -> float:
    return float(struct.unpack("<d", struct.pack("<Q", b))[0])


class BitWriter:
    def __init__(self) -> None:
        self.acc = 0
        self.nbits = 0

    def put(self, value: int, width: int) -> None:
        self.acc |= (value & ((1 << width) - 1)) << self.nbits
        self.nbits += width

    def to_bytes(self) -> bytes:
        return self.acc.to_bytes((self.nbits + 7) // 8, "little")


class Reader:
    def __init__(self, buf: bytes) -> None:
        self.buf = buf
        self.pos = 0
        self.acc = 0
        self.nbits = 0

    def byte(self) -> int:
        b = self.buf[self.pos]
        self.pos += 1
        return b

    def uvarint(self) -> int:
        x, shift = 0, 0
        while True:
            b = self.byte()
            x |= (b & 0x7F) << shift
            if b < 0x80:
                return x
            shift += 7

    def bits(self, width: int) -> int:
        while self.nbits < width:
            self.acc |= self.byte() << self.nbits
            self.nbits += 8
        value = self.acc & ((1 << width) - 1)
        self.acc >>= width
        self.nbits -= width
        return value

    def align(self) -> None:
        self.acc = self.nbits = 0


# --- integer stream ---------------------------------------------------------------------------------


def differences(ints: list[int], order: int) -> tuple[list[int], list[int]]:
    seq = list(ints)
    heads = []
    for level in range(min(order, len(ints))):
        heads.append(seq[level])
        seq = seq[: level + 1] + [signed(seq[i] - seq[i - 1]) for i in range(level + 1, len(seq))]
    return heads, seq[len(heads) :]


def patchable(residuals: list[int]) -> bool:
    """Whether the first differences have 1 to 1 + m // 32 negative values (counter resets)."""
    negatives = sum(x < 0 for x in residuals)
    return 0 < negatives <= 1 + len(residuals) // 32


def encode_int_stream_with(ints: list[int], order: int, code: int, patched: bool = False) -> bytes:
    heads, residuals = differences(ints, order)
    patches = bytearray()
    if patched:
        patches += uvarint(sum(x < 0 for x in residuals))
        filler, last = next((x for x in residuals if x >= 0), 0), -1
        for i, x in enumerate(residuals):
            if x < 0:
                patches += uvarint(i - last - 1) + uvarint(zigzag(x))
                residuals[i], last = filler, i
            filler = residuals[i]
    g = 0
    for x in residuals:
        g = math.gcd(g, abs(x))
    if g <= 1 or g > 1 << 62:
        g = 1
    residuals = [x // g for x in residuals]
    params = order | (code << 2) | (0x40 if patched else 0)
    out = bytearray([params]) if g == 1 else bytearray([params | 0x20]) + uvarint(g)
    for head in heads:
        out += uvarint(zigzag(head))
    frame, prev = 8 << code, 0
    for start in range(0, len(residuals), frame):
        chunk = residuals[start : start + frame]
        lo = min(chunk)
        width = (max(chunk) - lo).bit_length()
        out += bytes([width | 0x80]) if lo == prev else bytes([width]) + uvarint(zigzag(lo - prev))
        prev = lo
        writer = BitWriter()
        for x in chunk:
            writer.put(x - lo, width)
        out += writer.to_bytes()
    return bytes(out + patches)


def encode_int_stream(ints: list[int]) -> bytes:
    """The smallest stream over orders 0-2, frame codes 0-5 and (order 1) patching, the first on ties."""
    best = b""
    for order in range(min(2, max(len(ints) - 1, 0)) + 1):
        for patched in (False, True):
            if patched and (order != 1 or not patchable(differences(ints, 1)[1])):
                break
            for code in range(6):
                candidate = encode_int_stream_with(ints, order, code, patched)
                if not best or len(candidate) < len(best):
                    best = candidate
    return best


def decode_int_stream(reader: Reader, n: int) -> list[int]:
    params = reader.byte()
    order, frame = params & 3, 8 << ((params >> 2) & 7)
    g = reader.uvarint() if params & 0x20 else 1
    heads = [unzigzag(reader.uvarint()) for _ in range(min(order, n))]
    residuals: list[int] = []
    prev = 0
    while len(residuals) < n - len(heads):
        count = min(frame, n - len(heads) - len(residuals))
        header = reader.byte()
        lo = prev if header & 0x80 else prev + unzigzag(reader.uvarint())
        prev = lo
        reader.align()
        residuals += [lo + reader.bits(header & 0x7F) for _ in range(count)]
        reader.align()
    values = [x * g for x in residuals]
    if params & 0x40:
        last = -1
        for _ in range(reader.uvarint()):
            last += 1 + reader.uvarint()
            values[last] = unzigzag(reader.uvarint())
    if len(heads) == 1:
        values = [heads[0] + sum(values[:i]) for i in range(len(values) + 1)]
    elif len(heads) == 2:
        steps = [heads[1] + sum(values[:i]) for i in range(len(values) + 1)]
        values = [heads[0] + sum(steps[:i]) for i in range(len(steps) + 1)]
    return [signed(x) for x in values]


# --- value columns ----------------------------------------------------------------------------------


def min_scale(v: float, bits: int) -> int:
    if not math.isfinite(v) or bits == 0x8000000000000000:
        return SPECIAL
    for k in range(MAX_SCALE + 1):
        scaled = v * 10.0**k
        if abs(scaled) >= 2.0**53:
            break
        if float(round(scaled)) / 10.0**k == v:
            return k
    return NEVER


def fits_scale(v: float, k: int) -> bool:
    scaled = v * 10.0**k
    return abs(scaled) < 2.0**53 and float(round(scaled)) / 10.0**k == v


def encode_scaled(values: list[float], bits: list[int], scales: list[int], k: int) -> bytes:
    regular = [i for i, s in enumerate(scales) if s <= k and fits_scale(values[i], k)]
    prev = round(values[regular[0]] * 10.0**k) if regular else 0
    ints, exceptions = [], bytearray()
    last = -1
    for i, v in enumerate(values):
        if i in regular:
            prev = round(v * 10.0**k)
        else:
            tag = SPECIALS.index(bits[i]) if bits[i] in SPECIALS[1:] else 0
            exceptions += uvarint(((i - last - 1) << 3) | tag)
            exceptions += struct.pack("<Q", bits[i]) if tag == 0 else b""
            last = i
        ints.append(prev)
    count = len(values) - len(regular)
    header = bytes([KIND_SCALED]) + uvarint(len(values)) + bytes([k | (0x80 if count else 0)])
    return header + encode_int_stream(ints) + (uvarint(count) + bytes(exceptions) if count else b"")


def encode_xor(bits: list[int]) -> bytes:
    writer = BitWriter()
    writer.put(bits[0], 64)
    lead_w, trail_w = -1, 0
    for prev, cur in itertools.pairwise(bits):
        x = prev ^ cur
        if x == 0:
            writer.put(0, 1)
            continue
        lead = 64 - x.bit_length()
        trail = (x & -x).bit_length() - 1
        meaningful = 64 - lead - trail
        window = 64 - lead_w - trail_w
        if lead_w >= 0 and lead >= lead_w and trail >= trail_w and window <= meaningful + 12:
            writer.put(1, 2)
            writer.put(x >> trail_w, window)
        else:
            writer.put(3 | (lead << 2) | ((meaningful - 1) << 8), 14)
            writer.put(x >> trail, meaningful)
            lead_w, trail_w = lead, trail
    return bytes([KIND_XOR]) + uvarint(len(bits)) + writer.to_bytes()


def encode_values(values: list[float]) -> bytes:
    bits = [float_bits(v) for v in values]
    n = len(values)
    if n == 0:
        return bytes([KIND_RAW, 0])
    if len(set(bits)) == 1:
        return bytes([KIND_CONST]) + uvarint(n) + uvarint(int.from_bytes(bits[0].to_bytes(8, "little"), "big"))
    best = bytes([KIND_RAW]) + uvarint(n) + b"".join(struct.pack("<Q", b) for b in bits)
    scales = [min_scale(v, b) for v, b in zip(values, bits, strict=True)]
    max_misses = n // 16
    if scales.count(NEVER) <= max_misses:
        finite = n - scales.count(SPECIAL)
        loose = next(k for k in range(MAX_SCALE + 1) if sum(s > k for s in scales) - (n - finite) <= max_misses)
        exact = next((k for k in range(MAX_SCALE + 1) if all(s <= k or s == SPECIAL for s in scales)), -1)
        for k in dict.fromkeys([exact, loose]):
            candidate = encode_scaled(values, bits, scales, k) if k >= 0 else best
            best = candidate if len(candidate) < len(best) else best
    if len(best) > 2 * n:
        as_integers = bytes([KIND_FLOAT_BITS]) + uvarint(n) + encode_int_stream([signed(b) for b in bits])
        for candidate in (as_integers, encode_xor(bits)):
            best = candidate if len(candidate) < len(best) else best
    return best


def decode_values(buf: bytes) -> list[int]:
    """The bit patterns of the decoded column."""
    reader = Reader(buf)
    kind, n = reader.byte(), reader.uvarint()
    if kind == KIND_RAW:
        out = [int.from_bytes(buf[reader.pos + 8 * i : reader.pos + 8 * i + 8], "little") for i in range(n)]
        reader.pos += 8 * n
    elif kind == KIND_CONST:
        out = [int.from_bytes(reader.uvarint().to_bytes(8, "big"), "little")] * n
    elif kind == KIND_SCALED:
        flags = reader.byte()
        k = flags & 0x7F
        out = [float_bits(float(i) / 10.0**k) for i in decode_int_stream(reader, n)]
        last = -1
        for _ in range(reader.uvarint() if flags & 0x80 else 0):
            entry = reader.uvarint()
            last += 1 + (entry >> 3)
            if entry & 7:
                out[last] = SPECIALS[entry & 7]
            else:
                out[last] = int.from_bytes(buf[reader.pos : reader.pos + 8], "little")
                reader.pos += 8
    elif kind == KIND_XOR:
        out = [reader.bits(64)]
        lead_w, trail_w = -1, 0
        for _ in range(n - 1):
            x = 0
            if reader.bits(1):
                if reader.bits(1):
                    lead_w = reader.bits(6)
                    trail_w = 64 - lead_w - (reader.bits(6) + 1)
                x = reader.bits(64 - lead_w - trail_w) << trail_w
            out.append(out[-1] ^ x)
        reader.align()
    else:
        assert kind == KIND_FLOAT_BITS
        out = [x & MASK64 for x in decode_int_stream(reader, n)]
    assert reader.pos == len(buf), "encoding has trailing bytes"
    return out


def encode_timestamps(ts: list[int]) -> bytes:
    header = bytes([KIND_TIMESTAMPS]) + uvarint(len(ts))
    return header + (encode_int_stream(ts) if ts else b"")


def decode_timestamps(buf: bytes) -> list[int]:
    reader = Reader(buf)
    assert reader.byte() == KIND_TIMESTAMPS
    n = reader.uvarint()
    out = decode_int_stream(reader, n) if n else []
    assert reader.pos == len(buf), "encoding has trailing bytes"
    return out
