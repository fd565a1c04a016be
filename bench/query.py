"""Range-query latency: Ember against Prometheus 2.42 on the same data, in the same run.

One OpenMetrics file (1,000 series over 25 h at 60 s: request counters, latency histogram buckets, a
memory gauge, build info) is loaded into both: `promtool tsdb create-blocks-from openmetrics` for
Prometheus, `ember tsdb import openmetrics` for Ember. Fifteen dashboard queries run as range queries
over 1 h (15 s step) and 24 h (5 m step); each time is the median of 5 runs after one warm-up.
Prometheus is asked over its HTTP API; Ember through `ember serve`'s HTTP API when `--http` is given
(the fair comparison, JSON included), otherwise through the embedded API. With the embedded API a watchdog
thread also measures the longest time each query kept the GIL from other threads (as `ember serve`'s scrape
loop would wait), with the server's 1 ms switch interval.

    .venv/bin/python bench/query.py [--http]

Last line: the median latency ratio Ember/Prometheus over the 30 query runs (and, embedded, the longest
GIL hold seen).
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

import numpy as np
from peers import free_port, wait_ready

HOURS, INTERVAL_S = 25, 60
T0_MS = 1_699_999_200_000  # a 2 h boundary
QUERIES = [
    'sum by (job) (rate(http_requests_total[5m]))',
    'sum by (job, code) (rate(http_requests_total{code=~"5.."}[5m]))',
    'histogram_quantile(0.99, sum by (le, job) (rate(latency_bucket[5m])))',
    'topk(5, sum by (instance) (rate(http_requests_total[5m])))',
    'avg_over_time(node_memory[10m])',
    'max_over_time(node_memory[1h])',
    'rate(http_requests_total[5m]) * on(job, instance) group_left(version) build_info',
    'max_over_time(sum by (job) (rate(http_requests_total[5m]))[30m:1m])',
    'sum(rate({__name__=~"http_.*|latency_.*"}[5m]))',
    'node_memory / 1024 > 100',
    'quantile(0.9, rate(http_requests_total[5m]))',
    'increase(http_requests_total[1h])',
    'sum without (instance) (rate(http_requests_total[5m]))',
    'deriv(node_memory[15m])',
    'count by (job) (node_memory > 500)',
]


def write_input(path: Path) -> None:
    rng = np.random.default_rng(5)
    steps = HOURS * 3600 // INTERVAL_S
    seconds = [f"{(T0_MS + i * INTERVAL_S * 1000) / 1000:.3f}" for i in range(steps)]
    families: dict[str, list[str]] = {}

    def emit(series: str, values: np.ndarray) -> None:
        lines = families.setdefault(series.split("{", 1)[0], [])
        lines.extend(f"{series} {v!r} {s}\n" for v, s in zip(values.tolist(), seconds, strict=True))

    for job in range(5):
        for inst in range(20):
            where = f'job="job{job}",instance="i{inst}"'
            for code, rate in (("200", 30.0), ("404", 1.0), ("500", 0.2)):
                emit(f'http_requests_total{{{where},code="{code}"}}',
                     np.cumsum(rng.poisson(rate * INTERVAL_S, steps)).astype(float))
            counts = rng.poisson(20 * INTERVAL_S, steps)
            for le, share in (("0.1", 0.5), ("0.5", 0.8), ("1", 0.9), ("5", 0.99), ("+Inf", 1.0)):
                emit(f'latency_bucket{{{where},le="{le}"}}', np.cumsum(np.round(counts * share)))
            emit(f"node_memory{{{where}}}", 1e5 + np.cumsum(rng.integers(-500, 520, steps)).astype(float))
            emit(f'build_info{{{where},version="v{inst % 3}"}}', np.ones(steps))
    # OpenMetrics wants each family's samples together, each series' in time order
    path.write_text("".join(line for lines in families.values() for line in lines) + "# EOF\n")



def http_query_range(base: str, query: str, start: int, end: int, step: int) -> None:
    url = base + "/api/v1/query_range?" + urllib.parse.urlencode(
        {"query": query, "start": start / 1000, "end": end / 1000, "step": step / 1000})
    with urllib.request.urlopen(url, timeout=120) as response:
        body = json.load(response)
    if body["status"] != "success":
        raise RuntimeError(body)



class GilWatch:
    """A thread that sleeps 0.2 ms at a time: how late it wakes is how long other threads held the GIL
    (or the machine was busy; compare within one run)."""

    def __init__(self) -> None:
        self.longest_s = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            started = time.perf_counter()
            time.sleep(0.0002)
            self.longest_s = max(self.longest_s, time.perf_counter() - started - 0.0002)

    def __enter__(self) -> GilWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def median_seconds(run: Callable[[], None], repeat: int = 5) -> float:
    run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def start_prometheus(data: Path, work: Path) -> tuple[subprocess.Popen[bytes], str]:
    config = work / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1m\n")
    port = free_port()
    process = subprocess.Popen(
        ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={data}",
         "--storage.tsdb.retention.time=100y", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_ready(base, process)
    return process, base


def start_ember(data: Path, work: Path) -> tuple[subprocess.Popen[bytes], str]:
    config = work / "ember.yml"
    config.write_text("global:\n  scrape_interval: 1m\n")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "ember", "serve", f"--config.file={config}", f"--storage.tsdb.path={data}",
         f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=100y"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_ready(base, process)
    return process, base


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", action="store_true", help="query Ember through `ember serve`")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source = work / "input.om"
        write_input(source)
        subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", str(source), str(work / "prom")],
                       check=True, capture_output=True)
        subprocess.run([sys.executable, "-m", "ember", "tsdb", "import", "openmetrics", "--quiet", str(source),
                        str(work / "ember")], check=True, capture_output=True)
        prometheus, prom_base = start_prometheus(work / "prom", work)
        processes = [prometheus]
        try:
            if args.http:
                ember_process, ember_base = start_ember(work / "ember", work)
                processes.append(ember_process)

                def ember_run(q: str, start: int, end: int, step: int) -> None:
                    http_query_range(ember_base, q, start, end, step)
            else:
                import ember

                db = ember.open(work / "ember", background_maintenance=False)

                def ember_run(q: str, start: int, end: int, step: int) -> None:
                    db.query_range(q, start, end, step)

            end = T0_MS + HOURS * 3_600_000 - INTERVAL_S * 1000
            ratios, holds = [], []
            sys.setswitchinterval(0.001)  # as `ember serve` sets it
            for label, span, step in (("1h", 3_600_000, 15_000), ("24h", 86_400_000, 300_000)):
                for q in QUERIES:
                    with GilWatch() as watch:
                        t_ember = median_seconds(functools.partial(ember_run, q, end - span, end, step))
                    t_prom = median_seconds(functools.partial(http_query_range, prom_base, q, end - span, end, step))
                    ratios.append(t_ember / t_prom)
                    holds.append(watch.longest_s)
                    gil = "" if args.http else f"  GIL hold {watch.longest_s * 1000:5.1f} ms"
                    print(f"{label:>3} ember {t_ember * 1000:8.1f} ms  prometheus {t_prom * 1000:8.1f} ms  "
                          f"ratio {t_ember / t_prom:5.2f}{gil}  {q}", flush=True)
        finally:
            for process in processes:
                process.terminate()
                process.wait()
    how = "HTTP API" if args.http else "embedded API"
    gil = "" if args.http else f"; longest GIL hold {max(holds) * 1000:.1f} ms"
    print(f"query: median latency ratio Ember ({how}) / Prometheus 2.42 (HTTP API) = "
          f"{statistics.median(ratios):.2f} over {len(ratios)} range queries{gil}")


if __name__ == "__main__":
    main()
