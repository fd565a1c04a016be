"""Go's `fmt.Sprintf`, `fmt.Sprint` and `fmt.Sprintln` over template values.

Covers the verbs templates use (%v %s %d %f %e %g %q %x %X %o %b %c %U %t %T %%) with flags
`+ - # 0 space`, widths and precisions (including `*`), and Go's in-band error forms:
`%!d(string=x)`, `%!d(MISSING)`, `%!(EXTRA int=1)`, `%!(NOVERB)`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from ember.rules.templates.values import (
    GoDuration,
    GoMap,
    GoStruct,
    GoTime,
    format_float_shortest,
    format_value,
    go_type_name,
)

_FLAGS = "#0+- "
_QUOTE_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


@dataclass
class _Spec:
    verb: str = "v"
    plus: bool = False
    minus: bool = False
    sharp: bool = False
    zero: bool = False
    space: bool = False
    width: int | None = None
    precision: int | None = None


def go_sprint(args: list[Any]) -> str:
    """`fmt.Sprint`: spaces between operands when neither side is a string."""
    out: list[str] = []
    for index, arg in enumerate(args):
        if index > 0 and not isinstance(arg, str) and not isinstance(args[index - 1], str):
            out.append(" ")
        out.append(format_value(arg))
    return "".join(out)


def go_sprintln(args: list[Any]) -> str:
    """`fmt.Sprintln`: operands always separated by spaces, and a newline appended."""
    return " ".join(format_value(arg) for arg in args) + "\n"


def go_sprintf(template: str, args: list[Any]) -> str:
    """`fmt.Sprintf` with Go's verbs, flags and error forms."""
    out: list[str] = []
    arg_index = 0
    pos = 0
    length = len(template)
    while pos < length:
        percent = template.find("%", pos)
        if percent < 0:
            out.append(template[pos:])
            break
        out.append(template[pos:percent])
        spec, pos, arg_index, error = _parse_spec(template, percent + 1, args, arg_index)
        if error:
            out.append(error)
            continue
        if spec.verb == "%":
            out.append("%")
            continue
        if arg_index >= len(args):
            out.append(f"%!{spec.verb}(MISSING)")
            continue
        out.append(format_arg(args[arg_index], spec))
        arg_index += 1
    if arg_index < len(args):
        extra = ", ".join(f"{go_type_name(arg)}={format_value(arg)}" for arg in args[arg_index:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def _parse_spec(template: str, pos: int, args: list[Any], arg_index: int) -> tuple[_Spec, int, int, str]:
    spec = _Spec()
    while pos < len(template) and template[pos] in _FLAGS:
        flag = template[pos]
        spec.sharp |= flag == "#"
        spec.plus |= flag == "+"
        spec.space |= flag == " "
        if flag == "-":
            spec.minus, spec.zero = True, False
        elif flag == "0":
            spec.zero = not spec.minus
        pos += 1
    error = ""
    spec.width, pos, arg_index, error = _parse_number(template, pos, args, arg_index, "BADWIDTH")
    if spec.width is not None and spec.width < 0:
        spec.minus, spec.zero, spec.width = True, False, -spec.width
    if pos < len(template) and template[pos] == ".":
        precision, pos, arg_index, precision_error = _parse_number(template, pos + 1, args, arg_index, "BADPREC")
        spec.precision = 0 if precision is None else precision
        if spec.precision < 0:
            spec.precision = None
        error = error or precision_error
    if pos >= len(template):
        return spec, pos, arg_index, "%!(NOVERB)"
    spec.verb = template[pos]
    return spec, pos + 1, arg_index, error


def _parse_number(
    template: str, pos: int, args: list[Any], arg_index: int, error_name: str
) -> tuple[int | None, int, int, str]:
    if pos < len(template) and template[pos] == "*":
        if arg_index < len(args) and isinstance(args[arg_index], int) and not isinstance(args[arg_index], bool):
            value = args[arg_index]
            if abs(value) <= 1_000_000:
                return value, pos + 1, arg_index + 1, ""
        return None, pos + 1, arg_index + 1, f"%!({error_name})"
    start = pos
    while pos < len(template) and template[pos].isdigit():
        pos += 1
    if pos == start:
        return None, pos, arg_index, ""
    value = int(template[start:pos])
    if value > 1_000_000:
        return None, pos, arg_index, f"%!({error_name})"
    return value, pos, arg_index, ""


def format_arg(arg: Any, spec: _Spec, depth: int = 0) -> str:
    """One argument under one verb, padded to the spec's width; containers apply the verb to each element."""
    verb = spec.verb
    if verb == "T":
        return _pad(go_type_name(arg), spec)
    if isinstance(arg, (GoTime, GoDuration)) and verb in "vsxXq":
        arg = str(arg)
    if arg is None:
        return _pad("<nil>", spec) if verb == "v" else _bad_verb(arg, spec)
    if isinstance(arg, bool):
        return _pad("true" if arg else "false", spec) if verb in "tv" else _bad_verb(arg, spec)
    if isinstance(arg, int):
        return _format_int(arg, spec)
    if isinstance(arg, float):
        return _format_float(arg, spec)
    if isinstance(arg, str):
        return _format_string(arg, spec)
    if isinstance(arg, GoMap):
        items = " ".join(
            f"{format_arg(k, spec, depth + 1)}:{format_arg(v, spec, depth + 1)}" for k, v in arg.sorted_items()
        )
        return f"map[{items}]"
    if isinstance(arg, GoStruct):
        if arg.pointer and depth > 0:
            return format_value(arg, depth)  # an address, as fmt prints nested pointers
        fields = " ".join(format_arg(value, spec, depth + 1) for value in arg.fields.values())
        return ("&" if arg.pointer else "") + "{" + fields + "}"
    if isinstance(arg, list):
        return "[" + " ".join(format_arg(item, spec, depth + 1) for item in arg) + "]"
    return _bad_verb(arg, spec)


def _bad_verb(arg: Any, spec: _Spec) -> str:
    """Go's `%!d(string=x)`; the value is printed with %v under the same flags, width and precision."""
    if arg is None:
        return f"%!{spec.verb}(<nil>)"
    return f"%!{spec.verb}({go_type_name(arg)}={format_arg(arg, replace(spec, verb='v'))})"


def _pad(text: str, spec: _Spec, numeric: bool = False) -> str:
    width = spec.width or 0
    if len(text) >= width:
        return text
    if spec.minus:
        return text + " " * (width - len(text))
    if spec.zero and numeric:
        sign = text[0] if text[:1] in ("+", "-", " ") else ""
        return sign + "0" * (width - len(text)) + text[len(sign) :]
    # Go (as built for Prometheus 2.42) pads non-numbers with zeros too when the 0 flag is given.
    return ("0" if spec.zero else " ") * (width - len(text)) + text


def _sign(negative: bool, spec: _Spec) -> str:
    if negative:
        return "-"
    return "+" if spec.plus else " " if spec.space else ""


def _format_int(value: int, spec: _Spec) -> str:
    verb = spec.verb
    if verb == "c":
        return _pad(chr(value) if 0 <= value <= 0x10FFFF else "\ufffd", spec)
    if verb == "q":
        return _pad("'" + _quote_body(chr(value) if 0 <= value <= 0x10FFFF else "\ufffd", "'") + "'", spec)
    if verb == "U":
        return _pad(f"U+{value:04X}", spec)
    bases = {"d": ("d", ""), "v": ("d", ""), "x": ("x", "0x"), "X": ("X", "0X"), "o": ("o", "0"), "b": ("b", "0b")}
    if verb not in bases and verb != "O":
        return _bad_verb(value, spec)
    code, prefix = bases.get(verb, ("o", "0o"))
    digits = format(abs(value), code)
    if spec.precision is not None:
        digits = digits.zfill(spec.precision) if spec.precision else digits.lstrip("0") if value == 0 else digits
    if not (spec.sharp or verb == "O"):
        prefix = ""
    text = _sign(value < 0, spec) + prefix + digits
    if spec.precision is not None:
        return _pad(text, replace(spec, zero=False))  # Go: a precision turns off zero padding for integers
    return _pad(text, spec, numeric=True)


def _format_float(value: float, spec: _Spec) -> str:
    verb = spec.verb
    if verb not in "vgGeEfFxX":
        return _bad_verb(value, spec)
    if math.isnan(value) or math.isinf(value):
        text = "NaN" if math.isnan(value) else "+Inf" if value > 0 else "-Inf"
        if math.isnan(value) and (spec.plus or spec.space):
            text = ("+" if spec.plus else " ") + text
        return _pad(text, replace(spec, zero=False))  # Go never zero-pads Inf and NaN
    negative = math.copysign(1.0, value) < 0
    magnitude = abs(value)
    if verb in "xX":
        body = _hex_float(magnitude)
        body = body.upper() if verb == "X" else body
    elif verb in "vgG" and spec.precision is None:
        body = format_float_shortest(magnitude)
        body = body.upper() if verb == "G" else body
    else:
        precision = 6 if spec.precision is None else spec.precision
        code = "f" if verb in "fF" else verb.replace("v", "g")
        body = format(magnitude, f".{precision}{code}")
        if code in "gG" and precision == 0:
            body = format(magnitude, f".1{code}")
    return _pad(_sign(negative, spec) + body, spec, numeric=True)


def _hex_float(magnitude: float) -> str:
    """Go's %x of a float: shortest hexadecimal mantissa and a two-digit binary exponent ("0x1.8p+01")."""
    mantissa, _, exponent = float.hex(magnitude)[2:].partition("p")
    whole, _, fraction = mantissa.partition(".")
    fraction = fraction.rstrip("0")
    power = int(exponent) if magnitude else 0
    return f"0x{whole}{'.' + fraction if fraction else ''}p{power:+03d}"


def _format_string(value: str, spec: _Spec) -> str:
    verb = spec.verb
    if spec.precision is not None and verb in "vs":
        value = value[: spec.precision]
    if verb in "vs":
        return _pad(value, spec)
    if verb in "xX":
        encoded = value.encode()
        text = encoded.hex() if verb == "x" else encoded.hex().upper()
        return _pad(text, spec)
    if verb == "q":
        if spec.sharp and "`" not in value and all(c == "\t" or c.isprintable() for c in value):
            return _pad("`" + value + "`", spec)
        return _pad(go_quote(value, ascii_only=spec.plus), spec)
    return _bad_verb(value, spec)


def go_quote(value: str, ascii_only: bool = False) -> str:
    """Go's `strconv.Quote` (or `QuoteToASCII`)."""
    return '"' + _quote_body(value, '"', ascii_only) + '"'


def _quote_body(value: str, quote: str, ascii_only: bool = False) -> str:
    out: list[str] = []
    for char in value:
        code = ord(char)
        if char == quote or char == "\\":
            out.append("\\" + char)
        elif char.isprintable() and not (ascii_only and code >= 0x80):
            out.append(char)
        elif char in _QUOTE_ESCAPES:
            out.append(_QUOTE_ESCAPES[char])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return "".join(out)
