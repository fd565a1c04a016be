"""Memory of agent mode: RSS of a process holding N series after M samples through the agent storage
(WAL only), against the full database (`DB.open`) under the same load, and against Prometheus 2.42 in
agent mode (`--enable-feature=agent`) scraping the same series, all in one run.

    .venv/bin/python bench/agent_memory.py [--targets 100] [--series 1000] [--steps 10] [--no-peer]

Each Ember storage runs in its own fresh process: 100 targets x 1,000 series, 10 scrape rows each
(1,000,000 samples), appended through the Appender with the WAL on. Prometheus scrapes a static
exposition of the same 100,000 series every second, 10 times. Last line: RSS of each, in MiB.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.peers import free_port, serve_exposition, wait_ready
from ember.model.labels import Labels
from ember.model.samples import SampleBatch
from ember.storage.interface import AppendOptions

MIB = 2**20

def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()

def _pid_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) * 1024
    return 0

def _series_labels(target: int, series: int) -> list[Labels]:
    return [
        Labels.from_strings("__name__", f"metric_{j % 100}", "instance", f"host-{target}:9100", "job", "node",
                            "series", str(j))
        for j in range(series)
    ]

def run_child(kind: str, targets: int, series: int, steps: int) -> None:
    """Loads one storage in this process and prints its memory figures as JSON."""
    with tempfile.TemporaryDirectory() as tmp:
        if kind == "agent":
            from ember.tsdb.agent_db import AgentDB, AgentOptions

            storage: object = AgentDB.open(Path(tmp), AgentOptions(background_truncation=False))
        else:
            from ember.tsdb.db import DB
            from ember.tsdb.options import DBOptions

            storage = DB.open(Path(tmp), DBOptions(background_maintenance=False))
        gc.collect()
        before = rss_bytes()
        # The label sets exist before the storage sees them (the scrape cache holds them in a server):
        # measured apart, so the storage's own cost per series shows.
        labels = [_series_labels(target, series) for target in range(targets)]
        gc.collect()
        with_labels = rss_bytes()
        refs = []
        for target in range(targets):
            appender = storage.appender()  # type: ignore[attr-defined]
            result = appender.append(SampleBatch.aligned(0, np.zeros(series), series=labels[target]),
                                     AppendOptions(group=f"t{target}"))
            appender.commit()
            refs.append(result.refs)
        increments = np.random.default_rng(3).integers(0, 50, size=(targets, series)).astype(np.float64)
        for step in range(1, steps):
            for target in range(targets):
                appender = storage.appender()  # type: ignore[attr-defined]
                appender.append(SampleBatch.aligned(step * 15_000, increments[target] * step, refs=refs[target]),
                                AppendOptions(group=f"t{target}"))
                appender.commit()
        gc.collect()
        after = rss_bytes()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        storage.close()  # type: ignore[attr-defined]
    print(json.dumps({"rss": after, "labels": with_labels - before, "growth": after - with_labels, "peak": peak}))

def _measure_ember(kind: str, args: argparse.Namespace) -> dict[str, int]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--targets", str(args.targets), "--series", str(args.series),
         "--steps", str(args.steps)],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])  # type: ignore[no-any-return]

def _exposition(targets: int, series: int) -> bytes:
    lines = []
    for target in range(targets):
        for j in range(series):
            lines.append(f'metric_{j % 100}{{host="host-{target}:9100",series="{j}"}} {j}\n')
    return "".join(lines).encode()

def _measure_prometheus(args: argparse.Namespace) -> int | None:
    """RSS of Prometheus 2.42 in agent mode after `steps` scrapes of the same number of series."""
    body = _exposition(args.targets, args.series)

    scrapes = [0]

    def body_for(path: str) -> bytes:
        scrapes[0] += 1
        return body

    target_port, prom_port = free_port(), free_port()
    server = serve_exposition(body_for, target_port)
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "prometheus.yml"
        config.write_text(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n"
            f"  - job_name: load\n    static_configs: [{{targets: ['127.0.0.1:{target_port}']}}]\n"
        )
        try:
            process = subprocess.Popen(
                ["prometheus", "--enable-feature=agent", f"--config.file={config}",
                 f"--storage.agent.path={tmp}/agent", f"--web.listen-address=127.0.0.1:{prom_port}"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        except FileNotFoundError:
            server.shutdown()
            return None
        try:
            wait_ready(f"http://127.0.0.1:{prom_port}", process)
            deadline = time.monotonic() + 120
            while scrapes[0] < args.steps + 1 and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(1.0)  # let the last scrape's append finish
            urllib.request.urlopen(f"http://127.0.0.1:{prom_port}/-/ready", timeout=5).close()
            return _pid_rss(process.pid)
        finally:
            process.terminate()
            process.wait(30)
            server.shutdown()

def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, default=100)
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--no-peer", action="store_true", help="skip Prometheus")
    parser.add_argument("--child", choices=["agent", "db"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.child, args.targets, args.series, args.steps)
        return
    agent = _measure_ember("agent", args)
    db = _measure_ember("db", args)
    prometheus = None if args.no_peer else _measure_prometheus(args)
    n = args.targets * args.series
    print(f"series {n:,}, samples {n * args.steps:,}")
    for name, figures in (("agent", agent), ("db", db)):
        print(f"{name}: RSS {figures['rss'] / MIB:.0f} MiB, peak {figures['peak'] / MIB:.0f} MiB; label sets "
              f"{figures['labels'] / MIB:.0f} MiB; storage {figures['growth'] / MIB:.1f} MiB "
              f"({figures['growth'] / n:.0f} bytes/series)")
    peer = f"prometheus-agent_rss_mib={prometheus / MIB:.0f}" if prometheus else "prometheus-agent_rss_mib=n/a"
    print(f"agent_rss_mib={agent['rss'] / MIB:.0f} db_rss_mib={db['rss'] / MIB:.0f} "
          f"agent_growth_mib={agent['growth'] / MIB:.0f} db_growth_mib={db['growth'] / MIB:.0f} "
          f"db/agent_growth={db['growth'] / max(agent['growth'], 1):.1f} {peer}")

if __name__ == "__main__":
    main()
