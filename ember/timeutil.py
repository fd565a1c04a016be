"""Time values at Ember's edges: milliseconds inside, friendly forms (datetime, numpy, pandas, durations
such as "5m") accepted at the Python API and the command line."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np

_DURATION = re.compile(r"(\d+)(ms|y|w|d|h|m|s)")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000,
            "y": 365 * 86_400_000}

TimeLike = int | float | str | dt.datetime | np.datetime64


def parse_duration_ms(text: str) -> int:
    """A Prometheus duration (`1h30m`, `15s`, `100ms`) in milliseconds."""
    pos, total = 0, 0
    for match in _DURATION.finditer(text):
        if match.start() != pos:
            break
        total += int(match.group(1)) * _UNIT_MS[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text:
        raise ValueError(f"not a valid duration string: {text!r}")
    return total


def to_millis(value: object) -> int:
    """Milliseconds since the epoch from an int (ms), a datetime, numpy/pandas times or an RFC 3339 string."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a time")
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return int(round(float(value)))
    if isinstance(value, np.datetime64):
        return int(value.astype("datetime64[ms]").astype(np.int64))
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return int(round(value.timestamp() * 1000))
    if isinstance(value, str):
        return to_millis(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
    timestamp = getattr(value, "to_datetime64", None)
    if timestamp is not None:
        return to_millis(timestamp())
    raise TypeError(f"cannot use {value!r} as a time")


def to_duration_ms(value: object) -> int:
    """Milliseconds from an int (ms), a timedelta or a duration string."""
    if isinstance(value, str):
        return parse_duration_ms(value)
    if isinstance(value, dt.timedelta):
        return int(value.total_seconds() * 1000)
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return int(value)
    raise TypeError(f"cannot use {value!r} as a duration")


def now_ms() -> int:
    return int(dt.datetime.now(dt.UTC).timestamp() * 1000)
