from __future__ import annotations

import numpy as np
import pytest

from ember.scrape.interval_stats import QUANTILES, IntervalStats


def test_quantiles_count_and_sum_follow_the_observations() -> None:
    stats = IntervalStats(window=1000)
    observed = np.linspace(14.0, 16.0, 500)
    for value in observed:
        stats.observe("15s", float(value))
    stats.observe("1m", 61.0)
    by_interval = {interval: (points, count, total) for interval, points, count, total in stats.summaries()}
    points, count, total = by_interval["15s"]
    assert count == 500
    assert total == pytest.approx(observed.sum())
    assert [q for q, _ in points] == list(QUANTILES)
    assert [v for _, v in points] == pytest.approx(np.quantile(observed, QUANTILES).tolist())
    assert by_interval["1m"][0][2][1] == 61.0


def test_the_window_keeps_only_the_latest_observations() -> None:
    stats = IntervalStats(window=10)
    for value in [100.0] * 10 + [1.0] * 10:
        stats.observe("1s", value)
    (_, points, count, total), = stats.summaries()
    assert count == 20 and total == 1010.0
    assert {v for _, v in points} == {1.0}
