"""Plain-Python references of the body-template kernels (ember/exposition/template_kernels.py and
ember/exposition/decimal_kernels.py)."""

from __future__ import annotations

import re

_DECIMAL = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,4}))?", re.ASCII)
_SPECIAL = {"NaN": float("nan"), "Inf": float("inf"), "+Inf": float("inf"), "-Inf": float("-inf")}
_BLANKS_AND_BRACE = " \t}"


def is_plain_decimal(text: str) -> bool:
    """Whether `text` is in the grammar the decimal kernel reads: `[+-]digits[.digits][(e|E)[+-]digits]`
    with at most four exponent digits, or one of the special spellings."""
    match = _DECIMAL.fullmatch(text)
    return text in _SPECIAL or (match is not None and bool(match.group(2) or match.group(3)))


def reference_fast_path(text: str) -> float | None:
    """The value when `text` is a decimal Clinger's fast path converts exactly (or a special spelling),
    which the kernel must always convert; else None."""
    if text in _SPECIAL:
        return _SPECIAL[text]
    match = _DECIMAL.fullmatch(text)
    if match is None or not (match.group(2) or match.group(3)):
        return None
    digits = (match.group(2) + (match.group(3) or "")).lstrip("0")
    if not digits:
        return float(text)  # a zero, with its sign
    power = int(match.group(4) or "0") - len(match.group(3) or "")
    if len(digits) > 18 or int(digits) >= 2**53 or not -22 <= power <= 22:
        return None
    return float(text)


def reference_value_spans(body: bytes) -> list[tuple[int, int]] | None:
    """(start, end) of the value token of every sample line, or None for an unusual line shape."""
    spans = []
    position = 0
    for line in body.split(b"\n"):
        text = line.decode("latin-1")
        start = position
        position += len(line) + 1
        if not text or text.startswith("#") or not text.strip(" \t"):
            continue
        if text[-1] in _BLANKS_AND_BRACE:
            return None
        cut = max(text.rfind(char) for char in _BLANKS_AND_BRACE) + 1
        if cut == 0:
            return None
        spans.append((start + cut, start + len(text)))
    return spans


def reference_match(old: bytes, spans: list[tuple[int, int]], new: bytes) -> list[str] | None:
    """The value tokens of `new` when it equals `old` outside `spans` and no token holds a blank."""
    tokens = []
    position = 0
    previous = 0
    for start, end in spans:
        gap = old[previous:start]
        if new[position : position + len(gap)] != gap:
            return None
        position += len(gap)
        newline = new.find(b"\n", position)
        token_end = len(new) if newline < 0 else newline
        token = new[position:token_end]
        if b" " in token or b"\t" in token:
            return None
        tokens.append(token.decode("latin-1"))
        position = token_end
        previous = end
    return tokens if new[position:] == old[previous:] else None
