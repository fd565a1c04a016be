"""Prometheus's JSON envelope, value formatting, and the one mapping from Ember's errors to
`errorType` and HTTP status."""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.responses import Response

from ember.errors import (
    BadDataError,
    EmberError,
    ExecutionError,
    QueryCanceledError,
    QueryTimeoutError,
    TooManySamplesError,
    UnavailableError,
)

# errorType and HTTP status by exception class, most specific first (Prometheus's web/api/v1).
_ERROR_STATUS: list[tuple[type[EmberError], str, int]] = [
    (QueryTimeoutError, "timeout", 503),
    (QueryCanceledError, "canceled", 503),
    (TooManySamplesError, "execution", 422),
    (ExecutionError, "execution", 422),
    (BadDataError, "bad_data", 400),
    (UnavailableError, "unavailable", 503),
]


def error_type_and_status(error: EmberError) -> tuple[str, int]:
    for kind, error_type, status in _ERROR_STATUS:
        if isinstance(error, kind):
            return error_type, status
    return "internal", 500


def format_value(value: float) -> str:
    """Go's `strconv.FormatFloat(v, 'f', -1, 64)`: shortest round-trip digits, never an exponent."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    text = repr(value)
    if "e" not in text and "E" not in text:
        return text[:-2] if text.endswith(".0") else text
    mantissa, exponent_text = text.split("e")
    exponent = int(exponent_text)
    negative = mantissa.startswith("-")
    digits = mantissa.lstrip("-").replace(".", "")
    point = (mantissa.lstrip("-").index(".") if "." in mantissa else len(mantissa.lstrip("-"))) + exponent
    if point <= 0:
        out = "0." + "0" * -point + digits
    elif point >= len(digits):
        out = digits + "0" * (point - len(digits))
    else:
        out = digits[:point] + "." + digits[point:]
    out = out.rstrip("0").rstrip(".") if "." in out else out
    return ("-" if negative else "") + out


def format_timestamp(ms: int) -> float | int:
    """Unix seconds as Prometheus writes them: an integer when whole, else with milliseconds."""
    return ms // 1000 if ms % 1000 == 0 else ms / 1000


def json_response(payload: dict[str, Any], status: int = 200) -> Response:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return Response(body, status_code=status, media_type="application/json")


def success(data: Any, warnings: list[str] | None = None, infos: list[str] | None = None) -> Response:
    payload: dict[str, Any] = {"status": "success", "data": data}
    if warnings:
        payload["warnings"] = warnings
    if infos:
        payload["infos"] = infos
    return json_response(payload)


def failure(error_type: str, message: str, status: int, data: Any = None) -> Response:
    payload: dict[str, Any] = {"status": "error", "errorType": error_type, "error": message}
    if data is not None:
        payload["data"] = data
    return json_response(payload, status)


def error_response(error: EmberError) -> Response:
    error_type, status = error_type_and_status(error)
    return failure(error_type, str(error), status)
