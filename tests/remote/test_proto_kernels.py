"""The compiled WriteRequest reader against a plain-Python protobuf reader, on canonical and non-canonical
encodings (fields out of order, unknown fields, missing or repeated fields, long varints)."""

from __future__ import annotations

import struct

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.remote import proto_kernels
from ember.remote.write_codec import encode_field, encode_varint

Request = tuple[bytes, list[tuple[int, int]]]


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("overflow")


def _fields(buf: bytes) -> list[tuple[int, int, int, int, int]]:
    """(field, wire, start, end, tag position) of each field: the payload of a length-delimited field,
    the value's bytes of the others."""
    out, pos = [], 0
    while pos < len(buf):
        tag_at = pos
        key, pos = _varint(buf, pos)
        wire, start = key & 7, pos
        if wire == 0:
            _, pos = _varint(buf, pos)
        elif wire == 1:
            pos += 8
        elif wire == 2:
            length, start = _varint(buf, pos)
            pos = start + length
        elif wire == 5:
            pos += 4
        else:
            raise ValueError("wire type")
        if pos > len(buf):
            raise ValueError("truncated")
        out.append((key >> 3, wire, start, pos, tag_at))
    return out


def _signed(raw: int) -> int:
    return raw - (1 << 64) if raw >= 1 << 63 else raw


def reference_decode(buf: bytes) -> tuple[list[list[tuple[bytes, bytes]]], list[bytes], list[tuple[int, int]]]:
    """(label pairs per series, the bytes of its Label fields per series, (timestamp, value bits) per sample)."""
    series, label_bytes, samples = [], [], []
    for field, wire, start, end, _ in _fields(buf):
        if field != 1 or wire != 2:
            continue
        message = buf[start:end]
        pairs, encoded = [], b""
        for kind, kind_wire, a, b, tag_at in _fields(message):
            body = message[a:b]
            if kind == 1 and kind_wire == 2:
                name = value = b""
                for f, w, x, y, _ in _fields(body):
                    if w == 2 and f == 1:
                        name = body[x:y]
                    elif w == 2 and f == 2:
                        value = body[x:y]
                pairs.append((name, value))
                encoded += message[tag_at:b]
            elif kind == 2 and kind_wire == 2:
                stamp = value_bits = 0
                for f, w, x, y, _ in _fields(body):
                    if f == 1 and w == 1:
                        value_bits = struct.unpack("<Q", body[x:y])[0]
                    elif f == 2 and w == 0:
                        stamp = _signed(_varint(body, x)[0])
                samples.append((stamp, value_bits))
        series.append(pairs)
        label_bytes.append(encoded)
    return series, label_bytes, samples


texts = st.binary(max_size=12)
stamps = st.integers(-(2**63), 2**63 - 1)
words = st.integers(0, 2**64 - 1)


@st.composite
def sample_bytes(draw: st.DrawFn) -> tuple[bytes, int, int]:
    """A Sample, canonically or not: fields swapped, missing or repeated."""
    stamp, bits = draw(stamps), draw(words)
    value = b"\x09" + struct.pack("<Q", bits)
    time = b"\x10" + encode_varint(stamp)
    shape = draw(st.sampled_from(["canonical", "swapped", "no value", "no time", "value twice"]))
    if shape == "swapped":
        return time + value, stamp, bits
    if shape == "no value":
        return time, stamp, 0
    if shape == "no time":
        return value, 0, bits
    if shape == "value twice":
        return b"\x09" + struct.pack("<Q", draw(words)) + value + time, stamp, bits
    return value + time, stamp, bits


@st.composite
def label_bytes(draw: st.DrawFn) -> bytes:
    name, value = draw(texts), draw(texts)
    shape = draw(st.sampled_from(["canonical", "swapped", "unknown field", "long length"]))
    if shape == "swapped":
        return encode_field(2, value) + encode_field(1, name)
    if shape == "unknown field":
        return encode_field(1, name) + b"\x18\x05" + encode_field(2, value)
    if shape == "long length":  # a two-byte length where one would do
        return b"\x0a" + bytes([len(name) | 0x80, 0]) + name + encode_field(2, value)
    return encode_field(1, name) + encode_field(2, value)


@st.composite
def write_requests(draw: st.DrawFn) -> Request:
    """A WriteRequest's bytes, with the (timestamp, value bits) its samples must decode to."""
    out, expected = b"", []
    for _ in range(draw(st.integers(0, 4))):
        parts: list[tuple[bytes, tuple[int, int] | None]] = [
            (encode_field(1, encoded), None) for encoded in draw(st.lists(label_bytes(), max_size=3))
        ]
        parts += [(encode_field(2, encoded), (stamp, bits))
                  for encoded, stamp, bits in draw(st.lists(sample_bytes(), max_size=3))]
        if draw(st.booleans()):
            parts.append((b"\x1a\x02\x08\x01", None))  # an unknown length-delimited field (exemplar-like)
        parts = [parts[i] for i in draw(st.permutations(range(len(parts))))]
        out += encode_field(1, b"".join(p for p, _ in parts))
        expected += [sample for _, sample in parts if sample is not None]
    if draw(st.booleans()):
        out += b"\x1a\x02\x08\x01"  # metadata
    return out, expected


def _decode(payload: bytes) -> tuple:  # type: ignore[type-arg]
    return proto_kernels.decode_write_request(np.frombuffer(payload, dtype=np.uint8))  # type: ignore[no-any-return]


@given(write_requests())
@settings(max_examples=150, deadline=None)
def test_kernel_equals_the_reference_reader(request: Request) -> None:
    payload, expected_samples = request
    status, _, label_offsets, spans, sample_offsets, timestamps, bits, first, second = _decode(payload)
    assert status == proto_kernels.OK
    series, _, samples = reference_decode(payload)
    assert samples == expected_samples
    bounds = spans.reshape(-1, 4).tolist()
    decoded = [[(payload[a:b], payload[c:d]) for a, b, c, d in bounds[label_offsets[i]:label_offsets[i + 1]]]
               for i in range(len(label_offsets) - 1)]
    assert decoded == series
    assert list(zip(timestamps.tolist(), bits.tolist(), strict=True)) == samples
    assert len(sample_offsets) == len(series) + 1 and sample_offsets[-1] == len(samples)
    assert len(first) == len(second) == len(series)


@given(write_requests(), write_requests())
@settings(max_examples=100, deadline=None)
def test_equal_keys_exactly_when_the_encoded_labels_are_equal(one: Request, two: Request) -> None:
    fields_of_key: dict[tuple[int, int], bytes] = {}
    key_of_fields: dict[bytes, tuple[int, int]] = {}
    for payload, _ in (one, two, one):
        _, _, _, _, _, _, _, first, second = _decode(payload)
        _, encoded, _ = reference_decode(payload)
        for key, label_fields in zip(zip(first.tolist(), second.tolist(), strict=True), encoded, strict=True):
            assert fields_of_key.setdefault(key, label_fields) == label_fields
            assert key_of_fields.setdefault(label_fields, key) == key


def test_malformed_input_reports_a_status() -> None:
    payload = encode_field(1, encode_field(1, encode_field(1, b"a") + encode_field(2, b"b"))
                           + encode_field(2, b"\x09" + struct.pack("<d", 1.5) + b"\x10\x02"))
    assert _decode(payload)[0] == proto_kernels.OK
    for cut in range(1, len(payload)):
        assert _decode(payload[:cut])[0] == proto_kernels.TRUNCATED
    assert _decode(b"\x0b")[0] == proto_kernels.BAD_WIRE_TYPE
    assert _decode(b"\x08" + b"\xff" * 10 + b"\x01")[0] == proto_kernels.BAD_VARINT
