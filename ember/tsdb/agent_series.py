"""The agent's in-memory state: series refs with labels and each series' newest sample, and the
series it has forgotten (still owed to the checkpoint). No postings and no samples: agent mode
answers no queries, so this is all the memory it needs per series."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ember.errors import BadDataError, UnknownSeriesRefError
from ember.model.labels import Labels
from ember.model.samples import Float64Array, Int64Array
from ember.storage.interface import MIN_TIME

BoolArray = npt.NDArray[np.bool_]


class AgentSeries:
    """Series refs (dense, never reused) with labels and the append state of each; nothing else."""

    def __init__(self) -> None:
        self._ref_of: dict[Labels, int] = {}
        self._labels: list[Labels | None] = []
        self.max_t: Int64Array = np.full(1024, MIN_TIME, dtype=np.int64)
        self.last_bits: npt.NDArray[np.uint64] = np.zeros(1024, dtype=np.uint64)
        self.logged: BoolArray = np.zeros(1024, dtype=bool)
        self.live: BoolArray = np.zeros(1024, dtype=bool)

    def __len__(self) -> int:
        return len(self._ref_of)

    @property
    def next_ref(self) -> int:
        return len(self._labels)

    def _grow(self, needed: int) -> None:
        capacity = len(self.max_t)
        if needed <= capacity:
            return
        extra = max(needed, capacity * 2) - capacity
        self.max_t = np.concatenate([self.max_t, np.full(extra, MIN_TIME, np.int64)])
        self.last_bits = np.concatenate([self.last_bits, np.zeros(extra, np.uint64)])
        self.logged = np.concatenate([self.logged, np.zeros(extra, bool)])
        self.live = np.concatenate([self.live, np.zeros(extra, bool)])

    def refs_for(self, series: Sequence[Labels]) -> Int64Array:
        """Refs of the label sets, creating the new ones."""
        ref_of = self._ref_of
        refs = np.empty(len(series), dtype=np.int64)
        for i, labels in enumerate(series):
            ref = ref_of.get(labels)
            if ref is None:
                if not len(labels):
                    raise BadDataError("empty labelset: invalid sample")
                ref = self._add(labels, len(self._labels))
            refs[i] = ref
        return refs

    def _add(self, labels: Labels, ref: int) -> int:
        while len(self._labels) <= ref:
            self._labels.append(None)
        self._labels[ref] = labels
        self._ref_of[labels] = ref
        self._grow(ref + 1)
        self.live[ref] = True
        return ref

    def restore(self, refs: Int64Array, series: Sequence[Labels]) -> dict[int, int]:
        """Re-creates logged series with their refs (replay); returns {ref: existing ref} for label sets
        already known under another ref (a series forgotten, then created again)."""
        aliases = {}
        for ref, labels in zip(refs.tolist(), series, strict=True):
            existing = self._ref_of.get(labels)
            if existing is not None:
                if existing != ref:
                    aliases[ref] = existing
                continue
            if ref < len(self._labels) and self._labels[ref] is not None:
                continue
            self._add(labels, ref)
            self.logged[ref] = True
        return aliases

    def check_refs(self, refs: Int64Array) -> None:
        if len(refs) and (refs.min() < 0 or refs.max() >= len(self._labels) or not self.live[refs].all()):
            raise UnknownSeriesRefError("unknown series ref")

    def labels_of(self, refs: Int64Array) -> list[Labels]:
        table = self._labels
        return [table[r] for r in refs.tolist()]  # type: ignore[misc]

    def are_live(self, refs: Int64Array) -> BoolArray:
        inside = (refs >= 0) & (refs < len(self._labels))
        out = np.zeros(len(refs), dtype=bool)
        out[inside] = self.live[refs[inside]]
        return out

    def advance(self, refs: Int64Array, timestamps: Int64Array, values: Float64Array) -> None:
        """Moves each series' newest timestamp forward to the samples' (WAL replay)."""
        known = self.are_live(refs)
        refs, timestamps, values = refs[known], timestamps[known], values[known]
        newer = timestamps > self.max_t[refs]
        # Refs repeat in a samples record in time order, so the scatter's last write is the newest.
        self.max_t[refs[newer]] = timestamps[newer]
        self.last_bits[refs[newer]] = values[newer].view(np.uint64)

    def remove_older_than(self, cutoff: int) -> Int64Array:
        """Forgets the series whose newest sample is older than `cutoff`; returns their refs."""
        count = len(self._labels)
        stale = np.flatnonzero(self.live[:count] & (self.max_t[:count] < cutoff)).astype(np.int64)
        for ref in stale.tolist():
            labels = self._labels[ref]
            if labels is not None:
                del self._ref_of[labels]
                self._labels[ref] = None
        self.live[stale] = False
        self.max_t[stale] = MIN_TIME
        return stale


@dataclass
class ForgottenSeries:
    """Series removed from memory, and the segment being written when they were: a checkpoint up to
    an older segment must still keep them, since later segments may hold their samples."""

    refs: Int64Array = field(default_factory=lambda: np.empty(0, np.int64))
    segments: Int64Array = field(default_factory=lambda: np.empty(0, np.int64))

    def add(self, refs: Int64Array, segment: int) -> None:
        self.refs = np.concatenate([self.refs, refs])
        self.segments = np.concatenate([self.segments, np.full(len(refs), segment, np.int64)])

    def after(self, segment: int) -> Int64Array:
        return self.refs[self.segments > segment]

    def drop_through(self, segment: int) -> None:
        keep = self.segments > segment
        self.refs, self.segments = self.refs[keep], self.segments[keep]
