"""Time values at Ember's edges: milliseconds inside, friendly forms (datetime, numpy, pandas, durations
such as "5m") accepted at the Python API and the command line."""

from __future__ import annotations

import datetime as dt

import numpy as np

from ember.config.durations import parse_duration_ms

TimeLike = int | float | str | dt.datetime | np.datetime64


def to_millis(value: object) -> int:
    """Milliseconds since the epoch from an int (ms), a datetime, numpy/pandas times or an RFC 3339 string."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a time")
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return round(float(value))
    if isinstance(value, np.datetime64):
        return int(value.astype("datetime64[ms]").astype(np.int64))
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return round(value.timestamp() * 1000)
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
