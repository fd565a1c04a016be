from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.tsdb.block_groups import (
    concatenate_neighbours,
    overlapping_series,
    prepare_groups,
    resolve_overlaps,
)
from ember.tsdb.column_group import ColumnGroup


def _group(refs: list[int], times: list[int], seed: int = 0) -> ColumnGroup:
    values = np.arange(len(times) * len(refs), dtype=np.float64).reshape(len(times), len(refs)) + 1000 * seed
    return ColumnGroup(np.array(refs, dtype=np.int64), np.array(times, dtype=np.int64), values)


def _samples(groups: list[ColumnGroup]) -> dict[int, dict[int, float]]:
    """Later groups win on equal timestamps."""
    out: dict[int, dict[int, float]] = {}
    for g in groups:
        for j, ref in enumerate(g.refs.tolist()):
            out.setdefault(ref, {}).update(zip(g.timestamps.tolist(), g.values[:, j].tolist(), strict=True))
    return out


def _series_ranges(groups: list[ColumnGroup]) -> dict[int, list[tuple[int, int]]]:
    out: dict[int, list[tuple[int, int]]] = {}
    for g in groups:
        for ref in g.refs.tolist():
            out.setdefault(ref, []).append((g.mint, g.maxt))
    return out


groups_strategy = st.lists(
    st.tuples(
        st.lists(st.integers(0, 4), min_size=1, max_size=4, unique=True),
        st.sets(st.integers(0, 40), min_size=1, max_size=8),
    ),
    max_size=7,
).map(lambda spec: [_group(sorted(refs), sorted(times), k) for k, (refs, times) in enumerate(spec)])


@settings(max_examples=80, deadline=None)
@given(groups_strategy)
def test_overlapping_series_matches_reference(groups: list[ColumnGroup]) -> None:
    expected = {
        ref
        for ref, ranges in _series_ranges(groups).items()
        for i, (a, b) in enumerate(ranges)
        for (c, d) in ranges[i + 1 :]
        if a <= d and c <= b
    }
    assert set(overlapping_series(groups).tolist()) == expected


@settings(max_examples=80, deadline=None)
@given(groups_strategy, st.integers(1, 20))
def test_prepared_groups_keep_samples_and_never_overlap(groups: list[ColumnGroup], max_rows: int) -> None:
    local = {r: r for r in range(5)}
    prepared = prepare_groups(groups, local, 0, 40, max_rows)
    assert _samples(prepared) == _samples(groups)
    for ranges in _series_ranges(prepared).values():
        ranges.sort()
        assert all(b < c for (_, b), (c, _) in itertools.pairwise(ranges))
    for g in prepared:
        assert np.all(np.diff(g.timestamps) > 0) and np.all(np.diff(g.refs) > 0)
    assert len(overlapping_series(prepared)) == 0


def test_consecutive_frames_of_one_set_are_joined_up_to_max_rows() -> None:
    frames = [_group([1, 2], [10 * k + i for i in range(3)], k) for k in range(4)]
    assert len(concatenate_neighbours(frames, max_rows=100)) == 1
    assert [len(g.timestamps) for g in concatenate_neighbours(frames, max_rows=6)] == [6, 6]


def test_a_set_interrupted_by_another_is_not_joined_across() -> None:
    # Series 1 moves to another group in between: joining the outer frames would put its samples out of order.
    groups = [_group([1, 2], [0, 1]), _group([1, 3], [2, 3]), _group([1, 2], [4, 5])]
    joined = concatenate_neighbours(groups)
    assert len(joined) == 3
    frames = [_group([1, 2], [0, 1]), _group([3], [2, 3]), _group([1, 2], [4, 5])]
    assert len(concatenate_neighbours(frames)) == 2


def test_overlapping_columns_are_merged_later_wins() -> None:
    first, second = _group([1, 2], [0, 5, 10], 0), _group([1], [5, 7], 1)
    out = resolve_overlaps([first, second])
    assert _samples(out) == _samples([first, second])
    assert _samples(out)[1][5] == second.values[0, 0]
