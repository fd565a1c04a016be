"""Remote-write 1.0 bodies (snappy-compressed `WriteRequest` protobufs) to and from columnar samples."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

import cramjam
import numpy as np
import numpy.typing as npt

from ember.errors import BadDataError
from ember.model.labels import Labels
from ember.remote import proto_kernels

MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024
_STATUS_TEXT = {
    proto_kernels.TRUNCATED: "unexpected end of message",
    proto_kernels.BAD_WIRE_TYPE: "illegal wire type",
    proto_kernels.BAD_VARINT: "varint overflow",
}


@dataclass(frozen=True)
class DecodedWrite:
    series: list[Labels]
    sample_offsets: npt.NDArray[np.int64]  # series i owns samples [offsets[i], offsets[i+1])
    timestamps: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]

    @property
    def series_index(self) -> npt.NDArray[np.int32]:
        return _series_index(self.sample_offsets)


@dataclass(frozen=True)
class WriteColumns:
    """A decoded request before its label sets are built: a receiver that already knows a series by its
    key (two hashes of its encoded label fields; equal keys, equal label sets) need not build them."""

    payload: bytes
    label_offsets: npt.NDArray[np.int64]  # series i owns labels [offsets[i], offsets[i+1])
    label_spans: npt.NDArray[np.int64]  # per label: name start, name end, value start, value end
    sample_offsets: npt.NDArray[np.int64]
    timestamps: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]
    key_first: npt.NDArray[np.uint64]
    key_second: npt.NDArray[np.uint64]

    @property
    def num_series(self) -> int:
        return len(self.sample_offsets) - 1

    @property
    def series_index(self) -> npt.NDArray[np.int32]:
        return _series_index(self.sample_offsets)

    def labels(self, cache: LabelsCache | None = None) -> list[Labels]:
        """The label set of every series, built from the payload (or found in `cache` by key)."""
        offsets = self.label_offsets.tolist()
        if cache is None:
            bounds = self.label_spans.reshape(-1, 4).tolist()
            return [_labels_of(self.payload, bounds[offsets[i]:offsets[i + 1]]) for i in range(len(offsets) - 1)]
        first, second = self.key_first.tolist(), self.key_second.tolist()
        found = cache.lookup(first, second)
        missing = [i for i, labels in enumerate(found) if labels is None]  # `None in` would call Labels.__eq__
        if missing:
            bounds = self.label_spans.reshape(-1, 4).tolist()
            for i in missing:
                found[i] = fresh = _labels_of(self.payload, bounds[offsets[i]:offsets[i + 1]])
                cache.put(first[i], second[i], fresh)
        return found  # type: ignore[return-value]  # no None left


def _series_index(sample_offsets: npt.NDArray[np.int64]) -> npt.NDArray[np.int32]:
    return np.repeat(np.arange(len(sample_offsets) - 1, dtype=np.int32), np.diff(sample_offsets))


def decompress(body: bytes) -> bytes:
    """Snappy block format, as remote write uses it; garbage is a clear error, not a crash."""
    try:
        length = _uncompressed_length(body)
        if length > MAX_DECOMPRESSED_BYTES:
            raise BadDataError(f"snappy: decoded length {length} exceeds the limit of {MAX_DECOMPRESSED_BYTES}")
        return bytes(cramjam.snappy.decompress_raw(body))
    except cramjam.DecompressionError as exc:
        raise BadDataError(f"snappy: corrupt input ({exc})") from None


def _uncompressed_length(body: bytes) -> int:
    length, shift = 0, 0
    for byte in body[:10]:
        length |= (byte & 0x7F) << shift
        if byte < 0x80:
            return length
        shift += 7
    raise BadDataError("snappy: corrupt input")


class LabelsCache:
    """Hashes of a series' encoded label bytes -> Labels: a remote-write client sends the same series in
    every request, so after the first one a series costs one dict look-up instead of decoding and sorting
    its labels. Two independent 64-bit hashes must both match."""

    def __init__(self, max_entries: int = 1_000_000) -> None:
        self._entries: dict[int, tuple[int, Labels]] = {}
        self._max = max_entries

    def lookup(self, first: list[int], second: list[int]) -> list[Labels | None]:
        get = self._entries.get
        found = [get(h) for h in first]
        return [e[1] if e is not None and e[0] == h else None for e, h in zip(found, second, strict=True)]

    def put(self, first: int, second: int, labels: Labels) -> None:
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[first] = (second, labels)


def _labels_of(payload: bytes, bounds: list[list[int]]) -> Labels:
    pairs = []
    for name_start, name_end, value_start, value_end in bounds:
        try:
            name = payload[name_start:name_end].decode("utf-8")
            value = payload[value_start:value_end].decode("utf-8")
        except UnicodeDecodeError:
            raise BadDataError("proto: label is not valid UTF-8") from None
        pairs.append((name, value))
    try:
        return Labels(pairs)
    except ValueError as exc:
        raise BadDataError(f"invalid labels: {exc}") from None


def decode_columns(payload: bytes) -> WriteColumns:
    """The columns of a WriteRequest's protobuf bytes; malformed input is a BadDataError."""
    buf = np.frombuffer(payload, dtype=np.uint8)
    status, position, label_offsets, spans, sample_offsets, timestamps, bits, first, second = \
        proto_kernels.decode_write_request(buf)
    if status != proto_kernels.OK:
        raise BadDataError(f"proto: {_STATUS_TEXT.get(status, 'malformed message')} at byte {position}")
    values = bits.view(np.float64)  # bit for bit: staleness NaN, -0.0 and NaN payloads survive
    return WriteColumns(payload, label_offsets, spans, sample_offsets, timestamps, values, first, second)


def decode_write_request(payload: bytes, cache: LabelsCache | None = None) -> DecodedWrite:
    columns = decode_columns(payload)
    return DecodedWrite(columns.labels(cache), columns.sample_offsets, columns.timestamps, columns.values)


def decode_body(body: bytes, cache: LabelsCache | None = None) -> DecodedWrite:
    return decode_write_request(decompress(body), cache)


def decode_body_columns(body: bytes) -> WriteColumns:
    return decode_columns(decompress(body))


# ------------------------------------------------------------------ encoding (sender, tests, benchmarks)
def encode_varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def encode_field(number: int, payload: bytes) -> bytes:
    return encode_varint(number << 3 | 2) + encode_varint(len(payload)) + payload


def encode_write_request(series: Sequence[tuple[Labels, Sequence[int], Sequence[float]]]) -> bytes:
    """The protobuf bytes of a WriteRequest (uncompressed)."""
    out = bytearray()
    for labels, timestamps, values in series:
        body = bytearray()
        for name, value in labels:
            body += encode_field(1, encode_field(1, name.encode()) + encode_field(2, value.encode()))
        for t, v in zip(timestamps, values, strict=True):
            body += encode_field(2, b"\x09" + struct.pack("<d", v) + b"\x10" + encode_varint(int(t)))
        out += encode_field(1, bytes(body))
    return bytes(out)


def encode_body(series: Sequence[tuple[Labels, Sequence[int], Sequence[float]]]) -> bytes:
    return bytes(cramjam.snappy.compress_raw(encode_write_request(series)))
