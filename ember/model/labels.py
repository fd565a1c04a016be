"""Label sets: immutable, sorted by name, hashable and cheap to compare.

A `Labels` keeps its pairs flattened in one tuple (`name0, value0, name1, value1, ...`) sorted by name,
with the hash computed once; equality is tuple equality, so set and dict look-ups stay cheap.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping

METRIC_NAME = "__name__"

_LEGACY_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LEGACY_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


def is_valid_metric_name(name: str) -> bool:
    """A metric name as the classic (pre-UTF-8) exposition format allows it unquoted."""
    return _LEGACY_NAME.fullmatch(name) is not None


def is_valid_label_name(name: str) -> bool:
    """A label name as the classic exposition format allows it unquoted."""
    return _LEGACY_LABEL.fullmatch(name) is not None


def escape_label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class Labels:
    """An immutable label set, sorted by name, with no empty values."""

    __slots__ = ("_flat", "_hash")

    _flat: tuple[str, ...]
    _hash: int

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        items = sorted((n, v) for n, v in pairs if v != "")
        flat: list[str] = []
        previous = None
        for name, value in items:
            if name == previous:
                raise ValueError(f"label name {name!r} repeated")
            previous = name
            flat.append(name)
            flat.append(value)
        object.__setattr__(self, "_flat", tuple(flat))
        object.__setattr__(self, "_hash", hash(self._flat))

    @classmethod
    def from_dict(cls, mapping: Mapping[str, str]) -> Labels:
        return cls(mapping.items())

    @classmethod
    def from_strings(cls, *flat: str) -> Labels:
        """`Labels.from_strings("__name__", "up", "job", "api")`."""
        if len(flat) % 2:
            raise ValueError("from_strings needs name/value pairs")
        return cls(zip(flat[::2], flat[1::2], strict=True))

    @classmethod
    def _from_sorted_flat(cls, flat: tuple[str, ...]) -> Labels:
        """Builds from an already sorted, duplicate-free, non-empty flat tuple (internal fast path)."""
        labels = object.__new__(cls)
        object.__setattr__(labels, "_flat", flat)
        object.__setattr__(labels, "_hash", hash(flat))
        return labels

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Labels is immutable")

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Labels):
            return NotImplemented
        return self._hash == other._hash and self._flat == other._flat

    def __lt__(self, other: Labels) -> bool:
        # Names and values alternate in `_flat`, always in whole pairs, so comparing the flat tuples orders
        # exactly as comparing pair by pair (Prometheus's labels.Compare), without building pairs.
        return self._flat < other._flat

    def __len__(self) -> int:
        return len(self._flat) // 2

    def __iter__(self) -> Iterator[tuple[str, str]]:
        flat = self._flat
        for i in range(0, len(flat), 2):
            yield flat[i], flat[i + 1]

    def __contains__(self, name: object) -> bool:
        return self.get(str(name)) != ""

    def __reduce__(self) -> tuple[object, tuple[tuple[str, ...]]]:
        return (Labels._from_sorted_flat, (self._flat,))

    @property
    def flat(self) -> tuple[str, ...]:
        """Names and values alternating, sorted by name."""
        return self._flat

    def names(self) -> list[str]:
        return list(self._flat[::2])

    def get(self, name: str) -> str:
        """The value of `name`, or "" when absent (Prometheus's convention)."""
        flat = self._flat
        for i in range(0, len(flat), 2):
            if flat[i] == name:
                return flat[i + 1]
        return ""

    @property
    def metric_name(self) -> str:
        return self.get(METRIC_NAME)

    def to_dict(self) -> dict[str, str]:
        return dict(self)

    def with_labels(self, **updates: str) -> Labels:
        return self.updated(updates)

    def updated(self, updates: Mapping[str, str]) -> Labels:
        """A copy with `updates` set; an empty value removes the label."""
        merged = self.to_dict()
        merged.update(updates)
        return Labels(merged.items())

    def without(self, *names: str) -> Labels:
        drop = set(names)
        return Labels((n, v) for n, v in self if n not in drop)

    def keep_only(self, *names: str) -> Labels:
        keep = set(names)
        return Labels((n, v) for n, v in self if n in keep)

    def without_metric_name(self) -> Labels:
        if not self._flat or (self._flat[0] != METRIC_NAME and METRIC_NAME not in self._flat[::2]):
            return self
        return self.without(METRIC_NAME)

    def __str__(self) -> str:
        name = self.metric_name
        parts = []
        for n, v in self:
            if n == METRIC_NAME and is_valid_metric_name(v):
                continue
            shown = n if is_valid_label_name(n) else f'"{escape_label_value(n)}"'
            parts.append(f'{shown}="{escape_label_value(v)}"')
        if name and is_valid_metric_name(name):
            return f"{name}{{{', '.join(parts)}}}" if parts else name
        return "{" + ", ".join(parts) + "}"

    def __repr__(self) -> str:
        return f"Labels({self})"


EMPTY_LABELS = Labels()
