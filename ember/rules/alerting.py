"""Alerting rules: the inactive -> pending -> firing state machine, `for`, `keep_firing_for`, the `ALERTS`
and `ALERTS_FOR_STATE` series, notification bookkeeping and the restore of `for` state after a restart.

Follows Prometheus's `rules/alerting.go` (`Eval`, `sendAlerts`, `needsSending`) and `RestoreForState`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote_plus

import numpy as np

from ember.errors import ExecutionError
from ember.model.labels import METRIC_NAME, Labels
from ember.model.samples import Float64Array, is_stale_value
from ember.rules.alert import Alert
from ember.rules.rule_file import RuleSpec
from ember.rules.rule_status import QueryVector, RuleQuery, RuleStatus
from ember.rules.templates import TemplateError, expand

log = logging.getLogger(__name__)

STATE_INACTIVE = "inactive"
STATE_PENDING = "pending"
STATE_FIRING = "firing"
ALERT_METRIC = "ALERTS"
ALERT_FOR_STATE_METRIC = "ALERTS_FOR_STATE"
ALERT_NAME = "alertname"
ALERT_STATE = "alertstate"
RESOLVED_RETENTION_S = 15 * 60.0  # Prometheus's resolvedRetention: resolved alerts are re-sent this long
_STATE_ORDER = {STATE_INACTIVE: 0, STATE_PENDING: 1, STATE_FIRING: 2}


@dataclass
class ActiveAlert:
    """One alert instance of a rule; times are Unix seconds, None where Prometheus has Go's zero time."""

    labels: Labels
    annotations: Labels
    state: str
    active_at: float
    value: float
    fired_at: float = 0.0
    resolved_at: float | None = None
    last_sent_at: float | None = None
    valid_until: float = 0.0
    keep_firing_since: float | None = None

    def needs_sending(self, now_s: float, resend_delay_s: float) -> bool:
        if self.state == STATE_PENDING:
            return False
        if self.last_sent_at is None:
            return True
        if self.resolved_at is not None and self.resolved_at > self.last_sent_at:
            return True
        return self.last_sent_at + resend_delay_s < now_s


def _elapsed_ms(since_s: float, now_s: float) -> int:
    """Whole milliseconds between two Unix times: evaluation times are whole milliseconds, and comparing
    float seconds directly could put a `for` boundary one evaluation late."""
    return round((now_s - since_s) * 1000)


def generator_url(external_url: str, expr: str) -> str:
    """Prometheus's `TableLinkForExpression` behind the external URL."""
    return f"{external_url}/graph?g0.expr={quote_plus(expr, safe='')}&g0.tab=1"


class AlertingRule:
    """One `alert:` rule and its active alerts."""

    kind = "alert"

    def __init__(
        self, spec: RuleSpec, group_labels: tuple[tuple[str, str], ...] = (), *,
        external_labels: Mapping[str, str] | None = None, external_url: str = "", restored: bool = True,
    ) -> None:
        self.spec = spec
        self.name = spec.name
        self.expr = spec.expr
        self.hold_ms = spec.for_ms
        self.keep_firing_for_ms = spec.keep_firing_for_ms
        self.labels = Labels.from_dict(dict(group_labels) | dict(spec.labels))
        self.annotations = Labels(spec.annotations)
        self.external_labels = dict(external_labels or {})
        self.external_url = external_url
        self.restored = restored
        self.status = RuleStatus()
        self.active: dict[Labels, ActiveAlert] = {}

    def identity(self) -> str:
        return f"{self.name}{self.labels}"

    def state(self) -> str:
        """The most severe state among the active alerts (Prometheus's `AlertingRule.State`)."""
        best = STATE_INACTIVE
        for alert in list(self.active.values()):
            if _STATE_ORDER[alert.state] > _STATE_ORDER[best]:
                best = alert.state
        return best

    def active_alerts(self) -> list[ActiveAlert]:
        """Alerts that are pending or firing (resolved ones kept for re-sending are left out)."""
        return [a for a in list(self.active.values()) if a.state != STATE_INACTIVE]

    def evaluate(self, query: RuleQuery, time_ms: int, query_offset_ms: int, limit: int) -> QueryVector:
        """Runs the expression at `time_ms - query_offset_ms`, advances the alert states to `time_ms`
        and returns the `ALERTS` / `ALERTS_FOR_STATE` samples (empty until the for-state is restored)."""
        series, values = query(self.expr, time_ms - query_offset_ms)
        now_s = time_ms / 1000
        current = self._current_alerts(query, series, values, time_ms)
        for key, fresh in current.items():
            known = self.active.get(key)
            if known is not None and known.state != STATE_INACTIVE:
                known.value = fresh.value
                known.annotations = fresh.annotations
            else:
                self.active[key] = fresh
        out_labels: list[Labels] = []
        out_values: list[float] = []
        count = 0
        for key, alert in list(self.active.items()):
            if key not in current and not self._keeps_firing(key, alert, now_s):
                continue
            if key in current:
                alert.keep_firing_since = None
            count += 1
            if alert.state == STATE_PENDING and _elapsed_ms(alert.active_at, now_s) >= self.hold_ms:
                alert.state = STATE_FIRING
                alert.fired_at = now_s
            if self.restored:
                out_labels.append(self._series_labels(alert, ALERT_METRIC, alert.state))
                out_values.append(1.0)
                out_labels.append(self._series_labels(alert, ALERT_FOR_STATE_METRIC, None))
                out_values.append(float(math.floor(alert.active_at)))
        if 0 < limit < count:
            self.active = {}
            raise ExecutionError(f"exceeded limit of {limit} with {count} alerts")
        return out_labels, np.array(out_values, dtype=np.float64)

    def _keeps_firing(self, key: Labels, alert: ActiveAlert, now_s: float) -> bool:
        """An alert absent from this evaluation: resolves it unless `keep_firing_for` holds it firing,
        and forgets pending alerts and alerts resolved longer than the retention ago."""
        keep = False
        if alert.state == STATE_FIRING and self.keep_firing_for_ms > 0:
            if alert.keep_firing_since is None:
                alert.keep_firing_since = now_s
            keep = _elapsed_ms(alert.keep_firing_since, now_s) < self.keep_firing_for_ms
        if alert.state == STATE_PENDING or (
            alert.resolved_at is not None and now_s - alert.resolved_at > RESOLVED_RETENTION_S
        ):
            del self.active[key]
        if alert.state != STATE_INACTIVE and not keep:
            alert.state = STATE_INACTIVE
            alert.resolved_at = now_s
        return keep

    def _current_alerts(
        self, query: RuleQuery, series: Sequence[Labels], values: Float64Array, time_ms: int
    ) -> dict[Labels, ActiveAlert]:
        current: dict[Labels, ActiveAlert] = {}
        template_query = _template_query(query, time_ms)
        now_s = time_ms / 1000
        for labels, value in zip(series, values.tolist(), strict=True):
            data = labels.to_dict()

            def render(text: str, data: dict[str, str] = data, value: float = value) -> str:
                return self._expand(text, data, value, template_query, time_ms)

            updates = {name: render(text) for name, text in self.labels}
            updates[ALERT_NAME] = self.name
            alert_labels = labels.without(METRIC_NAME).updated(updates)
            annotations = Labels((name, render(text)) for name, text in self.annotations)
            if alert_labels in current:
                raise ExecutionError(
                    "vector contains metrics with the same labelset after applying alert labels"
                )
            current[alert_labels] = ActiveAlert(alert_labels, annotations, STATE_PENDING, now_s, value)
        return current

    def _expand(
        self, text: str, labels: dict[str, str], value: float, template_query: TemplateQueryFunc, time_ms: int
    ) -> str:
        try:
            return expand(
                text, labels=labels, value=value, external_labels=self.external_labels,
                external_url=self.external_url, query=template_query, timestamp_ms=time_ms,
                name=f"__alert_{self.name}",
            )
        except TemplateError as exc:
            log.warning("Expanding alert template failed: %s (alert %s)", exc, self.name)
            return f"<error expanding template: {exc}>"

    def _series_labels(self, alert: ActiveAlert, metric: str, state: str | None) -> Labels:
        updates = alert.labels.to_dict()
        updates[METRIC_NAME] = metric
        updates[ALERT_NAME] = self.name
        if state is not None:
            updates[ALERT_STATE] = state
        return self.labels.updated(updates)

    def for_state_selector(self) -> Labels:
        """The labels every `ALERTS_FOR_STATE` series of this rule carries (the restore query)."""
        return self.labels.updated({METRIC_NAME: ALERT_FOR_STATE_METRIC, ALERT_NAME: self.name})

    def pending_notifications(self, now_s: float, resend_delay_s: float, interval_s: float) -> list[Alert]:
        """The alerts to hand to the notifier now (Prometheus's `sendAlerts`), marking them sent."""
        out: list[Alert] = []
        url = generator_url(self.external_url, self.expr)
        for alert in self.active.values():
            if not alert.needs_sending(now_s, resend_delay_s):
                continue
            alert.last_sent_at = now_s
            # Allow for two missed evaluations or Alertmanager send failures.
            alert.valid_until = now_s + 4 * max(resend_delay_s, interval_s)
            out.append(Alert(
                labels=alert.labels, annotations=alert.annotations, starts_at=alert.fired_at,
                ends_at=alert.resolved_at if alert.resolved_at is not None else alert.valid_until,
                generator_url=url, active_at=alert.active_at, state=alert.state, value=alert.value,
            ))
        return out

    def restore_for_state(
        self, now_s: float, last_samples: Mapping[Labels, tuple[int, float]], grace_period_s: float
    ) -> None:
        """Moves `active_at` of the current alerts as Prometheus's `RestoreForState` does, from the last
        `ALERTS_FOR_STATE` sample (time ms, value) per alert label set (without `__name__`)."""
        hold_s = self.hold_ms / 1000
        for alert in self.active.values():
            found = last_samples.get(alert.labels)
            if found is None or is_stale_value(found[1]):
                continue
            down_at = float(found[0] // 1000)
            restored_active_at = float(int(found[1]))
            remaining = hold_s - (down_at - restored_active_at)
            if remaining <= 0:
                pass  # it was firing when we went down: keep its original active time
            elif remaining < grace_period_s:
                restored_active_at = now_s + grace_period_s - hold_s
            else:
                restored_active_at += now_s - down_at
            alert.active_at = restored_active_at
        self.restored = True


class TemplateQueryFunc:
    """The `query` template function: runs an expression at the evaluation time."""

    def __init__(self, query: RuleQuery, time_ms: int) -> None:
        self._query = query
        self._time_ms = time_ms

    def __call__(self, expr: str) -> list[tuple[Mapping[str, str], float]]:
        # A failing query raises its EmberError; the template engine reports it as Prometheus does,
        # "error calling query: <the query's error>".
        series, values = self._query(expr, self._time_ms)
        return [(labels.to_dict(), value) for labels, value in zip(series, values.tolist(), strict=True)]


def _template_query(query: RuleQuery, time_ms: int) -> TemplateQueryFunc:
    return TemplateQueryFunc(query, time_ms)
