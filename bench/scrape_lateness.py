"""Do scrapes stay on schedule while heavy queries run? Ember and Prometheus 2.42 scrape the same targets
(50 x 1,000 series at a 1 s interval) while a client keeps both busy with range queries; the spacing of
each target's `up` samples (their timestamps are the scrape start times) shows how late scrapes ran.

    .venv/bin/python bench/scrape_lateness.py [--targets 50] [--seconds 30] [--query-threads 2]

Prints, per server, the p50/p99/max deviation of the interval from 1 s in a quiet window and in a window
under query load, and how many scrapes the window lacks (a late scrape that pushes the next ones back, or
a skipped one, leaves fewer than one sample per target per second); the last line gives the p99 lateness
and the missed share under load of each.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
from peers import start_server, wait_ready
from scrape import make_bodies, serve_targets

HEAVY_QUERIES = (
    "sum by (series) (rate(bench_requests_total[1m]))",
    "topk(20, max_over_time(bench_requests_total[2m]))",
    "quantile by (le) (0.9, rate(bench_requests_total[30s]))",
)


def config_text(address: str, targets: int) -> str:
    groups = "".join(f"      - targets: ['{address}']\n        labels: {{__metrics_path__: /metrics/{i}, "
                     f"shard: '{i}'}}\n" for i in range(targets))
    return (f"global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n  - job_name: bench\n"
            f"    static_configs:\n{groups}")


def get_json(base: str, path: str, params: dict[str, str]) -> dict[str, object]:
    url = f"{base}{path}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=120) as response:
        body: dict[str, object] = json.loads(response.read())
        return body


def interval_deviations(base: str, start: float, end: float, targets: int) -> tuple[np.ndarray, float]:
    """|interval - 1 s| between consecutive scrapes of every target within [start, end] (seconds), and the
    share of the scrapes due in that window (one per target per second) that did not happen."""
    window = int(end - start)
    body = get_json(base, "/api/v1/query", {"query": f'up{{job="bench"}}[{window}s]', "time": f"{end}"})
    deviations = []
    samples = 0
    for series in body["data"]["result"]:  # type: ignore[index]
        stamps = np.array([float(t) for t, _ in series["values"]])
        samples += len(stamps)
        deviations.append(np.abs(np.diff(stamps) - 1.0))
    missed = max(0.0, 1.0 - samples / (targets * window))
    return (np.concatenate(deviations) if deviations else np.zeros(0)), missed


def query_load(base: str, stop: threading.Event, done: list[int]) -> None:
    while not stop.is_set():
        for expr in HEAVY_QUERIES:
            now = time.time()
            try:
                get_json(base, "/api/v1/query_range", {"query": expr, "start": f"{now - 600}", "end": f"{now}",
                                                       "step": "1"})
                done[0] += 1
            except OSError:
                pass


def describe(deviations: np.ndarray, missed: float) -> str:
    if not len(deviations):
        return "no intervals"
    p50, p99 = np.quantile(deviations, [0.5, 0.99]) * 1000
    worst = deviations.max() * 1000
    return (f"{len(deviations)} intervals, deviation p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {worst:.1f} ms, "
            f"missed {missed:.1%} of scrapes")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--query-threads", type=int, default=2)
    args = parser.parse_args()
    server = serve_targets(make_bodies(args.targets, 1000))
    address = f"127.0.0.1:{server.server_address[1]}"
    results: dict[str, tuple[np.ndarray, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "scrape.yml").write_text(config_text(address, args.targets))
        for name in ("ember", "prometheus"):
            process, base = start_server(name, work / "scrape.yml", work / name)
            try:
                wait_ready(base, process)
                time.sleep(5)
                quiet_start = time.time()
                time.sleep(args.seconds)
                quiet = interval_deviations(base, quiet_start, time.time(), args.targets)
                stop, done = threading.Event(), [0]
                threads = [threading.Thread(target=query_load, args=(base, stop, done)) for _ in
                           range(args.query_threads)]
                for thread in threads:
                    thread.start()
                loaded_start = time.time()
                time.sleep(args.seconds)
                loaded_end = time.time()
                stop.set()
                for thread in threads:
                    thread.join()
                loaded = interval_deviations(base, loaded_start, loaded_end, args.targets)
                results[name] = loaded
                print(f"{name}: quiet: {describe(*quiet)}")
                print(f"{name}: under load ({done[0]} range queries): {describe(*loaded)}", flush=True)
            finally:
                process.terminate()
                process.wait()
    server.shutdown()
    p99 = {name: float(np.quantile(d, 0.99)) * 1000 if len(d) else float("nan") for name, (d, _) in results.items()}
    missed = {name: m for name, (_, m) in results.items()}
    print(f"scrape lateness p99 under query load: Ember {p99['ember']:.1f} ms, Prometheus {p99['prometheus']:.1f} ms; "
          f"missed scrapes: Ember {missed['ember']:.1%}, Prometheus {missed['prometheus']:.1%}")


if __name__ == "__main__":
    main()
