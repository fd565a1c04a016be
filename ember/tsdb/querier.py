"""The database's `Querier`: the head and the blocks overlapping a time range, merged.

Each read takes the head first and the block list after it. A head cut keeps its samples readable in the
head until their block is in the list, so whichever side of a cut a read falls on, every sample is in
one of the two (or in both, which the merge resolves); a block list taken before the head could miss a
window the cut moved in between."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ember.model.matchers import Matcher
from ember.storage.interface import MAX_TIME, MIN_TIME
from ember.storage.series_set import SeriesSet, merge_series_sets

if TYPE_CHECKING:
    from ember.tsdb.block_reader import Block
    from ember.tsdb.head import Head


class DBQuerier:
    def __init__(self, head: Head, blocks: Callable[[], Sequence[Block]]) -> None:
        self._head = head
        self._blocks = blocks  # the database's current list, read after the head on every call
        self._closed = False

    def _blocks_in(self, mint: int, maxt: int) -> list[Block]:
        if self._closed:
            return []
        return [b for b in self._blocks() if b.meta.min_time <= maxt and b.meta.max_time > mint]

    def select(self, matchers: Sequence[Matcher], mint: int, maxt: int) -> SeriesSet:
        in_head = self._head.select(matchers, mint, maxt)
        parts = [b.select(matchers, mint, maxt) for b in self._blocks_in(mint, maxt)]
        parts.append(in_head)  # last: on equal timestamps the head's sample wins, as before
        return merge_series_sets(parts)

    def label_names(
        self, matchers: Sequence[Matcher] = (), mint: int = MIN_TIME, maxt: int = MAX_TIME
    ) -> list[str]:
        names: set[str] = set(self._head_label_names(matchers))
        for block in self._blocks_in(mint, maxt):
            names.update(block.label_names(matchers, mint, maxt))
        return sorted(names)

    def label_values(
        self, name: str, matchers: Sequence[Matcher] = (), mint: int = MIN_TIME, maxt: int = MAX_TIME
    ) -> list[str]:
        values: set[str] = set(self._head_label_values(name, matchers))
        for block in self._blocks_in(mint, maxt):
            values.update(block.label_values(name, matchers, mint, maxt))
        return sorted(values)

    def _head_label_names(self, matchers: Sequence[Matcher]) -> list[str]:
        head = self._head
        with head.lock:
            if not matchers:
                return head.series.postings.label_names()
            refs = head.series_refs(matchers)
            return sorted({n for ref in refs for n in head.series.labels(ref).names()})

    def _head_label_values(self, name: str, matchers: Sequence[Matcher]) -> list[str]:
        head = self._head
        with head.lock:
            if not matchers:
                return list(head.series.postings.label_values(name))
            refs = head.series_refs(matchers)
            return sorted({v for ref in refs if (v := head.series.labels(ref).get(name))})

    def close(self) -> None:
        self._closed = True
