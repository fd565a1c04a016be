"""The rule manager: loads rule files, runs each group at its interval (with Prometheus's per-group
offset) in a worker thread, reloads keeping unchanged groups, and hands alerts to the notifier.

Follows Prometheus's `rules/manager.go` (`Update`, `LoadGroups`) and `Group.run`: the first load restores
the `for` state of alerts after the second evaluation; a removed group's outputs get staleness markers
two intervals later (unless the manager stops first).
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import logging
import time
from collections.abc import Callable, Mapping

from ember.promql.engine import Engine
from ember.rules.alert import Alert
from ember.rules.alerting import ActiveAlert, AlertingRule
from ember.rules.group import RuleGroup, build_rules, group_key
from ember.rules.rule_file import RuleFile, RuleFileError, load_rule_file
from ember.rules.rule_query import engine_query
from ember.storage.interface import Appendable, Queryable

log = logging.getLogger(__name__)


def expand_rule_globs(patterns: list[str]) -> list[str]:
    """`rule_files` entries: globs expanded (sorted, as Go's `filepath.Glob`), plain paths kept."""
    files: list[str] = []
    for pattern in patterns:
        if glob.has_magic(pattern):
            files.extend(sorted(glob.glob(pattern)))
        else:
            files.append(pattern)
    return list(dict.fromkeys(files))


class RuleManager:
    """Owns the loaded rule groups and their evaluation tasks; all methods run on the event loop."""

    def __init__(
        self, appendable: Appendable, queryable: Queryable, engine: Engine, *,
        external_labels: Mapping[str, str] | None = None, external_url: str = "",
        notify: Callable[[list[Alert]], None] | None = None, clock: Callable[[], float] = time.time,
        for_outage_tolerance_s: float = 3600.0, for_grace_period_s: float = 600.0,
        resend_delay_s: float = 60.0,
    ) -> None:
        self._appendable = appendable
        self._queryable = queryable
        self._query = engine_query(engine, queryable)
        self.external_labels = dict(external_labels or {})
        self.external_url = external_url
        self._notify = notify
        self._clock = clock
        self.for_outage_tolerance_s = for_outage_tolerance_s
        self.for_grace_period_s = for_grace_period_s
        self.resend_delay_s = resend_delay_s
        self._groups: dict[str, RuleGroup] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._stale_tasks: set[asyncio.Task[None]] = set()
        self._restored = False
        self._update_lock = asyncio.Lock()

    async def update(
        self, files: list[str], default_interval_ms: int, global_query_offset_ms: int = 0, *,
        external_labels: Mapping[str, str] | None = None, external_url: str | None = None,
    ) -> None:
        """Loads `files` (globs expanded) and swaps in the new groups; raises `RuleFileError` (and keeps
        the running groups) when any file is invalid. Concurrent calls are applied one after another.
        New `external_labels` / `external_url` (a configuration reload) apply to new and changed groups,
        as in Prometheus, where an unchanged group keeps its rules."""
        async with self._update_lock:
            if external_labels is not None:
                self.external_labels = dict(external_labels)
            if external_url is not None:
                self.external_url = external_url
            await self._apply(files, default_interval_ms, global_query_offset_ms)

    async def _apply(self, files: list[str], default_interval_ms: int, global_query_offset_ms: int) -> None:
        loaded = await asyncio.to_thread(_load_all, expand_rule_globs(files))
        new_groups = self._build_groups(loaded, default_interval_ms, global_query_offset_ms)
        should_restore = not self._restored
        self._restored = True
        old_groups = self._groups
        self._groups = {}
        for key, group in new_groups.items():
            old = old_groups.pop(key, None)
            if old is not None and old.same_definition(group):
                self._groups[key] = old
                continue
            if old is not None:
                await self._stop_task(key)
                group.copy_state(old)
            self._groups[key] = group
            self._tasks[key] = asyncio.create_task(self._run(group, should_restore), name=f"rules {key}")
        for key, old in old_groups.items():
            await self._stop_task(key)
            self._schedule_stale(old)

    def _build_groups(
        self, loaded: list[RuleFile], default_interval_ms: int, global_query_offset_ms: int
    ) -> dict[str, RuleGroup]:
        notify = self._threadsafe_notify()
        groups: dict[str, RuleGroup] = {}
        for rule_file in loaded:
            for spec in rule_file.groups:
                rules = build_rules(spec, external_labels=self.external_labels,
                                    external_url=self.external_url, restored=self._restored)
                groups[group_key(spec.file, spec.name)] = RuleGroup(
                    spec, rules, interval_ms=spec.interval_ms or default_interval_ms,
                    query_offset_ms=(spec.query_offset_ms if spec.query_offset_ms is not None
                                     else global_query_offset_ms),
                    appendable=self._appendable, query=self._query, notify=notify,
                    resend_delay_s=self.resend_delay_s, clock=self._clock,
                )
        return groups

    def _threadsafe_notify(self) -> Callable[[list[Alert]], None] | None:
        """Groups evaluate in worker threads; the notifier is called on the event loop."""
        if self._notify is None:
            return None
        loop = asyncio.get_running_loop()
        notify = self._notify

        def deliver(alerts: list[Alert]) -> None:
            loop.call_soon_threadsafe(notify, alerts)

        return deliver

    async def _run(self, group: RuleGroup, should_restore: bool) -> None:
        interval_ms = group.interval_ms
        next_ms = group.eval_timestamp_ms(self._clock()) + interval_ms
        await self._sleep_until(next_ms)
        await self._evaluate(group, next_ms)
        if should_restore:
            next_ms = await self._next_slot(next_ms, interval_ms)
            await self._evaluate(group, next_ms)
            try:
                await asyncio.to_thread(group.restore_for_state, self._queryable, self._clock(),
                                        self.for_outage_tolerance_s, self.for_grace_period_s)
            except Exception:  # a failed restore must not stop evaluation; alerts then simply re-pend
                log.exception("Restoring 'for' state of group %s failed", group.key)
                for rule in group.alerting_rules():
                    rule.restored = True
        while True:
            next_ms = await self._next_slot(next_ms, interval_ms)
            await self._evaluate(group, next_ms)

    @staticmethod
    async def _evaluate(group: RuleGroup, time_ms: int) -> None:
        try:
            await asyncio.to_thread(group.evaluate, time_ms)
        except Exception:  # keep the loop alive: the next interval may succeed
            log.exception("Evaluating group %s failed", group.key)

    async def _next_slot(self, last_ms: int, interval_ms: int) -> int:
        """The next evaluation time, skipping slots missed while an evaluation overran."""
        await self._sleep_until(last_ms + interval_ms)
        missed = max(0, int((self._clock() * 1000 - last_ms) // interval_ms) - 1)
        return last_ms + (missed + 1) * interval_ms

    async def _sleep_until(self, time_ms: int) -> None:
        await asyncio.sleep(max(0.0, time_ms / 1000 - self._clock()))

    async def _stop_task(self, key: str) -> None:
        task = self._tasks.pop(key, None)
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    def _schedule_stale(self, group: RuleGroup) -> None:
        """Staleness markers for a removed group after two intervals, giving a renamed group time to
        write its series first (as Prometheus does)."""
        stopped_ms = int(self._clock() * 1000)

        async def mark() -> None:
            await asyncio.sleep(2 * group.interval_ms / 1000)
            await asyncio.to_thread(group.mark_all_stale, stopped_ms)

        task = asyncio.create_task(mark(), name=f"rules stale {group.key}")
        self._stale_tasks.add(task)
        task.add_done_callback(self._stale_tasks.discard)

    async def stop(self) -> None:
        """Stops every evaluation loop (an evaluation in progress finishes in its thread)."""
        for key in list(self._tasks):
            await self._stop_task(key)
        for task in list(self._stale_tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def groups(self) -> list[RuleGroup]:
        """The loaded groups sorted by file then name (the order of Prometheus's `RuleGroups`)."""
        return sorted(self._groups.values(), key=lambda g: (g.file, g.name))

    def alerting_rules(self) -> list[AlertingRule]:
        return [rule for group in self.groups() for rule in group.alerting_rules()]

    def alerts(self) -> list[tuple[AlertingRule, list[ActiveAlert]]]:
        """Each alerting rule with its pending and firing alerts (for `/api/v1/alerts`)."""
        return [(rule, list(rule.active_alerts())) for rule in self.alerting_rules()]


def _load_all(files: list[str]) -> list[RuleFile]:
    loaded: list[RuleFile] = []
    errors: list[str] = []
    for path in files:
        try:
            loaded.append(load_rule_file(path))
        except RuleFileError as exc:
            errors.extend(exc.errors)
    if errors:
        raise RuleFileError(errors)
    return loaded
