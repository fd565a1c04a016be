from __future__ import annotations

from ember.scrape.schedule import ScrapeSchedule


def test_a_late_wake_up_does_not_shift_later_ticks() -> None:
    schedule = ScrapeSchedule(first_tick_ms=10_000, interval_ms=1_000)
    assert schedule.delay_s(now_ms=10_200) == 0.8  # scrape took 200 ms: next tick at 11 000
    assert schedule.delay_s(now_ms=11_350) == 0.65  # woke 150 ms late, still aiming at 12 000
    assert schedule.delay_s(now_ms=12_010) == 0.99


def test_falling_behind_scrapes_once_at_once_then_resumes_on_the_grid() -> None:
    schedule = ScrapeSchedule(first_tick_ms=0, interval_ms=1_000)
    assert schedule.delay_s(now_ms=3_400) == 0.0  # ticks 1 000 .. 3 000 passed: one pending tick fires now
    assert schedule.delay_s(now_ms=3_500) == 0.5  # then the grid again: 4 000


def test_timestamps_within_two_ms_of_a_tick_are_the_tick() -> None:
    schedule = ScrapeSchedule(first_tick_ms=5_000, interval_ms=15_000)
    assert schedule.timestamp_ms(5_001) == 5_000
    assert schedule.timestamp_ms(20_002) == 20_000
    assert schedule.timestamp_ms(35_003) == 35_003  # 3 ms late: its own time
    assert schedule.timestamp_ms(50_000) == 50_000
    assert schedule.timestamp_ms(95_001) == 95_000  # two ticks skipped
    assert schedule.timestamp_ms(109_999) == 109_999  # early for its tick: its own time, as in Prometheus


def test_short_intervals_are_not_aligned() -> None:
    schedule = ScrapeSchedule(first_tick_ms=0, interval_ms=200)  # not more than 100 x the tolerance
    assert schedule.timestamp_ms(201) == 201
