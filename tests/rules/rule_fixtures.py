"""Shared helpers for the rule tests: storage with series, groups built from rule-file text."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ember.model import Labels, SampleBatch
from ember.model.matchers import Matcher
from ember.model.samples import is_stale_value
from ember.promql.engine import Engine
from ember.promql.testscript.series_notation import parse_labels
from ember.rules.alert import Alert
from ember.rules.group import RuleGroup, build_rules
from ember.rules.rule_file import parse_rule_file
from ember.rules.rule_query import engine_query
from ember.storage.interface import Storage
from ember.testing import ReferenceStorage


def storage_with(series: dict[str, list[tuple[int, float]]], storage: Storage | None = None) -> Storage:
    """A storage holding `{'up{job="a"}': [(t_ms, v), ...]}`-style series."""
    target = storage if storage is not None else ReferenceStorage()
    appender = target.appender()
    for text, samples in series.items():
        labels, _ = parse_labels(text)
        appender.append(SampleBatch.of_series(labels, [t for t, _ in samples], [v for _, v in samples]))
    appender.commit()
    return target


def make_group(
    text: str, storage: Storage, *, interval_ms: int = 60_000, query_offset_ms: int = 0,
    notify: Callable[[list[Alert]], None] | None = None, restored: bool = True,
) -> RuleGroup:
    spec = parse_rule_file(text, "rules.yml").groups[0]
    rules = build_rules(spec, external_labels={}, external_url="http://ember:9090", restored=restored)
    query = engine_query(Engine(), storage)
    return RuleGroup(spec, rules, interval_ms=spec.interval_ms or interval_ms,
                     query_offset_ms=spec.query_offset_ms if spec.query_offset_ms is not None else query_offset_ms,
                     appendable=storage, query=query, notify=notify)


def samples_of(storage: Storage, name: str, mint: int = 0, maxt: int = 10**13) -> dict[Labels, list[tuple[int, float]]]:
    querier = storage.querier()
    try:
        found = querier.select([Matcher.equal("__name__", name)], mint, maxt)
        return {labels: list(zip(ts.tolist(), vals.tolist(), strict=True)) for labels, ts, vals in found}
    finally:
        querier.close()


def stale_bits(value: float) -> bool:
    return bool(np.isnan(value)) and is_stale_value(value)
