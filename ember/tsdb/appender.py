"""The database's `Appender`: stages batches, then validates, logs to the WAL and applies them to the
head in one critical section at commit (see the contract in `ember.storage.interface`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ember.model.samples import Float64Array, Int64Array, SampleBatch
from ember.storage.interface import DEFAULT_APPEND_OPTIONS, AppendOptions, AppendResult
from ember.tsdb import append_kernels as kernels
from ember.tsdb.head import WalRecord
from ember.tsdb.wal_records import encode_record

if TYPE_CHECKING:
    from ember.tsdb.db import DB


@dataclass(frozen=True)
class _Staged:
    refs: Int64Array
    sample_refs: Int64Array
    timestamps: Int64Array
    values: Float64Array
    aligned_timestamp: int | None
    group: str | None
    order: Int64Array | None  # argsort of `refs` when they are distinct (a scrape row), else None
    unique: Int64Array  # the distinct refs of the samples
    slots: Int64Array  # per sample, its ref's position in `unique`


def add_status_counts(result: AppendResult, status: npt.NDArray[np.int8]) -> None:
    """Adds per-sample verdicts (`append_kernels` status codes) to the result's counts."""
    add_counts(result, np.bincount(status, minlength=8))


def add_counts(result: AppendResult, per_status: npt.NDArray[np.int64]) -> None:
    """Adds counts indexed by `append_kernels` status code to the result's counts."""
    counts = per_status.tolist()
    result.accepted += counts[kernels.ACCEPT] + counts[kernels.ACCEPT_OUT_OF_ORDER] + counts[kernels.NOOP_DUPLICATE]
    result.out_of_order += counts[kernels.OUT_OF_ORDER]
    result.duplicate += counts[kernels.DUPLICATE]
    result.out_of_bounds += counts[kernels.OUT_OF_BOUNDS]


def _sample_series(
    batch: SampleBatch, refs: Int64Array, sample_refs: Int64Array, order: Int64Array | None
) -> tuple[Int64Array, Int64Array]:
    """(distinct refs of the samples, each sample's position among them). When the batch's series are
    distinct (a scrape row, a remote-write request) they are the batch's refs and its series index: no
    sort of the samples (np.unique of 2,000 refs costs as much as the rest of the append)."""
    if batch.aligned_timestamp is not None and order is not None:
        return refs, _identity(len(refs))
    if batch.aligned_timestamp is None and _distinct_order(refs) is not None:
        return refs, batch.series_index.astype(np.int64)
    unique, slots = np.unique(sample_refs, return_inverse=True)
    return unique, slots.astype(np.int64, copy=False)


def _distinct_order(refs: Int64Array) -> Int64Array | None:
    """The sorting permutation of `refs` when no ref repeats, else None."""
    if kernels.strictly_increasing(refs):
        # A steady scrape's refs were created in exposition order, so they usually come sorted.
        return _identity(len(refs))
    order = np.argsort(refs, kind="stable")
    return order if kernels.strictly_increasing(refs[order]) else None  # sorted: a repeat is a non-increase


_IDENTITIES: dict[int, Int64Array] = {}


def _identity(n: int) -> Int64Array:
    """arange(n), shared: the `order` of an already sorted row, by which no gather is needed."""
    identity = _IDENTITIES.get(n)
    if identity is None:
        if len(_IDENTITIES) > 4096:
            _IDENTITIES.clear()
        identity = _IDENTITIES[n] = np.arange(n, dtype=np.int64)  # never written to
    return identity


class DBAppender:
    def __init__(self, db: DB) -> None:
        self._db = db
        self._staged: list[_Staged] = []
        self._done = False

    def append(self, batch: SampleBatch, options: AppendOptions = DEFAULT_APPEND_OPTIONS) -> AppendResult:
        if self._done:
            raise RuntimeError("appender already committed or rolled back")
        head = self._db.head
        with head.lock:
            if batch.refs is not None:
                refs = batch.refs
                head.series.check_refs(refs)
            else:
                assert batch.series is not None
                refs = head.series.refs_for(batch.series)
            sample_refs = refs[batch.series_index] if batch.aligned_timestamp is None else refs
            order = _distinct_order(refs) if batch.aligned_timestamp is not None else None
            unique, slots = _sample_series(batch, refs, sample_refs, order)
            counts = head.classify(
                sample_refs, batch.timestamps, batch.values, commit=False, series=(unique, slots)
            ).counts if options.counts else None
        result = AppendResult(refs=refs)
        if counts is not None:
            add_counts(result, counts)
        self._staged.append(
            _Staged(refs, sample_refs, batch.timestamps, batch.values, batch.aligned_timestamp, options.group, order,
                    unique, slots)
        )
        return result

    def commit(self, *, sync: bool = False) -> AppendResult:
        if self._done:
            raise RuntimeError("appender already committed or rolled back")
        self._done = True
        result = AppendResult()
        if not self._staged:
            return result
        db = self._db
        head = db.head
        with head.lock:
            records: list[WalRecord] = []
            for staged in self._staged:
                records.extend(self._apply(staged, result))
            position = db.wal.log([encode_record(r) for r in records]) if records else None
        self._staged = []
        db.metrics.samples_appended_total += result.accepted
        if sync and position is not None:
            db.wal.wait_synced(position)
        return result

    def _apply(self, staged: _Staged, result: AppendResult) -> list[WalRecord]:
        head = self._db.head
        classified = head.classify(staged.sample_refs, staged.timestamps, staged.values, commit=True,
                                   series=(staged.unique, staged.slots))
        add_counts(result, classified.counts)
        status = classified.status
        all_in_order = classified.all_accepted
        if all_in_order and staged.group is not None and staged.order is not None:
            assert staged.aligned_timestamp is not None
            if staged.order is _IDENTITIES.get(len(staged.order)):
                sorted_refs, sorted_values = staged.refs, staged.values
            else:
                sorted_refs, sorted_values = staged.refs[staged.order], staged.values[staged.order]
            return head.append_row(staged.group, sorted_refs, staged.aligned_timestamp, sorted_values)
        if all_in_order:
            records = head.new_series_records(staged.unique, distinct=True)
            records.extend(head.append_unaligned(staged.sample_refs, staged.timestamps, staged.values))
            return records
        accepted = (status == kernels.ACCEPT) | (status == kernels.ACCEPT_OUT_OF_ORDER)
        if not accepted.any():
            return []
        records = head.new_series_records(staged.sample_refs[accepted])
        records.extend(
            head.append_unaligned(
                staged.sample_refs[accepted], staged.timestamps[accepted], staged.values[accepted]
            )
        )
        return records

    def rollback(self) -> None:
        self._staged = []
        self._done = True
