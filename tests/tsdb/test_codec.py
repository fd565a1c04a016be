"""Tests of ember/tsdb/codec.py and its kernels: bit-exact round trips, byte-identical agreement with the
plain-Python reference in codec_reference.py, density properties, and clear errors on bad input."""

from __future__ import annotations

import contextlib

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.errors import BadDataError, CorruptionError
from ember.model.samples import STALE_NAN, STALE_NAN_BITS
from ember.tsdb import codec
from ember.tsdb import codec_column_kernels as column_kernels
from ember.tsdb import codec_kernels as kernels
from tests.tsdb import codec_reference as reference

U64_MAX = (1 << 64) - 1
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
SPECIAL_BITS = [STALE_NAN_BITS, 0x7FF8000000000000, 0xFFF8000000000000, 0x7FF0000000000000,
                0xFFF0000000000000, 0x8000000000000000, 0x7FF0000000000001, 0xFFFFFFFFFFFFFFFF,
                0x0000000000000001, 0x7FEFFFFFFFFFFFFF]  # fmt: skip

# Per test, not a global profile: other modules' tests keep their own settings.
examples = settings(max_examples=150, deadline=None)


def from_bits(bits: list[int]) -> npt.NDArray[np.float64]:
    return np.array(bits, dtype=np.uint64).view(np.float64)


def assert_values_round_trip(values: npt.NDArray[np.float64]) -> bytes:
    encoded = codec.encode_values(values)
    decoded = codec.decode_values(encoded)
    assert decoded.dtype == np.float64
    np.testing.assert_array_equal(decoded.view(np.uint64), values.view(np.uint64))
    assert encoded == reference.encode_values(values.tolist()), "kernel and reference choose differently"
    assert reference.decode_values(encoded) == values.view(np.uint64).tolist()
    return encoded


def realistic_column(seed: int, n: int) -> npt.NDArray[np.float64]:
    """One Prometheus-like column: counter, decimal gauge, constant, CPU seconds, histogram, random."""
    rng = np.random.default_rng(seed)
    kind = seed % 6
    if kind == 0:
        values = np.cumsum(rng.poisson(rng.lognormal(0, 2) * 15, n)).astype(np.float64)
        if n > 10:
            values[n // 2 :] -= values[n // 2]  # a counter reset
    elif kind == 1:
        values = np.round(rng.normal(0, 3, n).cumsum() + 100, int(rng.integers(1, 4)))
    elif kind == 2:
        values = np.full(n, rng.choice([0.0, 1.0, 1.5e9]))
    elif kind == 3:
        values = np.round(12345.67 + np.cumsum(rng.uniform(0, 0.5, n)), 2)
    elif kind == 4:
        values = np.cumsum(rng.binomial(rng.poisson(30, n), 0.1)).astype(np.float64)
    else:
        values = rng.random(n) * 1000
    return values


@examples
@given(st.lists(st.integers(0, U64_MAX), max_size=80))
def test_any_bit_patterns_round_trip(bits: list[int]) -> None:
    assert_values_round_trip(from_bits(bits))


@examples
@given(st.lists(st.sampled_from(SPECIAL_BITS) | st.integers(0, U64_MAX), max_size=80))
def test_special_bit_patterns_round_trip(bits: list[int]) -> None:
    assert_values_round_trip(from_bits(bits))


@examples
@given(st.integers(0, 10_000), st.integers(1, 300))
def test_realistic_columns_round_trip(seed: int, n: int) -> None:
    assert_values_round_trip(realistic_column(seed, n))


@examples
@given(
    st.integers(0, 10_000),
    st.lists(st.tuples(st.integers(0, 119), st.sampled_from(SPECIAL_BITS) | st.integers(0, U64_MAX)),
             max_size=6),
)  # fmt: skip
def test_columns_with_odd_values_round_trip(seed: int, odd: list[tuple[int, int]]) -> None:
    bits = realistic_column(seed, 120).view(np.uint64).copy()
    for position, pattern in odd:
        bits[position] = pattern
    assert_values_round_trip(bits.view(np.float64))


@examples
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True), max_size=60))
def test_arbitrary_floats_round_trip(values: list[float]) -> None:
    assert_values_round_trip(np.array(values, dtype=np.float64))


def test_stale_markers_keep_a_counter_on_the_integer_path() -> None:
    values = np.cumsum(np.arange(120, dtype=np.float64) % 7)
    values[[5, 60, 119]] = STALE_NAN
    encoded = assert_values_round_trip(values)
    assert encoded[0] == reference.KIND_SCALED
    assert len(encoded) < 120  # well under a byte a sample, stale markers included
    assert codec.decode_values(encoded).view(np.uint64)[60] == STALE_NAN_BITS


def test_constant_column_costs_a_few_bytes() -> None:
    for value in (0.0, 1.0, -0.0, STALE_NAN, 1.5e9):
        encoded = assert_values_round_trip(np.full(480, value))
        assert len(encoded) <= 12


def test_decimal_gauge_uses_the_smallest_scale() -> None:
    values = np.round(np.linspace(0, 50, 120), 2)
    encoded = assert_values_round_trip(values)
    assert encoded[0] == reference.KIND_SCALED and encoded[2] == 2


@examples
@given(st.lists(st.integers(INT64_MIN, INT64_MAX), max_size=80))
def test_any_timestamps_round_trip(ts: list[int]) -> None:
    arr = np.array(ts, dtype=np.int64)
    encoded = codec.encode_timestamps(arr)
    np.testing.assert_array_equal(codec.decode_timestamps(encoded), arr)
    assert encoded == reference.encode_timestamps(ts)
    assert reference.decode_timestamps(encoded) == ts


@examples
@given(st.integers(-(10**13), 10**13), st.integers(1, 100_000), st.integers(0, 20), st.integers(1, 500))
def test_jittered_timestamps_round_trip(start: int, step: int, jitter: int, n: int) -> None:
    rng = np.random.default_rng(start & 0xFFFF)
    arr = start + step * np.arange(n, dtype=np.int64) + rng.integers(-jitter, jitter + 1, n)
    encoded = codec.encode_timestamps(arr)
    np.testing.assert_array_equal(codec.decode_timestamps(encoded), arr)
    assert encoded == reference.encode_timestamps(arr.tolist())


def test_constant_interval_costs_about_nothing_per_sample() -> None:
    arr = 1_700_000_000_000 + 15_000 * np.arange(480, dtype=np.int64)
    encoded = codec.encode_timestamps(arr)
    np.testing.assert_array_equal(codec.decode_timestamps(encoded), arr)
    assert len(encoded) <= 16


def test_extreme_timestamps_round_trip() -> None:
    arr = np.array([INT64_MAX, INT64_MIN, 0, -1, INT64_MAX, INT64_MIN + 1, 1], dtype=np.int64)
    np.testing.assert_array_equal(codec.decode_timestamps(codec.encode_timestamps(arr)), arr)


@examples
@given(st.lists(st.integers(0, 10_000), min_size=0, max_size=12), st.integers(0, 40))
def test_many_matches_single_columns(seeds: list[int], gap: int) -> None:
    columns = [realistic_column(seed, seed % 200) for seed in seeds]
    values = np.concatenate([np.empty(0), *columns])
    offsets = np.cumsum([0] + [len(c) for c in columns]).astype(np.int64)
    buf, ends = codec.encode_values_many(values, offsets)
    for i, column in enumerate(columns):
        assert buf[ends[i] : ends[i + 1]].tobytes() == codec.encode_values(column)
    # Store the columns apart, with filler between them, as a block file would.
    pieces, starts, stops, at = [], [], [], 0
    for i in range(len(columns)):
        piece = np.concatenate([np.full(gap, 0xAB, dtype=np.uint8), buf[ends[i] : ends[i + 1]]])
        starts.append(at + gap)
        at += len(piece)
        stops.append(at)
        pieces.append(piece)
    stored = np.concatenate([np.empty(0, dtype=np.uint8), *pieces])
    decoded, decoded_offsets = codec.decode_values_many(
        stored, np.array(starts, dtype=np.int64), np.array(stops, dtype=np.int64)
    )
    np.testing.assert_array_equal(decoded_offsets, offsets)
    np.testing.assert_array_equal(decoded.view(np.uint64), values.view(np.uint64))


@examples
@given(st.lists(st.lists(st.integers(INT64_MIN, INT64_MAX), max_size=30), max_size=8))
def test_timestamps_many_matches_single_columns(columns: list[list[int]]) -> None:
    flat = np.array([t for column in columns for t in column], dtype=np.int64)
    offsets = np.cumsum([0] + [len(c) for c in columns]).astype(np.int64)
    buf, ends = codec.encode_timestamps_many(flat, offsets)
    decoded, decoded_offsets = codec.decode_timestamps_many(buf, ends[:-1], ends[1:])
    np.testing.assert_array_equal(decoded_offsets, offsets)
    np.testing.assert_array_equal(decoded, flat)


def test_decode_accepts_bytes_memoryview_and_arrays() -> None:
    values = realistic_column(3, 50)
    encoded = codec.encode_values(values)
    for form in (encoded, memoryview(encoded), bytearray(encoded), np.frombuffer(encoded, dtype=np.uint8)):
        np.testing.assert_array_equal(codec.decode_values(form), values)


def valid_encodings() -> list[bytes]:
    columns = [realistic_column(seed, 60) for seed in range(6)]
    columns.append(from_bits([STALE_NAN_BITS, 5, 0x7FF8000000000000, 1 << 62]))
    encoded = [codec.encode_values(column) for column in columns]
    assert {e[0] for e in encoded} >= {reference.KIND_CONST, reference.KIND_SCALED}
    return encoded


def test_every_truncation_is_a_corruption_error() -> None:
    for encoded in [*valid_encodings(), codec.encode_timestamps(np.arange(100, dtype=np.int64) ** 2)]:
        decode = codec.decode_timestamps if encoded[0] == reference.KIND_TIMESTAMPS else codec.decode_values
        for length in range(len(encoded)):
            with pytest.raises(CorruptionError):
                decode(encoded[:length])
        with pytest.raises(CorruptionError):
            decode(encoded + b"\x00")


@examples
@given(st.data())
def test_random_corruption_never_crashes(data: st.DataObject) -> None:
    encodings = valid_encodings()
    encoded = bytearray(data.draw(st.sampled_from(encodings)))
    for _ in range(data.draw(st.integers(1, 4))):
        encoded[data.draw(st.integers(0, len(encoded) - 1))] = data.draw(st.integers(0, 255))
    try:
        decoded = codec.decode_values(bytes(encoded))
    except CorruptionError:
        return
    assert decoded.dtype == np.float64


@examples
@given(st.binary(max_size=64))
def test_random_bytes_never_crash(blob: bytes) -> None:
    for decode in (codec.decode_values, codec.decode_timestamps):
        with contextlib.suppress(CorruptionError):
            decode(blob)


def test_a_value_column_is_not_a_timestamp_column() -> None:
    with pytest.raises(CorruptionError, match="unexpected column encoding"):
        codec.decode_timestamps(codec.encode_values(np.arange(5.0)))
    with pytest.raises(CorruptionError):
        codec.decode_values(codec.encode_timestamps(np.arange(5)))


@pytest.mark.parametrize(
    "bad",
    [np.zeros((2, 2)), np.array(["a", "b"]), np.array([1, 2], dtype=np.uint64), np.array([1 + 2j])],
)
def test_bad_value_arrays_are_bad_data(bad: npt.NDArray[np.generic]) -> None:
    with pytest.raises(BadDataError):
        codec.encode_values(bad)  # type: ignore[arg-type]


def test_bad_timestamps_and_offsets_are_bad_data() -> None:
    with pytest.raises(BadDataError):
        codec.encode_timestamps(np.array([1.5, 2.5]))  # type: ignore[arg-type]
    with pytest.raises(BadDataError):
        codec.encode_values_many(np.zeros(4), np.array([0, 3, 2, 4]))
    with pytest.raises(BadDataError):
        codec.encode_values_many(np.zeros(4), np.array([0, 3]))
    buf = np.frombuffer(codec.encode_values(np.zeros(3)), dtype=np.uint8)
    with pytest.raises(BadDataError):
        codec.decode_values_many(buf, np.array([0]), np.array([len(buf) + 1]))
    with pytest.raises(BadDataError):
        codec.decode_values_many(buf, np.array([0, 1]), np.array([len(buf)]))
    with pytest.raises(BadDataError):
        codec.decode_values("not bytes")  # type: ignore[arg-type]


def test_int_encoded_values_accept_safe_casts() -> None:
    np.testing.assert_array_equal(codec.decode_values(codec.encode_values(np.arange(5, dtype=np.int32))),
                                  np.arange(5.0))  # fmt: skip


@examples
@given(st.integers(0, U64_MAX))
def test_bit_primitives_match_python_integers(x: int) -> None:
    u = np.uint64(x)
    assert kernels.bit_length(u) == x.bit_length()
    signed = reference.signed(x)
    assert int(kernels.zigzag(np.int64(signed))) == reference.zigzag(signed)
    assert int(kernels.unzigzag(u)) == reference.unzigzag(x)
    assert kernels.uvarint_len(u) == len(reference.uvarint(x))


def test_warm_up_compiles_every_entry_kernel() -> None:
    codec.warm_up()
    assert column_kernels.encode_values_many.signatures
    assert column_kernels.encode_timestamps_many.signatures
    read_only = {signature[0].mutable for signature in column_kernels.decode_many.signatures}
    assert read_only == {True, False}  # buffers from bytes (read-only) and from writable arrays


def encode_with(kind: int, values: npt.NDArray[np.float64]) -> bytes:
    """Encode with one given kind through its kernel, bypassing the choice."""
    bits = values.view(np.uint64)
    n = len(values)
    out = np.zeros(32 * n + 64, dtype=np.uint8)
    ints, work = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    lows, highs = np.zeros(n // 8 + 1, dtype=np.int64), np.zeros(n // 8 + 1, dtype=np.int64)
    heads = np.zeros(2, dtype=np.int64)
    if kind == reference.KIND_XOR:
        end = column_kernels.put_xor(out, 0, bits, n, 16 * n)
    elif kind == reference.KIND_FLOAT_BITS:
        ints[:] = bits.view(np.int64)
        order, code, patched, _ = kernels.plan_int_stream(ints, n, work, heads, lows, highs)
        end = column_kernels.put_header(out, 0, kind, n)
        end = kernels.put_int_stream(out, end, ints, n, order, code, patched, work, heads)
    else:
        end = column_kernels.put_raw(out, 0, bits, n)
    return out[:end].tobytes()


@pytest.mark.parametrize("kind", [reference.KIND_XOR, reference.KIND_FLOAT_BITS, reference.KIND_RAW])
@examples
@given(bits=st.lists(st.sampled_from(SPECIAL_BITS) | st.integers(0, U64_MAX), min_size=1, max_size=60))
def test_each_float_kind_matches_the_reference(kind: int, bits: list[int]) -> None:
    values = from_bits(bits)
    encoded = encode_with(kind, values)
    if kind == reference.KIND_XOR:
        assert encoded == reference.encode_xor(bits)
    elif kind == reference.KIND_FLOAT_BITS:
        signed = [reference.signed(b) for b in bits]
        assert encoded == bytes([kind]) + reference.uvarint(len(bits)) + reference.encode_int_stream(signed)
    assert reference.decode_values(encoded) == bits
    np.testing.assert_array_equal(codec.decode_values(encoded).view(np.uint64), values.view(np.uint64))


@examples
@given(st.integers(0, 1000), st.integers(2, 200))
def test_smooth_floats_round_trip_through_each_kind(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    values = np.sin(np.arange(n) / rng.uniform(5, 50)) * rng.lognormal(0, 3)
    for kind in (reference.KIND_XOR, reference.KIND_FLOAT_BITS):
        encoded = encode_with(kind, values)
        np.testing.assert_array_equal(codec.decode_values(encoded).view(np.uint64), values.view(np.uint64))
    assert_values_round_trip(values)


def test_read_only_and_unaligned_inputs() -> None:
    values = realistic_column(0, 100)
    raw = b"\x00" + values.tobytes()
    unaligned = np.frombuffer(raw, dtype=np.float64, offset=1)  # read-only and misaligned
    encoded = codec.encode_values(unaligned)
    assert encoded == codec.encode_values(values)
    stored = np.frombuffer(b"\x07" + encoded, dtype=np.uint8)  # read-only, column at offset 1
    starts, ends = np.array([1], dtype=np.int64), np.array([len(stored)], dtype=np.int64)
    starts.flags.writeable = False
    decoded, offsets = codec.decode_values_many(stored, starts, ends)
    np.testing.assert_array_equal(decoded, values)
    np.testing.assert_array_equal(offsets, [0, 100])


def test_sample_count_limits() -> None:
    too_many = np.zeros(codec.MAX_VALUE_SAMPLES + 1)
    with pytest.raises(BadDataError, match="at most"):
        codec.encode_values_many(too_many, np.array([0, len(too_many)], dtype=np.int64))
    # A CONST header claiming more samples than any value column may hold is corrupt, not a huge array.
    claim = bytes([reference.KIND_CONST]) + reference.uvarint(codec.MAX_VALUE_SAMPLES + 1) + b"\x00"
    with pytest.raises(CorruptionError, match="more samples"):
        codec.decode_values(claim)
    claim = bytes([reference.KIND_SCALED]) + reference.uvarint(10_000) + b"\x00\x00"
    with pytest.raises(CorruptionError, match="more samples"):
        codec.decode_values(claim)


def test_a_counter_reset_costs_a_patch_not_a_wide_frame() -> None:
    steps = np.random.default_rng(7).poisson(40, 240).astype(np.float64)
    smooth = 5e6 + np.cumsum(steps)
    reset = smooth.copy()
    reset[100:] -= reset[100]  # the process restarted: the counter starts again from zero
    encoded = assert_values_round_trip(reset)
    params = encoded[4]  # kind, count (2 bytes: 240), scale byte, then the integer stream's params
    assert params & kernels.HAS_PATCHES
    assert len(encoded) <= len(codec.encode_values(smooth)) + 8


@examples
@given(
    st.lists(st.integers(0, 1 << 40), min_size=1, max_size=200),
    st.lists(st.integers(0, 199), max_size=5),
    st.integers(1, 1000),
)
def test_integer_streams_with_resets_match_the_reference(steps: list[int], resets: list[int], unit: int) -> None:
    ints = np.cumsum(np.array(steps, dtype=np.int64) * unit)
    for at in resets:
        if at < len(ints):
            ints[at:] -= ints[at]  # drops to zero: negative first differences, patched when few
    encoded = codec.encode_timestamps(ints)
    np.testing.assert_array_equal(codec.decode_timestamps(encoded), ints)
    assert encoded == reference.encode_timestamps(ints.tolist())
    assert reference.decode_timestamps(encoded) == ints.tolist()


def test_values_are_verified_at_the_scale_the_column_uses() -> None:
    # 0.5 needs k=1; the second value is exact at k=0 but 10x it passes 2**53 and would round.
    values = np.array([0.5, 1801439850948199.0, 2.5, 7.5] * 8)
    encoded = assert_values_round_trip(values)
    assert encoded[0] == reference.KIND_SCALED
