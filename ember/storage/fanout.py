"""Fan-in of reads: the local storage (primary) merged with remote-read clients (secondaries).

As Prometheus's fanout storage: series of all queriers are merged, the same series' samples joined in
time order with one sample per timestamp; the primary's errors are errors, a secondary's errors become
warnings (its part of the answer is then missing), so a remote outage degrades queries instead of
failing them. Writes go to the primary only: remote write reads the WAL, not this path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from ember.model.matchers import Matcher
from ember.storage.interface import MAX_TIME, MIN_TIME, Appender, Querier, Queryable, Storage
from ember.storage.series_set import SeriesSet, merge_series_sets

_log = logging.getLogger("ember.storage.fanout")
_T = TypeVar("_T")


class FanoutQueryable:
    """A `Queryable` over one primary and any number of secondary queryables."""

    def __init__(self, primary: Queryable, secondaries: Sequence[Queryable] = ()) -> None:
        self.primary = primary
        self.secondaries = list(secondaries)

    def querier(self) -> FanoutQuerier:
        primary = self.primary.querier()
        if not self.secondaries:
            return FanoutQuerier(primary, [])
        secondaries = []
        try:
            for queryable in self.secondaries:
                secondaries.append(queryable.querier())
        except BaseException:
            for querier in [primary, *secondaries]:
                querier.close()
            raise
        return FanoutQuerier(primary, secondaries)


class FanoutStorage(FanoutQueryable):
    """A `Storage`: reads fan in, appends go to the primary storage."""

    def __init__(self, primary: Storage, secondaries: Sequence[Queryable] = ()) -> None:
        super().__init__(primary, secondaries)
        self.primary_storage = primary

    def appender(self) -> Appender:
        return self.primary_storage.appender()


class FanoutQuerier:
    """Merges the primary's answers with the secondaries'; `warnings` collects secondary failures
    (Prometheus's strings, deduplicated) for the API response."""

    def __init__(self, primary: Querier, secondaries: Sequence[Querier]) -> None:
        self.primary = primary
        self.secondaries = list(secondaries)
        self.warnings: list[str] = []

    def select(self, matchers: Sequence[Matcher], mint: int, maxt: int) -> SeriesSet:
        if not self.secondaries:
            return self.primary.select(matchers, mint, maxt)
        remote, local = self._alongside_primary(
            lambda q: q.select(matchers, mint, maxt), lambda: self.primary.select(matchers, mint, maxt)
        )
        # The primary goes last: on equal timestamps the later set wins, and local data is the truth.
        return merge_series_sets([*remote, local])

    def label_names(
        self, matchers: Sequence[Matcher] = (), mint: int = MIN_TIME, maxt: int = MAX_TIME
    ) -> list[str]:
        remote, local = self._alongside_primary(
            lambda q: q.label_names(matchers, mint, maxt), lambda: self.primary.label_names(matchers, mint, maxt)
        )
        return sorted(set(local).union(*remote))

    def label_values(
        self, name: str, matchers: Sequence[Matcher] = (), mint: int = MIN_TIME, maxt: int = MAX_TIME
    ) -> list[str]:
        remote, local = self._alongside_primary(
            lambda q: q.label_values(name, matchers, mint, maxt),
            lambda: self.primary.label_values(name, matchers, mint, maxt),
        )
        return sorted(set(local).union(*remote))

    def _alongside_primary(
        self, secondary_call: Callable[[Querier], _T], primary_call: Callable[[], _T]
    ) -> tuple[list[_T], _T]:
        """Runs the call on every secondary in worker threads while the primary answers in this one
        (remote round trips overlap the local read, as Prometheus queries its storages concurrently);
        returns the secondaries' successful answers and the primary's."""
        if not self.secondaries:
            return [], primary_call()
        with ThreadPoolExecutor(len(self.secondaries), thread_name_prefix="ember-fanout") as pool:
            futures = [pool.submit(secondary_call, querier) for querier in self.secondaries]
            local = primary_call()
            answers = []
            for future in futures:
                try:
                    answers.append(future.result())
                except Exception as error:  # any secondary failure is a warning, as in Prometheus
                    self._warn(error)
        return answers, local

    def _warn(self, error: Exception) -> None:
        message = str(error) or type(error).__name__
        _log.debug("secondary querier failed: %s", message)
        if message not in self.warnings:
            self.warnings.append(message)

    def close(self) -> None:
        for querier in [self.primary, *self.secondaries]:
            querier.close()
