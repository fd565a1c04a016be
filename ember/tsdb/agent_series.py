"""The agent's in-memory state: series refs with labels and each series' newest sample, and the
series it has forgotten (still owed to the checkpoint). No postings and no samples: agent mode
answers no queries, so this is all the memory it needs per series."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ember.model.labels import Labels
from ember.model.samples import Float64Array, Int64Array
from ember.tsdb.series_table import BoolArray, SeriesTable

__all__ = ["AgentSeries", "BoolArray", "ForgottenSeries"]


class AgentSeries(SeriesTable):
    """Series refs (dense, never reused) with labels and the append state of each; nothing else."""

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
        self._forget(stale)
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
