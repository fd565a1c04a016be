"""Prometheus durations (`1h30m`, `5m`, `15s`, `100ms`, `1d`, `1w`, `1y`), held as milliseconds.

Parsing follows Prometheus's `model.ParseDuration`: units from largest to smallest, each at most once,
`0` allowed without a unit, nothing negative, and at most what a Go `time.Duration` holds (~292 years).
"""

from __future__ import annotations

from ember.errors import ConfigError

_NS_PER_MS = 1_000_000
_MAX_NS = (1 << 63) - 1
# Units in the order they must appear, with their size in milliseconds.
_UNITS = {
    "y": 365 * 86_400_000,
    "w": 7 * 86_400_000,
    "d": 86_400_000,
    "h": 3_600_000,
    "m": 60_000,
    "s": 1000,
    "ms": 1,
}
_UNIT_ORDER = {unit: rank for rank, unit in enumerate(_UNITS)}


class Duration(int):
    """A duration in milliseconds that prints the way Prometheus prints it (`1h30m`)."""

    __slots__ = ()

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Parses a Prometheus duration string; raises ConfigError with Prometheus's message."""
        return cls(parse_duration_ms(text))

    @property
    def seconds(self) -> float:
        return int(self) / 1000

    def __str__(self) -> str:
        return format_duration_ms(int(self))

    def __repr__(self) -> str:
        return f"Duration({format_duration_ms(int(self))!r})"


def parse_duration_ms(text: str) -> int:
    """`1h30m` -> 5400000. Raises ConfigError for anything Prometheus would refuse."""
    if text == "0":
        return 0
    if text == "":
        raise ConfigError("empty duration string")
    invalid = ConfigError(f'not a valid duration string: "{text}"')
    total_ns, pos, last_rank = 0, 0, -1
    while pos < len(text):
        start = pos
        while pos < len(text) and text[pos].isascii() and text[pos].isdigit():
            pos += 1
        if pos == start:
            raise invalid
        number = int(text[start:pos])
        unit_start = pos
        while pos < len(text) and not (text[pos].isascii() and text[pos].isdigit()):
            pos += 1
        unit = text[unit_start:pos]
        if not unit:
            raise invalid
        if unit not in _UNITS:
            raise ConfigError(f'unknown unit "{unit}" in duration "{text}"')
        if _UNIT_ORDER[unit] <= last_rank:
            raise invalid
        last_rank = _UNIT_ORDER[unit]
        total_ns += number * _UNITS[unit] * _NS_PER_MS
        if total_ns > _MAX_NS:
            raise ConfigError("duration out of range")
    return total_ns // _NS_PER_MS


def format_duration_ms(ms: int) -> str:
    """Prometheus's `Duration.String`: years and weeks only when exact, `0s` for zero."""
    if ms == 0:
        return "0s"
    sign = "-" if ms < 0 else ""
    rest = abs(ms)
    parts: list[str] = []
    for unit, size in _UNITS.items():
        exact_only = unit in ("y", "w")
        if exact_only and rest % size:
            continue
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return sign + "".join(parts)
