"""Go (RE2) regular expressions compiled with Python's `re`, and Go's `Regexp.Expand` templates.

Prometheus compiles every configuration regex with Go's RE2 dialect, anchored as `^(?s:<re>)$`. Python's
`re` agrees on most syntax but differs in places that change results, so a pattern is rewritten before
compiling: ASCII-only `\\d \\w \\s \\b` (as RE2), `$` meaning end of text, Go's octal and `\\x{...}` escapes,
`\\Q...\\E`, POSIX classes, inline flags in the middle of a group, capture names that are not Python
identifiers (`(?P<1x>...)`) and literal braces. Constructs RE2 lacks (backreferences, lookaround,
possessive repeats) are refused with Go's own error messages, so a configuration Prometheus rejects is
rejected here too.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

from ember.errors import BadDataError

_WORD = "0-9A-Za-z_"
_PERL_CLASSES = {"d": "0-9", "w": _WORD, "s": "\\t\\n\\f\\r "}
_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": _WORD,
    "xdigit": "0-9A-Fa-f",
}
_WORD_BOUNDARY = f"(?:(?<=[{_WORD}])(?![{_WORD}])|(?<![{_WORD}])(?=[{_WORD}]))"
_NOT_WORD_BOUNDARY = f"(?:(?<=[{_WORD}])(?=[{_WORD}])|(?<![{_WORD}])(?![{_WORD}]))"
_REPEAT = re.compile(r"\{(\d+)(,(\d*))?\}")
_MAX_REPEAT = 1000
_SIMPLE_ESCAPES = set("aftnrv")
_CAPTURE_NAME = re.compile(r"[A-Za-z0-9_]+")


class GoRegexError(BadDataError):
    """A regex Go's RE2 would refuse, or one Ember cannot express with Python's `re`."""


@dataclass(frozen=True)
class GoRegex:
    """A compiled, fully anchored Go regex; `group_names[i]` is the Go name of group i ("" if unnamed)."""

    source: str
    pattern: re.Pattern[str] = field(compare=False, repr=False)
    group_names: tuple[str, ...] = field(compare=False, repr=False)

    def fullmatch(self, text: str) -> re.Match[str] | None:
        return self.pattern.fullmatch(text)

    def expand(self, template: str, match: re.Match[str]) -> str:
        """Go's `Regexp.ExpandString`: `$1`, `${1}`, `$name`, `${name}`, `$$`; unknown groups expand to ""."""
        return expand_template(template, match, self.group_names)


def compile_go_regex(source: str) -> GoRegex:
    """Compiles `source` as Prometheus does (`^(?s:<source>)$`), raising GoRegexError on bad syntax."""
    translator = _Translator(source)
    body = translator.translate()
    try:
        with warnings.catch_warnings():
            # Python warns about `--` and `&&` in classes (future set operations); RE2 reads them literally.
            warnings.simplefilter("ignore", FutureWarning)
            pattern = re.compile(f"(?s:{body})")
    except re.error as exc:
        raise GoRegexError(f"error parsing regexp: {exc.msg}: `{source}`") from exc
    return GoRegex(source, pattern, tuple(translator.group_names))


def _fail(message: str, fragment: str) -> GoRegexError:
    return GoRegexError(f"error parsing regexp: {message}: `{fragment}`")


@dataclass
class _Frame:
    """One open group: how many inline-flag groups were opened in it, and the multi-line flag state."""

    inline_flags: list[str] = field(default_factory=list)
    multiline: bool = False


class _Translator:
    """A single left-to-right pass from Go syntax to Python syntax."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0
        self.out: list[str] = []
        self.frames = [_Frame()]
        self.group_names = [""]
        self.after_repeat = False
        self.can_repeat = False

    def translate(self) -> str:
        while self.pos < len(self.src):
            self._step()
        if len(self.frames) > 1:
            raise _fail("missing closing )", self.src)
        self.out.append(")" * len(self.frames[0].inline_flags))
        return "".join(self.out)

    def _step(self) -> None:
        char = self.src[self.pos]
        repeat = self._repeat_at()
        if repeat is not None:
            self._emit_repeat(repeat)
            return
        self.after_repeat = False
        self.can_repeat = True
        if char == "\\":
            self.out.append(self._escape(in_class=False))
        elif char == "[":
            self.out.append(self._char_class())
        elif char == "(":
            self._open_group()
            self.can_repeat = False
        elif char == ")":
            self._close_group()
        elif char == "|":
            self._alternate()
            self.can_repeat = False
        elif char == "$":
            self.out.append("(?=\\n|\\Z)" if self.frames[-1].multiline else "\\Z")
            self.pos += 1
        elif char == "^":
            self.out.append("(?:\\A|(?<=\\n))" if self.frames[-1].multiline else "\\A")
            self.pos += 1
        elif char == "{":
            self.out.append("\\{")
            self.pos += 1
        else:
            self.out.append(char)
            self.pos += 1

    def _repeat_at(self) -> str | None:
        """The repetition operator at the current position (`*`, `+?`, `{2,3}`, ...), or None."""
        src, pos = self.src, self.pos
        if src[pos] in "*+?":
            end = pos + 1
        elif src[pos] == "{" and (found := _REPEAT.match(src, pos)) is not None:
            end = found.end()
        else:
            return None
        if end < len(src) and src[end] == "?":
            end += 1
        return src[pos:end]

    def _emit_repeat(self, operator: str) -> None:
        if self.after_repeat:
            fragment = self.src[self.pos - 1 : self.pos + len(operator)]
            raise _fail("invalid nested repetition operator", fragment)
        if not self.can_repeat:
            raise _fail("missing argument to repetition operator", operator)
        found = _REPEAT.match(operator)
        if found is not None:
            low = int(found.group(1))
            high = low if found.group(2) is None else (int(found.group(3)) if found.group(3) else None)
            if low > _MAX_REPEAT or (high is not None and (high > _MAX_REPEAT or high < low)):
                raise _fail("invalid repeat count", operator)
        self.out.append(operator)
        self.pos += len(operator)
        self.after_repeat = True

    def _open_group(self) -> None:
        src, pos = self.src, self.pos
        parent = self.frames[-1]
        if not src.startswith("(?", pos):
            self.out.append("(")
            self.group_names.append("")
            self.frames.append(_Frame(multiline=parent.multiline))
            self.pos += 1
            return
        for prefix in ("(?P<", "(?<"):
            if src.startswith(prefix, pos) and not src.startswith(("(?<=", "(?<!"), pos):
                self._open_named_group(pos + len(prefix))
                return
        self._open_flag_group()

    def _open_named_group(self, name_start: int) -> None:
        end = self.src.find(">", name_start)
        if end < 0:
            raise _fail("invalid named capture", self.src[self.pos :])
        name = self.src[name_start:end]
        if _CAPTURE_NAME.fullmatch(name) is None:
            raise _fail("invalid named capture", self.src[self.pos : end + 1])
        if name in self.group_names:
            raise _fail("duplicate capture group name", name)
        self.group_names.append(name)
        self.out.append("(")
        self.frames.append(_Frame(multiline=self.frames[-1].multiline))
        self.pos = end + 1

    def _open_flag_group(self) -> None:
        """`(?flags)` applies to the rest of the enclosing group; `(?flags:re)` only to `re`."""
        src, start = self.src, self.pos
        end = start + 2
        while end < len(src) and src[end] in "imsU-":
            end += 1
        flags = src[start + 2 : end]
        if end >= len(src) or src[end] not in ":)" or not _valid_flags(flags, src[end]):
            raise _fail("invalid or unsupported Perl syntax", src[start : min(end + 1, len(src))])
        if "U" in flags:
            raise GoRegexError(f"the ungreedy flag (?U) is not supported by Ember yet: `{src}`")
        frame = self.frames[-1]
        on, _, off = flags.partition("-")
        multiline = frame.multiline if "m" not in flags else "m" in on
        python_flags = _python_flags(on, off)
        self.pos = end + 1
        if src[end] == ":":
            self.out.append(python_flags)
            self.frames.append(_Frame(multiline=multiline))
            return
        self.out.append(python_flags)
        frame.inline_flags.append(python_flags)
        frame.multiline = multiline

    def _close_group(self) -> None:
        if len(self.frames) == 1:
            raise _fail("unexpected )", self.src)
        frame = self.frames.pop()
        self.out.append(")" * len(frame.inline_flags) + ")")
        self.pos += 1

    def _alternate(self) -> None:
        """Inline flags last to the end of the group, across `|`: close them, then reopen them."""
        frame = self.frames[-1]
        self.out.append(")" * len(frame.inline_flags) + "|" + "".join(frame.inline_flags))
        self.pos += 1

    def _escape(self, in_class: bool) -> str:
        src, pos = self.src, self.pos
        if pos + 1 >= len(src):
            raise _fail("trailing backslash at end of expression", "")
        char = src[pos + 1]
        self.pos = pos + 2
        if char in "01234567":
            return self._octal(char)
        if char == "x":
            return self._hex()
        lower = char.lower()
        if lower in _PERL_CLASSES:
            return _perl_class(lower, negated=char != lower, in_class=in_class)
        if char in _SIMPLE_ESCAPES:
            return "\\" + char
        if char.isascii() and not char.isalnum():
            return "\\" + char
        if not in_class:
            special = {"A": "\\A", "z": "\\Z", "b": _WORD_BOUNDARY, "B": _NOT_WORD_BOUNDARY}.get(char)
            if special is not None:
                return special
            if char == "Q":
                return self._quoted()
        if char in "pP":
            raise GoRegexError(f"unicode classes \\{char} are not supported by Ember yet: `{src}`")
        raise _fail("invalid escape sequence", src[pos : pos + 2])

    def _octal(self, first: str) -> str:
        """Go reads `\\0`, `\\012`, `\\12` as octal; a lone `\\1`..`\\7` is a backreference RE2 refuses."""
        src, pos = self.src, self.pos
        if first != "0" and (pos >= len(src) or src[pos] not in "01234567"):
            raise _fail("invalid escape sequence", "\\" + first)
        digits = first
        while len(digits) < 3 and pos < len(src) and src[pos] in "01234567":
            digits += src[pos]
            pos += 1
        self.pos = pos
        return f"\\U{int(digits, 8):08x}"

    def _hex(self) -> str:
        src, pos = self.src, self.pos
        if src.startswith("{", pos):
            end = src.find("}", pos)
            digits = src[pos + 1 : end] if end > 0 else ""
            self.pos = end + 1
        else:
            digits = src[pos : pos + 2]
            self.pos = pos + 2
            if len(digits) < 2:
                digits = ""
        try:
            value = int(digits, 16) if digits and digits.isascii() and digits.isalnum() else -1
        except ValueError:
            value = -1
        if not 0 <= value <= 0x10FFFF:
            raise _fail("invalid escape sequence", src[pos - 2 : self.pos])
        return f"\\U{value:08x}"

    def _quoted(self) -> str:
        end = self.src.find("\\E", self.pos)
        literal = self.src[self.pos :] if end < 0 else self.src[self.pos : end]
        self.pos = len(self.src) if end < 0 else end + 2
        return re.escape(literal)

    def _char_class(self) -> str:
        src = self.src
        pos = self.pos + 1
        parts = ["["]
        if src.startswith("^", pos):
            parts.append("^")
            pos += 1
        first = True
        while True:
            if pos >= len(src):
                raise _fail("missing closing ]", src[self.pos :])
            char = src[pos]
            if char == "]" and not first:
                break
            first = False
            if char == "[" and src.startswith("[:", pos):
                end = src.find(":]", pos + 2)
                name = src[pos + 2 : end] if end > 0 else ""
                if name in _POSIX_CLASSES:
                    parts.append(_POSIX_CLASSES[name])
                    pos = end + 2
                    continue
                if name.startswith("^") and name[1:] in _POSIX_CLASSES:
                    raise GoRegexError(f"negated POSIX classes are not supported by Ember yet: `{src}`")
            if char == "\\":
                self.pos = pos
                parts.append(self._escape(in_class=True))
                pos = self.pos
                continue
            parts.append("\\" + char if char in "[&~|" else char)
            pos += 1
        parts.append("]")
        self.pos = pos + 1
        return "".join(parts)


def _valid_flags(flags: str, terminator: str) -> bool:
    _, dash, off = flags.partition("-")
    if "-" in off or (dash and not off):
        return False
    return bool(flags) or terminator == ":"


def _python_flags(on: str, off: str) -> str:
    """`(?i-s:` for Python; `m` is dropped because `^` and `$` are translated explicitly."""
    on = on.replace("m", "")
    off = off.replace("m", "")
    return f"(?{on}{'-' + off if off else ''}:"


def _perl_class(name: str, negated: bool, in_class: bool) -> str:
    """RE2's `\\d \\w \\s` are ASCII-only; inside a class a negated one keeps Python's (Unicode) form."""
    ranges = _PERL_CLASSES[name]
    if in_class:
        return "\\" + name.upper() if negated else ranges
    return f"[{'^' if negated else ''}{ranges}]"


def expand_template(template: str, match: re.Match[str], group_names: tuple[str, ...] | list[str]) -> str:
    """Go's `Regexp.Expand` semantics: a name is the longest run of letters, digits and `_`, so `$1x` is
    the group named `1x`; a malformed `$` is kept as text; unknown or unmatched groups give ""."""
    if "$" not in template:
        return template
    out: list[str] = []
    rest = template
    while True:
        before, dollar, rest = rest.partition("$")
        out.append(before)
        if not dollar:
            return "".join(out)
        if rest.startswith("$"):
            out.append("$")
            rest = rest[1:]
            continue
        name, after = _template_name(rest)
        if name is None:
            out.append("$")
            continue
        rest = after
        out.append(_group_text(name, match, group_names))


def _template_name(text: str) -> tuple[str | None, str]:
    brace = text.startswith("{")
    start = 1 if brace else 0
    end = start
    while end < len(text) and (text[end].isalpha() or text[end].isdecimal() or text[end] == "_"):
        end += 1
    if end == start:
        return None, text
    name = text[start:end]
    if brace:
        if end >= len(text) or text[end] != "}":
            return None, text
        end += 1
    return name, text[end:]


def _group_text(name: str, match: re.Match[str], group_names: tuple[str, ...] | list[str]) -> str:
    if name.isascii() and name.isdigit() and (name == "0" or not name.startswith("0")) and len(name) < 9:
        index = int(name)
    elif name in group_names:
        index = group_names.index(name)
    else:
        return ""
    if index >= len(group_names):
        return ""
    return match.group(index) or ""
