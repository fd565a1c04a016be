"""Template execution (ember/rules/templates/executor.py): Go text/template semantics for actions,
pipelines, variables, if/with/range, break/continue, define/template/block, trim markers,
printing of values, and Go-formatted execution errors."""

from __future__ import annotations

import pytest

from ember.rules.templates.executor import ExecutionLimits, Executor, TemplateExecError
from ember.rules.templates.functions import FUNCTION_NAMES, expansion_functions
from ember.rules.templates.parser import parse_template
from tests.rules.templates.rendering import PRELUDE_LENGTH, fake_query, render, render_error


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # constants and printing
        ("{{ 1 }}", "1"),
        ("{{ -0x10 }}", "-16"),
        ("{{ 1.5 }}", "1.5"),
        ("{{ 1e3 }}", "1000"),
        ("{{ 1e6 }}", "1e+06"),
        ("{{ 0.0001 }}", "0.0001"),
        ("{{ 0.00001 }}", "1e-05"),
        ("{{ 'a' }}", "97"),
        ('{{ "a\\tb" }}', "a\tb"),
        ("{{ `raw\\n` }}", "raw\\n"),
        ("{{ true }} {{ false }}", "true false"),
        (
            '{{ . | printf "%T" }}',
            "struct { Labels map[string]string; ExternalLabels map[string]string; "
            "ExternalURL string; Value interface {} }",
        ),
        ('{{ args 1 "x" }}', "map[arg0:1 arg1:x]"),
        ("{{ (args).missing }}", "<no value>"),
        ('{{ query "up" | first }}', "{map[__name__:up instance:h2:9090 job:b] 0}"),
        # pipelines
        ('{{ "x" | printf "%s-%s" "a" }}', "a-x"),
        ('{{ $value | printf "%.1f" | len }}', "3"),
        ('{{ (printf "%s" "in") }}', "in"),
        ('{{ (query "up" | first).Labels.job }}', "b"),
        # variables
        ("{{ $x := 1 }}{{ $x }}", "1"),
        ("{{ $x := 1 }}{{ $x = 2 }}{{ $x }}", "2"),
        ("{{ $x := 1 }}{{ if true }}{{ $x = 3 }}{{ end }}{{ $x }}", "3"),
        ("{{ $x := 1 }}{{ if true }}{{ $x := 4 }}{{ $x }}{{ end }}{{ $x }}", "41"),
        ("{{ $.Labels.job }}", "node"),
        ("{{ with $.Labels }}{{ $.Value }}{{ end }}", "1"),
        # if / else if / else
        ("{{ if true }}a{{ else }}b{{ end }}", "a"),
        ('{{ if 0 }}a{{ else if "" }}b{{ else if 0.5 }}c{{ else }}d{{ end }}', "c"),
        ("{{ if $labels.nosuch }}a{{ else }}empty{{ end }}", "empty"),
        ("{{ if $labels }}non-empty map{{ end }}", "non-empty map"),
        ("{{ if (args).x }}a{{ else }}nil is false{{ end }}", "nil is false"),
        ("{{ if $x := 5 }}{{ $x }}{{ end }}", "5"),
        # with
        ("{{ with $labels.job }}[{{ . }}]{{ end }}", "[node]"),
        ("{{ with $labels.nosuch }}x{{ else }}none{{ end }}", "none"),
        ('{{ with query "missing" }}x{{ else with query "up" }}{{ len . }}{{ end }}', "2"),
        # range
        ('{{ range query "up" }}{{ .Labels.job }}={{ .Value }};{{ end }}', "b=0;a=1;"),
        ('{{ range $i, $s := query "up" }}{{ $i }}:{{ $s.Labels.instance }} {{ end }}', "0:h2:9090 1:h1:9090 "),
        ('{{ range $s := query "up" }}{{ $s.Value }}{{ end }}', "01"),
        ("{{ range $k, $v := $labels }}{{ $k }}={{ $v }},{{ end }}", "instance=node1.example.com:9100,job=node,"),
        ('{{ range args "z" "y" }}{{ . }}{{ end }}', "zy"),
        ('{{ range query "missing" }}x{{ else }}no results{{ end }}', "no results"),
        ("{{ range 3 }}{{ . }}{{ end }}", "012"),
        (
            "{{ range $k, $v := args 10 11 12 13 14 }}{{ if eq $v 12 }}{{ continue }}{{ end }}"
            "{{ if eq $v 14 }}{{ break }}{{ end }}{{ $k }}={{ $v }} {{ end }}",
            "arg0=10 arg1=11 arg3=13 ",
        ),
        ("{{ $n := 0 }}{{ range 3 }}{{ $n = . }}{{ end }}{{ $n }}", "2"),
        ('{{ $i := 9 }}{{ range $i, $e := query "up" }}{{ end }}{{ $i }}', "9"),
        ('{{ $i := 9 }}{{ $e := 0 }}{{ range $i, $e = query "up" }}{{ end }}{{ $i }}', "1"),
        ("{{ range -2 }}x{{ else }}none{{ end }}", "none"),
        ("{{ $m := args }}{{ $m.nosuch }}|{{ (args).nosuch }}", "<no value>|<no value>"),
        ("{{ $x := (args).a }}{{ $x.b }}", "<no value>"),
        # templates
        ('{{ define "x" }}[{{ . }}]{{ end }}{{ template "x" "arg" }}', "[arg]"),
        ('{{ define "x" }}{{ .arg0 }} {{ .arg1 }}{{ end }}{{ template "x" (args 1 "2") }}', "1 2"),
        ('{{ define "x" }}{{ . }}{{ end }}{{ template "x" }}', "<no value>"),
        ('{{ block "b" $labels.job }}<{{ . }}>{{ end }}', "<node>"),
        (
            '{{ define "rec" }}{{ if . }}{{ len . }}{{ template "rec" (slice . 1) }}{{ end }}{{ end }}'
            '{{ template "rec" "abc" }}',
            "321",
        ),
        # trim markers and comments
        ("a  {{- 1 -}}  b", "a1b"),
        ("a {{/* hidden */}} b", "a  b"),
        ("a\n{{- /* hidden */ -}}\nb", "ab"),
        ("{{- if true -}}\n  yes\n{{- end -}}", "yes"),
        # and / or short-circuit
        ('{{ and 1 0 "x" }}', "0"),
        ('{{ and 1 "x" }}', "x"),
        ('{{ or 0 "" "y" }}', "y"),
        ("{{ or 0 false }}", "false"),
        ("{{ or 1 (index nil 0) }}", "1"),
        ("{{ and 0 (index nil 0) }}", "0"),
        ("{{ not 0 }} {{ not $labels }}", "true false"),
    ],
)
def test_template_language(text: str, expected: str) -> None:
    assert render(text) == expected


def test_block_redefining_a_template_in_the_same_text_is_an_error_as_in_go() -> None:
    message = render_error('{{ define "b" }}override{{ end }}{{ block "b" . }}default{{ end }}')
    assert message.endswith('template: multiple definition of template "b"')


def _error(text: str) -> str:
    message = render_error(text)
    prefix = "error executing template test: "
    assert message.startswith(prefix), message
    return message[len(prefix) :]


@pytest.mark.parametrize(
    ("text", "context", "message"),
    [
        (
            "{{ .Nope }}",
            ".Nope",
            "can't evaluate field Nope in type struct { Labels map[string]string; "
            "ExternalLabels map[string]string; ExternalURL string; Value interface {} }",
        ),
        ("{{ $labels.job.x }}", "$labels.job.x", "can't evaluate field x in type string"),
        ('{{ $labels.job "a" }}', "$labels.job", "job is not a method but has arguments"),
        ('{{ 1 "a" }}', "1", "can't give argument to non-function 1"),
        ('{{ "a" | $labels }}', "$labels", "can't give argument to non-function $labels"),
        ("{{ nil }}", "nil", "nil is not a command"),
        (
            "{{ range $i, $v := 3 }}{{ end }}",
            "3",
            "can't use 3 to iterate over more than one variable",
        ),
        ("{{ $m := args }}{{ $m.x.y }}", "$m.x.y", "nil pointer evaluating interface {}.y"),
        ('{{ template "nope" }}', '{{template "nope"}}', 'template "nope" not defined'),
        ("{{ range $labels.job }}{{ end }}", "$labels.job", "range can't iterate over node"),
        ("{{ humanize }}", "humanize", "wrong number of args for humanize: want 1 got 0"),
        ("{{ eq }}", "eq", "wrong number of args for eq: want at least 1 got 0"),
        ("{{ title 1 }}", "1", "expected string; found 1"),
        ("{{ printf 1.5 }}", "1.5", "expected string; found 1.5"),
        ("{{ title $value }}", "$value", "wrong type for value; expected string; got float64"),
        ('{{ "x" | safeHtml | title }}', "title", "wrong type for value; expected string; got template.HTML"),
        ('{{ query "missing" | first }}', "first", "error calling first: first() called on vector with no elements"),
        ('{{ (query "missing").banana }}', '"missing"', "can't evaluate field banana in type template.queryResult"),
    ],
)
def test_execution_errors_name_the_node_like_go(text: str, context: str, message: str) -> None:
    error = _error(text)
    assert error.startswith("template: test:1:"), error
    assert error.endswith(f' executing "test" at <{context}>: {message}'), error


def test_error_position_is_line_and_byte_column_of_the_node() -> None:
    error = _error('ok\n  {{ query "missing" | first }}')
    assert error.startswith("template: test:2:23: ")
    error = _error('{{ humanize "x" }}')
    assert error.startswith(f"template: test:1:{PRELUDE_LENGTH + 3}: ")


def test_errors_inside_defined_templates_name_that_template() -> None:
    error = _error('{{ define "inner" }}{{ .Nope }}{{ end }}{{ template "inner" 1 }}')
    assert ' executing "inner" at <.Nope>: can\'t evaluate field Nope in type int' in error


def _executor(text: str, limits: ExecutionLimits) -> Executor:
    parsed = parse_template("t", text, FUNCTION_NAMES)
    return Executor(parsed, expansion_functions(fake_query, 0, ""), limits)


def test_step_budget_is_enforced() -> None:
    _executor("{{ range 10 }}x{{ end }}", ExecutionLimits(max_steps=100)).run(None)
    with pytest.raises(TemplateExecError, match="exceeded 100 steps"):
        _executor("{{ range 100 }}x{{ end }}", ExecutionLimits(max_steps=100)).run(None)


def test_output_budget_is_enforced() -> None:
    assert _executor("{{ range 10 }}x{{ end }}", ExecutionLimits(max_output_chars=10)).run(None) == "x" * 10
    with pytest.raises(TemplateExecError, match="template output exceeded 10 characters"):
        _executor("{{ range 11 }}x{{ end }}", ExecutionLimits(max_output_chars=10)).run(None)


def test_call_depth_is_enforced() -> None:
    text = '{{ define "d" }}{{ if . }}{{ template "d" (slice . 1) }}{{ end }}{{ end }}{{ template "d" . }}'
    _executor(text, ExecutionLimits(max_call_depth=5)).run("abc")
    with pytest.raises(TemplateExecError, match="exceeded maximum template depth \\(5\\)"):
        _executor(text, ExecutionLimits(max_call_depth=5)).run("abcdefgh")
