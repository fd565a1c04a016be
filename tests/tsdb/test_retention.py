from __future__ import annotations

import dataclasses

from ember.tsdb.block_meta import BlockMeta, new_ulid
from ember.tsdb.retention import blocks_beyond_retention

H = 3_600_000


def _meta(mint_h: int, maxt_h: int, size: int = 100) -> BlockMeta:
    return dataclasses.replace(BlockMeta(new_ulid(), mint_h * H, maxt_h * H), size_bytes=size)


def _hours(metas: list[BlockMeta], doomed: list[str]) -> list[tuple[int, int]]:
    by_ulid = {m.ulid: m for m in metas}
    return sorted((by_ulid[u].min_time // H, by_ulid[u].max_time // H) for u in doomed)


def test_time_retention_is_relative_to_the_newest_block() -> None:
    metas = [_meta(0, 2), _meta(2, 4), _meta(4, 6), _meta(6, 8)]
    # 8 - 4 = 4 h >= 4 h: the 2-4 block and everything older go; 4-6 is 2 h behind and stays.
    assert _hours(metas, blocks_beyond_retention(metas, 4 * H, 0)) == [(0, 2), (2, 4)]
    assert _hours(metas, blocks_beyond_retention(metas, 4 * H + 1, 0)) == [(0, 2)]
    assert blocks_beyond_retention(metas, 100 * H, 0) == []


def test_the_newest_block_is_never_deleted_by_time() -> None:
    metas = [_meta(0, 2)]
    assert blocks_beyond_retention(metas, 1, 0) == []


def test_size_retention_drops_oldest_first_until_it_fits() -> None:
    metas = [_meta(0, 2, 100), _meta(2, 4, 100), _meta(4, 6, 100)]
    assert _hours(metas, blocks_beyond_retention(metas, 0, 250)) == [(0, 2)]
    assert _hours(metas, blocks_beyond_retention(metas, 0, 300)) == []
    # The WAL and head count too.
    assert _hours(metas, blocks_beyond_retention(metas, 0, 300, extra_bytes=1)) == [(0, 2)]
    assert _hours(metas, blocks_beyond_retention(metas, 0, 50)) == [(0, 2), (2, 4), (4, 6)]


def test_disabled_limits_and_no_blocks() -> None:
    assert blocks_beyond_retention([], 10, 10) == []
    metas = [_meta(0, 2), _meta(100, 102)]
    assert blocks_beyond_retention(metas, 0, 0) == []
    both = blocks_beyond_retention(metas, 10 * H, 150)
    assert _hours(metas, both) == [(0, 2)] and len(both) == 1
