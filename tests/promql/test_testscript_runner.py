"""Tests for ember/promql/testscript/runner.py and at_modifier.py: loading, expectations, annotations,
classification and the `run_files` report."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest

from ember.errors import ExecutionError
from ember.model import Labels, Matcher, MatchType, is_stale
from ember.promql.result import QueryResult
from ember.promql.testscript.at_modifier import at_modifier_variants
from ember.promql.testscript.parser import parse_script
from ember.promql.testscript.runner import EvalOutcome, run_files, run_script
from ember.storage import Queryable, SeriesSet
from ember.testing import ReferenceStorage

FOO = Labels.from_strings("__name__", "foo")


class FakeEngine:
    """Answers every query with the stored value of `foo` at the query time or its `@` time (or raises
    for `boom`)."""

    def __init__(self, warnings: list[str] | None = None) -> None:
        self.warnings = warnings or []
        self.calls: list[tuple[str, int, int]] = []

    def _value_at(self, queryable: Queryable, time_ms: int, expr: str) -> float | None:
        pinned = re.search(r"@ ([0-9.]+)", expr)
        if pinned:
            time_ms = round(float(pinned.group(1)) * 1000)
        matchers = [Matcher("__name__", MatchType.EQUAL, "foo")]
        series = queryable.querier().select(matchers, time_ms - 300_000 + 1, time_ms)
        return float(series.values[-1]) if series.num_samples else None

    def instant_query(self, queryable: Queryable, expr: str, time_ms: int) -> QueryResult:
        self.calls.append((expr, time_ms, time_ms))
        if "boom" in expr:
            raise ExecutionError("boom happened")
        value = self._value_at(queryable, time_ms, expr)
        labels = [FOO] if value is not None else []
        series = SeriesSet(
            labels,
            np.arange(len(labels) + 1, dtype=np.int64),
            np.full(len(labels), time_ms, dtype=np.int64),
            np.array([value] if labels else []),
        )
        return QueryResult("vector", series=series, time_ms=time_ms, warnings=list(self.warnings))

    def range_query(
        self, queryable: Queryable, expr: str, start_ms: int, end_ms: int, step_ms: int
    ) -> QueryResult:
        self.calls.append((expr, start_ms, end_ms))
        points = [(t, self._value_at(queryable, t, expr)) for t in range(start_ms, end_ms + 1, step_ms)]
        kept = [(t, v) for t, v in points if v is not None]
        series = SeriesSet.from_series(
            [
                (
                    FOO,
                    np.array([t for t, _ in kept], dtype=np.int64),
                    np.array([v for _, v in kept], dtype=np.float64),
                )
            ]
            if kept
            else []
        )
        return QueryResult("matrix", series=series, warnings=list(self.warnings))


def run(text: str, engine: FakeEngine | None = None) -> list[EvalOutcome]:
    fake = engine or FakeEngine()
    return run_script(parse_script(text, "r.test"), lambda: fake, ReferenceStorage)


def test_load_then_eval_passes_and_a_wrong_value_fails() -> None:
    outcomes = run(
        "load 1m\n  foo 1+1x3\n\neval instant at 2m foo\n  foo 3\n\neval instant at 2m foo\n  foo 4\n"
    )
    assert [o.passed for o in outcomes] == [True, False]
    assert "expected 4.0" in outcomes[1].message and outcomes[1].test_id == "r.test:7"


def test_clear_drops_data() -> None:
    outcomes = run("load 1m\n  foo 1\n\nclear\n\neval instant at 0 foo\n")
    assert outcomes[0].passed, outcomes[0].message


def test_instant_eval_also_runs_in_range_mode_and_with_at_pinned() -> None:
    engine = FakeEngine()
    run("load 1m\n  foo 1+1x3\n\neval instant at 2m foo\n  foo 3\n", engine)
    assert ("foo", 60_000, 180_000) in engine.calls  # range mode t-1m .. t+1m
    assert any("@ 120.000" in expr for expr, _, _ in engine.calls)


def test_expected_failures() -> None:
    text = """load 1m
  foo 1

eval instant at 0 boom
  expect fail msg: boom happened

eval instant at 0 boom
  expect fail regex: bo+m

eval instant at 0 boom
  expect fail msg: other

eval instant at 0 foo
  expect fail

eval instant at 0 boom
  foo 1
"""
    passed = [o.passed for o in run(text)]
    assert passed == [True, True, False, False, False]


def test_annotations_are_checked_only_when_asked() -> None:
    text = """load 1m
  foo 1

eval instant at 0 foo
  foo 1

eval instant at 0 foo
  expect no_warn
  foo 1

eval instant at 0 foo
  expect warn msg: PromQL warning: careful (1:1)
  foo 1

eval instant at 0 foo
  expect warn regex: other
  foo 1
"""
    plain = [o.passed for o in run(text)]
    warned = [o.passed for o in run(text, FakeEngine(["PromQL warning: careful (1:1)"]))]
    assert plain == [True, True, False, False]
    assert warned == [True, False, True, False]


def test_stale_markers_are_loaded_bit_exactly() -> None:
    storage = ReferenceStorage()
    script = parse_script("load 1m\n  foo 1 stale\n\neval instant at 0 foo\n  foo 1\n", "s.test")
    run_script(script, FakeEngine, lambda: storage)
    series = storage.querier().select([Matcher("__name__", MatchType.EQUAL, "foo")], 0, 10**9)
    assert series.values[0] == 1.0 and is_stale(series.values[1:]).all()


def test_native_histogram_and_start_timestamp_evals_are_classified() -> None:
    text = """load 1m
  hist {{schema:0 sum:1 count:1}}
  foo 1
  bar_bucket{le="1"} 1

load_with_nhcb 1m
  baz_bucket{le="1"} 1

load 1m
  counter@st _ -1m
  counter 1 2

eval instant at 0 hist

eval instant at 0 foo
  foo {{sum:1}}

eval instant at 0 baz

eval instant at 0 counter
  counter 1

eval instant at 0 foo
  foo 1
"""
    categories = [o.category for o in run(text)]
    assert categories == ["native_histogram", "native_histogram", "native_histogram", "unsupported", "float"]


def test_run_files_reports_failures_and_totals(tmp_path: Path) -> None:
    good = tmp_path / "good.test"
    good.write_text("eval instant at 0 1 + 1\n  2\n\neval instant at 0 2 * 2\n  5\n", encoding="utf-8")
    bad = tmp_path / "bad.test"
    bad.write_text("frobnicate\n", encoding="utf-8")
    out = io.StringIO()
    code = run_files([good, bad], out=out)
    lines = out.getvalue().splitlines()
    assert code == 1
    assert lines[-1] == "1 passed, 2 failed"
    assert any(line.startswith("good.test:4: 2 * 2: ") for line in lines)


def test_run_files_exit_zero_when_all_pass(tmp_path: Path) -> None:
    good = tmp_path / "good.test"
    good.write_text("eval instant at 0 1 + 1\n  2\n", encoding="utf-8")
    out = io.StringIO()
    assert run_files([good], out=out) == 0
    assert out.getvalue().splitlines()[-1] == "1 passed, 0 failed"


@pytest.mark.parametrize(
    ("expr", "pinned"),
    [
        ("foo", "foo{} @ 60.000"),
        ("rate(foo[5m]) + bar @ 5", "rate(foo{}[5m] @ 60.000) + bar{} @ 5.000"),
        ("max_over_time((x + y)[5m:1m])", "max_over_time((x{} + y{})[5m:1m] @ 60.000)"),
    ],
)
def test_at_modifier_variants(expr: str, pinned: str) -> None:
    variants = at_modifier_variants(expr, 60_000)
    assert [t for _, t in variants] == [-600_000, 0, 12_000, 60_000, 600_000]
    assert {text for text, _ in variants} == {pinned}


@pytest.mark.parametrize("expr", ["time() + foo", "predict_linear(foo[5m], 60)", "foo[1500ms]", "foo +"])
def test_at_modifier_variants_skipped_when_unsafe(expr: str) -> None:
    # Time-dependent functions, a duration the printer would round, and text that does not parse.
    assert at_modifier_variants(expr, 60_000) == []


def test_at_modifier_times_around_zero() -> None:
    assert [t for _, t in at_modifier_variants("foo", 0)] == [-1000, 0, 1000]


def test_nameless_and_regex_selectors_reaching_histograms_are_classified() -> None:
    text = """load 1m
  http_requests{job="api"} 1
  http_requests_histogram{job="api"} {{schema:0 sum:1 count:1}}

eval instant at 0 max({job="api"})

eval instant at 0 {__name__=~"http_requests(_histogram)?"}

eval instant at 0 {__name__=~"http_requests"}
  http_requests{job="api"} 1

eval instant at 0 http_requests{job="other"}
"""
    categories = [o.category for o in run(text)]
    assert categories == ["native_histogram", "native_histogram", "float", "float"]


def test_a_refused_load_fails_the_evals_after_it() -> None:
    # The second load writes t=0 again after t=1m: out of order, so the block is refused.
    text = (
        "load 1m\n  foo 1 2\n\nload 1m\n  foo 5\n\n"
        "eval instant at 0 foo\n  foo 1\n\nclear\n\neval instant at 0 foo\n"
    )
    outcomes = run(text)
    assert not outcomes[0].passed and "load at line 4" in outcomes[0].message
    assert outcomes[1].passed


def test_run_files_accepts_a_directory(tmp_path: Path) -> None:
    for name, expected in (("a.test", "2"), ("b.test", "3")):
        (tmp_path / name).write_text(f"eval instant at 0 1 + 1\n  {expected}\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a script", encoding="utf-8")
    out = io.StringIO()
    assert run_files([tmp_path], out=out) == 1
    assert out.getvalue().splitlines()[-1] == "1 passed, 1 failed"
