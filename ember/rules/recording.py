"""Recording rules: evaluate an expression and store its result under a new metric name."""

from __future__ import annotations

from ember.errors import ExecutionError
from ember.model.labels import METRIC_NAME, Labels
from ember.rules.rule_file import RuleSpec
from ember.rules.rule_status import QueryVector, RuleQuery, RuleStatus

_CACHE_SLACK = 2


class RecordingRule:
    """One `record:` rule; `evaluate` returns the output series and values to append."""

    kind = "record"

    def __init__(self, spec: RuleSpec, group_labels: tuple[tuple[str, str], ...] = ()) -> None:
        self.spec = spec
        self.name = spec.name
        self.expr = spec.expr
        self.labels = Labels.from_dict(dict(group_labels) | dict(spec.labels))
        self.status = RuleStatus()
        self._updates = {METRIC_NAME: spec.name, **dict(group_labels), **dict(spec.labels)}
        # Output label sets per input label set: the same series come back every interval, so the
        # relabelling cost is paid once per series, not once per evaluation.
        self._renamed: dict[Labels, Labels] = {}

    def identity(self) -> str:
        """Name plus labels: how a reload matches this rule to its previous incarnation (Prometheus's
        `nameAndLabels`)."""
        return f"{self.name}{self.labels}"

    def evaluate(self, query: RuleQuery, time_ms: int, limit: int) -> QueryVector:
        """The output vector at `time_ms`; raises `ExecutionError` with Prometheus's messages for
        duplicate output series and for exceeding the group's `limit`."""
        series, values = query(self.expr, time_ms)
        renamed = self._renamed
        if len(renamed) > _CACHE_SLACK * max(len(series), 1024):
            renamed.clear()
        out: list[Labels] = []
        for labels in series:
            new = renamed.get(labels)
            if new is None:
                new = renamed[labels] = labels.updated(self._updates)
            out.append(new)
        if len(set(out)) != len(out):
            raise ExecutionError("vector contains metrics with the same labelset after applying rule labels")
        if 0 < limit < len(out):
            raise ExecutionError(f"exceeded limit of {limit} with {len(out)} series")
        return out, values
