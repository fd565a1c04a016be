"""The per-sample columns both parsers collect while scanning a body, and their conversion into a
`ParsedScrape` (numbers converted a whole column at a time)."""

from __future__ import annotations

import numpy as np

from ember.exposition.number_text import ColumnError, parse_millis, parse_seconds_as_millis, parse_values
from ember.exposition.scrape_result import Exemplar, MetricFamily, ParsedScrape
from ember.exposition.series_cache import CachedSeries


class SampleColumns:
    """Series keys, cache entries, and the raw value and timestamp texts of every sample so far."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.entries: list[CachedSeries] = []
        self.value_texts: list[str] = []
        self.stamped: list[int] = []
        self.stamp_texts: list[str] = []
        self.family_of: list[int] = []
        self.exemplars: dict[int, Exemplar] = {}

    def to_scrape(self, families: list[MetricFamily], *, openmetrics: bool) -> ParsedScrape:
        """Converts the texts; a bad number raises `ColumnError` whose index is the sample's."""
        values = parse_values(self.value_texts, openmetrics=openmetrics)
        timestamps = np.zeros(len(self.keys), dtype=np.int64)
        has_timestamp = np.zeros(len(self.keys), dtype=np.bool_)
        if self.stamped:
            # OpenMetrics timestamps are seconds, the text format's milliseconds.
            convert = parse_seconds_as_millis if openmetrics else parse_millis
            try:
                timestamps[self.stamped] = convert(self.stamp_texts)
            except ColumnError as exc:
                exc.index = self.stamped[exc.index]
                raise
            has_timestamp[self.stamped] = True
        return ParsedScrape(
            series_text=self.keys,
            entries=self.entries,
            values=values,
            timestamps_ms=timestamps,
            has_timestamp=has_timestamp,
            family_index=np.array(self.family_of, dtype=np.int32),
            families=families,
            exemplars=self.exemplars,
        )

