"""A target's last body as a template: when the next body differs only in its sample values, its
`ParsedScrape` is the last one with new values, read by one compiled pass (`template_kernels`).

A template is kept only for a body whose samples carry no timestamps and no exemplars. A new body
matches when every byte outside the value tokens is identical (series, comments, HELP and TYPE text,
`# EOF`) and every new token is one value with no blank after it; the series, their cache entries and
the metadata (families) are then those of the template. Tokens the kernel does not convert exactly
go through the full parser's own column converter; any token that would fail there, and any other
difference, is a miss: the caller parses the body fully, which also yields the exact error.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ember.exposition.number_text import ColumnError, parse_values
from ember.exposition.scrape_result import ParsedScrape
from ember.exposition.template_kernels import MISMATCH, find_value_spans, match_values


class BodyTemplate:
    """The bytes, value-token spans and parse result of one accepted body of one format."""

    __slots__ = ("_body", "_ends", "_flagged", "_flagged_ends", "_flagged_starts", "_scrape", "_scratch", "_starts",
                 "openmetrics")

    def __init__(self, body: npt.NDArray[np.uint8], starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64],
                 scrape: ParsedScrape, *, openmetrics: bool) -> None:
        self._body = body
        self._starts = starts
        self._ends = ends
        self._scrape = scrape
        self.openmetrics = openmetrics
        count = len(starts)
        # Indexes and spans of the tokens left to the slower parser, written by the kernel.
        self._flagged = np.empty(count, dtype=np.int64)
        self._flagged_starts = np.empty(count, dtype=np.int64)
        self._flagged_ends = np.empty(count, dtype=np.int64)
        self._scratch = np.empty(count, dtype=np.float64)

    @classmethod
    def build(cls, plain: bytes, scrape: ParsedScrape, *, openmetrics: bool) -> BodyTemplate | None:
        """The template of `plain`, which the full parser turned into `scrape`; None when the body is not
        eligible (timestamps, exemplars, an unusual line shape) or its tokens do not read back as
        `scrape`'s values bit for bit (a safety net: then the spans were not the value tokens)."""
        if scrape.exemplars or scrape.has_timestamp.any():
            return None
        plain = bytes(plain)  # a no-op for bytes; a reused buffer must not change under the template
        body = np.frombuffer(plain, dtype=np.uint8)
        starts = np.empty(len(scrape), dtype=np.int64)
        ends = np.empty(len(scrape), dtype=np.int64)
        if find_value_spans(body, starts, ends) != len(scrape):
            return None
        template = cls(body, starts, ends, scrape, openmetrics=openmetrics)
        values = template.read_values(plain)
        if values is None or not np.array_equal(values.view(np.uint64), scrape.values.view(np.uint64)):
            return None
        return template

    def read_values(self, plain: bytes, out: npt.NDArray[np.float64] | None = None) -> npt.NDArray[np.float64] | None:
        """The sample values of `plain` (in `out`, else a new array) when it matches the template, else
        None."""
        values = np.empty(len(self._starts), dtype=np.float64) if out is None else out
        new = np.frombuffer(plain, dtype=np.uint8)
        slow = match_values(self._body, self._starts, self._ends, new, values, self._flagged, self._flagged_starts,
                            self._flagged_ends)
        if slow == MISMATCH:
            return None
        if slow:
            flagged, flagged_starts, flagged_ends = self._flagged, self._flagged_starts, self._flagged_ends
            spans = zip(flagged_starts[:slow].tolist(), flagged_ends[:slow].tolist(), strict=True)
            try:
                texts = [plain[start:end].decode("utf-8") for start, end in spans]
                values[flagged[:slow]] = parse_values(texts, openmetrics=self.openmetrics)
            except (UnicodeDecodeError, ColumnError):
                return None
        return values

    def matched_values(self, plain: bytes, series_text: list[str]) -> npt.NDArray[np.float64] | None:
        """The values of `plain` when it matches a template whose series are the very list `series_text`,
        else None; they are in a buffer of the template, valid until its next call."""
        if self._scrape.series_text is not series_text:
            return None
        return self.read_values(plain, self._scratch)

    def match(self, plain: bytes) -> ParsedScrape | None:
        """`plain` parsed through the template (the template's series, entries and families with the new
        values), or None when it does not match."""
        values = self.read_values(plain)
        if values is None:
            return None
        scrape = self._scrape
        return ParsedScrape(
            series_text=scrape.series_text,
            entries=scrape.entries,
            values=values,
            timestamps_ms=scrape.timestamps_ms,
            has_timestamp=scrape.has_timestamp,
            family_index=scrape.family_index,
            families=scrape.families,
        )
