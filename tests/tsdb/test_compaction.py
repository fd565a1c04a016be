from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ember.errors import BadDataError
from ember.model.labels import Labels
from ember.model.matchers import Matcher
from ember.tsdb.block_meta import BlockMeta, BlockStats, new_ulid
from ember.tsdb.block_reader import Block
from ember.tsdb.block_writer import write_block
from ember.tsdb.column_group import ColumnGroup
from ember.tsdb.compaction import clean_tombstones, compact, plan_compaction
from tests.tsdb.block_reference import (
    assert_same_series_sets,
    make_groups,
    make_series,
    reference_samples,
    reference_select,
)

H = 3_600_000
RANGES = [2 * H, 6 * H, 18 * H, 54 * H]
ALL = [Matcher.regex("__name__", ".+")]


def _meta(mint_h: float, maxt_h: float, series: int = 10, tombstones: int = 0) -> BlockMeta:
    return BlockMeta(new_ulid(), int(mint_h * H), int(maxt_h * H), BlockStats(100, series, 1, tombstones))


def _plan(metas: list[BlockMeta]) -> list[list[tuple[float, float]]]:
    return [[(m.min_time / H, m.max_time / H) for m in plan] for plan in plan_compaction(metas, RANGES)]


def test_three_adjacent_2h_blocks_are_compacted_once_a_newer_block_exists() -> None:
    assert _plan([_meta(0, 2), _meta(2, 4), _meta(4, 6)]) == []  # the newest is never taken
    assert _plan([_meta(0, 2), _meta(2, 4), _meta(4, 6), _meta(6, 8)]) == [[(0, 2), (2, 4), (4, 6)]]


def test_partial_window_waits_until_before_the_newest_block() -> None:
    assert _plan([_meta(0, 2), _meta(2, 4)]) == []
    # The newest block is left out; the next newest (2-4) is still inside the open 0-6 h window.
    assert _plan([_meta(0, 2), _meta(2, 4), _meta(8, 10)]) == []
    assert _plan([_meta(0, 2), _meta(2, 4), _meta(6, 8), _meta(8, 10)]) == [[(0, 2), (2, 4)]]


def test_larger_ranges_compact_after_smaller_ones() -> None:
    metas = [_meta(0, 6), _meta(6, 12), _meta(12, 18), _meta(18, 20)]
    assert _plan(metas) == [[(0, 6), (6, 12), (12, 18)]]


def test_overlapping_blocks_come_first() -> None:
    metas = [_meta(0, 2), _meta(2, 4), _meta(4, 6), _meta(6, 8), _meta(7, 9), _meta(8, 10)]
    assert _plan(metas) == [[(6, 8), (7, 9), (8, 10)]]


def test_tombstoned_blocks_are_rewritten() -> None:
    big = [_meta(0, 54, series=100, tombstones=10), _meta(54, 56)]
    assert _plan(big) == [[(0, 54)]]
    few = [_meta(0, 54, series=100, tombstones=2), _meta(54, 56)]
    assert _plan(few) == []
    small_but_gone = [_meta(0, 2, series=10, tombstones=10), _meta(10, 12)]
    assert _plan(small_but_gone) == [[(0, 2)]]


def test_no_blocks_no_plan() -> None:
    assert plan_compaction([], RANGES) == []
    assert _plan([_meta(0, 2)]) == []
    with pytest.raises(BadDataError):
        compact([], Path("unused"))


def _write(
    tmp_path: Path, series: dict[int, Labels], groups: list[ColumnGroup], mint: int, maxt: int
) -> Block:
    return Block.open(write_block(tmp_path, series=series, groups=groups, mint=mint, maxt=maxt))


@pytest.mark.parametrize("shift", [2 * H, H], ids=["adjacent", "overlapping"])
def test_compact_equals_merged_input(tmp_path: Path, shift: int) -> None:
    rng = np.random.default_rng(3)
    series = make_series(8)
    refs = sorted(series)
    first = make_groups(rng, refs[:6], 0, 60, 4)  # 0 .. 1 h
    second = make_groups(
        rng, refs[3:], shift - 10 * 60_000, 60, 4
    )  # overlaps `first` by 10 min when shifted 1 h
    later = ColumnGroup(np.array([refs[0]]), np.array([shift + 5], dtype=np.int64), np.array([[42.0]]))
    a = _write(tmp_path, series, first, 0, 2 * H)
    b = _write(tmp_path, series, [*second, later], shift - 10 * 60_000, shift + 2 * H)
    merged = Block.open(compact([a, b], tmp_path))
    expected = reference_samples(series, [*first, *second, later])
    whole = (-(2**63), 2**63 - 1)
    assert_same_series_sets(merged.select(ALL, *whole), reference_select(expected, ALL, *whole))
    assert merged.meta.level == 2
    assert set(merged.meta.parents) == {a.meta.ulid, b.meta.ulid}
    assert set(merged.meta.sources) == {a.meta.ulid, b.meta.ulid}
    assert merged.meta.min_time == 0 and merged.meta.max_time == shift + 2 * H
    for block in (a, b, merged):
        block.close()


def test_compaction_and_clean_tombstones_drop_deleted_data(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    series = make_series(5)
    groups = make_groups(rng, sorted(series), 0, 50, 2)
    block = _write(tmp_path, series, groups, 0, 2 * H)
    block.delete([Matcher.equal("job", "job1")], 0, 600_000)
    block.delete([Matcher.equal("instance", "host-0")], 0, 2 * H)
    expected = block.select(ALL, 0, 2 * H)
    cleaned = Block.open(clean_tombstones(block))
    assert not cleaned.has_tombstones
    assert_same_series_sets(cleaned.select(ALL, 0, 2 * H), expected)
    assert cleaned.meta.stats.num_samples == expected.num_samples
    assert cleaned.meta.stats.num_series == len(series) - 1
    assert cleaned.meta.parents == (block.meta.ulid,)
    compacted = Block.open(compact([block], tmp_path))
    assert_same_series_sets(compacted.select(ALL, 0, 2 * H), expected)
    for b in (block, cleaned, compacted):
        b.close()
