"""The errors of exposition parsing: a malformed body names its line and the reason."""

from __future__ import annotations

from ember.errors import BadDataError


class ParseError(BadDataError):
    """A scrape body that does not parse; `line` is 1-based (0 when unknown)."""

    def __init__(self, reason: str, line: int = 0) -> None:
        super().__init__(f"line {line}: {reason}" if line else reason)
        self.reason = reason
        self.line = line

    def at_line(self, line: int) -> ParseError:
        """The same error, placed on `line`."""
        return ParseError(self.reason, line)


class UnsupportedContentTypeError(BadDataError):
    """A response Content-Type Ember cannot parse, with no fallback protocol configured."""
