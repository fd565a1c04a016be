from __future__ import annotations

import json
from pathlib import Path

import pytest

from ember.errors import CorruptionError
from ember.tsdb.block_meta import BlockMeta, BlockStats, FileCheck, is_ulid, new_ulid, read_meta, write_meta


def test_ulids_are_valid_unique_and_sort_by_time() -> None:
    earlier, later = new_ulid(1_000), new_ulid(2_000)
    assert is_ulid(earlier) and is_ulid(later) and len(earlier) == 26
    assert earlier < later
    assert len({new_ulid(5) for _ in range(50)}) == 50
    assert not is_ulid("01ARZ3NDEKTSV4RRFFQ69G5FAV.tmp") and not is_ulid("wal")


def test_meta_round_trip(tmp_path: Path) -> None:
    meta = BlockMeta(
        ulid=new_ulid(),
        min_time=-5,
        max_time=7_200_000,
        stats=BlockStats(10, 2, 1),
        level=3,
        sources=("A", "B"),
        parents=("C",),
        files={"index": FileCheck(10, 99), "chunks": FileCheck(20)},
    )
    write_meta(tmp_path, meta)
    back = read_meta(tmp_path)
    assert back == meta and back.files == meta.files
    data = json.loads((tmp_path / "meta.json").read_text())
    assert data["minTime"] == -5 and data["compaction"]["parents"] == [{"ulid": "C"}]


@pytest.mark.parametrize(
    "text",
    ["", "{", "[]", '{"ulid": "x"}', '{"ulid": "x", "minTime": "1", "maxTime": 2, "version": 1}'],
)
def test_bad_meta_is_a_corruption_error(tmp_path: Path, text: str) -> None:
    (tmp_path / "meta.json").write_text(text)
    with pytest.raises(CorruptionError, match=r"meta\.json"):
        read_meta(tmp_path)


def test_missing_meta_is_a_corruption_error(tmp_path: Path) -> None:
    with pytest.raises(CorruptionError):
        read_meta(tmp_path)


def test_inverted_range_is_rejected(tmp_path: Path) -> None:
    meta = BlockMeta(ulid=new_ulid(), min_time=10, max_time=5)
    write_meta(tmp_path, meta)
    with pytest.raises(CorruptionError, match="maxTime"):
        read_meta(tmp_path)
