"""The database's `RowWriter`: a steady scrape's append and commit as one compiled pass and one WAL write.

A target whose series set repeats sends, scrape after scrape, a row of the same refs into the same
generation. Through an `Appender` that row is checked and classified twice, staged, sorted, compared with
the generation's refs and wrapped in a record object: a few dozen Python and numpy calls, which cost more
than the samples themselves. The writer is bound to the generation once. For each row the head
(`Head.append_steady_row`) checks that the generation is still the group's current one and, in one compiled
pass, that every sample is newer than its series' newest; it writes the row into the frame and advances
the series' state. The writer then logs the same `GroupSamplesRecord` bytes a commit would log, sealed in a
buffer it reuses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ember.model.samples import Float64Array, Int64Array
from ember.tsdb import append_kernels as kernels
from ember.tsdb.head_generation import Generation
from ember.tsdb.wal_records import GroupSamplesFrame

if TYPE_CHECKING:
    from ember.tsdb.db import DB

_NO_ORDER = np.empty(0, dtype=np.int64)


class GenerationRowWriter:
    """Rows of one group's current generation; `order` is the argsort of the caller's refs (empty when
    they are sorted already)."""

    def __init__(self, db: DB, group: str, generation: Generation, order: Int64Array) -> None:
        self._db = db
        self._head = db.head
        self._group = group
        self._generation = generation
        self._order = order
        self._frame = GroupSamplesFrame(generation.set_id, len(generation.refs))

    @classmethod
    def bind(cls, db: DB, group: str, refs: Int64Array) -> GenerationRowWriter | None:
        """A writer when the group's current generation holds exactly `refs`, else None."""
        head = db.head
        with head.lock:
            generation = head.current_generation(group)
            if generation is None or len(generation.refs) != len(refs):
                return None
            order = _NO_ORDER if kernels.strictly_increasing(refs) else np.argsort(refs, kind="stable")
            in_order = refs if order is _NO_ORDER else refs[order]
            if not kernels.same_refs(generation.refs, in_order):
                return None
            return cls(db, group, generation, order)

    def write(self, timestamp: int, first: Float64Array, second: Float64Array) -> bool:
        head = self._head
        frame = self._frame
        with head.lock:
            if not head.append_steady_row(self._group, self._generation, self._order, first, second, timestamp,
                                          frame.values):
                return False
            self._db.wal.log((frame.seal(timestamp),))
        self._db.metrics.samples_appended_total += len(frame.values)
        return True
