"""One call from an HTTP response to a `ParsedScrape`: decompress, pick the parser, parse.

`ScrapeBodyParser` is the per-target form a scrape loop keeps: it owns the target's `SeriesCache` and
the last body's `BodyTemplate`, so a body that differs from the last only in its values is read by one
compiled pass instead of the full parser.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ember.exposition.body_decoding import DEFAULT_MAX_DECOMPRESSED, decompress_body
from ember.exposition.body_template import BodyTemplate
from ember.exposition.negotiation import FormatChoice, ScrapeProtocol, choose_format
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
    return ScrapeBody(_parse_plain(plain, choice.format == "openmetrics", cache), choice.warning)


def _parse_plain(plain: bytes, openmetrics: bool, cache: SeriesCache | None) -> ParsedScrape:
    return parse_openmetrics(plain, cache) if openmetrics else parse_text(plain, cache)


class ScrapeBodyParser:
    """`parse_scrape_body` for one target, remembering its series cache and last body's template.

    The result is identical to `parse_scrape_body`'s; when the template matched, `scrape.series_text`,
    `entries` and `families` are the very objects of the previous result (a caller can test `is`).
    """

    def __init__(self, *, fallback: ScrapeProtocol | None = None,
                 body_size_limit: int = DEFAULT_MAX_DECOMPRESSED) -> None:
        self.cache = SeriesCache()
        self._fallback = fallback
        self._body_size_limit = body_size_limit
        self._template: BodyTemplate | None = None
        self._choices: dict[str | None, FormatChoice] = {}

    def parse(self, body: bytes, content_type: str | None, content_encoding: str | None = None) -> ScrapeBody:
        """Parse a scrape response; raises as `parse_scrape_body` does."""
        choice = self._choose(content_type)
        plain = decompress_body(body, content_encoding, limit=self._body_size_limit)
        openmetrics = choice.format == "openmetrics"
        template = self._template
        if template is not None and template.openmetrics == openmetrics:
            matched = template.match(plain)
            if matched is not None:
                return ScrapeBody(matched, choice.warning)
        self._template = None
        scrape = _parse_plain(plain, openmetrics, self.cache)
        self._template = BodyTemplate.build(plain, scrape, openmetrics=openmetrics)
        return ScrapeBody(scrape, choice.warning)

    def steady_values(self, body: bytes, content_type: str | None, content_encoding: str | None,
                      series_text: list[str]) -> npt.NDArray[np.float64] | None:
        """The sample values of a response that differs from the last body only in its values, when that
        body's series are `series_text` (the very list a `parse` returned): a steady scrape, read with no
        `ParsedScrape` made. The array is reused by the next call. None for any other response, which
        `parse` then reads (a failure raises as there)."""
        template = self._template
        if template is None or template.openmetrics != (self._choose(content_type).format == "openmetrics"):
            return None
        plain = decompress_body(body, content_encoding, limit=self._body_size_limit)
        return template.matched_values(plain, series_text)

    def _choose(self, content_type: str | None) -> FormatChoice:
        # A target answers with the same Content-Type every time; the choice (or its error) is pure.
        choice = self._choices.get(content_type)
        if choice is None:
            choice = choose_format(content_type, self._fallback)
            if len(self._choices) < 8:
                self._choices[content_type] = choice
        return choice
