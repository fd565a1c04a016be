"""OpenMetrics's per-sample semantic rules, for strict parsing (`ember check metrics`, the test suite).

Prometheus's scrape parser does not check these, so the scrape path runs them only when asked:
counter-like values are neither NaN nor negative; stateset values are 0 or 1 and info values 1;
quantiles lie in [0, 1]; histogram buckets have a valid, canonical `le`, come in increasing `le` order
with non-decreasing counts, end with `+Inf` and agree with `_count`; exemplars sit only on buckets and
counter totals; a group of samples (one series set) is not split, and its timestamps neither mix
presence nor go backwards.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ember.exposition.scrape_result import MetricFamily, ParsedScrape
from ember.model.labels import METRIC_NAME, Labels

_NOT_NAN = ("_total", "_sum", "_count", "_bucket", "_gcount", "_gsum")
_NOT_NEGATIVE = ("_total", "_sum", "_count", "_bucket", "_gcount")
_HISTOGRAMS = ("histogram", "gaugehistogram")


class SampleRuleError(Exception):
    """Sample `index` breaks a rule."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(reason)
        self.index = index
        self.reason = reason


def validate_samples(scrape: ParsedScrape) -> None:
    """Check every family's samples; raises `SampleRuleError` at the first offending sample."""
    if len(scrape) == 0:
        return
    starts = np.flatnonzero(np.diff(scrape.family_index)) + 1
    bounds = [0, *starts.tolist(), len(scrape)]
    for start, stop in itertools.pairwise(bounds):
        family = scrape.families[int(scrape.family_index[start])]
        for index in range(start, stop):
            _check_sample(scrape, family, index)
        _check_grouping(scrape, family, start, stop)
        if family.type in _HISTOGRAMS:
            _check_histograms(scrape, family, start, stop)


def _check_sample(scrape: ParsedScrape, family: MetricFamily, index: int) -> None:
    labels = scrape.entries[index].labels
    suffix = scrape.entries[index].metric_name[len(family.name) :]
    value = float(scrape.values[index])
    kind = family.type
    if kind == "stateset" and (family.name not in labels or value not in (0.0, 1.0)):
        raise SampleRuleError(index, "stateset samples need their state label and a value of 0 or 1")
    if kind == "info" and value != 1.0:
        raise SampleRuleError(index, "info samples can only have value one")
    if kind == "summary" and suffix == "":
        _check_quantile(labels.get("quantile"), value, index)
    if kind in _HISTOGRAMS and suffix == "_bucket":
        _check_le(labels.get("le"), index)
    counted = suffix in ("_bucket", "_count", "_gcount") and kind in (*_HISTOGRAMS, "summary")
    if counted and not value.is_integer():
        raise SampleRuleError(index, f"{suffix} values must be integers")
    if suffix in _NOT_NAN and kind != "unknown" and math.isnan(value):
        raise SampleRuleError(index, "counter-like samples cannot be NaN")
    if suffix in _NOT_NEGATIVE and kind != "unknown" and value < 0:
        raise SampleRuleError(index, "counter-like samples cannot be negative")
    if index in scrape.exemplars and not (
        (kind in _HISTOGRAMS and suffix == "_bucket") or (kind == "counter" and suffix == "_total")
    ):
        raise SampleRuleError(index, "only histogram buckets and counter totals can have exemplars")


def _check_quantile(text: str, value: float, index: int) -> None:
    try:
        quantile = float(text)
    except ValueError:
        quantile = math.nan
    if not 0.0 <= quantile <= 1.0:
        raise SampleRuleError(index, f"invalid quantile label {text!r}")
    if value < 0:
        raise SampleRuleError(index, "quantile values cannot be negative")


def _check_le(text: str, index: int) -> None:
    try:
        bound = float(text)
    except ValueError:
        bound = math.nan
    # OpenMetrics requires the canonical spelling for +Inf ("+Inf"); other bounds may be written freely.
    if math.isnan(bound) or (bound == math.inf and text != "+Inf"):
        raise SampleRuleError(index, f"invalid le label {text!r}")


def _group_key(scrape: ParsedScrape, family: MetricFamily, index: int) -> Labels:
    labels = scrape.entries[index].labels
    suffix = scrape.entries[index].metric_name[len(family.name) :]
    if family.type == "info":
        return Labels()
    if family.type == "summary" and suffix == "":
        return labels.without(METRIC_NAME, "quantile")
    if family.type == "stateset":
        return labels.without(METRIC_NAME, family.name)
    if family.type in _HISTOGRAMS and suffix == "_bucket":
        return labels.without(METRIC_NAME, "le")
    return labels.without(METRIC_NAME)


def _check_grouping(scrape: ParsedScrape, family: MetricFamily, start: int, stop: int) -> None:
    seen: set[Labels] = set()
    group: Labels | None = None
    stamp: tuple[bool, int] = (False, 0)
    for index in range(start, stop):
        key = _group_key(scrape, family, index)
        this = (bool(scrape.has_timestamp[index]), int(scrape.timestamps_ms[index]))
        if key != group and key in seen:
            raise SampleRuleError(index, "samples of one group are not together")
        if key == group:
            if this[0] != stamp[0]:
                raise SampleRuleError(index, "mix of timestamp presence within a group")
            if this[0] and this[1] < stamp[1] and family.type != "info":
                raise SampleRuleError(index, "timestamps went backwards within a group")
        group, stamp = key, this
        seen.add(key)


class _HistogramBlock:
    """The buckets, count and sums of one histogram series at one timestamp."""

    def __init__(self) -> None:
        self.bound: float | None = None
        self.cumulative = 0.0
        self.count: float | None = None
        self.has_sum = self.has_gsum = False
        self.negative_buckets = self.negative_gsum = False

    def add(self, suffix: str, value: float, le: str, index: int) -> None:
        if suffix == "_bucket":
            bound = float(le)
            self.negative_buckets |= bound < 0
            if self.bound is not None and bound <= self.bound:
                raise SampleRuleError(index, "histogram buckets out of le order")
            if value < self.cumulative:
                raise SampleRuleError(index, "histogram bucket values decrease")
            self.bound, self.cumulative = bound, value
        elif suffix in ("_count", "_gcount"):
            self.count = value
        elif suffix == "_sum":
            self.has_sum = True
        elif suffix == "_gsum":
            self.has_gsum = True
            self.negative_gsum |= value < 0

    def finish(self, index: int) -> None:
        if self.bound != math.inf:
            raise SampleRuleError(index, "histogram has no +Inf bucket")
        if self.count is not None and self.count != self.cumulative:
            raise SampleRuleError(index, "histogram count does not match the +Inf bucket")
        if (self.has_sum or self.has_gsum) and self.count is None:
            raise SampleRuleError(index, "histogram has a sum but no count")
        if self.count is not None and not (self.has_sum or self.has_gsum):
            raise SampleRuleError(index, "histogram has a count but no sum")
        if self.negative_buckets and self.has_sum:
            raise SampleRuleError(index, "histogram with negative buckets cannot have _sum")
        if self.negative_gsum and not self.negative_buckets:
            raise SampleRuleError(index, "negative _gsum needs negative buckets")


def _check_histograms(scrape: ParsedScrape, family: MetricFamily, start: int, stop: int) -> None:
    block_key: tuple[Labels, bool, int] | None = None
    block: _HistogramBlock | None = None
    in_block: set[str] = set()
    for index in range(start, stop):
        entry = scrape.entries[index]
        suffix = entry.metric_name[len(family.name) :]
        if not suffix:
            continue
        key = (
            _group_key(scrape, family, index),
            bool(scrape.has_timestamp[index]),
            int(scrape.timestamps_ms[index]),
        )
        if key != block_key:
            if block is not None:
                block.finish(index - 1)
            block, block_key, in_block = _HistogramBlock(), key, set()
        elif scrape.series_text[index] in in_block:
            continue  # the same series again at the same timestamp: a repeat, not a new bucket
        in_block.add(scrape.series_text[index])
        assert block is not None
        block.add(suffix, float(scrape.values[index]), entry.labels.get("le"), index)
    if block is not None:
        block.finish(stop - 1)
