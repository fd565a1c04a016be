from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

import ember
from ember.errors import DataDirLockedError, OutOfOrderSampleError
from ember.model.labels import Labels


def test_public_names_are_pinned() -> None:
    assert ember.__all__ == ["BatchAppender", "Database", "Labels", "Series", "__version__", "open"]
    for name in ember.__all__:
        assert getattr(ember, name) is not None


def test_append_many_and_select_round_trip(tmp_path: Path) -> None:
    t = np.arange(0, 600_000, 15_000)
    values = np.sin(t / 1e5)
    with ember.open(tmp_path) as db:
        db.append_many({"__name__": "temperature", "room": "lab"}, t, values)
        db.append('temperature{room="hall"}', 0, 1.5)
        found = db.select('temperature{room="lab"}', 0, 600_000)
    assert [s.labels for s in found] == [Labels.from_strings("__name__", "temperature", "room", "lab")]
    assert found[0].timestamps.tolist() == t.tolist()
    assert found[0].values.tolist() == values.tolist()
    with ember.open(tmp_path) as db:
        assert len(db.select('{__name__="temperature"}')) == 2


def test_datetime64_timestamps_are_milliseconds(tmp_path: Path) -> None:
    times = np.array(["2026-01-01T00:00:00", "2026-01-01T00:00:15"], dtype="datetime64[s]")
    with ember.open(tmp_path) as db:
        db.append_many({"__name__": "x"}, times, [1.0, 2.0])
        start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        (series,) = db.select("x", start, start + dt.timedelta(minutes=1))
    assert series.timestamps.tolist() == [1767225600000, 1767225615000]


def test_rejected_batch_raises_prometheus_error_and_stores_nothing(tmp_path: Path) -> None:
    with ember.open(tmp_path) as db:
        db.append("x", 2000, 1.0)
        with pytest.raises(OutOfOrderSampleError, match="out of order sample"), db.batch() as batch:
            batch.append("y", 5000, 1.0)
            batch.append("x", 1000, 1.0)
        assert db.select("y") == []


def test_aligned_batch_and_sync_commit(tmp_path: Path) -> None:
    with ember.open(tmp_path) as db:
        with db.batch(sync=True) as batch:
            batch.append_aligned(1000, ["a", "b", "c"], [1.0, 2.0, 3.0], group="g")
        assert [s.values.tolist() for s in db.select('{__name__=~"a|b|c"}')] == [[1.0], [2.0], [3.0]]


def test_second_open_is_refused(tmp_path: Path) -> None:
    with ember.open(tmp_path), pytest.raises(DataDirLockedError):
        ember.open(tmp_path)


def test_unknown_option_is_named(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="retention_days"):
        ember.open(tmp_path, retention_days=3)


def test_stats_flush_and_delete(tmp_path: Path) -> None:
    with ember.open(tmp_path, block_range_ms=3_600_000) as db:
        db.append_many("m", np.arange(0, 7_200_000, 60_000), np.ones(120))
        db.flush()
        stats = db.stats()
        assert stats["head"]["num_samples"] == 0
        assert sum(b["num_samples"] for b in stats["blocks"]) == 120
        db.delete("m", 0, 3_599_999)
        (series,) = db.select("m")
        assert series.timestamps.min() == 3_600_000
