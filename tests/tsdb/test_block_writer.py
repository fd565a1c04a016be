from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ember.errors import BadDataError
from ember.model.labels import Labels
from ember.model.matchers import Matcher
from ember.tsdb.block_meta import is_ulid
from ember.tsdb.block_reader import Block
from ember.tsdb.block_writer import write_block
from ember.tsdb.column_group import ColumnGroup

ALL = [Matcher.regex("__name__", ".+")]
A = Labels.from_strings("__name__", "a")
B = Labels.from_strings("__name__", "b")


def _group(refs: list[int], times: list[int]) -> ColumnGroup:
    values = np.arange(len(times) * len(refs), dtype=np.float64).reshape(len(times), len(refs))
    return ColumnGroup(np.array(refs, dtype=np.int64), np.array(times, dtype=np.int64), values)


def test_block_directory_layout_and_meta(tmp_path: Path) -> None:
    path = write_block(
        tmp_path,
        series={1: A, 2: B},
        groups=[_group([1, 2], [0, 5])],
        mint=0,
        maxt=10,
        level=2,
        sources=["S2", "S1"],
        parents=["P"],
    )
    assert path.parent == tmp_path and is_ulid(path.name)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary directory left
    assert sorted(p.name for p in path.iterdir()) == ["chunks", "index", "meta.json", "tombstones"]
    meta = json.loads((path / "meta.json").read_text())
    assert meta["ulid"] == path.name and (meta["minTime"], meta["maxTime"]) == (0, 10)
    assert meta["stats"] == {"numSamples": 4, "numSeries": 2, "numGroups": 1}
    assert meta["compaction"] == {"level": 2, "sources": ["S1", "S2"], "parents": [{"ulid": "P"}]}


def test_level_one_block_is_its_own_source(tmp_path: Path) -> None:
    path = write_block(tmp_path, series={1: A}, groups=[_group([1], [0])], mint=0, maxt=10)
    block = Block.open(path)
    assert block.meta.sources == (path.name,) and block.meta.level == 1
    block.close()


def test_samples_outside_the_range_and_unused_series_are_not_written(tmp_path: Path) -> None:
    path = write_block(
        tmp_path,
        series={1: A, 2: B, 3: Labels.from_strings("__name__", "c")},
        groups=[_group([1], [-5, 0, 9, 10]), _group([2], [10, 11])],
        mint=0,
        maxt=10,
    )
    block = Block.open(path)
    result = block.select(ALL, -100, 100)
    assert list(result.labels) == [A] and result.timestamps.tolist() == [0, 9]
    assert block.meta.stats.num_series == 1 and block.index.label_values("__name__") == ["a"]
    block.close()


def test_two_refs_with_the_same_labels_become_one_series(tmp_path: Path) -> None:
    path = write_block(
        tmp_path, series={1: A, 7: A}, groups=[_group([1], [0, 2]), _group([7], [1, 2])], mint=0, maxt=10
    )
    block = Block.open(path)
    result = block.select(ALL, 0, 10)
    assert list(result.labels) == [A] and result.timestamps.tolist() == [0, 1, 2]
    assert result.values.tolist() == [0.0, 0.0, 1.0]  # the later group wins at t=2
    block.close()


def test_bad_input_is_a_bad_data_error(tmp_path: Path) -> None:
    with pytest.raises(BadDataError, match="without labels"):
        write_block(tmp_path, series={1: A}, groups=[_group([1, 2], [0])], mint=0, maxt=10)
    with pytest.raises(BadDataError, match="strictly ascending"):
        write_block(tmp_path, series={1: A}, groups=[_group([1], [3, 3])], mint=0, maxt=10)
    with pytest.raises(BadDataError, match="unique refs"):
        write_block(tmp_path, series={1: A}, groups=[_group([1, 1], [3])], mint=0, maxt=10)
    with pytest.raises(BadDataError, match="empty"):
        write_block(tmp_path, series={1: A}, groups=[], mint=10, maxt=10)
    assert list(tmp_path.iterdir()) == []
