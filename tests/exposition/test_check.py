"""Tests for ember/exposition/check.py (`ember check metrics`)."""

from __future__ import annotations

import gzip
import io

import pytest

from ember.exposition.check import Problem, check_metrics, main


def test_valid_bodies_have_no_problems() -> None:
    assert check_metrics(b"# TYPE a gauge\na 1\n") == []
    assert check_metrics(b"# TYPE a gauge\na 1\n# EOF\n", "openmetrics") == []
    assert check_metrics(gzip.compress(b"a 1\n")) == []


def test_parse_error_is_reported_with_its_line() -> None:
    assert check_metrics(b"a 1\nb{ 2\n") == [Problem(2, "invalid label set 'b{'")]


def test_openmetrics_is_checked_strictly() -> None:
    problems = check_metrics(b"# TYPE a counter\na_total -1\n# EOF\n", "openmetrics")
    assert [p.line for p in problems] == [2]
    assert "negative" in problems[0].reason


def test_duplicate_series_are_reported() -> None:
    problems = check_metrics(b'a{x="1"} 1\n# c\na{x="2"} 1\na{x="1"} 2\n')
    assert [p.line for p in problems] == [4]
    assert "duplicate series" in problems[0].reason


def test_unknown_format_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown exposition format"):
        check_metrics(b"", "json")  # type: ignore[arg-type]


def test_main_exit_codes_and_output() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["--format", "openmetrics"], io.BytesIO(b"a 1\n"), out, err) == 1
    assert err.getvalue() == "line 1: missing # EOF at the end of the body\n"
    out, err = io.StringIO(), io.StringIO()
    assert main([], io.BytesIO(b"a 1\n"), out, err) == 0
    assert (out.getvalue(), err.getvalue()) == ("SUCCESS\n", "")
