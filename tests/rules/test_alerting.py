"""Alerting rules: states, keep_firing_for, ALERTS series, notifications, restore (ember/rules/alerting.py)."""

from __future__ import annotations

import pytest

from ember.model import Labels
from ember.promql.engine import Engine
from ember.rules import alerting
from ember.rules.alert import Alert
from ember.rules.alerting import AlertingRule, generator_url
from ember.rules.group import RuleGroup, build_rules
from ember.rules.rule_file import parse_rule_file
from ember.rules.rule_query import engine_query
from ember.rules.templates import TemplateError
from tests.rules.rule_fixtures import make_group, samples_of, stale_bits, storage_with

RULE = """\
groups:
- name: g
  rules:
  - alert: Down
    expr: up == 0
    for: 2m
    keep_firing_for: 3m
    labels: {severity: page}
    annotations: {summary: down}
"""
MIN = 60_000


def _down_between(start: int, end: int, until: int = 20) -> dict[str, list[tuple[int, float]]]:
    """`up` is 0 in minutes [start, end) and 1 otherwise, sampled every minute."""
    return {'up{job="a"}': [(m * MIN, 0.0 if start <= m < end else 1.0) for m in range(until)]}


def _rule(group: object) -> AlertingRule:
    rule = group.rules[0]  # type: ignore[attr-defined]
    assert isinstance(rule, AlertingRule)
    return rule


def test_pending_then_firing_then_kept_firing_then_resolved() -> None:
    sent: list[list[Alert]] = []
    storage = storage_with(_down_between(1, 5))
    group = make_group(RULE, storage, notify=sent.append)
    rule = _rule(group)
    states = []
    for minute in range(12):
        group.evaluate(minute * MIN)
        states.append(rule.state())
    # down at 1..4; fires once 2m pending (at 3); kept firing 3m after it stops (5,6,7); resolved at 8
    assert states == ["inactive", "pending", "pending", "firing", "firing", "firing", "firing", "firing",
                      "inactive", "inactive", "inactive", "inactive"]
    firing_sends = [a for batch in sent for a in batch if a.state == "firing"]
    resolved = [a for batch in sent for a in batch if a.resolved]
    assert firing_sends[0].starts_at == 180.0 and firing_sends[0].ends_at == 180.0 + 4 * 60
    assert resolved[0].ends_at == 480.0
    assert firing_sends[0].labels == Labels.from_strings("alertname", "Down", "job", "a", "severity", "page")
    assert firing_sends[0].generator_url == "http://ember:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1"


def test_alerts_series_follow_the_state() -> None:
    storage = storage_with(_down_between(1, 5))
    group = make_group(RULE, storage)
    for minute in range(10):
        group.evaluate(minute * MIN)
    alerts = samples_of(storage, "ALERTS")
    pending = Labels.from_strings("__name__", "ALERTS", "alertname", "Down", "alertstate", "pending", "job", "a",
                                  "severity", "page")
    firing = pending.updated({"alertstate": "firing"})
    assert [t for t, v in alerts[pending] if not stale_bits(v)] == [1 * MIN, 2 * MIN]
    assert stale_bits(alerts[pending][-1][1]) and alerts[pending][-1][0] == 3 * MIN
    assert [t for t, v in alerts[firing] if not stale_bits(v)] == [m * MIN for m in range(3, 8)]
    for_state = samples_of(storage, "ALERTS_FOR_STATE")
    (series,) = for_state.values()
    assert {v for _, v in series if not stale_bits(v)} == {60.0}


def test_resolved_alerts_are_resent_and_then_forgotten() -> None:
    sent: list[list[Alert]] = []
    storage = storage_with(_down_between(0, 1, until=2))
    group = make_group(
        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n", storage, notify=sent.append
    )
    group.evaluate(0)
    group.evaluate(MIN)
    rule = _rule(group)
    assert rule.active and not rule.active_alerts()
    group.evaluate(20 * MIN)  # past the 15-minute resolved retention
    assert rule.active == {}
    assert [a.state for batch in sent for a in batch][:2] == ["firing", "inactive"]


def test_limit_counts_alerts() -> None:
    storage = storage_with({'up{i="1"}': [(0, 0.0)], 'up{i="2"}': [(0, 0.0)]})
    group = make_group("groups:\n- name: g\n  limit: 1\n  rules:\n  - alert: A\n    expr: up == 0\n", storage)
    group.evaluate(0)
    rule = _rule(group)
    assert rule.status.last_error == "exceeded limit of 1 with 2 alerts"
    assert rule.active == {}


def test_duplicate_alert_labels_fail_the_rule() -> None:
    storage = storage_with({'up{i="1"}': [(0, 0.0)], 'up{i="2"}': [(0, 0.0)]})
    group = make_group("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    labels: {i: x}\n", storage)
    group.evaluate(0)
    assert _rule(group).status.last_error == (
        "vector contains metrics with the same labelset after applying alert labels"
    )


def test_template_error_goes_into_the_annotation(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(text: str, **_: object) -> str:
        raise TemplateError("template: __alert_A:1: boom")

    monkeypatch.setattr(alerting, "expand", broken)
    storage = storage_with({"up": [(0, 0.0)]})
    group = make_group("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n"
                       "    annotations: {summary: x}\n", storage)
    group.evaluate(0)
    rule = _rule(group)
    (alert,) = rule.active_alerts()
    assert alert.annotations.get("summary") == "<error expanding template: template: __alert_A:1: boom>"
    assert rule.status.health == "ok"


def test_not_restored_rule_writes_no_series_yet() -> None:
    storage = storage_with({"up": [(0, 0.0)]})
    group = make_group("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n", storage, restored=False)
    group.evaluate(0)
    assert samples_of(storage, "ALERTS") == {} and _rule(group).active_alerts()


@pytest.mark.parametrize(
    ("active_at", "down_at", "now", "expected"),
    [
        (1000.0, 1600.0, 2000.0, 1400.0),  # 10m pending, 50m left > grace: shifted by the downtime
        (1000.0, 4000.0, 5000.0, 5000.0 + 600 - 3600),  # 50m pending, 10m left... < grace: fire after grace
        (1000.0, 4700.0, 5000.0, 1000.0),  # was already firing: unchanged
    ],
)
def test_restore_for_state_matches_prometheus(active_at: float, down_at: float, now: float, expected: float) -> None:
    storage = storage_with({"up": [(int(now * 1000), 0.0)]})
    group = make_group("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    for: 1h\n",
                       storage, restored=False)
    group.evaluate(int(now * 1000))
    rule = _rule(group)
    (alert,) = rule.active_alerts()
    rule.restore_for_state(now, {alert.labels: (int(down_at * 1000), active_at)}, 600.0)
    assert alert.active_at == expected and rule.restored


def test_generator_url_escapes_like_go_query_escape() -> None:
    assert generator_url("http://x", 'rate(a{b="c d"}[5m]) > 0.5') == (
        "http://x/graph?g0.expr=rate%28a%7Bb%3D%22c+d%22%7D%5B5m%5D%29+%3E+0.5&g0.tab=1"
    )


def test_templates_render_labels_value_and_external_labels() -> None:
    storage = storage_with({'temp{room="lab"}': [(0, 31.5)]})
    spec = parse_rule_file(
        "groups:\n- name: g\n  rules:\n  - alert: Hot\n    expr: temp > 30\n"
        "    labels: {where: '{{ $labels.room }}'}\n"
        "    annotations: {summary: '{{ $labels.room }} is {{ $value }} in {{ $externalLabels.site }}'}\n",
        "rules.yml",
    ).groups[0]
    rules = build_rules(spec, external_labels={"site": "north"}, external_url="", restored=True)
    group = RuleGroup(spec, rules, interval_ms=60_000, query_offset_ms=0, appendable=storage,
                      query=engine_query(Engine(), storage))
    group.evaluate(0)
    (alert,) = _rule(group).active_alerts()
    assert alert.labels == Labels.from_strings("alertname", "Hot", "room", "lab", "where", "lab")
    assert alert.annotations.get("summary") == "lab is 31.5 in north"


def test_for_boundary_at_realistic_unix_times() -> None:
    start = 1_700_000_000_100  # realistic Unix times in milliseconds, not slot-aligned
    storage = storage_with({"up": [(start + m * 15_000, 0.0) for m in range(10)]})
    group = make_group("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    for: 30s\n", storage)
    states = []
    for m in range(4):
        group.evaluate(start + m * 15_000 + 300)
        states.append(_rule(group).state())
    assert states == ["pending", "pending", "firing", "firing"]
