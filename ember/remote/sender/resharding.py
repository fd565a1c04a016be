"""How many shards a queue wants, from its rates of samples in and out (Prometheus's
`calculateDesiredShards`, kept in form): the time one sample takes to send, times the rate samples
arrive plus 5% a second of the backlog, with a 30% dead band and no down-sharding while more than
10 s behind."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

EWMA_WEIGHT = 0.2
SHARD_TOLERANCE = 0.3
BACKLOG_CATCHUP_PER_SECOND = 0.05
MAX_DELAY_TO_DOWNSHARD_S = 10.0


class EwmaRate:
    """Events per second, smoothed at each `tick` (called every `interval_s`); thread-safe."""

    def __init__(self, interval_s: float, weight: float = EWMA_WEIGHT) -> None:
        self._interval = interval_s
        self._weight = weight
        self._new = 0.0
        self._rate = 0.0
        self._started = False
        self._lock = threading.Lock()

    def add(self, amount: float) -> None:
        with self._lock:
            self._new += amount

    def tick(self) -> None:
        with self._lock:
            instant = self._new / self._interval
            self._new = 0.0
            if self._started:
                self._rate += self._weight * (instant - self._rate)
            else:
                self._rate, self._started = instant, True

    @property
    def rate(self) -> float:
        with self._lock:
            return self._rate


@dataclass(frozen=True)
class ShardInputs:
    in_rate: float
    """Samples per second read from the WAL."""
    out_rate: float
    """Samples per second sent (successfully or not)."""
    dropped_rate: float
    out_seconds_rate: float
    """Seconds spent sending per second (summed over shards)."""
    delay_s: float
    """Highest timestamp read minus highest timestamp sent."""


def desired_shards(inputs: ShardInputs, current: int, min_shards: int, max_shards: int) -> tuple[int, float]:
    """(the shard count to run, the unrounded wish for the `shards_desired` gauge)."""
    if inputs.out_rate <= 0:
        return current, float(current)
    kept_ratio = inputs.out_rate / (inputs.dropped_rate + inputs.out_rate)
    backlog = inputs.delay_s * inputs.in_rate * kept_ratio
    seconds_per_sample = inputs.out_seconds_rate / inputs.out_rate
    wish = seconds_per_sample * (inputs.in_rate * kept_ratio + BACKLOG_CATCHUP_PER_SECOND * backlog)
    rounded = math.ceil(wish)
    if current * (1 - SHARD_TOLERANCE) <= rounded <= current * (1 + SHARD_TOLERANCE):
        return current, wish
    if rounded < current and inputs.delay_s > MAX_DELAY_TO_DOWNSHARD_S:
        return current, wish
    return max(min_shards, min(max_shards, rounded)), wish
