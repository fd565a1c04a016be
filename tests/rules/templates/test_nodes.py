"""Parse-tree nodes (ember/rules/templates/nodes.py): each renders as Go's `Node.String()`, which
execution errors quote as their context."""

from __future__ import annotations

from ember.rules.templates.nodes import (
    ChainNode,
    CommandNode,
    FieldNode,
    IdentifierNode,
    IfNode,
    ListNode,
    PipeNode,
    StringNode,
    TemplateNode,
    TextNode,
    VariableNode,
)


def test_pipeline_with_declaration_and_parenthesised_argument() -> None:
    inner = PipeNode(0, cmds=[CommandNode(0, [IdentifierNode(0, "query"), StringNode(0, '"up"', "up")])])
    command = CommandNode(0, [IdentifierNode(0, "len"), inner])
    pipe = PipeNode(0, decl=[VariableNode(0, ["$n"])], cmds=[command])
    assert str(pipe) == '$n := len (query "up")'


def test_fields_variables_and_chains() -> None:
    assert str(FieldNode(0, ["Labels", "job"])) == ".Labels.job"
    assert str(VariableNode(0, ["$labels", "job"])) == "$labels.job"
    pipe = PipeNode(0, cmds=[CommandNode(0, [IdentifierNode(0, "first")])])
    assert str(ChainNode(0, pipe, ["Labels"])) == "(first).Labels"


def test_control_structures_and_text() -> None:
    condition = PipeNode(0, cmds=[CommandNode(0, [FieldNode(0, ["A"])])])
    node = IfNode(0, condition, ListNode(0, [TextNode(0, "yes")]), ListNode(0, [TextNode(0, "no")]))
    assert str(node) == "{{if .A}}yes{{else}}no{{end}}"
    assert str(TemplateNode(0, "x", None)) == '{{template "x"}}'
