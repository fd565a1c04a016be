"""Parser for the Prometheus text format 0.0.4 (and Prometheus 3's quoted UTF-8 names).

The body is cut at comment lines (`"\\n#"`); each block of sample lines in between first tries the
whole-block fast path (`simple_block`), and otherwise runs the per-line loop, which does only `str`
methods and one look-up in the `SeriesCache` per line: the series text (everything up to the last
`}`, or the first token) is the cache key, and only misses parse labels. Values and timestamps are
collected as strings and converted column-wise (`number_text`). Leniency follows Prometheus's
`textparse.PromParser`: blank lines and unknown comments are skipped, HELP/TYPE lines may come in any
order and repeat (the last one wins).
"""

from __future__ import annotations

import functools
import re

from ember.exposition.body_decoding import decode_utf8
from ember.exposition.number_text import ColumnError
from ember.exposition.parse_error import ParseError
from ember.exposition.sample_columns import SampleColumns
from ember.exposition.scrape_result import METRIC_TYPES_TEXT, MetricFamily, ParsedScrape
from ember.exposition.series_cache import CachedSeries, SeriesCache
from ember.exposition.series_text import LEGACY_METRIC_NAME, QUOTED_NAME, unescape
from ember.exposition.simple_block import metric_name_of, split_at_comment_lines, split_simple_block

_BLANKS = re.compile(r"[ \t]+")
_SUFFIXES = {
    "histogram": ("_bucket", "_sum", "_count"),
    "summary": ("", "_sum", "_count"),
}


class _SampleLineError(Exception):
    """Sample number `index` (0-based among sample lines) is malformed."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(reason)
        self.index = index
        self.reason = reason


class _CommentLineError(Exception):
    def __init__(self, line: str, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


def parse_text(body: bytes | str, cache: SeriesCache | None = None) -> ParsedScrape:
    """Parse a text-format body; raises `ParseError` with the line number on malformed input."""
    text = decode_utf8(body)
    try:
        columns, families = _scan(text, cache if cache is not None else SeriesCache())
        return _assemble(columns, families.families)
    except _SampleLineError as exc:
        raise ParseError(exc.reason, _line_of_sample(text.split("\n"), exc.index)) from None
    except _CommentLineError as exc:
        # The first line equal to the bad one is the bad one: an earlier copy would have failed first.
        raise ParseError(exc.reason, text.split("\n").index(exc.line) + 1) from None


def _scan(text: str, cache: SeriesCache) -> tuple[SampleColumns, _TextFamilies]:
    columns = SampleColumns()
    families = _TextFamilies()
    known = cache.mapping(openmetrics=False)
    for number, chunk in enumerate(split_at_comment_lines(text)):
        block = chunk
        if number or chunk.startswith("#"):
            comment, _, block = chunk.partition("\n")
            line = "#" + comment if number else comment  # the split ate the "#" of later chunks
            try:
                families.read_comment(line)
            except ParseError as exc:
                raise _CommentLineError(line, exc.reason) from None
        if block.endswith("\n"):
            block = block[:-1]
        if not block:
            continue
        simple = split_simple_block(block, known)
        if simple is None:
            _scan_lines(block.split("\n"), columns, families, cache)
            continue
        columns.keys += simple.keys
        columns.entries += simple.entries
        columns.value_texts += simple.value_texts
        allowed = families.allowed
        if set(map(metric_name_of, simple.entries)) <= allowed:
            columns.family_of += [families.current] * len(simple.keys)
        else:
            current = families.current
            columns.family_of += [current if e.metric_name in allowed else -1 for e in simple.entries]
    return columns, families


def _scan_lines(lines: list[str], columns: SampleColumns, families: _TextFamilies, cache: SeriesCache) -> None:
    get = cache.mapping(openmetrics=False).get
    keys, entries, value_texts = columns.keys, columns.entries, columns.value_texts
    family_of = columns.family_of
    current, allowed = families.current, families.allowed
    for line in lines:
        # Prometheus's lexer separates tokens with blanks and tabs only (not other Unicode spaces).
        if "}" in line:
            cut = line.rindex("}") + 1
            key = line[:cut]
            rest = _BLANKS.split(line[cut:].strip(" \t"))
        else:
            rest = _BLANKS.split(line.strip(" \t"))
            if rest == [""]:
                continue  # a blank line
            key = rest.pop(0)
        entry = get(key)
        if entry is None:
            entry = _resolve(cache, key, len(keys))
        count = len(rest)
        if count == 1:
            value_texts.append(rest[0])
        elif count == 2:
            value_texts.append(rest[0])
            columns.stamped.append(len(keys))
            columns.stamp_texts.append(rest[1])
        else:
            raise _SampleLineError(len(keys), "expected a value and an optional timestamp")
        keys.append(key)
        entries.append(entry)
        family_of.append(current if entry.metric_name in allowed else -1)


def _resolve(cache: SeriesCache, key: str, index: int) -> CachedSeries:
    try:
        return cache.resolve(key, openmetrics=False)
    except ParseError as exc:
        raise _SampleLineError(index, exc.reason) from None


def _assemble(columns: SampleColumns, families: list[MetricFamily]) -> ParsedScrape:
    try:
        return columns.to_scrape(families, openmetrics=False)
    except ColumnError as exc:
        raise _SampleLineError(exc.index, exc.reason) from None

def _line_of_sample(lines: list[str], index: int) -> int:
    """The 1-based line number of sample line `index` (error path only)."""
    seen = -1
    for number, line in enumerate(lines, start=1):
        if line and line[0] != "#" and line.strip(" \t"):
            seen += 1
            if seen == index:
                return number
    return len(lines)


class _TextFamilies:
    """HELP and TYPE lines seen so far; the family they describe is current until the next one."""

    def __init__(self) -> None:
        self.families: list[MetricFamily] = []
        self.current = -1
        self.allowed: frozenset[str] = frozenset()

    def read_comment(self, line: str) -> None:
        parsed = _parse_comment(line)
        if parsed is None:
            return  # a plain comment, including "# EOF"
        keyword, name, payload = parsed
        if self.current < 0 or self.families[self.current].name != name:
            self.families.append(MetricFamily(name=name, type="untyped"))
            self.current = len(self.families) - 1
        family = self.families[self.current]
        if keyword == "HELP":
            family.help = payload
        else:
            family.type = payload
        self.allowed = _allowed_names(name, family.type)


# Scrapes repeat the same comment lines, so their parse is memoised (errors are not cached).
@functools.lru_cache(maxsize=8192)
def _parse_comment(line: str) -> tuple[str, str, str] | None:
    """(HELP or TYPE, metric name, unescaped help or type) of a metadata line; None for a comment."""
    parts = line[1:].split(None, 2)
    if len(parts) < 2 or line[1:2] not in (" ", "\t") or parts[0] not in ("HELP", "TYPE"):
        return None
    name, rest = _split_name(line[1:].lstrip(" \t")[4:].lstrip(" \t"))
    if parts[0] == "HELP":
        return "HELP", name, _unescape_help(rest.lstrip(" \t"))
    kind = rest.strip(" \t")
    if kind not in METRIC_TYPES_TEXT:
        raise ParseError(f"invalid metric type {kind!r}")
    return "TYPE", name, kind


@functools.lru_cache(maxsize=8192)
def _allowed_names(name: str, kind: str) -> frozenset[str]:
    return frozenset(name + suffix for suffix in _SUFFIXES.get(kind, ("",)))


def _split_name(text: str) -> tuple[str, str]:
    """The metric name at the start of `text` (bare or quoted) and what follows it."""
    match = QUOTED_NAME.match(text) if text.startswith('"') else LEGACY_METRIC_NAME.match(text)
    if match is None or (match.end() < len(text) and text[match.end()] not in " \t"):
        raise ParseError(f"invalid metric name in comment {text!r}")
    name = unescape(match.group(1)) if text.startswith('"') else match.group()
    return name, text[match.end() :]


_HELP_ESCAPE = re.compile(r"\\([\\n])")


def _unescape_help(text: str) -> str:
    # Text format HELP escapes only backslash and newline (Prometheus's helpReplacer).
    if "\\" not in text:
        return text
    return _HELP_ESCAPE.sub(lambda m: "\\" if m.group(1) == "\\" else "\n", text)
