from __future__ import annotations

import contextlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.errors import BadDataError
from ember.model.labels import Labels
from ember.model.samples import STALE_NAN
from ember.remote.write_codec import decode_body, decode_write_request, encode_body, encode_write_request

label_text = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=8)


@given(st.lists(
    st.tuples(st.dictionaries(label_text, label_text, min_size=1, max_size=4),
              st.lists(st.tuples(st.integers(-(2**62), 2**62), st.integers(0, 2**64 - 1)), max_size=5)),
    max_size=6))
def test_round_trip_is_bit_exact(series: list[tuple[dict[str, str], list[tuple[int, int]]]]) -> None:
    given_series = [
        (Labels.from_dict(labels), [t for t, _ in samples],
         np.array([bits for _, bits in samples], dtype=np.uint64).view(np.float64).tolist())
        for labels, samples in series
    ]
    decoded = decode_body(encode_body(given_series))
    assert decoded.series == [s[0] for s in given_series]
    assert decoded.timestamps.tolist() == [t for s in given_series for t in s[1]]
    expected_bits = np.array([v for s in given_series for v in s[2]], dtype=np.float64).view(np.uint64)
    assert decoded.values.view(np.uint64).tolist() == expected_bits.tolist()
    assert np.diff(decoded.sample_offsets).tolist() == [len(s[1]) for s in given_series]


def test_staleness_marker_survives() -> None:
    decoded = decode_body(encode_body([(Labels.from_strings("__name__", "x"), [1], [STALE_NAN])]))
    assert decoded.values.view(np.uint64)[0] == 0x7FF0000000000002


def test_unknown_fields_are_skipped() -> None:
    payload = encode_write_request([(Labels.from_strings("__name__", "x"), [1], [2.0])])
    metadata = b"\x1a\x02\x08\x01"  # field 3 (metadata) holding one varint field
    decoded = decode_write_request(payload + metadata)
    assert decoded.series == [Labels.from_strings("__name__", "x")]


def test_an_empty_request_is_valid() -> None:
    assert decode_body(encode_body([])).series == []
    assert decode_body(b"\x00").series == []  # snappy for zero bytes


@pytest.mark.parametrize("body", [b"", b"garbage" * 10, b"\xff" * 10 + b"\x01", b"\x05\x00abc"])
def test_garbage_bodies_are_clear_errors(body: bytes) -> None:
    with pytest.raises(BadDataError):
        decode_body(body)


@given(st.binary(max_size=200))
def test_random_protobuf_bytes_never_crash(payload: bytes) -> None:
    with contextlib.suppress(BadDataError):  # any other exception fails the test
        decode_write_request(payload)


def test_truncated_messages_are_refused() -> None:
    payload = encode_write_request([(Labels.from_strings("__name__", "x", "a", "b"), [1, 2], [2.0, 3.0])])
    for cut in range(1, len(payload)):
        try:
            decoded = decode_write_request(payload[:cut])
        except BadDataError:
            continue
        assert len(decoded.values) <= 2


def test_labels_cache_gives_the_same_series() -> None:
    from ember.remote.write_codec import LabelsCache

    cache = LabelsCache(max_entries=2)
    series = [(Labels.from_strings("__name__", "m", "i", str(i)), [1], [1.0]) for i in range(3)]
    body = encode_body(series)
    first = decode_body(body, cache)
    second = decode_body(body, cache)
    assert first.series == second.series == [s[0] for s in series]


@given(st.lists(st.lists(st.dictionaries(st.sampled_from(["a", "b", "job", "x"]), st.text(max_size=3), min_size=1,
                                         max_size=3), min_size=1, max_size=6), min_size=1, max_size=4))
@settings(max_examples=60)
def test_cached_decoding_equals_uncached_decoding(requests: list[list[dict[str, str]]]) -> None:
    from ember.remote.write_codec import LabelsCache

    cache = LabelsCache()
    for request in requests:  # later requests repeat, reorder and mix the earlier ones' series
        series = [(Labels({"__name__": "m", **d}.items()), [1], [1.0]) for d in request]
        body = encode_body(series)
        assert decode_body(body, cache).series == decode_body(body).series == [s[0] for s in series]


def test_a_sample_without_a_value_field_is_zero_and_staleness_bits_survive() -> None:
    from ember.remote.write_codec import encode_field, encode_varint

    labels = encode_field(1, encode_field(1, b"__name__") + encode_field(2, b"m"))
    no_value = encode_field(2, b"\x10" + encode_varint(7))  # timestamp only: value takes protobuf's default
    stale = encode_write_request([(Labels.from_strings("__name__", "s"), [8], [STALE_NAN])])
    decoded = decode_write_request(encode_field(1, labels + no_value) + stale)
    assert decoded.timestamps.tolist() == [7, 8]
    assert decoded.values[0] == 0.0
    assert decoded.values[1:].view(np.uint64).tolist() == [np.float64(STALE_NAN).view(np.uint64)]
