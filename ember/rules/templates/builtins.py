"""Go text/template's predefined functions: and or not len index slice print printf println html js
urlquery eq ne lt le gt ge call, with Go's comparison rules and error messages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

from ember.rules.templates.calls import FunctionError, TemplateFunction, function
from ember.rules.templates.executor import NO_FINAL
from ember.rules.templates.gofmt import go_sprint, go_sprintf, go_sprintln
from ember.rules.templates.values import GoMap, GoStruct, QueryResult, SafeHTML, Uint8, go_type_name, is_true

if TYPE_CHECKING:
    from ember.rules.templates.executor import Executor
    from ember.rules.templates.nodes import Node

_HTML_ESCAPES = {"<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&#39;", '"': "&#34;", "\0": "\ufffd"}
_JS_ESCAPES = {"\\": "\\\\", "'": "\\'", '"': '\\"', "<": "\\u003C", ">": "\\u003E", "&": "\\u0026", "=": "\\u003D"}


def _short_circuit(name: str) -> Any:
    stop_when = name == "or"

    def run(executor: Executor, dot: Any, args: list[Node], final: Any) -> Any:
        value: Any = None
        for arg in args:
            value = executor.argument(dot, arg, "value")
            if is_true(value) == stop_when:
                return value
        if final is not NO_FINAL:
            value = TemplateFunction.check_type(final, "value", executor.failure)
        return value

    return run


def _kind(value: Any) -> str:
    """Go's `basicKind` for comparisons."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "invalid"
    return "other"


def go_eq(first: Any, *others: Any) -> bool:
    """`eq arg1 arg2...`: true if arg1 equals any of the others."""
    if not others:
        raise FunctionError("missing argument for comparison")
    kind = _kind(first)
    for other in others:
        other_kind = _kind(other)
        if kind != other_kind:
            if first is not None and other is not None:
                raise FunctionError("incompatible types for comparison")
            continue
        if kind == "other":
            if _composite_equal(first, other):
                return True
            continue
        if kind == "invalid" or first == other:
            return True
    return False


def _reflect_kind(value: Any) -> str:
    if isinstance(value, GoMap):
        return "map"
    if isinstance(value, list):
        return "slice"
    if isinstance(value, GoStruct) and not value.pointer:
        return "struct"
    return "ptr"


def _composite_equal(first: Any, other: Any) -> bool:
    """Go's eq for non-basic values: pointers by identity; maps, slices and map-holding structs never."""
    kind = _reflect_kind(first)
    if kind != _reflect_kind(other):
        raise FunctionError(
            go_sprintf("non-comparable types %s: %v, %s: %v", [first, go_type_name(first), go_type_name(other), other])
        )
    if kind != "ptr":  # maps, slices and the (map-holding) data struct are not comparable in Go
        raise FunctionError(go_sprintf("non-comparable type %s: %v", [other, go_type_name(other)]))
    return first is other


def go_ne(first: Any, second: Any) -> bool:
    return not go_eq(first, second)


def go_lt(first: Any, second: Any) -> bool:
    """`lt`: only numbers of one kind, or strings, can be ordered."""
    kind, other_kind = _kind(first), _kind(second)
    if kind in ("invalid", "other") or other_kind in ("invalid", "other"):
        raise FunctionError("invalid type for comparison")
    if kind != other_kind:
        raise FunctionError("incompatible types for comparison")
    if kind == "bool":
        raise FunctionError("invalid type for comparison")
    return bool(first < second)


def go_le(first: Any, second: Any) -> bool:
    return go_lt(first, second) or go_eq(first, second)


def go_gt(first: Any, second: Any) -> bool:
    return not go_le(first, second)


def go_ge(first: Any, second: Any) -> bool:
    return not go_lt(first, second)


def go_not(value: Any) -> bool:
    return not is_true(value)


def go_len(value: Any) -> int:
    if value is None:
        # Go calls Type() on the invalid reflect.Value and recovers the panic.
        raise FunctionError("reflect: call of reflect.Value.Type on zero Value")
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, (list, GoMap)):
        return len(value)
    raise FunctionError(f"len of type {_pointee_type_name(value)}")


def go_index(item: Any, *indexes: Any) -> Any:
    """`index x 1 2`: x[1][2] over slices, strings (bytes) and maps."""
    if item is None:
        raise FunctionError("index of untyped nil")
    for index in indexes:
        if isinstance(item, GoMap):
            if not isinstance(index, str):
                raise FunctionError(f"value has type {go_type_name(index)}; should be string")
            item = item.entries.get(index, item.zero)
        elif isinstance(item, (list, str)):
            position = _index_arg(index, len(item))
            if position >= len(item):
                raise FunctionError(f"reflect: {'string' if isinstance(item, str) else 'slice'} index out of range")
            item = Uint8(item.encode()[position]) if isinstance(item, str) else item[position]
        elif item is None:
            raise FunctionError("index of nil pointer")
        else:
            raise FunctionError(f"can't index item of type {_pointee_type_name(item)}")
    return item


def _index_arg(index: Any, cap: int) -> int:
    if index is None:
        raise FunctionError("cannot index slice/array with nil")
    if not isinstance(index, int) or isinstance(index, bool):
        raise FunctionError(f"cannot index slice/array with type {go_type_name(index)}")
    if index < 0 or index > cap:
        raise FunctionError(f"index out of range: {index}")
    return index


def go_slice(item: Any, *indexes: Any) -> Any:
    """`slice x 1 2`: x[1:2] over strings and slices (x[1:2:3] for slices)."""
    if item is None:
        raise FunctionError("slice of untyped nil")
    if len(indexes) > 3:
        raise FunctionError(f"too many slice indexes: {len(indexes)}")
    data: bytes | list[Any]
    if isinstance(item, str):
        if len(indexes) == 3:
            raise FunctionError("cannot 3-index slice a string")
        data = item.encode()
    elif isinstance(item, list):
        data = item
    else:
        raise FunctionError(f"can't slice item of type {go_type_name(item)}")
    bounds = [0, len(data)]
    for position, index in enumerate(indexes):
        bound = _index_arg(index, len(data))
        if position < 2:
            bounds[position] = bound
    if bounds[0] > bounds[1]:
        raise FunctionError(f"invalid slice index: {bounds[0]} > {bounds[1]}")
    piece = data[bounds[0] : bounds[1]]
    if isinstance(piece, bytes):
        text = piece.decode(errors="replace")
        return SafeHTML(text) if isinstance(item, SafeHTML) else text  # a slice keeps its Go type
    return QueryResult(piece) if isinstance(item, QueryResult) else list(piece)


def _text_of(args: tuple[Any, ...]) -> str:
    """Go's `evalArgs`: a lone string as is, else fmt.Sprint of the printable (dereferenced) values."""
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return go_sprint([_printable(arg) for arg in args])


def _printable(value: Any) -> Any:
    if value is None:
        return "<no value>"
    if isinstance(value, GoStruct) and value.pointer:
        return GoStruct(value.type_name.lstrip("*"), value.fields)
    return value


def _pointee_type_name(value: Any) -> str:
    """The type Go's `indirect` reaches: pointers are followed, so *template.sample is template.sample."""
    return go_type_name(value).lstrip("*")


def go_html(*args: Any) -> str:
    """Go's `template.HTMLEscapeString` of the arguments' text."""
    return "".join(_HTML_ESCAPES.get(char, char) for char in _text_of(args))


def go_js(*args: Any) -> str:
    """Go's `template.JSEscapeString` of the arguments' text."""
    out: list[str] = []
    for char in _text_of(args):
        if char in _JS_ESCAPES:
            out.append(_JS_ESCAPES[char])
        elif ord(char) < 0x20 or not char.isprintable():
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return "".join(out)


def go_query_escape(text: str) -> str:
    """Go's `url.QueryEscape`: spaces become '+', all but letters, digits and `-_.~` are %XX."""
    return quote_plus(text, safe="-_.~")


def go_urlquery(*args: Any) -> str:
    return go_query_escape(_text_of(args))


def go_call(target: Any, *args: Any) -> Any:
    if target is None:
        raise FunctionError("call of nil")
    raise FunctionError(f"non-function of type {go_type_name(target)}")


def builtin_functions() -> dict[str, TemplateFunction]:
    """Go's predefined template functions by name."""
    table = [
        TemplateFunction("and", ("value",), lambda *a: a[-1], "value", lazy=_short_circuit("and")),
        TemplateFunction("or", ("value",), lambda *a: a[-1], "value", lazy=_short_circuit("or")),
        function("not", ("value",), go_not),
        function("len", ("value",), go_len),
        function("index", ("value",), go_index, "value"),
        function("slice", ("value",), go_slice, "value"),
        function("print", (), lambda *a: go_sprint(list(a)), "any"),
        function("println", (), lambda *a: go_sprintln(list(a)), "any"),
        function("printf", ("string",), lambda f, *a: go_sprintf(f, list(a)), "any"),
        function("html", (), go_html, "any"),
        function("js", (), go_js, "any"),
        function("urlquery", (), go_urlquery, "any"),
        function("eq", ("value",), go_eq, "value"),
        function("ne", ("value", "value"), go_ne),
        function("lt", ("value", "value"), go_lt),
        function("le", ("value", "value"), go_le),
        function("gt", ("value", "value"), go_gt),
        function("ge", ("value", "value"), go_ge),
        function("call", ("value",), go_call, "value"),
    ]
    return {entry.name: entry for entry in table}
