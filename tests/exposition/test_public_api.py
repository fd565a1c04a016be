"""Pins the public names of ember.exposition (ember/exposition/__init__.py)."""

from __future__ import annotations

import ember.exposition as exposition


def test_all_is_pinned_and_importable() -> None:
    assert sorted(exposition.__all__) == sorted([
        "DEFAULT_SCRAPE_PROTOCOLS", "NO_REF", "TEXT_CONTENT_TYPE", "CachedSeries", "Exemplar",
        "ExpositionFormat", "FormatChoice", "MetricFamily", "ParseError", "ParsedScrape", "Problem",
        "ScrapeBody", "ScrapeBodyParser", "ScrapeProtocol", "SeriesCache", "UnsupportedContentTypeError",
        "accept_header", "check_metrics", "choose_format", "decode_utf8", "decompress_body", "format_series",
        "format_value", "parse_openmetrics", "parse_scrape_body", "parse_scrape_protocol", "parse_text",
        "write_text",
    ])
    for name in exposition.__all__:
        assert getattr(exposition, name) is not None


def test_errors_are_bad_data() -> None:
    from ember.errors import BadDataError

    assert issubclass(exposition.ParseError, BadDataError)
    assert issubclass(exposition.UnsupportedContentTypeError, BadDataError)
