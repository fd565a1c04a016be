"""A recursive-descent parser for Go's text/template, producing the node tree of `nodes.py`.

The grammar, scoping of variables and error messages follow Go's `text/template/parse`: undefined
variables and unknown functions are parse errors, `{{else if}}` nests an if sharing the `{{end}}`,
and `{{define}}` / `{{block}}` add named templates to the set.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from ember.rules.templates.gofmt import go_quote
from ember.rules.templates.lexer import Kind, Token, tokenize
from ember.rules.templates.literals import parse_char, parse_number, unquote
from ember.rules.templates.nodes import (
    ActionNode,
    BoolNode,
    BranchNode,
    BreakNode,
    ChainNode,
    CommandNode,
    ContinueNode,
    DotNode,
    FieldNode,
    IdentifierNode,
    IfNode,
    ListNode,
    NilNode,
    Node,
    NumberNode,
    PipeNode,
    RangeNode,
    StringNode,
    TemplateNode,
    TextNode,
    VariableNode,
    WithNode,
)

MAX_DEPTH = 100
_OPERAND_START = {
    Kind.BOOL,
    Kind.CHAR,
    Kind.DOT,
    Kind.FIELD,
    Kind.IDENTIFIER,
    Kind.NUMBER,
    Kind.RAW_STRING,
    Kind.STRING,
    Kind.VARIABLE,
    Kind.LEFT_PAREN,
}


class TemplateParseError(Exception):
    """A parse failure with Go's message, e.g. `template: x:1: function "foo" not defined`."""


@dataclass
class TemplateSet:
    """The parsed main template and every template it defines, by name; `text` for error positions."""

    name: str
    text: str
    templates: dict[str, ListNode] = field(default_factory=dict)


@dataclass
class _EndMarker:
    """`{{end}}` or `{{else}}` seen by an item list: which one, and the token where it was."""

    keyword: str
    token: Token


def parse_template(name: str, text: str, functions: Collection[str]) -> TemplateSet:
    """Parses `text` as template `name`; raises TemplateParseError with Go's wording."""
    parser = _Parser(name, tokenize(text), functions)
    root = parser.parse_root()
    parser.add_definition(name, root, parser.peek())
    return TemplateSet(name, text, parser.defined)


def _is_empty(node: ListNode) -> bool:
    return all(isinstance(child, TextNode) and not child.text.strip() for child in node.nodes)


class _Parser:
    def __init__(self, name: str, tokens: list[Token], functions: Collection[str]) -> None:
        self.name = name
        self.tokens = tokens
        self.index = 0
        self.functions = functions
        self.vars: list[str] = ["$"]
        self.range_depth = 0
        self.depth = 0
        self.defined: dict[str, ListNode] = {}
        self.action_line = 0
        self.furthest = -1

    # -- token stream -------------------------------------------------------------------------

    def next(self) -> Token:
        token = self.tokens[self.index]
        self.furthest = max(self.furthest, self.index)
        if token.kind is not Kind.EOF:
            self.index += 1
        return token

    def backup(self) -> None:
        self.index -= 1

    def peek(self) -> Token:
        self.furthest = max(self.furthest, self.index)
        return self.tokens[self.index]

    def next_non_space(self) -> Token:
        token = self.next()
        while token.kind is Kind.SPACE:
            token = self.next()
        return token

    def peek_non_space(self) -> Token:
        token = self.next_non_space()
        if token.kind is not Kind.EOF:
            self.backup()
        return token

    def error(self, message: str, token: Token | None = None) -> TemplateParseError:
        # As Go, the line is that of the furthest token read, look-ahead included; `token` is only a
        # fallback for messages raised before anything was read.
        line = self.tokens[self.furthest].line if self.furthest >= 0 else (token or self.tokens[0]).line
        return TemplateParseError(f"template: {self.name}:{line}: {message}")

    def expect(self, kind: Kind, context: str) -> Token:
        token = self.next_non_space()
        if token.kind is not kind:
            raise self.unexpected(token, context)
        return token

    def unexpected(self, token: Token, context: str) -> TemplateParseError:
        if token.kind is Kind.ERROR:
            # As Go: a lexing error, saying where its action began when that was on another line.
            extra = ""
            if self.action_line and self.action_line != token.line:
                extra = f" in action started at {self.name}:{self.action_line}"
                if token.value.endswith(" action"):
                    extra = extra[len(" in action") :]
            return self.error(token.value + extra, token)
        return self.error(f"unexpected {token.describe()} in {context}", token)

    # -- lists and actions ----------------------------------------------------------------------

    def parse_root(self) -> ListNode:
        root = ListNode(0)
        while self.peek().kind is not Kind.EOF:
            if self.peek().kind is Kind.LEFT:
                start = self.index
                left = self.next()
                keyword = self.next_non_space()
                if keyword.kind is Kind.KEYWORD and keyword.value == "define":
                    self.parse_definition(left)
                    continue
                self.index = start
            node, marker = self.text_or_action()
            if marker is not None:
                raise self.error(f"unexpected {{{{{marker.keyword}}}}}", marker.token)
            if node is not None:
                root.nodes.append(node)
        return root

    def parse_definition(self, left: Token) -> None:
        name_token = self.next_non_space()
        if name_token.kind not in (Kind.STRING, Kind.RAW_STRING):
            raise self.unexpected(name_token, "define clause")
        name = self.unquote(name_token)
        self.expect(Kind.RIGHT, "define clause")
        saved_vars, self.vars = self.vars, ["$"]
        body, marker = self.item_list()
        self.vars = saved_vars
        if marker.keyword != "end":
            raise self.error("unexpected {{else}} in define clause", marker.token)
        self.add_definition(name, body, left)

    def add_definition(self, name: str, body: ListNode, token: Token) -> None:
        existing = self.defined.get(name)
        if existing is not None and not _is_empty(existing) and not _is_empty(body):
            raise self.error(f"template: multiple definition of template {go_quote(name)}", token)
        if existing is None or not _is_empty(body):
            self.defined[name] = body

    def item_list(self) -> tuple[ListNode, _EndMarker]:
        body = ListNode(self.peek().pos)
        while self.peek_non_space().kind is not Kind.EOF:
            node, marker = self.text_or_action()
            if marker is not None:
                return body, marker
            if node is not None:
                body.nodes.append(node)
        raise self.error("unexpected EOF", self.peek())

    def text_or_action(self) -> tuple[Node | None, _EndMarker | None]:
        token = self.next_non_space()
        if token.kind is Kind.TEXT:
            return TextNode(token.pos, token.value), None
        if token.kind is Kind.LEFT:
            self.action_line = token.line
            try:
                return self.action()
            finally:
                self.action_line = 0
        raise self.unexpected(token, "input")

    def action(self) -> tuple[Node | None, _EndMarker | None]:
        token = self.next_non_space()
        if token.kind is Kind.KEYWORD:
            keyword = token.value
            if keyword in ("end", "else"):
                return None, self.end_or_else(keyword, token)
            if keyword in ("if", "with", "range"):
                return self.control(keyword, token), None
            if keyword in ("break", "continue"):
                return self.loop_control(keyword, token), None
            if keyword in ("template", "block"):
                return self.template_call(keyword, token), None
        self.backup()
        pipe = self.pipeline("command", Kind.RIGHT)
        return ActionNode(token.pos, pipe), None

    def end_or_else(self, keyword: str, token: Token) -> _EndMarker:
        if keyword == "else":
            following = self.peek_non_space()
            if following.kind is Kind.KEYWORD and following.value in ("if", "with"):
                return _EndMarker("else", token)
        self.expect(Kind.RIGHT, keyword)
        return _EndMarker(keyword, token)

    def loop_control(self, keyword: str, token: Token) -> Node:
        following = self.next_non_space()
        if following.kind is not Kind.RIGHT:
            raise self.unexpected(following, f"{{{{{keyword}}}}}")
        if self.range_depth == 0:
            raise self.error(f"{{{{{keyword}}}}} outside {{{{range}}}}", token)
        return BreakNode(token.pos) if keyword == "break" else ContinueNode(token.pos)

    def control(self, keyword: str, token: Token) -> BranchNode:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error("max expression depth exceeded", token)
        mark = len(self.vars)
        pipe = self.pipeline(keyword, Kind.RIGHT)
        if keyword == "range":
            self.range_depth += 1
        body, marker = self.item_list()
        if keyword == "range":
            self.range_depth -= 1
        else_body = None
        if marker.keyword == "else":
            else_body = self.else_branch(keyword, marker)
        self.vars = self.vars[:mark]
        self.depth -= 1
        node_type = {"if": IfNode, "with": WithNode, "range": RangeNode}[keyword]
        return node_type(token.pos, pipe, body, else_body)

    def else_branch(self, keyword: str, marker: _EndMarker) -> ListNode:
        following = self.peek_non_space()
        if following.kind is Kind.KEYWORD and following.value in ("if", "with"):
            if following.value != keyword:
                raise self.unexpected(following, "input")
            self.next_non_space()
            return ListNode(following.pos, [self.control(keyword, following)])
        else_body, end = self.item_list()
        if end.keyword != "end":
            raise self.error("expected end; found {{else}}", end.token)
        return else_body

    def template_call(self, keyword: str, token: Token) -> Node:
        context = f"{keyword} clause"
        name_token = self.next_non_space()
        if name_token.kind not in (Kind.STRING, Kind.RAW_STRING):
            raise self.unexpected(name_token, context)
        name = self.unquote(name_token)
        pipe = None
        if self.next_non_space().kind is not Kind.RIGHT:
            self.backup()
            pipe = self.pipeline(context, Kind.RIGHT)
        if keyword == "block":
            saved = self.vars, self.range_depth
            self.vars, self.range_depth = ["$"], 0
            body, marker = self.item_list()
            self.vars, self.range_depth = saved
            if marker.keyword != "end":
                raise self.error("unexpected {{else}} in block clause", marker.token)
            self.add_definition(name, body, token)
        return TemplateNode(name_token.pos, name, pipe)

    # -- pipelines and operands ---------------------------------------------------------------

    def pipeline(self, context: str, end: Kind) -> PipeNode:
        pipe = PipeNode(self.peek_non_space().pos)
        self.declarations(pipe, context)
        while True:
            token = self.next_non_space()
            if token.kind is end:
                self.check_pipeline(pipe, context, token)
                return pipe
            if token.kind in _OPERAND_START or (token.kind is Kind.KEYWORD and token.value == "nil"):
                self.backup()
                pipe.cmds.append(self.command())
                continue
            raise self.unexpected(token, context)

    def declarations(self, pipe: PipeNode, context: str) -> None:
        start = self.index
        variable = self.next_non_space()
        if variable.kind is not Kind.VARIABLE:
            self.index = start
            return
        operator = self.next_non_space()
        if operator.kind in (Kind.DECLARE, Kind.ASSIGN):
            pipe.is_assign = operator.kind is Kind.ASSIGN
            pipe.decl.append(self.declared(variable, pipe.is_assign))
            return
        if operator.kind is Kind.COMMA and context == "range" and not pipe.decl:
            pipe.decl.append(self.declared(variable, False))
            second = self.next_non_space()
            operator = self.next_non_space()
            if second.kind is Kind.VARIABLE and operator.kind in (Kind.DECLARE, Kind.ASSIGN):
                pipe.is_assign = operator.kind is Kind.ASSIGN
                pipe.decl[0] = self.declared(variable, pipe.is_assign)
                pipe.decl.append(self.declared(second, pipe.is_assign))
                return
            raise self.error(f"range can only initialize variables, found {second.describe()}", second)
        if operator.kind is Kind.COMMA:
            raise self.error(f"too many declarations in {context}", operator)
        self.index = start

    def declared(self, token: Token, is_assign: bool) -> VariableNode:
        if is_assign:
            self.use_variable(token)
        else:
            self.vars.append(token.value)
        return VariableNode(token.pos, [token.value])

    def check_pipeline(self, pipe: PipeNode, context: str, token: Token) -> None:
        if not pipe.cmds:
            raise self.error(f"missing value for {context}", token)
        for stage, cmd in enumerate(pipe.cmds[1:], start=2):
            if isinstance(cmd.args[0], (BoolNode, DotNode, NilNode, NumberNode, StringNode)):
                raise self.error(f"non executable command in pipeline stage {stage}", token)

    def command(self) -> CommandNode:
        cmd = CommandNode(self.peek_non_space().pos)
        while True:
            self.peek_non_space()
            operand = self.operand()
            if operand is not None:
                cmd.args.append(operand)
            token = self.next()
            if token.kind is Kind.SPACE:
                continue
            if token.kind in (Kind.RIGHT, Kind.RIGHT_PAREN):
                self.backup()
            elif token.kind is not Kind.PIPE:
                raise self.unexpected(token, "operand")
            break
        if not cmd.args:
            raise self.error("empty command")
        return cmd

    def operand(self) -> Node | None:
        term = self.term()
        if term is None:
            return None
        if self.peek().kind is not Kind.FIELD:
            return term
        # As Go, the combined node is positioned at its first trailing field (error columns point there).
        pos = self.peek().pos
        fields: list[str] = []
        while self.peek().kind is Kind.FIELD:
            fields.append(self.next().value[1:])
        if isinstance(term, FieldNode):
            return FieldNode(pos, term.idents + fields)
        if isinstance(term, VariableNode):
            return VariableNode(pos, term.idents + fields)
        if isinstance(term, (BoolNode, StringNode, NumberNode, NilNode, DotNode)):
            raise self.error(f"unexpected . after term {go_quote(str(term))}")
        return ChainNode(pos, term, fields)

    def term(self) -> Node | None:
        token = self.next_non_space()
        kind = token.kind
        if kind is Kind.IDENTIFIER:
            if token.value not in self.functions:
                raise self.error(f"function {go_quote(token.value)} not defined", token)
            return IdentifierNode(token.pos, token.value)
        if kind is Kind.DOT:
            return DotNode(token.pos)
        if kind is Kind.KEYWORD and token.value == "nil":
            return NilNode(token.pos)
        if kind is Kind.VARIABLE:
            self.use_variable(token)
            return VariableNode(token.pos, [token.value])
        if kind is Kind.FIELD:
            return FieldNode(token.pos, [token.value[1:]])
        if kind is Kind.BOOL:
            return BoolNode(token.pos, token.value == "true")
        if kind in (Kind.NUMBER, Kind.CHAR):
            return self.number(token)
        if kind is Kind.LEFT_PAREN:
            return self.parenthesized(token)
        if kind in (Kind.STRING, Kind.RAW_STRING):
            return StringNode(token.pos, token.value, self.unquote(token))
        self.backup()
        return None

    def parenthesized(self, token: Token) -> PipeNode:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error("max expression depth exceeded", token)
        pipe = self.pipeline("parenthesized pipeline", Kind.RIGHT_PAREN)
        self.depth -= 1
        return pipe

    def number(self, token: Token) -> NumberNode:
        try:
            if token.kind is Kind.CHAR:
                code = parse_char(token.value)
                return NumberNode(token.pos, token.value, code, float(code), False)
            int_value, float_value, is_float = parse_number(token.value)
        except ValueError as exc:
            raise self.error(str(exc), token) from None
        return NumberNode(token.pos, token.value, int_value, float_value, is_float)

    def unquote(self, token: Token) -> str:
        try:
            return unquote(token.value)
        except ValueError as exc:
            raise self.error(str(exc), token) from None

    def use_variable(self, token: Token) -> None:
        if token.value not in self.vars:
            raise self.error(f"undefined variable {go_quote(token.value)}", token)
