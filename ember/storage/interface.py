"""The only write and read interfaces of Ember.

Everything that writes (scrape loops, rule evaluation, the remote-write receiver, backfill, the Python
API) appends through an `Appender`; everything that reads (PromQL, the HTTP API, federation, remote read)
reads through a `Querier`. Nothing outside the composition roots knows how the TSDB stores samples.

Contract of an `Appender`:
- `append` takes a columnar `SampleBatch` and validates it at once against the storage's state and the
  samples this appender already holds. Invalid samples are not raised one by one: they are counted in the
  returned `AppendResult` (Prometheus's errors: `out of order sample`, `duplicate sample for timestamp`,
  `out of bounds`), and the valid ones stay pending. A sample with the same timestamp and the bit-identical
  value of the stored one is an accepted no-op, as in Prometheus.
- Nothing is visible to readers, nor written to the write-ahead log, before `commit`.
- `commit()` writes the pending samples to the WAL and makes them visible. With `sync=True` it returns
  only after an fdatasync covering them; without it they are synced by the group-commit timer (default
  100 ms) and, at the latest, on a clean shutdown. Samples whose synchronous commit returned survive any
  crash. Samples that became invalid between `append` and `commit` (a concurrent writer won the race) are
  dropped and counted in the commit's result.
- `rollback()` discards everything pending. An appender is single-use after commit or rollback.

A storage may also be a `RowAppendable`: for a scrape group whose series set repeats (a steady target),
its `RowWriter` appends and commits a whole row in one call, with the same visibility and durability as
`append` + `commit` of that row, or declines (writing nothing) when the row is not plainly in order.

Contract of a `Querier`:
- `select` returns the series matching all matchers that have at least one sample in [mint, maxt]
  (milliseconds, both inclusive), sorted by labels, with samples in time order and staleness markers kept.
- `label_names` / `label_values` answer over series with samples in [mint, maxt] that match the matchers.
- A querier reads a consistent view: samples committed after it was created may or may not be seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from ember.model.matchers import Matcher
from ember.model.samples import Float64Array, Int64Array, SampleBatch
from ember.storage.series_set import SeriesSet

MIN_TIME = -(2**63)
MAX_TIME = 2**63 - 1


@dataclass(frozen=True)
class AppendOptions:
    """How a batch is appended. New kinds of data become fields here, not new methods.

    `group` names a scrape group (a target's series set, a rule group's output): aligned batches of one
    group are stored as rows of one columnar block.

    `counts` false says the caller does not read the counts `append` returns: a storage may then judge
    the samples at commit only (the commit's result still counts them), as a steady scrape's append does.
    """

    group: str | None = None
    counts: bool = True


DEFAULT_APPEND_OPTIONS = AppendOptions()


@dataclass
class AppendResult:
    """What happened to the samples of one `append` or `commit` call."""

    refs: Int64Array = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    accepted: int = 0
    out_of_order: int = 0
    duplicate: int = 0
    out_of_bounds: int = 0

    @property
    def rejected(self) -> int:
        return self.out_of_order + self.duplicate + self.out_of_bounds

    def first_error_message(self) -> str | None:
        """Prometheus's message for the first kind of rejection, or None."""
        if self.out_of_order:
            return "out of order sample"
        if self.duplicate:
            return "duplicate sample for timestamp"
        if self.out_of_bounds:
            return "out of bounds"
        return None

    def merge(self, other: AppendResult) -> None:
        self.accepted += other.accepted
        self.out_of_order += other.out_of_order
        self.duplicate += other.duplicate
        self.out_of_bounds += other.out_of_bounds


class Appender(Protocol):
    def append(self, batch: SampleBatch, options: AppendOptions = DEFAULT_APPEND_OPTIONS) -> AppendResult:
        """Validates and stages a batch; returns series refs (one per batch series) and counts."""
        ...

    def commit(self, *, sync: bool = False) -> AppendResult:
        """Makes the staged samples durable (see module docstring) and visible."""
        ...

    def rollback(self) -> None:
        """Discards the staged samples."""
        ...


class Appendable(Protocol):
    def appender(self) -> Appender: ...


class RowWriter(Protocol):
    def write(self, timestamp: int, first: Float64Array, second: Float64Array) -> bool:
        """Appends and commits one row at `timestamp`, whose values are `first` then `second` in the order
        of the refs the writer was made for. False, with nothing written, when any sample is not newer
        than its series' newest, or the group's series set has changed since: the caller then appends
        the row through an `Appender`, which judges each sample."""
        ...


@runtime_checkable
class RowAppendable(Protocol):
    def row_writer(self, group: str, refs: Int64Array) -> RowWriter | None:
        """A writer of rows of `refs` (distinct, in any order) into `group`, once the group's current
        series set is exactly `refs`; None before that, or when the storage has no such path."""
        ...


class Querier(Protocol):
    def select(self, matchers: Sequence[Matcher], mint: int, maxt: int) -> SeriesSet: ...

    def label_names(
        self, matchers: Sequence[Matcher] = (), mint: int = MIN_TIME, maxt: int = MAX_TIME
    ) -> list[str]: ...

    def label_values(
        self, name: str, matchers: Sequence[Matcher] = (), mint: int = MIN_TIME, maxt: int = MAX_TIME
    ) -> list[str]: ...

    def close(self) -> None: ...


class Queryable(Protocol):
    def querier(self) -> Querier: ...


class Storage(Appendable, Queryable, Protocol):
    """Something that is both written and read: the TSDB, the fan-out, the reference storage."""
