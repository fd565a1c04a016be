"""Parser for OpenMetrics 1.0 text (with Prometheus 3's quoted UTF-8 names).

The structure matches the text parser's: the body is cut at comment lines, each block of samples
tries the whole-block fast path (`simple_block`) and otherwise runs a per-line loop keyed by series
text through the `SeriesCache`; columns are converted at the end. OpenMetrics's syntax is stricter:
single spaces, no blank lines, `# EOF` last, exemplars after ` # `. Lines holding a `#` (exemplars,
or `#` inside a label value) take a quote-aware slower path.

`strict=True` adds the per-sample semantic rules of `openmetrics_validation` (counter values, histogram
buckets, grouping), which the OpenMetrics test suite demands but Prometheus's own scrape parser does
not check; the scrape path leaves them off by default, as Prometheus does.
"""

from __future__ import annotations

import re

from ember.exposition.body_decoding import decode_utf8
from ember.exposition.number_text import (
    ColumnError,
    parse_float,
    seconds_to_millis,
)
from ember.exposition.openmetrics_families import OpenMetricsFamilies
from ember.exposition.openmetrics_validation import SampleRuleError, validate_samples
from ember.exposition.parse_error import ParseError
from ember.exposition.sample_columns import SampleColumns
from ember.exposition.scrape_result import Exemplar, ParsedScrape
from ember.exposition.series_cache import CachedSeries, SeriesCache
from ember.exposition.series_text import parse_label_set
from ember.exposition.simple_block import metric_name_of, split_at_comment_lines, split_simple_block

EXEMPLAR_LABELS_MAX_RUNES = 128
_SERIES = re.compile(r'[^ {"]*(?:\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})?')
_LABEL_SET = re.compile(r'\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\}')


class _LineError(Exception):
    """Line `index` (0-based) of the body is malformed."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(reason)
        self.index = index
        self.reason = reason


def parse_openmetrics(
    body: bytes | str, cache: SeriesCache | None = None, *, strict: bool = False
) -> ParsedScrape:
    """Parse an OpenMetrics body; raises `ParseError` with the line number on malformed input."""
    text = decode_utf8(body)
    samples_text = _without_eof(text)
    try:
        columns, families = _scan(samples_text, cache if cache is not None else SeriesCache())
        scrape = _assemble(columns, families)
        if strict:
            validate_samples(scrape)
    except _LineError as exc:
        raise ParseError(exc.reason, exc.index + 1) from None
    except SampleRuleError as exc:
        raise ParseError(exc.reason, _line_of_sample(text.split("\n"), exc.index)) from None
    return scrape


def _without_eof(text: str) -> str:
    """The body before its final `# EOF` line; a missing EOF, text after it or a blank line is an error."""
    if text.endswith("\n# EOF\n") or text.endswith("\n# EOF") or text in ("# EOF\n", "# EOF"):
        body = text[: text.rindex("# EOF")]
        blank = body.startswith("\n") or "\n\n" in body
        if not blank:
            return body
        lines = text.split("\n")
        raise ParseError("blank line", lines.index("") + 1)
    lines = text.split("\n")
    eof = next((number for number, line in enumerate(lines, start=1) if line == "# EOF"), None)
    if eof is not None:
        raise ParseError("unexpected text after # EOF", eof + 1)
    last = len(lines) - (lines[-1] == "" and len(lines) > 1)
    raise ParseError("missing # EOF at the end of the body", last)


def _scan(text: str, cache: SeriesCache) -> tuple[SampleColumns, OpenMetricsFamilies]:
    columns = SampleColumns()
    families = OpenMetricsFamilies()
    known = cache.mapping(openmetrics=True)
    chunks = split_at_comment_lines(text)
    for number, chunk in enumerate(chunks):
        block = chunk
        if number or chunk.startswith("#"):
            comment, _, block = chunk.partition("\n")
            try:
                families.read_comment("#" + comment if number else comment, len(columns.keys))
            except ParseError as exc:
                raise _LineError(len(columns.keys) + families.comment_count, exc.reason) from None
        if number == len(chunks) - 1 and block.endswith("\n"):
            block = block[:-1]
        if not block:
            continue
        simple = split_simple_block(block, known)
        if simple is None or not set(map(metric_name_of, simple.entries)) <= families.allowed:
            _scan_lines(block.split("\n"), columns, families, cache)
            continue
        columns.keys += simple.keys
        columns.entries += simple.entries
        columns.value_texts += simple.value_texts
        columns.family_of += [families.current] * len(simple.keys)
    return columns, families


def _scan_lines(
    lines: list[str], columns: SampleColumns, families: OpenMetricsFamilies, cache: SeriesCache
) -> None:
    get = cache.mapping(openmetrics=True).get
    keys, entries, values = columns.keys, columns.entries, columns.value_texts
    family_of = columns.family_of
    for line in lines:
        if "#" in line:
            key, parts = _read_hashed_line(line, columns, len(keys) + families.comment_count)
        elif "}" in line:
            cut = line.rindex("}") + 1
            key = line[:cut]
            if line[cut : cut + 1] != " ":
                reason = "expected a space after the label set"
                raise _LineError(len(keys) + families.comment_count, reason)
            parts = line[cut + 1 :].split(" ")
        else:
            key, space, rest = line.partition(" ")
            if not space:
                reason = "expected a value after the metric name"
                raise _LineError(len(keys) + families.comment_count, reason)
            parts = rest.split(" ")
        entry = get(key)
        if entry is None:
            entry = _resolve(cache, key, len(keys) + families.comment_count)
        if len(parts) == 2:
            columns.stamped.append(len(keys))
            columns.stamp_texts.append(parts[1])
        elif len(parts) != 1:
            reason = "expected a value and an optional timestamp"
            raise _LineError(len(keys) + families.comment_count, reason)
        values.append(parts[0])
        keys.append(key)
        entries.append(entry)
        if entry.metric_name not in families.allowed:
            try:
                families.open_implicit(entry.metric_name, len(keys) - 1)
            except ParseError as exc:
                raise _LineError(len(keys) - 1 + families.comment_count, exc.reason) from None
        family_of.append(families.current)


def _resolve(cache: SeriesCache, key: str, line_index: int) -> CachedSeries:
    try:
        return cache.resolve(key, openmetrics=True)
    except ParseError as exc:
        raise _LineError(line_index, exc.reason) from None


def _read_hashed_line(line: str, columns: SampleColumns, line_index: int) -> tuple[str, list[str]]:
    """Split a sample line that holds a `#`: inside a quoted label value, or before an exemplar."""
    match = _SERIES.match(line)
    key = match.group() if match else ""
    rest = line[len(key) :]
    if not key or rest[:1] != " ":
        raise _LineError(line_index, "expected a space after the series")
    sample_text, separator, exemplar_text = rest[1:].partition(" # ")
    if separator:
        try:
            columns.exemplars[len(columns.keys)] = _parse_exemplar(exemplar_text)
        except (ParseError, ValueError) as exc:
            raise _LineError(line_index, f"invalid exemplar: {exc}") from None
    return key, sample_text.split(" ")


def _parse_exemplar(text: str) -> Exemplar:
    match = _LABEL_SET.match(text)
    if match is None:
        raise ParseError("expected a label set")
    labels = parse_label_set(match.group(), openmetrics=True)
    if sum(len(name) + len(value) for name, value in labels) > EXEMPLAR_LABELS_MAX_RUNES:
        raise ParseError(f"exemplar labels exceed {EXEMPLAR_LABELS_MAX_RUNES} characters")
    rest = text[match.end() :]
    if rest[:1] != " ":
        raise ParseError("expected a space after the exemplar labels")
    parts = rest[1:].split(" ")
    if len(parts) > 2:
        raise ParseError("expected a value and an optional timestamp")
    value = parse_float(parts[0], openmetrics=True)
    stamp = seconds_to_millis(parts[1]) if len(parts) == 2 else None
    return Exemplar(labels=labels, value=value, timestamp_ms=stamp)


def _assemble(columns: SampleColumns, families: OpenMetricsFamilies) -> ParsedScrape:
    try:
        return columns.to_scrape(families.families, openmetrics=True)
    except ColumnError as exc:
        raise SampleRuleError(exc.index, exc.reason) from None

def _line_of_sample(lines: list[str], index: int) -> int:
    """The 1-based line number of sample `index` (error path only)."""
    seen = -1
    for number, line in enumerate(lines, start=1):
        if not line.startswith("#"):
            seen += 1
            if seen == index:
                return number
    return len(lines)
