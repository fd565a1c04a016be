"""Series refs with their labels and per-series append state in growable numpy columns: what the head's
series registry and the agent's series table both keep (the registry adds postings on top)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ember.errors import BadDataError, UnknownSeriesRefError
from ember.model.labels import Labels
from ember.model.samples import Int64Array
from ember.storage.interface import MIN_TIME
from ember.tsdb import append_kernels

UInt64Array = npt.NDArray[np.uint64]
BoolArray = npt.NDArray[np.bool_]


class SeriesTable:
    """Series refs are dense, never reused, and assigned in creation order."""

    def __init__(self) -> None:
        self._labels: list[Labels | None] = []
        self._ref_of: dict[Labels, int] = {}
        self.max_t: Int64Array = np.full(1024, MIN_TIME, dtype=np.int64)
        self.last_bits: UInt64Array = np.zeros(1024, dtype=np.uint64)
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
        """Refs of the given label sets, creating the series that are new."""
        ref_of = self._ref_of
        refs = np.empty(len(series), dtype=np.int64)
        for i, labels in enumerate(series):
            ref = ref_of.get(labels)
            if ref is None:
                if not len(labels):
                    raise BadDataError("empty labelset: invalid sample")  # Prometheus's message
                ref = self._add(labels, len(self._labels))
            refs[i] = ref
        return refs

    def _add(self, labels: Labels, ref: int) -> int:
        """Puts `labels` at `ref` (past the end when new, or at its old place on replay)."""
        while len(self._labels) <= ref:
            self._labels.append(None)
        self._labels[ref] = labels
        self._ref_of[labels] = ref
        self._grow(ref + 1)
        self.live[ref] = True
        return ref

    def _forget(self, refs: Int64Array) -> None:
        """Drops series from memory; their refs are never reused."""
        for ref in refs.tolist():
            labels = self._labels[ref]
            if labels is not None:
                del self._ref_of[labels]
                self._labels[ref] = None
        self.max_t[refs] = MIN_TIME
        self.live[refs] = False

    def check_refs(self, refs: Int64Array) -> None:
        verdict = append_kernels.check_refs(refs, self.live, len(self._labels))
        if verdict == append_kernels.REFS_UNKNOWN:
            raise UnknownSeriesRefError("unknown series ref")
        if verdict == append_kernels.REFS_GONE:
            raise UnknownSeriesRefError("series ref no longer in the head")

    def labels_of(self, refs: Int64Array) -> list[Labels]:
        table = self._labels
        return [table[r] for r in refs.tolist()]  # type: ignore[misc]

    def are_live(self, refs: Int64Array) -> BoolArray:
        """Element-wise: is this ref a series still held."""
        inside = (refs >= 0) & (refs < len(self._labels))
        out = np.zeros(len(refs), dtype=bool)
        out[inside] = self.live[refs[inside]]
        return out
