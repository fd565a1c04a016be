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


digit_runs = st.text(alphabet="0123456789", max_size=24)
decimal_texts = st.builds(
    lambda sign, whole, dot, fraction, exponent: f"{sign}{whole}{dot}{fraction}{exponent}",
    st.sampled_from(["", "+", "-"]),
    digit_runs,
    st.sampled_from(["", "."]),
    digit_runs,
    st.one_of(st.just(""), st.builds(lambda e, s, d: f"{e}{s}{d}", st.sampled_from("eE"),
                                     st.sampled_from(["", "+", "-"]), st.text(alphabet="0123456789", max_size=5))),
)
float_spellings = st.builds(
    lambda value, form: form.format(value),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["{!r}", "{:.17e}", "{:.17g}", "{:.16e}", "{:.3f}", "{:g}", "{:.0f}"]),
)
odd_texts = st.sampled_from([
    "NaN", "nan", "+Inf", "-Inf", "Inf", "inf", "Infinity", "+NaN", "0x1p3", "1_000", "1e308", "1e-400", "",
    ".", "+", "-", "1e", "1e+", "..5", "1..2", "0.1000000000000000055511151231257827", "9007199254740993",
    "9007199254740992", "1e22", "1e23", "123456789012345678", "-0", "-0.0e5", "\u0661", "1 2", "1#", " 1",
    "2.2250738585072014e-308", "2.2250738585072011e-308", "4.9e-324", "1.7976931348623157e308",
    "1.7976931348623159e308", "9007199254740993e-1", "7.038531e-26",
])
value_spellings = st.one_of(decimal_texts, float_spellings, odd_texts)
"""Number tokens as bodies may hold them: every decimal shape, float reprs, and odd or invalid ones."""
