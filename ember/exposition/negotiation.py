"""Scrape content negotiation, as Prometheus 3.x does it.

`accept_header` builds the request's Accept header from the configured `scrape_protocols`, with
q-values counting down from 0.(n+1) where n is the number of protocols Prometheus knows (5 in 3.x:
`acceptHeader` in scrape/scrape.go), and a final `*/*`. The 1.0.0 text formats carry the
`escaping=` parameter.

`choose_format` picks the parser from the response Content-Type like Prometheus 3.x's
`textparse.New`: `text/plain` -> text format, `application/openmetrics-text` -> OpenMetrics; a blank,
unparsable or unknown type is an error unless a `fallback_scrape_protocol` is configured, in which
case the fallback is used. (Prometheus 2.x silently fell back to the text format; 3.0 made it an
error, which is the behaviour chosen here.) Protobuf is not supported yet and counts as unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

from ember.exposition.parse_error import UnsupportedContentTypeError

ExpositionFormat = Literal["text", "openmetrics"]


class ScrapeProtocol(Enum):
    """The `scrape_protocols` names of Prometheus's configuration, with their media types."""

    PROMETHEUS_PROTO = "PrometheusProto"
    PROMETHEUS_TEXT_0_0_4 = "PrometheusText0.0.4"
    PROMETHEUS_TEXT_1_0_0 = "PrometheusText1.0.0"
    OPENMETRICS_TEXT_0_0_1 = "OpenMetricsText0.0.1"
    OPENMETRICS_TEXT_1_0_0 = "OpenMetricsText1.0.0"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]

    @property
    def exposition_format(self) -> ExpositionFormat | None:
        """The parser for this protocol, or None when Ember cannot parse it (protobuf)."""
        if self is ScrapeProtocol.PROMETHEUS_PROTO:
            return None
        return "openmetrics" if self.value.startswith("OpenMetrics") else "text"


_MEDIA_TYPES = {
    ScrapeProtocol.PROMETHEUS_PROTO: (
        "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"
    ),
    ScrapeProtocol.PROMETHEUS_TEXT_0_0_4: "text/plain;version=0.0.4",
    ScrapeProtocol.PROMETHEUS_TEXT_1_0_0: "text/plain;version=1.0.0",
    ScrapeProtocol.OPENMETRICS_TEXT_0_0_1: "application/openmetrics-text;version=0.0.1",
    ScrapeProtocol.OPENMETRICS_TEXT_1_0_0: "application/openmetrics-text;version=1.0.0",
}

DEFAULT_SCRAPE_PROTOCOLS = (
    ScrapeProtocol.OPENMETRICS_TEXT_1_0_0,
    ScrapeProtocol.OPENMETRICS_TEXT_0_0_1,
    ScrapeProtocol.PROMETHEUS_TEXT_0_0_4,
)
"""The protocols Ember asks for by default (Prometheus 2.x's default list; 3.x adds PrometheusText1.0.0)."""

_ESCAPING_PROTOCOLS = (ScrapeProtocol.PROMETHEUS_TEXT_1_0_0, ScrapeProtocol.OPENMETRICS_TEXT_1_0_0)


def parse_scrape_protocol(name: str) -> ScrapeProtocol:
    """A `scrape_protocols` / `fallback_scrape_protocol` entry; unknown names are a `ValueError`."""
    try:
        return ScrapeProtocol(name)
    except ValueError:
        known = ", ".join(p.value for p in ScrapeProtocol)
        raise ValueError(f"unknown scrape protocol {name!r}, supported: {known}") from None


def accept_header(
    protocols: tuple[ScrapeProtocol, ...] = DEFAULT_SCRAPE_PROTOCOLS, escaping: str = "allow-utf-8"
) -> str:
    """The Accept header Prometheus 3.x sends for `protocols`, in preference order."""
    weight = len(ScrapeProtocol) + 1
    parts = []
    for protocol in protocols:
        value = protocol.media_type
        if protocol in _ESCAPING_PROTOCOLS:
            value += f";escaping={escaping}"
        parts.append(f"{value};q=0.{weight}")
        weight -= 1
    parts.append(f"*/*;q=0.{weight}")
    return ",".join(parts)


@dataclass(frozen=True)
class FormatChoice:
    """The parser to use, and a warning to log when a fallback was needed."""

    format: ExpositionFormat
    warning: str | None = None


def media_type_of(content_type: str) -> str:
    """The lower-cased `type/subtype` of a Content-Type; `ValueError` with Go's `mime` messages."""
    media = content_type.split(";", 1)[0].strip().lower()
    kind, slash, subtype = media.partition("/")
    if not media:
        raise ValueError("mime: no media type")
    if not _is_token(kind) or not slash:
        raise ValueError("mime: expected slash after first token")
    if not _is_token(subtype):
        raise ValueError("mime: expected token after slash")
    return media


def _is_token(text: str) -> bool:
    # RFC 9110 token characters.
    return bool(text) and all(c.isalnum() or c in "!#$%&'*+-.^_`|~" for c in text) and text.isascii()


def choose_format(content_type: str | None, fallback: ScrapeProtocol | None = None) -> FormatChoice:
    """The parser for a response with `content_type`; raises `UnsupportedContentTypeError`."""
    if not content_type or not content_type.strip():
        return _fallback("non-compliant scrape target sending blank Content-Type", fallback)
    try:
        media = media_type_of(content_type)
    except ValueError as exc:
        return _fallback(str(exc), fallback)
    if media == "text/plain":
        return FormatChoice("text")
    if media == "application/openmetrics-text":
        return FormatChoice("openmetrics")
    return _fallback(f"received unsupported Content-Type {media!r}", fallback)


def _fallback(problem: str, fallback: ScrapeProtocol | None) -> FormatChoice:
    # Prometheus's messages: "<problem> and no fallback_scrape_protocol specified for target", or
    # "<problem>, using fallback_scrape_protocol <media type>" as a warning.
    chosen = fallback.exposition_format if fallback is not None else None
    if fallback is None or chosen is None:
        raise UnsupportedContentTypeError(f"{problem} and no fallback_scrape_protocol specified for target")
    return FormatChoice(chosen, f"{problem}, using fallback_scrape_protocol {fallback.media_type!r}")
