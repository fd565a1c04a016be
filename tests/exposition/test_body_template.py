"""The body template (ember/exposition/body_template.py), through `ScrapeBodyParser`: a body read
through the template is exactly what the full parser makes of it, and anything but a value change
falls back to the full parser."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ember.exposition import ParsedScrape, ParseError, ScrapeBodyParser, SeriesCache, parse_openmetrics, parse_text
from ember.exposition.body_template import BodyTemplate
from ember.exposition.writer import format_series
from ember.model.labels import Labels
from tests.exposition.exposition_strategies import label_sets, utf8_names

TEXT = "text/plain; version=0.0.4"
OPENMETRICS = "application/openmetrics-text; version=1.0.0"

common_values = st.one_of(
    st.integers(-(2**60), 2**60).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.floats(allow_nan=False, allow_infinity=False).map("{:.17e}".format),
    st.sampled_from(["NaN", "nan", "+Inf", "-Inf", "Inf", "inf", "-0", "0.0", "1e308", "-1e-308", "4.9e-324",
                     "0.1000000000000000055511151231257827", "123456789012345678901234567890", "1.", ".5",
                     "+3", "1E5", "Infinity", "-nan"]),
)
text_only_values = st.sampled_from(["0x1p3", "-0X1.8P-2", "0x.8p1"])
bad_values = st.sampled_from(["1_000", "x", "", "1e", "0x1p3 ", "\u0661", "1,5"])


def _body(names: list[str], values: list[str], *, openmetrics: bool, help_text: str = "a metric") -> bytes:
    """A body of gauge families, one series per name (labelled and not), in `names` order."""
    lines = []
    for index, (name, value) in enumerate(zip(names, values, strict=True)):
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
        series = f'{name}{{i="{index}",path="/a b}}"}}' if index % 2 else name
        lines.append(f"{series} {value}")
    if openmetrics:
        lines.append("# EOF")
    return ("\n".join(lines) + "\n").encode()


def _full(body: bytes, *, openmetrics: bool) -> ParsedScrape:
    return parse_openmetrics(body, SeriesCache()) if openmetrics else parse_text(body, SeriesCache())


def assert_same_scrape(got: ParsedScrape, expected: ParsedScrape) -> None:
    assert got.series_text == expected.series_text
    assert [e.labels for e in got.entries] == [e.labels for e in expected.entries]
    assert got.values.view(np.uint64).tolist() == expected.values.view(np.uint64).tolist()
    assert got.has_timestamp.tolist() == expected.has_timestamp.tolist()
    assert got.timestamps_ms[got.has_timestamp].tolist() == expected.timestamps_ms[expected.has_timestamp].tolist()
    assert got.family_index.tolist() == expected.family_index.tolist()
    assert got.families == expected.families
    assert got.exemplars == expected.exemplars


names = st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True), min_size=1, max_size=6, unique=True)


class ValueChange:
    """A parser that has read a body of gauges, and the next body of the same series with other values
    (sent gzipped or not)."""

    def __init__(self, metric_names: list[str], data: st.DataObject, openmetrics: bool, compressed: bool) -> None:
        values = common_values if openmetrics else st.one_of(common_values, text_only_values)
        first_values = data.draw(st.lists(values, min_size=len(metric_names), max_size=len(metric_names)))
        second_values = data.draw(st.lists(values, min_size=len(metric_names), max_size=len(metric_names)))
        self.parser = ScrapeBodyParser()
        self.content_type = OPENMETRICS if openmetrics else TEXT
        self.first = self.parser.parse(_body(metric_names, first_values, openmetrics=openmetrics),
                                       self.content_type).scrape
        self.second_body = _body(metric_names, second_values, openmetrics=openmetrics)
        self.sent = gzip.compress(self.second_body) if compressed else self.second_body
        self.encoding = "gzip" if compressed else None
        self.grown = _body([*metric_names, "zz_new"], [*second_values, "1"], openmetrics=openmetrics)


@settings(max_examples=150, deadline=None)
@given(names, st.data(), st.booleans(), st.booleans())
def test_value_changes_read_through_the_template_equal_the_full_parse(
    metric_names: list[str], data: st.DataObject, openmetrics: bool, compressed: bool
) -> None:
    change = ValueChange(metric_names, data, openmetrics, compressed)
    second = change.parser.parse(change.sent, change.content_type, change.encoding).scrape
    assert second.series_text is change.first.series_text  # read through the template
    assert_same_scrape(second, _full(change.second_body, openmetrics=openmetrics))


@settings(max_examples=100, deadline=None)
@given(names, st.data(), st.booleans(), st.booleans())
def test_steady_values_are_the_full_parses_values_for_the_templates_own_series_only(
    metric_names: list[str], data: st.DataObject, openmetrics: bool, compressed: bool
) -> None:
    change = ValueChange(metric_names, data, openmetrics, compressed)
    parser, texts = change.parser, change.first.series_text
    assert parser.steady_values(change.sent, change.content_type, change.encoding, list(texts)) is None  # equal
    got = parser.steady_values(change.sent, change.content_type, change.encoding, texts)
    assert got is not None
    expected = _full(change.second_body, openmetrics=openmetrics).values
    assert got.view(np.uint64).tolist() == expected.view(np.uint64).tolist()
    other_format = TEXT if openmetrics else OPENMETRICS
    assert parser.steady_values(change.sent, other_format, change.encoding, texts) is None
    assert parser.steady_values(change.grown, change.content_type, None, texts) is None


def test_steady_values_without_a_template_is_none() -> None:
    assert ScrapeBodyParser().steady_values(b"a 1\n", TEXT, None, ["a"]) is None
    parser = ScrapeBodyParser()
    stamped = parser.parse(b"a 1 1000\n", TEXT).scrape  # timestamps: no template is kept
    assert parser.steady_values(b"a 2 1000\n", TEXT, None, stamped.series_text) is None


@settings(max_examples=100, deadline=None)
@given(st.lists(label_sets(st.one_of(utf8_names, st.sampled_from(["a", "le"]))), min_size=1, max_size=5,
                unique_by=lambda labels: tuple(labels)), st.data(), st.booleans())
def test_any_series_spelling_reads_through_the_template(
    series: list[Labels], data: st.DataObject, openmetrics: bool
) -> None:
    count = len(series)
    first_values, second_values = (data.draw(st.lists(common_values, min_size=count, max_size=count)) for _ in "ab")
    texts = [format_series(labels) for labels in series]

    def body(values: list[str]) -> bytes:
        lines = [f"{text} {value}" for text, value in zip(texts, values, strict=True)]
        return ("\n".join(lines) + ("\n# EOF\n" if openmetrics else "\n")).encode()

    try:
        _full(body(first_values), openmetrics=openmetrics)
    except ParseError:
        assume(False)  # e.g. OpenMetrics families interleaved: not this test's concern
    parser = ScrapeBodyParser()
    content_type = OPENMETRICS if openmetrics else TEXT
    first = parser.parse(body(first_values), content_type).scrape
    second = parser.parse(body(second_values), content_type).scrape
    assert second.series_text is first.series_text
    assert_same_scrape(second, _full(body(second_values), openmetrics=openmetrics))


@settings(max_examples=60, deadline=None)
@given(names, st.data(), st.booleans())
def test_an_invalid_value_gets_the_full_parsers_error(
    metric_names: list[str], data: st.DataObject, openmetrics: bool
) -> None:
    count = len(metric_names)
    first_values = ["1"] * count
    second_values = data.draw(st.lists(st.one_of(common_values, bad_values), min_size=count, max_size=count))
    bad = data.draw(st.integers(0, count - 1))
    second_values[bad] = data.draw(bad_values if openmetrics else bad_values.filter(lambda v: v != "0x1p3 "))
    parser = ScrapeBodyParser()
    content_type = OPENMETRICS if openmetrics else TEXT
    first_body = _body(metric_names, first_values, openmetrics=openmetrics)
    parser.parse(first_body, content_type)
    second_body = _body(metric_names, second_values, openmetrics=openmetrics)
    # The full parser's message for some lines depends on whether the series is cached ("a \n" is an
    # invalid value '' when "a" is known, a missing value otherwise), so it gets a cache as warm as the
    # template parser's.
    warm = SeriesCache()
    (parse_openmetrics if openmetrics else parse_text)(first_body, warm)
    with pytest.raises(ParseError) as expected:
        (parse_openmetrics if openmetrics else parse_text)(second_body, warm)
    with pytest.raises(ParseError) as got:
        parser.parse(second_body, content_type)
    assert str(got.value) == str(expected.value)


TEXT_BASE = b'# HELP a help of a\n# TYPE a counter\na{x="1"} 1\na{x="2"} 2\nb 3\n'
TEXT_CHANGES = {
    "new series": TEXT_BASE + b"c 4\n",
    "changed label": TEXT_BASE.replace(b'x="2"', b'x="3"'),
    "reordered lines": b'# HELP a help of a\n# TYPE a counter\na{x="2"} 2\na{x="1"} 1\nb 3\n',
    "timestamp": TEXT_BASE.replace(b"b 3", b"b 3 1000"),
    "help text": TEXT_BASE.replace(b"help of a", b"help of A"),
    "type": TEXT_BASE.replace(b"counter", b"gauge"),
    "extra blank": TEXT_BASE.replace(b"b 3", b"b  3"),
    "dropped newline": TEXT_BASE[:-1],
    "comment added": TEXT_BASE + b"# just a comment\n",
}
OM_BASE = b'# HELP a help of a\n# TYPE a counter\na_total{x="1"} 1\na_total{x="2"} 2\n# EOF\n'
OM_CHANGES = {
    "exemplar": OM_BASE.replace(b'x="1"} 1', b'x="1"} 1 # {trace="t"} 1'),
    "timestamp": OM_BASE.replace(b'x="1"} 1', b'x="1"} 1 1.5'),
    "unit": OM_BASE.replace(b"# TYPE", b"# UNIT a seconds\n# TYPE"),
    "help text": OM_BASE.replace(b"help of a", b"help of A"),
    "new series": OM_BASE.replace(b"# EOF", b'a_total{x="3"} 3\n# EOF'),
}


@pytest.mark.parametrize(
    ("base", "changed", "openmetrics"),
    [(TEXT_BASE, body, False) for body in TEXT_CHANGES.values()]
    + [(OM_BASE, body, True) for body in OM_CHANGES.values()],
    ids=[f"text-{k}" for k in TEXT_CHANGES] + [f"openmetrics-{k}" for k in OM_CHANGES],
)
def test_any_change_but_values_falls_back_to_the_full_parser(base: bytes, changed: bytes, openmetrics: bool) -> None:
    parser = ScrapeBodyParser()
    content_type = OPENMETRICS if openmetrics else TEXT
    first = parser.parse(base, content_type).scrape
    try:
        expected = _full(changed, openmetrics=openmetrics)
    except ParseError as error:
        with pytest.raises(ParseError, match=str(error)):
            parser.parse(changed, content_type)
        return
    second = parser.parse(changed, content_type).scrape
    assert second.series_text is not first.series_text
    assert_same_scrape(second, expected)


def test_the_template_follows_the_last_body() -> None:
    parser = ScrapeBodyParser()
    first = parser.parse(TEXT_BASE, TEXT).scrape
    grown = TEXT_CHANGES["new series"]
    second = parser.parse(grown, TEXT).scrape
    third = parser.parse(grown.replace(b"c 4", b"c 5"), TEXT).scrape
    assert second.series_text is not first.series_text
    assert third.series_text is second.series_text and third.values.tolist() == [1.0, 2.0, 3.0, 5.0]


def test_a_format_change_parses_fully() -> None:
    parser = ScrapeBodyParser()
    body = b"a 1\n# EOF\n"
    text = parser.parse(body, TEXT).scrape
    assert len(text) == 1  # the text format reads "# EOF" as a comment
    openmetrics = parser.parse(body, OPENMETRICS).scrape
    assert openmetrics.series_text is not text.series_text
    assert_same_scrape(openmetrics, _full(body, openmetrics=True))


@pytest.mark.parametrize(
    "body",
    [b"a 1 1000\n", b"a 1 \n", b"a{b=\"c\"}1\n", b"a\t1\n"],
    ids=["timestamp", "trailing blank", "no blank", "tab"],
)
def test_eligible_and_ineligible_bodies(body: bytes) -> None:
    scrape = parse_text(body)
    template = BodyTemplate.build(body, scrape, openmetrics=False)
    eligible = not scrape.has_timestamp.any() and not body.endswith(b" \n")
    assert (template is not None) == eligible
    if template is not None:
        assert template.match(body.replace(b"1\n", b"7\n")) is not None
