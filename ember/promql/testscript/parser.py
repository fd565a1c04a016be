"""Parse PromQL test scripts (Prometheus's `promqltest` format) into commands.

The rules follow upstream's `promql/promqltest/test.go`: lines are trimmed, `#` lines become empty
(so a comment ends a block), a command's block runs to the next empty line, and the first word picks
the command (`clear`, `load...`, `eval...`).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from ember.errors import BadDataError
from ember.model import Labels
from ember.promql.testscript.series_notation import (
    NotationError,
    SeriesValue,
    parse_labels,
    parse_series_line,
    parse_values,
)

_SPACE = re.compile(r"[\t ]+")
_LOAD = re.compile(r"^load(?:_(with_nhcb))?\s+(.+?)$")
_EVAL_INSTANT = re.compile(r"^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$")
_EVAL_RANGE = re.compile(
    r"^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$"
)
_EXPECT = re.compile(r"^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$")
_EXPECT_RANGE = re.compile(r"^expect range vector\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+)$")
_DURATION = re.compile(r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$")
_DURATION_UNITS_MS = (365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1)
_GO_INT = re.compile(r"[+-]?(?:0[xX][0-9a-fA-F_]+|0[oO]?[0-7_]+|0[bB][01_]+|[1-9][0-9_]*|0)")
_GO_FLOAT = re.compile(r"[+-]?(?:inf|infinity|nan|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)", re.IGNORECASE)
_GO_HEX_FLOAT = re.compile(r"[+-]?0x[0-9a-f]*\.?[0-9a-f]*p[+-]?\d+", re.IGNORECASE)


class ScriptError(BadDataError):
    """A test script that does not parse; the message names the file and line."""


class DurationError(ScriptError):
    """A time or duration that is not a Prometheus duration (the caller adds file and line)."""


@dataclass(frozen=True)
class Expectation:
    """One `expect warn|info|fail` line: an exact `message`, a `regex`, or (both None) anything."""

    message: str | None = None
    regex: str | None = None

    def matches(self, text: str) -> bool:
        if self.message is not None:
            return text == self.message
        if self.regex is not None:
            return re.search(self.regex, text) is not None
        return True


@dataclass(frozen=True)
class LoadCommand:
    line: int
    interval_ms: int
    series: list[tuple[Labels, list[SeriesValue]]]
    with_nhcb: bool = False
    start_timestamp_series: list[Labels] = field(default_factory=list)


@dataclass(frozen=True)
class ClearCommand:
    line: int


@dataclass(frozen=True)
class ExpectedSeries:
    labels: Labels
    values: list[SeriesValue]
    position: int  # 1-based position among the expected lines, for `expect ordered`


@dataclass
class EvalCommand:
    """One `eval` with everything it expects."""

    line: int
    expr: str
    is_range: bool
    start_ms: int
    end_ms: int = 0
    step_ms: int = 0
    eval_ms: int = 0
    fail: Expectation | None = None
    fail_lines: int = 0
    warn: list[Expectation] = field(default_factory=list)
    info: list[Expectation] = field(default_factory=list)
    no_warn: bool = False
    no_info: bool = False
    legacy_warn: bool = False
    legacy_info: bool = False
    ordered: bool = False
    expected_string: str | None = None
    range_vector: bool = False
    scalar: float | None = None
    expected: dict[Labels, ExpectedSeries] = field(default_factory=dict)

    @property
    def excluded_from_range_check(self) -> bool:
        """Upstream skips the range-mode re-run for `expect range vector` and `expect string`."""
        return self.range_vector or self.expected_string is not None


Command = LoadCommand | ClearCommand | EvalCommand


@dataclass(frozen=True)
class Script:
    name: str
    commands: list[Command]

    @property
    def evals(self) -> list[EvalCommand]:
        return [c for c in self.commands if isinstance(c, EvalCommand)]


def parse_duration_ms(text: str) -> int:
    """A Prometheus duration (`1m30s`, `10s53ms`, `0`) in milliseconds; the epoch offset of a time."""
    found = _DURATION.match(text)
    if text == "0":
        return 0
    if not text or found is None:
        raise DurationError(f'not a valid duration string: "{text}"')
    return sum(
        int(part) * unit for part, unit in zip(found.groups(), _DURATION_UNITS_MS, strict=True) if part
    )


def parse_scalar(text: str) -> float | None:
    """Go's `strconv.ParseInt(s, 0, 64)`, then `ParseFloat`: the number on a scalar expectation line,
    or None when the line is not a bare number."""
    if _GO_INT.fullmatch(text):
        digits = text.replace("_", "")
        sign = -1 if digits.startswith("-") else 1
        body = digits.lstrip("+-")
        if len(body) > 1 and body[0] == "0" and body[1].isdigit():
            return float(sign * int(body, 8))  # Go reads a leading 0 as octal
        return float(int(digits, 0))
    if _GO_FLOAT.fullmatch(text):
        return float(text)
    if _GO_HEX_FLOAT.fullmatch(text):
        return float.fromhex(text)
    return None


def clean_lines(text: str) -> list[str]:
    """Trimmed lines; a comment line becomes empty (and so ends the block above it)."""
    lines = [line.strip() for line in text.split("\n")]
    return ["" if line.startswith("#") else line for line in lines]


class _Parser:
    def __init__(self, text: str, name: str) -> None:
        self.lines = clean_lines(text)
        self.name = name

    def error(self, index: int, message: str) -> ScriptError:
        return ScriptError(f"{self.name}:{index + 1}: {message}")

    def parse(self) -> Script:
        commands: list[Command] = []
        i = 0
        while i < len(self.lines):
            line = self.lines[i]
            if not line:
                i += 1
                continue
            word = _SPACE.split(line, maxsplit=1)[0].lower()
            try:
                if word == "clear":
                    commands.append(ClearCommand(i + 1))
                elif word.startswith("load"):
                    i, load = self._load(i)
                    commands.append(load)
                elif word.startswith("eval"):
                    i, ev = self._eval(i)
                    commands.append(ev)
                else:
                    raise self.error(i, f"invalid command {line!r}")
            except (NotationError, DurationError) as exc:
                raise self.error(i, str(exc)) from exc
            i += 1
        return Script(self.name, commands)

    def _block(self, start: int) -> list[int]:
        """Indices of the lines of the block after line `start` (up to the next empty line)."""
        end = start + 1
        while end < len(self.lines) and self.lines[end]:
            end += 1
        return list(range(start + 1, end))

    def _load(self, i: int) -> tuple[int, LoadCommand]:
        found = _LOAD.match(self.lines[i])
        if found is None:
            raise self.error(i, "invalid load command. (load[_with_nhcb] <step:duration>)")
        interval = parse_duration_ms(found.group(2))
        series: list[tuple[Labels, list[SeriesValue]]] = []
        with_st: list[Labels] = []
        default_st = False  # a bare `@st` line gives start times to every later series of the block
        block = self._block(i)
        for j in block:
            line = self.lines[j]
            head = _SPACE.split(line, maxsplit=1)[0]
            try:
                if head.endswith("@st"):
                    # Start-timestamp offsets are kept only as a marker: Ember stores no start times.
                    if head == "@st":
                        default_st = True
                    else:
                        with_st.append(parse_labels(head[: -len("@st")])[0])
                    continue
                series.append(parse_series_line(line))
            except NotationError as exc:
                raise self.error(j, str(exc)) from exc
            if default_st:
                with_st.append(series[-1][0])
        return (block[-1] if block else i), LoadCommand(
            i + 1, interval, series, found.group(1) is not None, with_st
        )

    def _eval_header(self, i: int) -> EvalCommand:
        line = self.lines[i]
        instant = _EVAL_INSTANT.match(line)
        ranged = None if instant else _EVAL_RANGE.match(line)
        if instant is None and ranged is None:
            raise self.error(
                i,
                "invalid evaluation command. Must be either 'eval[_fail|_warn|_ordered] instant "
                "[at <offset:duration>] <query>' or 'eval[_fail|_warn] range from <from> to <to> "
                "step <step> <query>'",
            )
        if instant is not None:
            modifier, at, expr = instant.groups()
            at_ms = parse_duration_ms(at or "0")
            ev = EvalCommand(i + 1, expr, False, at_ms, eval_ms=at_ms)
        else:
            assert ranged is not None
            modifier, start, end, step, expr = ranged.groups()
            start_ms, end_ms = parse_duration_ms(start), parse_duration_ms(end)
            if end_ms < start_ms:
                raise self.error(
                    i, f"invalid test definition, end timestamp ({end}) is before start timestamp ({start})"
                )
            ev = EvalCommand(i + 1, expr, True, start_ms, end_ms, parse_duration_ms(step), eval_ms=start_ms)
        ev.fail = Expectation() if modifier == "fail" else None
        ev.legacy_warn, ev.legacy_info, ev.ordered = (
            modifier == "warn",
            modifier == "info",
            modifier == "ordered",
        )
        return ev

    def _eval(self, i: int) -> tuple[int, EvalCommand]:
        ev = self._eval_header(i)
        position = 0
        last = i
        for j in self._block(i):
            last = j
            line = self.lines[j]
            try:
                if self._eval_directive(ev, line):
                    continue
            except (ValueError, SyntaxError, re.error, DurationError) as exc:
                raise self.error(j, f"error in eval {ev.expr}: {exc}") from exc
            if ev.fail is not None and line.startswith(("expected_fail_message", "expected_fail_regexp")):
                text = line.split(maxsplit=1)[1] if " " in line else ""
                is_message = line.startswith("expected_fail_message")
                ev.fail = Expectation(message=text.strip()) if is_message else Expectation(regex=text.strip())
                break
            scalar = parse_scalar(line)
            if scalar is not None:
                ev.scalar = scalar
                break
            position += 1
            try:
                labels, values = parse_series_line(line)
            except NotationError as exc:
                raise self.error(j, str(exc)) from exc
            if len(values) > 1 and not ev.is_range and not ev.range_vector:
                raise self.error(j, "expecting multiple values in instant evaluation not allowed")
            ev.expected[labels] = ExpectedSeries(labels, values, position)
        self._validate(ev, i)
        return last, ev

    def _eval_directive(self, ev: EvalCommand, line: str) -> bool:
        """Handle an `expect ...` line; False when the line is not one."""
        if line.startswith("expect range vector"):
            found = _EXPECT_RANGE.match(line)
            if found is None:
                raise ValueError(f"invalid range vector definition {line!r}")
            ev.start_ms, ev.end_ms, ev.step_ms = (parse_duration_ms(g) for g in found.groups())
            ev.eval_ms = ev.end_ms
            ev.range_vector = True
            return True
        if line.startswith("expect string"):
            literal = line[len("expect string") :].strip()
            if not literal or literal[0] not in '"`':
                raise ValueError("expected string literal not valid - a quoted string literal is required")
            ev.expected_string = literal[1:-1] if literal[0] == "`" else ast.literal_eval(literal)
            return True
        if _SPACE.split(line, maxsplit=1)[0] != "expect":
            return False
        found = _EXPECT.match(line)
        if found is None:
            raise ValueError(
                "invalid expect statement, must match `expect <type> <match_type>: <string>` format"
            )
        kind, how, text = found.groups()
        expectation = Expectation()
        if how == "msg":
            expectation = Expectation(message=text.strip())
        elif how == "regex":
            re.compile(text.strip())
            expectation = Expectation(regex=text.strip())
        if kind == "fail":
            ev.fail_lines += 1
            if ev.fail_lines > 1:
                raise ValueError("invalid expect lines, multiple expect fail lines are not allowed")
            ev.fail = expectation
        elif kind in ("warn", "info"):
            getattr(ev, kind).append(expectation)
        elif kind == "ordered":
            ev.ordered = True
        else:
            setattr(ev, kind, True)
        return True

    def _validate(self, ev: EvalCommand, i: int) -> None:
        if ev.warn and ev.no_warn:
            raise self.error(i, "invalid expect lines, warn and no_warn cannot be used together")
        if ev.info and ev.no_info:
            raise self.error(i, "invalid expect lines, info and no_info cannot be used together")


def parse_script(text: str, name: str) -> Script:
    """Parse a whole test script; raises `ScriptError` naming `name` and the line on bad input."""
    return _Parser(text, name).parse()


__all__ = [
    "ClearCommand",
    "Command",
    "EvalCommand",
    "Expectation",
    "ExpectedSeries",
    "LoadCommand",
    "Script",
    "ScriptError",
    "clean_lines",
    "parse_duration_ms",
    "parse_scalar",
    "parse_script",
    "parse_values",
]
