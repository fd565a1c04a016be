"""Run parsed PromQL test scripts against Ember's engine, the way upstream's `promqltest` runs them.

Each eval yields an `EvalOutcome`. Evals that need native histograms (expected `{{...}}` values, or a
selector reaching a series loaded with histogram values or made by `load_with_nhcb` since the last
`clear`) are not run but classified `native_histogram`; evals over series loaded with start timestamps
(`@st`) are `unsupported`. Instant evals also get upstream's range-mode and `@`-pinned re-runs.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, TextIO

import numpy as np

from ember.errors import EmberError
from ember.model import Labels, SampleBatch
from ember.promql.result import QueryResult
from ember.promql.testscript.at_modifier import at_modifier_variants
from ember.promql.testscript.classify import nhcb_series, selects_any
from ember.promql.testscript.compare import (
    MismatchError,
    check_sorted,
    compare_result,
    compare_scalar,
    compare_vector,
    points_at,
)
from ember.promql.testscript.parser import (
    ClearCommand,
    EvalCommand,
    Expectation,
    LoadCommand,
    Script,
    parse_script,
)
from ember.promql.testscript.series_notation import HistogramValue
from ember.storage import Queryable, Storage
from ember.testing import ReferenceStorage

Category = Literal["float", "native_histogram", "unsupported"]

LOOKBACK_DELTA_MS = 300_000
MAX_SAMPLES = 10_000
DEFAULT_SUBQUERY_STEP_MS = 60_000
_MINUTE_MS = 60_000
_CONTEXT_FUNCTIONS = re.compile(r"(start|end|range|step)\(\)")


class QueryEngine(Protocol):
    """What the runner needs of an engine (`ember.promql.engine.Engine` has it)."""

    def instant_query(self, queryable: Queryable, expr: str, time_ms: int) -> QueryResult: ...

    def range_query(
        self, queryable: Queryable, expr: str, start_ms: int, end_ms: int, step_ms: int
    ) -> QueryResult: ...


@dataclass(frozen=True)
class EvalOutcome:
    """The result of one eval; `passed` is False (with the reason in `message`) for evals not run."""

    file: str
    line: int
    expression: str
    passed: bool
    message: str
    category: Category

    @property
    def test_id(self) -> str:
        return f"{self.file}:{self.line}"


def default_engine() -> QueryEngine:
    """An engine with upstream's test settings: lookback 5m, 10,000 samples, 1m subquery step."""
    from ember.promql.engine import Engine  # imported late: parsing scripts must not need the engine

    return Engine(
        lookback_delta_ms=LOOKBACK_DELTA_MS,
        max_samples=MAX_SAMPLES,
        default_subquery_step_ms=DEFAULT_SUBQUERY_STEP_MS,
    )


def default_storage() -> Storage:
    """Ember's plain-Python reference storage (upstream uses an empty TSDB per script and `clear`)."""
    return ReferenceStorage()


@dataclass
class _ScriptState:
    storage: Storage
    histogram_series: set[Labels] = field(default_factory=set)
    start_timestamp_series: set[Labels] = field(default_factory=set)
    load_error: str | None = None


def _load(state: _ScriptState, load: LoadCommand) -> None:
    """Append a load block's float samples (stale markers included) as one batch, then commit."""
    labels_list: list[Labels] = []
    index: list[int] = []
    timestamps: list[int] = []
    values: list[float] = []
    # A series listed twice in one block keeps its last line, as upstream's load does.
    for labels, items in dict(load.series).items():
        converted = nhcb_series(labels) if load.with_nhcb else None
        if converted is not None:
            state.histogram_series.add(converted)
        position = len(labels_list)
        labels_list.append(labels)
        for slot, item in enumerate(items):
            if isinstance(item, HistogramValue):
                state.histogram_series.add(labels)
            elif item is not None:
                index.append(position)
                timestamps.append(slot * load.interval_ms)
                values.append(item)
    state.start_timestamp_series.update(load.start_timestamp_series)
    if not values:
        return
    batch = SampleBatch.of_samples(
        labels_list, np.array(index, dtype=np.int32), np.array(timestamps, dtype=np.int64), np.array(values)
    )
    try:
        appender = state.storage.appender()
        result = appender.append(batch)
        result.merge(appender.commit())
    except EmberError as exc:
        state.load_error = f"load at line {load.line} failed: {exc}"
        return
    if result.rejected:
        state.load_error = f"load at line {load.line} was refused: {result.first_error_message()}"


def classify(ev: EvalCommand, histogram_series: set[Labels], start_timestamp_series: set[Labels]) -> Category:
    """Whether an eval can be checked on float data alone."""
    expected_histogram = any(isinstance(v, HistogramValue) for e in ev.expected.values() for v in e.values)
    if expected_histogram or selects_any(ev.expr, histogram_series):
        return "native_histogram"
    if selects_any(ev.expr, start_timestamp_series):
        return "unsupported"
    return "float"


def _check_annotations(ev: EvalCommand, result: QueryResult) -> None:
    if ev.legacy_warn and not result.warnings:
        raise MismatchError("expected warnings but got none")
    if ev.legacy_info and not result.infos:
        raise MismatchError("expected info annotations but got none")
    _check_annotation_kind("warn", ev.warn, result.warnings)
    _check_annotation_kind("info", ev.info, result.infos)
    if ev.no_warn and result.warnings:
        raise MismatchError(f"unexpected warning annotations: {result.warnings}")
    if ev.no_info and result.infos:
        raise MismatchError(f"unexpected info annotations: {result.infos}")


def _check_annotation_kind(kind: str, expected: Sequence[Expectation], actual: Sequence[str]) -> None:
    if not expected:
        return
    if not actual:
        raise MismatchError(f"expected {kind} annotations but none were found")
    for expectation in expected:
        if not any(expectation.matches(text) for text in actual):
            wanted = expectation.message if expectation.message is not None else expectation.regex
            raise MismatchError(f"expected {kind} annotation matching {wanted!r} but found {list(actual)}")
    for text in actual:
        if not any(expectation.matches(text) for expectation in expected):
            raise MismatchError(f"unexpected {kind} annotation {text!r}")


def _check_failure(ev: EvalCommand, error: EmberError) -> None:
    if ev.fail is None:
        raise MismatchError(f"error evaluating query: {error}")
    if not ev.fail.matches(str(error)):
        wanted = ev.fail.message if ev.fail.message is not None else ev.fail.regex
        raise MismatchError(f"expected error matching {wanted!r}, but got: {error}")


def _run_range(ev: EvalCommand, engine: QueryEngine, storage: Storage) -> None:
    try:
        result = engine.range_query(storage, ev.expr, ev.start_ms, ev.end_ms, ev.step_ms)
    except EmberError as exc:
        _check_failure(ev, exc)
        return
    if ev.fail is not None:
        raise MismatchError("expected error evaluating query but got none")
    _check_annotations(ev, result)
    compare_result(ev, result)


def _run_instant(ev: EvalCommand, engine: QueryEngine, storage: Storage) -> None:
    """The eval as written, then upstream's `@`-pinned variants at other times."""
    _run_instant_at(ev, ev.expr, ev.eval_ms, engine, storage)
    for expr, time_ms in at_modifier_variants(ev.expr, ev.eval_ms):
        try:
            _run_instant_at(ev, expr, time_ms, engine, storage)
        except MismatchError as exc:
            raise MismatchError(f"with @ pinned, {expr} at t={time_ms}: {exc}") from exc


def _run_instant_at(ev: EvalCommand, expr: str, time_ms: int, engine: QueryEngine, storage: Storage) -> None:
    try:
        result = engine.instant_query(storage, expr, time_ms)
    except EmberError as exc:
        _check_failure(ev, exc)
        return
    if ev.fail is not None:
        raise MismatchError("expected error evaluating query but got none")
    _check_annotations(ev, result)
    compare_result(ev, result)
    if ev.excluded_from_range_check or _CONTEXT_FUNCTIONS.search(expr):
        return
    _range_mode_check(ev, expr, time_ms, engine, storage, result)


def _range_mode_check(
    ev: EvalCommand, expr: str, t: int, engine: QueryEngine, storage: Storage, instant: QueryResult
) -> None:
    """Upstream re-runs each instant eval as a range query t-1m..t+1m and checks the point at t."""
    try:
        matrix = engine.range_query(storage, expr, t - _MINUTE_MS, t + _MINUTE_MS, _MINUTE_MS)
    except EmberError as exc:
        raise MismatchError(f"error evaluating query in range mode: {exc}") from exc
    if ev.ordered or matrix.series is None:
        return
    try:
        check_sorted(matrix.series)
        samples = points_at(matrix.series, t)
        if instant.result_type == "scalar":
            if not samples:
                raise MismatchError("range mode returned no point at the eval time")
            compare_scalar(ev, samples[0][1])
        else:
            compare_vector(ev, samples)
    except MismatchError as exc:
        raise MismatchError(f"range mode: {exc}") from exc


def _run_eval(ev: EvalCommand, engine: QueryEngine, storage: Storage) -> str | None:
    """None when the eval passes, otherwise why it fails."""
    try:
        if ev.is_range:
            _run_range(ev, engine, storage)
        else:
            _run_instant(ev, engine, storage)
    except MismatchError as exc:
        return str(exc)
    except EmberError as exc:
        return f"error: {exc}"
    except Exception as exc:  # an engine crash is a failed eval, not a crashed runner
        return f"crash: {type(exc).__name__}: {exc}"
    return None


def run_script(
    script: Script,
    engine_factory: Callable[[], QueryEngine] = default_engine,
    storage_factory: Callable[[], Storage] = default_storage,
) -> list[EvalOutcome]:
    """Execute a script's commands in order; one outcome per eval."""
    engine = engine_factory()
    state = _ScriptState(storage_factory())
    outcomes: list[EvalOutcome] = []
    for command in script.commands:
        if isinstance(command, ClearCommand):
            state = _ScriptState(storage_factory())
        elif isinstance(command, LoadCommand):
            _load(state, command)
        else:
            category = classify(command, state.histogram_series, state.start_timestamp_series)
            if category != "float":
                reason = (
                    "needs native histograms"
                    if category == "native_histogram"
                    else "needs start timestamps (@st)"
                )
                outcomes.append(EvalOutcome(script.name, command.line, command.expr, False, reason, category))
                continue
            failure = state.load_error or _run_eval(command, engine, state.storage)
            outcomes.append(
                EvalOutcome(script.name, command.line, command.expr, failure is None, failure or "", category)
            )
    return outcomes


def _script_files(paths: Iterable[str | Path]) -> list[Path]:
    """The given files, with a directory standing for the `*.test` files in it."""
    files: list[Path] = []
    for path in map(Path, paths):
        files.extend(sorted(path.glob("*.test")) if path.is_dir() else [path])
    return files


def run_files(
    paths: Iterable[str | Path], out: TextIO = sys.stdout, storage_factory: Callable[[], Storage] = default_storage
) -> int:
    """Run test-script files (a directory means its `*.test` files): one line per failing eval, then
    exactly `N passed, M failed`.

    Evals needing native histograms or start timestamps are counted on a separate line before the
    final one. Returns 1 when any eval failed (or a file did not parse), else 0.
    """
    passed = failed = 0
    skipped: dict[str, int] = {"native_histogram": 0, "unsupported": 0}
    for file in _script_files(paths):
        try:
            script = parse_script(file.read_text(encoding="utf-8"), file.name)
        except (OSError, EmberError) as exc:
            print(f"{file}: {exc}", file=out)
            failed += 1
            continue
        for outcome in run_script(script, storage_factory=storage_factory):
            if outcome.category != "float":
                skipped[outcome.category] += 1
            elif outcome.passed:
                passed += 1
            else:
                failed += 1
                print(f"{outcome.test_id}: {outcome.expression}: {outcome.message}", file=out)
    if any(skipped.values()):
        print(
            f"not run: {skipped['native_histogram']} need native histograms, "
            f"{skipped['unsupported']} need start timestamps",
            file=out,
        )
    print(f"{passed} passed, {failed} failed", file=out)
    return 1 if failed else 0
