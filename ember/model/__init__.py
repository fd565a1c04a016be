"""Ember's data model: labels, matchers, samples and the staleness marker."""

from ember.model.labels import EMPTY_LABELS, METRIC_NAME, Labels
from ember.model.matchers import Matcher, MatchType, matches_all
from ember.model.samples import STALE_NAN, STALE_NAN_BITS, SampleBatch, is_stale, is_stale_value

__all__ = [
    "EMPTY_LABELS",
    "METRIC_NAME",
    "STALE_NAN",
    "STALE_NAN_BITS",
    "Labels",
    "MatchType",
    "Matcher",
    "SampleBatch",
    "is_stale",
    "is_stale_value",
    "matches_all",
]
