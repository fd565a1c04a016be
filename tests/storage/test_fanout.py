"""The fan-out: local and remote-read data merged into one `Querier`, a failing remote a warning."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.testclient import TestClient

from ember.config.prometheus import RemoteReadConfig
from ember.errors import StorageError
from ember.model.labels import Labels
from ember.model.matchers import Matcher
from ember.model.samples import SampleBatch
from ember.promql.engine import Engine
from ember.remote.read_client import RemoteReadClient
from ember.remote.receiver import read_route
from ember.storage.fanout import FanoutQueryable, FanoutStorage
from ember.storage.interface import MAX_TIME, MIN_TIME
from ember.storage.series_set import SeriesSet
from ember.testing import ReferenceStorage
from ember.testing.storage_suite import UP_A, UP_B, StorageConformance
from tests.local_servers import free_port, wait_ready

ALL = [Matcher.regex("__name__", ".+")]
SERIES = [Labels.from_strings("__name__", "requests", "pod", str(i)) for i in range(4)]


def _remote(storage: ReferenceStorage, **settings_: Any) -> RemoteReadClient:
    app = Starlette(routes=[read_route(storage)])
    return RemoteReadClient(RemoteReadConfig(url="http://testserver/api/v1/read", **settings_), client=TestClient(app))


def _failing_remote() -> RemoteReadClient:
    transport = httpx.MockTransport(lambda request: httpx.Response(503, text="down for maintenance"))
    return RemoteReadClient(RemoteReadConfig(url="http://remote/api/v1/read"),
                            client=httpx.Client(transport=transport))


def _store(storage: ReferenceStorage, labels: Labels, ts: list[int], values: list[float]) -> None:
    appender = storage.appender()
    appender.append(SampleBatch.of_series(labels, ts, values))
    appender.commit()


def _rows(found: SeriesSet) -> dict[Labels, list[tuple[int, float]]]:
    return {lb: list(zip(ts.tolist(), vals.tolist(), strict=True)) for lb, ts, vals in found}


class TestFanoutConformance(StorageConformance):
    @pytest.fixture
    def storage(self) -> FanoutStorage:
        return FanoutStorage(ReferenceStorage(), [_remote(ReferenceStorage())])


def test_local_and_remote_series_are_merged_with_one_sample_per_timestamp() -> None:
    local, remote = ReferenceStorage(), ReferenceStorage()
    _store(local, UP_A, [3000, 4000], [3.0, 4.0])
    _store(remote, UP_A, [1000, 2000, 3000], [1.0, 2.0, 3.0])
    _store(remote, UP_B, [1000], [7.0])
    querier = FanoutQueryable(local, [_remote(remote)]).querier()
    found = querier.select(ALL, MIN_TIME, MAX_TIME)
    assert _rows(found) == {UP_A: [(1000, 1.0), (2000, 2.0), (3000, 3.0), (4000, 4.0)], UP_B: [(1000, 7.0)]}
    assert list(found.labels) == [UP_A, UP_B]
    assert querier.label_values("job", [Matcher.equal("__name__", "up")]) == ["a", "b"]
    assert querier.warnings == []


def test_on_equal_timestamps_the_local_sample_wins() -> None:
    local, remote = ReferenceStorage(), ReferenceStorage()
    _store(local, UP_A, [1000], [1.0])
    _store(remote, UP_A, [1000, 2000], [99.0, 2.0])
    found = FanoutQueryable(local, [_remote(remote)]).querier().select(ALL, MIN_TIME, MAX_TIME)
    assert _rows(found) == {UP_A: [(1000, 1.0), (2000, 2.0)]}


@settings(max_examples=30)
@given(st.lists(st.tuples(st.sampled_from(SERIES), st.integers(0, 30), st.sampled_from(["local", "remote", "both"])),
                min_size=1, max_size=60), st.integers(0, 30), st.integers(0, 30))
def test_fanout_equals_one_storage_holding_the_union(
    placements: list[tuple[Labels, int, str]], mint_s: int, width_s: int
) -> None:
    local, remote, union = ReferenceStorage(), ReferenceStorage(), ReferenceStorage()
    seen: set[tuple[Labels, int]] = set()
    for labels, t, where in sorted(placements, key=lambda p: p[1]):
        if (labels, t) in seen:
            continue
        seen.add((labels, t))
        value = float(t * 10 + SERIES.index(labels))
        targets = [union] + ([local] if where != "remote" else []) + ([remote] if where != "local" else [])
        for storage in targets:
            _store(storage, labels, [t * 1000], [value])
    mint, maxt = mint_s * 1000, (mint_s + width_s) * 1000
    fanout = FanoutQueryable(local, [_remote(remote)]).querier()
    assert _rows(fanout.select(ALL, mint, maxt)) == _rows(union.querier().select(ALL, mint, maxt))
    assert list(fanout.select(ALL, mint, maxt).labels) == list(union.querier().select(ALL, mint, maxt).labels)


def test_promql_through_the_fanout_sees_local_and_remote_data() -> None:
    local, remote, union = ReferenceStorage(), ReferenceStorage(), ReferenceStorage()
    times = np.arange(0, 600_000, 15_000)
    for i, labels in enumerate(SERIES):
        values = np.cumsum(np.full(len(times), i + 1.0))
        old, new = times < 300_000, times >= 240_000  # an overlap of four samples, as after a restart
        _store(remote, labels, times[old].tolist(), values[old].tolist())
        _store(local, labels, times[new].tolist(), values[new].tolist())
        _store(union, labels, times.tolist(), values.tolist())
    engine = Engine()
    fanout = FanoutQueryable(local, [_remote(remote)])
    for expr in ("sum by (pod) (rate(requests[1m]))", "count_over_time(requests[2m])"):
        merged = engine.range_query(fanout, expr, 60_000, 540_000, 30_000)
        direct = engine.range_query(union, expr, 60_000, 540_000, 30_000)
        assert merged.series is not None and direct.series is not None
        assert _rows(merged.series) == _rows(direct.series)


def test_a_failing_remote_is_a_warning_and_local_data_still_answers() -> None:
    local = ReferenceStorage()
    _store(local, UP_A, [1000], [1.0])
    querier = FanoutQueryable(local, [_failing_remote(), _failing_remote()]).querier()
    assert _rows(querier.select(ALL, MIN_TIME, MAX_TIME)) == {UP_A: [(1000, 1.0)]}
    assert querier.label_names([Matcher.equal("__name__", "up")]) == ["__name__", "job"]
    assert querier.warnings == [
        "remote_read: remote server http://remote/api/v1/read returned HTTP status 503 Service Unavailable: "
        "down for maintenance"
    ]
    querier.close()


class _BrokenStorage:
    def querier(self) -> Any:
        raise StorageError("local storage is closed")


def test_a_failing_primary_is_an_error() -> None:
    with pytest.raises(StorageError, match="local storage is closed"):
        FanoutQueryable(_BrokenStorage(), [_remote(ReferenceStorage())]).querier()

    class _Failing:
        def select(self, *args: object) -> SeriesSet:
            raise StorageError("disk on fire")

        def close(self) -> None:
            pass

    class _FailingQueryable:
        def querier(self) -> Any:
            return _Failing()

    with pytest.raises(StorageError, match="disk on fire"):
        FanoutQueryable(_FailingQueryable(), [_remote(ReferenceStorage())]).querier().select(ALL, 0, 1)


@pytest.mark.server
@pytest.mark.skipif(shutil.which("prometheus") is None or shutil.which("promtool") is None,
                    reason="Prometheus 2.42 and promtool not installed (Debian package prometheus)")
def test_promql_fans_in_a_real_prometheus_holding_the_older_data(tmp_path: Path) -> None:
    """Older samples live in a Prometheus 2.42 (blocks made by promtool), newer ones locally, with an
    overlap; `read_recent: false` cuts the remote at the local start. PromQL equals one storage of all."""
    start = (int(time.time()) - 3 * 3600) // 3600 * 3600 * 1000
    times = start + np.arange(80, dtype=np.int64) * 15_000
    local, union = ReferenceStorage(), ReferenceStorage()
    lines = []
    for i in range(len(SERIES)):
        labels = Labels.from_strings("__name__", "requests_total", "pod", str(i))
        values = np.cumsum(np.full(len(times), i + 1.0))
        old, new = times < start + 600_000, times >= start + 540_000
        lines += [f'requests_total{{pod="{i}"}} {v!r} {t // 1000}\n'
                  for t, v in zip(times[old].tolist(), values[old].tolist(), strict=True)]
        _store(local, labels, times[new].tolist(), values[new].tolist())
        _store(union, labels, times.tolist(), values.tolist())
    lines.sort(key=lambda line: int(line.rsplit(" ", 1)[1]))
    source = tmp_path / "old.om"
    source.write_text("# TYPE requests counter\n" + "".join(lines) + "# EOF\n")
    data = tmp_path / "prom"
    subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", str(source), str(data)],
                   check=True, capture_output=True)
    port = free_port()
    (tmp_path / "prom.yml").write_text("global:\n  scrape_interval: 1m\n")
    process = subprocess.Popen(["prometheus", f"--config.file={tmp_path / 'prom.yml'}", f"--storage.tsdb.path={data}",
                                f"--web.listen-address=127.0.0.1:{port}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(f"http://127.0.0.1:{port}")
        remote = RemoteReadClient(RemoteReadConfig(url=f"http://127.0.0.1:{port}/api/v1/read"),
                                  local_start_time=lambda: start + 540_000)
        fanout = FanoutQueryable(local, [remote])
        engine = Engine()
        for expr in ("sum by (pod) (rate(requests_total[1m]))", "count_over_time(requests_total[3m])"):
            merged = engine.range_query(fanout, expr, start + 60_000, start + 1_140_000, 30_000)
            direct = engine.range_query(union, expr, start + 60_000, start + 1_140_000, 30_000)
            assert merged.series is not None and direct.series is not None
            assert _rows(merged.series) == _rows(direct.series)
            assert merged.warnings == []
        remote.close()
    finally:
        process.terminate()
        process.wait(30)
