"""Do scrapes stay on schedule while heavy queries run? Ember and Prometheus 2.42 scrape the same targets
(50 x 1,000 series at a 1 s interval) while a client keeps both busy with range queries; the spacing of
each target's `up` samples (their timestamps are the scrape start times) shows how late scrapes ran.

    .venv/bin/python bench/scrape_lateness.py [--targets 50] [--seconds 30] [--query-threads 2]

Prints, per server, the p50/p99/max deviation of the interval from 1 s in a quiet window and in a window
under query load; the last line gives the p99 lateness under load of each.
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


def interval_deviations(base: str, start: float, end: float) -> np.ndarray:
    """|interval - 1 s| between consecutive scrapes of every target within [start, end] (seconds)."""
    body = get_json(base, "/api/v1/query", {"query": f'up{{job="bench"}}[{int(end - start)}s]', "time": f"{end}"})
    deviations = []
    for series in body["data"]["result"]:  # type: ignore[index]
        stamps = np.array([float(t) for t, _ in series["values"]])
        deviations.append(np.abs(np.diff(stamps) - 1.0))
    return np.concatenate(deviations) if deviations else np.zeros(0)


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


def describe(deviations: np.ndarray) -> str:
    if not len(deviations):
        return "no intervals"
    p50, p99 = np.quantile(deviations, [0.5, 0.99]) * 1000
    worst = deviations.max() * 1000
    return f"{len(deviations)} intervals, deviation p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {worst:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--query-threads", type=int, default=2)
    args = parser.parse_args()
    server = serve_targets(make_bodies(args.targets, 1000))
    address = f"127.0.0.1:{server.server_address[1]}"
    results: dict[str, dict[str, np.ndarray]] = {}
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
                quiet = interval_deviations(base, quiet_start, time.time())
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
                loaded = interval_deviations(base, loaded_start, loaded_end)
                results[name] = {"quiet": quiet, "loaded": loaded}
                print(f"{name}: quiet: {describe(quiet)}")
                print(f"{name}: under load ({done[0]} range queries): {describe(loaded)}")
            finally:
                process.terminate()
                process.wait()
    server.shutdown()
    p99 = {name: float(np.quantile(r["loaded"], 0.99)) * 1000 if len(r["loaded"]) else float("nan")
           for name, r in results.items()}
    print(f"scrape lateness p99 under query load: Ember {p99['ember']:.1f} ms, Prometheus {p99['prometheus']:.1f} ms")


if __name__ == "__main__":
    main()
