"""The scrape-group layout shared by the head and the blocks: one timestamp vector, many value columns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ember.model.samples import Float64Array, Int64Array


@dataclass(frozen=True)
class ColumnGroup:
    """Samples of `c` series taken at the same `r` timestamps.

    `values[i, j]` is the sample of series `refs[j]` at `timestamps[i]`; every cell is a real sample
    (the staleness NaN included). Unaligned data is stored as groups with one column.
    """

    refs: Int64Array
    timestamps: Int64Array
    values: Float64Array

    def __post_init__(self) -> None:
        if self.values.shape != (len(self.timestamps), len(self.refs)):
            raise ValueError(
                f"values shape {self.values.shape} != ({len(self.timestamps)}, {len(self.refs)})"
            )

    @property
    def num_samples(self) -> int:
        return int(self.values.size)

    @property
    def mint(self) -> int:
        return int(self.timestamps[0])

    @property
    def maxt(self) -> int:
        return int(self.timestamps[-1])

    def time_slice(self, mint: int, maxt: int) -> ColumnGroup:
        """The rows with mint <= t <= maxt."""
        lo = int(np.searchsorted(self.timestamps, mint, side="left"))
        hi = int(np.searchsorted(self.timestamps, maxt, side="right"))
        return ColumnGroup(self.refs, self.timestamps[lo:hi], self.values[lo:hi])
