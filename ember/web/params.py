"""Request parameters as Prometheus's HTTP API reads them: times, durations, matchers, limits."""

from __future__ import annotations

import datetime as dt
import math

from starlette.datastructures import FormData, QueryParams

from ember.config.durations import parse_duration_ms
from ember.errors import BadDataError, ConfigError
from ember.model.matchers import Matcher
from ember.promql.selector import parse_selector
from ember.storage.interface import MAX_TIME, MIN_TIME

# Prometheus's minTime/maxTime for absent start/end parameters (year -292277 .. 292277 in Go).
API_MIN_TIME = -9223309901257974
API_MAX_TIME = 9223309901257974


class Params:
    """GET query parameters merged with a form-encoded POST body (form values first, as Go's FormValue)."""

    def __init__(self, query: QueryParams, form: FormData | None = None) -> None:
        self._query = query
        self._form = form

    def get(self, name: str) -> str | None:
        if self._form is not None and name in self._form:
            value = self._form.get(name)
            return value if isinstance(value, str) else None
        return self._query.get(name)

    def get_list(self, name: str) -> list[str]:
        values: list[str] = []
        if self._form is not None:
            values.extend(v for v in self._form.getlist(name) if isinstance(v, str))
        values.extend(self._query.getlist(name))
        return values


def parse_time_ms(text: str) -> int:
    """Unix seconds with decimals, or RFC 3339, as Prometheus's `parseTime`."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = None
    if seconds is not None:
        if not math.isfinite(seconds):
            raise BadDataError(f"cannot parse {text!r} to a valid timestamp")
        return round(seconds * 1000)
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadDataError(f"cannot parse {text!r} to a valid timestamp") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return round(parsed.timestamp() * 1000)


def parse_duration_param_ms(text: str) -> int:
    """Seconds with decimals, or a Prometheus duration, as Prometheus's `parseDuration`."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = None
    if seconds is not None:
        milliseconds = seconds * 1000
        if not math.isfinite(milliseconds) or abs(milliseconds) >= 2**63 / 1e6:
            raise BadDataError(f"cannot parse {text!r} to a valid duration. It overflows int64")
        return round(milliseconds)
    try:
        return parse_duration_ms(text)
    except ConfigError:
        raise BadDataError(f"cannot parse {text!r} to a valid duration") from None


def time_param(params: Params, name: str, default: int) -> int:
    text = params.get(name)
    if not text:
        return default
    try:
        return parse_time_ms(text)
    except BadDataError as exc:
        raise BadDataError(f'invalid parameter "{name}": {exc}') from None


def range_params(params: Params) -> tuple[int, int]:
    """The `start`/`end` of series and label endpoints (whole time when absent)."""
    start = time_param(params, "start", API_MIN_TIME)
    end = time_param(params, "end", API_MAX_TIME)
    return max(start, MIN_TIME), min(end, MAX_TIME)


def matcher_sets(params: Params) -> list[list[Matcher]]:
    sets = []
    for text in params.get_list("match[]"):
        try:
            sets.append(parse_selector(text))
        except BadDataError as exc:
            raise BadDataError(f"invalid parameter \"match[]\": {exc}") from None
    return sets


def limit_param(params: Params) -> int:
    text = params.get("limit")
    if not text:
        return 0
    try:
        limit = int(text)
    except ValueError:
        raise BadDataError(f'invalid parameter "limit": cannot parse "{text}" to a valid limit') from None
    if limit < 0:
        raise BadDataError('invalid parameter "limit": limit must be non-negative')
    return limit
