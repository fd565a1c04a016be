"""The remote-read client: a `Queryable` over another server's `/api/v1/read` (a `remote_read` section).

It speaks remote read 1.0 with the samples response type, as Prometheus 2.42's client does, and applies
Prometheus's rules before asking the remote: `required_matchers` (ask only for selectors that carry all
of them as equality matchers), `read_recent: false` (never ask for what the local storage still holds)
and external labels (added as matchers, removed again from the series read back).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import httpx
import numpy as np

from ember.config.prometheus import Config, RemoteReadConfig
from ember.errors import BadDataError, StorageError
from ember.model.labels import Labels
from ember.model.matchers import Matcher, MatchType
from ember.remote.read_codec import ReadQuery, decode_read_response, encode_read_request
from ember.remote.read_http import build_sync_client
from ember.storage.interface import MAX_TIME, MIN_TIME
from ember.storage.series_set import SeriesSet, merge_series_sets

_REQUEST_HEADERS = {
    "Content-Encoding": "snappy",
    "Accept-Encoding": "snappy",
    "Content-Type": "application/x-protobuf",
    "X-Prometheus-Remote-Read-Version": "0.1.0",
}
_MAX_ERROR_BODY = 1024


class RemoteReadClient:
    """A `Queryable` reading from one remote-read endpoint; thread-safe, one HTTP connection pool.

    `local_start_time` returns the oldest timestamp the local storage holds (`MAX_TIME` when it holds
    nothing); without `read_recent`, queries are cut at it, as Prometheus's `preferLocalStorage`.
    `external_labels` are the global ones; they are ignored when `filter_external_labels` is false.
    """

    def __init__(
        self,
        config: RemoteReadConfig,
        *,
        external_labels: Labels | None = None,
        local_start_time: Callable[[], int] | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self.config = config
        self.external_labels = external_labels if config.filter_external_labels and external_labels else Labels()
        self.local_start_time = local_start_time
        self._client = client or build_sync_client(
            config.http_client_config, timeout_s=config.remote_timeout.seconds, headers=config.headers
        )
        self.requests_total = 0
        self.failures_total = 0

    @property
    def name(self) -> str:
        return self.config.name or self.config.url

    def querier(self) -> RemoteReadQuerier:
        return RemoteReadQuerier(self)

    def read(self, queries: Sequence[ReadQuery]) -> list[SeriesSet]:
        """One remote-read round trip: a result per query; StorageError on any failure."""
        self.requests_total += 1
        try:
            return self._read(queries)
        except StorageError:
            self.failures_total += 1
            raise

    def _read(self, queries: Sequence[ReadQuery]) -> list[SeriesSet]:
        body = encode_read_request(list(queries))
        try:
            response = self._client.post(self.config.url, content=body, headers=_REQUEST_HEADERS)
        except httpx.HTTPError as error:
            raise StorageError(f"error sending request: {error}") from error
        if response.status_code // 100 != 2:
            text = response.text[:_MAX_ERROR_BODY].strip()
            raise StorageError(
                f"remote server {self.config.url} returned HTTP status "
                f"{response.status_code} {response.reason_phrase}: {text}"
            )
        try:
            results = decode_read_response(response.content)
        except BadDataError as error:
            raise StorageError(f"error reading response: {error}") from error
        if len(results) != len(queries):
            raise StorageError(f"responses: want {len(queries)}, got {len(results)}")
        return results

    def close(self) -> None:
        self._client.close()


class RemoteReadQuerier:
    """A `Querier` whose every `select` is one remote-read request (after Prometheus's checks)."""

    def __init__(self, client: RemoteReadClient) -> None:
        self._client = client

    def select(self, matchers: Sequence[Matcher], mint: int, maxt: int) -> SeriesSet:
        client = self._client
        if not client.config.read_recent and client.local_start_time is not None:
            local_start = client.local_start_time()
            if mint > local_start:
                return SeriesSet.empty()
            maxt = min(maxt, local_start)
        if not _has_required(matchers, client.config.required_matchers):
            return SeriesSet.empty()
        sent, added = _with_external_labels(matchers, client.external_labels)
        try:
            (found,) = client.read([ReadQuery(mint, maxt, sent)])
        except StorageError as error:
            raise StorageError(f"remote_read: {error}") from error
        return _without_labels(_clipped(found, mint, maxt), added)

    def label_names(
        self, matchers: Sequence[Matcher] = (), mint: int = MIN_TIME, maxt: int = MAX_TIME
    ) -> list[str]:
        names = {name for labels in self._series_for_labels(matchers, mint, maxt).labels for name in labels.names()}
        return sorted(names)

    def label_values(
        self, name: str, matchers: Sequence[Matcher] = (), mint: int = MIN_TIME, maxt: int = MAX_TIME
    ) -> list[str]:
        found = self._series_for_labels(matchers, mint, maxt)
        return sorted({labels.get(name) for labels in found.labels} - {""})

    def _series_for_labels(self, matchers: Sequence[Matcher], mint: int, maxt: int) -> SeriesSet:
        # Remote read has no label calls; Prometheus 2.42 answers "not implemented". With matchers a
        # select answers them exactly; without, it would fetch the whole remote, so it stays refused.
        if not matchers:
            raise StorageError("remote_read: label names and values without matchers: not implemented")
        return self.select(matchers, mint, maxt)

    def close(self) -> None:
        """Nothing to release: the HTTP pool belongs to the client."""


def _has_required(matchers: Sequence[Matcher], required: Labels) -> bool:
    """True when every required label is selected by an equality matcher of the selector."""
    equal = {(m.name, m.value) for m in matchers if m.type is MatchType.EQUAL}
    return all(pair in equal for pair in required)


def _with_external_labels(matchers: Sequence[Matcher], external: Labels) -> tuple[list[Matcher], list[str]]:
    """The matchers plus one equality matcher per external label the selector does not name, and the
    names of the labels so added (Prometheus's `addExternalLabels`)."""
    named = {m.name for m in matchers}
    added = [(name, value) for name, value in external if name not in named]
    return list(matchers) + [Matcher.equal(name, value) for name, value in added], [n for n, _ in added]


def _clipped(found: SeriesSet, mint: int, maxt: int) -> SeriesSet:
    """Only the samples in [mint, maxt], and only series that keep one (the `Querier` contract)."""
    inside = (found.timestamps >= mint) & (found.timestamps <= maxt)
    if inside.all():
        return found
    series_ids = np.repeat(np.arange(len(found), dtype=np.int64), found.lengths())[inside]
    counts = np.bincount(series_ids, minlength=len(found))
    kept = np.flatnonzero(counts)
    offsets = np.zeros(len(kept) + 1, dtype=np.int64)
    np.cumsum(counts[kept], out=offsets[1:])
    labels = [found.labels[i] for i in kept.tolist()]
    return SeriesSet(labels, offsets, found.timestamps[inside], found.values[inside])


def _without_labels(found: SeriesSet, names: list[str]) -> SeriesSet:
    """Removes the added external labels from every series; series that then collide are merged."""
    if not names or not len(found):
        return found
    stripped = [labels.without(*names) for labels in found.labels]
    if len(set(stripped)) == len(stripped) and stripped == sorted(stripped):
        return SeriesSet(stripped, found.offsets, found.timestamps, found.values)
    pieces = [
        SeriesSet([labels], np.array([0, len(ts)], dtype=np.int64), ts, vals)
        for labels, (_, ts, vals) in zip(stripped, found, strict=True)
    ]
    return merge_series_sets(pieces)



def clients_from_config(config: Config, local_start_time: Callable[[], int] | None) -> list[RemoteReadClient]:
    """One client per `remote_read` section, with the global external labels (the server's wiring)."""
    external = config.global_config.external_labels
    return [
        RemoteReadClient(section, external_labels=external, local_start_time=local_start_time)
        for section in config.remote_read_configs
    ]
