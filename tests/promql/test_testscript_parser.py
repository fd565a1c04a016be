"""Tests for ember/promql/testscript/parser.py: commands, blocks, expect directives, durations."""

from __future__ import annotations

import math

import pytest

from ember.model import Labels
from ember.promql.testscript.parser import (
    ClearCommand,
    EvalCommand,
    Expectation,
    LoadCommand,
    ScriptError,
    parse_duration_ms,
    parse_scalar,
    parse_script,
)

SCRIPT = """
# a comment
load 5m
    http_requests{job="api"} 0+10x2
    other 1 _ stale

eval instant at 10m http_requests
    http_requests{job="api"} 20

eval range from 0 to 10m step 5m rate(http_requests[5m])
    expect no_warn
    {job="api"} _ 0.033 0.033

clear

eval instant at 0 1 + 1
    2
"""


def test_parses_commands_in_order() -> None:
    script = parse_script(SCRIPT, "s.test")
    kinds = [type(c) for c in script.commands]
    assert kinds == [LoadCommand, EvalCommand, EvalCommand, ClearCommand, EvalCommand]
    load = script.commands[0]
    assert isinstance(load, LoadCommand) and load.interval_ms == 300_000 and load.line == 3
    assert [labels.get("__name__") for labels, _ in load.series] == ["http_requests", "other"]


def test_instant_and_range_evals() -> None:
    instant, ranged, scalar = parse_script(SCRIPT, "s.test").evals
    assert not instant.is_range and instant.eval_ms == 600_000 and instant.line == 7
    assert instant.expected[Labels.from_strings("__name__", "http_requests", "job", "api")].values == [20.0]
    assert ranged.is_range and (ranged.start_ms, ranged.end_ms, ranged.step_ms) == (0, 600_000, 300_000)
    assert ranged.no_warn and ranged.expected[Labels.from_strings("job", "api")].values == [
        None,
        0.033,
        0.033,
    ]
    assert scalar.scalar == 2.0 and not scalar.expected


def test_comment_ends_a_block() -> None:
    text = "load 1m\n  a 1\n# comment\n  b 2\n"
    with pytest.raises(ScriptError, match=r"t.test:4: invalid command"):
        parse_script(text, "t.test")


def test_expect_directives() -> None:
    text = """
eval instant at 1m foo
    expect fail msg: something went wrong
    expect warn regex: PromQL warning: .*
    expect warn
    expect no_info
    expect ordered
    foo{a="1"} 1
    foo{a="2"} 2
"""
    (ev,) = parse_script(text, "e.test").evals
    assert ev.fail == Expectation(message="something went wrong")
    assert ev.warn == [Expectation(regex="PromQL warning: .*"), Expectation()]
    assert ev.no_info and ev.ordered
    assert [e.position for e in ev.expected.values()] == [1, 2]


def test_expect_string_and_range_vector() -> None:
    text = """
eval instant at 50m "a\\tb"
    expect string "a\\tb"

eval instant at 0m foo[1m]
    expect range vector from 0 to 1m step 30s
    foo 1 2 3
"""
    string_eval, vector_eval = parse_script(text, "x.test").evals
    assert string_eval.expected_string == "a\tb" and string_eval.excluded_from_range_check
    assert vector_eval.range_vector and vector_eval.eval_ms == 60_000 and vector_eval.step_ms == 30_000


def test_legacy_eval_forms() -> None:
    text = (
        "eval_fail instant at 0m foo\n\n"
        "eval_ordered instant at 1m bar\n\n"
        "eval_warn range from 0 to 1m step 1m baz\n"
    )
    fail, ordered, warn = parse_script(text, "l.test").evals
    assert fail.fail == Expectation() and ordered.ordered and warn.legacy_warn and warn.is_range


@pytest.mark.parametrize(
    "text",
    [
        "eval instant at 0 foo\n    expect warn\n    expect no_warn\n",
        "eval instant at 0 foo\n    expect fail\n    expect fail\n",
        "eval instant at 0 foo\n    expect bogus\n",
        "eval range from 5m to 1m step 1m foo\n",
        "eval instant at 0 foo\n    foo 1 2 3\n",
        "eval instant at 1x foo\n",
        "load\n",
        "frobnicate 1\n",
    ],
)
def test_invalid_scripts_name_file_and_line(text: str) -> None:
    with pytest.raises(ScriptError, match=r"^bad.test:\d+: "):
        parse_script(text, "bad.test")


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("0", 0),
        ("50m", 3_000_000),
        ("1m30s", 90_000),
        ("10s53ms", 10_053),
        ("1h", 3_600_000),
        ("2d", 172_800_000),
        ("1w", 604_800_000),
        ("1y", 31_536_000_000),
    ],
)
def test_durations(text: str, ms: int) -> None:
    assert parse_duration_ms(text) == ms


@pytest.mark.parametrize("text", ["", "5", "1.5m", "30s1m", "-1m"])
def test_invalid_durations(text: str) -> None:
    with pytest.raises(ScriptError):
        parse_duration_ms(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2", 2.0),
        ("-3", -3.0),
        ("0x10", 16.0),
        ("010", 8.0),
        ("1e3", 1000.0),
        ("+Inf", math.inf),
        ("-inf", -math.inf),
        (".5", 0.5),
        ("0x1p-2", 0.25),
    ],
)
def test_scalar_lines_read_like_go(text: str, value: float) -> None:
    assert parse_scalar(text) == value


def test_scalar_nan_and_non_numbers() -> None:
    nan = parse_scalar("NaN")
    assert nan is not None and math.isnan(nan)
    assert parse_scalar('foo{a="b"} 1') is None and parse_scalar("{} 1") is None


def test_start_timestamp_lines_mark_their_series() -> None:
    text = "load 1m\n  a@st _ -1m\n  a 1 2\n  b 1 2\n  @st -30s\n  c 1 2\n"
    (load,) = parse_script(text, "st.test").commands
    assert isinstance(load, LoadCommand)
    assert [labels.get("__name__") for labels, _ in load.series] == ["a", "b", "c"]
    assert [labels.get("__name__") for labels in load.start_timestamp_series] == ["a", "c"]
