r"""Go's view of a query's string literals.

PromQL strings are Go strings: `"\xff"` is the single byte 0xFF, which is not valid UTF-8, so Prometheus
refuses it as a label name. The `promql-parser` package decodes `\xNN` to the character U+00NN instead,
losing that distinction. This module re-reads the literals of the query text the Go way and reports
which parsed string values stand for invalid UTF-8.
"""

from __future__ import annotations

import functools
import re

_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', re.DOTALL)
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|[0-7]{3}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", re.DOTALL)
_SIMPLE = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _decode(body: str) -> tuple[bytes, str]:
    """The literal's bytes as Go decodes them, and its text as the parser decodes it."""
    go_parts: list[bytes] = []
    text_parts: list[str] = []
    position = 0
    for escape in _ESCAPE.finditer(body):
        plain = body[position : escape.start()]
        go_parts.append(plain.encode("utf-8", "surrogatepass"))
        text_parts.append(plain)
        code = escape.group(1)
        if code[0] == "x" or (len(code) == 3 and code.isdigit()):
            value = int(code[1:], 16) if code[0] == "x" else int(code, 8)
            go_parts.append(bytes([value & 0xFF]))
            text_parts.append(chr(value))
        elif code[0] in "uU":
            char = chr(int(code[1:], 16))
            go_parts.append(char.encode("utf-8", "surrogatepass"))
            text_parts.append(char)
        else:
            char = _SIMPLE.get(code, code)
            go_parts.append(char.encode("utf-8"))
            text_parts.append(char)
        position = escape.end()
    go_parts.append(body[position:].encode("utf-8", "surrogatepass"))
    text_parts.append(body[position:])
    return b"".join(go_parts), "".join(text_parts)


@functools.lru_cache(maxsize=256)
def invalid_utf8_strings(query: str) -> frozenset[str]:
    """Parsed values of the query's string literals whose Go bytes are not valid UTF-8."""
    found = set()
    for match in _LITERAL.finditer(query):
        literal = match.group(0)
        if literal[0] == "`" or "\\" not in literal:
            continue
        go_bytes, text = _decode(literal[1:-1])
        try:
            go_bytes.decode("utf-8")
        except UnicodeDecodeError:
            found.add(text)
    return frozenset(found)
