from __future__ import annotations

from pathlib import Path

import numpy as np

from ember.model.matchers import Matcher
from ember.tsdb.block_reader import Block
from ember.tsdb.block_writer import write_block
from ember.tsdb.snapshot import snapshot
from tests.tsdb.block_reference import assert_same_series_sets, make_groups, make_series

ALL = [Matcher.regex("__name__", ".+")]


def test_snapshot_hard_links_every_block(tmp_path: Path) -> None:
    series = make_series(4)
    blocks = []
    for k in range(2):
        groups = make_groups(np.random.default_rng(k), sorted(series), k * 7_200_000, 20, 1)
        path = write_block(
            tmp_path / "data", series=series, groups=groups, mint=k * 7_200_000, maxt=(k + 1) * 7_200_000
        )
        blocks.append(Block.open(path))
    blocks[0].delete([Matcher.equal("job", "job0")], 0, 10**9)
    out = snapshot(blocks, tmp_path / "snap")
    assert sorted(p.name for p in out.iterdir()) == sorted(b.meta.ulid for b in blocks)
    for block in blocks:
        copy = out / block.meta.ulid
        for name in ("meta.json", "index", "chunks", "tombstones"):
            assert (copy / name).stat().st_ino == (block.path / name).stat().st_ino
        opened = Block.open(copy)
        assert_same_series_sets(opened.select(ALL, 0, 10**9), block.select(ALL, 0, 10**9))
        opened.close()
    # Deleting after the snapshot replaces the block's tombstones file, never the snapshot's.
    blocks[1].delete(ALL, 0, 10**9)
    again = Block.open(out / blocks[1].meta.ulid)
    assert again.select(ALL, 0, 10**9).num_samples == 4 * 20
    again.close()
    for block in blocks:
        block.close()
