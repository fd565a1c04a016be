"""Prometheus's template functions (prometheus/template/template.go), with their Go signatures.

The context-free ones are built once; `query`, `now`, `pathPrefix`, `externalURL` and `tmpl` close
over one expansion's query function, evaluation time and external URL.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ember.errors import ConfigError, EmberError
from ember.model.go_regex import GoRegex, GoRegexError, compile_go_regex
from ember.rules.templates.builtins import builtin_functions, go_query_escape
from ember.rules.templates.calls import FunctionError, TemplateFunction, function
from ember.rules.templates.gofmt import go_quote
from ember.rules.templates.humanize import (
    humanize,
    humanize1024,
    humanize_duration,
    humanize_percentage,
    humanize_timestamp,
    to_duration,
    to_time,
)
from ember.rules.templates.values import GoStruct, QueryResult, SafeHTML, any_map, make_sample

if TYPE_CHECKING:
    from ember.rules.templates.executor import Executor

QueryFunc = Callable[[str], list[tuple[Mapping[str, str], float]]]
_SAMPLE = "*template.sample"
_RESULT = "template.queryResult"
_NIL_SAMPLE = "runtime error: invalid memory address or nil pointer dereference"
_TITLE_WORD = re.compile(r"[^\W_]+(?:['’.:_][^\W_]+|_+[^\W_]*)*")


@functools.lru_cache(maxsize=256)
def _unanchored_regex(pattern: str) -> GoRegex:
    # Go's regexp.Compile is unanchored and, unlike Prometheus's label matchers, without the `s` flag.
    try:
        return compile_go_regex("(?-s)" + pattern)
    except GoRegexError as exc:
        raise FunctionError(str(exc).replace("`(?-s)", "`")) from None


def match(pattern: str, text: str) -> bool:
    """Go's `regexp.MatchString`: does the pattern match anywhere in the text."""
    return _unanchored_regex(pattern).pattern.search(text) is not None


def re_replace_all(pattern: str, replacement: str, text: str) -> str:
    """Go's `Regexp.ReplaceAllString`: `$1` / `${name}` expand; an empty match right after a match is skipped."""
    try:
        regex = _unanchored_regex(pattern)
    except FunctionError as exc:
        raise FunctionError(f"regexp: Compile(`{pattern}`): {exc}") from None
    out: list[str] = []
    last_end = -1
    copied = 0
    for found in regex.pattern.finditer(text):
        start, end = found.span()
        out.append(text[copied:start])
        copied = start
        if end > last_end or start == 0:
            out.append(regex.expand(replacement, found))
            copied = end
        last_end = end
    out.append(text[copied:])
    return "".join(out)


def title(text: str) -> str:
    """Upper-cases the first letter of each word, leaving the rest (x/text cases.Title with NoLower)."""
    return _TITLE_WORD.sub(lambda found: _go_upper(found.group()[0]) + found.group()[1:], text)


def _go_upper(text: str) -> str:
    # Go's strings.ToUpper maps rune by rune; Python's upper() expands some (ß -> SS), which Go does not.
    return "".join(char.upper() if len(char.upper()) == 1 else char for char in text)


def _go_lower(text: str) -> str:
    return "".join(char.lower() if len(char.lower()) == 1 else char for char in text)


def split_host_port(host_port: str) -> tuple[str, str] | None:
    """Go's `net.SplitHostPort`, or None where Go returns an error."""
    colon = host_port.rfind(":")
    if colon < 0:
        return None
    if host_port.startswith("["):
        close = host_port.find("]")
        if close < 0 or close + 1 != colon:
            return None
        host, rest_start, rest_end = host_port[1:close], 1, close + 1
    else:
        host, rest_start, rest_end = host_port[:colon], 0, 0
        if ":" in host:
            return None
    if "[" in host_port[rest_start:] or "]" in host_port[rest_end:]:
        return None
    return host, host_port[colon + 1 :]


def strip_port(host_port: str) -> str:
    parts = split_host_port(host_port)
    return host_port if parts is None else parts[0]


def strip_domain(host_port: str) -> str:
    """Drops everything after the first dot of the host name, keeping any port; IPs are left alone."""
    parts = split_host_port(host_port)
    host, port = parts if parts is not None else (host_port, "")
    try:
        ipaddress.ip_address(host)
        return host_port
    except ValueError:
        pass
    host = host.split(".")[0]
    if not port:
        return host
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def first(result: QueryResult) -> GoStruct:
    if not result:
        raise FunctionError("first() called on vector with no elements")
    return result[0]


def _sample_field(sample: GoStruct | None, name: str) -> Any:
    if sample is None:
        raise FunctionError(_NIL_SAMPLE)
    return sample.fields[name]


def label(name: str, sample: GoStruct | None) -> str:
    labels = _sample_field(sample, "Labels")
    return str(labels.entries.get(name, ""))


def strvalue(sample: GoStruct | None) -> str:
    return str(_sample_field(sample, "Labels").entries.get("__value__", ""))


def sort_by_label(name: str, result: QueryResult) -> QueryResult:
    """Stable sort of a query result by one label's value (missing sorts as "")."""
    result.sort(key=lambda sample: str(sample.fields["Labels"].entries.get(name, "")))
    return result


def parse_duration(text: str) -> float:
    """Prometheus's `ParseDurationAllowNegative`, in seconds."""
    from ember.config.durations import parse_duration_ms

    if not text:
        raise FunctionError("empty duration string")
    negative = text.startswith("-")
    try:
        millis = parse_duration_ms(text[1:] if negative else text)
    except ConfigError:
        raise FunctionError(f"not a valid duration string: {go_quote(text)}") from None
    return (-millis if negative else millis) / 1000


def template_args(*values: Any) -> Any:
    return any_map({f"arg{index}": value for index, value in enumerate(values)})


def _static_functions() -> dict[str, TemplateFunction]:
    table = [
        function("first", (_RESULT,), first),
        function("label", ("string", _SAMPLE), label),
        function("value", (_SAMPLE,), lambda sample: _sample_field(sample, "Value")),
        function("strvalue", (_SAMPLE,), strvalue),
        function("args", (), template_args, "any"),
        function("reReplaceAll", ("string", "string", "string"), re_replace_all),
        function("safeHtml", ("string",), SafeHTML),
        function("match", ("string", "string"), match),
        function("title", ("string",), title),
        function("toUpper", ("string",), _go_upper),
        function("toLower", ("string",), _go_lower),
        function("graphLink", ("string",), lambda e: f"/graph?g0.expr={go_query_escape(e)}&g0.tab=0"),
        function("tableLink", ("string",), lambda e: f"/graph?g0.expr={go_query_escape(e)}&g0.tab=1"),
        function("sortByLabel", ("string", _RESULT), sort_by_label),
        function("stripPort", ("string",), strip_port),
        function("stripDomain", ("string",), strip_domain),
        function("humanize", ("any",), humanize),
        function("humanize1024", ("any",), humanize1024),
        function("humanizeDuration", ("any",), humanize_duration),
        function("humanizePercentage", ("any",), humanize_percentage),
        function("humanizeTimestamp", ("any",), humanize_timestamp),
        function("toTime", ("any",), to_time),
        function("toDuration", ("any",), to_duration),
        function("parseDuration", ("string",), parse_duration),
        function("urlQueryEscape", ("string",), go_query_escape),
    ]
    functions = builtin_functions()
    functions.update((entry.name, entry) for entry in table)
    return functions


STATIC_FUNCTIONS = _static_functions()
# As Prometheus: `tmpl` exists only when expanding HTML (console) templates, so alert templates that
# call it fail to parse there and here.
FUNCTION_NAMES = frozenset([*STATIC_FUNCTIONS, "query", "now", "pathPrefix", "externalURL"])
HTML_FUNCTION_NAMES = FUNCTION_NAMES | {"tmpl"}


def expansion_functions(
    query: QueryFunc, timestamp_ms: int, external_url: str, *, html: bool = False
) -> dict[str, TemplateFunction]:
    """The function table for one expansion; `html` adds `tmpl`, as Prometheus's ExpandHTML does."""

    def run_query(text: str) -> QueryResult:
        try:
            rows = query(text)
        except EmberError as exc:
            raise FunctionError(str(exc)) from None
        return QueryResult(make_sample(dict(labels), float(value)) for labels, value in rows)

    def render(executor: Executor, name: str, data: Any) -> SafeHTML:
        return SafeHTML(executor.render(name, data))

    functions = dict(STATIC_FUNCTIONS)
    functions["query"] = function("query", ("string",), run_query)
    functions["now"] = function("now", (), lambda: timestamp_ms / 1000.0)
    functions["pathPrefix"] = function("pathPrefix", (), lambda: urlsplit(external_url).path)
    functions["externalURL"] = function("externalURL", (), lambda: external_url)
    if html:
        functions["tmpl"] = TemplateFunction("tmpl", ("string", "any"), render, wants_executor=True)
    return functions
