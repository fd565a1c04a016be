"""One call from an HTTP response to a `ParsedScrape`: decompress, pick the parser, parse."""

from __future__ import annotations

from dataclasses import dataclass

from ember.exposition.body_decoding import DEFAULT_MAX_DECOMPRESSED, decompress_body
from ember.exposition.negotiation import ScrapeProtocol, choose_format
from ember.exposition.openmetrics_parser import parse_openmetrics
from ember.exposition.scrape_result import ParsedScrape
from ember.exposition.series_cache import SeriesCache
from ember.exposition.text_parser import parse_text


@dataclass(frozen=True)
class ScrapeBody:
    """The parsed samples, and the negotiation warning to log (a fallback was used), if any."""

    scrape: ParsedScrape
    warning: str | None = None


def parse_scrape_body(
    body: bytes,
    content_type: str | None,
    *,
    cache: SeriesCache | None = None,
    content_encoding: str | None = None,
    fallback: ScrapeProtocol | None = None,
    body_size_limit: int = DEFAULT_MAX_DECOMPRESSED,
) -> ScrapeBody:
    """Parse a scrape response; raises `ParseError` or `UnsupportedContentTypeError` (both
    `BadDataError`s) with Prometheus's messages."""
    choice = choose_format(content_type, fallback)
    plain = decompress_body(body, content_encoding, limit=body_size_limit)
    if choice.format == "openmetrics":
        return ScrapeBody(parse_openmetrics(plain, cache), choice.warning)
    return ScrapeBody(parse_text(plain, cache), choice.warning)
