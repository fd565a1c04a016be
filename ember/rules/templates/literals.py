"""Go literal syntax inside template actions: quoted strings, rune constants and numbers."""

from __future__ import annotations

from ember.rules.templates.gofmt import go_quote

_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}
_HEX_LENGTHS = {"x": 2, "u": 4, "U": 8}


def unquote(literal: str) -> str:
    """Go's `strconv.Unquote` for "..." and `...` literals; ValueError("invalid syntax") when malformed."""
    if len(literal) >= 2 and literal[0] == literal[-1] == "`":
        return literal[1:-1].replace("\r", "")
    if len(literal) < 2 or literal[0] != '"' or literal[-1] != '"':
        raise ValueError("invalid syntax")
    return _unescape(literal[1:-1], '"')


def parse_char(literal: str) -> int:
    """The code point of a Go rune literal such as 'a' or '\\n'."""
    if len(literal) < 3 or literal[0] != "'" or literal[-1] != "'":
        raise ValueError("malformed character constant: " + literal)
    text = _unescape(literal[1:-1], "'")
    if len(text) != 1:
        raise ValueError("malformed character constant: " + literal)
    return ord(text)


def _unescape(body: str, quote: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == quote or char == "\n":
            raise ValueError("invalid syntax")
        if char != "\\":
            out.append(char)
            index += 1
            continue
        if index + 1 >= len(body):
            raise ValueError("invalid syntax")
        escape = body[index + 1]
        index += 2
        if escape in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[escape])
        elif escape == quote:
            out.append(quote)
        elif escape in _HEX_LENGTHS:
            digits = body[index : index + _HEX_LENGTHS[escape]]
            index += len(digits)
            out.append(_code_point(digits, 16, _HEX_LENGTHS[escape], escape != "x"))
        elif escape in "01234567":
            digits = body[index - 1 : index + 2]
            index += 2
            out.append(_code_point(digits, 8, 3, False))
        else:
            raise ValueError("invalid syntax")
    return "".join(out)


def _code_point(digits: str, base: int, length: int, is_rune: bool) -> str:
    valid = "0123456789abcdefABCDEF" if base == 16 else "01234567"
    if len(digits) != length or any(d not in valid for d in digits):
        raise ValueError("invalid syntax")
    value = int(digits, base)
    if not is_rune and value > 255:
        raise ValueError("invalid syntax")
    if is_rune and (value > 0x10FFFF or 0xD800 <= value < 0xE000):
        raise ValueError("invalid syntax")
    # \xHH and octal escapes are bytes in Go; byte values >= 0x80 map to U+FFFD when printed as text.
    return chr(value) if is_rune or value < 0x80 else "\ufffd"


def parse_number(text: str) -> tuple[int | None, float | None, bool]:
    """(int value, float value, written as a float literal) for a Go numeric constant."""
    if text.endswith("i"):
        raise ValueError(f"complex constants are not supported: {go_quote(text)}")
    clean = text.replace("_", "")
    body = clean.lstrip("+-")
    is_hex = body[:2] in ("0x", "0X")
    int_value: int | None = None
    try:
        if body[:2] in ("0b", "0B", "0o", "0O") or (is_hex and "." not in body and "p" not in body.lower()[2:]):
            int_value = int(clean, 0)
        elif body.isdigit():
            int_value = int(clean, 8) if len(body) > 1 and body[0] == "0" else int(clean, 10)
    except ValueError:
        raise ValueError(f"illegal number syntax: {go_quote(text)}") from None
    # Go's idealConstant: a float unless written as an integer (hex digits may include 'e', 'E').
    is_float_literal = "p" in body.lower() if is_hex else any(c in body for c in ".eE")
    float_value: float | None
    try:
        float_value = float(int_value) if int_value is not None else _parse_float(clean, is_hex)
    except (ValueError, OverflowError):
        raise ValueError(f"illegal number syntax: {go_quote(text)}") from None
    if int_value is None and float_value is not None and float_value.is_integer() and abs(float_value) < 2**63:
        int_value = int(float_value)
    if int_value is not None and not -(2**63) <= int_value < 2**64:
        if not is_float_literal:
            raise ValueError(f"integer overflow: {go_quote(text)}")
        int_value = None
    return int_value, float_value, is_float_literal


def _parse_float(text: str, is_hex: bool) -> float:
    if is_hex:
        if "p" not in text.lower():  # Go's hex floats need a 'p' exponent; Python's fromhex does not
            raise ValueError(text)
        return float.fromhex(text)
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return value
