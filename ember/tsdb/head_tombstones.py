"""Deletions in the head: intervals per series, masked on read and applied when the head is cut."""

from __future__ import annotations

import numpy as np

from ember.model.samples import Float64Array, Int64Array
from ember.tsdb.column_group import ColumnGroup


class HeadTombstones:
    def __init__(self) -> None:
        self._intervals: dict[int, list[tuple[int, int]]] = {}

    def __bool__(self) -> bool:
        return bool(self._intervals)

    def add(self, refs: Int64Array, mint: Int64Array, maxt: Int64Array) -> None:
        for ref, lo, hi in zip(refs.tolist(), mint.tolist(), maxt.tolist(), strict=True):
            self._intervals.setdefault(ref, []).append((lo, hi))

    def deleted_mask(self, refs: Int64Array, timestamps: Int64Array) -> np.ndarray:  # type: ignore[type-arg]
        """True for samples inside a tombstone of their series."""
        mask = np.zeros(len(refs), dtype=bool)
        for ref, intervals in self._intervals.items():
            of_ref = refs == ref
            if not of_ref.any():
                continue
            for lo, hi in intervals:
                mask |= of_ref & (timestamps >= lo) & (timestamps <= hi)
        return mask

    def filter(
        self, refs: Int64Array, timestamps: Int64Array, values: Float64Array
    ) -> tuple[Int64Array, Int64Array, Float64Array]:
        if not self._intervals:
            return refs, timestamps, values
        keep = ~self.deleted_mask(refs, timestamps)
        return refs[keep], timestamps[keep], values[keep]

    def apply_to_groups(self, groups: list[ColumnGroup]) -> list[ColumnGroup]:
        """Moves tombstoned columns out into one-column groups without their deleted samples."""
        if not self._intervals:
            return groups
        doomed = np.fromiter(self._intervals, dtype=np.int64)
        out: list[ColumnGroup] = []
        for group in groups:
            hit = np.isin(group.refs, doomed)
            if not hit.any():
                out.append(group)
                continue
            if (~hit).any():
                out.append(ColumnGroup(group.refs[~hit], group.timestamps, group.values[:, ~hit]))
            for j in np.flatnonzero(hit).tolist():
                ref = group.refs[j : j + 1]
                keep = ~self.deleted_mask(np.repeat(ref, len(group.timestamps)), group.timestamps)
                if keep.any():
                    out.append(ColumnGroup(ref, group.timestamps[keep], group.values[keep, j : j + 1]))
        return out
