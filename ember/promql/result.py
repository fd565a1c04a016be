"""The result of a PromQL query: columnar series, a scalar or a string, with annotations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from ember.storage.series_set import SeriesSet

if TYPE_CHECKING:
    import pandas  # imported when a result is converted: the server never needs it (about 40 MiB)

ResultType = Literal["vector", "matrix", "scalar", "string"]


@dataclass
class QueryResult:
    """What `Engine.instant_query` / `Engine.range_query` return.

    vector: one sample per series at `time_ms`; matrix: samples per series in CSR layout (raw samples for
    an instant query of a range selector, one point per step for range queries).
    """

    result_type: ResultType
    series: SeriesSet | None = None
    scalar: float | None = None
    string: str | None = None
    time_ms: int | None = None
    warnings: list[str] = field(default_factory=list)
    infos: list[str] = field(default_factory=list)

    def to_pandas(self) -> pandas.DataFrame:
        """Long format: one row per sample, label names as columns, then `timestamp` and `value`."""
        import pandas

        if self.result_type == "scalar":
            return pandas.DataFrame({"timestamp": [self.time_ms], "value": [self.scalar]})
        if self.result_type == "string":
            return pandas.DataFrame({"timestamp": [self.time_ms], "value": [self.string]})
        series = self.series if self.series is not None else SeriesSet.empty()
        return _series_frame(series)


def _series_frame(series: SeriesSet) -> pandas.DataFrame:
    import pandas

    lengths = series.lengths()
    names = sorted({name for labels in series.labels for name in labels.names()})
    columns: dict[str, object] = {}
    for name in names:
        per_series = np.array([labels.get(name) for labels in series.labels], dtype=object)
        columns[name] = np.repeat(per_series, lengths)
    columns["timestamp"] = pandas.to_datetime(series.timestamps, unit="ms", utc=True)
    columns["value"] = series.values
    return pandas.DataFrame(columns)
