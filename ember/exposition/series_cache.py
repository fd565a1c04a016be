"""A cache from series text (as written in a scrape body) to its parsed labels and storage ref.

Prometheus's scrape cache does the same: a steady-state scrape repeats the same series texts, so the
labels are parsed once and every later scrape costs one dict look-up per sample. The text format is more
permissive than OpenMetrics (blanks, trailing commas), so each keeps its own key space; an entry valid
in both is shared, so its storage ref is too.
"""

from __future__ import annotations

from collections.abc import Iterable

from ember.exposition.series_text import parse_series_text
from ember.model.labels import Labels

NO_REF = -1


class CachedSeries:
    """What a series text resolves to: its labels, metric name and (once appended) a storage ref."""

    __slots__ = ("labels", "metric_name", "ref")

    def __init__(self, labels: Labels, ref: int = NO_REF) -> None:
        self.labels = labels
        self.metric_name = labels.metric_name
        self.ref = ref

    def __repr__(self) -> str:
        return f"CachedSeries({self.labels}, ref={self.ref})"


class SeriesCache:
    """Series text -> `CachedSeries`, one key space per exposition format."""

    def __init__(self) -> None:
        self._text: dict[str, CachedSeries] = {}
        self._openmetrics: dict[str, CachedSeries] = {}

    def __len__(self) -> int:
        return len(self._text) + len(self._openmetrics)

    def mapping(self, *, openmetrics: bool) -> dict[str, CachedSeries]:
        """The live dict a parser reads on its hot path (hits need no method call)."""
        return self._openmetrics if openmetrics else self._text

    def resolve(self, series_text: str, *, openmetrics: bool) -> CachedSeries:
        """The entry for `series_text`, parsing it on a miss; raises `ParseError` if malformed."""
        own = self.mapping(openmetrics=openmetrics)
        entry = own.get(series_text)
        if entry is not None:
            return entry
        labels = parse_series_text(series_text, openmetrics=openmetrics)
        other = self.mapping(openmetrics=not openmetrics).get(series_text)
        entry = other if other is not None and other.labels == labels else CachedSeries(labels)
        own[series_text] = entry
        return entry

    def retain_only(self, series_texts: Iterable[str]) -> None:
        """Drop every entry not among `series_texts` (the last scrape's), as Prometheus's cache does
        when it has grown well past the target's series count."""
        keep = set(series_texts)
        self._text = {k: v for k, v in self._text.items() if k in keep}
        self._openmetrics = {k: v for k, v in self._openmetrics.items() if k in keep}

    def clear(self) -> None:
        self._text.clear()
        self._openmetrics.clear()


