"""Round trips of every WAL record type, bit-exact, and rejection of malformed payloads."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ember.errors import CorruptionError
from ember.model.labels import Labels
from ember.model.samples import STALE_NAN, STALE_NAN_BITS
from ember.tsdb.wal_records import (
    HEADER_SIZE,
    SAMPLES,
    SERIES,
    FrameError,
    GroupSamplesFrame,
    GroupSamplesRecord,
    Record,
    SamplesRecord,
    SeriesRecord,
    SeriesSetRecord,
    TombstonesRecord,
    decode_record,
    encode_record,
    parse_frame,
    valid_prefix,
)

INT64 = st.integers(-(2**63), 2**63 - 1)
SIZES = st.integers(0, 40)
# Any 64-bit pattern as a float: NaN payloads, -0.0, infinities and the staleness marker.
FLOAT_BITS = st.one_of(st.integers(0, 2**64 - 1), st.just(STALE_NAN_BITS))
LABEL_TEXT = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=12)


def int64_arrays(size: int) -> st.SearchStrategy[np.ndarray]:  # type: ignore[type-arg]
    return hnp.arrays(np.int64, size, elements=INT64)


def float_arrays(size: int) -> st.SearchStrategy[np.ndarray]:  # type: ignore[type-arg]
    return hnp.arrays(np.uint64, size, elements=FLOAT_BITS).map(lambda a: a.view(np.float64))


labels_strategy = st.dictionaries(LABEL_TEXT, LABEL_TEXT, max_size=5).map(Labels.from_dict)


@st.composite
def records(draw: st.DrawFn) -> Record:
    kind = draw(st.sampled_from(["series", "set", "group", "samples", "tombstones"]))
    n = draw(SIZES)
    if kind == "series":
        return SeriesRecord(draw(int64_arrays(n)), draw(st.lists(labels_strategy, min_size=n, max_size=n)))
    if kind == "set":
        return SeriesSetRecord(draw(INT64), draw(int64_arrays(n)))
    if kind == "group":
        return GroupSamplesRecord(draw(INT64), draw(INT64), draw(float_arrays(n)))
    if kind == "samples":
        return SamplesRecord(draw(int64_arrays(n)), draw(int64_arrays(n)), draw(float_arrays(n)))
    return TombstonesRecord(draw(int64_arrays(n)), draw(int64_arrays(n)), draw(int64_arrays(n)))


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:  # type: ignore[type-arg]
    return a.dtype == b.dtype and a.shape == b.shape and bytes(a.tobytes()) == bytes(b.tobytes())


def assert_same_record(a: Record, b: Record) -> None:
    assert type(a) is type(b)
    for name, value in vars(a).items():
        other = getattr(b, name)
        if isinstance(value, np.ndarray):
            assert same_bits(np.ascontiguousarray(value), other), name
        else:
            assert value == other, name


def decode_framed(encoded: bytes) -> Record:
    record_type, payload, end = parse_frame(memoryview(encoded), 0)
    assert end == len(encoded)
    return decode_record(record_type, payload)


@settings(max_examples=150, deadline=None)
@given(records())
def test_every_record_round_trips_bit_exact(record: Record) -> None:
    assert_same_record(decode_framed(encode_record(record)), record)


def test_staleness_marker_and_nan_payloads_survive() -> None:
    bits = np.array([STALE_NAN_BITS, 0x7FF8000000000001, 0xFFF0000000000000, 0x8000000000000000], np.uint64)
    record = GroupSamplesRecord(7, 1_000, bits.view(np.float64))
    decoded = decode_framed(encode_record(record))
    assert isinstance(decoded, GroupSamplesRecord)
    assert decoded.values.view(np.uint64).tolist() == bits.tolist()
    assert np.isnan(STALE_NAN)


def test_decoded_arrays_are_writable_native_copies() -> None:
    encoded = encode_record(SamplesRecord(np.arange(3), np.arange(3) * 10, np.ones(3)))
    decoded = decode_framed(encoded)
    assert isinstance(decoded, SamplesRecord)
    decoded.values[0] = 5.0
    assert decoded.refs.dtype == np.int64 and decoded.refs.flags.writeable


def test_series_labels_with_multibyte_and_nul_text() -> None:
    labels = [
        Labels.from_strings("__name__", "temp_°C", "zone", "a\x00b"),
        Labels.from_strings("x", "😀" * 3),
    ]
    decoded = decode_framed(encode_record(SeriesRecord(np.array([4, 9]), labels)))
    assert isinstance(decoded, SeriesRecord)
    assert decoded.labels == labels


def test_mismatched_column_lengths_are_refused() -> None:
    with pytest.raises(ValueError):
        encode_record(SamplesRecord(np.arange(3), np.arange(2), np.ones(3)))
    with pytest.raises(ValueError):
        encode_record(SeriesRecord(np.arange(2), [Labels()]))


@pytest.mark.parametrize("record_type", [SERIES, SAMPLES, 99])
def test_malformed_payload_is_a_corruption_error(record_type: int) -> None:
    with pytest.raises(CorruptionError):
        decode_record(record_type, struct.pack("<Q", 1_000_000) + b"\x00" * 8)


@settings(max_examples=60, deadline=None)
@given(records(), st.data())
def test_any_flipped_bit_is_detected(record: Record, data: st.DataObject) -> None:
    encoded = bytearray(encode_record(record))
    bit = data.draw(st.integers(0, len(encoded) * 8 - 1))
    encoded[bit // 8] ^= 1 << (bit % 8)
    end, reason = valid_prefix(memoryview(bytes(encoded)))
    assert end == 0 and reason is not None


def test_valid_prefix_stops_at_torn_tail() -> None:
    first = encode_record(SeriesSetRecord(1, np.arange(4)))
    second = encode_record(GroupSamplesRecord(1, 5, np.arange(4, dtype=np.float64)))
    for cut in range(len(second)):
        end, reason = valid_prefix(memoryview(first + second[:cut]))
        assert end == len(first)
        assert (reason is None) == (cut == 0)
    assert valid_prefix(memoryview(first + second)) == (len(first) + len(second), None)


def test_parse_frame_reports_short_header() -> None:
    with pytest.raises(FrameError):
        parse_frame(memoryview(b"\x01" * (HEADER_SIZE - 1)), 0)


def test_a_reused_group_samples_frame_seals_the_bytes_of_each_rows_record() -> None:
    frame = GroupSamplesFrame(set_id=7, length=3)
    rows = [(1000, [1.5, STALE_NAN, -0.0]), (2000, [2.5, 3.5, float("inf")]), (-5, [0.0, 1e-300, 4.0])]
    for timestamp, values in rows:
        frame.values[:] = values
        sealed = bytes(frame.seal(timestamp))
        assert sealed == encode_record(GroupSamplesRecord(7, timestamp, np.array(values)))
        decoded = decode_record(*parse_frame(memoryview(sealed), 0)[:2])
        assert isinstance(decoded, GroupSamplesRecord) and decoded.timestamp == timestamp
        assert decoded.values.view(np.uint64).tolist() == np.array(values).view(np.uint64).tolist()
