"""Scraping cost: 200 targets x 1,000 series served over HTTP on loopback, scraped at a 5 s interval by
`ember serve` and by Prometheus 2.42 in the same run. Reports CPU-seconds of each server process per
million samples ingested (from each server's own `prometheus_tsdb_head_samples_appended_total`).

    .venv/bin/python bench/scrape.py [--targets 200] [--series 1000] [--seconds 60]

Last line: samples per CPU-second for each, and the ratio.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import urllib.request
from http.server import ThreadingHTTPServer
from pathlib import Path

from peers import cpu_seconds, serve_exposition, start_server, wait_ready, wake_cost_us

from ember.scrape.loop import REPORT_NAMES


def make_bodies(targets: int, series: int) -> list[list[bytes]]:
    """Two alternating bodies per target, so values change between scrapes."""
    bodies = []
    for t in range(targets):
        pair = []
        for step in (1, 2):
            lines = ["# TYPE bench_requests_total counter"]
            lines += [f'bench_requests_total{{target="{t}",series="{j}",le="{j % 10}"}} {1000 * step + j}'
                      for j in range(series)]
            pair.append(("\n".join(lines) + "\n").encode())
        bodies.append(pair)
    return bodies


def serve_targets(bodies: list[list[bytes]]) -> ThreadingHTTPServer:
    """Target k at /metrics/k, alternating between its two bodies."""
    counters = [0] * len(bodies)

    def body_for(path: str) -> bytes:
        index = int(path.rsplit("/", 1)[-1])
        counters[index] += 1
        return bodies[index][counters[index] % 2]

    return serve_exposition(body_for)


def config_text(address: str, targets: int) -> str:
    groups = "".join(f"      - targets: ['{address}']\n        labels: {{__metrics_path__: /metrics/{i}, "
                     f"shard: '{i}'}}\n" for i in range(targets))
    return (f"global:\n  scrape_interval: 5s\n  scrape_timeout: 4s\nscrape_configs:\n  - job_name: bench\n"
            f"    static_configs:\n{groups}")



WARM_SCRAPES = 3


def wait_appended(base: str, samples: float, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while appended(base) < samples:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{base}: fewer than {samples:,.0f} samples appended after {timeout_s:.0f} s")
        time.sleep(1)


def appended(base: str) -> float:
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("prometheus_tsdb_head_samples_appended_total"):
                return float(line.split()[-1])
    raise RuntimeError(f"{base}: no prometheus_tsdb_head_samples_appended_total")



def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, default=200)
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    server = serve_targets(make_bodies(args.targets, args.series))
    address = f"127.0.0.1:{server.server_address[1]}"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "scrape.yml").write_text(config_text(address, args.targets))
        started = {kind: start_server(kind, work / "scrape.yml", work / kind) for kind in ("ember", "prometheus")}
        processes = {kind: process for kind, (process, _) in started.items()}
        bases = {kind: base for kind, (_, base) in started.items()}
        try:
            for base in bases.values():
                wait_ready(base)
            # Steady state: every target scraped three times by each server (first parses, series
            # creation and body templates done), whatever the number of targets.
            warm = WARM_SCRAPES * args.targets * (args.series + len(REPORT_NAMES))
            for base in bases.values():
                wait_appended(base, warm, timeout_s=120)
            start = {n: (cpu_seconds(p.pid), appended(bases[n])) for n, p in processes.items()}
            wake_us = wake_cost_us(args.seconds)  # takes the measured period
            end = {n: (cpu_seconds(p.pid), appended(bases[n])) for n, p in processes.items()}
        finally:
            for process in processes.values():
                process.terminate()
                process.wait()
            server.shutdown()
    rates = {}
    for name in processes:
        cpu, samples = end[name][0] - start[name][0], end[name][1] - start[name][1]
        rates[name] = samples / cpu if cpu else float("inf")
        print(f"{name}: {samples:,.0f} samples in {cpu:.2f} CPU-s = {cpu / samples * 1e6:.3f} CPU-s per million "
              f"samples")
    print(f"machine: {wake_us:.0f} us of CPU per thread wake-up after 25 ms asleep (bench/peers.py wake_cost_us)")
    print(f"scrape: Ember {rates['ember'] / 1e6:.2f} M samples/CPU-s, Prometheus {rates['prometheus'] / 1e6:.2f} "
          f"M samples/CPU-s; ratio Ember/Prometheus {rates['ember'] / rates['prometheus']:.2f}")


if __name__ == "__main__":
    main()
