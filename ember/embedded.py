"""The embedded Python API: open a database, append numpy arrays, select series and run PromQL.

    import ember
    with ember.open("data/") as db:
        db.append_many({"__name__": "temp", "room": "a"}, timestamps_ms, values)
        result = db.query_range('avg_over_time(temp[10m])', start, end, "1m")
        frame = result.to_pandas()

Times are milliseconds since the epoch (int) or datetime-like objects; durations are milliseconds,
timedeltas or Prometheus duration strings ("15s").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ember.errors import DuplicateSampleError, OutOfBoundsError, OutOfOrderSampleError
from ember.model.labels import Labels
from ember.model.samples import SampleBatch
from ember.storage.interface import MAX_TIME, MIN_TIME, AppendOptions, AppendResult
from ember.storage.series_set import SeriesSet
from ember.timeutil import now_ms, to_duration_ms, to_millis
from ember.tsdb.db import DB
from ember.tsdb.options import DBOptions

if TYPE_CHECKING:
    from ember.promql.result import QueryResult

LabelsLike = Labels | Mapping[str, str] | str


def as_labels(value: LabelsLike) -> Labels:
    """Labels from a Labels, a mapping, or a series text such as `up{job="api"}`."""
    if isinstance(value, Labels):
        return value
    if isinstance(value, str):
        from ember.model.matchers import MatchType
        from ember.promql.selector import parse_selector

        matchers = parse_selector(value)
        if any(m.type is not MatchType.EQUAL for m in matchers):
            raise ValueError(f"{value!r} is a selector, not a series: use only = matchers")
        return Labels((m.name, m.value) for m in matchers)
    return Labels.from_dict(value)


def _raise_for(result: AppendResult) -> None:
    if result.out_of_order:
        raise OutOfOrderSampleError()
    if result.duplicate:
        raise DuplicateSampleError()
    if result.out_of_bounds:
        raise OutOfBoundsError()


class BatchAppender:
    """Appends committed together when the `with` block ends (rolled back on an exception). A batch
    with any rejected sample raises Prometheus's error for it and stores nothing."""

    def __init__(self, db: DB, *, sync: bool) -> None:
        self._appender = db.appender()
        self._sync = sync

    def append(self, labels: LabelsLike, ts_ms: int, value: float) -> None:
        self.append_many(labels, [ts_ms], [value])

    def append_many(self, labels: LabelsLike, timestamps: npt.ArrayLike, values: npt.ArrayLike) -> None:
        ts = np.asarray(timestamps)
        if ts.dtype.kind == "M":
            ts = ts.astype("datetime64[ms]").astype(np.int64)
        self._check(self._appender.append(SampleBatch.of_series(as_labels(labels), ts, values)))

    def append_aligned(
        self, timestamp: int, series: Sequence[LabelsLike], values: npt.ArrayLike, *, group: str | None = None
    ) -> None:
        """One sample for each of many series at one timestamp (a scrape's shape)."""
        batch = SampleBatch.aligned(timestamp, values, series=[as_labels(s) for s in series])
        self._check(self._appender.append(batch, AppendOptions(group=group)))

    def _check(self, result: AppendResult) -> None:
        if result.rejected:
            self._appender.rollback()
            _raise_for(result)

    def commit(self) -> None:
        self._appender.commit(sync=self._sync)

    def __enter__(self) -> BatchAppender:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            self._appender.rollback()


@dataclass(frozen=True)
class Series:
    labels: Labels
    timestamps: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]


class Database:
    """An open Ember database; use as a context manager or call `close()`."""

    def __init__(self, db: DB, *, lookback_delta_ms: int, query_timeout_s: float, max_samples: int) -> None:
        self._db = db
        self._lookback_delta_ms = lookback_delta_ms
        self._query_timeout_s = query_timeout_s
        self._max_samples = max_samples
        self._engine: Any = None

    @property
    def storage(self) -> DB:
        """The underlying storage (an `Appendable` and `Queryable`)."""
        return self._db

    def append(self, labels: LabelsLike, ts_ms: int, value: float) -> None:
        with self.batch() as batch:
            batch.append(labels, ts_ms, value)

    def append_many(self, labels: LabelsLike, timestamps: npt.ArrayLike, values: npt.ArrayLike) -> None:
        with self.batch() as batch:
            batch.append_many(labels, timestamps, values)

    def batch(self, *, sync: bool = False) -> BatchAppender:
        """A batch appender; `sync=True` returns from commit only once the samples are fsynced."""
        return BatchAppender(self._db, sync=sync)

    def select(self, selector: str, start: object = None, end: object = None) -> list[Series]:
        """Raw samples of the series matching a selector such as `up{job="api"}` in [start, end]."""
        from ember.promql.selector import parse_selector

        matchers = parse_selector(selector)
        mint = MIN_TIME if start is None else to_millis(start)
        maxt = MAX_TIME if end is None else to_millis(end)
        querier = self._db.querier()
        try:
            found: SeriesSet = querier.select(matchers, mint, maxt)
        finally:
            querier.close()
        return [Series(labels, ts.copy(), vals.copy()) for labels, ts, vals in found]

    def _get_engine(self) -> Any:
        if self._engine is None:
            from ember.promql.engine import Engine

            self._engine = Engine(
                lookback_delta_ms=self._lookback_delta_ms, timeout_s=self._query_timeout_s,
                max_samples=self._max_samples,
            )
        return self._engine

    def query(self, expr: str, time: object = None) -> QueryResult:
        """An instant query at `time` (default: now)."""
        at = now_ms() if time is None else to_millis(time)
        result: QueryResult = self._get_engine().instant_query(self._db, expr, at)
        return result

    def query_range(self, expr: str, start: object, end: object, step: object) -> QueryResult:
        result: QueryResult = self._get_engine().range_query(
            self._db, expr, to_millis(start), to_millis(end), to_duration_ms(step)
        )
        return result

    def delete(self, selector: str, start: object = None, end: object = None) -> None:
        from ember.promql.selector import parse_selector

        self._db.delete(
            parse_selector(selector),
            MIN_TIME if start is None else to_millis(start),
            MAX_TIME if end is None else to_millis(end),
        )

    def flush(self) -> None:
        """Writes the head out into blocks."""
        self._db.flush_head()

    def compact(self) -> None:
        self._db.compact()

    def snapshot(self, target: str | Path) -> Path:
        return self._db.snapshot(target)

    def stats(self) -> dict[str, Any]:
        from ember.tsdb.stats import database_stats

        return database_stats(self._db)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_DB_OPTION_NAMES = {f.name for f in fields(DBOptions)}


def open(
    path: str | Path,
    *,
    lookback_delta: object = "5m",
    query_timeout_s: float = 120.0,
    max_samples: int = 50_000_000,
    **options: Any,
) -> Database:
    """Opens (creating if needed) the database in `path`; options are `DBOptions` fields, e.g.
    `retention_ms`, `out_of_order_window_ms`, `wal_sync_interval_s`, `block_range_ms`."""
    unknown = set(options) - _DB_OPTION_NAMES
    if unknown:
        raise TypeError(f"unknown option(s): {', '.join(sorted(unknown))}; known: {sorted(_DB_OPTION_NAMES)}")
    db = DB.open(path, DBOptions(**options))
    return Database(
        db, lookback_delta_ms=to_duration_ms(lookback_delta), query_timeout_s=query_timeout_s,
        max_samples=max_samples,
    )
