"""The WAL watcher (`ember.tsdb.wal_watcher`) on a real database: records appended by `DB` come out as
model-level series and sample columns, across segment cuts, checkpoints and a blocked sink.

It lives next to the sender's tests because it is tested through the sender's `SampleSink` protocol."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from ember.model import STALE_NAN, SampleBatch
from ember.model.labels import Labels
from ember.storage.interface import AppendOptions
from ember.tsdb.db import DB
from ember.tsdb.options import HOUR_MS, DBOptions
from ember.tsdb.wal_watcher import WalWatcher
from tests.remote.sender.fakes import series


class RecordingSink:
    def __init__(self) -> None:
        self.labels: dict[int, Labels] = {}
        self.rows: list[tuple[Labels, int, int]] = []
        self.resets: list[int] = []
        self.open = threading.Event()
        self.open.set()
        self.lock = threading.Lock()

    def store_series(self, refs: np.ndarray, labels: Sequence[Labels], segment: int) -> None:
        with self.lock:
            self.labels.update(zip(refs.tolist(), labels, strict=True))

    def append_samples(self, refs: np.ndarray, timestamps: np.ndarray, values: np.ndarray) -> bool:
        self.open.wait()
        with self.lock:
            bits = values.view(np.uint64).tolist()
            self.rows += [(self.labels[r], t, b) for r, t, b in zip(refs.tolist(), timestamps.tolist(), bits,
                                                                    strict=True)]
        return True

    def series_reset(self, segment: int) -> None:
        self.resets.append(segment)

    def wait_for(self, count: int, timeout_s: float = 10) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.rows) < count and time.monotonic() < deadline:
            time.sleep(0.01)


def open_db(path: Path, segment_size: int = 4096) -> DB:
    return DB.open(path, DBOptions(wal_segment_size=segment_size, background_maintenance=False,
                                   wal_sync_interval_s=0.01))


def append_rows(db: DB, labels: list[Labels], timestamps: Sequence[int], values: np.ndarray,
                group: str | None = "target") -> list[tuple[Labels, int, int]]:
    expected = []
    for k, t in enumerate(timestamps):
        appender = db.appender()
        appender.append(SampleBatch.aligned(t, values[k], series=labels), AppendOptions(group=group))
        appender.commit()
        bits = values[k].view(np.uint64).tolist()
        expected += [(labels[s], int(t), bits[s]) for s in range(len(labels))]
    return expected


def test_follows_scrape_rows_and_unaligned_samples_across_segment_cuts(tmp_path: Path) -> None:
    db = open_db(tmp_path)
    sink = RecordingSink()
    watcher = WalWatcher(db.directory / "wal", sink, "test", start_timestamp_ms=0)
    watcher.start()
    try:
        labels = series(20)
        values = np.arange(60 * 20, dtype=np.float64).reshape(60, 20)
        values[-1] = STALE_NAN
        expected = append_rows(db, labels, [1000 * (k + 1) for k in range(60)], values)
        other = [Labels.from_strings("__name__", "pushed", "n", str(i)) for i in range(3)]
        appender = db.appender()
        appender.append(SampleBatch.of_samples(other, [0, 1, 2, 0], [5, 5, 5, 6], [1.0, 2.0, -0.0, 4.0]))
        appender.commit()
        expected += [(other[i], t, int(np.float64(v).view(np.uint64)))
                     for i, t, v in [(0, 5, 1.0), (1, 5, 2.0), (2, 5, -0.0), (0, 6, 4.0)]]
        assert len(db.wal.segments()) >= 3  # the data spans several segments
        sink.wait_for(len(expected))
        assert sorted(sink.rows, key=str) == sorted(expected, key=str)
        assert watcher.lowest_segment_in_use() == db.wal.current_segment
    finally:
        watcher.stop()
        db.close()


def test_starts_at_the_end_of_the_wal_but_knows_the_older_series(tmp_path: Path) -> None:
    db = open_db(tmp_path)
    labels = series(5)
    now = int(time.time() * 1000)
    append_rows(db, labels, [now - 60_000 + 1000 * k for k in range(30)], np.ones((30, 5)))
    sink = RecordingSink()
    watcher = WalWatcher(db.directory / "wal", sink, "test")
    watcher.start()
    try:
        expected = append_rows(db, labels, [now + 1000], np.full((1, 5), 7.0))
        sink.wait_for(5)
        time.sleep(0.1)
        assert sorted(sink.rows, key=str) == sorted(expected, key=str)
    finally:
        watcher.stop()
        db.close()


def test_reads_series_from_a_checkpoint_after_truncation(tmp_path: Path) -> None:
    db = open_db(tmp_path)
    labels = series(4)
    # 3h20m of data: the head cut writes the first two-hour block, checkpoints the WAL and
    # deletes the old segments; the series stay live (they have samples after the cut).
    stamps = [k * 600_000 for k in range(21)]
    append_rows(db, labels, stamps, np.ones((21, 4)))
    assert db._maintenance is not None
    db._maintenance.run_once(force_head_cut=False)
    wal_dir = db.directory / "wal"
    assert any(p.name.startswith("checkpoint.") for p in wal_dir.iterdir())
    assert 0 not in [i for i, _ in db.wal.segments()]  # the series records are now only in the checkpoint
    sink = RecordingSink()
    watcher = WalWatcher(wal_dir, sink, "test", start_timestamp_ms=4 * HOUR_MS)
    watcher.start()
    try:
        # These series exist already: the WAL gets no new series record, only the checkpoint has them.
        expected = append_rows(db, labels, [4 * HOUR_MS + 1000], np.full((1, 4), 2.0))
        sink.wait_for(4)
        assert sorted(sink.rows, key=str) == sorted(expected, key=str)
    finally:
        watcher.stop()
        db.close()


def test_a_blocked_sink_holds_its_segment_while_the_wal_moves_on(tmp_path: Path) -> None:
    db = open_db(tmp_path)
    sink = RecordingSink()
    sink.open.clear()
    watcher = WalWatcher(db.directory / "wal", sink, "test", start_timestamp_ms=0)
    watcher.start()
    try:
        labels = series(10)
        expected = append_rows(db, labels, [1000 * (k + 1) for k in range(5)], np.ones((5, 10)))
        time.sleep(0.2)
        held = watcher.lowest_segment_in_use()
        assert held is not None
        expected += append_rows(db, labels, [1000 * (k + 6) for k in range(80)], np.ones((80, 10)))
        assert db.wal.current_segment > held
        assert watcher.lowest_segment_in_use() == held
        sink.open.set()
        sink.wait_for(len(expected))
        assert sorted(sink.rows, key=str) == sorted(expected, key=str)
    finally:
        sink.open.set()
        watcher.stop()
        db.close()


def test_stop_returns_while_waiting_at_the_end_of_the_wal(tmp_path: Path) -> None:
    db = open_db(tmp_path)
    watcher = WalWatcher(db.directory / "wal", RecordingSink(), "test")
    watcher.start()
    watcher.stop()
    db.close()
    assert watcher._thread is not None and not watcher._thread.is_alive()


@pytest.mark.parametrize("damage", [b"\x00" * 40, b"\x07garbage-that-is-not-a-frame" * 3])
def test_damage_in_a_finished_segment_is_skipped_not_fatal(tmp_path: Path, damage: bytes) -> None:
    db = open_db(tmp_path, segment_size=1 << 20)
    labels = series(3)
    sink = RecordingSink()
    watcher = WalWatcher(db.directory / "wal", sink, "test", start_timestamp_ms=0)
    watcher.start()
    try:
        first = append_rows(db, labels, [1000], np.ones((1, 3)))
        sink.wait_for(3)
        with open(db.directory / "wal" / f"{db.wal.current_segment:08d}", "ab") as segment:
            segment.write(damage)
        db.wal.cut_segment()
        later = append_rows(db, labels, [2000], np.full((1, 3), 2.0))
        sink.wait_for(6)
        assert sorted(sink.rows, key=str) == sorted(first + later, key=str)
    finally:
        watcher.stop()
        db.close()


def test_truncation_that_respects_the_hold_loses_nothing(tmp_path: Path) -> None:
    """What the TSDB does once wired: checkpoint and delete only the segments before the watcher's."""
    from ember.tsdb.checkpoint import checkpoint

    db = open_db(tmp_path)
    sink = RecordingSink()
    watcher = WalWatcher(db.directory / "wal", sink, "test", start_timestamp_ms=0)
    watcher.start()
    try:
        labels = series(10)
        expected = append_rows(db, labels, [1000 * (k + 1) for k in range(60)], np.ones((60, 10)))
        sink.wait_for(len(expected))
        sink.open.clear()  # the receiver goes away: the watcher stops in a later segment
        expected += append_rows(db, labels, [1000 * (k + 61) for k in range(100)], np.ones((100, 10)))
        time.sleep(0.2)
        hold = watcher.lowest_segment_in_use()
        assert hold is not None and hold > 0
        last = min(db.wal.cut_segment() - 1, hold - 1)
        checkpoint(db.wal.directory, last, lambda refs: np.ones(len(refs), dtype=np.bool_), 0)
        db.wal.truncate_before(last + 1)
        assert min(i for i, _ in db.wal.segments()) == hold
        sink.open.set()
        sink.wait_for(len(expected))
        assert sorted(sink.rows, key=str) == sorted(expected, key=str)
    finally:
        sink.open.set()
        watcher.stop()
        db.close()


class FailingOnceSink(RecordingSink):
    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    def append_samples(self, refs: np.ndarray, timestamps: np.ndarray, values: np.ndarray) -> bool:
        if not self.failed:
            self.failed = True
            raise RuntimeError("sink broke once")
        return super().append_samples(refs, timestamps, values)


def test_an_error_restarts_the_watcher_at_its_segment(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db = open_db(tmp_path, segment_size=1 << 20)
    sink = FailingOnceSink()
    watcher = WalWatcher(db.directory / "wal", sink, "test", start_timestamp_ms=0, restart_delay_s=0.05)
    watcher.start()
    try:
        expected = append_rows(db, series(4), [1000, 2000], np.ones((2, 4)))
        sink.wait_for(8)
        # The failed batch is read again from the segment's start: at least once, never lost.
        assert set(sink.rows) == set(expected)
        assert "WAL watcher test failed; resuming" in caplog.text
    finally:
        watcher.stop()
        db.close()


def test_a_new_checkpoint_behind_the_watcher_resets_series(tmp_path: Path) -> None:
    db = open_db(tmp_path)
    sink = RecordingSink()
    watcher = WalWatcher(db.directory / "wal", sink, "test", start_timestamp_ms=0, checkpoint_check_s=0.01)
    watcher.start()
    try:
        expected = append_rows(db, series(4), [k * 600_000 + 1 for k in range(21)], np.ones((21, 4)))
        sink.wait_for(len(expected))
        assert len(sink.rows) == len(expected)
        assert db._maintenance is not None
        db._maintenance.run_once(force_head_cut=False)
        checkpoints = sorted(p.name for p in (db.directory / "wal").iterdir() if p.name.startswith("checkpoint."))
        assert checkpoints
        deadline = time.monotonic() + 5
        while not sink.resets and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sink.resets == [int(checkpoints[-1].split(".")[1])]
    finally:
        watcher.stop()
        db.close()


def test_waits_for_a_wal_that_does_not_exist_yet(tmp_path: Path) -> None:
    sink = RecordingSink()
    watcher = WalWatcher(tmp_path / "data" / "wal", sink, "test", start_timestamp_ms=0, poll_interval_s=0.01)
    watcher.start()
    try:
        time.sleep(0.1)
        assert watcher.lowest_segment_in_use() == 0  # not skipping ahead past segments never written
        db = open_db(tmp_path / "data")
        try:
            expected = append_rows(db, series(2), [1000], np.ones((1, 2)))
            sink.wait_for(2)
            assert sorted(sink.rows, key=str) == sorted(expected, key=str)
        finally:
            db.close()
    finally:
        watcher.stop()


def test_drain_hands_over_everything_written_before_it_then_ends(tmp_path: Path) -> None:
    db = open_db(tmp_path, segment_size=1 << 20)
    sink = RecordingSink()
    watcher = WalWatcher(db.directory / "wal", sink, "test", start_timestamp_ms=0, poll_interval_s=5.0)
    watcher.start()
    try:
        labels = series(10)
        values = np.arange(30 * 10, dtype=np.float64).reshape(30, 10)
        expected = append_rows(db, labels, [1000 * (k + 1) for k in range(30)], values)
        watcher.drain(timeout_s=10)
        assert sorted(sink.rows, key=str) == sorted(expected, key=str)
        assert watcher._thread is not None and not watcher._thread.is_alive()
    finally:
        watcher.stop()
        db.close()
