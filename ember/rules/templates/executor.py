"""Executes a parsed template set against data, with Go text/template's semantics.

Variables are a stack with marks (as Go's `state.vars`), `range` sorts map keys, pipelines pass the
previous value as the last argument, and errors read
`template: <name>:<line>:<col>: executing "<name>" at <node>: <message>`.
A step budget, an output budget and a call-depth limit bound hostile templates.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ember.rules.templates.calls import NILABLE_TYPES, FunctionError, TemplateFunction
from ember.rules.templates.go_time import methods_of
from ember.rules.templates.gofmt import go_quote
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
from ember.rules.templates.parser import TemplateSet
from ember.rules.templates.values import (
    MISSING,
    GoDuration,
    GoMap,
    GoStruct,
    format_for_output,
    go_type_name,
    is_true,
)

# How Go's evalArg names the basic kinds a constant failed to convert to.
_BASIC_NAMES = {"string": "string", "float64": "float", "int": "integer", "time.Duration": "integer", "bool": "bool"}
_CHARS_PER_STEP = 64
NO_FINAL: Any = object()  # a command that gets no value piped in (Go's missingVal)


@dataclass(frozen=True)
class ExecutionLimits:
    """Budgets that stop a template from running away; exceeding one is an execution error."""

    max_steps: int = 200_000
    max_output_chars: int = 1 << 20
    max_call_depth: int = 100


class TemplateExecError(Exception):
    """An execution failure carrying Go's full message."""


class _FailureError(Exception):
    """Raised inside execution; turned into a positioned TemplateExecError at the top."""

    def __init__(self, node: Node, template: str, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.template = template


class _BreakSignal(Exception):  # noqa: N818 - control flow, not an error
    pass


class _ContinueSignal(Exception):  # noqa: N818 - control flow, not an error
    pass


class Executor:
    """One execution of `templates` (entry point `templates.name`) with a function table."""

    def __init__(self, templates: TemplateSet, functions: dict[str, TemplateFunction], limits: ExecutionLimits) -> None:
        self.templates = templates
        self.functions = functions
        self.limits = limits
        self.out: list[str] = []
        self.out_chars = 0
        self.steps = 0
        self.depth = 0
        self.vars: list[tuple[str, Any]] = []
        self.current = templates.name
        self.node: Node = ListNode(0)

    def run(self, data: Any) -> str:
        """Executes the main template; raises TemplateExecError with Go's message."""
        try:
            self.call_template(self.templates.name, data)
        except _FailureError as failure:
            raise TemplateExecError(self.describe(failure)) from None
        except RecursionError:
            raise TemplateExecError(self.describe(self.failure("exceeded maximum template depth"))) from None
        return "".join(self.out)

    def render(self, name: str, data: Any) -> str:
        """Executes template `name` into a fresh buffer (for `tmpl`), sharing budgets."""
        saved_out, self.out = self.out, []
        try:
            self.call_template(name, data)
            return "".join(self.out)
        finally:
            self.out = saved_out

    def describe(self, failure: _FailureError) -> str:
        pos = min(failure.node.pos, len(self.templates.text))
        before = self.templates.text[:pos]
        line_start = before.rfind("\n") + 1
        column = len(before[line_start:].encode())  # Go counts bytes, not characters
        line = 1 + before.count("\n")
        context = str(failure.node)
        return (
            f'template: {self.templates.name}:{line}:{column}: executing "{failure.template}" at <{context}>: {failure}'
        )

    def failure(self, message: str, node: Node | None = None) -> _FailureError:
        return _FailureError(node or self.node, self.current, message)

    # -- walking ---------------------------------------------------------------------------------

    def call_template(self, name: str, data: Any) -> None:
        body = self.templates.templates.get(name)
        if body is None:
            raise self.failure(f"template {go_quote(name)} not defined")
        if self.depth >= self.limits.max_call_depth:
            raise self.failure(f"exceeded maximum template depth ({self.limits.max_call_depth})")
        saved = (self.vars, self.current)
        self.vars, self.current = [("$", data)], name
        self.depth += 1
        try:
            self.walk_list(data, body)
        finally:
            self.depth -= 1
            self.vars, self.current = saved

    def step(self, node: Node) -> None:
        self.node = node
        self.steps += 1
        if self.steps > self.limits.max_steps:
            raise self.failure(f"template execution exceeded {self.limits.max_steps} steps")

    def write(self, text: str) -> None:
        self.out_chars += len(text)
        if self.out_chars > self.limits.max_output_chars:
            raise self.failure(f"template output exceeded {self.limits.max_output_chars} characters")
        self.out.append(text)

    def walk_list(self, dot: Any, body: ListNode) -> None:
        for node in body.nodes:
            self.walk(dot, node)

    def walk(self, dot: Any, node: Node) -> None:
        self.step(node)
        if isinstance(node, TextNode):
            self.write(node.text)
        elif isinstance(node, ActionNode):
            value = self.eval_pipeline(dot, node.pipe)
            if not node.pipe.decl:
                self.node = node
                self.write(format_for_output(value))
        elif isinstance(node, RangeNode):
            self.walk_range(dot, node)
        elif isinstance(node, (IfNode, WithNode)):
            self.walk_if_or_with(dot, node)
        elif isinstance(node, TemplateNode):
            value = MISSING if node.pipe is None else self.eval_pipeline(dot, node.pipe)
            self.node = node
            self.call_template(node.name, value)
        elif isinstance(node, BreakNode):
            raise _BreakSignal
        elif isinstance(node, ContinueNode):
            raise _ContinueSignal
        elif isinstance(node, ListNode):
            self.walk_list(dot, node)
        else:
            raise self.failure(f"unknown node: {node}")

    def walk_if_or_with(self, dot: Any, node: BranchNode) -> None:
        mark = len(self.vars)
        try:
            value = self.eval_pipeline(dot, node.pipe)
            if is_true(value):
                self.walk_list(value if isinstance(node, WithNode) else dot, node.body)
            elif node.else_body is not None:
                self.walk_list(dot, node.else_body)
        finally:
            del self.vars[mark:]

    def walk_range(self, dot: Any, node: RangeNode) -> None:
        mark = len(self.vars)
        try:
            collection = self.eval_pipeline(dot, node.pipe)
            inner_mark = len(self.vars)
            empty = True
            for index, element in self.range_items(collection, len(node.pipe.decl) > 1):
                empty = False
                self.bind_range_vars(node.pipe, index, element)
                try:
                    self.walk_list(element, node.body)
                except _ContinueSignal:
                    pass
                except _BreakSignal:
                    break
                finally:
                    del self.vars[inner_mark:]
            if empty and node.else_body is not None:
                self.walk_list(dot, node.else_body)
        finally:
            del self.vars[mark:]

    def range_items(self, value: Any, two_variables: bool) -> Iterator[tuple[Any, Any]]:
        if value is MISSING or value is None:
            return iter(())
        if isinstance(value, list):
            return enumerate(list(value))
        if isinstance(value, GoMap):
            return iter(list(value.sorted_items()))
        if isinstance(value, int) and not isinstance(value, bool):
            if two_variables:
                raise self.failure(f"can't use {value} to iterate over more than one variable")
            return ((i, i) for i in range(value))
        raise self.failure(f"range can't iterate over {format_for_output(value)}")

    def bind_range_vars(self, pipe: PipeNode, index: Any, element: Any) -> None:
        names = [var.idents[0] for var in pipe.decl]
        if not names:
            return
        if pipe.is_assign:
            self.set_var(names[0], index if len(names) > 1 else element)
            if len(names) > 1:
                self.set_var(names[1], element)
            return
        # As Go: the last declared variable gets the element, the one before it the index.
        self.vars[-1] = (self.vars[-1][0], element)
        if len(names) > 1:
            self.vars[-2] = (self.vars[-2][0], index)

    # -- variables ---------------------------------------------------------------------------------

    def set_var(self, name: str, value: Any) -> None:
        for position in range(len(self.vars) - 1, -1, -1):
            if self.vars[position][0] == name:
                self.vars[position] = (name, value)
                return
        raise self.failure(f"undefined variable: {name}")

    def var_value(self, name: str) -> Any:
        for position in range(len(self.vars) - 1, -1, -1):
            if self.vars[position][0] == name:
                return self.vars[position][1]
        raise self.failure(f"undefined variable: {name}")

    # -- pipelines, commands and arguments -----------------------------------------------------------

    def eval_pipeline(self, dot: Any, pipe: PipeNode) -> Any:
        self.node = pipe
        value = NO_FINAL
        for cmd in pipe.cmds:
            value = self.eval_command(dot, cmd, value)
            if value is None:
                # As Go, a nil interface result is unwrapped into no value at all.
                value = MISSING
        for var in pipe.decl:
            if pipe.is_assign:
                self.set_var(var.idents[0], value)
            else:
                self.vars.append((var.idents[0], value))
        return value

    def eval_command(self, dot: Any, cmd: CommandNode, final: Any) -> Any:
        self.step(cmd)
        first = cmd.args[0]
        if isinstance(first, FieldNode):
            self.node = first
            return self.eval_field_chain(dot, dot, first.idents, cmd.args, final)
        if isinstance(first, ChainNode):
            return self.eval_chain(dot, first, cmd.args, final)
        if isinstance(first, IdentifierNode):
            self.node = first
            return self.call_function(dot, first.name, cmd, cmd.args[1:], final)
        if isinstance(first, VariableNode):
            return self.eval_variable(dot, first, cmd.args, final)
        self.node = first
        self.not_a_function(cmd.args, final)
        if isinstance(first, PipeNode):
            return self.eval_pipeline(dot, first)
        if isinstance(first, NilNode):
            raise self.failure("nil is not a command")
        return self.constant(dot, first)

    def constant(self, dot: Any, node: Node) -> Any:
        if isinstance(node, BoolNode):
            return node.value
        if isinstance(node, DotNode):
            return dot
        if isinstance(node, StringNode):
            return node.text
        if isinstance(node, NumberNode):
            # Go's idealConstant: written as a float -> float64, else int (which must fit in 64 bits).
            if node.is_float_literal and node.float_value is not None:
                return node.float_value
            if node.int_value is not None and -(2**63) <= node.int_value < 2**63:
                return node.int_value
            raise self.failure(f"{node} overflows int")
        raise self.failure(f"can't evaluate command {node}")

    def not_a_function(self, args: list[Node], final: Any) -> None:
        if len(args) > 1 or final is not NO_FINAL:
            raise self.failure(f"can't give argument to non-function {args[0]}")

    def eval_variable(self, dot: Any, node: VariableNode, args: list[Node], final: Any) -> Any:
        self.node = node
        value = self.var_value(node.idents[0])
        if len(node.idents) == 1:
            self.not_a_function(args, final)
            return value
        return self.eval_field_chain(dot, value, node.idents[1:], args, final)

    def eval_chain(self, dot: Any, node: ChainNode, args: list[Node], final: Any) -> Any:
        self.node = node
        if isinstance(node.node, PipeNode):
            receiver = self.eval_pipeline(dot, node.node)
        else:
            receiver = self.eval_arg(dot, node.node)
        # As Go, a failing field reports the last node evaluated (for `(query "x").y`, the argument "x").
        return self.eval_field_chain(dot, receiver, node.fields, args, final)

    def eval_field_chain(self, dot: Any, receiver: Any, names: list[str], args: list[Node], final: Any) -> Any:
        for name in names[:-1]:
            receiver = self.eval_field(dot, receiver, name, [], NO_FINAL)
        return self.eval_field(dot, receiver, names[-1], args, final)

    def eval_field(self, dot: Any, receiver: Any, name: str, args: list[Node], final: Any) -> Any:
        """`.name` on a value: a method call, a struct field or a map key, as Go's `evalField`."""
        has_args = len(args) > 1 or final is not NO_FINAL
        if receiver is MISSING:
            return MISSING
        if receiver is None:
            raise self.failure(f"nil pointer evaluating interface {{}}.{name}")
        method = methods_of(receiver).get(name)
        if method is not None:
            return self.call(method, dot, self.node, args[1:], final)
        if isinstance(receiver, GoMap):
            if has_args:
                raise self.failure(f"{name} is not a method but has arguments")
            return receiver.entries.get(name, receiver.zero)
        if isinstance(receiver, GoStruct) and name in receiver.fields:
            if has_args:
                raise self.failure(f"{name} has arguments but cannot be invoked as function")
            return receiver.fields[name]
        raise self.failure(f"can't evaluate field {name} in type {go_type_name(receiver)}")

    def eval_arg(self, dot: Any, node: Node) -> Any:
        """An argument's value without type conversion (for `any` parameters)."""
        self.node = node
        if isinstance(node, FieldNode):
            return self.eval_field_chain(dot, dot, node.idents, [node], NO_FINAL)
        if isinstance(node, VariableNode):
            return self.eval_variable(dot, node, [node], NO_FINAL)
        if isinstance(node, PipeNode):
            return self.eval_pipeline(dot, node)
        if isinstance(node, IdentifierNode):
            return self.call_function(dot, node.name, node, [], NO_FINAL)
        if isinstance(node, ChainNode):
            return self.eval_chain(dot, node, [node], NO_FINAL)
        if isinstance(node, NilNode):
            return None
        return self.constant(dot, node)

    def call_function(self, dot: Any, name: str, node: Node, args: list[Node], final: Any) -> Any:
        function = self.functions.get(name)
        if function is None:
            raise self.failure(f"{go_quote(name)} is not a defined function")
        return self.call(function, dot, node, args, final)

    def call(self, function: TemplateFunction, dot: Any, node: Node, args: list[Node], final: Any) -> Any:
        """Go's `evalCall`: checks the argument count, converts each argument, reports the error value."""
        name = function.name
        given = len(args) + (final is not NO_FINAL)
        if not function.accepts(given):
            raise self.failure(f"wrong number of args for {name}: {function.arity_text()} got {given}")
        if function.lazy:
            return function.call_lazy(self, dot, args, final)
        values = [self.argument(dot, arg, function.param_type(i)) for i, arg in enumerate(args)]
        if final is not NO_FINAL:
            values.append(function.convert(final, given - 1, self.failure))
        try:
            result = function.call(values, self)
        except FunctionError as exc:
            self.node = node
            raise self.failure(f"error calling {name}: {exc}") from None
        if isinstance(result, str) and len(result) >= _CHARS_PER_STEP:
            # Large intermediate strings (printf "%999999d") cost steps, so a loop of them stays bounded.
            self.steps += len(result) // _CHARS_PER_STEP
        return result

    def argument(self, dot: Any, node: Node, param_type: str) -> Any:
        """Evaluates an argument for a parameter of Go type `param_type`, as Go's `evalArg`."""
        self.node = node
        if isinstance(node, NilNode):
            if param_type not in NILABLE_TYPES:
                raise self.failure(f"cannot assign nil to {param_type}")
            return TemplateFunction.check_type(MISSING, param_type, self.failure)
        if isinstance(node, (NumberNode, StringNode, BoolNode)) and param_type != "any":
            return self.typed_constant(node, param_type)
        value = self.eval_arg(dot, node)
        # As Go, a type error names the last node evaluated (inside a parenthesised pipeline, its last argument).
        return TemplateFunction.check_type(value, param_type, self.failure)

    def typed_constant(self, node: Node, param_type: str) -> Any:
        if param_type == "string" and isinstance(node, StringNode):
            return node.text
        if param_type == "float64" and isinstance(node, NumberNode) and node.float_value is not None:
            return node.float_value
        if param_type == "int" and isinstance(node, NumberNode) and node.int_value is not None:
            return node.int_value
        if param_type == "time.Duration" and isinstance(node, NumberNode) and node.int_value is not None:
            return GoDuration(node.int_value)  # an integer kind in Go, so constants convert
        if param_type == "bool" and isinstance(node, BoolNode):
            return node.value
        if param_type == "value":
            return self.constant(None, node)
        if param_type in _BASIC_NAMES:
            raise self.failure(f"expected {_BASIC_NAMES[param_type]}; found {node}")
        raise self.failure(f"can't handle {node} for arg of type {param_type}")
