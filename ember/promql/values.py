"""The values a PromQL node evaluates to, for all steps of a query at once.

An instant vector is a `[series, steps]` float array plus a presence mask (NaN is a legal sample value,
so absence needs its own mask). A range vector keeps its samples in CSR layout with the evaluation
times of its windows. Scalars are one float per step. Delayed `__name__` removal (Prometheus 3 with the
feature on) is a per-series `drop_name` flag applied when the query finishes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ember.model.labels import Labels

FloatMatrix = npt.NDArray[np.float64]
BoolMatrix = npt.NDArray[np.bool_]
Int64Array = npt.NDArray[np.int64]
Float64Array = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


METADATA_LABELS = ("__name__", "__type__", "__unit__")


def without_metric_identity(labels: Labels) -> Labels:
    """Drops `__name__` and, with it, the `__type__`/`__unit__` metadata labels (Prometheus 3)."""
    flat = labels.flat
    if flat and flat[0] == "__name__" and (len(flat) < 3 or not flat[2].startswith("__")):
        return Labels._from_sorted_flat(flat[2:])  # the usual case: the name is the first label
    return labels_without(labels, METADATA_LABELS)


def labels_without(labels: Labels, names: tuple[str, ...] | frozenset[str]) -> Labels:
    """`labels` minus `names`, filtering the already sorted pairs (no re-sorting on this hot path)."""
    flat = labels.flat
    kept = tuple(
        item for i in range(0, len(flat), 2) if flat[i] not in names for item in (flat[i], flat[i + 1])
    )
    return labels if len(kept) == len(flat) else Labels._from_sorted_flat(kept)


def labels_keeping(labels: Labels, names: tuple[str, ...] | frozenset[str]) -> Labels:
    """Only the pairs of `labels` named in `names` (sorted order kept)."""
    flat = labels.flat
    kept = tuple(
        item for i in range(0, len(flat), 2) if flat[i] in names for item in (flat[i], flat[i + 1])
    )
    return labels if len(kept) == len(flat) else Labels._from_sorted_flat(kept)


@dataclass
class InstantVector:
    """Series x steps; `present[s, j]` says whether series s has a sample at step j."""

    labels: list[Labels]
    values: FloatMatrix
    present: BoolMatrix
    drop_name: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))

    def __post_init__(self) -> None:
        if len(self.drop_name) != len(self.labels):
            self.drop_name = np.zeros(len(self.labels), dtype=np.bool_)

    @classmethod
    def empty(cls, steps: int) -> InstantVector:
        return cls([], np.empty((0, steps)), np.zeros((0, steps), dtype=np.bool_))

    @property
    def num_steps(self) -> int:
        return int(self.values.shape[1])

    def __len__(self) -> int:
        return len(self.labels)

    def take(self, rows: npt.ArrayLike) -> InstantVector:
        """The sub-vector of the given series rows (indices or a boolean mask)."""
        index = np.asarray(rows)
        index = np.flatnonzero(index) if index.dtype == np.bool_ else index.astype(np.int64)
        return InstantVector(
            [self.labels[int(i)] for i in index],
            self.values[index],
            self.present[index],
            self.drop_name[index],
        )

    def nonempty(self) -> InstantVector:
        """Drops series with no sample at any step."""
        keep = self.present.any(axis=1)
        return self if keep.all() else self.take(keep)

    def effective_labels(self) -> list[Labels]:
        """Labels as they will be reported: `__name__` removed where it is to be dropped."""
        return [
            without_metric_identity(lb) if drop else lb
            for lb, drop in zip(self.labels, self.drop_name.tolist(), strict=True)
        ]


@dataclass
class RangeVector:
    """Samples of each series in CSR layout (stale markers removed), and the window ends per step.

    The window of step j is `(eval_times[j] - range_ms, eval_times[j]]` (left-open, Prometheus 3).
    """

    labels: list[Labels]
    offsets: Int64Array
    timestamps: Int64Array
    values: Float64Array
    eval_times: Int64Array
    range_ms: int
    drop_name: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))

    def __post_init__(self) -> None:
        if len(self.drop_name) != len(self.labels):
            self.drop_name = np.zeros(len(self.labels), dtype=np.bool_)

    def __len__(self) -> int:
        return len(self.labels)


@dataclass
class ScalarValue:
    """One float per step."""

    values: Float64Array


@dataclass
class StringValue:
    value: str


Value = InstantVector | RangeVector | ScalarValue | StringValue


DUPLICATE_LABELSET = "vector cannot contain metrics with the same labelset"


def merge_rows_by_labels(vector: InstantVector, labels: list[Labels]) -> InstantVector:
    """Relabels `vector` with `labels`, merging rows that now share a label set.

    Rows with the same labels may share a series only where they never have a sample at the same step
    (Prometheus merges non-overlapping series and fails on overlap).
    """
    from ember.errors import ExecutionError

    first_row: dict[Labels, int] = {}
    groups: list[list[int]] = []
    for row, lb in enumerate(labels):
        index = first_row.setdefault(lb, len(groups))
        if index == len(groups):
            groups.append([row])
        else:
            groups[index].append(row)
    if len(groups) == len(labels):
        return InstantVector(list(labels), vector.values, vector.present, vector.drop_name)
    values = np.empty((len(groups), vector.num_steps))
    present = np.zeros((len(groups), vector.num_steps), dtype=np.bool_)
    drop = np.zeros(len(groups), dtype=np.bool_)
    for g, rows in enumerate(groups):
        if len(rows) > 1 and (vector.present[rows].sum(axis=0) > 1).any():
            raise ExecutionError(DUPLICATE_LABELSET)
        values[g] = vector.values[rows[0]]
        present[g] = vector.present[rows[0]]
        drop[g] = vector.drop_name[rows[0]]
        for row in rows[1:]:
            np.copyto(values[g], vector.values[row], where=vector.present[row])
            present[g] |= vector.present[row]
    return InstantVector([labels[rows[0]] for rows in groups], values, present, drop)
