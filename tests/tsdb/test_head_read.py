"""flatten_groups and assemble against plain-Python references."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.model.labels import Labels
from ember.tsdb.column_group import ColumnGroup
from ember.tsdb.head_read import assemble, flatten_groups


@st.composite
def column_groups(draw: st.DrawFn) -> ColumnGroup:
    refs = draw(st.lists(st.integers(0, 5), min_size=0, max_size=4, unique=True))
    times = sorted(draw(st.lists(st.integers(0, 30), min_size=0, max_size=4, unique=True)))
    values = np.arange(len(times) * len(refs), dtype=np.float64).reshape(len(times), len(refs)) + draw(
        st.integers(0, 100))
    return ColumnGroup(np.array(refs, dtype=np.int64), np.array(times, dtype=np.int64), values)


@settings(max_examples=100, deadline=None)
@given(st.lists(column_groups(), max_size=4))
def test_flatten_groups_lists_each_column_in_time_order(groups: list[ColumnGroup]) -> None:
    expected = [(int(ref), int(t), float(group.values[i, j])) for group in groups
                for j, ref in enumerate(group.refs) for i, t in enumerate(group.timestamps)]
    refs, timestamps, values = flatten_groups(groups)
    assert list(zip(refs.tolist(), timestamps.tolist(), values.tolist(), strict=True)) == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(column_groups(), max_size=4))
def test_assemble_orders_by_labels_and_keeps_the_later_duplicate(groups: list[ColumnGroup]) -> None:
    refs = np.arange(6, dtype=np.int64)
    labels = [Labels.from_strings("__name__", "m", "k", name) for name in ("b", "a", "c", "aa", "", "ab")]
    sample_refs, timestamps, values = flatten_groups(groups)
    series = assemble(refs, labels, sample_refs, timestamps, values)
    latest: dict[int, dict[int, float]] = {}
    for ref, t, v in zip(sample_refs.tolist(), timestamps.tolist(), values.tolist(), strict=True):
        latest.setdefault(ref, {})[t] = v  # a later piece wins on equal timestamps
    expected = sorted((labels[ref], sorted(points.items())) for ref, points in latest.items())
    got = [(lb, list(zip(ts.tolist(), vs.tolist(), strict=True))) for lb, ts, vs in series]
    assert got == expected
