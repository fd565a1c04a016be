"""Prometheus's template functions (ember/rules/templates/functions.py), with expectations from
Prometheus's documentation and its template tests."""

from __future__ import annotations

import pytest

from ember.rules.templates.calls import FunctionError
from ember.rules.templates.executor import ExecutionLimits, Executor, TemplateExecError
from ember.rules.templates.functions import (
    HTML_FUNCTION_NAMES,
    expansion_functions,
    match,
    re_replace_all,
    split_host_port,
    strip_domain,
    strip_port,
    title,
)
from ember.rules.templates.parser import parse_template
from tests.rules.templates.rendering import fake_query, render, render_error


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{{ query "1.5" | first | value }}', "1.5"),
        ('{{ query "up" | first | label "job" }}', "b"),
        ('{{ query "up" | first | label "nosuch" }}', ""),
        ('{{ $x := query "up" | first }}{{ $x.Labels.nosuch }}', ""),
        ('{{ range query "up" | sortByLabel "job" }}{{ .Labels.job }}:{{ .Value }} {{ end }}', "a:1 b:0 "),
        ('{{ range query "up" | sortByLabel "nosuch" }}{{ .Labels.job }}{{ end }}', "ba"),
        ('{{ with query "up" }}{{ len . }} results{{ end }}', "2 results"),
        ('{{ query "up" | len }}', "2"),
        ('{{ (index (query "up") 1).Labels.instance }}', "h1:9090"),
        ('{{ define "x" }}{{ .arg0 }} {{ .arg1 }}{{ end }}{{ template "x" (args 1 "2") }}', "1 2"),
        ('{{ reReplaceAll "(a)b" "x$1" "ab" }}', "xa"),
        ('{{ reReplaceAll "localhost:(.*)" "$1" $labels.instance }}', "node1.example.com:9100"),
        ('{{ reReplaceAll "^(?P<host>[^.]+)\\\\..*:(\\\\d+)$" "${host}-$2" $labels.instance }}', "node1-9100"),
        ('{{ match "a+" "aa" }} {{ match "a+" "b" }}', "true false"),
        ('{{ match "^node" $labels.instance }}', "true"),
        ('{{ "aa bb CC" | title }}', "Aa Bb CC"),
        ('{{ "aa bb CC" | toUpper }}', "AA BB CC"),
        ('{{ "aA bB CC" | toLower }}', "aa bb cc"),
        ('{{ "<b>" | safeHtml }}', "<b>"),
        ('{{ graphLink "up" }}', "/graph?g0.expr=up&g0.tab=0"),
        ('{{ tableLink "rate(x[5m]) > 0" }}', "/graph?g0.expr=rate%28x%5B5m%5D%29+%3E+0&g0.tab=1"),
        ('{{ urlQueryEscape "a b/c" }}', "a+b%2Fc"),
        ("{{ pathPrefix }}", "/path/prefix"),
        ("{{ externalURL }}", "http://testhost:9090/path/prefix"),
        ('{{ printf "%0.2f" (parseDuration "1h2m10ms") }}', "3720.01"),
        ('{{ printf "%0.2f" (parseDuration "-1h2m10ms") }}', "-3720.01"),
        ('{{ parseDuration "1d" }}', "86400"),
        ("{{ now }}", "1.353755652e+09"),
        ('{{ (1435065584.128 | toTime).Format "2006" }}', "2015"),
        ('{{ ("1435065584.128" | toTime).Format "2006" }}', "2015"),
        ("{{ (1800 | toDuration).String }}", "30m0s"),
        ('{{ (now | toTime).Format "Mon Jan 2 15:04:05 2006" }}', "Sat Nov 24 11:14:12 2012"),
        ('{{ ("-30m" | parseDuration | toDuration | (now | toTime).Add).UnixMilli }}', "1353753852000"),
        ('{{ "foo.example.com:12345" | stripPort }}', "foo.example.com"),
        ('{{ "foo.example.com:12345" | stripDomain }}', "foo:12345"),
    ],
)
def test_prometheus_functions(text: str, expected: str) -> None:
    assert render(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{{ query "missing" | first }}', "error calling first: first() called on vector with no elements"),
        (
            '{{ label "x" nil }}',
            "error calling label: runtime error: invalid memory address or nil pointer dereference",
        ),
        (
            '{{ reReplaceAll "(" "" "x" }}',
            "error calling reReplaceAll: regexp: Compile(`(`): error parsing regexp: missing closing ): `(`",
        ),
        ('{{ match "(" "x" }}', "error calling match: error parsing regexp: missing closing ): `(`"),
        ('{{ parseDuration "soon" }}', 'error calling parseDuration: not a valid duration string: "soon"'),
        ("{{ first 1 }}", "can't handle 1 for arg of type template.queryResult"),
        ('{{ value "x" }}', 'can\'t handle "x" for arg of type *template.sample'),
    ],
)
def test_function_errors(text: str, message: str) -> None:
    assert render_error(text).endswith(message)


@pytest.mark.parametrize(
    ("host_port", "port_stripped", "domain_stripped"),
    [
        ("foo.example.com", "foo.example.com", "foo"),
        ("foo.example.com:12345", "foo.example.com", "foo:12345"),
        ("192.0.2.1", "192.0.2.1", "192.0.2.1"),
        ("192.0.2.1:12345", "192.0.2.1", "192.0.2.1:12345"),
        ("2001:0DB8::1", "2001:0DB8::1", "2001:0DB8::1"),
        ("[2001:0DB8::1]:12345", "2001:0DB8::1", "[2001:0DB8::1]:12345"),
        ("[2001:0DB8::1]::12345", "[2001:0DB8::1]::12345", "[2001:0DB8::1]::12345"),
        ("localhost:9090", "localhost", "localhost:9090"),
    ],
)
def test_strip_port_and_domain(host_port: str, port_stripped: str, domain_stripped: str) -> None:
    assert strip_port(host_port) == port_stripped
    assert strip_domain(host_port) == domain_stripped


def test_split_host_port_errors_as_go() -> None:
    assert split_host_port("a:1") == ("a", "1")
    assert split_host_port("[::1]:80") == ("::1", "80")
    assert split_host_port("noport") is None
    assert split_host_port("a:b:c") is None
    assert split_host_port("[::1]x:80") is None


@pytest.mark.parametrize(
    ("pattern", "replacement", "text", "expected"),
    [
        ("a", "x", "banana", "bxnxnx"),
        ("x*", "-", "abxd", "-a-b-d-"),
        ("(\\w+)@(\\w+)", "$2 at $1", "me@host", "host at me"),
        ("(\\w+)", "$1x", "ab", ""),
        ("(\\w+)", "${1}x", "ab", "abx"),
        ("(?P<word>b)", "[$word]", "abc", "a[b]c"),
        ("a", "$$", "a", "$"),
        (".", "x", "a\nb", "x\nx"),
    ],
)
def test_re_replace_all_uses_go_semantics(pattern: str, replacement: str, text: str, expected: str) -> None:
    assert re_replace_all(pattern, replacement, text) == expected


def test_match_is_unanchored_and_dot_excludes_newline() -> None:
    assert match("b", "abc")
    assert not match("a.c", "a\nc")
    assert match("(?s)a.c", "a\nc")
    with pytest.raises(FunctionError, match="error parsing regexp"):
        match("a(?=b)", "ab")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello world", "Hello World"),
        ("aa bb CC", "Aa Bb CC"),
        ("foo-bar", "Foo-Bar"),
        ("don't stop", "Don't Stop"),
        ("node_exporter down", "Node_exporter Down"),
        ("élan vital", "Élan Vital"),
    ],
)
def test_title(text: str, expected: str) -> None:
    assert title(text) == expected


def test_upper_and_lower_map_rune_by_rune_as_go() -> None:
    assert render('{{ toUpper "straße" }}') == "STRAßE"
    assert render('{{ toLower "ÀB" }}') == "àb"


def _render_html(text: str) -> str:
    parsed = parse_template("page", text, HTML_FUNCTION_NAMES)
    functions = expansion_functions(fake_query, 0, "", html=True)
    return Executor(parsed, functions, ExecutionLimits()).run(None)


def test_tmpl_renders_a_named_template_in_html_mode() -> None:
    assert _render_html('{{ define "a" }}x{{ end }}{{ $name := "a" }}{{ tmpl $name . }}') == "x"
    assert _render_html('{{ define "a" }}[{{ . }}]{{ end }}{{ tmpl "a" 5 | printf "%T" }}') == "template.HTML"
    with pytest.raises(TemplateExecError, match='template "nope" not defined'):
        _render_html('{{ tmpl "nope" . }}')


def test_tmpl_is_not_an_alert_template_function_as_in_prometheus() -> None:
    assert render_error('{{ define "a" }}x{{ end }}{{ tmpl "a" . }}').endswith('function "tmpl" not defined')


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The examples of Prometheus's "Template examples" page, with this test's fake query results.
        ('{{ with query "1234.5" }}{{ . | first | value | humanize }}{{ end }}', "1.234k"),
        ('{{ range query "up" }}{{ .Labels.instance }} {{ .Value }}\n{{ end }}', "h2:9090 0\nh1:9090 1\n"),
        (
            '{{ with printf "%s" "1048576" | query }}{{ . | first | value | humanize1024 }}B{{ end }}',
            "1MiB",
        ),
        (
            '{{ define "myTemplate" }}do something{{ end }}{{ template "myTemplate" }}',
            "do something",
        ),
        (
            '{{ define "myMultiArgTemplate" }}First argument: {{ .arg0 }} Second argument: {{ .arg1 }}{{ end }}'
            '{{ template "myMultiArgTemplate" (args 1 2) }}',
            "First argument: 1 Second argument: 2",
        ),
        (
            "{{ $labels.instance }} of job {{ $labels.job }} has been down",
            "node1.example.com:9100 of job node has been down",
        ),
    ],
)
def test_prometheus_documentation_examples(text: str, expected: str) -> None:
    assert render(text) == expected
