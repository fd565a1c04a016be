"""Tests for ember/exposition/simple_block.py: the whole-block fast path equals a per-line reference."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ember.exposition.series_cache import CachedSeries, SeriesCache
from ember.exposition.simple_block import split_at_comment_lines, split_simple_block

_KNOWN_TEXTS = ["up", 'up{job="a"}', 'up{job="a b"}', "NaN", 'x{l="1 2 3"}']


def reference_split(
    block: str, known: dict[str, CachedSeries]
) -> tuple[list[str], list[CachedSeries], list[str]] | None:
    """Per-line: every line must be `KEY VALUE` (the key is everything before the last space, the
    value has no space) with a known key."""
    keys, entries, values = [], [], []
    for line in block.split("\n"):
        key, space, value = line.rpartition(" ")
        if not space or " " in value or key not in known:
            return None
        if line.count(" ") != 1:  # the fast path also refuses keys holding blanks
            return None
        keys.append(key)
        entries.append(known[key])
        values.append(value)
    return keys, entries, values


lines = st.one_of(
    st.builds(
        lambda k, v: f"{k} {v}", st.sampled_from([*_KNOWN_TEXTS, "new"]), st.sampled_from(["1", "NaN", "up"])
    ),
    st.sampled_from(["", "up", "up 1 2", "up  1", "up\t1", " up 1", "up 1 "]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(lines, min_size=1, max_size=6))
def test_fast_split_matches_reference(block_lines: list[str]) -> None:
    cache = SeriesCache()
    for text in _KNOWN_TEXTS:
        cache.resolve(text, openmetrics=False)
    known = cache.mapping(openmetrics=False)
    block = "\n".join(block_lines)
    expected = reference_split(block, known)
    actual = split_simple_block(block, known)
    if expected is None:
        assert actual is None
    else:
        assert actual is not None
        assert (actual.keys, actual.entries, actual.value_texts) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="#\n a}", max_size=30))
def test_comment_split_equals_str_split(text: str) -> None:
    assert split_at_comment_lines(text) == text.split("\n#")
