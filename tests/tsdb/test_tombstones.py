from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.errors import CorruptionError
from ember.tsdb.tombstones import Tombstones, read_tombstones, write_tombstones

intervals = st.lists(st.tuples(st.integers(0, 5), st.integers(-5, 40), st.integers(0, 30)), max_size=8)


def _build(spec: list[tuple[int, int, int]]) -> Tombstones:
    tomb = Tombstones.empty()
    for series, lo, width in spec:
        tomb = tomb.with_deleted(np.array([series], dtype=np.int64), lo, lo + width)
    return tomb


@settings(max_examples=80, deadline=None)
@given(spec=intervals, rows=st.lists(st.sets(st.integers(-10, 50), max_size=10), min_size=1, max_size=6))
def test_deleted_mask_matches_plain_reference(spec: list[tuple[int, int, int]], rows: list[set[int]]) -> None:
    tomb = _build(spec)
    row_series = np.arange(0, 2 * len(rows), 2, dtype=np.int64)  # ids 0, 2, 4, ...: some have no intervals
    ts = [sorted(r) for r in rows]
    offsets = np.cumsum([0] + [len(t) for t in ts]).astype(np.int64)
    flat = np.array([t for row in ts for t in row], dtype=np.int64)
    expected = [
        any(s == int(row_series[i]) and lo <= t <= lo + w for s, lo, w in spec)
        for i, row in enumerate(ts)
        for t in row
    ]
    assert tomb.deleted_mask(row_series, offsets, flat).tolist() == expected


@settings(max_examples=60, deadline=None)
@given(spec=intervals)
def test_merged_intervals_are_disjoint_and_cover_the_same_times(spec: list[tuple[int, int, int]]) -> None:
    tomb = _build(spec)
    for s in set(tomb.series.tolist()):
        lo, hi = tomb.intervals_of(s)
        assert np.all(lo[1:] > hi[:-1] + 1)
        covered = {t for a, b in zip(lo.tolist(), hi.tolist(), strict=True) for t in range(a, b + 1)}
        assert covered == {t for ss, a, w in spec if ss == s for t in range(a, a + w + 1)}


def test_file_round_trip_and_corruption(tmp_path: Path) -> None:
    assert len(read_tombstones(tmp_path)) == 0
    tomb = _build([(1, 0, 10), (3, 5, 5), (1, 20, 1)])
    write_tombstones(tmp_path, tomb)
    back = read_tombstones(tmp_path)
    assert back.series.tolist() == tomb.series.tolist() and back.maxt.tolist() == tomb.maxt.tolist()
    assert not list(tmp_path.glob("*.tmp"))
    data = bytearray((tmp_path / "tombstones").read_bytes())
    data[20] ^= 1
    (tmp_path / "tombstones").write_bytes(bytes(data))
    with pytest.raises(CorruptionError, match="checksum"):
        read_tombstones(tmp_path)
    (tmp_path / "tombstones").write_bytes(bytes(data[:15]))
    with pytest.raises(CorruptionError):
        read_tombstones(tmp_path)


def test_unbounded_intervals_do_not_wrap_around() -> None:
    tomb = Tombstones.empty().with_deleted(np.array([0], dtype=np.int64), -(2**63), 5)
    tomb = tomb.with_deleted(np.array([1], dtype=np.int64), 20, 2**63 - 1)
    ts = np.array([1, 5, 6, 19, 20, 30], dtype=np.int64)
    mask = tomb.deleted_mask(np.array([0, 1], dtype=np.int64), np.array([0, 3, 6], dtype=np.int64), ts)
    assert mask.tolist() == [True, True, False, False, True, True]


def test_empty_or_inverted_deletes_change_nothing() -> None:
    tomb = Tombstones.empty()
    assert len(tomb.with_deleted(np.array([1], dtype=np.int64), 5, 4)) == 0
    assert len(tomb.with_deleted(np.empty(0, dtype=np.int64), 0, 4)) == 0
