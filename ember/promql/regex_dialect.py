"""Go RE2 regex syntax that Python's `re` spells differently, translated before compiling."""

from __future__ import annotations

import re

_INLINE_FLAGS = re.compile(r"\(\?([imsU]+)\)")


def scoped_inline_flags(regex: str) -> str:
    """RE2 lets `(?i)` appear mid-pattern, applying to the rest of the enclosing group; Python only
    allows global flags at the start, so `a(?i)bc` becomes `a(?i:bc)` (scoped to the group's end)."""
    out: list[str] = []
    i = 0
    depth_closers: list[list[str]] = [[]]  # per open group, the scoped flag groups opened inside it
    while i < len(regex):
        ch = regex[i]
        if ch == "\\":
            out.append(regex[i:i + 2])
            i += 2
            continue
        if ch == "[":
            end = _class_end(regex, i)
            out.append(regex[i:end])
            i = end
            continue
        found = _INLINE_FLAGS.match(regex, i)
        if found and i > 0:
            flags = found.group(1).replace("U", "")
            opener = f"(?{flags}:" if flags else "(?:"
            out.append(opener)
            depth_closers[-1].append(opener)
            i = found.end()
            continue
        if ch == "(":
            depth_closers.append([])
        elif ch == ")" and len(depth_closers) > 1:
            out.append(")" * len(depth_closers.pop()))
        elif ch == "|" and depth_closers[-1]:
            # Flags stay on in the next alternative too: close the scopes and reopen them after `|`.
            out.append(")" * len(depth_closers[-1]) + "|" + "".join(depth_closers[-1]))
            i += 1
            continue
        out.append(ch)
        i += 1
    out.append(")" * len(depth_closers[-1]))
    return "".join(out)


def _class_end(regex: str, start: int) -> int:
    i = start + 1
    if i < len(regex) and regex[i] == "^":
        i += 1
    if i < len(regex) and regex[i] == "]":
        i += 1
    while i < len(regex) and regex[i] != "]":
        i += 2 if regex[i] == "\\" else 1
    return min(i + 1, len(regex))
