"""Tests for ember/exposition/scrape_body.py."""

from __future__ import annotations

import gzip

import pytest

from ember.errors import BadDataError
from ember.exposition.negotiation import ScrapeProtocol
from ember.exposition.scrape_body import ScrapeBodyParser, parse_scrape_body
from ember.exposition.series_cache import SeriesCache


def test_parser_follows_content_type() -> None:
    cache = SeriesCache()
    text = parse_scrape_body(b"a 1\n", "text/plain; version=0.0.4", cache=cache)
    om = parse_scrape_body(
        gzip.compress(b"a 2\n# EOF\n"), "application/openmetrics-text; version=1.0.0",
        cache=cache, content_encoding="gzip",
    )
    assert (text.scrape.values[0], om.scrape.values[0]) == (1.0, 2.0)
    assert text.warning is None and om.warning is None


def test_missing_content_type_needs_a_fallback() -> None:
    with pytest.raises(BadDataError, match="non-compliant scrape target"):
        parse_scrape_body(b"a 1\n", None)
    body = parse_scrape_body(b"a 1\n", None, fallback=ScrapeProtocol.PROMETHEUS_TEXT_0_0_4)
    assert body.warning is not None and len(body.scrape) == 1


def test_openmetrics_body_without_eof_is_a_bad_data_error() -> None:
    with pytest.raises(BadDataError, match="# EOF"):
        parse_scrape_body(b"a 1\n", "application/openmetrics-text")


def test_target_parser_negotiates_every_body_as_the_function_does() -> None:
    parser = ScrapeBodyParser(fallback=ScrapeProtocol.PROMETHEUS_TEXT_0_0_4)
    for _ in range(2):  # the second time through the remembered choice and the template
        body = parser.parse(b"a 1\n", None)
        assert body.warning == parse_scrape_body(b"a 1\n", None, fallback=ScrapeProtocol.PROMETHEUS_TEXT_0_0_4).warning
        assert body.warning is not None and body.scrape.values.tolist() == [1.0]
    strict = ScrapeBodyParser()
    for _ in range(2):
        with pytest.raises(BadDataError, match="non-compliant scrape target"):
            strict.parse(b"a 1\n", None)


def test_target_parser_enforces_the_body_size_limit_on_every_body() -> None:
    parser = ScrapeBodyParser(body_size_limit=100)
    body = b"a 1\n" * 10
    assert len(parser.parse(gzip.compress(body), "text/plain", "gzip").scrape) == 10
    with pytest.raises(BadDataError, match="body size limit exceeded"):
        parser.parse(gzip.compress(body * 3), "text/plain", "gzip")
