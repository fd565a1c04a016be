"""Postings: which series carry which label values, as roaring bitmaps, and matcher selection over them.

Both the head's in-memory index and a block's on-disk index implement `LabelIndex`; `select_postings`
turns matchers into the set of series ids the same way for both (DESIGN §3 rule 5: regex matchers run
against the label's sorted value list, then the matching values' bitmaps are unioned).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt
from pyroaring import BitMap

from ember.model.matchers import Matcher, MatchType


class LabelIndex(Protocol):
    def label_names(self) -> list[str]: ...

    def label_values(self, name: str) -> list[str]:
        """Sorted distinct values of `name`."""
        ...

    def postings(self, name: str, value: str) -> BitMap: ...

    def all_postings(self) -> BitMap: ...


def _matching_values(index: LabelIndex, matcher: Matcher, want_match: bool) -> Iterable[str]:
    """Values of `matcher.name` for which `matcher.matches(value) == want_match`."""
    if want_match:
        if matcher.type is MatchType.EQUAL:
            return [matcher.value]
        alternatives = matcher.literal_alternatives()
        if alternatives is not None:
            return alternatives
    elif matcher.type is MatchType.NOT_EQUAL:
        return [matcher.value]
    return [v for v in index.label_values(matcher.name) if matcher.matches(v) == want_match]


def _union(index: LabelIndex, name: str, values: Iterable[str]) -> BitMap:
    maps = [index.postings(name, v) for v in values]
    return BitMap.union(*maps) if maps else BitMap()


def select_postings(index: LabelIndex, matchers: Sequence[Matcher]) -> BitMap:
    """Series ids matching all matchers; a label a series lacks reads as the empty string."""
    result: BitMap | None = None
    excluded: list[BitMap] = []
    for matcher in sorted(matchers, key=lambda m: m.matches_empty):
        if matcher.matches_empty:
            # Series without the label match; subtract those whose value does not match.
            excluded.append(_union(index, matcher.name, _matching_values(index, matcher, False)))
        else:
            found = _union(index, matcher.name, _matching_values(index, matcher, True))
            result = found if result is None else result & found
        if result is not None and not result:
            return BitMap()
    if result is None:
        result = BitMap(index.all_postings())
    for drop in excluded:
        result -= drop
    return result


def to_array(bitmap: BitMap) -> npt.NDArray[np.int64]:
    """The ids of a bitmap as a sorted int64 array."""
    return np.asarray(bitmap.to_array(), dtype=np.int64) if bitmap else np.empty(0, dtype=np.int64)


class MemPostings:
    """A mutable in-memory label index (the head's)."""

    def __init__(self) -> None:
        self._postings: dict[str, dict[str, BitMap]] = {}
        self._sorted_values: dict[str, list[str]] = {}
        self._all = BitMap()

    def add(self, series_id: int, pairs: Iterable[tuple[str, str]]) -> None:
        for name, value in pairs:
            values = self._postings.setdefault(name, {})
            bitmap = values.get(value)
            if bitmap is None:
                bitmap = values[value] = BitMap()
                self._sorted_values.pop(name, None)
            bitmap.add(series_id)
        self._all.add(series_id)

    def remove(self, series_ids: BitMap) -> None:
        """Drops series from every posting list, and values left with no series."""
        if not series_ids:
            return
        self._all -= series_ids
        for name in list(self._postings):
            values = self._postings[name]
            for value in list(values):
                values[value] -= series_ids
                if not values[value]:
                    del values[value]
                    self._sorted_values.pop(name, None)
            if not values:
                del self._postings[name]

    def label_names(self) -> list[str]:
        return sorted(self._postings)

    def label_values(self, name: str) -> list[str]:
        cached = self._sorted_values.get(name)
        if cached is None:
            cached = self._sorted_values[name] = sorted(self._postings.get(name, {}))
        return cached

    def postings(self, name: str, value: str) -> BitMap:
        return self._postings.get(name, {}).get(value) or BitMap()

    def all_postings(self) -> BitMap:
        return self._all

    def num_series(self) -> int:
        return len(self._all)

    def value_cardinalities(self) -> dict[str, int]:
        return {name: len(values) for name, values in self._postings.items()}
