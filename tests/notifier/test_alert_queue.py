"""The bounded alert queue: oldest alerts dropped first, counted, batches taken from the front."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.errors import BadDataError
from ember.notifier.alert_queue import AlertQueue
from ember.rules.alert import Alert
from tests.notifier.sample_alerts import firing_alert

ALERTS = [firing_alert(f"a{i}") for i in range(40)]


def _names(alerts: list[Alert]) -> list[str]:
    return [a.labels.get("alertname") for a in alerts]


def test_full_queue_drops_the_oldest_and_counts_them() -> None:
    queue = AlertQueue(10)
    assert queue.push(ALERTS[:8]) == 0
    assert queue.push(ALERTS[8:13]) == 3
    assert _names(queue.next_batch(100)) == [f"a{i}" for i in range(3, 13)]


def test_push_larger_than_capacity_keeps_the_newest() -> None:
    queue = AlertQueue(4)
    assert queue.push(ALERTS[:2]) == 0
    assert queue.push(ALERTS[2:9]) == 5
    assert _names(queue.next_batch(100)) == ["a5", "a6", "a7", "a8"]


def test_batches_come_from_the_front() -> None:
    queue = AlertQueue(100)
    queue.push(ALERTS)
    assert _names(queue.next_batch(16)) == [f"a{i}" for i in range(16)]
    assert len(queue) == 24
    assert queue.clear() == 24 and len(queue) == 0


def test_capacity_below_one_is_refused() -> None:
    with pytest.raises(BadDataError, match="capacity"):
        AlertQueue(0)


@settings(max_examples=50)
@given(capacity=st.integers(1, 12), sizes=st.lists(st.integers(0, 15), max_size=6))
def test_drop_count_and_contents_match_a_plain_list(capacity: int, sizes: list[int]) -> None:
    queue, reference, dropped, start = AlertQueue(capacity), [], 0, 0
    for size in sizes:
        chunk = ALERTS[start % 20 : start % 20 + size]
        start += size
        dropped += queue.push(chunk)
        reference.extend(chunk)
    expected_kept = reference[max(0, len(reference) - capacity) :]
    assert dropped == len(reference) - len(expected_kept)
    assert queue.next_batch(capacity) == expected_kept
