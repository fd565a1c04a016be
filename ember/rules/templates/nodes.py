"""The parse tree of a Go text/template; `str(node)` renders it as Go's `Node.String()` does.

Execution errors quote the node being evaluated (`executing "x" at <.Labels.foo>: ...`), so the
rendering matters for messages, not only for debugging.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(eq=False)
class Node:
    pos: int


@dataclass(eq=False)
class TextNode(Node):
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(eq=False)
class ListNode(Node):
    nodes: list[Node] = field(default_factory=list)

    def __str__(self) -> str:
        return "".join(str(node) for node in self.nodes)


@dataclass(eq=False)
class DotNode(Node):
    def __str__(self) -> str:
        return "."


@dataclass(eq=False)
class NilNode(Node):
    def __str__(self) -> str:
        return "nil"


@dataclass(eq=False)
class BoolNode(Node):
    value: bool

    def __str__(self) -> str:
        return "true" if self.value else "false"


@dataclass(eq=False)
class NumberNode(Node):
    """A numeric constant; like Go's, it may be usable as an int, a float or both."""

    text: str
    int_value: int | None
    float_value: float | None
    is_float_literal: bool

    def __str__(self) -> str:
        return self.text


@dataclass(eq=False)
class StringNode(Node):
    quoted: str
    text: str

    def __str__(self) -> str:
        return self.quoted


@dataclass(eq=False)
class IdentifierNode(Node):
    """A function name."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(eq=False)
class VariableNode(Node):
    """`$x.Field.Key`: the variable name first, then field names."""

    idents: list[str]

    def __str__(self) -> str:
        return ".".join(self.idents)


@dataclass(eq=False)
class FieldNode(Node):
    """`.Field.Key` on dot."""

    idents: list[str]

    def __str__(self) -> str:
        return "".join("." + ident for ident in self.idents)


@dataclass(eq=False)
class ChainNode(Node):
    """Fields applied to a term that is not dot or a variable, e.g. `(query "up" | first).Labels`."""

    node: Node
    fields: list[str]

    def __str__(self) -> str:
        base = f"({self.node})" if isinstance(self.node, PipeNode) else str(self.node)
        return base + "".join("." + name for name in self.fields)


@dataclass(eq=False)
class CommandNode(Node):
    args: list[Node] = field(default_factory=list)

    def __str__(self) -> str:
        return " ".join(f"({arg})" if isinstance(arg, PipeNode) else str(arg) for arg in self.args)


@dataclass(eq=False)
class PipeNode(Node):
    """A pipeline, optionally declaring (`:=`) or assigning (`=`) variables."""

    is_assign: bool = False
    decl: list[VariableNode] = field(default_factory=list)
    cmds: list[CommandNode] = field(default_factory=list)

    def __str__(self) -> str:
        head = ""
        if self.decl:
            names = ", ".join(str(var) for var in self.decl)
            head = f"{names} {'=' if self.is_assign else ':='} "
        return head + " | ".join(str(cmd) for cmd in self.cmds)


@dataclass(eq=False)
class ActionNode(Node):
    pipe: PipeNode

    def __str__(self) -> str:
        return "{{" + str(self.pipe) + "}}"


@dataclass(eq=False)
class BranchNode(Node):
    """Shared shape of if, with and range."""

    pipe: PipeNode
    body: ListNode
    else_body: ListNode | None
    keyword = ""

    def __str__(self) -> str:
        text = "{{" + self.keyword + " " + str(self.pipe) + "}}" + str(self.body)
        if self.else_body is not None:
            text += "{{else}}" + str(self.else_body)
        return text + "{{end}}"


@dataclass(eq=False)
class IfNode(BranchNode):
    keyword = "if"


@dataclass(eq=False)
class WithNode(BranchNode):
    keyword = "with"


@dataclass(eq=False)
class RangeNode(BranchNode):
    keyword = "range"


@dataclass(eq=False)
class BreakNode(Node):
    def __str__(self) -> str:
        return "{{break}}"


@dataclass(eq=False)
class ContinueNode(Node):
    def __str__(self) -> str:
        return "{{continue}}"


@dataclass(eq=False)
class TemplateNode(Node):
    """`{{template "name" pipeline}}`."""

    name: str
    pipe: PipeNode | None

    def __str__(self) -> str:
        quoted = '"' + self.name + '"'
        return "{{template " + quoted + (f" {self.pipe}" if self.pipe else "") + "}}"
