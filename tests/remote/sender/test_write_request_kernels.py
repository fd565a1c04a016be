"""The compiled WriteRequest writer against the plain-Python reference encoder and the decoder."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.model import STALE_NAN_BITS
from ember.model.labels import Labels
from ember.remote.sender.series_labels import encode_label_fields
from ember.remote.sender.write_request_kernels import encode_write_request
from ember.remote.write_codec import decode_write_request
from ember.remote.write_codec import encode_write_request as reference_encode

value_bits = st.one_of(st.integers(0, 2**64 - 1), st.just(STALE_NAN_BITS), st.just(0x8000000000000000))
timestamps = st.integers(-(2**63), 2**63 - 1)


def encode(labels: list[Labels], runs: list[tuple[int, list[int], list[int]]]) -> bytes:
    encoded = [encode_label_fields(lab) for lab in labels]
    blob = np.frombuffer(b"".join(encoded) or b"\0", dtype=np.uint8)
    ends = np.cumsum([len(e) for e in encoded]).astype(np.int64)
    starts = ends - np.array([len(e) for e in encoded], dtype=np.int64)
    bounds = np.cumsum([0] + [len(r[1]) for r in runs]).astype(np.int64)
    stamps = np.array([t for r in runs for t in r[1]], dtype=np.int64)
    values = np.array([b for r in runs for b in r[2]], dtype=np.uint64).view(np.float64)
    out = encode_write_request(blob, starts, ends, np.array([r[0] for r in runs], dtype=np.int64), bounds,
                               stamps, values)
    return out.tobytes()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(timestamps, value_bits), max_size=5), min_size=1, max_size=4))
def test_equals_the_reference_encoder_bit_for_bit(samples_per_series: list[list[tuple[int, int]]]) -> None:
    labels = [Labels.from_strings("__name__", "m", "i", str(i), "ü", "ß" * i) for i in range(len(samples_per_series))]
    runs = [(i, [t for t, _ in s], [b for _, b in s]) for i, s in enumerate(samples_per_series)]
    ours = encode(labels, runs)
    expected = reference_encode([(labels[i], ts, np.array(bits, dtype=np.uint64).view(np.float64).tolist())
                                 for i, ts, bits in runs])
    assert ours == expected
    decoded = decode_write_request(ours)
    flat_bits = [b for _, _, bits in runs for b in bits]
    assert decoded.values.view(np.uint64).tolist() == flat_bits
    assert decoded.series == labels


def test_a_series_can_appear_in_several_runs_and_runs_can_skip_series() -> None:
    labels = [Labels.from_strings("__name__", "a"), Labels.from_strings("__name__", "b")]
    ours = encode(labels, [(1, [5], [1]), (1, [6], [2]), (0, [7, 8], [3, 4])])
    decoded = decode_write_request(ours)
    assert decoded.series == [labels[1], labels[1], labels[0]]
    assert decoded.timestamps.tolist() == [5, 6, 7, 8]
