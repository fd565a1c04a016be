"""The rule manager: scheduling, reload, removal, restore after restart (ember/rules/manager.py)."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ember.promql.engine import Engine
from ember.rules.alert import Alert
from ember.rules.alerting import AlertingRule
from ember.rules.group import group_offset_ns
from ember.rules.manager import RuleManager, expand_rule_globs
from ember.rules.rule_file import RuleFileError
from ember.storage.interface import Storage
from ember.testing import ReferenceStorage
from ember.testing.scratch_database import ScratchDatabase
from tests.rules.rule_fixtures import make_group, samples_of, stale_bits, storage_with

RECORD = "groups:\n- name: fast\n  interval: 100ms\n  rules:\n  - record: one\n    expr: vector(1)\n"
ALERT = "groups:\n- name: alerts\n  interval: 100ms\n  rules:\n  - alert: Always\n    expr: vector(1)\n    for: 1h\n"


def _manager(storage: Storage, **kwargs: object) -> RuleManager:
    return RuleManager(storage, storage, Engine(), **kwargs)  # type: ignore[arg-type]


async def _wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def test_groups_run_at_their_interval_on_their_slot(tmp_path: Path) -> None:
    path = tmp_path / "r.yml"
    path.write_text(RECORD)
    storage = ReferenceStorage()

    async def scenario() -> None:
        manager = _manager(storage)
        await manager.update([str(path)], 60_000)
        await _wait_for(lambda: len(next(iter(samples_of(storage, "one").values()), [])) >= 4)
        await manager.stop()
        (group,) = manager.groups()
        assert group.rules[0].status.health == "ok" and group.last_evaluation is not None

    asyncio.run(scenario())
    (points,) = samples_of(storage, "one").values()
    times = [t for t, _ in points]
    offset_ms = group_offset_ns(str(path), "fast", 100 * 10**6) // 10**6
    assert all((t - offset_ms) % 100 == 0 for t in times)
    assert all(b - a >= 100 for a, b in itertools.pairwise(times))


def test_reload_keeps_unchanged_groups_and_carries_alert_state(tmp_path: Path) -> None:
    path = tmp_path / "r.yml"
    path.write_text(RECORD + ALERT.replace("groups:\n", ""))
    storage = ReferenceStorage()

    async def scenario() -> None:
        manager = _manager(storage)
        await manager.update([str(path)], 60_000)
        fast, alerts = sorted(manager.groups(), key=lambda g: g.name, reverse=True)
        await _wait_for(lambda: bool(manager.alerts()[0][1]))
        before = manager.alerts()[0][1][0].active_at
        await manager.update([str(path)], 60_000)
        assert fast in manager.groups() and alerts in manager.groups()
        path.write_text(RECORD + ALERT.replace("groups:\n", "").replace("for: 1h", "for: 2h"))
        await manager.update([str(path)], 60_000)
        assert fast in manager.groups() and alerts not in manager.groups()
        (rule,) = manager.alerting_rules()
        assert rule.hold_ms == 7_200_000 and rule.active_alerts()[0].active_at == before
        await manager.stop()

    asyncio.run(scenario())


def test_invalid_reload_keeps_the_running_groups(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.yml", tmp_path / "bad.yml"
    good.write_text(RECORD)
    bad.write_text("groups:\n- name: x\n  rules:\n  - record: y\n    expr: sum(\n")

    async def scenario() -> None:
        manager = _manager(ReferenceStorage())
        await manager.update([str(good)], 60_000)
        with pytest.raises(RuleFileError, match="could not parse expression"):
            await manager.update([str(good), str(bad)], 60_000)
        assert [g.name for g in manager.groups()] == ["fast"]
        await manager.stop()

    asyncio.run(scenario())


def test_removed_group_outputs_get_staleness_markers(tmp_path: Path) -> None:
    path = tmp_path / "r.yml"
    path.write_text(RECORD)
    storage = ReferenceStorage()

    async def scenario() -> None:
        manager = _manager(storage)
        await manager.update([str(path)], 60_000)
        await _wait_for(lambda: bool(samples_of(storage, "one")))
        path.write_text("groups: []\n")
        await manager.update([str(path)], 60_000)
        await _wait_for(lambda: stale_bits(next(iter(samples_of(storage, "one").values()))[-1][1]))
        await manager.stop()

    asyncio.run(scenario())


def test_notify_is_called_on_the_event_loop_thread(tmp_path: Path) -> None:
    path = tmp_path / "r.yml"
    path.write_text(ALERT.replace("for: 1h", "for: 0s"))
    calls: list[tuple[list[Alert], threading.Thread]] = []

    async def scenario() -> None:
        manager = _manager(ReferenceStorage(), notify=lambda a: calls.append((a, threading.current_thread())),
                           external_url="http://e")
        await manager.update([str(path)], 60_000)
        await _wait_for(lambda: bool(calls))
        await manager.stop()

    asyncio.run(scenario())
    alerts, thread = calls[0]
    assert thread is threading.main_thread()
    assert alerts[0].state == "firing" and alerts[0].generator_url.startswith("http://e/graph?g0.expr=vector%281%29")


def test_for_state_is_restored_after_a_restart_on_the_same_storage(tmp_path: Path) -> None:
    path = tmp_path / "r.yml"
    path.write_text(ALERT)
    database = ScratchDatabase()
    jump = 1200.0

    async def first_run() -> float:
        manager = _manager(database, for_grace_period_s=1.0)
        await manager.update([str(path)], 60_000)
        await _wait_for(lambda: bool(manager.alerts()) and bool(manager.alerts()[0][1]))
        active_at = manager.alerts()[0][1][0].active_at
        await asyncio.sleep(4.0)
        await manager.stop()
        return active_at

    async def second_run() -> tuple[float, float]:
        manager = _manager(database, for_grace_period_s=1.0, clock=lambda: time.time() + jump)
        await manager.update([str(path)], 60_000)
        (rule,) = manager.alerting_rules()
        await _wait_for(lambda: bool(rule.active))
        first_eval = rule.active_alerts()[0].active_at
        await _wait_for(lambda: rule.restored)
        restored = rule.active_alerts()[0].active_at
        await manager.stop()
        return first_eval, restored

    try:
        original = asyncio.run(first_run())
        first_eval, restored = asyncio.run(second_run())
    finally:
        database.close()
    # Prometheus moves active_at forward by the downtime: about 4 s of pending time survive the restart.
    assert first_eval - restored > 2.0
    assert abs(restored - (original + jump)) < 2.0


def test_outage_longer_than_the_tolerance_is_not_restored() -> None:
    rules = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    for: 1h\n"
    storage = storage_with({
        "up": [(10_000_000, 0.0)],
        'ALERTS_FOR_STATE{alertname="A"}': [(1_000_000, 500.0)],
    })
    group = make_group(rules, storage, restored=False)
    group.evaluate(10_000_000)
    rule = group.rules[0]
    assert isinstance(rule, AlertingRule)
    group.restore_for_state(storage, 10_000.0, outage_tolerance_s=3600.0, grace_period_s=600.0)
    assert rule.restored and rule.active_alerts()[0].active_at == 10_000.0
    group.restore_for_state(storage, 10_000.0, outage_tolerance_s=36_000.0, grace_period_s=600.0)
    assert rule.active_alerts()[0].active_at == 500.0 + 10_000.0 - 1_000.0


def test_rule_file_globs_are_expanded_sorted(tmp_path: Path) -> None:
    for name in ("b.yml", "a.yml", "c.txt"):
        (tmp_path / name).write_text("groups: []\n")
    assert expand_rule_globs([str(tmp_path / "*.yml"), str(tmp_path / "c.txt")]) == [
        str(tmp_path / "a.yml"), str(tmp_path / "b.yml"), str(tmp_path / "c.txt")]
