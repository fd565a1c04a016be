"""Background upkeep of the database: head cuts into blocks, compaction, retention, WAL truncation."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ember.model.labels import Labels
from ember.storage.interface import MAX_TIME
from ember.tsdb.block_reader import Block
from ember.tsdb.block_writer import write_block
from ember.tsdb.checkpoint import checkpoint
from ember.tsdb.column_group import ColumnGroup
from ember.tsdb.compaction import clean_tombstones, compact, plan_compaction
from ember.tsdb.retention import blocks_beyond_retention
from ember.tsdb.wal import list_checkpoints

if TYPE_CHECKING:
    from ember.tsdb.db import DB


def split_by_window(groups: Sequence[ColumnGroup], range_ms: int) -> dict[int, list[ColumnGroup]]:
    """Groups cut at block boundaries, keyed by the start of their block window."""
    windows: dict[int, list[ColumnGroup]] = {}
    for group in groups:
        starts = (group.timestamps // range_ms) * range_ms
        for start in np.unique(starts).tolist():
            part = group.time_slice(start, start + range_ms - 1)
            if len(part.timestamps):
                windows.setdefault(start, []).append(part)
    return windows


class Maintenance:
    def __init__(self, db: DB, log: logging.Logger) -> None:
        self._db = db
        self._log = log
        self._run_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, interval_s: float) -> None:
        self._thread = threading.Thread(target=self._loop, args=(interval_s,), name="ember-tsdb-maintenance",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with self._run_lock:
            pass

    def _loop(self, interval_s: float) -> None:
        while not self._stop.wait(interval_s):
            try:
                self.run_once(force_head_cut=False)
            except Exception:  # the loop must survive one bad pass; the error is logged
                self._log.exception("TSDB maintenance failed")
                self._db.metrics.compactions_failed_total += 1

    def run_once(self, *, force_head_cut: bool) -> None:
        with self._run_lock:
            if self._cut_head(force_head_cut):
                self._truncate_wal()
            self._compact()
            self._apply_retention()

    # ------------------------------------------------------------------ head cut
    def _cut_head(self, force: bool) -> bool:
        db, head = self._db, self._db.head
        range_ms = db.options.block_range_ms
        cut = False
        while True:
            mint, maxt = head.min_time, head.max_time
            if mint == MAX_TIME:
                break
            if force:
                end = (maxt // range_ms + 1) * range_ms
            elif maxt - mint > range_ms * 3 // 2:
                end = (mint // range_ms + 1) * range_ms
            else:
                break
            series, groups = head.cut_before(end)
            try:
                self._write_blocks(series, groups, range_ms)
            finally:
                head.release_cut()
            db.metrics.head_cuts_total += 1
            cut = True
            if force:
                break
        if cut:
            head.garbage_collect()
        return cut

    def _write_blocks(self, series: dict[int, Labels], groups: list[ColumnGroup], range_ms: int) -> None:
        added = []
        for start, window_groups in sorted(split_by_window(groups, range_ms).items()):
            refs = np.unique(np.concatenate([g.refs for g in window_groups]))
            path = write_block(
                self._db.directory,
                series={r: series[r] for r in refs.tolist()},
                groups=window_groups,
                mint=start,
                maxt=start + range_ms,
            )
            added.append(Block.open(path))
        if added:
            self._db.replace_blocks(added, set())

    def _truncate_wal(self) -> None:
        db = self._db
        wal = db.wal
        last = wal.cut_segment() - 1
        hold = db.keep_segment_from() if db.keep_segment_from is not None else None
        if hold is not None:  # the remote-write sender still reads segment `hold`: keep it and later ones
            last = min(last, hold - 1)
        checkpoints = list_checkpoints(wal.directory)
        if last < 0 or (checkpoints and last <= checkpoints[-1][0]):
            return
        registry = db.head.series

        def keep_series(refs: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
            with db.head.lock:
                return registry.are_live(np.asarray(refs, dtype=np.int64))

        checkpoint(wal.directory, last, keep_series, db.head.min_valid_t)
        wal.truncate_before(last + 1)

    # ---------------------------------------------------------------- compaction
    def _compact(self) -> None:
        db = self._db
        while True:
            blocks = {b.meta.ulid: b for b in db.blocks}
            plans = plan_compaction([b.meta for b in blocks.values()], db.options.compaction_ranges)
            if not plans:
                return
            parents = [blocks[m.ulid] for m in plans[0]]
            path = compact(parents, db.directory)
            db.replace_blocks([Block.open(path)], {b.meta.ulid for b in parents})
            db.metrics.compactions_total += 1

    def clean_tombstones(self) -> None:
        with self._run_lock:
            db = self._db
            for block in db.blocks:
                if block.has_tombstones:
                    path = clean_tombstones(block, db.directory)
                    db.replace_blocks([Block.open(path)], {block.meta.ulid})

    def _apply_retention(self) -> None:
        db = self._db
        options = db.options
        if not options.retention_ms and not options.retention_bytes:
            return
        wal_bytes = sum(p.stat().st_size for _, p in db.wal.segments())
        doomed = blocks_beyond_retention(
            [b.meta for b in db.blocks], options.retention_ms, options.retention_bytes, extra_bytes=wal_bytes
        )
        if doomed:
            db.replace_blocks([], set(doomed))
            db.metrics.blocks_deleted_by_retention_total += len(doomed)
            self._log.info("retention removed %d block(s)", len(doomed))

