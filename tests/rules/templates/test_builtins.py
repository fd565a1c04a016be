"""Go text/template's predefined functions (ember/rules/templates/builtins.py)."""

from __future__ import annotations

import pytest

from tests.rules.templates.rendering import render, render_error


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{{ eq 1 1 }} {{ eq 1 2 }} {{ eq "a" "b" "a" }} {{ eq 1.5 1.5 }}', "true false true true"),
        ("{{ eq true true }} {{ eq false true }}", "true false"),
        ('{{ eq $labels.job "node" }} {{ ne $labels.job "node" }}', "true false"),
        ('{{ eq (safeHtml "a") "a" }}', "true"),
        ("{{ $m := args }}{{ eq $m.x $m.y }} {{ eq $m.x 1 }}", "true false"),
        ("{{ eq 1 nil }} {{ eq (args).x (args).y }}", "false true"),
        ('{{ $s := query "up" | first }}{{ eq $s $s }} {{ eq (toTime 1) (toTime 1) }}', "true false"),
        ('{{ index "abc" 0 | printf "%T" }} {{ eq (index "abc" 0) 97 }}', "uint8 true"),
        ('{{ and (index (args) "x") 1 }}', "<no value>"),
        ("{{ lt 1 2 }} {{ le 2 2 }} {{ gt 1 2 }} {{ ge 2 2 }}", "true true false true"),
        ('{{ lt "a" "b" }} {{ gt "b" "a" }}', "true true"),
        ("{{ gt $value 0.5 }} {{ lt $value 1e9 }}", "true true"),
        ('{{ len "héllo" }} {{ len $labels }}', "6 2"),
        ('{{ index $labels "job" }} {{ index $labels "nosuch" }}|', "node |"),
        ('{{ index "abc" 1 }}', "98"),
        ('{{ index (args (args "deep")) "arg0" "arg0" }}', "deep"),
        ('{{ slice "abcdef" 1 3 }} {{ slice "abc" 1 }} {{ slice "abc" }}', "bc bc abc"),
        ('{{ range slice (query "up") 1 }}{{ .Labels.job }}{{ end }}', "a"),
        ('{{ print "a" "b" 1 2 }}', "ab1 2"),
        ('{{ println "a" 1 }}', "a 1\n"),
        ('{{ printf "%s=%v" "k" 2.5 }}', "k=2.5"),
        ('{{ html "<a href=\'x\'>&\\"" }}', "&lt;a href=&#39;x&#39;&gt;&amp;&#34;"),
        ('{{ js "it\'s <b> & \\"q\\" =" }}', 'it\\\'s \\u003Cb\\u003E \\u0026 \\"q\\" \\u003D'),
        ('{{ urlquery "a b&c=d/é" }}', "a+b%26c%3Dd%2F%C3%A9"),
        ('{{ "x y" | urlquery }}', "x+y"),
        ("{{ html 1 2 }}", "1 2"),
    ],
)
def test_builtins(text: str, expected: str) -> None:
    assert render(text, value=1.0) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{ eq $value 1 }}", "error calling eq: incompatible types for comparison"),
        ("{{ gt $value 1 }}", "error calling gt: incompatible types for comparison"),
        ("{{ lt true false }}", "error calling lt: invalid type for comparison"),
        ("{{ lt $labels $labels }}", "error calling lt: invalid type for comparison"),
        (
            "{{ eq $labels $labels }}",
            "error calling eq: non-comparable type map[instance:node1.example.com:9100 job:node]: map[string]string",
        ),
        (
            '{{ eq $labels (query "up") }}',
            "error calling eq: non-comparable types map[instance:node1.example.com:9100 job:node]: "
            "map[string]string, template.queryResult: [",
        ),
        ("{{ title nil }}", "cannot assign nil to string"),
        ("{{ eq 1 }}", "error calling eq: missing argument for comparison"),
        ("{{ len 3 }}", "error calling len: len of type int"),
        ("{{ index nil 1 }}", "error calling index: index of untyped nil"),
        ("{{ $m := args }}{{ index $m.x 1 }}", "error calling index: index of untyped nil"),
        ("{{ index (args).x 1 }}", "error calling index: index of untyped nil"),
        ('{{ index (index (args) "x") 1 }}', "error calling index: index of untyped nil"),
        ("{{ (args).x | len }}", "error calling len: reflect: call of reflect.Value.Type on zero Value"),
        ('{{ title (index (args) "x") }}', "invalid value; expected string"),
        ("{{ title (args).x }}", "wrong type for value; expected string; got interface {}"),
        ("{{ $m := args }}{{ title $m.x }}", "wrong type for value; expected string; got interface {}"),
        ('{{ index "abc" 5 }}', "error calling index: index out of range: 5"),
        ('{{ index "abc" -1 }}', "error calling index: index out of range: -1"),
        ('{{ index "abc" "x" }}', "error calling index: cannot index slice/array with type string"),
        ("{{ index $labels 1 }}", "error calling index: value has type int; should be string"),
        ("{{ index 5 1 }}", "error calling index: can't index item of type int"),
        ('{{ slice "abc" 2 1 }}', "error calling slice: invalid slice index: 2 > 1"),
        ('{{ slice "abc" 0 1 2 }}', "error calling slice: cannot 3-index slice a string"),
        ("{{ call $labels }}", "error calling call: non-function of type map[string]string"),
        ("{{ and }}", "wrong number of args for and: want at least 1 got 0"),
        ("{{ not 1 2 }}", "wrong number of args for not: want 1 got 2"),
    ],
)
def test_builtin_errors(text: str, message: str) -> None:
    error = render_error(text)
    assert error.endswith(message) or (message.endswith("[") and message in error)
