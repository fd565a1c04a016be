"""Alert and recording-rule templates: Go text/template as Prometheus renders them.

`expand` is the one entry point the rule manager calls for labels and annotations. As Prometheus
(rules/alerting.go), the text is prefixed with definitions of `$labels`, `$externalLabels`,
`$externalURL` and `$value`, and the data dot has Labels, ExternalLabels, ExternalURL and Value.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from ember.errors import EmberError
from ember.rules.templates.executor import ExecutionLimits, Executor, TemplateExecError
from ember.rules.templates.functions import FUNCTION_NAMES, QueryFunc, expansion_functions
from ember.rules.templates.parser import TemplateParseError, TemplateSet, parse_template
from ember.rules.templates.values import GoStruct, string_map

_PRELUDE = (
    "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"
)
_DATA_TYPE = (
    "struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value interface {} }"
)
_LIMITS = ExecutionLimits()


class TemplateError(EmberError):
    """A template that does not parse or fails while executing; the message is Go-like."""

    error_type = "bad_data"


@functools.lru_cache(maxsize=2048)
def _parsed(name: str, text: str) -> TemplateSet | str:
    """The parsed template set, or the parse error's message (so broken templates are cached too)."""
    try:
        return parse_template(name, text, FUNCTION_NAMES)
    except TemplateParseError as exc:
        return f"error parsing template {name}: {exc}"
    except RecursionError:
        return f"error parsing template {name}: template: {name}:1: max expression depth exceeded"


def expand(
    text: str,
    *,
    labels: Mapping[str, str],
    value: float,
    external_labels: Mapping[str, str],
    external_url: str,
    query: QueryFunc,
    timestamp_ms: int,
    name: str = "__alert",
) -> str:
    """Renders `text` for one alert as Prometheus's template.Expander does; raises TemplateError.

    `name` appears in error messages; Prometheus uses "__alert_" + the alert name.
    """
    if "{{" not in text:
        return text
    parsed = _parsed(name, _PRELUDE + text)
    if isinstance(parsed, str):
        raise TemplateError(parsed)
    data = GoStruct(
        _DATA_TYPE,
        {
            "Labels": string_map(dict(labels)),
            "ExternalLabels": string_map(dict(external_labels)),
            "ExternalURL": external_url,
            "Value": float(value),
        },
    )
    executor = Executor(parsed, expansion_functions(query, timestamp_ms, external_url), _LIMITS)
    try:
        return executor.run(data)
    except TemplateExecError as exc:
        raise TemplateError(f"error executing template {name}: {exc}") from None


__all__ = ["QueryFunc", "TemplateError", "expand"]
