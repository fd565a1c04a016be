"""The public entry point `expand` (ember/rules/templates/__init__.py): Prometheus's data and
variables, error wrapping, caching, hostile templates, and a fuzz test that only str or
TemplateError ever comes out."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember.rules.templates as templates
from ember.errors import EmberError
from ember.rules.templates import TemplateError, expand
from ember.rules.templates.functions import FUNCTION_NAMES
from tests.rules.templates.rendering import PRELUDE_LENGTH, fake_query, render, render_error


def test_public_api_is_pinned() -> None:
    assert sorted(templates.__all__) == ["QueryFunc", "TemplateError", "expand"]
    assert issubclass(TemplateError, EmberError)


def test_text_without_actions_is_returned_unchanged() -> None:
    assert render("plain text, no actions: {not one}") == "plain text, no actions: {not one}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{ $labels.instance }}", "node1.example.com:9100"),
        ("{{ .Labels.job }}", "node"),
        ("{{ $externalLabels.cluster }}", "eu1"),
        ("{{ .ExternalLabels.cluster }}", "eu1"),
        ("{{ $externalURL }}", "http://testhost:9090/path/prefix"),
        ("{{ .ExternalURL }}", "http://testhost:9090/path/prefix"),
        ("{{ $value }}", "1234.5"),
        ("{{ .Value }}", "1234.5"),
        ("{{ $labels.nosuchlabel }}", ""),
        ("{{ $labels }}", "map[instance:node1.example.com:9100 job:node]"),
    ],
)
def test_prometheus_alert_data_and_variables(text: str, expected: str) -> None:
    assert render(text, value=1234.5) == expected


def test_value_prints_as_go_float64() -> None:
    assert render("{{ $value }}", value=1e6) == "1e+06"
    assert render("{{ $value }}", value=math.nan) == "NaN"
    assert render("{{ $value }}", value=math.inf) == "+Inf"


def test_parse_error_is_wrapped_like_prometheus() -> None:
    message = render_error("{{ nosuch }}")
    assert message == 'error parsing template test: template: test:1: function "nosuch" not defined'


def test_execution_error_is_wrapped_like_prometheus_with_column() -> None:
    message = render_error('{{ humanize "one" }}')
    column = PRELUDE_LENGTH + 3
    assert message == (
        f'error executing template test: template: test:1:{column}: executing "test" at <humanize "one">: '
        'error calling humanize: strconv.ParseFloat: parsing "one": invalid syntax'
    )


def test_default_name_is_alert() -> None:
    with pytest.raises(TemplateError, match="template __alert: template: __alert:1: unclosed action"):
        expand("{{", labels={}, value=0.0, external_labels={}, external_url="", query=fake_query, timestamp_ms=0)


def test_broken_template_fails_every_time_not_only_the_first() -> None:
    for _ in range(3):
        assert "unexpected EOF" in render_error("{{ if true }}never closed")


def test_parse_results_are_cached_per_text() -> None:
    text = "{{ $labels.job }} cached"
    render(text)
    before = templates._parsed.cache_info().hits
    assert render(text, labels={"job": "other"}) == "other cached"
    assert templates._parsed.cache_info().hits == before + 1


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{{ range 100000000 }}x{{ end }}", "exceeded 200000 steps"),
        ('{{ define "r" }}{{ template "r" }}{{ end }}{{ template "r" }}', "exceeded maximum template depth (100)"),
        ('{{ define "r" }}{{ template "r" . }}{{ template "r" . }}{{ end }}{{ template "r" }}', "exceeded"),
        ("{{ range 300 }}" + "x" * 10_000 + "{{ end }}", "template output exceeded 1048576 characters"),
        ('{{ range 100000 }}{{ $x := printf "%999999d" 1 }}{{ end }}', "exceeded 200000 steps"),
        ("{{ if true }}" * 150 + "{{ end }}" * 150, "max expression depth exceeded"),
        ("{{ " + "(" * 150 + "1" + ")" * 150 + " }}", "max expression depth exceeded"),
    ],
)
def test_hostile_templates_are_bounded(text: str, fragment: str) -> None:
    assert fragment in render_error(text)


def test_query_errors_become_template_errors() -> None:
    message = render_error('{{ query "bad(" }}')
    assert "error calling query: parse error: unexpected 'bad('" in message


_PIECES = [
    "{{", "}}", "{{- ", " -}}", " ", "$", "$x", "$labels", "$value", ":=", "=", "|", ".", ".Labels", ".Value",
    "if", "else", "end", "range", "with", "define", "template", "block", "break", "continue", "nil", "true",
    '"a"', "`r`", "1", "1.5", "-2", "0x1F", "'c'", "(", ")", ",", "/*", "*/", "\n", "\\", "é",
    "humanize", "humanizeDuration", "humanizeTimestamp", "printf", '"%d %s %v %5.2f %x %q"', "index", "len",
    "slice", "eq", "lt", "and", "or", "not", "query", '"up"', "first", "label", "value", "args", "tmpl",
    "reReplaceAll", "match", '"("', "title", "toTime", "toDuration", "parseDuration", "html", "js", "print",
    "call", "sortByLabel", "strvalue", "1e400", "99999999999999999999",
]  # fmt: skip


@settings(max_examples=300)
@given(st.lists(st.sampled_from(_PIECES) | st.text(max_size=3), max_size=16), st.floats())
def test_random_templates_give_a_string_or_a_template_error(pieces: list[str], value: float) -> None:
    text = "".join(pieces)
    try:
        output = render(text, value=value)
    except TemplateError:
        return
    assert isinstance(output, str)


_ARGUMENTS = [
    '"a"', '"1.5"', "1", "1.5", "-3", "$value", "$labels", "$labels.job", "nil", "true", '(query "up")',
    '(query "up" | first)', "(args 1 2)", '"%d %s %v %x %q %e %g %5.2f %-4s %+d %c %U %t %T"', '"1h"',
    "(toTime 1)", "(toDuration 2)", '(safeHtml "<")', '""', "0",
]  # fmt: skip
_FUNCTION_CALLS = st.tuples(
    st.sampled_from(sorted(FUNCTION_NAMES)),
    st.lists(st.sampled_from(_ARGUMENTS), max_size=3),
    st.sampled_from(["{{ %s }}", "{{ range %s }}[{{ . }}]{{ end }}", "{{ with %s }}{{ . }}{{ end }}"]),
)


@settings(max_examples=300)
@given(_FUNCTION_CALLS, st.sampled_from([1.5, 0.0, -1e300, math.nan, math.inf]))
def test_random_function_calls_give_a_string_or_a_template_error(
    call: tuple[str, list[str], str], value: float
) -> None:
    name, args, shape = call
    try:
        output = render(shape % " ".join([name, *args]), value=value)
    except TemplateError:
        return
    assert isinstance(output, str)
