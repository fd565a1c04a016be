"""Tests for ember/exposition/negotiation.py."""

from __future__ import annotations

import pytest

from ember.exposition.negotiation import (
    DEFAULT_SCRAPE_PROTOCOLS,
    ScrapeProtocol,
    accept_header,
    choose_format,
    parse_scrape_protocol,
)
from ember.exposition.parse_error import UnsupportedContentTypeError


def test_default_accept_header_matches_prometheus_3() -> None:
    assert accept_header(DEFAULT_SCRAPE_PROTOCOLS) == (
        "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
        "application/openmetrics-text;version=0.0.1;q=0.5,"
        "text/plain;version=0.0.4;q=0.4,"
        "*/*;q=0.3"
    )


def test_accept_header_weights_follow_configured_order() -> None:
    header = accept_header(
        (ScrapeProtocol.PROMETHEUS_TEXT_1_0_0, ScrapeProtocol.PROMETHEUS_PROTO), escaping="underscores"
    )
    parts = header.split(",")
    assert parts[0] == "text/plain;version=1.0.0;escaping=underscores;q=0.6"
    assert parts[1].startswith("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily")
    assert parts[1].endswith(";q=0.5") and parts[2] == "*/*;q=0.4"


@pytest.mark.parametrize(
    ("content_type", "fmt"),
    [
        ("text/plain; version=0.0.4; charset=utf-8", "text"),
        ("TEXT/PLAIN", "text"),
        ("application/openmetrics-text; version=1.0.0; charset=utf-8", "openmetrics"),
        ("application/openmetrics-text;version=0.0.1", "openmetrics"),
    ],
)
def test_content_type_picks_parser(content_type: str, fmt: str) -> None:
    choice = choose_format(content_type)
    assert (choice.format, choice.warning) == (fmt, None)


@pytest.mark.parametrize(
    ("content_type", "message"),
    [
        (None, "non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol"),
        ("  ", "non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol"),
        ("invalid/", "mime: expected token after slash and no fallback"),
        ("invalid", "mime: expected slash after first token"),
        ("; charset=utf-8", "mime: no media type"),
        ("application/json", "received unsupported Content-Type 'application/json' and no fallback"),
        ("application/vnd.google.protobuf", "received unsupported Content-Type"),
    ],
)
def test_unusable_content_type_is_an_error_without_fallback(content_type: str | None, message: str) -> None:
    with pytest.raises(UnsupportedContentTypeError, match=message):
        choose_format(content_type)


def test_fallback_protocol_is_used_with_a_warning() -> None:
    choice = choose_format("", ScrapeProtocol.OPENMETRICS_TEXT_1_0_0)
    assert choice.format == "openmetrics"
    assert choice.warning is not None and "using fallback_scrape_protocol" in choice.warning
    assert choose_format("application/json", ScrapeProtocol.PROMETHEUS_TEXT_0_0_4).format == "text"
    with pytest.raises(UnsupportedContentTypeError):
        choose_format("", ScrapeProtocol.PROMETHEUS_PROTO)  # a fallback Ember cannot parse


def test_parse_scrape_protocol_names() -> None:
    assert parse_scrape_protocol("OpenMetricsText1.0.0") is ScrapeProtocol.OPENMETRICS_TEXT_1_0_0
    with pytest.raises(ValueError, match="unknown scrape protocol"):
        parse_scrape_protocol("PrometheusText9")
