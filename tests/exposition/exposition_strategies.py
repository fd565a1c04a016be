"""Hypothesis strategies for exposition bodies: label sets, values and the ways to spell them."""

from __future__ import annotations

import math

from hypothesis import strategies as st

from ember.model.labels import Labels

legacy_names = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,8}", fullmatch=True).filter(
    lambda n: not n.startswith("__")
)
utf8_names = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\n"), min_size=1, max_size=6
)
label_values = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=8)
finite_values = st.floats(allow_nan=False, allow_infinity=False)
sample_values = st.one_of(finite_values, st.sampled_from([math.inf, -math.inf, math.nan]))


@st.composite
def label_sets(draw: st.DrawFn, names: st.SearchStrategy[str] = legacy_names) -> Labels:
    """A label set with a metric name and up to four other labels (non-empty values)."""
    metric = draw(st.one_of(legacy_names, utf8_names))
    others = draw(st.dictionaries(names, label_values.filter(bool), max_size=4))
    others.pop("__name__", None)
    return Labels([("__name__", metric), *others.items()])


def escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def spell_value(value: float, style: int) -> str:
    """`value` in one of several spellings Prometheus accepts."""
    if math.isnan(value):
        return ["NaN", "nan", "NaN"][style % 3]
    if math.isinf(value):
        return ["+Inf", "Inf", "+inf"][style % 3] if value > 0 else ["-Inf", "-inf", "-Inf"][style % 3]
    return [repr(value), f"{value:.17e}", f"{value:.17g}"][style % 3]
