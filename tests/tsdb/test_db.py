from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from ember.errors import DataDirLockedError
from ember.model.labels import Labels
from ember.model.matchers import Matcher
from ember.model.samples import STALE_NAN, SampleBatch
from ember.storage.interface import MAX_TIME, MIN_TIME, AppendOptions
from ember.testing.storage_suite import StorageConformance
from ember.tsdb.db import DB
from ember.tsdb.options import DBOptions

ALL = [Matcher.regex("__name__", ".+")]
HOUR = 3_600_000


def _options(**overrides: object) -> DBOptions:
    base: dict[str, object] = {"background_maintenance": False, "wal_sync_interval_s": 0.01}
    base.update(overrides)
    return DBOptions(**base)  # type: ignore[arg-type]


class TestDBConformance(StorageConformance):
    @pytest.fixture
    def storage(self, tmp_path: Path) -> Iterator[DB]:
        db = DB.open(tmp_path / "data", _options())
        yield db
        db.close()


class TestDBConformanceAfterFlush(StorageConformance):
    """The same contract with every committed sample moved into blocks before each read."""

    @pytest.fixture
    def storage(self, tmp_path: Path) -> Iterator[object]:
        db = DB.open(tmp_path / "data", _options())

        class FlushingBeforeRead:
            def appender(self) -> object:
                return db.appender()

            def querier(self) -> object:
                db.flush_head()
                assert db.head.num_samples() == 0
                return db.querier()

        yield FlushingBeforeRead()
        db.close()


def _scrape(db: DB, series: list[Labels], t: int, values: np.ndarray, sync: bool = False) -> None:
    appender = db.appender()
    appender.append(SampleBatch.aligned(t, values, series=series), AppendOptions(group="g"))
    appender.commit(sync=sync)


def _all(db: DB) -> dict[Labels, tuple[list[int], list[int]]]:
    found = db.querier().select(ALL, MIN_TIME, MAX_TIME)
    return {lb: (ts.tolist(), vals.view(np.uint64).tolist()) for lb, ts, vals in found}


def test_reopen_replays_the_wal(tmp_path: Path) -> None:
    series = [Labels.from_strings("__name__", "m", "i", str(i)) for i in range(50)]
    db = DB.open(tmp_path, _options())
    for step in range(10):
        _scrape(db, series, step * 15_000, np.arange(50, dtype=np.float64) + step)
    appender = db.appender()
    appender.append(SampleBatch.of_series(series[0], [200_000, 210_000], [STALE_NAN, 5.0]))
    appender.commit()
    before = _all(db)
    db.close()
    with DB.open(tmp_path, _options()) as reopened:
        assert _all(reopened) == before


def test_second_open_is_refused(tmp_path: Path) -> None:
    with DB.open(tmp_path, _options()), pytest.raises(DataDirLockedError, match="lock DB directory"):
        DB.open(tmp_path, _options())


def test_head_cut_writes_blocks_and_keeps_data(tmp_path: Path) -> None:
    series = [Labels.from_strings("__name__", "m", "i", str(i)) for i in range(20)]
    db = DB.open(tmp_path, _options(block_range_ms=HOUR))
    for step in range(0, 4 * 60):  # four hours at one minute
        _scrape(db, series, step * 60_000, np.full(20, float(step)))
    before = _all(db)
    db.compact()
    assert db.blocks, "a head spanning 4 h of 1 h blocks must be cut"
    assert db.head.min_valid_t >= HOUR
    assert _all(db) == before
    db.close()
    with DB.open(tmp_path, _options(block_range_ms=HOUR)) as reopened:
        assert _all(reopened) == before


def test_no_read_misses_samples_while_the_head_is_cut(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A query during a block write, and a querier opened before the cut and read after it, both see
    every sample: the cut keeps them in the head until their block is in the list."""
    from ember.tsdb import maintenance

    series = [Labels.from_strings("__name__", "m", "i", str(i)) for i in range(5)]
    db = DB.open(tmp_path, _options(block_range_ms=HOUR))
    for step in range(0, 4 * 60):
        _scrape(db, series, step * 60_000, np.full(5, float(step)))
    before = _all(db)
    opened_before_cut = db.querier()
    during_writes: list[object] = []
    real_write_block = maintenance.write_block

    def observed_write_block(*args: object, **kwargs: object) -> object:
        during_writes.append(_all(db))
        return real_write_block(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(maintenance, "write_block", observed_write_block)
    db.compact()
    assert db.blocks and during_writes
    assert all(seen == before for seen in during_writes)
    found = opened_before_cut.select(ALL, MIN_TIME, MAX_TIME)
    assert sum(len(ts) for _, ts, _ in found) == sum(len(ts) for ts, _ in before.values())
    db.close()


def test_samples_older_than_the_head_are_out_of_bounds(tmp_path: Path) -> None:
    labels = Labels.from_strings("__name__", "m")
    with DB.open(tmp_path, _options(block_range_ms=HOUR)) as db:
        appender = db.appender()
        appender.append(SampleBatch.of_series(labels, np.arange(0, 4 * HOUR, 60_000), np.ones(240)))
        appender.commit()
        db.compact()
        appender = db.appender()
        result = appender.append(SampleBatch.of_series(Labels.from_strings("__name__", "n"), [10], [1.0]))
        appender.commit()
        assert result.out_of_bounds == 1


def test_out_of_order_window_accepts_and_merges(tmp_path: Path) -> None:
    labels = Labels.from_strings("__name__", "m")
    with DB.open(tmp_path, _options(out_of_order_window_ms=600_000)) as db:
        appender = db.appender()
        appender.append(SampleBatch.of_series(labels, [1_000_000, 1_200_000], [1.0, 3.0]))
        appender.commit()
        appender = db.appender()
        result = appender.append(SampleBatch.of_series(labels, [1_100_000, 100], [2.0, 9.0]))
        appender.commit()
        assert result.accepted == 1
        assert result.out_of_order == 1
        ts, vals = db.querier().select(ALL, MIN_TIME, MAX_TIME).series(0)
        assert ts.tolist() == [1_000_000, 1_100_000, 1_200_000]
        assert vals.tolist() == [1.0, 2.0, 3.0]


def test_delete_hides_samples_and_survives_restart_and_compaction(tmp_path: Path) -> None:
    a = Labels.from_strings("__name__", "m", "i", "a")
    b = Labels.from_strings("__name__", "m", "i", "b")
    db = DB.open(tmp_path, _options(block_range_ms=HOUR))
    for step in range(0, 3 * 60):
        _scrape(db, [a, b], step * 60_000, np.array([step, step], dtype=np.float64))
    db.delete([Matcher.equal("i", "a")], 30 * 60_000, 90 * 60_000)
    ts, _ = db.querier().select([Matcher.equal("i", "a")], MIN_TIME, MAX_TIME).series(0)
    assert not np.any((ts >= 30 * 60_000) & (ts <= 90 * 60_000))
    assert len(ts) == 180 - 61
    expected = _all(db)
    db.close()
    db = DB.open(tmp_path, _options(block_range_ms=HOUR))
    assert _all(db) == expected
    db.flush_head()
    db.clean_tombstones()
    assert _all(db) == expected
    db.close()


def test_retention_drops_old_blocks(tmp_path: Path) -> None:
    labels = Labels.from_strings("__name__", "m")
    with DB.open(tmp_path, _options(block_range_ms=HOUR, retention_ms=2 * HOUR)) as db:
        appender = db.appender()
        appender.append(SampleBatch.of_series(labels, np.arange(0, 10 * HOUR, 60_000), np.ones(600)))
        appender.commit()
        db.flush_head()
        ts, _ = db.querier().select(ALL, MIN_TIME, MAX_TIME).series(0)
        assert ts.min() >= 7 * HOUR
        assert ts.max() == 10 * HOUR - 60_000


def test_snapshot_is_a_readable_copy(tmp_path: Path) -> None:
    labels = Labels.from_strings("__name__", "m")
    with DB.open(tmp_path / "data", _options()) as db:
        appender = db.appender()
        appender.append(SampleBatch.of_series(labels, [1, 2, 3], [1.0, 2.0, 3.0]))
        appender.commit()
        target = db.snapshot(tmp_path / "snap")
        expected = _all(db)
    with DB.open(target, _options()) as copy:
        assert _all(copy) == expected


@pytest.mark.parametrize("hold", [None, 0])
def test_wal_truncation_keeps_segments_a_reader_holds(tmp_path: Path, hold: int | None) -> None:
    from ember.tsdb.wal import list_segments

    series = [Labels.from_strings("__name__", "m", "i", str(i)) for i in range(5)]
    first = 0  # a new database starts its WAL at segment 0
    db = DB.open(tmp_path, _options(block_range_ms=HOUR),
                 keep_segment_from=None if hold is None else (lambda: first + hold))
    assert list_segments(db.wal.directory)[0][0] == first
    for step in range(0, 4 * 60):
        _scrape(db, series, step * 60_000, np.full(5, float(step)))
    db.compact()
    assert db.blocks
    kept = [index for index, _ in list_segments(db.wal.directory)]
    if hold is None:
        assert first not in kept  # truncated up to the head cut
    else:
        assert kept[0] == first  # the held segment and everything after it survive
    db.close()
