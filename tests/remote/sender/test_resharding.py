from __future__ import annotations

import pytest

from ember.remote.sender.resharding import EwmaRate, ShardInputs, desired_shards


def test_ewma_starts_at_the_first_rate_then_moves_a_fifth_of_the_way() -> None:
    rate = EwmaRate(interval_s=10)
    rate.add(100)
    rate.tick()
    assert rate.rate == 10
    rate.add(200)
    rate.tick()
    assert rate.rate == pytest.approx(10 + 0.2 * (20 - 10))


def inputs(in_rate: float, out_rate: float, busy: float, delay: float = 0.0) -> ShardInputs:
    return ShardInputs(in_rate=in_rate, out_rate=out_rate, dropped_rate=0.0, out_seconds_rate=busy, delay_s=delay)


def test_shards_follow_the_time_needed_to_send_the_incoming_rate() -> None:
    # 10k samples/s arrive; sending 10k samples took 4 s of shard time: 4 shards' worth of work.
    assert desired_shards(inputs(10_000, 10_000, 4.0), current=1, min_shards=1, max_shards=50)[0] == 4


def test_small_changes_stay_inside_the_dead_band() -> None:
    assert desired_shards(inputs(10_000, 10_000, 11.0), current=10, min_shards=1, max_shards=50)[0] == 10


def test_clamped_to_min_and_max() -> None:
    assert desired_shards(inputs(10_000, 10_000, 400.0), current=5, min_shards=1, max_shards=50)[0] == 50
    assert desired_shards(inputs(10, 10_000, 0.001), current=5, min_shards=2, max_shards=50)[0] == 2


def test_no_downsharding_while_far_behind_and_backlog_adds_shards() -> None:
    assert desired_shards(inputs(1000, 1000, 0.1, delay=30), current=8, min_shards=1, max_shards=50)[0] == 8
    behind = desired_shards(inputs(10_000, 10_000, 4.0, delay=60), current=4, min_shards=1, max_shards=50)
    assert behind[0] > 4


def test_nothing_sent_keeps_the_current_count() -> None:
    assert desired_shards(inputs(10_000, 0, 0), current=3, min_shards=1, max_shards=50) == (3, 3.0)
