"""Tests for ember/exposition/series_cache.py."""

from __future__ import annotations

import pytest

from ember.exposition.parse_error import ParseError
from ember.exposition.series_cache import NO_REF, SeriesCache
from ember.model.labels import Labels


def test_resolve_parses_once_and_keeps_refs() -> None:
    cache = SeriesCache()
    entry = cache.resolve('up{job="a"}', openmetrics=False)
    assert entry.labels == Labels.from_strings("__name__", "up", "job", "a")
    assert (entry.metric_name, entry.ref) == ("up", NO_REF)
    entry.ref = 7
    assert cache.resolve('up{job="a"}', openmetrics=False).ref == 7
    assert cache.mapping(openmetrics=False)['up{job="a"}'] is entry


def test_formats_share_an_entry_only_when_both_accept_the_text() -> None:
    cache = SeriesCache()
    text_entry = cache.resolve('up{job="a"}', openmetrics=False)
    assert cache.resolve('up{job="a"}', openmetrics=True) is text_entry
    cache.resolve('up{job="a",}', openmetrics=False)
    with pytest.raises(ParseError):
        cache.resolve('up{job="a",}', openmetrics=True)
    assert len(cache) == 3


def test_retain_only_drops_series_not_seen() -> None:
    cache = SeriesCache()
    for text in ("a", "b", "c"):
        cache.resolve(text, openmetrics=False)
    cache.retain_only(["b"])
    assert list(cache.mapping(openmetrics=False)) == ["b"]
    cache.clear()
    assert len(cache) == 0
