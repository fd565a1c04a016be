"""Exposition formats: parse the Prometheus text format 0.0.4 and OpenMetrics 1.0 into columnar
`ParsedScrape`s (keyed by series text through a `SeriesCache`; a target's unchanged body shape is
read through a `BodyTemplate` by `ScrapeBodyParser`), negotiate the format, and write the
text format for `/metrics` and `/federate`."""

from ember.exposition.body_decoding import decode_utf8, decompress_body
from ember.exposition.check import Problem, check_metrics
from ember.exposition.negotiation import (
    DEFAULT_SCRAPE_PROTOCOLS,
    ExpositionFormat,
    FormatChoice,
    ScrapeProtocol,
    accept_header,
    choose_format,
    parse_scrape_protocol,
)
from ember.exposition.openmetrics_parser import parse_openmetrics
from ember.exposition.parse_error import ParseError, UnsupportedContentTypeError
from ember.exposition.scrape_body import ScrapeBody, ScrapeBodyParser, parse_scrape_body
from ember.exposition.scrape_result import Exemplar, MetricFamily, ParsedScrape
from ember.exposition.series_cache import NO_REF, CachedSeries, SeriesCache
from ember.exposition.text_parser import parse_text
from ember.exposition.writer import TEXT_CONTENT_TYPE, format_series, format_value, write_text

__all__ = [
    "DEFAULT_SCRAPE_PROTOCOLS",
    "NO_REF",
    "TEXT_CONTENT_TYPE",
    "CachedSeries",
    "Exemplar",
    "ExpositionFormat",
    "FormatChoice",
    "MetricFamily",
    "ParseError",
    "ParsedScrape",
    "Problem",
    "ScrapeBody",
    "ScrapeBodyParser",
    "ScrapeProtocol",
    "SeriesCache",
    "UnsupportedContentTypeError",
    "accept_header",
    "check_metrics",
    "choose_format",
    "decode_utf8",
    "decompress_body",
    "format_series",
    "format_value",
    "parse_openmetrics",
    "parse_scrape_body",
    "parse_scrape_protocol",
    "parse_text",
    "write_text",
]
