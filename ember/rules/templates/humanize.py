"""Prometheus's number-formatting template functions: humanize, humanize1024, humanizeDuration,
humanizePercentage, humanizeTimestamp, toTime and toDuration.

Each takes a float, an int or a numeric string (Prometheus's `ConvertToFloat`) and formats with Go's
`%.4g`, so NaN prints "NaN" and +Inf "+Inf".
"""

from __future__ import annotations

import math
import re
from typing import Any

from ember.rules.templates.calls import FunctionError
from ember.rules.templates.gofmt import go_quote, go_sprintf
from ember.rules.templates.values import GoDuration, GoTime, SafeHTML, format_float_shortest, go_type_name

# Underscores are only allowed after a base prefix (strconv's rule), so decimal forms have none.
_GO_FLOAT = re.compile(r"[+-]?(?:\d*\.?\d*(?:[eE][+-]?\d+)?|0[xX](?:_?[0-9a-fA-F])*\.?[0-9a-fA-F_]*[pP][+-]?\d+)")
_SPECIAL_FLOATS = {"inf": math.inf, "infinity": math.inf, "nan": math.nan}
_SI_LARGE = ("k", "M", "G", "T", "P", "E", "Z", "Y")
_SI_SMALL = ("m", "u", "n", "p", "f", "a", "z", "y")
_IEC = ("ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi")
_INT64_MAX = 2.0**63


def go_parse_float(text: str) -> float:
    """Go's `strconv.ParseFloat(text, 64)`, with its error messages."""
    unsigned = text.lstrip("+-")
    if len(text) - len(unsigned) <= 1 and unsigned.lower() in _SPECIAL_FLOATS:
        value = _SPECIAL_FLOATS[unsigned.lower()]
        return -value if text.startswith("-") else value
    if not text or not _GO_FLOAT.fullmatch(text) or not any(c.isdigit() for c in text):
        raise FunctionError(f"strconv.ParseFloat: parsing {go_quote(text)}: invalid syntax")
    clean = text.replace("_", "")
    try:
        value = float.fromhex(clean) if "x" in clean.lower() else float(clean)
    except (ValueError, OverflowError):
        raise FunctionError(f"strconv.ParseFloat: parsing {go_quote(text)}: invalid syntax") from None
    if math.isinf(value):
        raise FunctionError(f"strconv.ParseFloat: parsing {go_quote(text)}: value out of range")
    return value


def convert_to_float(value: Any) -> float:
    """Prometheus's `ConvertToFloat`: float64, int, numeric strings and durations."""
    if isinstance(value, bool):
        raise FunctionError("can't convert bool to float")
    if isinstance(value, float):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, str) and not isinstance(value, SafeHTML):  # a Go type switch: HTML is not string
        return go_parse_float(value)
    if isinstance(value, GoDuration):
        return value.nanos / 1e9
    raise FunctionError(f"can't convert {go_type_name(value)} to float")


def _g4(value: float) -> str:
    return go_sprintf("%.4g", [value])


def humanize(value: Any) -> str:
    """SI prefixes (k M G ... and m u n ...) with 4 significant digits: 1234567 -> "1.235M"."""
    number = convert_to_float(value)
    if number == 0 or math.isnan(number) or math.isinf(number):
        return _g4(number)
    prefix = ""
    if abs(number) >= 1:
        for candidate in _SI_LARGE:
            if abs(number) < 1000:
                break
            prefix = candidate
            number /= 1000
        return _g4(number) + prefix
    for candidate in _SI_SMALL:
        if abs(number) >= 1:
            break
        prefix = candidate
        number *= 1000
    return _g4(number) + prefix


def humanize1024(value: Any) -> str:
    """Binary prefixes (ki Mi Gi ...): 1048576 -> "1Mi"."""
    number = convert_to_float(value)
    if abs(number) <= 1 or math.isnan(number) or math.isinf(number):
        return _g4(number)
    prefix = ""
    for candidate in _IEC:
        if abs(number) < 1024:
            break
        prefix = candidate
        number /= 1024
    return _g4(number) + prefix


def humanize_duration(value: Any) -> str:
    """Seconds as "1d 2h 3m 4s", "1.5s", or "12.3ms" / "4us" below a second."""
    number = convert_to_float(value)
    if math.isnan(number) or math.isinf(number):
        return _g4(number)
    if number == 0:
        return _g4(number) + "s"
    if abs(number) >= 1:
        sign = "-" if number < 0 else ""
        number = abs(number)
        # Go's int64(v): beyond int64 the amd64 conversion gives the minimum int64; Go's / and % truncate.
        whole = int(number) if number < _INT64_MAX else -(2**63)
        seconds, minutes = _go_rem(whole, 60), _go_rem(_go_div(whole, 60), 60)
        hours, days = _go_rem(_go_div(whole, 3600), 24), _go_div(whole, 86400)
        if days:
            return f"{sign}{days}d {hours}h {minutes}m {seconds}s"
        if hours:
            return f"{sign}{hours}h {minutes}m {seconds}s"
        if minutes:
            return f"{sign}{minutes}m {seconds}s"
        return f"{sign}{_g4(number)}s"
    prefix = ""
    for candidate in _SI_SMALL:
        if abs(number) >= 1:
            break
        prefix = candidate
        number *= 1000
    return f"{_g4(number)}{prefix}s"


def _go_div(value: int, divisor: int) -> int:
    quotient = abs(value) // divisor
    return quotient if value >= 0 else -quotient


def _go_rem(value: int, divisor: int) -> int:
    return value - _go_div(value, divisor) * divisor


def humanize_percentage(value: Any) -> str:
    """A ratio as a percentage with 4 significant digits: 0.1234 -> "12.34%"."""
    return _g4(convert_to_float(value) * 100) + "%"


def float_to_time(number: float) -> GoTime:
    """Seconds since the epoch as a UTC time with millisecond precision (Prometheus's `FloatToTime`)."""
    if math.isnan(number) or math.isinf(number):
        raise FunctionError("value is NaN or Inf")
    nanos = number * 1e9
    if nanos > _INT64_MAX or nanos < -_INT64_MAX:
        raise FunctionError(
            f"{format_float_shortest(number)} cannot be represented as a nanoseconds timestamp since it overflows int64"
        )
    whole_nanos = min(int(nanos), 2**63 - 1)
    millis = abs(whole_nanos) // 1_000_000 * (1 if whole_nanos >= 0 else -1)
    return GoTime(millis * 1_000_000)


def humanize_timestamp(value: Any) -> str:
    """Seconds since the epoch as Go prints a UTC time: "2015-06-23 13:19:44.128 +0000 UTC"."""
    number = convert_to_float(value)
    if math.isnan(number) or math.isinf(number):
        return _g4(number)
    return str(float_to_time(number))


def to_time(value: Any) -> GoTime:
    return float_to_time(convert_to_float(value))


def to_duration(value: Any) -> GoDuration:
    """Seconds as a Go `time.Duration`; out-of-range values give Go's amd64 conversion result."""
    nanos = convert_to_float(value) * 1e9
    if math.isnan(nanos) or not -_INT64_MAX <= nanos < _INT64_MAX:
        return GoDuration(-(2**63))
    return GoDuration(int(nanos))
