"""The compiled decimal conversion (ember/exposition/decimal_kernels.py): whatever it converts equals
Python's correctly rounded `float` bit for bit; what Clinger's fast path covers is always converted, and
Eisel-Lemire converts nearly all of the rest."""

from __future__ import annotations

import random
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.exposition.decimal_kernels import eisel_lemire, parse_exact_decimal
from tests.exposition.exposition_strategies import value_spellings as value_texts
from tests.exposition.reference_body_template import is_plain_decimal, reference_fast_path


def _convert(text: str) -> tuple[bool, float]:
    body = np.frombuffer(text.encode(), dtype=np.uint8)
    return parse_exact_decimal(body, 0, len(body))


def _bits(value: float) -> bytes:
    return struct.pack("<d", value)


@settings(max_examples=500, deadline=None)
@given(value_texts)
def test_a_conversion_is_pythons_float_or_declined(text: str) -> None:
    exact, value = _convert(text)
    if exact:
        assert is_plain_decimal(text)
        assert _bits(value) == _bits(float(text))
    assert exact or reference_fast_path(text) is None  # the fast path is never declined


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", 1.0), ("-0", -0.0), ("0.1", 0.1), ("1.5e3", 1500.0), (".5", 0.5), ("1.", 1.0), ("-2.5E-3", -0.0025),
     ("9007199254740991", 9007199254740991.0), ("1e22", 1e22), ("NaN", float("nan")), ("-Inf", float("-inf")),
     ("0.30000000000000004", 0.30000000000000004), ("1.7001234567891234e+09", 1.7001234567891234e09),
     ("1e308", 1e308), ("9007199254740995", 9007199254740996.0), ("1.7976931348623157e308", 1.7976931348623157e308)],
)
def test_common_spellings_are_converted(text: str, expected: float) -> None:
    exact, value = _convert(text)
    assert exact and _bits(value) == _bits(expected)


@pytest.mark.parametrize(
    "text",
    ["nan", "0x1p3", "1_0", "1e", "", ".", "4.9e-324", "1e-400", "1e400", "1234567890123456789", "Infinity",
     "9007199254740993"],  # the last lies exactly halfway between two doubles: Eisel-Lemire declines ties
)
def test_other_spellings_are_declined(text: str) -> None:
    assert _convert(text) == (False, 0.0)


def test_eisel_lemire_converts_nearly_every_shortest_spelling() -> None:
    generator = random.Random(20240501)
    doubles = [struct.unpack("<d", struct.pack("<Q", generator.getrandbits(64)))[0] for _ in range(3000)]
    texts = [repr(x) for x in doubles if np.isfinite(x) and abs(x) > 1e-300]
    results = [_convert(text) for text in texts]
    assert all(_bits(value) == _bits(float(text)) for text, (exact, value) in zip(texts, results, strict=True)
               if exact)
    assert sum(exact for exact, _ in results) >= 0.99 * len(texts)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 10**18 - 1), st.integers(-360, 360), st.booleans())
def test_eisel_lemire_is_exact_or_declines(significand: int, exp10: int, negative: bool) -> None:
    exact, value = eisel_lemire(np.uint64(significand), exp10, negative)
    if exact:
        assert _bits(value) == _bits(float(f"{'-' if negative else ''}{significand}e{exp10}"))
