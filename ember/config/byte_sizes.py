"""Byte sizes such as `body_size_limit: 10MB`, read as Prometheus reads them (base 2: `KB` = `KiB` = 1024).

Follows `units.ParseBase2Bytes` (alecthomas/units): a sequence of decimal numbers with units, either all
`KiB`-style or all `KB`-style, `0` alone allowed; a bare number without a unit is refused.
"""

from __future__ import annotations

import re

from ember.errors import ConfigError

_PREFIXES = ("K", "M", "G", "T", "P", "E")
_IEC_UNITS = {"B": 1} | {p + "iB": 1024 ** (i + 1) for i, p in enumerate(_PREFIXES)}
_OLD_UNITS = {"B": 1} | {p + "B": 1024 ** (i + 1) for i, p in enumerate(_PREFIXES)}
_TERM = re.compile(r"(\d*)(?:\.(\d*))?([^\d.]*)")
_MAX = (1 << 63) - 1


def parse_base2_bytes(text: str) -> int:
    """`10MB` -> 10485760. Raises ConfigError with the message Prometheus's parser gives."""
    try:
        return _parse_with(text, _IEC_UNITS)
    except ConfigError:
        return _parse_with(text, _OLD_UNITS)


def _parse_with(text: str, units: dict[str, int]) -> int:
    rest = text
    negative = rest[:1] == "-"
    if rest[:1] in ("-", "+"):
        rest = rest[1:]
    if rest == "0":
        return 0
    invalid = ConfigError(f"units: invalid {text}")
    if not rest:
        raise invalid
    total = 0.0
    pos = 0
    while pos < len(rest):
        term = _TERM.match(rest, pos)
        if term is None or term.end() == pos:
            raise invalid
        whole, fraction, unit = term.group(1), term.group(2), term.group(3)
        if not whole and not fraction:
            raise invalid
        if unit not in units:
            raise ConfigError(f"units: unknown unit {unit} in {text}")
        value = float(whole or 0) + (float(f"0.{fraction}") if fraction else 0.0)
        total += value * units[unit]
        pos = term.end()
    if negative:
        total = -total
    if abs(total) > _MAX:
        raise ConfigError("units: overflow parsing unit")
    return int(total)
