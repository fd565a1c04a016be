"""The head: the in-memory, writable part of the database (DESIGN §3 rule 2).

Aligned batches of a scrape group become rows of the group's current generation; everything else goes
to the unaligned buffer. The head knows nothing about the WAL except that its mutators return the
records describing what they changed, which the appender logs in the same order.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pyroaring import BitMap

from ember.model.labels import Labels
from ember.model.matchers import Matcher
from ember.model.samples import Float64Array, Int64Array
from ember.storage.interface import MAX_TIME, MIN_TIME
from ember.storage.series_set import SeriesSet
from ember.tsdb import append_kernels as kernels
from ember.tsdb.column_group import ColumnGroup
from ember.tsdb.head_chunk import FrozenChunk
from ember.tsdb.head_generation import Generation
from ember.tsdb.head_read import assemble, flatten_groups
from ember.tsdb.head_tombstones import HeadTombstones
from ember.tsdb.head_unaligned import UnalignedBuffer
from ember.tsdb.postings import select_postings, to_array
from ember.tsdb.series_registry import SeriesRegistry
from ember.tsdb.wal_records import (
    GroupSamplesRecord,
    SamplesRecord,
    SeriesRecord,
    SeriesSetRecord,
    TombstonesRecord,
)

HOUR_MS = 3_600_000


@dataclass(frozen=True)
class HeadOptions:
    frame_rows: int = 120
    block_range_ms: int = 2 * HOUR_MS
    out_of_order_window_ms: int = 0
    unaligned_freeze_samples: int = 0  # compress unaligned samples every N (0: never; see head_unaligned)


@dataclass
class Classified:
    """Per-sample verdicts of `Head.classify`, as status codes of `append_kernels`, and their counts
    (indexed by status code)."""

    status: np.ndarray  # type: ignore[type-arg]
    counts: np.ndarray  # type: ignore[type-arg]

    @property
    def all_accepted(self) -> bool:
        """Every sample is new and in order (the common case, which needs no filtering)."""
        return int(self.counts[kernels.ACCEPT]) == len(self.status)


WalRecord = SeriesRecord | SeriesSetRecord | GroupSamplesRecord | SamplesRecord
UnalignedParts = tuple[list[FrozenChunk], tuple[Int64Array, Int64Array, Float64Array]]


def _unaligned_groups(frozen: list[FrozenChunk], refs: Int64Array, mint: int, maxt: int) -> list[ColumnGroup]:
    """The selected series' samples in [mint, maxt] of the compressed unaligned parts, in arrival order."""
    groups = []
    for chunk in frozen:
        if chunk.maxt < mint or chunk.mint > maxt:
            continue
        columns = np.flatnonzero(np.isin(chunk.refs, refs))
        if len(columns):
            sliced = chunk.decode(columns).time_slice(mint, maxt)
            if len(sliced.timestamps):
                groups.append(sliced)
    return groups


class Head:
    def __init__(self, options: HeadOptions | None = None) -> None:
        self.options = options or HeadOptions()
        self.series = SeriesRegistry()
        self.lock = threading.RLock()
        self._current: dict[str, Generation] = {}
        self._generations: dict[int, Generation] = {}
        self._unaligned = UnalignedBuffer(self.options.unaligned_freeze_samples)
        self._tombstones = HeadTombstones()
        self._next_set_id = 0
        self.min_valid_t = MIN_TIME
        # Samples cut for a block that is still being written: queries keep seeing them here until the
        # block is in the database's list (`release_cut`), so a cut never opens a window in neither.
        self._cutting: list[ColumnGroup] = []
        self.max_time = MIN_TIME

    # ----------------------------------------------------------------- validation
    def classify(
        self, refs: Int64Array, timestamps: Int64Array, values: Float64Array, *, commit: bool, distinct: bool = False,
        series: tuple[Int64Array, Int64Array] | None = None,
    ) -> Classified:
        """Applies Prometheus's appendability rules in arrival order. With `commit`, the per-series
        newest timestamps advance (the caller holds the lock and will store the accepted samples).
        `distinct` promises that no ref repeats (a scrape row); `series` gives the distinct refs and each
        sample's position among them. Either spares sorting the refs."""
        if series is not None:
            unique, slots = series
        elif distinct:
            unique, slots = refs, np.arange(len(refs), dtype=np.int64)
        else:
            unique, slots = np.unique(refs, return_inverse=True)
        window = self.options.out_of_order_window_ms
        ooo_min_t = MAX_TIME
        if window > 0:
            ooo_min_t = max(self.max_time, int(timestamps.max()) if len(timestamps) else MIN_TIME) - window
        status = np.empty(len(refs), dtype=np.int8)
        counts = kernels.classify_samples(
            unique, slots.astype(np.int64, copy=False), timestamps, values.view(np.uint64), self.series.max_t,
            self.series.last_bits, self.min_valid_t, ooo_min_t, commit, status,
        )
        return Classified(status, counts)

    # ------------------------------------------------------------------ writing
    def new_series_records(self, refs: Int64Array, *, distinct: bool = False) -> list[WalRecord]:
        """A SeriesRecord for those of `refs` never logged before (marks them logged)."""
        unique = refs if distinct else np.unique(refs)
        fresh = unique[~self.series.logged[unique]]
        if not len(fresh):
            return []
        self.series.logged[fresh] = True
        return [SeriesRecord(fresh, self.series.labels_of(fresh))]

    def append_row(self, group: str, refs: Int64Array, timestamp: int, values: Float64Array) -> list[WalRecord]:
        """Stores one validated scrape row; `refs` must be sorted and unique. A row of the group's current
        series set (a steady scrape) needs no series records: they were logged when the set began."""
        records: list[WalRecord] = []
        generation = self._current.get(group)
        if generation is None or not kernels.same_refs(generation.refs, refs):
            records = self.new_series_records(refs, distinct=True)
            if generation is not None:
                generation.freeze_frame()
            generation = Generation(self._next_set_id, refs.copy(), self.options.frame_rows,
                                    self.options.block_range_ms)
            self._next_set_id += 1
            self._current[group] = generation
            self._generations[generation.set_id] = generation
            records.append(SeriesSetRecord(generation.set_id, generation.refs))
        generation.append_row(timestamp, values)
        self.max_time = max(self.max_time, timestamp)
        records.append(GroupSamplesRecord(generation.set_id, timestamp, values))
        return records

    def append_steady_row(self, group: str, generation: Generation, order: Int64Array, first: Float64Array,
                          second: Float64Array, timestamp: int, copy: Float64Array) -> bool:
        """`append_row` of a row of `generation`, which must still be the group's current one, in one
        compiled pass (`append_kernels.write_row`; `order`, `first`, `second` and `copy` as there): False,
        changing nothing, when it is not current any more or a sample is not newer than its series'
        newest. The caller logs the row (its values are then in `copy`)."""
        if timestamp <= generation.last_timestamp or self._current.get(group) is not generation:
            return False
        if not kernels.write_row(generation.refs, order, first, second, timestamp, self.series.max_t,
                                 self.series.last_bits, self.min_valid_t, generation.next_row(timestamp), copy):
            return False
        generation.commit_row(timestamp)
        self.max_time = max(self.max_time, timestamp)
        return True

    def current_generation(self, group: str) -> Generation | None:
        """The generation the group's next row goes to when its series set is unchanged."""
        return self._current.get(group)

    def append_unaligned(self, refs: Int64Array, timestamps: Int64Array, values: Float64Array) -> list[WalRecord]:
        if not len(refs):
            return []
        self._unaligned.append(refs, timestamps, values)
        self.max_time = max(self.max_time, int(timestamps.max()))
        return [SamplesRecord(refs, timestamps, values)]

    # ------------------------------------------------------------------- replay
    def replay_series(self, record: SeriesRecord) -> None:
        self.series.restore(record.refs, record.labels)

    def replay_series_set(self, record: SeriesSetRecord) -> None:
        generation = Generation(record.set_id, np.asarray(record.refs, dtype=np.int64),
                                self.options.frame_rows, self.options.block_range_ms)
        self._generations[record.set_id] = generation
        self._next_set_id = max(self._next_set_id, record.set_id + 1)

    def replay_group_samples(self, record: GroupSamplesRecord) -> None:
        generation = self._generations.get(record.set_id)
        if generation is None or record.timestamp < self.min_valid_t:
            return
        generation.append_row(record.timestamp, record.values)
        self._advance(generation.refs, np.full(len(generation.refs), record.timestamp, np.int64), record.values)

    def replay_samples(self, record: SamplesRecord) -> None:
        keep = record.timestamps >= self.min_valid_t
        refs, ts, vals = record.refs[keep], record.timestamps[keep], record.values[keep]
        if len(refs):
            self._unaligned.append(refs, ts, vals)
            self._advance(refs, ts, vals)

    def _advance(self, refs: Int64Array, timestamps: Int64Array, values: Float64Array) -> None:
        newer = timestamps > self.series.max_t[refs]
        if newer.any():
            # Unique refs per record keep this a plain scatter; for repeated refs the latest wins.
            self.series.max_t[refs[newer]] = timestamps[newer]
            self.series.last_bits[refs[newer]] = values[newer].view(np.uint64)
        self.max_time = max(self.max_time, int(timestamps.max()))

    # ---------------------------------------------------------------- deleting
    def delete(self, matchers: Sequence[Matcher], mint: int, maxt: int) -> TombstonesRecord | None:
        refs = to_array(self.series_refs(matchers))
        if not len(refs):
            return None
        record = TombstonesRecord(refs, np.full(len(refs), mint, np.int64), np.full(len(refs), maxt, np.int64))
        self._tombstones.add(record.refs, record.mint, record.maxt)
        return record

    def replay_tombstones(self, record: TombstonesRecord) -> None:
        self._tombstones.add(record.refs, record.mint, record.maxt)

    # ------------------------------------------------------------------ reading
    def select(self, matchers: Sequence[Matcher], mint: int, maxt: int) -> SeriesSet:
        groups, unaligned, refs, labels = self._snapshot(matchers, mint, maxt)
        if not len(refs):
            return SeriesSet.empty()
        frozen, (u_refs, u_ts, u_vals) = unaligned
        groups.extend(_unaligned_groups(frozen, refs, mint, maxt))  # older arrivals than the flat part
        parts = [flatten_groups(groups)]
        if len(u_refs):
            mask = (u_ts >= mint) & (u_ts <= maxt) & np.isin(u_refs, refs)
            parts.append((u_refs[mask], u_ts[mask], u_vals[mask]))
        sample_refs = np.concatenate([p[0] for p in parts])
        timestamps = np.concatenate([p[1] for p in parts])
        values = np.concatenate([p[2] for p in parts])
        sample_refs, timestamps, values = self._tombstones.filter(sample_refs, timestamps, values)
        return assemble(refs, labels, sample_refs, timestamps, values)

    def _snapshot(
        self, matchers: Sequence[Matcher], mint: int, maxt: int
    ) -> tuple[list[ColumnGroup], UnalignedParts, Int64Array, list[Labels]]:
        """Under the lock: what to read; decoding happens outside it."""
        with self.lock:
            selected = select_postings(self.series.postings, matchers)
            if not selected:
                empty = np.empty(0, np.int64)
                return [], ([], (empty, empty, np.empty(0, np.float64))), empty, []
            pieces: list[tuple[Generation, Int64Array, list[FrozenChunk], ColumnGroup | None]] = []
            for generation in self._generations.values():
                common = generation.bitmap & selected
                if not common:
                    continue
                chunks = [c for c in generation.chunks if c.maxt >= mint and c.mint <= maxt]
                pieces.append((generation, to_array(common), chunks, generation.frame_view()))
            unaligned = self._unaligned.parts()
            refs = to_array(selected)
            labels = self.series.labels_of(refs)
            cutting = [g for g in self._cutting if g.maxt >= mint and g.mint <= maxt]
        groups = [_columns_of(g, refs).time_slice(mint, maxt) for g in cutting]  # older than the rest
        for generation, wanted, chunks, frame in pieces:
            columns = np.searchsorted(generation.refs, wanted)
            for chunk in chunks:
                groups.append(chunk.decode(columns).time_slice(mint, maxt))
            if frame is not None:
                sliced = ColumnGroup(frame.refs[columns], frame.timestamps, frame.values[:, columns])
                groups.append(sliced.time_slice(mint, maxt))
        return [g for g in groups if len(g.timestamps)], unaligned, refs, labels

    def series_refs(self, matchers: Sequence[Matcher]) -> BitMap:
        with self.lock:
            return select_postings(self.series.postings, matchers)

    @property
    def min_time(self) -> int:
        with self.lock:
            times = [g.mint for g in self._generations.values()] + [self._unaligned.mint]
            present = [t for t in times if t is not None]
            return min(present) if present else MAX_TIME

    def num_samples(self) -> int:
        with self.lock:
            return sum(g.num_samples for g in self._generations.values()) + len(self._unaligned)

    def nbytes(self) -> int:
        with self.lock:
            return sum(g.nbytes for g in self._generations.values()) + self._unaligned.nbytes

    # ------------------------------------------------------------------ cutting
    def cut_before(self, t: int) -> tuple[dict[int, Labels], list[ColumnGroup]]:
        """Removes everything older than `t` (a block boundary) and returns it for a block."""
        with self.lock:
            groups: list[ColumnGroup] = []
            for set_id, generation in list(self._generations.items()):
                groups.extend(chunk.decode() for chunk in generation.take_chunks_before(t))
                if generation.is_empty() and self._current_of(generation) is None:
                    del self._generations[set_id]
            groups.extend(self._unaligned.take_before(t))
            groups = self._tombstones.apply_to_groups(groups)
            self._cutting.extend(groups)
            self.min_valid_t = max(self.min_valid_t, t)
            refs = np.unique(np.concatenate([g.refs for g in groups])) if groups else np.empty(0, np.int64)
            return dict(zip(refs.tolist(), self.series.labels_of(refs), strict=True)), groups

    def release_cut(self) -> None:
        """Forgets the samples of `cut_before` once their blocks are readable from the database."""
        with self.lock:
            self._cutting = []

    def _current_of(self, generation: Generation) -> str | None:
        for key, current in self._current.items():
            if current is generation:
                return key
        return None

    def garbage_collect(self) -> BitMap:
        """Forgets series with no samples left in the head and not in a current generation."""
        with self.lock:
            alive = BitMap()
            for generation in self._generations.values():
                alive |= generation.bitmap
            u_refs = self._unaligned.refs()
            if len(u_refs):
                alive |= BitMap(u_refs.tolist())
            dead = self.series.live_refs() - alive
            self.series.remove(dead)
            return dead


def _columns_of(group: ColumnGroup, refs: Int64Array) -> ColumnGroup:
    """The columns of `group` whose series are among `refs` (sorted)."""
    wanted = np.isin(group.refs, refs)
    return ColumnGroup(group.refs[wanted], group.timestamps, group.values[:, wanted])
