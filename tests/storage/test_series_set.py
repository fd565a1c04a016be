from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.model.labels import Labels
from ember.storage.series_set import SeriesSet, merge_series_sets

A = Labels.from_strings("__name__", "a")
B = Labels.from_strings("__name__", "b")


def _set(*series: tuple[Labels, list[int], list[float]]) -> SeriesSet:
    return SeriesSet.from_series([(lb, np.array(ts, np.int64), np.array(v, np.float64)) for lb, ts, v in series])


def test_from_series_sorts_by_labels() -> None:
    found = _set((B, [1], [1.0]), (A, [2, 3], [2.0, 3.0]))
    assert list(found.labels) == [A, B]
    assert found.offsets.tolist() == [0, 2, 3]
    assert found.series(0)[0].tolist() == [2, 3]


def test_merge_later_set_wins_on_equal_timestamps() -> None:
    older = _set((A, [1, 2], [1.0, 2.0]))
    newer = _set((A, [2, 3], [20.0, 3.0]), (B, [5], [5.0]))
    merged = merge_series_sets([older, newer])
    assert list(merged.labels) == [A, B]
    assert merged.series(0)[0].tolist() == [1, 2, 3]
    assert merged.series(0)[1].tolist() == [1.0, 20.0, 3.0]


@settings(max_examples=50)
@given(st.lists(st.lists(st.tuples(st.sampled_from([A, B]), st.integers(0, 20), st.integers(0, 9)),
                         max_size=15), max_size=4))
def test_merge_equals_dictionary_union(parts: list[list[tuple[Labels, int, int]]]) -> None:
    expected: dict[Labels, dict[int, float]] = {}
    sets = []
    for part in parts:
        by_series: dict[Labels, dict[int, float]] = {}
        for labels, t, v in part:
            by_series.setdefault(labels, {})[t] = float(v)
        for labels, samples in by_series.items():
            expected.setdefault(labels, {}).update(samples)
        sets.append(_set(*((lb, sorted(s), [s[t] for t in sorted(s)]) for lb, s in by_series.items())))
    merged = merge_series_sets(sets)
    got = {lb: dict(zip(ts.tolist(), vals.tolist(), strict=True)) for lb, ts, vals in merged}
    assert got == expected
    for _, ts, _ in merged:
        assert np.all(np.diff(ts) > 0)
