"""The actual time between consecutive scrapes of each target, per configured interval: Prometheus's
`prometheus_target_interval_length_seconds` summary, which shows whether scrapes stay on schedule."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

QUANTILES = (0.01, 0.05, 0.5, 0.9, 0.99)
WINDOW = 4096  # most recent observations kept per interval


class IntervalStats:
    """A ring of the latest observed intervals (seconds) for each configured interval, with count and sum."""

    def __init__(self, window: int = WINDOW) -> None:
        self._window = window
        self._rings: dict[str, npt.NDArray[np.float64]] = {}
        self._counts: dict[str, int] = {}
        self._sums: dict[str, float] = {}

    def observe(self, interval: str, seconds: float) -> None:
        ring = self._rings.get(interval)
        if ring is None:
            ring = self._rings[interval] = np.full(self._window, np.nan)
        count = self._counts.get(interval, 0)
        ring[count % self._window] = seconds
        self._counts[interval] = count + 1
        self._sums[interval] = self._sums.get(interval, 0.0) + seconds

    def summaries(self) -> list[tuple[str, list[tuple[float, float]], int, float]]:
        """(interval, [(quantile, value)], count, sum) for each interval observed."""
        found = []
        for interval, ring in self._rings.items():
            seen = ring[~np.isnan(ring)]
            values = np.quantile(seen, QUANTILES) if len(seen) else np.full(len(QUANTILES), np.nan)
            found.append((interval, list(zip(QUANTILES, values.tolist(), strict=True)), self._counts[interval],
                          self._sums[interval]))
        return found
