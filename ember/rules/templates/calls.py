"""Template functions with Go signatures: argument counts and types checked as text/template does.

Parameter types are named as Go names them ("string", "float64", "int", "bool", "any",
"template.queryResult", "*template.sample"); "value" means Go's reflect.Value (builtins such as `eq`
that take anything). A function signals failure by raising FunctionError, which the executor reports
as `error calling <name>: <message>`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ember.rules.templates.values import (
    MISSING,
    GoDuration,
    GoStruct,
    GoTime,
    QueryResult,
    SafeHTML,
    go_type_name,
)

if TYPE_CHECKING:
    from ember.rules.templates.executor import Executor
    from ember.rules.templates.nodes import Node

FailureFactory = Callable[[str], Exception]


class FunctionError(Exception):
    """A template function's error value (Go's second return value, or a recovered panic)."""


# Go's canBeNil: interfaces, pointers, slices, and reflect.Value (the builtins' parameter type).
NILABLE_TYPES = frozenset({"any", "value", "template.queryResult", "*template.sample"})


def _go_param_name(param_type: str) -> str:
    return "reflect.Value" if param_type == "value" else param_type


@dataclass(frozen=True)
class TemplateFunction:
    """A function callable from templates: `body(*args)` or, if `wants_executor`, `body(executor, *args)`."""

    name: str
    params: tuple[str, ...]
    body: Callable[..., Any]
    variadic: str | None = None
    wants_executor: bool = False
    lazy: Callable[[Executor, Any, list[Node], Any], Any] | None = None

    def accepts(self, count: int) -> bool:
        if self.variadic is not None:
            return count >= len(self.params)
        return count == len(self.params)

    def arity_text(self) -> str:
        if self.variadic is not None:
            return f"want at least {len(self.params)}"
        return f"want {len(self.params)}"

    def param_type(self, index: int) -> str:
        if index < len(self.params):
            return self.params[index]
        return self.variadic or "any"

    def convert(self, value: Any, index: int, failure: FailureFactory) -> Any:
        return self.check_type(value, self.param_type(index), failure)

    @staticmethod
    def check_type(value: Any, param_type: str, failure: FailureFactory) -> Any:
        """Go's `validateType`: the value must be assignable to the parameter type.

        MISSING (no value) becomes the parameter type's zero where that can be nil; None (a nil
        interface found in a map) is only assignable to interface parameters."""
        if value is MISSING:
            if param_type in NILABLE_TYPES:
                return QueryResult() if param_type == "template.queryResult" else None
            raise failure(f"invalid value; expected {_go_param_name(param_type)}")
        if param_type in ("any", "value") or _assignable(value, param_type):
            return value
        got = "interface {}" if value is None else go_type_name(value)
        raise failure(f"wrong type for value; expected {param_type}; got {got}")

    def call(self, values: list[Any], executor: Executor) -> Any:
        if self.wants_executor:
            return self.body(executor, *values)
        return self.body(*values)

    def call_lazy(self, executor: Executor, dot: Any, args: list[Node], final: Any) -> Any:
        assert self.lazy is not None
        return self.lazy(executor, dot, args, final)


def _assignable(value: Any, param_type: str) -> bool:
    if param_type == "string":
        return isinstance(value, str) and not isinstance(value, SafeHTML)
    if param_type == "float64":
        return isinstance(value, float)
    if param_type == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if param_type == "bool":
        return isinstance(value, bool)
    if param_type == "template.queryResult":
        return isinstance(value, QueryResult)
    if param_type == "time.Duration":
        return isinstance(value, GoDuration)
    if param_type == "time.Time":
        return isinstance(value, GoTime)
    if param_type == "*template.sample":
        return isinstance(value, GoStruct) and value.type_name == "*template.sample"
    return False


def function(
    name: str, params: tuple[str, ...], body: Callable[..., Any], variadic: str | None = None
) -> TemplateFunction:
    """Shorthand for a plain function entry."""
    return TemplateFunction(name, params, body, variadic)
