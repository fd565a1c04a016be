"""The narrow waist between the TSDB's WAL tailing (`ember.tsdb.wal_watcher`) and the sender.

`ember.remote` must not import `ember.tsdb`, so the WAL side is described here as two protocols and the
server wires them: a `WalFollower` reads the WAL and feeds model-level data (label sets by series ref,
sample columns) into a `SampleSink`, which a `QueueManager` is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from ember.model.labels import Labels


class SampleSink(Protocol):
    """What a WAL follower feeds; called from the follower's own thread."""

    def store_series(self, refs: npt.NDArray[np.int64], labels: Sequence[Labels], segment: int) -> None:
        """Series definitions read from WAL segment `segment` (or a checkpoint numbered so)."""

    def append_samples(self, refs: npt.NDArray[np.int64], timestamps: npt.NDArray[np.int64],
                       values: npt.NDArray[np.float64]) -> bool:
        """Queues samples, blocking while the queue is full; False once the sink is closed (the
        follower should then stop)."""

    def series_reset(self, segment: int) -> None:
        """A checkpoint up to `segment` exists: series last defined before it may be forgotten."""


class WalFollower(Protocol):
    """A thread tailing the WAL into one sink."""

    def start(self) -> None: ...

    def drain(self, timeout_s: float) -> None:
        """Reads on to the current end of the WAL and stops there (waiting at most `timeout_s`), so what was
        written before a shutdown is still handed over."""

    def stop(self) -> None:
        """Stops the thread and waits for it."""

    def lowest_segment_in_use(self) -> int | None:
        """The oldest WAL segment still to be read (None before it has started reading); the TSDB must
        not truncate it or any later one."""


FollowerFactory = Callable[[SampleSink, str], WalFollower]
"""Builds a follower for a sink; the string names the queue (for logs and thread names)."""
