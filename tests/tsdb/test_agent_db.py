"""Agent storage: only the WAL, in the database's format; replay, out-of-order refusal, truncation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.errors import DataDirLockedError, UnavailableError, UnknownSeriesRefError
from ember.model.labels import Labels
from ember.model.matchers import Matcher
from ember.model.samples import STALE_NAN, SampleBatch
from ember.storage.interface import MAX_TIME, MIN_TIME, AppendOptions, AppendResult
from ember.tsdb.agent_db import AgentDB, AgentOptions
from ember.tsdb.db import DB
from ember.tsdb.options import DBOptions
from ember.tsdb.wal import list_checkpoints, list_segments
from ember.tsdb.wal_reader import read_records
from ember.tsdb.wal_records import GroupSamplesRecord, SamplesRecord, SeriesRecord, SeriesSetRecord

ALL = [Matcher.regex("__name__", ".+")]
UP_A = Labels.from_strings("__name__", "up", "job", "a")
UP_B = Labels.from_strings("__name__", "up", "job", "b")
QUIET = AgentOptions(background_truncation=False, wal_sync_interval_s=1.0)
DB_QUIET = DBOptions(background_maintenance=False, wal_sync_interval_s=1.0, retention_ms=0)


def _commit(db: AgentDB, batch: SampleBatch, group: str | None = None) -> AppendResult:
    appender = db.appender()
    result = appender.append(batch, AppendOptions(group=group))
    appender.commit()
    return result


def _wal_samples(directory: Path) -> dict[Labels, list[tuple[int, float]]]:
    """Every sample of a WAL, by series, decoded from its records independently of the agent."""
    labels: dict[int, Labels] = {}
    sets: dict[int, list[int]] = {}
    found: dict[Labels, list[tuple[int, float]]] = {}
    for record in read_records(directory / "wal"):
        if isinstance(record, SeriesRecord):
            labels.update(zip(record.refs.tolist(), record.labels, strict=True))
        elif isinstance(record, SeriesSetRecord):
            sets[record.set_id] = record.refs.tolist()
        elif isinstance(record, GroupSamplesRecord):
            for ref, value in zip(sets[record.set_id], record.values.tolist(), strict=True):
                found.setdefault(labels[ref], []).append((record.timestamp, value))
        elif isinstance(record, SamplesRecord):
            for ref, t, value in zip(record.refs.tolist(), record.timestamps.tolist(), record.values.tolist(),
                                     strict=True):
                found.setdefault(labels[ref], []).append((t, value))
    return found


def _read_with_db(directory: Path) -> dict[Labels, list[tuple[int, float]]]:
    with DB.open(directory, DB_QUIET) as db:
        found = db.querier().select(ALL, MIN_TIME, MAX_TIME)
        return {lb: list(zip(ts.tolist(), vals.tolist(), strict=True)) for lb, ts, vals in found}


def test_samples_go_to_the_wal_only_after_commit(tmp_path: Path) -> None:
    with AgentDB.open(tmp_path, QUIET) as db:
        appender = db.appender()
        appender.append(SampleBatch.of_series(UP_A, [1000, 2000], [1.0, 2.0]))
        db.wal.sync()
        assert _wal_samples(tmp_path) == {}
        appender.rollback()
        result = _commit(db, SampleBatch.of_series(UP_B, [1000, 2000], [3.0, STALE_NAN]))
        assert result.accepted == 2
    samples = _wal_samples(tmp_path)
    assert list(samples) == [UP_B] and samples[UP_B][0] == (1000, 3.0)
    assert np.array([samples[UP_B][1][1]]).view(np.uint64)[0] == 0x7FF0000000000002


def test_scrape_rows_are_logged_as_series_sets_the_database_replays(tmp_path: Path) -> None:
    series = [UP_A, UP_B]
    with AgentDB.open(tmp_path, QUIET) as db:
        for step in range(4):
            _commit(db, SampleBatch.aligned(step * 15_000, [step, step * 2], series=series), group="t1")
        _commit(db, SampleBatch.aligned(60_000, [9.0], series=[UP_B]), group="t1")  # the set changes
    types = [type(r).__name__ for r in read_records(tmp_path / "wal")]
    assert types.count("SeriesSetRecord") == 2 and types.count("GroupSamplesRecord") == 5
    assert types.count("SeriesRecord") == 1  # each series is defined once
    assert _read_with_db(tmp_path) == {
        UP_A: [(0, 0.0), (15_000, 1.0), (30_000, 2.0), (45_000, 3.0)],
        UP_B: [(0, 0.0), (15_000, 2.0), (30_000, 4.0), (45_000, 6.0), (60_000, 9.0)],
    }


def test_out_of_order_and_duplicate_samples_are_refused(tmp_path: Path) -> None:
    with AgentDB.open(tmp_path, QUIET) as db:
        _commit(db, SampleBatch.of_series(UP_A, [1000, 2000], [1.0, 2.0]))
        result = _commit(db, SampleBatch.of_series(UP_A, [1500, 2000, 2000, 3000, 2500], [9.0, 2.0, 7.0, 3.0, 1.0]))
        assert (result.accepted, result.out_of_order, result.duplicate) == (2, 2, 1)
        assert result.first_error_message() == "out of order sample"
        assert db.metrics.out_of_order_samples_total == 2
    assert _wal_samples(tmp_path) == {UP_A: [(1000, 1.0), (2000, 2.0), (3000, 3.0)]}


def test_a_sample_staged_by_two_appenders_is_accepted_once(tmp_path: Path) -> None:
    with AgentDB.open(tmp_path, QUIET) as db:
        first, second = db.appender(), db.appender()
        assert first.append(SampleBatch.of_series(UP_A, [1000], [1.0])).accepted == 1
        assert second.append(SampleBatch.of_series(UP_A, [1000], [2.0])).accepted == 1
        assert first.commit(sync=True).accepted == 1
        synced = db.wal.syncs_total
        assert synced >= 1
        late = second.commit()
        assert (late.accepted, late.duplicate) == (0, 1)  # re-validated at commit: the race is lost
    assert _wal_samples(tmp_path) == {UP_A: [(1000, 1.0)]}


def test_append_by_refs_and_unknown_refs(tmp_path: Path) -> None:
    with AgentDB.open(tmp_path, QUIET) as db:
        first = _commit(db, SampleBatch.aligned(1000, [1.0, 2.0], series=[UP_A, UP_B]))
        _commit(db, SampleBatch.aligned(2000, [3.0, 4.0], refs=first.refs))
        with pytest.raises(UnknownSeriesRefError):
            db.appender().append(SampleBatch.aligned(3000, [1.0], refs=[99]))
    assert _wal_samples(tmp_path) == {UP_A: [(1000, 1.0), (2000, 3.0)], UP_B: [(1000, 2.0), (2000, 4.0)]}


def test_replay_restores_refs_and_newest_timestamps(tmp_path: Path) -> None:
    with AgentDB.open(tmp_path, QUIET) as db:
        refs = _commit(db, SampleBatch.aligned(5000, [1.0, 2.0], series=[UP_A, UP_B]), group="t").refs
        _commit(db, SampleBatch.of_series(UP_B, [6000], [3.0]))
    with AgentDB.open(tmp_path, QUIET) as db:
        assert len(db.series) == 2
        again = _commit(db, SampleBatch.of_samples([UP_A, UP_B], [0, 1, 1], [5000, 5500, 7000], [1.0, 1.0, 4.0]))
        assert again.refs.tolist() == refs.tolist()
        assert (again.accepted, again.out_of_order) == (2, 1)  # 5000 is the same sample again: a no-op
    definitions = [r for r in read_records(tmp_path / "wal") if isinstance(r, SeriesRecord)]
    assert len(definitions) == 1  # replayed series are not defined again
    assert _wal_samples(tmp_path)[UP_B] == [(5000, 2.0), (6000, 3.0), (7000, 4.0)]


def test_queries_are_refused_and_the_directory_is_locked(tmp_path: Path) -> None:
    with AgentDB.open(tmp_path, QUIET) as db:
        with pytest.raises(UnavailableError, match="unsupported operation with WAL-only storage"):
            db.querier()
        with pytest.raises(DataDirLockedError):
            AgentDB.open(tmp_path, QUIET)
    AgentDB.open(tmp_path, QUIET).close()


class _Clock:
    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def _fill(db: AgentDB, series: list[Labels], start: int, steps: int) -> None:
    for step in range(steps):
        _commit(db, SampleBatch.aligned(start + step * 1000, np.arange(len(series), dtype=float), series=series),
                group="g")
        db.wal.cut_segment()


def test_truncation_forgets_idle_series_and_checkpoints_old_segments(tmp_path: Path) -> None:
    clock = _Clock(100_000)
    busy = [Labels.from_strings("__name__", "busy", "i", str(i)) for i in range(3)]
    idle = Labels.from_strings("__name__", "idle")
    options = AgentOptions(background_truncation=False, min_wal_time_ms=10_000, max_wal_time_ms=60_000)
    with AgentDB.open(tmp_path, options, clock=clock) as db:
        _commit(db, SampleBatch.of_series(idle, [1000], [1.0]))
        _fill(db, busy, 90_000, 9)
        clock.now = 105_000
        assert db.truncate()
        assert len(db.series) == 3 and db.metrics.series_removed_total == 1
        ((checkpoint_index, _),) = list_checkpoints(tmp_path / "wal")
        assert next(i for i, _ in list_segments(tmp_path / "wal")) == checkpoint_index + 1
        _fill(db, busy, 100_000, 9)
        clock.now = 110_000
        assert db.truncate()
        # Forgotten before the segments now checkpointed: neither its definition nor samples remain.
        kept = {lb for r in read_records(tmp_path / "wal") if isinstance(r, SeriesRecord) for lb in r.labels}
        assert kept == set(busy)
        assert idle not in _wal_samples(tmp_path)
        _commit(db, SampleBatch.of_series(idle, [200_000], [5.0]))  # comes back as a new series
    with AgentDB.open(tmp_path, options, clock=clock) as db:
        assert len(db.series) == 4
        assert _commit(db, SampleBatch.of_series(busy[0], [107_000], [0.0])).out_of_order == 1
        assert _commit(db, SampleBatch.of_series(busy[0], [108_001], [0.0])).accepted == 1


def test_truncation_keeps_segments_the_sender_still_needs(tmp_path: Path) -> None:
    needed: list[int | None] = [0]
    series = [Labels.from_strings("__name__", "m", "i", str(i)) for i in range(2)]
    with AgentDB.open(tmp_path, QUIET, keep_segment_from=lambda: needed[0]) as db:
        _fill(db, series, 1000, 8)
        before = [i for i, _ in list_segments(tmp_path / "wal")]
        assert not db.truncate()
        assert [i for i, _ in list_segments(tmp_path / "wal")][: len(before)] == before
        needed[0] = 3
        assert db.truncate()
        assert next(i for i, _ in list_segments(tmp_path / "wal")) == 3
        assert [i for i, _ in list_checkpoints(tmp_path / "wal")] == [2]
        needed[0] = None
        assert db.truncate()
        assert next(i for i, _ in list_segments(tmp_path / "wal")) > 3


def test_a_series_forgotten_after_the_checkpointed_segments_stays_defined(tmp_path: Path) -> None:
    clock = _Clock(50_000)
    keep = [Labels.from_strings("__name__", "k", "i", str(i)) for i in range(2)]
    late = Labels.from_strings("__name__", "late")
    options = AgentOptions(background_truncation=False, min_wal_time_ms=1000, max_wal_time_ms=10_000)
    needed: list[int | None] = [0]
    with AgentDB.open(tmp_path, options, clock=clock, keep_segment_from=lambda: needed[0]) as db:
        _fill(db, keep, 40_000, 6)
        _commit(db, SampleBatch.of_series(late, [41_000], [1.0]))
        db.wal.cut_segment()
        clock.now = 60_000  # everything is idle now: all series are forgotten, but no segment may go yet
        assert not db.truncate()
        assert len(db.series) == 0
        needed[0] = None
        assert db.truncate()
    # The checkpoint covers segments written before the series were forgotten: their definitions stay
    # for the sender, which may still read later segments holding their samples.
    defined = {lb for r in read_records(tmp_path / "wal") if isinstance(r, SeriesRecord) for lb in r.labels}
    assert late in defined and set(keep) <= defined


def test_the_database_reads_an_agent_wal_and_agrees_on_every_append(tmp_path: Path) -> None:
    _agrees_with_database(tmp_path, [(0, [(0, 1000, 1.0), (1, 1000, 2.0)]), (1, [(0, 500, 3.0), (0, 2000, 4.0)])])


SAMPLE = st.tuples(st.integers(0, 3), st.integers(0, 20), st.sampled_from([1.0, 2.0, STALE_NAN]))


@settings(max_examples=10)
@given(st.lists(st.tuples(st.integers(0, 1), st.lists(SAMPLE, min_size=1, max_size=8)), min_size=1, max_size=6))
def test_agent_and_database_agree(batches: list[tuple[int, list[tuple[int, int, float]]]]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        _agrees_with_database(Path(directory), batches)


def _agrees_with_database(directory: Path, batches: list[tuple[int, list[tuple[int, int, float]]]]) -> None:
    """Same batches into an agent and a database: same counts, and the agent's WAL replays into the
    same samples the database holds (the format is shared, so the WAL watcher reads either)."""
    series = [Labels.from_strings("__name__", "m", "i", str(i)) for i in range(4)]
    agent = AgentDB.open(directory / "agent", QUIET)
    db = DB.open(directory / "db", DB_QUIET)
    try:
        for aligned, samples in batches:
            if aligned:
                chosen = sorted({s for s, _, _ in samples})
                batch = SampleBatch.aligned(samples[0][1] * 1000, [2.0] * len(chosen),
                                            series=[series[i] for i in chosen])
            else:
                batch = SampleBatch.of_samples(series, [s for s, _, _ in samples], [t * 1000 for _, t, _ in samples],
                                               [v for _, _, v in samples])
            results = []
            for storage in (agent, db):
                appender = storage.appender()
                staged = appender.append(batch, AppendOptions(group="g" if aligned else None))
                committed = appender.commit()
                results.append((staged.accepted, staged.out_of_order, staged.duplicate, committed.accepted))
            assert results[0] == results[1]
        expected = db.querier().select(ALL, MIN_TIME, MAX_TIME)
        want = {lb: (ts.tolist(), vals.view(np.uint64).tolist()) for lb, ts, vals in expected}
    finally:
        agent.close()
        db.close()
    got = _read_with_db(directory / "agent")
    assert {lb: ([t for t, _ in p], np.array([v for _, v in p]).view(np.uint64).tolist()) for lb, p in got.items()} \
        == want
