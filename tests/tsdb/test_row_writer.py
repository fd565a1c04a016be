"""The database's row writer (ember/tsdb/row_writer.py): a steady group's rows written and committed in one
call, read back and replayed exactly as the appender's rows are, or declined with nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from ember.model.labels import Labels
from ember.model.matchers import Matcher
from ember.model.samples import SampleBatch
from ember.storage.interface import MAX_TIME, MIN_TIME, AppendOptions, RowAppendable
from ember.tsdb.db import DB
from ember.tsdb.options import DBOptions

GROUP = AppendOptions(group="scrape/job/a")
SERIES = [Labels.from_strings("__name__", name) for name in ("c", "a", "d", "b")]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[DB]:
    with DB.open(tmp_path, DBOptions(background_maintenance=False)) as opened:
        yield opened


def _append_row(db: DB, t: int, values: list[float], series: list[Labels] = SERIES) -> np.ndarray:  # type: ignore[type-arg]
    appender = db.appender()
    result = appender.append(SampleBatch.aligned(t, values, series=series), GROUP)
    appender.commit()
    return result.refs


def _by_name(db: DB) -> dict[str, list[tuple[int, float]]]:
    found = db.querier().select([Matcher.regex("__name__", ".+")], MIN_TIME, MAX_TIME)
    return {labels.metric_name: list(zip(times.tolist(), values.tolist(), strict=True))
            for labels, times, values in found}


def test_the_database_is_a_row_appendable(db: DB) -> None:
    assert isinstance(db, RowAppendable)


def test_a_writer_is_bound_only_to_the_groups_current_series_set(db: DB) -> None:
    assert db.row_writer(GROUP.group or "", np.array([0, 1], np.int64)) is None  # no generation yet
    refs = _append_row(db, 1000, [1.0, 2.0, 3.0, 4.0])
    assert db.row_writer("scrape/job/other", refs) is None
    assert db.row_writer(GROUP.group or "", refs[:3]) is None
    assert db.row_writer(GROUP.group or "", refs + 100) is None
    assert db.row_writer(GROUP.group or "", refs) is not None  # in the caller's order (unsorted here)
    assert db.row_writer(GROUP.group or "", np.sort(refs)) is not None


def test_written_rows_read_and_replay_as_appended_ones(tmp_path: Path) -> None:
    with DB.open(tmp_path, DBOptions(background_maintenance=False)) as db:
        refs = _append_row(db, 1000, [1.0, 2.0, 3.0, 4.0])
        writer = db.row_writer(GROUP.group or "", refs)
        assert writer is not None
        before = db.metrics.samples_appended_total
        assert writer.write(2000, np.array([10.0, 20.0, 30.0]), np.array([40.0]))  # c, a, d | b
        assert writer.write(3000, np.array([11.0]), np.array([21.0, 31.0, 41.0]))
        assert db.metrics.samples_appended_total == before + 8
        expected = {"c": [(1000, 1.0), (2000, 10.0), (3000, 11.0)], "a": [(1000, 2.0), (2000, 20.0), (3000, 21.0)],
                    "d": [(1000, 3.0), (2000, 30.0), (3000, 31.0)], "b": [(1000, 4.0), (2000, 40.0), (3000, 41.0)]}
        assert _by_name(db) == expected
        _append_row(db, 4000, [12.0, 22.0, 32.0, 42.0])  # the appender continues the same rows
        assert [t for t, _ in _by_name(db)["a"]] == [1000, 2000, 3000, 4000]
    with DB.open(tmp_path, DBOptions(background_maintenance=False)) as db:
        replayed = _by_name(db)
        assert {name: samples[:3] for name, samples in replayed.items()} == expected
        assert replayed["b"][3] == (4000, 42.0)


def test_a_row_not_newer_than_the_last_is_declined_and_nothing_is_written(db: DB) -> None:
    refs = _append_row(db, 1000, [1.0, 2.0, 3.0, 4.0])
    writer = db.row_writer(GROUP.group or "", refs)
    assert writer is not None
    assert not writer.write(1000, np.array([9.0, 9.0, 9.0, 9.0]), np.empty(0))
    assert not writer.write(500, np.array([9.0, 9.0, 9.0, 9.0]), np.empty(0))
    assert all(len(samples) == 1 for samples in _by_name(db).values())
    assert writer.write(2000, np.array([5.0, 6.0, 7.0, 8.0]), np.empty(0))


def test_a_series_with_a_newer_sample_from_elsewhere_declines_the_whole_row(db: DB) -> None:
    refs = _append_row(db, 1000, [1.0, 2.0, 3.0, 4.0])
    writer = db.row_writer(GROUP.group or "", refs)
    assert writer is not None
    appender = db.appender()
    appender.append(SampleBatch.of_series(SERIES[1], [5000], [50.0]))  # "a", outside the group
    appender.commit()
    assert not writer.write(3000, np.array([10.0, 20.0, 30.0, 40.0]), np.empty(0))
    assert _by_name(db)["c"] == [(1000, 1.0)]
    assert _by_name(db)["a"] == [(1000, 2.0), (5000, 50.0)]
    assert writer.write(6000, np.array([10.0, 20.0, 30.0, 40.0]), np.empty(0))


def test_a_row_below_the_heads_lower_bound_is_declined(db: DB) -> None:
    refs = _append_row(db, 1000, [1.0, 2.0, 3.0, 4.0])
    writer = db.row_writer(GROUP.group or "", refs)
    assert writer is not None
    db.head.min_valid_t = 10_000  # as after the head was cut into a block
    assert not writer.write(2000, np.array([10.0, 20.0, 30.0, 40.0]), np.empty(0))
    assert _by_name(db)["c"] == [(1000, 1.0)]


def test_a_writer_declines_once_its_group_has_another_series_set(db: DB) -> None:
    refs = _append_row(db, 1000, [1.0, 2.0, 3.0, 4.0])
    writer = db.row_writer(GROUP.group or "", refs)
    assert writer is not None
    _append_row(db, 2000, [1.0, 2.0, 3.0], SERIES[:3])  # "b" vanished: a new generation
    assert not writer.write(3000, np.array([10.0, 20.0, 30.0, 40.0]), np.empty(0))
    assert _by_name(db)["b"] == [(1000, 4.0)]
    assert [t for t, _ in _by_name(db)["c"]] == [1000, 2000]
