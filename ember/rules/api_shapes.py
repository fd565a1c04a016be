"""The `data` of `/api/v1/rules` and `/api/v1/alerts` in Prometheus 2.42's JSON shapes (with the later
`rule_name[]`, `rule_group[]` and `file[]` filters of `/api/v1/rules`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ember.errors import BadDataError
from ember.model.labels import Labels
from ember.rules.alerting import ActiveAlert, AlertingRule
from ember.rules.go_format import go_float_e, go_time
from ember.rules.group import RuleGroup
from ember.rules.manager import RuleManager
from ember.rules.recording import RecordingRule
from ember.rules.rule_status import RuleStatus


def _seconds(value: float) -> float | int:
    """Go marshals a float64 that is a whole number without a fraction (`60`, not `60.0`)."""
    return int(value) if float(value).is_integer() else value


def _label_map(labels: Labels) -> dict[str, str]:
    return dict(labels)


def alert_shape(alert: ActiveAlert) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "labels": _label_map(alert.labels),
        "annotations": _label_map(alert.annotations),
        "state": alert.state,
        "activeAt": go_time(alert.active_at),
        "value": go_float_e(alert.value),
    }
    if alert.keep_firing_since is not None:
        shape["keepFiringSince"] = go_time(alert.keep_firing_since)
    return shape


def _status_fields(status: RuleStatus) -> dict[str, Any]:
    fields: dict[str, Any] = {"health": status.health}
    if status.last_error:
        fields["lastError"] = status.last_error
    fields["evaluationTime"] = _seconds(status.evaluation_seconds)
    fields["lastEvaluation"] = go_time(status.last_evaluation)
    return fields


def alerting_rule_shape(rule: AlertingRule) -> dict[str, Any]:
    return {
        "state": rule.state(),
        "name": rule.name,
        "query": rule.expr,
        "duration": _seconds(rule.hold_ms / 1000),
        "keepFiringFor": _seconds(rule.keep_firing_for_ms / 1000),
        "labels": _label_map(rule.labels),
        "annotations": _label_map(rule.annotations),
        "alerts": [alert_shape(a) for a in rule.active_alerts()],
        **_status_fields(rule.status),
        "type": "alerting",
    }


def recording_rule_shape(rule: RecordingRule) -> dict[str, Any]:
    shape: dict[str, Any] = {"name": rule.name, "query": rule.expr}
    if len(rule.labels):
        shape["labels"] = _label_map(rule.labels)  # omitempty in Prometheus
    return {**shape, **_status_fields(rule.status), "type": "recording"}


def _wanted_type(filters: Mapping[str, Sequence[str]]) -> str:
    values = filters.get("type") or [""]
    kind = values[0].lower()
    if kind not in ("", "alert", "record"):
        raise BadDataError(f'invalid parameter "type": not supported value "{values[0]}"')
    return kind


def rules_response(manager: RuleManager, filters: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
    """`data` of `/api/v1/rules`. `filters` maps query parameters to their values: `type`
    (alert|record), `rule_name[]`, `rule_group[]`, `file[]`; a bad `type` raises `BadDataError`."""
    filters = filters or {}
    kind = _wanted_type(filters)
    names = set(filters.get("rule_name[]", ()))
    group_names = set(filters.get("rule_group[]", ()))
    files = set(filters.get("file[]", ()))
    filtering = bool(kind or names or group_names or files)
    out: list[dict[str, Any]] = []
    for group in manager.groups():
        if (group_names and group.name not in group_names) or (files and group.file not in files):
            continue
        rules = [_rule_shape(rule) for rule in group.rules
                 if (not names or rule.name in names) and kind in ("", rule.kind)]
        if filtering and not rules:
            continue  # a group whose rules were all filtered out is left out, as Prometheus does
        out.append(_group_shape(group, rules))
    return {"groups": out}


def _rule_shape(rule: AlertingRule | RecordingRule) -> dict[str, Any]:
    if isinstance(rule, AlertingRule):
        return alerting_rule_shape(rule)
    return recording_rule_shape(rule)


def _group_shape(group: RuleGroup, rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": group.name,
        "file": group.file,
        "rules": rules,
        "interval": _seconds(group.interval_ms / 1000),
        "limit": group.limit,
        "evaluationTime": _seconds(group.evaluation_seconds),
        "lastEvaluation": go_time(group.last_evaluation),
    }


def alerts_response(manager: RuleManager) -> dict[str, Any]:
    """`data` of `/api/v1/alerts`: every pending and firing alert."""
    return {"alerts": [alert_shape(a) for _rule, alerts in manager.alerts() for a in alerts]}
