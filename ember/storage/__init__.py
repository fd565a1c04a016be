"""Storage interfaces: the one `Appender` and the one `Querier`, and the columnar `SeriesSet`."""

from ember.storage.interface import (
    DEFAULT_APPEND_OPTIONS,
    MAX_TIME,
    MIN_TIME,
    Appendable,
    Appender,
    AppendOptions,
    AppendResult,
    Querier,
    Queryable,
    Storage,
)
from ember.storage.series_set import SeriesSet, merge_series_sets

__all__ = [
    "DEFAULT_APPEND_OPTIONS",
    "MAX_TIME",
    "MIN_TIME",
    "AppendOptions",
    "AppendResult",
    "Appendable",
    "Appender",
    "Querier",
    "Queryable",
    "SeriesSet",
    "Storage",
    "merge_series_sets",
]
