"""Tests for ember/exposition/series_text.py."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from ember.exposition.parse_error import ParseError
from ember.exposition.series_text import parse_label_set, parse_series_text, unescape
from ember.exposition.writer import format_series
from ember.model.labels import Labels
from tests.exposition.exposition_strategies import label_sets, utf8_names


@pytest.mark.parametrize(
    ("text", "openmetrics", "expected"),
    [
        ("up", True, {"__name__": "up"}),
        ("up{}", True, {"__name__": "up"}),
        ('up{job="a",instance="b"}', True, {"__name__": "up", "job": "a", "instance": "b"}),
        ('{"my.metric", "la.bel"="x"}', False, {"__name__": "my.metric", "la.bel": "x"}),
        ('{"my.metric","la.bel"="x"}', True, {"__name__": "my.metric", "la.bel": "x"}),
        ('up { job = "a" , }', False, {"__name__": "up", "job": "a"}),
        ('up{job=""}', True, {"__name__": "up"}),
        ('{__name__="up"}', True, {"__name__": "up"}),
    ],
)
def test_accepted_series(text: str, openmetrics: bool, expected: dict[str, str]) -> None:
    assert parse_series_text(text, openmetrics=openmetrics).to_dict() == expected


@pytest.mark.parametrize(
    "text",
    ['up{job="a",}', 'up{ job="a"}', "a.b", 'up{job="a",job="b"}', 'up{job="a"} ', 'up{"x"}', 'up{a=b}',
     'up{""="x"}', '{job="a"}', 'up{__name__="x"}', 'up{job="a"', 'up{1a="x"}'],
)
def test_rejected_in_openmetrics(text: str) -> None:
    with pytest.raises(ParseError):
        parse_series_text(text, openmetrics=True)


def test_unescape_keeps_unknown_escapes() -> None:
    assert unescape('a\\\\b\\nc\\"d\\ze') == 'a\\b\nc"d\\ze'


def test_exemplar_label_set_has_no_metric_name() -> None:
    assert parse_label_set('{trace="x"}', openmetrics=True) == Labels.from_strings("trace", "x")
    with pytest.raises(ParseError):
        parse_label_set('{"name"}', openmetrics=True)


@settings(max_examples=200, deadline=None)
@given(label_sets(names=utf8_names))
def test_written_series_parse_back(labels: Labels) -> None:
    text = format_series(labels)
    assert parse_series_text(text, openmetrics=True) == labels
    assert parse_series_text(text, openmetrics=False) == labels
