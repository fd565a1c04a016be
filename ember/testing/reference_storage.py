"""A tiny plain-Python storage: the executable meaning of the storage contract.

Slow on purpose and obviously correct; the conformance suite checks every real storage against it, and
PromQL tests may run on it. No WAL, no durability: `commit(sync=True)` is the same as `commit()`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from ember.model.labels import Labels
from ember.model.matchers import Matcher, matches_all
from ember.model.samples import SampleBatch
from ember.storage.interface import (
    DEFAULT_APPEND_OPTIONS,
    MAX_TIME,
    MIN_TIME,
    AppendOptions,
    AppendResult,
)
from ember.storage.series_set import SeriesSet


def _same_bits(a: float, b: float) -> bool:
    return bool(np.array([a]).view(np.uint64)[0] == np.array([b]).view(np.uint64)[0])


class ReferenceStorage:
    """Series kept as Python dicts of timestamp -> value."""

    def __init__(self) -> None:
        self._series: dict[Labels, dict[int, float]] = {}
        self._refs: list[Labels] = []
        self._ref_of: dict[Labels, int] = {}
        self._lock = threading.Lock()

    def appender(self) -> ReferenceAppender:
        return ReferenceAppender(self)

    def querier(self) -> ReferenceQuerier:
        with self._lock:
            snapshot = {labels: dict(samples) for labels, samples in self._series.items()}
        return ReferenceQuerier(snapshot)

    def ref(self, labels: Labels) -> int:
        with self._lock:
            if labels not in self._ref_of:
                self._ref_of[labels] = len(self._refs)
                self._refs.append(labels)
            return self._ref_of[labels]

    def labels_of(self, ref: int) -> Labels:
        return self._refs[ref]

    def check(self, labels: Labels, ts: int, value: float, pending: dict[int, float]) -> str | None:
        """Returns the rejection kind for one sample, or None when it is accepted."""
        stored = self._series.get(labels, {})
        latest = max([*stored, *pending], default=None)
        if latest is None or ts > latest:
            return None
        previous = pending.get(ts, stored.get(ts))
        if ts == latest and previous is not None:
            return None if _same_bits(previous, value) else "duplicate"
        return "out_of_order"

    def write(self, labels: Labels, samples: dict[int, float]) -> None:
        self._series.setdefault(labels, {}).update(samples)


class ReferenceAppender:
    def __init__(self, storage: ReferenceStorage) -> None:
        self._storage = storage
        self._pending: dict[Labels, dict[int, float]] = {}

    def append(self, batch: SampleBatch, options: AppendOptions = DEFAULT_APPEND_OPTIONS) -> AppendResult:
        if batch.series is not None:
            series = list(batch.series)
        else:
            assert batch.refs is not None
            series = [self._storage.labels_of(int(r)) for r in batch.refs]
        result = AppendResult(refs=np.array([self._storage.ref(lb) for lb in series], dtype=np.int64))
        for i in range(len(batch)):
            labels = series[int(batch.series_index[i])]
            ts, value = int(batch.timestamps[i]), float(batch.values[i])
            pending = self._pending.setdefault(labels, {})
            kind = self._storage.check(labels, ts, value, pending)
            if kind == "duplicate":
                result.duplicate += 1
            elif kind == "out_of_order":
                result.out_of_order += 1
            else:
                pending[ts] = value
                result.accepted += 1
        return result

    def commit(self, *, sync: bool = False) -> AppendResult:
        result = AppendResult()
        with self._storage._lock:
            for labels, samples in self._pending.items():
                self._storage.write(labels, samples)
                result.accepted += len(samples)
        self._pending = {}
        return result

    def rollback(self) -> None:
        self._pending = {}


class ReferenceQuerier:
    def __init__(self, series: dict[Labels, dict[int, float]]) -> None:
        self._series = series

    def _matching(self, matchers: Sequence[Matcher], mint: int, maxt: int) -> list[tuple[Labels, list[int]]]:
        out = []
        for labels, samples in self._series.items():
            if not matches_all(list(matchers), labels):
                continue
            times = sorted(t for t in samples if mint <= t <= maxt)
            if times:
                out.append((labels, times))
        return out

    def select(self, matchers: Sequence[Matcher], mint: int, maxt: int) -> SeriesSet:
        found = []
        for labels, times in self._matching(matchers, mint, maxt):
            samples = self._series[labels]
            found.append(
                (
                    labels,
                    np.array(times, dtype=np.int64),
                    np.array([samples[t] for t in times], dtype=np.float64),
                )
            )
        return SeriesSet.from_series(found)

    def label_names(
        self, matchers: Sequence[Matcher] = (), mint: int = MIN_TIME, maxt: int = MAX_TIME
    ) -> list[str]:
        names = {n for labels, _ in self._matching(matchers, mint, maxt) for n in labels.names()}
        return sorted(names)

    def label_values(
        self, name: str, matchers: Sequence[Matcher] = (), mint: int = MIN_TIME, maxt: int = MAX_TIME
    ) -> list[str]:
        values = {labels.get(name) for labels, _ in self._matching(matchers, mint, maxt)}
        return sorted(v for v in values if v)

    def close(self) -> None:
        pass
