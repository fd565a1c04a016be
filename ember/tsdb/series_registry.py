"""The head's series: refs, labels, postings and per-series append state in growable numpy columns."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from pyroaring import BitMap

from ember.errors import UnknownSeriesRefError
from ember.model.labels import Labels
from ember.model.samples import Int64Array
from ember.storage.interface import MIN_TIME
from ember.tsdb.postings import MemPostings

UInt64Array = npt.NDArray[np.uint64]
BoolArray = npt.NDArray[np.bool_]


class SeriesRegistry:
    """Series refs are dense, never reused, and assigned in creation order."""

    def __init__(self) -> None:
        self._labels: list[Labels | None] = []
        self._ref_of: dict[Labels, int] = {}
        self.postings = MemPostings()
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
        new_capacity = max(needed, capacity * 2)
        self.max_t = np.concatenate([self.max_t, np.full(new_capacity - capacity, MIN_TIME, np.int64)])
        self.last_bits = np.concatenate([self.last_bits, np.zeros(new_capacity - capacity, np.uint64)])
        self.logged = np.concatenate([self.logged, np.zeros(new_capacity - capacity, bool)])
        self.live = np.concatenate([self.live, np.zeros(new_capacity - capacity, bool)])

    def refs_for(self, series: Sequence[Labels]) -> Int64Array:
        """Refs of the given label sets, creating the series that are new."""
        ref_of = self._ref_of
        refs = np.empty(len(series), dtype=np.int64)
        for i, labels in enumerate(series):
            ref = ref_of.get(labels)
            if ref is None:
                ref = self._create(labels)
            refs[i] = ref
        return refs

    def _create(self, labels: Labels) -> int:
        if not len(labels):
            raise ValueError("a series needs at least one label")
        ref = len(self._labels)
        self._labels.append(labels)
        self._ref_of[labels] = ref
        self._grow(ref + 1)
        self.live[ref] = True
        self.postings.add(ref, labels)
        return ref

    def restore(self, refs: Int64Array, series: Sequence[Labels]) -> None:
        """Re-creates series with their original refs (WAL replay)."""
        for ref, labels in zip(refs.tolist(), series, strict=True):
            if labels in self._ref_of:
                continue
            while len(self._labels) < ref:
                self._labels.append(None)
            if ref < len(self._labels):
                self._labels[ref] = labels
            else:
                self._labels.append(labels)
            self._ref_of[labels] = ref
            self._grow(ref + 1)
            self.postings.add(ref, labels)
            self.logged[ref] = True
            self.live[ref] = True

    def check_refs(self, refs: Int64Array) -> None:
        if len(refs) == 0:
            return
        if refs.min() < 0 or refs.max() >= len(self._labels):
            raise UnknownSeriesRefError("unknown series ref")
        if not self.live[refs].all():
            raise UnknownSeriesRefError("series ref no longer in the head")

    def labels(self, ref: int) -> Labels:
        labels = self._labels[ref]
        if labels is None:
            raise UnknownSeriesRefError(f"unknown series ref {ref}")
        return labels

    def labels_of(self, refs: Int64Array) -> list[Labels]:
        table = self._labels
        return [table[r] for r in refs.tolist()]  # type: ignore[misc]

    def ref_of(self, labels: Labels) -> int | None:
        return self._ref_of.get(labels)

    def remove(self, refs: BitMap) -> None:
        """Forgets series (garbage collection after a head cut); their refs are never reused."""
        for ref in refs:
            labels = self._labels[ref]
            if labels is not None:
                del self._ref_of[labels]
                self._labels[ref] = None
        self.postings.remove(refs)
        idx = np.asarray(refs.to_array(), dtype=np.int64)
        self.max_t[idx] = MIN_TIME
        self.live[idx] = False

    def are_live(self, refs: Int64Array) -> BoolArray:
        """Element-wise: is this ref a series the head still holds."""
        inside = (refs >= 0) & (refs < len(self._labels))
        out = np.zeros(len(refs), dtype=bool)
        out[inside] = self.live[refs[inside]]
        return out

    def live_refs(self) -> BitMap:
        return self.postings.all_postings()
