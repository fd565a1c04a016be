"""A scrape loop's memory of series: scraped text -> final labels (after target labels and metric
relabelling) and storage ref, so a steady-state scrape builds no labels and runs no relabelling."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ember.config.prometheus import ScrapeConfig
from ember.errors import BadDataError
from ember.exposition import CachedSeries
from ember.model.labels import Labels
from ember.relabel import relabel

NO_REF = -1


class ResolvedSeries:
    __slots__ = ("labels", "ref")

    def __init__(self, labels: Labels | None, ref: int = NO_REF) -> None:
        self.labels = labels  # None: dropped by metric relabelling
        self.ref = ref


def merge_target_labels(scraped: Labels, target: Labels, honor_labels: bool) -> Labels:
    """Prometheus's `mutateSampleLabels`: with honor_labels the scraped value wins; otherwise the target's
    does and the scraped one is kept as `exported_<name>` (repeatedly prefixed until free)."""
    merged = scraped.to_dict()
    for name, value in target:
        if name in merged and merged[name] != "" and not honor_labels:
            exported = f"exported_{name}"
            while exported in merged:
                exported = f"exported_{exported}"
            merged[exported] = merged[name]
        if honor_labels and merged.get(name):
            continue
        merged[name] = value
    return Labels(merged.items())


def check_label_limits(labels: Labels, config: ScrapeConfig) -> None:
    if config.label_limit and len(labels) > config.label_limit:
        raise BadDataError(f"label_limit exceeded (metric: {labels.metric_name}, number of labels: "
                           f"{len(labels)}, limit: {config.label_limit})")
    for name, value in labels:
        if config.label_name_length_limit and len(name) > config.label_name_length_limit:
            raise BadDataError(f"label_name_length_limit exceeded (metric: {labels.metric_name}, label name: "
                               f"{name}, limit: {config.label_name_length_limit})")
        if config.label_value_length_limit and len(value) > config.label_value_length_limit:
            raise BadDataError(f"label_value_length_limit exceeded (metric: {labels.metric_name}, label name: "
                               f"{name}, value: {value!r}, limit: {config.label_value_length_limit})")


class SeriesState:
    def __init__(self, target_labels: Labels, config: ScrapeConfig) -> None:
        self._target = target_labels
        self._config = config
        self._known: dict[str, ResolvedSeries] = {}

    def resolve(self, texts: Sequence[str], scraped: Sequence[CachedSeries]) -> tuple[list[ResolvedSeries], int]:
        """Entries for each sample's series text; also how many were new (`scrape_series_added`)."""
        known = self._known
        out: list[ResolvedSeries] = []
        added = 0
        for text, cached in zip(texts, scraped, strict=True):
            entry = known.get(text)
            if entry is None:
                final = relabel(merge_target_labels(cached.labels, self._target, self._config.honor_labels),
                                self._config.metric_relabel_configs)
                if final is not None:
                    check_label_limits(final, self._config)
                entry = known[text] = ResolvedSeries(final)
                added += 1
            out.append(entry)
        return out, added

    def retain(self, texts: set[str]) -> None:
        """Forgets series not scraped this time (their refs may be garbage collected later)."""
        if len(texts) < len(self._known):
            self._known = {t: e for t, e in self._known.items() if t in texts}

    def forget_refs(self) -> None:
        for entry in self._known.values():
            entry.ref = NO_REF


def refs_of(entries: Sequence[ResolvedSeries]) -> np.ndarray | None:  # type: ignore[type-arg]
    """The refs of all entries, or None when any is not known yet."""
    refs = np.fromiter((e.ref for e in entries), dtype=np.int64, count=len(entries))
    return None if (refs == NO_REF).any() else refs
