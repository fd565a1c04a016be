"""Tests for ember/exposition/number_text.py: whole-column conversion equals one-at-a-time parsing."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.exposition.number_text import (
    ColumnError,
    parse_float,
    parse_millis,
    parse_seconds_as_millis,
    parse_values,
    seconds_to_millis,
)


def reference_value(text: str) -> float | None:
    """Plain-Python reference: Go ParseFloat's decimal and Inf/NaN spellings; None when invalid."""
    lowered = text.lower()
    specials = {"inf": math.inf, "+inf": math.inf, "-inf": -math.inf, "infinity": math.inf,
                "+infinity": math.inf, "-infinity": -math.inf, "nan": math.nan}
    if lowered in specials:
        return specials[lowered]
    allowed = set("0123456789+-.eE")
    if not text or not set(text) <= allowed:
        return None
    try:
        return float(text)
    except ValueError:
        return None


value_texts = st.one_of(
    st.floats().map(repr),
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(
        ["NaN", "+Inf", "-Inf", "Inf", "1_0", " 1", "1 ", "0x10", "", "1e", ".5", "5.", "٣", "--1"]
    ),
    st.text(alphabet="0123456789.eE+-naIf", max_size=6),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(value_texts, max_size=8))
def test_value_column_matches_reference(texts: list[str]) -> None:
    expected = [reference_value(t) for t in texts]
    if None in expected:
        with pytest.raises(ColumnError) as caught:
            parse_values(texts, openmetrics=True)
        assert caught.value.index == expected.index(None)
    else:
        np.testing.assert_array_equal(parse_values(texts, openmetrics=True), np.array(expected, dtype=float))


def test_text_format_takes_go_hex_floats_and_openmetrics_does_not() -> None:
    assert parse_values(["0x1p-2", "1"], openmetrics=False).tolist() == [0.25, 1.0]
    with pytest.raises(ColumnError):
        parse_values(["0x1p-2"], openmetrics=True)
    with pytest.raises(ValueError):
        parse_float("0x10", openmetrics=False)  # Go requires the p exponent


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-(2**63), 2**63 - 1), max_size=8))
def test_millis_column_round_trips_int64(numbers: list[int]) -> None:
    assert parse_millis([str(n) for n in numbers]).tolist() == numbers


@pytest.mark.parametrize("bad", ["1.5", "1e3", "9223372036854775808", "1_0", " 1", "", "٣"])
def test_millis_rejects(bad: str) -> None:
    with pytest.raises(ColumnError) as caught:
        parse_millis(["1", bad])
    assert caught.value.index == 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=-1e15, max_value=1e15), max_size=8))
def test_seconds_column_matches_scalar_conversion(seconds: list[float]) -> None:
    texts = [repr(s) for s in seconds]
    assert parse_seconds_as_millis(texts).tolist() == [seconds_to_millis(t) for t in texts]
    assert [math.trunc(s * 1000.0) for s in seconds] == [seconds_to_millis(t) for t in texts]


@pytest.mark.parametrize("bad", ["NaN", "Inf", "-Inf", "0x1p3", "1_0", "z"])
def test_seconds_reject_non_decimal(bad: str) -> None:
    with pytest.raises(ColumnError):
        parse_seconds_as_millis([bad])
