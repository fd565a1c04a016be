"""`ember serve` and `ember serve --agent` remote-writing what they scrape to a real VictoriaMetrics
(Debian `victoria-metrics`): what arrives equals what Ember scraped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import ember
from ember.model.samples import is_stale
from tests.local_servers import free_port, wait_ready
from tests.remote.sender.victoria import VictoriaMetrics, available

REPO = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.server, pytest.mark.skipif(not available(), reason="victoria-metrics is not installed")]


def _run_and_collect(tmp_path: Path, agent: bool) -> tuple[VictoriaMetrics, Path]:
    receiver = VictoriaMetrics(tmp_path / "vm")
    receiver.start()
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(f"""global:
  scrape_interval: 1s
  external_labels: {{replica: a}}
scrape_configs:
  - job_name: self
    static_configs: [{{targets: ['127.0.0.1:{port}']}}]
remote_write:
  - url: {receiver.write_url}
    queue_config: {{batch_send_deadline: 200ms}}
    write_relabel_configs:
      - {{source_labels: [__name__], regex: 'up|scrape_samples_scraped', action: keep}}
""")
    data = tmp_path / "data"
    storage = [f"--storage.agent.path={data}", "--agent"] if agent else [f"--storage.tsdb.path={data}"]
    process = subprocess.Popen(
        [sys.executable, "-m", "ember", "serve", f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}",
         *storage], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        wait_ready(f"http://127.0.0.1:{port}", process)
        time.sleep(4)  # a few scrapes
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        assert "prometheus_remote_storage_samples_total" in metrics
    finally:
        process.send_signal(signal.SIGTERM)  # shutdown flushes the queues, then closes the WAL
        assert process.wait(timeout=90) == 0
    return receiver, data


@pytest.mark.parametrize("agent", [False, True], ids=["server", "agent"])
def test_scraped_samples_arrive_in_victoria_metrics(tmp_path: Path, agent: bool) -> None:
    receiver, data = _run_and_collect(tmp_path, agent)
    try:
        received = receiver.export('{__name__=~"up|scrape_samples_scraped|scrape_duration_seconds"}')
    finally:
        receiver.stop()
    names = {dict(key)["__name__"] for key in received}
    assert names == {"up", "scrape_samples_scraped"}  # write_relabel_configs kept only these
    (up_key,) = [key for key in received if dict(key)["__name__"] == "up"]
    assert dict(up_key)["replica"] == "a"  # external labels are added
    with ember.open(data) as db:  # the WAL (agent) or the database holds the same samples
        (local,) = db.select('up{job="self"}')
    stamps, values = received[up_key]
    live = [(int(t), float(v)) for t, v in zip(local.timestamps, local.values, strict=True) if v == v]
    assert len(live) >= 2
    # Shutdown drains the WAL before the queues flush: every sample written, up to the end-of-run
    # staleness marker (exported by VictoriaMetrics as null), has arrived.
    assert sorted((t, float(v)) for t, v in zip(stamps, values, strict=True) if v is not None) == live
    assert is_stale(local.values[-1])
    assert [t for t, v in zip(stamps, values, strict=True) if v is None] == [int(local.timestamps[-1])]
