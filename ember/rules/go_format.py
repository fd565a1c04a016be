"""Go's printing of floats, durations, times, strings and label sets, for output that must read exactly
as Prometheus's (API JSON, `promtool test rules` messages)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np

from ember.model.labels import Labels

_GO_ZERO_TIME = "0001-01-01T00:00:00Z"
_QUOTE_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\a": "\\a", "\b": "\\b",
                  "\f": "\\f", "\v": "\\v"}


def go_float_e(value: float, upper: bool = False) -> str:
    """`strconv.FormatFloat(v, 'e' or 'E', -1, 64)`: the shortest exact digits in e-notation (`1e+00`)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    text = str(np.format_float_scientific(value, unique=True, trim="-", exp_digits=2))
    return text.upper() if upper else text


def go_duration(ms: int) -> str:
    """`time.Duration.String()` for a whole number of milliseconds (`1m30s`, `1h0m0s`, `0s`, `500ms`)."""
    if ms == 0:
        return "0s"
    sign = "-" if ms < 0 else ""
    ms = abs(ms)
    if ms < 1000:
        return f"{sign}{ms}ms"
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    text = f"{seconds}" + (f".{millis:03d}".rstrip("0") if millis else "") + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{text}"
    if minutes:
        return f"{sign}{minutes}m{text}"
    return sign + text


def go_time(unix_s: float | None) -> str:
    """A Unix time as Go's `time.Time` marshals to JSON (RFC 3339, trimmed nanoseconds, UTC); 0 or None
    is Go's zero time."""
    if unix_s is None or unix_s == 0:
        return _GO_ZERO_TIME
    whole = math.floor(unix_s)
    # A float of today's Unix seconds holds about a quarter microsecond: finer digits would be noise
    # (".960999966" for .961), so the fraction is kept to the microsecond.
    nanos = round((unix_s - whole) * 1e6) * 1000
    if nanos >= 1_000_000_000:
        whole, nanos = whole + 1, nanos - 1_000_000_000
    text = datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if nanos:
        text += "." + f"{nanos:09d}".rstrip("0")
    return text + "Z"


def go_quote(text: str) -> str:
    """`strconv.Quote`: double-quoted with Go escapes; other control characters as `\\x..`."""
    out = []
    for ch in text:
        if ch in _QUOTE_ESCAPES:
            out.append(_QUOTE_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def go_labels(labels: Labels) -> str:
    """Prometheus 2.42's `labels.Labels.String()`: `{a="1", b="2"}` including `__name__`."""
    return "{" + ", ".join(f"{name}={go_quote(value)}" for name, value in labels) + "}"
