"""The body-template kernels (ember/exposition/template_kernels.py) against their plain-Python
references."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.exposition.template_kernels import MISMATCH, find_value_spans, match_values
from tests.exposition.exposition_strategies import value_spellings as value_texts
from tests.exposition.reference_body_template import is_plain_decimal, reference_match, reference_value_spans

line_shapes = st.lists(
    st.one_of(
        st.builds(lambda name, value: f"{name} {value}", st.sampled_from(["a", "b_total", " c"]), value_texts),
        st.builds(lambda labels, blank, value: f'm{{l="{labels}"}}{blank}{value}',
                  st.text(alphabet='ab }"#', max_size=4), st.sampled_from(["", " ", "\t", "  "]), value_texts),
        st.sampled_from(["# HELP a x", "# TYPE a gauge", "#", "", "  ", "a", "a 1 ", "m{} 1\t", "# EOF"]),
    ),
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(line_shapes, st.booleans())
def test_value_spans_match_reference(lines: list[str], final_newline: bool) -> None:
    body = ("\n".join(lines) + ("\n" if final_newline else "")).encode()
    starts = np.zeros(len(lines) + 1, dtype=np.int64)
    ends = np.zeros(len(lines) + 1, dtype=np.int64)
    count = find_value_spans(np.frombuffer(body, dtype=np.uint8), starts, ends)
    expected = reference_value_spans(body)
    if expected is None:
        assert count == MISMATCH
    else:
        assert list(zip(starts[:count].tolist(), ends[:count].tolist(), strict=True)) == expected


def test_value_spans_refuse_more_lines_than_room() -> None:
    body = np.frombuffer(b"a 1\nb 2\n", dtype=np.uint8)
    assert find_value_spans(body, np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64)) == MISMATCH


def _kernel_match(old: bytes, new: bytes) -> list[str] | None:
    """The kernel's verdict: the value tokens of `new` (a converted one as its value's repr), or None."""
    spans = reference_value_spans(old)
    assert spans is not None
    starts = np.array([s for s, _ in spans], dtype=np.int64)
    ends = np.array([e for _, e in spans], dtype=np.int64)
    values = np.zeros(len(spans))
    flagged, flagged_starts, flagged_ends = (np.zeros(len(spans), dtype=np.int64) for _ in range(3))
    slow = match_values(np.frombuffer(old, dtype=np.uint8), starts, ends, np.frombuffer(new, dtype=np.uint8),
                        values, flagged, flagged_starts, flagged_ends)
    if slow == MISMATCH:
        return None
    tokens = [repr(float(v)) for v in values.tolist()]
    for index, start, end in zip(flagged[:slow].tolist(), flagged_starts[:slow].tolist(),
                                 flagged_ends[:slow].tolist(), strict=True):
        tokens[index] = "flagged " + new[start:end].decode("latin-1")
    return tokens


def _agree(kernel: list[str] | None, reference: list[str] | None) -> bool:
    """Same verdict; each token flagged as written, or converted to Python's float of it."""
    if kernel is None or reference is None:
        return kernel is reference
    return len(kernel) == len(reference) and all(
        got == f"flagged {token}" or (is_plain_decimal(token) and got == repr(float(token)))
        for got, token in zip(kernel, reference, strict=True)
    )


old_bodies = st.sampled_from([
    b"# TYPE a gauge\na 1\nb_total{x=\"1\"} 2\n", b"a 1\nb 2", b"m{l=\"}\"}\t3\n\n# EOF\n", b"# only a comment\n", b"",
])


@settings(max_examples=300, deadline=None)
@given(old_bodies, st.lists(value_texts, min_size=3, max_size=3), st.sampled_from(["", "\n", " 5", "x"]))
def test_match_agrees_with_reference(old: bytes, values: list[str], suffix: str) -> None:
    spans = reference_value_spans(old)
    assert spans is not None
    pieces, previous = [], 0
    for (start, end), value in zip(spans, values, strict=False):
        pieces += [old[previous:start], value.encode()]
        previous = end
    new = b"".join(pieces) + old[previous:] + suffix.encode()
    assert _agree(_kernel_match(old, new), reference_match(old, spans, new))


@pytest.mark.parametrize(
    "new",
    [b"a 1\nb 2\nc 3\n", b"a 1\nb  2\n", b"a 1 1000\nb 2\n", b"b 2\na 1\n", b"a 1\n", b"a 1\nb 2\n# x\n",
     b"A 1\nb 2\n"],
)
def test_any_change_outside_values_is_a_mismatch(new: bytes) -> None:
    assert _kernel_match(b"a 1\nb 2\n", new) is None


def test_values_of_other_lengths_match() -> None:
    assert _kernel_match(b"a 1\nb 2\n", b"a 1000.5\nb nan\n") == ["1000.5", "flagged nan"]
