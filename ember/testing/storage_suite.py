"""The storage conformance suite: one set of tests every `Storage` implementation must pass.

Subclass `StorageConformance` in a test module and provide the `storage` fixture (a fresh, empty
storage per test); pytest collects the inherited tests. Each test states one rule of the contract in
`ember.storage.interface` and checks it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.model.labels import Labels
from ember.model.matchers import Matcher
from ember.model.samples import STALE_NAN_BITS, SampleBatch, is_stale
from ember.storage.interface import MAX_TIME, MIN_TIME, AppendOptions

UP_A = Labels.from_strings("__name__", "up", "job", "a")
UP_B = Labels.from_strings("__name__", "up", "job", "b")
CPU = Labels.from_strings("__name__", "cpu", "job", "a", "mode", "idle")
ALL = [Matcher.regex("__name__", ".+")]


def _commit(storage: Any, batch: SampleBatch, group: str | None = None) -> Any:
    appender = storage.appender()
    result = appender.append(batch, AppendOptions(group=group))
    appender.commit()
    return result


class StorageConformance:
    def test_appended_samples_are_read_back(self, storage: Any) -> None:
        _commit(storage, SampleBatch.of_series(UP_A, [1000, 2000, 3000], [1.0, 2.0, 3.0]))
        found = storage.querier().select([Matcher.equal("__name__", "up")], MIN_TIME, MAX_TIME)
        assert list(found.labels) == [UP_A]
        ts, vals = found.series(0)
        assert ts.tolist() == [1000, 2000, 3000]
        assert vals.tolist() == [1.0, 2.0, 3.0]

    def test_nothing_is_visible_before_commit(self, storage: Any) -> None:
        appender = storage.appender()
        appender.append(SampleBatch.of_series(UP_A, [1000], [1.0]))
        assert len(storage.querier().select(ALL, MIN_TIME, MAX_TIME)) == 0
        appender.rollback()
        assert len(storage.querier().select(ALL, MIN_TIME, MAX_TIME)) == 0

    def test_scrape_rows_with_a_group(self, storage: Any) -> None:
        series = [UP_A, UP_B, CPU]
        for step in range(5):
            _commit(storage, SampleBatch.aligned(step * 15_000, [step, step * 2, step * 3], series=series),
                    group="target-1")
        found = storage.querier().select(ALL, MIN_TIME, MAX_TIME)
        assert list(found.labels) == sorted(series)
        by_labels = {lb: (ts.tolist(), vals.tolist()) for lb, ts, vals in found}
        assert by_labels[UP_B] == ([0, 15_000, 30_000, 45_000, 60_000], [0.0, 2.0, 4.0, 6.0, 8.0])

    def test_out_of_order_and_duplicates_are_counted(self, storage: Any) -> None:
        _commit(storage, SampleBatch.of_series(UP_A, [1000, 2000], [1.0, 2.0]))
        appender = storage.appender()
        result = appender.append(SampleBatch.of_series(UP_A, [1500, 2000, 2000, 3000], [9.0, 7.0, 2.0, 3.0]))
        appender.commit()
        assert result.out_of_order == 1
        assert result.duplicate == 1
        assert result.accepted == 2
        assert result.first_error_message() == "out of order sample"
        ts, vals = storage.querier().select(ALL, MIN_TIME, MAX_TIME).series(0)
        assert ts.tolist() == [1000, 2000, 3000]
        assert vals.tolist() == [1.0, 2.0, 3.0]

    def test_out_of_order_within_one_batch(self, storage: Any) -> None:
        result = _commit(storage, SampleBatch.of_series(UP_A, [3000, 1000, 4000], [3.0, 1.0, 4.0]))
        assert result.out_of_order == 1
        ts, _ = storage.querier().select(ALL, MIN_TIME, MAX_TIME).series(0)
        assert ts.tolist() == [3000, 4000]

    def test_staleness_marker_is_kept_bit_exact(self, storage: Any) -> None:
        odd_nan = np.array([0x7FF8000000000123], dtype=np.uint64).view(np.float64)[0]
        values = np.array([1.0, float(odd_nan), -0.0, np.inf], dtype=np.float64)
        values = np.concatenate([values, np.array([STALE_NAN_BITS], np.uint64).view(np.float64)])
        _commit(storage, SampleBatch.of_series(UP_A, [1, 2, 3, 4, 5], values))
        _, read = storage.querier().select(ALL, MIN_TIME, MAX_TIME).series(0)
        assert read.view(np.uint64).tolist() == values.view(np.uint64).tolist()
        assert is_stale(read).tolist() == [False, False, False, False, True]

    def test_time_range_is_inclusive(self, storage: Any) -> None:
        _commit(storage, SampleBatch.of_series(UP_A, [1000, 2000, 3000, 4000], [1.0, 2.0, 3.0, 4.0]))
        ts, _ = storage.querier().select(ALL, 2000, 3000).series(0)
        assert ts.tolist() == [2000, 3000]
        assert len(storage.querier().select(ALL, 4001, 5000)) == 0

    def test_matchers(self, storage: Any) -> None:
        for labels in (UP_A, UP_B, CPU):
            _commit(storage, SampleBatch.of_series(labels, [1000], [1.0]))
        querier = storage.querier()

        def select(*matchers: Matcher) -> list[Labels]:
            return list(querier.select(list(matchers), MIN_TIME, MAX_TIME).labels)

        assert select(Matcher.equal("job", "a")) == sorted([UP_A, CPU])
        assert select(Matcher.equal("__name__", "up"), Matcher.not_equal("job", "a")) == [UP_B]
        assert select(Matcher.regex("job", "a|b"), Matcher.equal("mode", "")) == [UP_A, UP_B]
        assert select(Matcher.regex("__name__", "u.")) == [UP_A, UP_B]
        assert select(Matcher.regex("__name__", "u")) == []
        assert select(Matcher.not_regex("mode", "idle"), Matcher.regex("__name__", ".+")) == [UP_A, UP_B]

    def test_label_names_and_values(self, storage: Any) -> None:
        for labels in (UP_A, UP_B, CPU):
            _commit(storage, SampleBatch.of_series(labels, [1000], [1.0]))
        querier = storage.querier()
        assert querier.label_names() == ["__name__", "job", "mode"]
        assert querier.label_values("job") == ["a", "b"]
        assert querier.label_values("job", [Matcher.equal("__name__", "cpu")]) == ["a"]
        assert querier.label_names([Matcher.equal("__name__", "up")]) == ["__name__", "job"]

    def test_append_by_refs(self, storage: Any) -> None:
        first = _commit(storage, SampleBatch.aligned(1000, [1.0, 2.0], series=[UP_A, UP_B]))
        _commit(storage, SampleBatch.aligned(2000, [3.0, 4.0], refs=first.refs))
        found = storage.querier().select(ALL, MIN_TIME, MAX_TIME)
        assert [vals.tolist() for _, _, vals in found] == [[1.0, 3.0], [2.0, 4.0]]

    def test_many_series_and_samples_match_a_reference(self, storage: Any) -> None:
        rng = np.random.default_rng(7)
        series = [Labels.from_strings("__name__", f"m{i % 7}", "i", str(i)) for i in range(60)]
        expected: dict[Labels, tuple[list[int], list[float]]] = {lb: ([], []) for lb in series}
        for step in range(30):
            t = step * 10_000
            chosen = sorted(rng.choice(len(series), size=40, replace=False).tolist())
            values = rng.normal(size=len(chosen)).round(2)
            labels = [series[i] for i in chosen]
            _commit(storage, SampleBatch.aligned(t, values, series=labels), group="g")
            for lb, v in zip(labels, values.tolist(), strict=True):
                expected[lb][0].append(t)
                expected[lb][1].append(v)
        found = storage.querier().select([Matcher.regex("__name__", "m[0-3]")], 50_000, 200_000)
        for labels, ts, vals in found:
            want_ts, want_vals = expected[labels]
            pairs = [(t, v) for t, v in zip(want_ts, want_vals, strict=True) if 50_000 <= t <= 200_000]
            assert ts.tolist() == [p[0] for p in pairs]
            assert vals.tolist() == [p[1] for p in pairs]
        wanted = {lb for lb in series if lb.metric_name in ("m0", "m1", "m2", "m3")
                  and any(50_000 <= t <= 200_000 for t in expected[lb][0])}
        assert set(found.labels) == wanted
