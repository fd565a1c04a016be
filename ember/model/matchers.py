"""Label matchers with Prometheus's semantics.

Regexes are RE2 (Go's dialect, see `go_regex`), fully anchored, and `.` matches newlines (Prometheus
compiles `^(?s:<re>)$`); a
matcher on a label the series lacks sees the empty string, so `{a=""}` selects series without `a`.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

from ember.model.go_regex import GoRegex, GoRegexError, compile_go_regex
from ember.model.labels import Labels


class MatchType(enum.Enum):
    EQUAL = "="
    NOT_EQUAL = "!="
    REGEX = "=~"
    NOT_REGEX = "!~"


@dataclass(frozen=True)
class Matcher:
    """One label matcher, e.g. `code=~"5.."`."""

    name: str
    type: MatchType
    value: str
    _regex: GoRegex | None = field(default=None, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.type in (MatchType.REGEX, MatchType.NOT_REGEX):
            try:
                compiled = compile_go_regex(self.value)
            except GoRegexError as exc:
                raise ValueError(f"invalid regular expression {self.value!r}: {exc}") from exc
            object.__setattr__(self, "_regex", compiled)

    @classmethod
    def equal(cls, name: str, value: str) -> Matcher:
        return cls(name, MatchType.EQUAL, value)

    @classmethod
    def not_equal(cls, name: str, value: str) -> Matcher:
        return cls(name, MatchType.NOT_EQUAL, value)

    @classmethod
    def regex(cls, name: str, value: str) -> Matcher:
        return cls(name, MatchType.REGEX, value)

    @classmethod
    def not_regex(cls, name: str, value: str) -> Matcher:
        return cls(name, MatchType.NOT_REGEX, value)

    def matches(self, value: str) -> bool:
        """Whether a label value (\"\" for an absent label) satisfies this matcher."""
        if self.type is MatchType.EQUAL:
            return value == self.value
        if self.type is MatchType.NOT_EQUAL:
            return value != self.value
        assert self._regex is not None
        found = self._regex.fullmatch(value) is not None
        return found if self.type is MatchType.REGEX else not found

    def matches_labels(self, labels: Labels) -> bool:
        return self.matches(labels.get(self.name))

    @property
    def matches_empty(self) -> bool:
        """True when series lacking the label are selected too."""
        return self.matches("")

    def literal_alternatives(self) -> list[str] | None:
        """For `=~"a|b|c"` with plain literals, the alternatives; lets indexes skip regex scans."""
        if self.type is not MatchType.REGEX:
            return None
        parts = self.value.split("|")
        if all(p and re.escape(p) == p for p in parts):
            return parts
        return None

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'{self.name}{self.type.value}"{escaped}"'


def matches_all(matchers: list[Matcher] | tuple[Matcher, ...], labels: Labels) -> bool:
    return all(m.matches(labels.get(m.name)) for m in matchers)

