"""OpenMetrics metadata rules: HELP/TYPE/UNIT syntax and placement, and which family a sample is in.

Checked while parsing (they cost one step per comment line, or per family change): a family's metadata
comes before its samples and at most once per kind; a family's names (with its type's suffixes) may not
clash with another family's; a UNIT must be the name's suffix and is not allowed on info and stateset.
"""

from __future__ import annotations

import functools
import re

from ember.exposition.parse_error import ParseError
from ember.exposition.scrape_result import METRIC_TYPES_OPENMETRICS, MetricFamily
from ember.exposition.series_text import unescape

SUFFIXES_BY_TYPE: dict[str, tuple[str, ...]] = {
    "counter": ("_total", "_created"),
    "summary": ("", "_count", "_sum", "_created"),
    "histogram": ("_count", "_sum", "_bucket", "_created"),
    "gaugehistogram": ("_gcount", "_gsum", "_bucket"),
    "info": ("_info",),
}
_METADATA = re.compile(r'# (HELP|TYPE|UNIT) ([a-zA-Z_:][a-zA-Z0-9_:]*|"(?:[^"\\]|\\.)*") (.*)')
_HELP_ESCAPE = re.compile(r'\\([\\n"])')


def _unescape_help(text: str) -> str:
    if "\\" not in text:
        return text
    return _HELP_ESCAPE.sub(lambda m: "\n" if m.group(1) == "n" else m.group(1), text)


# Scrapes repeat the same metadata lines, so their parse is memoised (errors are not cached).
@functools.lru_cache(maxsize=8192)
def _parse_metadata(line: str) -> tuple[str, str, str]:
    """(HELP, TYPE or UNIT; family name; unescaped text) of a metadata line."""
    match = _METADATA.fullmatch(line)
    if match is None:
        if line == "# EOF":
            raise ParseError("unexpected text after # EOF")
        raise ParseError(f"invalid metadata or comment line {line!r}")
    kind, quoted_name, text = match.groups()
    name = unescape(quoted_name[1:-1]) if quoted_name.startswith('"') else quoted_name
    return kind, name, _unescape_help(text) if kind == "HELP" else text


@functools.lru_cache(maxsize=8192)
def _family_names(name: str, kind: str) -> frozenset[str]:
    """The sample names a family of type `kind` may use."""
    return frozenset(name + suffix for suffix in SUFFIXES_BY_TYPE.get(kind, ("",)))


class OpenMetricsFamilies:
    """The families of one body, in order; `current` is the one samples are being added to."""

    def __init__(self) -> None:
        self.families: list[MetricFamily] = []
        self.current = -1
        self.comment_count = 0
        self.allowed: frozenset[str] = frozenset()
        self._claimed: set[str] = set()
        self._first_sample = -1
        self._declared: set[str] = set()
        self._current_claims: frozenset[str] = frozenset()

    def read_comment(self, line: str, sample_count: int) -> None:
        """Apply one `#` line (the final `# EOF` is removed beforehand); raises `ParseError`."""
        kind, name, text = _parse_metadata(line)
        if self.current < 0 or self.families[self.current].name != name:
            self._open(name, sample_count)
        elif self._first_sample != sample_count:
            raise ParseError(f"metadata for {name!r} after its samples")
        if kind in self._declared:
            raise ParseError(f"more than one {kind} for {name!r}")
        self._declared.add(kind)
        family = self.families[self.current]
        if kind == "HELP":
            family.help = text
        elif kind == "UNIT":
            family.unit = text
        else:
            if text not in METRIC_TYPES_OPENMETRICS:
                raise ParseError(f"invalid metric type {text!r}")
            family.type = text
            self._set_allowed(family)
        self._check_unit(family)
        self.comment_count += 1

    def open_implicit(self, metric_name: str, sample_count: int) -> None:
        """A sample outside the current family starts an undeclared family of type unknown."""
        self._open(metric_name, sample_count)

    def _open(self, name: str, sample_count: int) -> None:
        self.families.append(MetricFamily(name=name))
        self.current = len(self.families) - 1
        self._first_sample = sample_count
        self._declared = set()
        self._current_claims = frozenset()
        self._set_allowed(self.families[-1])

    def _set_allowed(self, family: MetricFamily) -> None:
        names = _family_names(family.name, family.type)
        claim = (names | {family.name}) - self._current_claims
        clash = claim & self._claimed
        if clash:
            raise ParseError(f"clashing metric name {sorted(clash)[0]!r}")
        self._claimed |= claim
        self._current_claims |= claim
        self.allowed = names

    @staticmethod
    def _check_unit(family: MetricFamily) -> None:
        if not family.unit:
            return
        if not family.name.endswith("_" + family.unit):
            raise ParseError(f"unit {family.unit!r} is not a suffix of metric name {family.name!r}")
        if family.type in ("info", "stateset"):
            raise ParseError(f"units are not allowed on {family.type} metrics")
