"""A writer killed with SIGKILL at random points loses no sample whose synchronous commit returned, and
the database always reopens (issue: at least 50 cycles)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ember.model.matchers import Matcher
from ember.storage.interface import MAX_TIME, MIN_TIME
from ember.tsdb.db import DB
from tests.tsdb.crash_writer import OPTIONS, SERIES, value_at

CYCLES = 50
REPO = Path(__file__).resolve().parents[2]


def _run_and_kill(directory: Path, start: int, rng: random.Random) -> list[int]:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.tsdb.crash_writer", str(directory), str(start)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert child.stdout is not None
    acknowledged: list[int] = []
    first = child.stdout.readline()
    if not first:
        raise AssertionError(f"writer failed to start: {child.stderr.read() if child.stderr else ''}")
    acknowledged.append(int(first))
    deadline = time.monotonic() + rng.uniform(0.05, 0.6)
    os.set_blocking(child.stdout.fileno(), False)
    while time.monotonic() < deadline:
        time.sleep(0.005)
    child.send_signal(signal.SIGKILL)
    child.wait()
    os.set_blocking(child.stdout.fileno(), True)
    acknowledged.extend(int(line) for line in child.stdout.read().split())
    return acknowledged


@pytest.mark.slow
def test_sigkill_loses_no_acknowledged_sample(tmp_path: Path) -> None:
    rng = random.Random(20261125)
    directory = tmp_path / "data"
    start = 1_000_000
    acknowledged: list[int] = []
    for _ in range(CYCLES):
        acknowledged.extend(_run_and_kill(directory, start, rng))
        start = max(acknowledged) + 1000
    with DB.open(directory, OPTIONS) as db:
        found = db.querier().select([Matcher.equal("__name__", "crash_test")], MIN_TIME, MAX_TIME)
        assert sorted(found.labels) == sorted(SERIES)
        for labels, timestamps, values in found:
            present = dict(zip(timestamps.tolist(), values.tolist(), strict=True))
            column = SERIES.index(labels)
            missing = [t for t in acknowledged if t not in present]
            assert not missing, f"{labels}: {len(missing)} acknowledged samples lost, first {missing[:5]}"
            wrong = [t for t in acknowledged if present[t] != value_at(t)[column]]
            assert not wrong
        assert len(acknowledged) >= CYCLES
        assert db.blocks, "the writers ran long enough for head cuts; the crashes must have hit them too"
        assert np.all(np.diff(found.series(0)[0]) > 0)
