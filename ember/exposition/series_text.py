"""Parse the series part of a sample line (`name{label="value",...}`) into `Labels`.

Runs only on series-cache misses, so it favours exactness over speed. It accepts Prometheus 3.x's quoted
UTF-8 names (`{"my.metric", "la.bel"="x"}`). Escapes follow Prometheus: `\\\\`, `\\"` and `\\n` are
unescaped; any other backslash pair is kept as written (OpenMetrics test `escaping`). The text format
allows blanks around tokens and a trailing comma; OpenMetrics allows neither (blanks after a comma are
tolerated in both so that the quoted-name examples parse).
"""

from __future__ import annotations

import re

from ember.exposition.parse_error import ParseError
from ember.model.labels import METRIC_NAME, Labels

LEGACY_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_QUOTED = r'"((?:[^"\\]|\\.)*)"'
QUOTED_NAME = re.compile(_QUOTED)
_ESCAPE = re.compile(r"\\(.)")
_UNESCAPED = {"\\": "\\", "n": "\n", '"': '"'}


def _item_pattern(blank: str) -> re.Pattern[str]:
    # One item inside braces: a bare or quoted name, optionally `= "value"`, then `,` or `}`.
    return re.compile(
        rf"{blank}(?:([a-zA-Z_][a-zA-Z0-9_]*)|{_QUOTED}){blank}(?:(=){blank}{_QUOTED})?{blank}([,}}])"
    )


_TEXT_ITEM = _item_pattern("[ \t]*")
_OPENMETRICS_ITEM = _item_pattern("")
_TEXT_HEAD = re.compile(r"[ \t]*([a-zA-Z_:][a-zA-Z0-9_:]*)?[ \t]*\{")
_OPENMETRICS_HEAD = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)?\{")
_TEXT_CLOSE = re.compile(r"[ \t]*\}")
_OPENMETRICS_CLOSE = re.compile(r"\}")
_SPACES = re.compile(r" *")


def unescape(text: str) -> str:
    """Undo the exposition escapes of a quoted label value or name."""
    if "\\" not in text:
        return text
    return _ESCAPE.sub(lambda m: _UNESCAPED.get(m.group(1), m.group(0)), text)


# The common shape (classic names, no escapes, no blanks), valid in both formats: one regex and a
# `findall` instead of the item-by-item scan.
_SIMPLE_SERIES = re.compile(
    r'([a-zA-Z_:][a-zA-Z0-9_:]*)\{((?:[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*",)*[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*")\}'
)
_SIMPLE_PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="([^"\\]*)"')


def parse_series_text(text: str, *, openmetrics: bool) -> Labels:
    """The labels (with `__name__`) written in `text`; raises `ParseError` (line 0) when malformed."""
    simple = _SIMPLE_SERIES.fullmatch(text)
    if simple is not None:
        return _labels_from_simple(simple.group(1), _SIMPLE_PAIR.findall(simple.group(2)), text)
    if "{" not in text:
        name = text.strip(" \t") if not openmetrics else text
        if not LEGACY_METRIC_NAME.fullmatch(name):
            raise ParseError(f"invalid metric name {text!r}")
        return Labels._from_sorted_flat((METRIC_NAME, name))
    head = (_OPENMETRICS_HEAD if openmetrics else _TEXT_HEAD).match(text)
    if head is None:
        raise ParseError(f"invalid metric name or label set {text!r}")
    pairs = _parse_items(text, head.end(), head.group(1), openmetrics)
    return _labels_from_pairs(pairs, text)


def parse_label_set(text: str, *, openmetrics: bool) -> Labels:
    """Labels of a `{...}` set with no metric name (an exemplar's labels)."""
    if not text.startswith("{"):
        raise ParseError(f"expected label set, got {text!r}")
    pairs = _parse_items(text, 1, None, openmetrics, allow_name=False)
    return _labels_from_pairs(pairs, text)


def _parse_items(
    text: str, pos: int, name: str | None, openmetrics: bool, *, allow_name: bool = True
) -> list[tuple[str, str]]:
    item = _OPENMETRICS_ITEM if openmetrics else _TEXT_ITEM
    close = _OPENMETRICS_CLOSE if openmetrics else _TEXT_CLOSE
    pairs: list[tuple[str, str]] = [] if name is None else [(METRIC_NAME, name)]
    closing = close.match(text, pos)
    while closing is None:
        match = item.match(text, pos)
        if match is None:
            raise ParseError(f"invalid label set {text!r}")
        bare, quoted, equals, value, sep = match.groups()
        if equals is None:
            if quoted is None or pairs or not allow_name:
                raise ParseError(f"label {bare or quoted!r} has no value in {text!r}")
            pairs.append((METRIC_NAME, _checked_name(unescape(quoted), text)))
        else:
            label = bare if quoted is None else _checked_name(unescape(quoted), text)
            pairs.append((label, unescape(value)))
        pos = match.end()
        if sep == "}":
            break
        if openmetrics:
            pos = _SPACES.match(text, pos).end()  # type: ignore[union-attr]  # blanks after a comma
        closing = close.match(text, pos)
        if closing is not None and openmetrics:
            raise ParseError(f"trailing comma in label set {text!r}")
    if closing is not None:
        pos = closing.end()
    rest = text[pos:]
    if rest and (openmetrics or rest.strip(" \t")):
        raise ParseError(f"unexpected text after label set in {text!r}")
    if allow_name and all(n != METRIC_NAME for n, _ in pairs):
        raise ParseError(f"metric name missing in {text!r}")
    return pairs


def _checked_name(name: str, text: str) -> str:
    if not name:
        raise ParseError(f"empty quoted name in {text!r}")
    return name


def _labels_from_simple(name: str, pairs: list[tuple[str, str]], text: str) -> Labels:
    pairs.append((METRIC_NAME, name))
    pairs.sort()
    flat: list[str] = []
    previous = ""
    for label, value in pairs:
        if label == previous:
            return _labels_from_pairs(pairs, text)  # raises the duplicate-name error
        previous = label
        if value:
            flat += (label, value)
    return Labels._from_sorted_flat(tuple(flat))


def _labels_from_pairs(pairs: list[tuple[str, str]], text: str) -> Labels:
    names = [n for n, _ in pairs]
    if len(set(names)) != len(names):
        repeated = next(n for n in names if names.count(n) > 1)
        if repeated == METRIC_NAME:
            raise ParseError(f"metric name specified more than once in {text!r}")
        raise ParseError(f"duplicate label name {repeated!r} in {text!r}")
    return Labels(pairs)
