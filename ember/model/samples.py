"""Sample values and columnar sample batches.

The staleness marker is the NaN with bit pattern 0x7ff0000000000002 (Prometheus's `value.StaleNaN`).
It must survive every layer bit-exactly, so tests and code compare bits (`is_stale`), never `np.isnan`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ember.model.labels import Labels

STALE_NAN_BITS = 0x7FF0000000000002
STALE_NAN: float = float(np.array([STALE_NAN_BITS], dtype=np.uint64).view(np.float64)[0])

Int64Array = npt.NDArray[np.int64]
Float64Array = npt.NDArray[np.float64]
Int32Array = npt.NDArray[np.int32]


def is_stale(values: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Element-wise: is this value the staleness marker (by bits, not by NaN-ness)."""
    arr = np.ascontiguousarray(values, dtype=np.float64)
    stale: npt.NDArray[np.bool_] = arr.view(np.uint64) == np.uint64(STALE_NAN_BITS)
    return stale


def is_stale_value(value: float) -> bool:
    return bool(np.array([value], dtype=np.float64).view(np.uint64)[0] == STALE_NAN_BITS)


@dataclass(frozen=True)
class SampleBatch:
    """Samples of several series in columns.

    Sample `i` belongs to the series at position `series_index[i]` of `series` (label sets) or of `refs`
    (storage series references returned by an earlier append). At least one of `series`/`refs` is set;
    when both are, they describe the same series in the same order.

    `aligned_timestamp` marks the scrape shape: one sample per series, all at that timestamp, with
    `series_index == arange(len(series))`. The head stores such batches as one row of a columnar block.
    """

    timestamps: Int64Array
    values: Float64Array
    series_index: Int32Array
    series: Sequence[Labels] | None = None
    refs: Int64Array | None = None
    aligned_timestamp: int | None = None

    def __post_init__(self) -> None:
        if self.series is None and self.refs is None:
            raise ValueError("a SampleBatch needs series labels or series refs")
        n = len(self.values)
        if len(self.timestamps) != n or len(self.series_index) != n:
            raise ValueError("timestamps, values and series_index must have the same length")

    @property
    def num_series(self) -> int:
        return len(self.series) if self.series is not None else len(self.refs)  # type: ignore[arg-type]

    def __len__(self) -> int:
        return len(self.values)

    @classmethod
    def aligned(
        cls,
        timestamp: int,
        values: npt.ArrayLike,
        *,
        series: Sequence[Labels] | None = None,
        refs: npt.ArrayLike | None = None,
    ) -> SampleBatch:
        """One sample per series, all at `timestamp`: the shape of a scrape or a rule evaluation."""
        vals = np.ascontiguousarray(values, dtype=np.float64)
        n = len(vals)
        return cls(
            timestamps=np.full(n, timestamp, dtype=np.int64),
            values=vals,
            series_index=np.arange(n, dtype=np.int32),
            series=series,
            refs=None if refs is None else np.ascontiguousarray(refs, dtype=np.int64),
            aligned_timestamp=int(timestamp),
        )

    @classmethod
    def of_series(cls, labels: Labels, timestamps: npt.ArrayLike, values: npt.ArrayLike) -> SampleBatch:
        """Many samples of one series."""
        ts = np.ascontiguousarray(timestamps, dtype=np.int64)
        vals = np.ascontiguousarray(values, dtype=np.float64)
        if ts.shape != vals.shape or ts.ndim != 1:
            raise ValueError("timestamps and values must be 1-d arrays of the same length")
        return cls(
            timestamps=ts, values=vals, series_index=np.zeros(len(ts), dtype=np.int32), series=[labels]
        )

    @classmethod
    def of_samples(
        cls, series: Sequence[Labels], series_index: npt.ArrayLike, timestamps: npt.ArrayLike,
        values: npt.ArrayLike,
    ) -> SampleBatch:
        """The general, unaligned shape (remote write, backfill)."""
        return cls(
            timestamps=np.ascontiguousarray(timestamps, dtype=np.int64),
            values=np.ascontiguousarray(values, dtype=np.float64),
            series_index=np.ascontiguousarray(series_index, dtype=np.int32),
            series=series,
        )
