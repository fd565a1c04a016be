"""Remote-write sending cost: Ember and Prometheus 2.42 scrape the same generated targets (bench/scrape.py's
target server) and remote-write everything to the same VictoriaMetrics, in one run. Reports process
CPU-seconds (from /proc) per million samples sent, each side counting its own
`prometheus_remote_storage_samples_total`, over the same window after a warm-up.

    .venv/bin/python bench/remote_write_send.py [--targets 50] [--series 1000] [--seconds 60]

Both sides are the real servers (`ember serve` and `prometheus`), so the figure covers scraping, the WAL
and sending on each side.
Last line: CPU-seconds per million samples sent for each, and the ratio.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from peers import cpu_seconds, free_port, start_server, wait_ready
from scrape import make_bodies, serve_targets

VM_BINARY = "/usr/bin/victoria-metrics"


def config_text(address: str, targets: int, write_url: str, replica: str) -> str:
    groups = "".join(f"      - targets: ['{address}']\n        labels: {{__metrics_path__: /metrics/{i}, "
                     f"shard: '{i}'}}\n" for i in range(targets))
    return (f"global:\n  scrape_interval: 5s\n  scrape_timeout: 4s\n  external_labels: {{replica: {replica}}}\n"
            f"scrape_configs:\n  - job_name: bench\n    static_configs:\n{groups}"
            f"remote_write:\n  - url: {write_url}\n")


def samples_sent(base: str) -> float:
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
        return sum(float(line.split()[-1]) for line in response.read().decode().splitlines()
                   if line.startswith("prometheus_remote_storage_samples_total{"))


def vm_series(vm_base: str, replica: str) -> int:
    query = urllib.parse.urlencode({"query": f'count({{replica="{replica}"}})'})
    with urllib.request.urlopen(f"{vm_base}/api/v1/query?{query}", timeout=10) as response:
        result = json.loads(response.read())["data"]["result"]
    return int(float(result[0]["value"][1])) if result else 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, default=50)
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warm-up", type=float, default=15)
    args = parser.parse_args()
    server = serve_targets(make_bodies(args.targets, args.series))
    address = f"127.0.0.1:{server.server_address[1]}"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        vm_port = free_port()
        vm_base = f"http://127.0.0.1:{vm_port}"
        write_url = f"{vm_base}/api/v1/write"
        (work / "ember.yml").write_text(config_text(address, args.targets, write_url, "ember"))
        (work / "prometheus.yml").write_text(config_text(address, args.targets, write_url, "prometheus"))
        vm = subprocess.Popen([VM_BINARY, f"-httpListenAddr=127.0.0.1:{vm_port}", f"-storageDataPath={work / 'vm'}",
                               "-retentionPeriod=100y", "-search.latencyOffset=0", "-loggerLevel=ERROR"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started = {kind: start_server(kind, work / f"{kind}.yml", work / kind) for kind in ("ember", "prometheus")}
        processes = {kind: process for kind, (process, _) in started.items()}
        bases = {kind: base for kind, (_, base) in started.items()}

        def sent() -> dict[str, float]:
            return {name: samples_sent(base) for name, base in bases.items()}

        try:
            for name, base in bases.items():
                wait_ready(base, processes[name])
            time.sleep(args.warm_up)  # every target scraped, caches warm, queues in steady state
            cpu0 = {n: cpu_seconds(p.pid) for n, p in processes.items()}
            sent0 = sent()
            time.sleep(args.seconds)
            cpu1 = {n: cpu_seconds(p.pid) for n, p in processes.items()}
            sent1 = sent()
            series = {n: vm_series(vm_base, n) for n in processes}
        finally:
            for process in [*processes.values(), vm]:
                process.terminate()
                process.wait()
            server.shutdown()
    report(cpu0, cpu1, sent0, sent1, series)


def report(cpu0: dict[str, float], cpu1: dict[str, float], sent0: dict[str, float], sent1: dict[str, float],
           series: dict[str, int]) -> None:
    per_million = {}
    for name in cpu0:
        cpu, samples = cpu1[name] - cpu0[name], sent1[name] - sent0[name]
        per_million[name] = cpu / samples * 1e6 if samples else float("inf")
        print(f"{name}: {samples:,.0f} samples sent in {cpu:.2f} CPU-s = {per_million[name]:.3f} CPU-s per million; "
              f"{series[name]:,} series in VictoriaMetrics")
    print(f"remote write send: Ember {per_million['ember']:.3f} CPU-s/M samples, Prometheus "
          f"{per_million['prometheus']:.3f} CPU-s/M samples; ratio Ember/Prometheus "
          f"{per_million['ember'] / per_million['prometheus']:.2f}")

if __name__ == "__main__":
    main()
