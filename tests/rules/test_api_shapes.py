"""JSON of /api/v1/rules and /api/v1/alerts (ember/rules/api_shapes.py)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from ember.errors import BadDataError
from ember.promql.engine import Engine
from ember.rules.api_shapes import alerts_response, rules_response
from ember.rules.manager import RuleManager
from tests.rules.rule_fixtures import storage_with

RULES = """\
groups:
- name: rec
  interval: 1m
  rules:
  - record: job:up:sum
    expr: sum by (job) (up)
- name: alerts
  limit: 5
  rules:
  - alert: Down
    expr: up == 0
    for: 5m
    keep_firing_for: 1m
    labels: {severity: page}
    annotations: {summary: "{{ $labels.job }} down"}
  - record: broken
    expr: up
    labels: {job: same}
"""


def _loaded_manager(tmp_path: Path) -> tuple[RuleManager, str]:
    path = tmp_path / "rules.yml"
    path.write_text(RULES)
    storage = storage_with({'up{job="a"}': [(1_700_000_000_000, 0.0)], 'up{job="b"}': [(1_700_000_000_000, 0.0)]})
    manager = RuleManager(storage, storage, Engine())

    async def load() -> None:
        await manager.update([str(path)], 15_000)
        await manager.stop()

    asyncio.run(load())
    for group in manager.groups():
        group.evaluate(1_700_000_000_000)
    return manager, str(path)


def test_rules_shape(tmp_path: Path) -> None:
    manager, path = _loaded_manager(tmp_path)
    data = json.loads(json.dumps(rules_response(manager)))
    alerts_group, rec_group = data["groups"]  # sorted by file, then name
    assert rec_group["name"] == "rec" and rec_group["interval"] == 60 and rec_group["limit"] == 0
    assert set(rec_group) == {"name", "file", "rules", "interval", "limit", "evaluationTime", "lastEvaluation"}
    (record,) = rec_group["rules"]
    assert list(record) == ["name", "query", "health", "evaluationTime", "lastEvaluation", "type"]
    assert record["health"] == "ok" and record["type"] == "recording" and record["query"] == "sum by (job) (up)"
    alert, broken = alerts_group["rules"]
    assert alerts_group["file"] == path and alerts_group["interval"] == 15 and alerts_group["limit"] == 5
    assert list(alert) == ["state", "name", "query", "duration", "keepFiringFor", "labels", "annotations", "alerts",
                           "health", "evaluationTime", "lastEvaluation", "type"]
    assert (alert["state"], alert["duration"], alert["keepFiringFor"]) == ("pending", 300, 60)
    assert alert["labels"] == {"severity": "page"}
    first = alert["alerts"][0]
    assert first == {
        "labels": {"alertname": "Down", "job": "a", "severity": "page"}, "annotations": {"summary": "a down"},
        "state": "pending", "activeAt": "2023-11-14T22:13:20Z", "value": "0e+00",
    }
    assert broken["health"] == "err" and broken["labels"] == {"job": "same"}
    assert broken["lastError"] == "vector contains metrics with the same labelset after applying rule labels"


def _names(data: dict[str, Any]) -> list[list[str]]:
    return [[rule["name"] for rule in group["rules"]] for group in data["groups"]]


def test_rules_filters(tmp_path: Path) -> None:
    manager, path = _loaded_manager(tmp_path)
    assert _names(rules_response(manager, {"type": ["alert"]})) == [["Down"]]
    assert _names(rules_response(manager, {"type": ["RECORD"]})) == [["broken"], ["job:up:sum"]]
    assert _names(rules_response(manager, {"rule_name[]": ["broken", "job:up:sum"]})) == [["broken"], ["job:up:sum"]]
    assert _names(rules_response(manager, {"rule_group[]": ["rec"]})) == [["job:up:sum"]]
    assert _names(rules_response(manager, {"file[]": ["other.yml"]})) == []
    assert _names(rules_response(manager, {"file[]": [path], "type": ["alert"]})) == [["Down"]]
    with pytest.raises(BadDataError, match='invalid parameter "type": not supported value "bogus"'):
        rules_response(manager, {"type": ["bogus"]})


def test_alerts_shape(tmp_path: Path) -> None:
    manager, _ = _loaded_manager(tmp_path)
    data = alerts_response(manager)
    assert [a["labels"]["job"] for a in data["alerts"]] == ["a", "b"]
    assert all(a["state"] == "pending" and a["value"] == "0e+00" for a in data["alerts"])
