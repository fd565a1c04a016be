"""Shared way to render a template in these tests: Prometheus's alert data with fixed inputs."""

from __future__ import annotations

from collections.abc import Mapping

from ember.rules.templates import TemplateError, expand

UP_RESULT: list[tuple[Mapping[str, str], float]] = [
    ({"__name__": "up", "job": "b", "instance": "h2:9090"}, 0.0),
    ({"__name__": "up", "job": "a", "instance": "h1:9090"}, 1.0),
]
PRELUDE_LENGTH = 112  # the `{{$labels := .Labels}}...` definitions Prometheus prepends


def fake_query(expr: str) -> list[tuple[Mapping[str, str], float]]:
    """'up' returns two series, 'missing' none, a number its value; anything else fails."""
    if expr == "up":
        return list(UP_RESULT)
    if expr == "missing":
        return []
    try:
        return [({}, float(expr))]
    except ValueError:
        raise TemplateError(f"parse error: unexpected {expr!r}") from None


def render(
    text: str,
    *,
    labels: Mapping[str, str] | None = None,
    value: float = 1.0,
    timestamp_ms: int = 1_353_755_652_000,
    external_url: str = "http://testhost:9090/path/prefix",
) -> str:
    return expand(
        text,
        labels={"instance": "node1.example.com:9100", "job": "node"} if labels is None else labels,
        value=value,
        external_labels={"cluster": "eu1"},
        external_url=external_url,
        query=fake_query,
        timestamp_ms=timestamp_ms,
        name="test",
    )


def render_error(text: str, **kwargs: object) -> str:
    """The TemplateError message of a template that must fail."""
    try:
        output = render(text, **kwargs)  # type: ignore[arg-type]
    except TemplateError as exc:
        return str(exc)
    raise AssertionError(f"expected a TemplateError, got output {output!r}")
