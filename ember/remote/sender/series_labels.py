"""The label sets a queue sends, by WAL series ref: external labels added and `write_relabel_configs`
applied once per series (as Prometheus's `QueueManager.StoreSeries`), then encoded once as protobuf
`Label` fields, so that sending a sample never touches its labels in Python again."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ember.model.labels import Labels
from ember.relabel import RelabelConfig, relabel
from ember.remote.write_codec import encode_field

UNKNOWN = -2
"""`label_start` of a ref never stored (or forgotten by `series_reset`)."""
DROPPED = -1
"""`label_start` of a series that `write_relabel_configs` dropped."""


def with_external_labels(labels: Labels, external: Labels) -> Labels:
    """External labels are added where the series lacks the name; the series' own value wins
    (Prometheus's `processExternalLabels`)."""
    if not len(external):
        return labels
    merged = dict(external)
    merged.update(labels)
    return Labels(merged.items())


def encode_label_fields(labels: Labels) -> bytes:
    """The `repeated Label labels = 1` fields of a TimeSeries."""
    return b"".join(encode_field(1, encode_field(1, n.encode()) + encode_field(2, v.encode())) for n, v in labels)


@dataclass(frozen=True)
class LabelTable:
    """A consistent snapshot for the encoder: `blob[start[ref]:end[ref]]` are ref's Label fields."""

    blob: npt.NDArray[np.uint8]
    start: npt.NDArray[np.int64]
    end: npt.NDArray[np.int64]


class SeriesLabels:
    """Ref -> encoded, relabelled labels. Refs are the TSDB's dense series refs, so the look-up is an
    array index; `lookup` classifies a whole column of refs at once."""

    def __init__(self, external_labels: Labels, relabel_configs: Sequence[RelabelConfig]) -> None:
        self._external = external_labels
        self._relabel = tuple(relabel_configs)
        self._lock = threading.Lock()
        self._blob = np.empty(4096, dtype=np.uint8)
        self._used = 0
        self._start = np.full(1024, UNKNOWN, dtype=np.int64)
        self._end = np.zeros(1024, dtype=np.int64)
        self._segment = np.full(1024, -1, dtype=np.int64)
        self._live_bytes = 0
        self._reset_segment = -1

    def store(self, refs: npt.NDArray[np.int64], labels: Sequence[Labels], segment: int) -> None:
        """Records series definitions read from WAL segment `segment`; a known ref only has its
        segment refreshed (refs are never reused, so its labels cannot have changed)."""
        with self._lock:
            if len(refs):
                self._grow_refs(int(refs.max()) + 1)
            self._segment[refs] = segment
            new = np.flatnonzero(self._start[refs] == UNKNOWN).tolist()
            for i in new:
                self._store_one(int(refs[i]), labels[i])

    def _store_one(self, ref: int, labels: Labels) -> None:
        sent = relabel(with_external_labels(labels, self._external), self._relabel) if self._relabel \
            else with_external_labels(labels, self._external)
        if sent is None or not len(sent):
            self._start[ref] = DROPPED
            return
        encoded = encode_label_fields(sent)
        if self._used + len(encoded) > len(self._blob):
            bigger = np.empty(max(2 * len(self._blob), self._used + len(encoded)), dtype=np.uint8)
            bigger[: self._used] = self._blob[: self._used]
            self._blob = bigger
        self._blob[self._used : self._used + len(encoded)] = np.frombuffer(encoded, dtype=np.uint8)
        self._start[ref] = self._used
        self._end[ref] = self._used + len(encoded)
        self._used += len(encoded)
        self._live_bytes += len(encoded)

    def _grow_refs(self, needed: int) -> None:
        if needed <= len(self._start):
            return
        size = max(needed, 2 * len(self._start))
        self._start = np.concatenate([self._start, np.full(size - len(self._start), UNKNOWN, np.int64)])
        self._end = np.concatenate([self._end, np.zeros(size - len(self._end), np.int64)])
        self._segment = np.concatenate([self._segment, np.full(size - len(self._segment), -1, np.int64)])

    def lookup(self, refs: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """`label_start` of each ref: >= 0 to send, DROPPED by relabelling, UNKNOWN never stored."""
        with self._lock:
            inside = (refs >= 0) & (refs < len(self._start))
            found = np.full(len(refs), UNKNOWN, dtype=np.int64)
            found[inside] = self._start[refs[inside]]
            return found

    def table(self) -> LabelTable:
        with self._lock:
            return LabelTable(self._blob, self._start, self._end)

    def reset(self, segment: int) -> int:
        """Forgets series the WAL no longer defines (Prometheus's `SeriesReset`, called after a WAL
        checkpoint re-announced the live ones) and compacts the blob once most of it is dead; returns
        how many were forgotten. Forgetting lags one reset behind, so samples already queued for a
        series (its staleness markers, typically) still find its labels when they are sent."""
        with self._lock:
            previous, self._reset_segment = self._reset_segment, segment
            stale = np.flatnonzero((self._segment >= 0) & (self._segment < previous))
            sent = stale[self._start[stale] >= 0]
            self._live_bytes -= int((self._end[sent] - self._start[sent]).sum())
            self._start = self._start.copy()
            self._start[stale] = UNKNOWN
            self._segment[stale] = -1
            if self._used > 2 * self._live_bytes + 4096:
                self._compact()
            return len(stale)

    def _compact(self) -> None:
        live = np.flatnonzero(self._start >= 0)
        lengths = self._end[live] - self._start[live]
        blob = np.empty(max(4096, int(lengths.sum())), dtype=np.uint8)
        start = self._start.copy()
        end = self._end.copy()
        position = 0
        for ref, a, b in zip(live.tolist(), self._start[live].tolist(), self._end[live].tolist(), strict=True):
            blob[position : position + b - a] = self._blob[a:b]
            start[ref], end[ref] = position, position + b - a
            position += b - a
        # New arrays, so a snapshot taken by a sender before the compaction stays valid.
        self._blob, self._start, self._end, self._used = blob, start, end, position
