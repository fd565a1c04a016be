"""A deliberately simple, character-by-character text-format parser: the reference the fast parser is
compared against in property tests. Not fast, not lenient beyond what the tests generate."""

from __future__ import annotations

import math

_SPECIAL = {"+inf": math.inf, "inf": math.inf, "-inf": -math.inf, "nan": math.nan}


def reference_parse(body: str) -> list[tuple[dict[str, str], float, int | None]]:
    """Each sample as (labels with __name__, value, timestamp or None)."""
    samples = []
    for line in body.split("\n"):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        samples.append(_parse_line(line))
    return samples


def _parse_line(line: str) -> tuple[dict[str, str], float, int | None]:
    pos = 0
    labels: dict[str, str] = {}
    while pos < len(line) and line[pos] in " \t":
        pos += 1
    start = pos
    while pos < len(line) and line[pos] not in " \t{":
        pos += 1
    if pos > start:
        labels["__name__"] = line[start:pos]
    while pos < len(line) and line[pos] in " \t":
        pos += 1
    if pos < len(line) and line[pos] == "{":
        pos = _parse_braces(line, pos + 1, labels)
    fields = line[pos:].split()
    value = _number(fields[0])
    stamp = int(fields[1]) if len(fields) > 1 else None
    return labels, value, stamp


def _parse_braces(line: str, pos: int, labels: dict[str, str]) -> int:
    while True:
        while line[pos] in " \t,":
            pos += 1
        if line[pos] == "}":
            return pos + 1
        if line[pos] == '"':
            name, pos = _quoted(line, pos)
        else:
            start = pos
            while line[pos] not in " \t=":
                pos += 1
            name = line[start:pos]
        while line[pos] in " \t":
            pos += 1
        if line[pos] != "=":
            labels["__name__"] = name
            continue
        pos += 1
        while line[pos] in " \t":
            pos += 1
        value, pos = _quoted(line, pos)
        labels[name] = value


def _quoted(line: str, pos: int) -> tuple[str, int]:
    out = []
    pos += 1
    while line[pos] != '"':
        if line[pos] == "\\":
            pos += 1
            out.append({"n": "\n", "\\": "\\", '"': '"'}.get(line[pos], "\\" + line[pos]))
        else:
            out.append(line[pos])
        pos += 1
    return "".join(out), pos + 1


def _number(text: str) -> float:
    lowered = text.lower()
    return _SPECIAL[lowered] if lowered in _SPECIAL else float(text)
