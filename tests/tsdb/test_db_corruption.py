"""Bad bytes on disk: a corrupt WAL, a truncated block, a bad chunk. Each gives a clear error or a logged
repair; the database always reopens and keeps the data that was intact."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from ember.errors import CorruptionError
from ember.model.labels import Labels
from ember.model.matchers import Matcher
from ember.model.samples import SampleBatch
from ember.storage.interface import MAX_TIME, MIN_TIME, AppendOptions
from ember.tsdb.db import DB
from ember.tsdb.options import DBOptions

HOUR = 3_600_000
ALL = [Matcher.regex("__name__", ".+")]
SERIES = [Labels.from_strings("__name__", "m", "i", str(i)) for i in range(8)]


def _options() -> DBOptions:
    return DBOptions(background_maintenance=False, block_range_ms=HOUR, retention_ms=0)


def _write_rows(db: DB, start: int, count: int) -> None:
    for step in range(start, start + count):
        appender = db.appender()
        appender.append(SampleBatch.aligned(step * 60_000, np.full(len(SERIES), float(step)), series=SERIES),
                        AppendOptions(group="g"))
        appender.commit()
    db.sync()


def _timestamps(db: DB) -> list[int]:
    found = db.querier().select([Matcher.equal("i", "0")], MIN_TIME, MAX_TIME)
    return found.series(0)[0].tolist() if len(found) else []


def test_corrupt_wal_tail_is_cut_with_a_log_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with DB.open(tmp_path, _options()) as db:
        _write_rows(db, 0, 10)
    segment = sorted((tmp_path / "wal").glob("0*"))[-1]
    data = bytearray(segment.read_bytes())
    data[-20] ^= 0xFF  # inside the last record
    segment.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING), DB.open(tmp_path, _options()) as db:
        assert _timestamps(db) == [step * 60_000 for step in range(9)]
        _write_rows(db, 9, 1)
    assert any("segment" in r.getMessage().lower() or "wal" in r.getMessage().lower() for r in caplog.records)
    with DB.open(tmp_path, _options()) as db:
        assert _timestamps(db) == [step * 60_000 for step in range(10)]


def test_garbage_wal_segment_never_stops_the_open(tmp_path: Path) -> None:
    with DB.open(tmp_path, _options()) as db:
        _write_rows(db, 0, 5)
    (tmp_path / "wal" / "00000099").write_bytes(b"\x00garbage" * 100)
    for _ in range(2):  # and again: the repair must not leave a crash loop behind
        with DB.open(tmp_path, _options()) as db:
            assert _timestamps(db) == [step * 60_000 for step in range(5)]


def _with_blocks(tmp_path: Path) -> list[Path]:
    with DB.open(tmp_path, _options()) as db:
        _write_rows(db, 0, 4 * 60)
        db.flush_head()
        return [b.path for b in db.blocks]


def test_truncated_block_is_quarantined_and_the_rest_loads(tmp_path: Path,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    blocks = _with_blocks(tmp_path)
    assert len(blocks) >= 2
    chunks = blocks[0] / "chunks"
    chunks.write_bytes(chunks.read_bytes()[: chunks.stat().st_size // 2])
    with caplog.at_level(logging.ERROR), DB.open(tmp_path, _options()) as db:
        assert blocks[0].name not in {b.path.name for b in db.blocks}
        timestamps = _timestamps(db)
        assert timestamps and min(timestamps) >= HOUR
    assert any(blocks[0].name in r.getMessage() for r in caplog.records)
    assert (tmp_path / f"{blocks[0].name}.corrupted").exists()


def test_bad_chunk_byte_is_a_clear_error_and_the_database_keeps_working(tmp_path: Path) -> None:
    blocks = _with_blocks(tmp_path)
    chunks = blocks[0] / "chunks"
    data = bytearray(chunks.read_bytes())
    data[len(data) // 2] ^= 0x5A
    chunks.write_bytes(bytes(data))
    with DB.open(tmp_path, _options()) as db:
        damaged = next(b for b in db.blocks if b.path.name == blocks[0].name)
        with pytest.raises(CorruptionError, match=blocks[0].name):
            db.querier().select(ALL, damaged.meta.min_time, damaged.meta.max_time - 1)
        after = db.querier().select([Matcher.equal("i", "0")], damaged.meta.max_time, MAX_TIME)
        assert after.series(0)[0][0] == damaged.meta.max_time
        _write_rows(db, 4 * 60, 1)
        assert _timestamps_after(db, 4 * HOUR - 60_000) == [4 * HOUR - 60_000, 4 * HOUR]


def _timestamps_after(db: DB, t: int) -> list[int]:
    found = db.querier().select([Matcher.equal("i", "0")], t, MAX_TIME)
    return found.series(0)[0].tolist()
