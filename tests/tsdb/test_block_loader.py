from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from ember.model.matchers import Matcher
from ember.tsdb.block_loader import load_blocks
from ember.tsdb.block_reader import Block
from ember.tsdb.block_writer import write_block
from ember.tsdb.compaction import compact
from tests.tsdb.block_reference import make_groups, make_series

H = 7_200_000
ALL = [Matcher.regex("__name__", ".+")]
LOG = logging.getLogger("test.block_loader")


def _write_blocks(data: Path, count: int) -> list[Path]:
    series = make_series(3)
    paths = []
    for k in range(count):
        groups = make_groups(np.random.default_rng(k), sorted(series), k * H, 10, 1)
        paths.append(write_block(data, series=series, groups=groups, mint=k * H, maxt=(k + 1) * H))
    return paths


def _damage_truncate(path: Path) -> None:
    chunks = path / "chunks"
    chunks.write_bytes(chunks.read_bytes()[:-3])


def _damage_index(path: Path) -> None:
    index = path / "index"
    data = bytearray(index.read_bytes())
    data[len(data) // 3] ^= 0xFF
    index.write_bytes(bytes(data))


def _damage_meta(path: Path) -> None:
    (path / "meta.json").write_text('{"ulid": ')


def _remove_index(path: Path) -> None:
    (path / "index").unlink()


@pytest.mark.parametrize("damage", [_damage_truncate, _damage_index, _damage_meta, _remove_index])
def test_corrupt_block_is_quarantined_and_others_load(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: object
) -> None:
    paths = _write_blocks(tmp_path, 3)
    damage(paths[1])  # type: ignore[operator]
    with caplog.at_level(logging.ERROR, logger=LOG.name):
        blocks = load_blocks(tmp_path, LOG)
    assert [b.path for b in blocks] == [paths[0], paths[2]]
    assert all(b.select(ALL, 0, 3 * H).num_samples == 30 for b in blocks)
    assert not paths[1].exists() and paths[1].with_name(paths[1].name + ".corrupted").is_dir()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert errors and paths[1].name in errors[0].getMessage()
    for block in blocks:
        block.close()


def test_leftover_tmp_dirs_and_compacted_parents_are_removed(tmp_path: Path) -> None:
    paths = _write_blocks(tmp_path, 3)
    parents = [Block.open(p) for p in paths[:2]]
    child = compact(parents, tmp_path)  # a crash here leaves the parents behind
    for block in parents:
        block.close()
    leftover = tmp_path / (paths[0].name[:-1] + "Z.tmp-for-creation")
    shutil.copytree(paths[2], leftover)
    (tmp_path / "wal").mkdir()
    blocks = load_blocks(tmp_path, LOG)
    assert [b.path for b in blocks] == [child, paths[2]]
    assert not leftover.exists() and not paths[0].exists() and not paths[1].exists()
    assert (tmp_path / "wal").is_dir()
    assert blocks[0].select(ALL, 0, 3 * H).num_samples == 60
    for block in blocks:
        block.close()


def test_flipped_chunk_byte_is_caught_when_verifying(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    paths = _write_blocks(tmp_path, 2)
    chunks = paths[0] / "chunks"
    data = bytearray(chunks.read_bytes())
    data[-10] ^= 0x01
    chunks.write_bytes(bytes(data))
    lazy = load_blocks(tmp_path, LOG)
    assert len(lazy) == 2  # opening does not read the chunks
    for block in lazy:
        block.close()
    with caplog.at_level(logging.ERROR, logger=LOG.name):
        blocks = load_blocks(tmp_path, LOG, verify_chunks=True)
    assert [b.path for b in blocks] == [paths[1]]
    assert "checksum mismatch" in caplog.text and paths[0].name in caplog.text
    blocks[0].close()


def test_missing_directory_has_no_blocks(tmp_path: Path) -> None:
    assert load_blocks(tmp_path / "nope", LOG) == []
