"""The scrape loop's steady state (ember/scrape/loop.py): bodies that differ only in their values go
through the parser's template and the by-refs append, and every departure from it is handled as a
full scrape."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np

from ember.model.matchers import Matcher
from ember.model.samples import is_stale
from ember.scrape.loop import ScrapeLoop, ScrapeOutcome
from ember.storage.interface import MAX_TIME, MIN_TIME, Appender, RowWriter
from ember.testing import ReferenceStorage
from ember.tsdb.db import DB
from ember.tsdb.options import DBOptions
from tests.scrape.test_scrape_loop import Target, _loop, _values, target  # noqa: F401  # `target` is a fixture

STEADY = b'# TYPE a_total counter\na_total{x="1"} {one}\na_total{x="2"} {two}\nb {three}\n'


def _steady_body(one: str, two: str, three: str) -> bytes:
    return STEADY.replace(b"{one}", one.encode()).replace(b"{two}", two.encode()).replace(b"{three}", three.encode())


def _scrape_all(loop: ScrapeLoop, served: Target, bodies: list[bytes]) -> list[ScrapeOutcome]:
    async def scenario() -> list[ScrapeOutcome]:
        outcomes = []
        for body in bodies:
            served.body = body
            outcomes.append(await loop.scrape_once())
        return outcomes

    return asyncio.run(scenario())


def test_steady_scrapes_append_every_new_value(target: Target) -> None:  # noqa: F811
    storage = ReferenceStorage()
    target.gzip = True
    bodies = [_steady_body("1", "10", "100"), _steady_body("2", "NaN", "1e-3"), _steady_body("3", "+Inf", "-0")]
    outcomes = _scrape_all(_loop(target, storage), target, bodies)
    assert [(o.error, o.samples_scraped, o.series_added) for o in outcomes] == [("", 3, 3), ("", 3, 0), ("", 3, 0)]
    assert _values(storage, "b")[:2] == [100.0, 0.001]
    assert str(_values(storage, "b")[2]) == "-0.0"
    assert _values(storage, "scrape_series_added") == [3.0, 0.0, 0.0]


def test_steady_scrape_with_dropped_series_keeps_only_the_rest(target: Target) -> None:  # noqa: F811
    storage = ReferenceStorage()
    extra = "    metric_relabel_configs:\n      - source_labels: [x]\n        regex: '1'\n        action: drop\n"
    bodies = [_steady_body("1", "10", "100"), _steady_body("2", "20", "200")]
    outcomes = _scrape_all(_loop(target, storage, extra), target, bodies)
    assert [o.samples_kept for o in outcomes] == [2, 2]
    assert _values(storage, "b") == [100.0, 200.0]
    assert _values(storage, "scrape_samples_post_metric_relabeling") == [2.0, 2.0]


def test_a_new_series_after_steady_state_is_added_and_the_vanished_go_stale(target: Target) -> None:  # noqa: F811
    storage = ReferenceStorage()
    steady = _steady_body("1", "10", "100")
    changed = steady.replace(b'x="2"', b'x="3"')
    outcomes = _scrape_all(_loop(target, storage), target, [steady, steady, changed])
    assert [o.series_added for o in outcomes] == [3, 0, 1]
    assert _values(storage, "b") == [100.0, 100.0, 100.0]
    stale = storage.querier().select([], 0, 1 << 62)  # every series
    by_x = {labels.get("x"): values for labels, (_, values) in zip(stale.labels, map(stale.series, range(len(stale))),
                                                                    strict=True)}
    assert is_stale(by_x["2"][-1:]).tolist() == [True] and by_x["3"].tolist() == [10.0]


def test_an_invalid_value_after_steady_state_fails_the_scrape_with_its_line(target: Target) -> None:  # noqa: F811
    storage = ReferenceStorage()
    bodies = [_steady_body("1", "10", "100"), _steady_body("1", "1_0", "100"), _steady_body("2", "20", "200")]
    outcomes = _scrape_all(_loop(target, storage), target, bodies)
    assert outcomes[0].error == "" and "line 3" in outcomes[1].error and outcomes[2].error == ""
    values = np.array(_values(storage, "b"))
    assert values[0] == 100.0 and bool(is_stale(values[1:2])[0]) and values[2] == 200.0
    assert _values(storage, "up") == [1.0, 0.0, 1.0]


def test_series_churn_does_not_grow_the_series_cache(target: Target) -> None:  # noqa: F811
    loop = _loop(target, ReferenceStorage())
    bodies = [b"".join(b"m{generation=\"%d\",i=\"%d\"} 1\n" % (g, i) for i in range(50)) for g in range(10)]
    outcomes = _scrape_all(loop, target, bodies)
    assert all(o.error == "" and o.series_added == 50 for o in outcomes)
    assert len(loop._parser.cache) <= 2 * 50 + 64


def _db_values(db: DB, name: str) -> list[float]:
    found = db.querier().select([Matcher.equal("__name__", name)], MIN_TIME, MAX_TIME)
    return [float(v) for _, _, values in found for v in values]


def test_steady_scrapes_store_samples_and_report_in_the_database_and_replay_from_the_wal(
        target: Target, tmp_path: Path) -> None:  # noqa: F811
    bodies = [_steady_body(str(i), str(10 * i), str(100 * i)) for i in range(1, 5)]
    with DB.open(tmp_path, DBOptions(background_maintenance=False)) as db:
        outcomes = _scrape_all(_loop(target, db), target, bodies)  # type: ignore[arg-type]
        assert [(o.error, o.samples_scraped, o.series_added) for o in outcomes] == [("", 3, 3)] + [("", 3, 0)] * 3
    with DB.open(tmp_path, DBOptions(background_maintenance=False)) as db:  # everything back from the WAL
        assert _db_values(db, "b") == [100.0, 200.0, 300.0, 400.0]
        assert _db_values(db, "up") == [1.0] * 4
        assert _db_values(db, "scrape_samples_scraped") == [3.0] * 4
        assert _db_values(db, "scrape_samples_post_metric_relabeling") == [3.0] * 4
        assert _db_values(db, "scrape_series_added") == [3.0, 0.0, 0.0, 0.0]
        durations = _db_values(db, "scrape_duration_seconds")
        assert len(durations) == 4 and all(d > 0 for d in durations)


def test_a_steady_scrape_whose_series_left_the_head_appends_them_again(target: Target, tmp_path: Path) -> None:  # noqa: F811
    with DB.open(tmp_path, DBOptions(background_maintenance=False)) as db:
        loop = _loop(target, db)  # type: ignore[arg-type]
        _scrape_all(loop, target, [_steady_body("1", "10", "100"), _steady_body("2", "20", "200")])
        loop._steady_row_refs = loop._steady_row_refs + 1_000_000  # type: ignore[operator]  # refs the head never had
        loop._rows = None  # the appender's path meets them
        outcomes = _scrape_all(loop, target, [_steady_body("3", "30", "300"), _steady_body("4", "40", "400")])
        assert [o.error for o in outcomes] == ["", ""]
        assert _db_values(db, "b") == [100.0, 200.0, 300.0, 400.0]
        assert _db_values(db, "up") == [1.0] * 4


class CountingDB:
    """The database as a scrape loop's storage, counting the appenders the loop asks for."""

    def __init__(self, db: DB) -> None:
        self.db = db
        self.appenders = 0

    def appender(self) -> Appender:
        self.appenders += 1
        return self.db.appender()

    def row_writer(self, group: str, refs: np.ndarray) -> RowWriter | None:  # type: ignore[type-arg]
        return self.db.row_writer(group, refs)


def _scrape_at(loop: ScrapeLoop, served: Target, bodies_at: list[tuple[bytes, int]]) -> list[ScrapeOutcome]:
    async def scenario() -> list[ScrapeOutcome]:
        outcomes = []
        for body, t in bodies_at:
            served.body = body
            outcomes.append(await loop.scrape_once(t))
        return outcomes

    return asyncio.run(scenario())


def test_steady_scrapes_into_the_database_become_rows_written_without_an_appender(
        target: Target, tmp_path: Path) -> None:  # noqa: F811
    bodies = [_steady_body(str(i), str(10 * i), str(100 * i)) for i in range(1, 7)]
    with DB.open(tmp_path, DBOptions(background_maintenance=False)) as db:
        storage = CountingDB(db)
        outcomes = _scrape_all(_loop(target, storage), target, bodies)  # type: ignore[arg-type]
        assert [(o.error, o.samples_scraped, o.series_added) for o in outcomes] == [("", 3, 3)] + [("", 3, 0)] * 5
        # The first scrape and the first steady one append; the group's writer takes the rest.
        assert storage.appenders == 2
        assert _db_values(db, "b") == [100.0 * i for i in range(1, 7)]
        assert _db_values(db, "scrape_samples_scraped") == [3.0] * 6
        assert _db_values(db, "scrape_series_added") == [3.0] + [0.0] * 5


def test_a_steady_row_the_writer_declines_goes_through_an_appender(target: Target, tmp_path: Path) -> None:  # noqa: F811
    bodies = [_steady_body(str(i), str(10 * i), str(100 * i)) for i in range(1, 6)]
    times = [1000, 2000, 3000, 2500, 4000]  # the fourth is older than the third: out of order
    with DB.open(tmp_path, DBOptions(background_maintenance=False)) as db:
        storage = CountingDB(db)
        outcomes = _scrape_at(_loop(target, storage), target, list(zip(bodies, times, strict=True)))  # type: ignore[arg-type]
        assert [o.error for o in outcomes] == [""] * 5
        assert storage.appenders == 3  # the first two and the declined fourth, after which a writer takes the fifth
        found = db.querier().select([Matcher.equal("__name__", "b")], MIN_TIME, MAX_TIME)
        assert [(t, v) for _, times_, values in found for t, v in zip(times_.tolist(), values.tolist(), strict=True)] \
            == [(1000, 100.0), (2000, 200.0), (3000, 300.0), (4000, 500.0)]
