"""label_order equals sorting the label sets themselves (Labels.__lt__, Prometheus's labels.Compare)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.model.labels import Labels
from ember.promql.label_order import label_order

# Few distinct characters, including NUL and a non-Latin one, so that prefixes, ties and NUL cases occur.
_TEXT = st.text(alphabet="ab\x00\x01é", max_size=3)
_LABELS = st.dictionaries(st.sampled_from(["__name__", "a", "ab", "b"]), _TEXT, max_size=3).map(Labels.from_dict)


def reference_order(labels: list[Labels]) -> list[int]:
    return sorted(range(len(labels)), key=lambda i: labels[i])


@settings(max_examples=150, deadline=None)
@given(st.lists(_LABELS, max_size=40), st.integers(min_value=2, max_value=9))
def test_equals_sorting_the_label_sets(labels: list[Labels], run_length: int) -> None:
    order = label_order(labels, run_length=run_length).tolist()
    assert [labels[i] for i in order] == [labels[i] for i in reference_order(labels)]
    assert sorted(order) == list(range(len(labels)))


def test_prefixes_and_empty_sets_sort_first() -> None:
    labels = [Labels.from_strings("a", "bc"), Labels.from_strings("a", "b", "c", "d"), Labels(),
              Labels.from_strings("a", "b")]
    assert label_order(labels, run_length=2).tolist() == [2, 3, 1, 0]


def test_equal_label_sets_keep_their_input_order() -> None:
    labels = [Labels.from_strings("a", "x"), Labels.from_strings("a", "w"), Labels.from_strings("a", "x")] * 5
    order = label_order(labels, run_length=3).tolist()
    assert order[:5] == [1, 4, 7, 10, 13]
    assert order[5:] == [0, 2, 3, 5, 6, 8, 9, 11, 12, 14]


def test_nul_inside_a_value_falls_back_to_tuple_order() -> None:
    # Joined with NUL, ("a", "x\0b") and ("a", "x", "b", ...) would tie on their text; tuples do not.
    labels = [Labels.from_strings("a", "x", "b", "y"), Labels.from_strings("a", "x\x00b")]
    assert label_order(labels).tolist() == reference_order(labels)


def test_empty_input() -> None:
    assert label_order([]).tolist() == []


def test_rejects_a_run_length_below_two() -> None:
    with pytest.raises(ValueError, match="run_length"):
        label_order([Labels()], run_length=1)
