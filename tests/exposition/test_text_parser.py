"""Tests for ember/exposition/text_parser.py."""

from __future__ import annotations

import gzip
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.exposition.parse_error import ParseError
from ember.exposition.series_cache import SeriesCache
from ember.exposition.text_parser import parse_text
from ember.model.labels import Labels
from ember.model.samples import STALE_NAN_BITS
from tests.exposition.conformance_data import SKIP_REASON, conformance_dir
from tests.exposition.exposition_strategies import escape, label_sets, sample_values, spell_value
from tests.exposition.reference_text_parser import reference_parse


def test_plain_samples_with_labels_timestamps_and_metadata() -> None:
    body = (
        "# HELP http_requests_total The total.\n"
        "# TYPE http_requests_total counter\n"
        'http_requests_total{method="post",code="200"} 1027 1395066363000\n'
        'http_requests_total{method="post",code="400"}    3\n'
        "\n"
        "# A plain comment\n"
        "metric_without_labels 12.47\n"
    )
    scrape = parse_text(body)
    assert scrape.series_text == [
        'http_requests_total{method="post",code="200"}',
        'http_requests_total{method="post",code="400"}',
        "metric_without_labels",
    ]
    assert scrape.labels[0] == Labels.from_strings(
        "__name__", "http_requests_total", "method", "post", "code", "200"
    )
    assert scrape.values.tolist() == [1027.0, 3.0, 12.47]
    assert scrape.has_timestamp.tolist() == [True, False, False]
    assert scrape.timestamps_ms[0] == 1395066363000
    family = scrape.family_of(0)
    assert family is not None and (family.type, family.help) == ("counter", "The total.")
    assert scrape.family_of(2) is None


def test_special_values_and_escapes() -> None:
    body = (
        'a{path="C:\\\\dir\\\\",msg="say \\"hi\\"\\nbye",odd="\\z"} +Inf\n'
        "b -Inf\n"
        "c NaN\n"
        "d 0x1p-2\n"
        "e 1e3\n"
    )
    scrape = parse_text(body)
    labels = scrape.labels[0]
    assert labels.get("path") == "C:\\dir\\"
    assert labels.get("msg") == 'say "hi"\nbye'
    assert labels.get("odd") == "\\z"
    values = scrape.values
    assert values[0] == math.inf and values[1] == -math.inf and math.isnan(values[2])
    assert values[3] == 0.25 and values[4] == 1000.0


def test_quoted_utf8_names_and_trailing_comma() -> None:
    scrape = parse_text('{"my.metric", "la.bel"="x", job="j",} 1\n# TYPE "my.metric" gauge\n')
    assert scrape.labels[0] == Labels.from_strings("__name__", "my.metric", "la.bel", "x", "job", "j")


def test_histogram_and_summary_samples_join_their_family() -> None:
    body = (
        "# TYPE h histogram\n"
        'h_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 3\nh_count 2\n'
        "# TYPE s summary\n"
        's{quantile="0.5"} 1\ns_sum 1\ns_count 1\nother 1\n'
    )
    scrape = parse_text(body)
    assert scrape.family_index.tolist() == [0, 0, 0, 0, 1, 1, 1, -1]
    assert [f.type for f in scrape.families] == ["histogram", "summary"]


@pytest.mark.parametrize(
    ("body", "line", "reason"),
    [
        ('a{b="c",b="d"} 1\n', 1, "duplicate label name"),
        ("ok 1\na{1b=\"c\"} 1\n", 2, "invalid label set"),
        ("ok 1\n\nbad-name 1\n", 3, "invalid metric name"),
        ("a 1 2 3\n", 1, "expected a value"),
        ("a\n", 1, "expected a value"),
        ("a 1\nb one\n", 2, "invalid value"),
        ("a 1_000\n", 1, "invalid value"),
        ("a 1 12.5\n", 1, "invalid timestamp"),
        ("a 1 99999999999999999999\n", 1, "invalid timestamp"),
        ("# TYPE a gauge\n# TYPE a histo\n", 2, "invalid metric type"),
        ('a{b="unterminated} 1\n', 1, "invalid label set"),
        ("a{} 1\n{} 2\n", 2, "metric name missing"),
    ],
)
def test_malformed_lines_name_line_and_reason(body: str, line: int, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_text(body)
    assert caught.value.line == line
    assert reason in caught.value.reason


def test_invalid_utf8_names_its_line() -> None:
    with pytest.raises(ParseError) as caught:
        parse_text(b"a 1\nb{x=\"\xff\"} 1\n")
    assert caught.value.line == 2


def test_gzip_body_is_not_parsed_as_text() -> None:
    # Decompression is the caller's step (scrape_body); a raw gzip body is a clear error, not a crash.
    with pytest.raises(ParseError):
        parse_text(gzip.compress(b"a 1\n"))


def test_huge_line_is_linear_not_quadratic() -> None:
    labels = ",".join(f'l{i}="{"x" * 50}"' for i in range(2000))
    body = f"a{{{labels}}} 1\n" + "b{" + '"' * 100_000 + "\n"
    with pytest.raises(ParseError) as caught:
        parse_text(body)
    assert caught.value.line == 2


def test_cache_hits_reuse_entries_and_build_no_labels() -> None:
    cache = SeriesCache()
    body = 'a{x="1"} 1\na{x="2"} 2\n'
    first = parse_text(body, cache)
    second = parse_text(body.replace(" 1\n", " 5\n"), cache)
    assert all(a is b for a, b in zip(first.entries, second.entries, strict=True))
    assert second.values.tolist() == [5.0, 2.0]
    assert len(cache) == 2


def test_stale_nan_bits_are_not_produced_by_a_nan_spelling() -> None:
    values = parse_text("a NaN\n").values
    assert values.view(np.uint64)[0] != STALE_NAN_BITS


@st.composite
def text_bodies(draw: st.DrawFn) -> str:
    lines = []
    for labels in draw(st.lists(label_sets(), max_size=6)):
        name = labels.metric_name
        items = [f'"{escape(n)}"="{escape(v)}"' for n, v in labels if n != "__name__"]
        blank = draw(st.sampled_from(["", " ", "\t "]))
        if name.isidentifier() and name.isascii():
            braces = bool(items) or draw(st.booleans())
            series = name + (("{" + f",{blank}".join(items) + "}") if braces else "")
        else:
            series = "{" + f",{blank}".join([f'"{escape(name)}"', *items]) + "}"
        value = spell_value(draw(sample_values), draw(st.integers(0, 2)))
        stamp = draw(st.one_of(st.none(), st.integers(-(2**62), 2**62)))
        lines.append(f"{series}{blank} {value}" + (f" {stamp}" if stamp is not None else ""))
        if draw(st.booleans()):
            lines.append("# a comment")
    return "\n".join(lines) + "\n"


@settings(max_examples=150, deadline=None)
@given(text_bodies())
def test_fast_parser_matches_reference_parser(body: str) -> None:
    expected = reference_parse(body)
    scrape = parse_text(body)
    assert [labels.to_dict() for labels in scrape.labels] == [
        {n: v for n, v in labels.items() if v} for labels, _, _ in expected
    ]
    np.testing.assert_array_equal(scrape.values, [value for _, value, _ in expected])
    stamps = zip(scrape.timestamps_ms, scrape.has_timestamp, strict=True)
    assert [int(t) if has else None for t, has in stamps] == [stamp for _, _, stamp in expected]


@settings(max_examples=60, deadline=None)
@given(text_bodies())
def test_warm_cache_gives_the_same_result_as_cold(body: str) -> None:
    cache = SeriesCache()
    cold = parse_text(body, cache)  # every series is a miss: the per-line path
    warm = parse_text(body, cache)  # blocks of plain `series value` lines take the whole-block path
    assert cold.series_text == warm.series_text
    assert cold.labels == warm.labels
    np.testing.assert_array_equal(cold.values, warm.values)
    np.testing.assert_array_equal(cold.family_index, warm.family_index)
    np.testing.assert_array_equal(cold.timestamps_ms, warm.timestamps_ms)
    np.testing.assert_array_equal(cold.has_timestamp, warm.has_timestamp)


@pytest.mark.parametrize("name", ["alltypes.237mfs.prom.txt", "alltypes.237mfs.nometa.prom.txt"])
def test_prometheus_textparse_corpus(name: str) -> None:
    root = conformance_dir()
    if root is None:
        pytest.skip(SKIP_REASON)
    scrape = parse_text((root / "textparse" / name).read_bytes())
    assert len(scrape) == 1857
    assert len(set(scrape.series_text)) == 1857
    if "nometa" in name:
        assert scrape.families == [] and (scrape.family_index == -1).all()
    else:
        assert len(scrape.families) == 237
        assert (scrape.family_index >= 0).all()
        kinds = [f.type for f in scrape.families]
        assert (kinds.count("counter"), kinds.count("gauge")) == (112, 97)
        assert (kinds.count("histogram"), kinds.count("summary")) == (15, 13)
    assert Labels.from_strings("__name__", "go_goroutines") in set(scrape.labels)


def test_huge_numbers_are_errors_not_crashes() -> None:
    with pytest.raises(ParseError, match="invalid timestamp"):
        parse_text(f"a 1 {'9' * 5000}\n")
    assert parse_text(f"a {'9' * 5000}\n").values[0] == math.inf
