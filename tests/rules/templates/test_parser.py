"""The template parser (ember/rules/templates/parser.py): node tree shapes, Go's rendering of nodes,
variable scoping, control structures, definitions and Go's parse error messages."""

from __future__ import annotations

import pytest

from ember.rules.templates.nodes import (
    ActionNode,
    ChainNode,
    FieldNode,
    IfNode,
    ListNode,
    NumberNode,
    RangeNode,
    TemplateNode,
    TextNode,
    VariableNode,
    WithNode,
)
from ember.rules.templates.parser import TemplateParseError, TemplateSet, parse_template

_FUNCTIONS = {"printf", "len", "query", "first", "humanize", "eq"}


def _parse(text: str) -> TemplateSet:
    return parse_template("t", text, _FUNCTIONS)


def _root(text: str) -> ListNode:
    return _parse(text).templates["t"]


def test_text_and_action() -> None:
    root = _root("hello {{ .Labels.job }}")
    assert isinstance(root.nodes[0], TextNode)
    action = root.nodes[1]
    assert isinstance(action, ActionNode)
    field = action.pipe.cmds[0].args[0]
    assert isinstance(field, FieldNode)
    assert field.idents == ["Labels", "job"]


@pytest.mark.parametrize(
    "text",
    [
        '{{printf "%s" .Labels.job}}',
        "{{$x := 1}}",
        "{{$x := 1}}{{$x = 2}}",
        "{{.A | len | printf}}",
        '{{(query "up" | first).Labels.job}}',
        "{{if .A}}a{{else}}b{{end}}",
        "{{range $i, $v := .}}{{$i}}{{end}}",
        "{{with .A}}x{{end}}",
        '{{template "x" .}}',
        "{{$.Labels}}",
        "{{1.5e3}}",
        "{{`raw`}}",
        "{{nil | printf}}",
    ],
)
def test_nodes_render_back_as_go_does(text: str) -> None:
    assert str(_root(text)) == text


def test_variables_and_chains_join_fields() -> None:
    action = _root("{{$x := .}}{{$x.Labels.job}}{{(.).Labels}}").nodes[1]
    assert isinstance(action, ActionNode)
    variable = action.pipe.cmds[0].args[0]
    assert isinstance(variable, VariableNode)
    assert variable.idents == ["$x", "Labels", "job"]
    chain = _root("{{(.).Labels}}").nodes[0]
    assert isinstance(chain, ActionNode)
    assert isinstance(chain.pipe.cmds[0].args[0], ChainNode)


def test_else_if_nests_an_if_sharing_the_end() -> None:
    node = _root("{{if .A}}a{{else if .B}}b{{else}}c{{end}}").nodes[0]
    assert isinstance(node, IfNode)
    assert node.else_body is not None
    nested = node.else_body.nodes[0]
    assert isinstance(nested, IfNode)
    assert nested.else_body is not None
    assert str(nested.else_body) == "c"


def test_else_with_nests_a_with() -> None:
    node = _root("{{with .A}}a{{else with .B}}b{{end}}").nodes[0]
    assert isinstance(node, WithNode)
    assert node.else_body is not None
    assert isinstance(node.else_body.nodes[0], WithNode)


def test_range_with_two_variables_and_break() -> None:
    node = _root("{{range $k, $v := .}}{{if $k}}{{break}}{{end}}{{continue}}{{end}}").nodes[0]
    assert isinstance(node, RangeNode)
    assert [var.idents[0] for var in node.pipe.decl] == ["$k", "$v"]


def test_a_define_of_the_main_name_is_used_when_the_main_text_is_empty() -> None:
    assert str(_parse('{{define "t"}}x{{end}} ').templates["t"]) == "x"


def test_define_and_block_add_named_templates() -> None:
    parsed = _parse('{{define "a"}}A{{end}}{{block "b" .}}B{{end}}main')
    assert set(parsed.templates) == {"a", "b", "t"}
    assert str(parsed.templates["a"]) == "A"
    block_call = parsed.templates["t"].nodes[0]
    assert isinstance(block_call, TemplateNode)
    assert block_call.name == "b"


def test_numbers_keep_int_and_float_forms() -> None:
    action = _root("{{1.0}}").nodes[0]
    assert isinstance(action, ActionNode)
    number = action.pipe.cmds[0].args[0]
    assert isinstance(number, NumberNode)
    assert (number.int_value, number.float_value, number.is_float_literal) == (1, 1.0, True)


def test_variables_scope_ends_with_their_control() -> None:
    _parse("{{if true}}{{$x := 1}}{{$x}}{{end}}")
    with pytest.raises(TemplateParseError, match='undefined variable "\\$x"'):
        _parse("{{if true}}{{$x := 1}}{{end}}{{$x}}")


def test_define_bodies_do_not_see_outer_variables() -> None:
    with pytest.raises(TemplateParseError, match='undefined variable "\\$x"'):
        _parse('{{$x := 1}}{{define "a"}}{{$x}}{{end}}')


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{nosuch}}", 'template: t:1: function "nosuch" not defined'),
        ("{{$y}}", 'template: t:1: undefined variable "$y"'),
        ("{{$y = 1}}", 'template: t:1: undefined variable "$y"'),
        ("{{end}}", "template: t:1: unexpected {{end}}"),
        ("{{else}}", "template: t:1: unexpected {{else}}"),
        ("{{if true}}", "template: t:1: unexpected EOF"),
        ("a\nb\n{{if}}{{end}}", "template: t:3: missing value for if"),
        ("{{range .}}{{else}}{{else}}{{end}}", "template: t:1: expected end; found {{else}}"),
        ("{{break}}", "template: t:1: {{break}} outside {{range}}"),
        ("{{continue}}", "template: t:1: {{continue}} outside {{range}}"),
        ('{{range .}}{{block "b" .}}{{break}}{{end}}{{end}}', "template: t:1: {{break}} outside {{range}}"),
        ("{{1 | 2}}", "template: t:1: non executable command in pipeline stage 2"),
        ("{{template .}}", "template: t:1: unexpected <.> in template clause"),
        ('{{define "a"}}x{{end}}{{define "a"}}y{{end}}', 't:1: template: multiple definition of template "a"'),
        ("{{.A )}}", 'template: t:1: unexpected ")" in command'),
        ("{{ nosuch 12ab }}", 'template: t:1: function "nosuch" not defined'),
        ("{{ 12ab }}", 'template: t:1: bad number syntax: "12a"'),
        ("{{ ! }}", 'template: t:1: unexpected "!" in command'),
        ("{{\n1 (", "template: t:2: unclosed action started at t:1"),
        ('{{ "a\n" }}', "template: t:1: unterminated quoted string"),
        ("{{ if 1 }}{{ else }}{{ $x := 1 }}{{ else }}", "template: t:1: expected end; found {{else}}"),
        ('{{define "a"}}{{else}}{{end}}', "template: t:1: unexpected {{else}} in define clause"),
        ('{{define "t"}}x{{end}}main', 't:1: template: multiple definition of template "t"'),
        ('{{block "a" .}}{{else}}{{end}}', "template: t:1: unexpected {{else}} in block clause"),
        ("{{ $x\n }}", 'template: t:2: undefined variable "$x"'),
        ("{{ 0x1F.5 }}", 'template: t:1: illegal number syntax: "0x1F.5"'),
        ('{{"a".B}}', 'template: t:1: unexpected . after term "\\"a\\""'),
        ("{{|}}", 'template: t:1: unexpected "|" in command'),
        ('{{"\\q"}}', "template: t:1: invalid syntax"),
        ("{{if .A}}{{else with .B}}{{end}}", "template: t:1: unexpected <with> in input"),
        ("{{1 2 ,}}", 'template: t:1: unexpected "," in operand'),
        ("{{$a, $b := 1}}", "template: t:1: too many declarations in command"),
    ],
)
def test_parse_errors_match_go(text: str, message: str) -> None:
    with pytest.raises(TemplateParseError) as caught:
        _parse(text)
    assert str(caught.value).endswith(message)
    assert str(caught.value).startswith("template: t:")


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(TemplateParseError, match="max expression depth exceeded"):
        _parse("{{if true}}" * 101 + "{{end}}" * 101)
