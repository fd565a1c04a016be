"""The series notation of PromQL test scripts: `metric{a="b"} 1+2x3 _ stale Inf {{schema:0 sum:5}}`.

A line is a label set followed by value items. Items expand as Prometheus's series-description grammar
does: `a+bxN` is N+1 values (each the previous plus b), `axN` N+1 copies, `_` one omitted slot, `_xN`
N omitted slots, `stale` the staleness marker. Native histograms (`{{...}}`) are parsed into
`HistogramValue`s: Ember stores float samples only, so the runner uses them to classify evals.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ember.errors import BadDataError
from ember.model import STALE_NAN, Labels, is_stale_value
from ember.promql.testscript.histogram_notation import (
    HistogramNotationError,
    NativeHistogram,
    parse_histogram,
)

METRIC_NAME = "__name__"


class NotationError(BadDataError):
    """A series line or value item that does not follow the test-script notation."""


@dataclass(frozen=True)
class HistogramValue:
    """One native-histogram slot: `histogram` plus `index` times `step` (for `{{h}}+{{step}}xN`
    sequences). Ember stores no native histograms yet, so the sum is not worked out."""

    text: str
    histogram: NativeHistogram
    step: NativeHistogram | None = None
    index: int = 0


SeriesValue = float | HistogramValue | None
"""One expanded slot: a float (the stale marker included), a histogram, or None for an omitted slot."""

_NUMBER = r"(?:[+-]?(?:inf(?:inity)?|nan|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?))"
_PLAIN = re.compile(_NUMBER, re.IGNORECASE)
_SEQUENCE = re.compile(rf"({_NUMBER})(?:([+-])({_NUMBER}))?x(\d+)", re.IGNORECASE)
_BLANKS = re.compile(r"_x(\d+)")
_HISTOGRAM_SUFFIX = re.compile(r"(?:([+-])\{\{(.*?)\}\})?x(\d+)")
_IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "\\": "\\",
    '"': '"',
    "'": "'",
    "r": "\r",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
}


def parse_number(text: str) -> float:
    """A float as the series grammar reads it (case-insensitive Inf/NaN, no hexadecimal)."""
    if not _PLAIN.fullmatch(text):
        raise NotationError(f"invalid number {text!r}")
    return float(text)


def expand_item(item: str) -> list[SeriesValue]:
    """Expand one whitespace-free value item (`1+2x3`, `_x2`, `stale`, `-Inf`, ...)."""
    if item == "_":
        return [None]
    if item.lower() == "stale":
        return [STALE_NAN]
    blanks = _BLANKS.fullmatch(item)
    if blanks:
        return [None] * int(blanks.group(1))
    if _PLAIN.fullmatch(item):
        return [float(item)]
    sequence = _SEQUENCE.fullmatch(item)
    if sequence is None:
        raise NotationError(f"invalid value item {item!r}")
    first, sign, step_text, times_text = sequence.groups()
    value = float(first)
    if step_text is None:
        return [value] * (int(times_text) + 1)
    step = float(step_text) if sign == "+" else -float(step_text)
    values: list[SeriesValue] = [value]
    for _ in range(int(times_text)):
        value += step  # cumulative, as Prometheus's grammar does (matters for 0.1-style steps)
        values.append(value)
    return values


def _read_quoted(text: str, pos: int) -> tuple[str, int]:
    """A Go-style quoted string starting at `text[pos]`; returns (value, position after it)."""
    quote = text[pos]
    if quote == "`":
        end = text.find("`", pos + 1)
        if end < 0:
            raise NotationError(f"unterminated raw string in {text!r}")
        return text[pos + 1 : end], end + 1
    chars: list[str] = []
    i = pos + 1
    while i < len(text):
        ch = text[i]
        if ch == quote:
            return "".join(chars), i + 1
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in _ESCAPES:
                chars.append(_ESCAPES[nxt])
                i += 2
                continue
            if nxt in "xuU":
                width = {"x": 2, "u": 4, "U": 8}[nxt]
                chars.append(chr(int(text[i + 2 : i + 2 + width], 16)))
                i += 2 + width
                continue
        chars.append(ch)
        i += 1
    raise NotationError(f"unterminated quoted string in {text!r}")


def _skip_spaces(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return pos


def _read_label_block(text: str, pos: int, pairs: list[tuple[str, str]]) -> int:
    """The `{name="value", "quoted name"="v", "bare metric name"}` block starting at `text[pos]`."""
    pos = _skip_spaces(text, pos + 1)
    while pos < len(text) and text[pos] != "}":
        if text[pos] in "\"'`":
            name, pos = _read_quoted(text, pos)
        else:
            found = _LABEL_NAME.match(text, pos)
            if found is None:
                raise NotationError(f"invalid label name at column {pos + 1} of {text!r}")
            name, pos = found.group(0), found.end()
        pos = _skip_spaces(text, pos)
        if pos < len(text) and text[pos] == "=":
            pos = _skip_spaces(text, pos + 1)
            if pos >= len(text) or text[pos] not in "\"'`":
                raise NotationError(f"label value must be quoted at column {pos + 1} of {text!r}")
            value, pos = _read_quoted(text, pos)
            pairs.append((name, value))
        else:
            pairs.append((METRIC_NAME, name))  # UTF-8 metric name written alone in the braces
        pos = _skip_spaces(text, pos)
        if pos < len(text) and text[pos] == ",":
            pos = _skip_spaces(text, pos + 1)
    if pos >= len(text):
        raise NotationError(f"unclosed label set in {text!r}")
    return pos + 1


def parse_labels(text: str, pos: int = 0) -> tuple[Labels, int]:
    """The label-set part of a series line (`name`, `name{...}` or `{...}`); returns where it ends."""
    pairs: list[tuple[str, str]] = []
    pos = _skip_spaces(text, pos)
    name = _IDENT.match(text, pos)
    if name is not None:
        pairs.append((METRIC_NAME, name.group(0)))
        pos = name.end()
    if pos < len(text) and text[pos] == "{":
        pos = _read_label_block(text, pos, pairs)
    elif name is None:
        raise NotationError(f"expected a metric name or label set in {text!r}")
    try:
        return Labels(pairs), pos
    except ValueError as exc:
        raise NotationError(f"{exc} in {text!r}") from exc


def _histogram(body: str) -> NativeHistogram:
    try:
        return parse_histogram(body)
    except HistogramNotationError as exc:
        raise NotationError(str(exc)) from exc


def _read_histogram(text: str, pos: int) -> tuple[list[SeriesValue], int]:
    """One `{{...}}` item, or `{{h}}xN` / `{{h1}}+{{h2}}xN` / `{{h1}}-{{h2}}xN` (N+1 histograms)."""
    end = text.find("}}", pos)
    if end < 0:
        raise NotationError(f"unclosed native histogram in {text!r}")
    body = text[pos + 2 : end]
    first = HistogramValue(body, _histogram(body))
    pos = end + 2
    suffix = _HISTOGRAM_SUFFIX.match(text, pos)
    if suffix is None:
        return [first], pos
    step = None if suffix.group(2) is None else _histogram(suffix.group(2))
    label = f"{body}{suffix.group(1) or ''}{suffix.group(2) or ''}"
    values: list[SeriesValue] = [first]
    for i in range(1, int(suffix.group(3)) + 1):
        values.append(HistogramValue(label, first.histogram, step, i if step is not None else 0))
    return values, suffix.end()


def parse_values(text: str) -> list[SeriesValue]:
    """Expand the value items of a series line."""
    values: list[SeriesValue] = []
    pos = _skip_spaces(text, 0)
    while pos < len(text):
        if text.startswith("{{", pos):
            items, pos = _read_histogram(text, pos)
            values.extend(items)
        else:
            end = pos
            while end < len(text) and text[end] not in " \t":
                end += 1
            values.extend(expand_item(text[pos:end]))
            pos = end
        pos = _skip_spaces(text, pos)
    return values


def parse_series_line(line: str) -> tuple[Labels, list[SeriesValue]]:
    """`metric{a="b"} 1+1x3 _ stale` -> (labels, expanded values)."""
    labels, pos = parse_labels(line)
    if pos < len(line) and line[pos] not in " \t":
        raise NotationError(f"expected a space after the label set in {line!r}")
    return labels, parse_values(line[pos:])


def is_stale_marker(value: SeriesValue) -> bool:
    """Whether an expanded slot is the staleness marker (compared by bits)."""
    return isinstance(value, float) and math.isnan(value) and is_stale_value(value)
