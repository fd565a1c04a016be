"""The head's series: the series table (refs, labels, append state) with label postings."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pyroaring import BitMap

from ember.errors import UnknownSeriesRefError
from ember.model.labels import Labels
from ember.model.samples import Int64Array
from ember.tsdb.postings import MemPostings
from ember.tsdb.series_table import BoolArray, SeriesTable, UInt64Array

__all__ = ["BoolArray", "SeriesRegistry", "UInt64Array"]


class SeriesRegistry(SeriesTable):
    """The head's series: the table plus label postings for selection."""

    def __init__(self) -> None:
        super().__init__()
        self.postings = MemPostings()

    def _add(self, labels: Labels, ref: int) -> int:
        super()._add(labels, ref)
        self.postings.add(ref, labels)
        return ref

    def restore(self, refs: Int64Array, series: Sequence[Labels]) -> None:
        """Re-creates series with their original refs (WAL replay)."""
        for ref, labels in zip(refs.tolist(), series, strict=True):
            if labels in self._ref_of:
                continue
            self._add(labels, ref)
            self.logged[ref] = True

    def labels(self, ref: int) -> Labels:
        labels = self._labels[ref]
        if labels is None:
            raise UnknownSeriesRefError(f"unknown series ref {ref}")
        return labels

    def ref_of(self, labels: Labels) -> int | None:
        return self._ref_of.get(labels)

    def remove(self, refs: BitMap) -> None:
        """Forgets series (garbage collection after a head cut); their refs are never reused."""
        self._forget(np.asarray(refs.to_array(), dtype=np.int64))
        self.postings.remove(refs)

    def live_refs(self) -> BitMap:
        return self.postings.all_postings()
