"""The columnar result of parsing one scrape body.

One row per sample, in body order. The scrape loop keys its state by `series_text` (the series exactly as
written), so a steady-state scrape never builds `Labels`: `entries` come from the `SeriesCache`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ember.exposition.series_cache import CachedSeries
from ember.model.labels import Labels

METRIC_TYPES_TEXT = frozenset({"counter", "gauge", "histogram", "summary", "untyped"})
METRIC_TYPES_OPENMETRICS = frozenset(
    {"counter", "gauge", "histogram", "gaugehistogram", "stateset", "info", "summary", "unknown"}
)


@dataclass(slots=True)
class MetricFamily:
    """Metadata of one metric family as the body declared it (type "unknown" when not declared)."""

    name: str
    type: str = "unknown"
    help: str | None = None
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class Exemplar:
    """An OpenMetrics exemplar: its own labels, a value and an optional timestamp in milliseconds."""

    labels: Labels
    value: float
    timestamp_ms: int | None = None


@dataclass(frozen=True)
class ParsedScrape:
    """Samples of one body in columns; `timestamps_ms[i]` is meaningful only where `has_timestamp[i]`.

    `family_index[i]` points into `families`, or is -1 for a sample outside any declared family (the
    text format's samples with no HELP/TYPE line).
    """

    series_text: list[str]
    entries: list[CachedSeries]
    values: npt.NDArray[np.float64]
    timestamps_ms: npt.NDArray[np.int64]
    has_timestamp: npt.NDArray[np.bool_]
    family_index: npt.NDArray[np.int32]
    families: list[MetricFamily]
    exemplars: dict[int, Exemplar] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.series_text)

    @property
    def labels(self) -> Sequence[Labels]:
        """The label set of every sample (built only on cache misses)."""
        return [entry.labels for entry in self.entries]

    def family_of(self, sample: int) -> MetricFamily | None:
        index = int(self.family_index[sample])
        return self.families[index] if index >= 0 else None
