"""What every node evaluation needs: the step times, the querier, limits and annotations."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace

import numpy as np

from ember.errors import QueryCanceledError, QueryTimeoutError, TooManySamplesError
from ember.promql.values import Int64Array
from ember.storage.interface import Querier


@dataclass
class QueryLimits:
    """Timeout, sample budget and cancellation of one query (Prometheus's query limits)."""

    timeout_s: float
    max_samples: int
    started: float = field(default_factory=time.monotonic)
    cancel: threading.Event | None = None

    def check(self, where: str = "query execution") -> None:
        """Raises when the query has run out of time or was canceled (checked between nodes)."""
        if self.cancel is not None and self.cancel.is_set():
            raise QueryCanceledError(f"query was canceled in {where}")
        if time.monotonic() - self.started > self.timeout_s:
            raise QueryTimeoutError(f"query timed out in {where}")

    def check_cells(self, cells: int, where: str = "query execution") -> None:
        """Refuses to allocate a `[series, steps]` array far beyond the sample budget (queries of death)."""
        if cells > max(8 * self.max_samples, 10_000_000):
            raise TooManySamplesError(where)

    def check_samples(self, count: int, where: str = "query execution") -> None:
        """Raises before a node holds more than `max_samples` points at once."""
        if count > self.max_samples:
            raise TooManySamplesError(where)


@dataclass
class Annotations:
    """Warnings and infos collected while evaluating (deduplicated, in order)."""

    warnings: list[str] = field(default_factory=list)
    infos: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def info(self, message: str) -> None:
        if message not in self.infos:
            self.infos.append(message)


@dataclass
class EvalContext:
    """The evaluation times of the current (sub)query and the query-wide settings."""

    querier: Querier
    times: Int64Array
    query_start_ms: int
    query_end_ms: int
    lookback_ms: int
    default_subquery_step_ms: int
    limits: QueryLimits
    annotations: Annotations
    step_ms: int
    text: str = ""
    query_step_ms: int = 0
    experimental: bool = True

    @property
    def num_steps(self) -> int:
        return len(self.times)

    def with_times(self, times: Int64Array, step_ms: int) -> EvalContext:
        """A context for a subquery evaluated at other times."""
        return replace(self, times=np.ascontiguousarray(times, dtype=np.int64), step_ms=step_ms)


def go_float(value: float) -> str:
    """A float as Go's `%g`-like default formatting prints it in Prometheus's messages."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


def warn_quantile_range(phis: Int64Array | np.ndarray, ctx: EvalContext, position: str = "") -> None:
    """Prometheus warns (once per query) when a quantile is NaN or outside [0, 1]."""
    bad = np.isnan(phis) | (phis < 0) | (phis > 1)
    if bad.any():
        ctx.annotations.warn(
            "PromQL warning: quantile value should be between 0 and 1, got "
            f"{go_float(float(phis[bad][0]))}{position}"
        )
