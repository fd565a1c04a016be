"""Agent storage (`ember serve --agent`): the WAL and nothing else, as Prometheus's agent mode.

Appends are validated and written to the same WAL, in the same record format, as the database's
(`wal.py`, `wal_records.py`), so the remote-write sender's WAL watcher reads either unchanged. In memory
there is only the series table (labels -> ref) with each series' newest timestamp and value bits, to
refuse out-of-order samples: no head samples, no blocks, no postings, and nothing to query.

Truncation follows Prometheus's `tsdb/agent/db.go`: series not written since a cut-off are forgotten,
and the older two thirds of the segments are folded into a checkpoint that keeps only live series (and
series forgotten after those segments), but never a segment the remote-write sender still needs
(`keep_segment_from`). Opening replays the checkpoint and segments to rebuild the series table.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ember.errors import UnavailableError
from ember.model.samples import Float64Array, Int64Array, SampleBatch
from ember.storage.interface import DEFAULT_APPEND_OPTIONS, MAX_TIME, MIN_TIME, AppendOptions, AppendResult
from ember.timeutil import now_ms
from ember.tsdb import append_kernels as kernels
from ember.tsdb.agent_series import AgentSeries, BoolArray, ForgottenSeries
from ember.tsdb.appender import add_status_counts
from ember.tsdb.checkpoint import checkpoint
from ember.tsdb.dir_lock import DirLock
from ember.tsdb.wal import WAL
from ember.tsdb.wal_reader import read_records
from ember.tsdb.wal_records import (
    GroupSamplesRecord,
    Record,
    SamplesRecord,
    SeriesRecord,
    SeriesSetRecord,
    encode_record,
)

log = logging.getLogger("ember.tsdb.agent")

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS


@dataclass(frozen=True)
class AgentOptions:
    """Defaults follow Prometheus's agent flags (`--storage.agent.wal-truncate-frequency` 2 h,
    `min-wal-time` 5 m, `max-wal-time` 4 h) and the database's WAL settings."""

    wal_segment_size: int = 128 * 1024 * 1024
    wal_sync_interval_s: float = 0.1
    truncate_interval_s: float = 2 * 3600.0
    min_wal_time_ms: int = 5 * MINUTE_MS
    max_wal_time_ms: int = 4 * HOUR_MS
    background_truncation: bool = True

    def __post_init__(self) -> None:
        if self.truncate_interval_s <= 0:
            raise ValueError("truncate_interval_s must be positive")
        if self.min_wal_time_ms < 0 or self.max_wal_time_ms < self.min_wal_time_ms:
            raise ValueError("need 0 <= min_wal_time_ms <= max_wal_time_ms")


@dataclass
class AgentMetrics:
    """Counters for self-monitoring (Prometheus's `prometheus_agent_*` families)."""

    active_series: int = 0
    samples_appended_total: int = 0
    out_of_order_samples_total: int = 0
    series_removed_total: int = 0
    checkpoints_total: int = 0
    checkpoints_failed_total: int = 0
    truncations_total: int = 0
    wal_replay_seconds: float = 0.0


@dataclass
class _Staged:
    refs: Int64Array
    sample_refs: Int64Array
    timestamps: Int64Array
    values: Float64Array
    aligned_timestamp: int | None
    group: str | None
    distinct: bool


def _classify(series: AgentSeries, staged: _Staged, *, commit: bool) -> npt.NDArray[np.int8]:
    """Prometheus's appendability rules (the database's kernel), without a lower time bound: agent
    mode keeps no head, so only a series' own newest sample limits what it accepts."""
    if staged.distinct:
        unique, slots = staged.sample_refs, np.arange(len(staged.sample_refs), dtype=np.int64)
    else:
        unique, slots = np.unique(staged.sample_refs, return_inverse=True)
    max_t = series.max_t[unique]
    last_bits = series.last_bits[unique]
    status = np.empty(len(slots), dtype=np.int8)
    kernels.validate_samples(
        slots.astype(np.int64), staged.timestamps, staged.values.view(np.uint64), max_t, last_bits,
        MIN_TIME, MAX_TIME, status,
    )
    if commit:
        series.max_t[unique] = max_t
        series.last_bits[unique] = last_bits
    return status


class AgentAppender:
    """Stages batches; `commit` re-validates them under the lock and writes them to the WAL."""

    def __init__(self, db: AgentDB) -> None:
        self._db = db
        self._staged: list[_Staged] = []
        self._done = False

    def append(self, batch: SampleBatch, options: AppendOptions = DEFAULT_APPEND_OPTIONS) -> AppendResult:
        if self._done:
            raise RuntimeError("appender already committed or rolled back")
        db = self._db
        with db.lock:
            if batch.refs is not None:
                refs = batch.refs
                db.series.check_refs(refs)
            else:
                assert batch.series is not None
                refs = db.series.refs_for(batch.series)
            aligned = batch.aligned_timestamp is not None
            sample_refs = refs if aligned else refs[batch.series_index]
            distinct = aligned and len(np.unique(refs)) == len(refs)
            staged = _Staged(refs, sample_refs, batch.timestamps, batch.values, batch.aligned_timestamp,
                             options.group, distinct)
            status = _classify(db.series, staged, commit=False)
        result = AppendResult(refs=refs)
        add_status_counts(result, status)
        self._staged.append(staged)
        return result

    def commit(self, *, sync: bool = False) -> AppendResult:
        if self._done:
            raise RuntimeError("appender already committed or rolled back")
        self._done = True
        result = AppendResult()
        db = self._db
        position = None
        with db.lock:
            records: list[Record] = []
            for staged in self._staged:
                records.extend(db.records_for(staged, result))
            if records:
                position = db.wal.log([encode_record(r) for r in records])
        self._staged = []
        db.metrics.samples_appended_total += result.accepted
        db.metrics.out_of_order_samples_total += result.out_of_order
        if sync and position is not None:
            db.wal.wait_synced(position)
        return result

    def rollback(self) -> None:
        self._staged = []
        self._done = True


class AgentDB:
    """An `Appendable` that only writes the WAL. Open with `AgentDB.open`; `querier()` is refused.

    `keep_segment_from()` returns the lowest WAL segment the remote-write sender still has to read
    (None: no constraint); `lowest_sent_timestamp()` the oldest timestamp not yet sent (None: unknown,
    then series are forgotten `min_wal_time` after their last sample, as with everything sent).
    """

    def __init__(
        self,
        directory: Path,
        options: AgentOptions,
        keep_segment_from: Callable[[], int | None] | None = None,
        lowest_sent_timestamp: Callable[[], int | None] | None = None,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.directory = directory
        self.options = options
        self.metrics = AgentMetrics()
        self.series = AgentSeries()
        self.lock = threading.Lock()
        self.wal: WAL
        self._keep_segment_from = keep_segment_from
        self._lowest_sent_timestamp = lowest_sent_timestamp
        self._clock = clock
        self._dir_lock = DirLock(directory)
        self._group_sets: dict[str, tuple[int, Int64Array]] = {}
        self._next_set_id = 0
        self._canonical: Int64Array | None = None
        self._forgotten = ForgottenSeries()
        self._truncate_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False

    @classmethod
    def open(
        cls,
        directory: str | Path,
        options: AgentOptions | None = None,
        *,
        keep_segment_from: Callable[[], int | None] | None = None,
        lowest_sent_timestamp: Callable[[], int | None] | None = None,
        clock: Callable[[], int] = now_ms,
    ) -> AgentDB:
        """Locks `directory`, replays its WAL into the series table and starts periodic truncation."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        db = cls(path, options or AgentOptions(), keep_segment_from, lowest_sent_timestamp, clock)
        db._dir_lock.acquire()
        try:
            kernels.warm_up()
            db._replay()
            db.wal = WAL(path / "wal", segment_size=db.options.wal_segment_size,
                         sync_interval=db.options.wal_sync_interval_s, logger=log)
        except BaseException:
            db._dir_lock.release()
            raise
        if db.options.background_truncation:
            db._thread = threading.Thread(target=db._truncate_loop, name="ember-agent-truncate", daemon=True)
            db._thread.start()
        return db

    @property
    def wal_directory(self) -> Path:
        return self.directory / "wal"

    # ------------------------------------------------------------------- replay
    def _replay(self) -> None:
        started = time.monotonic()
        sets: dict[int, Int64Array] = {}
        for record in read_records(self.wal_directory, logger=log):
            if isinstance(record, SeriesRecord):
                aliases = self.series.restore(record.refs, record.labels)
                if aliases:
                    self._add_aliases(aliases)
            elif isinstance(record, SeriesSetRecord):
                sets[record.set_id] = self._canonical_refs(record.refs)
                self._next_set_id = max(self._next_set_id, record.set_id + 1)
            elif isinstance(record, GroupSamplesRecord):
                refs = sets.get(record.set_id)
                if refs is not None and len(refs) == len(record.values):
                    self.series.advance(refs, np.full(len(refs), record.timestamp, np.int64), record.values)
            elif isinstance(record, SamplesRecord):
                self.series.advance(self._canonical_refs(record.refs), record.timestamps, record.values)
        self.metrics.active_series = len(self.series)
        self.metrics.wal_replay_seconds = time.monotonic() - started
        if len(self.series):
            log.info("agent WAL replay done: %d series in %.3fs", len(self.series), self.metrics.wal_replay_seconds)

    def _add_aliases(self, aliases: dict[int, int]) -> None:
        size = max(self.series.next_ref, max(aliases) + 1)
        table = np.arange(size, dtype=np.int64)
        if self._canonical is not None:
            table[: len(self._canonical)] = self._canonical
        table[list(aliases)] = list(aliases.values())
        self._canonical = table

    def _canonical_refs(self, refs: Int64Array) -> Int64Array:
        """Refs with those of re-created series replaced by the ref their labels replayed under."""
        table = self._canonical
        if table is None:
            return refs
        out = refs.copy()
        inside = (refs >= 0) & (refs < len(table))
        out[inside] = table[refs[inside]]
        return out

    # ------------------------------------------------------------------ writing
    def appender(self) -> AgentAppender:
        self._check_open()
        return AgentAppender(self)

    def querier(self) -> None:
        """Agent storage holds no samples to read (Prometheus's agent answers the same)."""
        raise UnavailableError("unsupported operation with WAL-only storage")

    def records_for(self, staged: _Staged, result: AppendResult) -> list[Record]:
        """Validates one staged batch for good (the caller holds `lock`) and returns its WAL records."""
        live = self.series.are_live(staged.sample_refs)
        if not live.all():
            # Forgotten by a truncation since `append`: too old to keep, as Prometheus's out of bounds.
            result.out_of_bounds += int((~live).sum())
            staged = _Staged(staged.sample_refs[live], staged.sample_refs[live], staged.timestamps[live],
                             staged.values[live], None, None, False)
        status = _classify(self.series, staged, commit=True)
        add_status_counts(result, status)
        accepted = status == kernels.ACCEPT
        if not accepted.any():
            return []
        if staged.group is not None and staged.aligned_timestamp is not None and staged.distinct and accepted.all():
            return self._row_records(staged.group, staged.refs, staged.aligned_timestamp, staged.values)
        refs = staged.sample_refs[accepted]
        records = self._series_records(np.unique(refs))
        records.append(SamplesRecord(refs, staged.timestamps[accepted], staged.values[accepted]))
        return records

    def _row_records(self, group: str, refs: Int64Array, timestamp: int, values: Float64Array) -> list[Record]:
        """A scrape row as the database logs it: the group's series set (when it changed), then values."""
        order = np.argsort(refs, kind="stable")
        sorted_refs = refs[order]
        records = self._series_records(sorted_refs)
        current = self._group_sets.get(group)
        if current is None or not np.array_equal(current[1], sorted_refs):
            current = (self._next_set_id, sorted_refs.copy())
            self._next_set_id += 1
            self._group_sets[group] = current
            records.append(SeriesSetRecord(current[0], current[1]))
        records.append(GroupSamplesRecord(current[0], timestamp, values[order]))
        return records

    def _series_records(self, unique_refs: Int64Array) -> list[Record]:
        fresh = unique_refs[~self.series.logged[unique_refs]]
        if not len(fresh):
            return []
        self.series.logged[fresh] = True
        self.metrics.active_series = len(self.series)
        return [SeriesRecord(fresh, self.series.labels_of(fresh))]

    # --------------------------------------------------------------- truncation
    def gc_cutoff(self) -> int:
        """Series whose newest sample is older than this are forgotten (Prometheus's agent `run`)."""
        now = self._clock()
        sent = self._lowest_sent_timestamp() if self._lowest_sent_timestamp is not None else None
        cutoff = (now if sent is None else sent) - self.options.min_wal_time_ms
        # A receiver down for long must not keep the WAL growing forever: cap its age at max_wal_time.
        return max(cutoff, now - self.options.max_wal_time_ms)

    def truncate(self) -> bool:
        """Forgets idle series and checkpoints the older segments the sender no longer needs; returns
        whether a checkpoint was written."""
        self._check_open()
        with self._truncate_lock:
            self.metrics.truncations_total += 1
            cutoff = self.gc_cutoff()
            with self.lock:
                removed = self.series.remove_older_than(cutoff)
                self._forgotten.add(removed, self.wal.current_segment)
                self._group_sets = {
                    g: s for g, s in self._group_sets.items() if self.series.are_live(s[1]).all()
                }
                self.metrics.active_series = len(self.series)
                self.metrics.series_removed_total += len(removed)
            last = self._checkpoint_upto()
            if last is None:
                return False
            try:
                checkpoint(self.wal_directory, last, self._keep_series(last), cutoff,
                           segment_size=self.options.wal_segment_size, logger=log)
            except Exception:
                self.metrics.checkpoints_failed_total += 1
                log.exception("agent WAL checkpoint up to segment %d failed; segments kept", last)
                return False
            self.wal.truncate_before(last + 1)
            with self.lock:
                self._forgotten.drop_through(last)
            self.metrics.checkpoints_total += 1
            return True

    def _checkpoint_upto(self) -> int | None:
        """The last segment to fold into a checkpoint, or None when it is not worth it yet."""
        segments = self.wal.segments()
        if not segments:
            return None
        first = segments[0][0]
        # A fresh segment, so that a quiet agent does not keep more WAL than needed.
        last = self.wal.cut_segment() - 1
        # The older two thirds of the segments hold mostly obsolete samples (Prometheus's rule).
        last = first + (last - first) * 2 // 3
        needed = self._keep_segment_from() if self._keep_segment_from is not None else None
        if needed is not None:
            last = min(last, needed - 1)
        return last if last > first else None

    def _keep_series(self, last: int) -> Callable[[Int64Array], BoolArray]:
        def keep(refs: Int64Array) -> BoolArray:
            refs = np.asarray(refs, dtype=np.int64)
            with self.lock:
                return self.series.are_live(refs) | np.isin(refs, self._forgotten.after(last))

        return keep

    def _truncate_loop(self) -> None:
        while not self._stop.wait(self.options.truncate_interval_s):
            try:
                self.truncate()
            except Exception:
                log.exception("agent WAL truncation failed")

    # ------------------------------------------------------------------ closing
    def close(self) -> None:
        """Stops truncation, syncs and closes the WAL, releases the directory; later calls do nothing."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        try:
            self.wal.close()
        finally:
            self._dir_lock.release()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the agent storage is closed")

    def __enter__(self) -> AgentDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
