"""The database: a data directory with a lock, a WAL, the head and the blocks.

`DB.open` takes the lock, loads the blocks, replays the WAL into the head (repairing a damaged tail),
and starts the maintenance thread that cuts the head into blocks, compacts them, applies retention and
truncates the WAL. It is the only place that knows all of these parts.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ember.model.matchers import Matcher
from ember.model.samples import Int64Array
from ember.storage.interface import MIN_TIME
from ember.tsdb import append_kernels, codec
from ember.tsdb.appender import DBAppender
from ember.tsdb.block_loader import load_blocks
from ember.tsdb.block_reader import Block
from ember.tsdb.dir_lock import DirLock
from ember.tsdb.head import Head, HeadOptions
from ember.tsdb.maintenance import Maintenance
from ember.tsdb.options import DBOptions
from ember.tsdb.querier import DBQuerier
from ember.tsdb.row_writer import GenerationRowWriter
from ember.tsdb.wal import WAL
from ember.tsdb.wal_reader import ReplayProgress, read_records
from ember.tsdb.wal_records import (
    GroupSamplesRecord,
    SamplesRecord,
    SeriesRecord,
    SeriesSetRecord,
    TombstonesRecord,
)

log = logging.getLogger("ember.tsdb")


@dataclass
class DBMetrics:
    """Counters read by self-monitoring (`/metrics`)."""

    samples_appended_total: int = 0
    head_cuts_total: int = 0
    compactions_total: int = 0
    compactions_failed_total: int = 0
    blocks_deleted_by_retention_total: int = 0
    wal_replay_seconds: float = 0.0
    wal_replay_records: int = 0


class DB:
    def __init__(self, directory: Path, options: DBOptions) -> None:
        self.directory = directory
        self.options = options
        self.metrics = DBMetrics()
        self.head = Head(
            HeadOptions(
                frame_rows=options.head_frame_rows,
                block_range_ms=options.block_range_ms,
                out_of_order_window_ms=options.out_of_order_window_ms,
            )
        )
        self._lock = DirLock(directory)
        self._blocks: list[Block] = []
        self.blocks_lock = threading.Lock()
        self.wal: WAL
        self._maintenance: Maintenance | None = None
        # The lowest WAL segment a reader outside the database (the remote-write sender) still needs;
        # WAL truncation keeps it and every later segment (the agent storage takes the same callable).
        self.keep_segment_from: Callable[[], int | None] | None = None
        self._closed = False

    @classmethod
    def open(cls, directory: str | Path, options: DBOptions | None = None, *,
             replay_progress: ReplayProgress | None = None,
             keep_segment_from: Callable[[], int | None] | None = None) -> DB:
        """Opens (creating if needed) the database; `replay_progress` is updated while the WAL replays;
        `keep_segment_from()` names the lowest WAL segment truncation must keep (None: no limit)."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        db = cls(path, options or DBOptions())
        db.keep_segment_from = keep_segment_from
        db._lock.acquire()
        try:
            db._start(replay_progress)
        except BaseException:
            db._lock.release()
            raise
        return db

    def _start(self, replay_progress: ReplayProgress | None) -> None:
        codec.warm_up()
        append_kernels.warm_up()
        self._blocks = load_blocks(self.directory, log)
        if self._blocks:
            self.head.min_valid_t = max(b.meta.max_time for b in self._blocks)
        self._replay(replay_progress)
        self.wal = WAL(
            self.directory / "wal",
            segment_size=self.options.wal_segment_size,
            sync_interval=self.options.wal_sync_interval_s,
            logger=log,
        )
        self._maintenance = Maintenance(self, log)
        if self.options.background_maintenance:
            self._maintenance.start(self.options.maintenance_interval_s)

    def _replay(self, progress: ReplayProgress | None) -> None:
        started = time.monotonic()
        head = self.head
        count = 0
        for record in read_records(self.directory / "wal", progress=progress):
            count += 1
            if isinstance(record, GroupSamplesRecord):
                head.replay_group_samples(record)
            elif isinstance(record, SamplesRecord):
                head.replay_samples(record)
            elif isinstance(record, SeriesRecord):
                head.replay_series(record)
            elif isinstance(record, SeriesSetRecord):
                head.replay_series_set(record)
            elif isinstance(record, TombstonesRecord):
                head.replay_tombstones(record)
        self.metrics.wal_replay_seconds = time.monotonic() - started
        self.metrics.wal_replay_records = count
        if count:
            log.info("WAL replay done: %d records in %.3fs", count, self.metrics.wal_replay_seconds)

    # ----------------------------------------------------------------- interfaces
    def appender(self) -> DBAppender:
        self._check_open()
        return DBAppender(self)

    def row_writer(self, group: str, refs: Int64Array) -> GenerationRowWriter | None:
        self._check_open()
        return GenerationRowWriter.bind(self, group, refs)

    def querier(self) -> DBQuerier:
        self._check_open()
        return DBQuerier(self.head, lambda: self.blocks)

    @property
    def blocks(self) -> list[Block]:
        with self.blocks_lock:
            return list(self._blocks)

    def replace_blocks(self, added: list[Block], removed_ulids: set[str]) -> None:
        """Swaps the block list; removed block directories are deleted (readers keep their mmaps)."""
        with self.blocks_lock:
            removed = [b for b in self._blocks if b.meta.ulid in removed_ulids]
            kept = [b for b in self._blocks if b.meta.ulid not in removed_ulids]
            self._blocks = sorted(kept + added, key=lambda b: (b.meta.min_time, b.meta.ulid))
        for block in removed:
            shutil.rmtree(block.path, ignore_errors=True)

    # ---------------------------------------------------------------- operations
    def compact(self) -> None:
        """Runs one maintenance pass now: head cut, compaction, retention, WAL truncation."""
        self._check_open()
        assert self._maintenance is not None
        self._maintenance.run_once(force_head_cut=False)

    def flush_head(self) -> None:
        """Writes every sample of the head into blocks (used by import and tests)."""
        self._check_open()
        assert self._maintenance is not None
        self._maintenance.run_once(force_head_cut=True)

    def delete(self, matchers: list[Matcher], mint: int, maxt: int) -> None:
        """Deletes samples of matching series in [mint, maxt]: tombstones now, physically at compaction."""
        self._check_open()
        from ember.tsdb.wal_records import encode_record

        position = None
        with self.head.lock:
            record = self.head.delete(matchers, mint, maxt)
            if record is not None:
                position = self.wal.log([encode_record(record)])
        if position is not None:
            self.wal.wait_synced(position)
        for block in self.blocks:
            if block.meta.min_time <= maxt and block.meta.max_time > mint:
                block.delete(matchers, mint, maxt)

    def clean_tombstones(self) -> None:
        self._check_open()
        assert self._maintenance is not None
        self._maintenance.clean_tombstones()

    def snapshot(self, target: str | Path, *, with_head: bool = True) -> Path:
        """Hard-links every block into `target`; with the head, writes it out as a block first."""
        from ember.tsdb.snapshot import snapshot

        self._check_open()
        if with_head:
            self.flush_head()
        return snapshot(self.blocks, Path(target))

    def sync(self) -> None:
        self.wal.sync()

    @property
    def min_time(self) -> int:
        blocks = self.blocks
        head_min = self.head.min_time
        return min([b.meta.min_time for b in blocks] + [head_min]) if blocks or head_min else MIN_TIME

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._maintenance is not None:
            self._maintenance.stop()
        try:
            self.wal.close()
        finally:
            self._lock.release()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the database is closed")

    def __enter__(self) -> DB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
