"""What every rule reports to the API: health, last error, when it last ran and how long it took."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ember.model.labels import Labels
from ember.model.samples import Float64Array

HEALTH_UNKNOWN = "unknown"
HEALTH_OK = "ok"
HEALTH_ERR = "err"

QueryVector = tuple[Sequence[Labels], Float64Array]
"""An instant vector as rules consume it: label sets and one value each."""

RuleQuery = Callable[[str, int], QueryVector]
"""Evaluates an expression at a time in milliseconds (Prometheus's `QueryFunc`)."""


@dataclass
class RuleStatus:
    """Prometheus's rule health (`ok` / `err` / `unknown`) with the last error and evaluation times;
    `last_evaluation` is Unix seconds (None before the first evaluation)."""

    health: str = HEALTH_UNKNOWN
    last_error: str = ""
    last_evaluation: float | None = None
    evaluation_seconds: float = 0.0

    def succeeded(self) -> None:
        self.health = HEALTH_OK
        self.last_error = ""

    def failed(self, message: str) -> None:
        self.health = HEALTH_ERR
        self.last_error = message


def empty_vector() -> QueryVector:
    return [], np.empty(0, dtype=np.float64)
