"""Benchmark: parse a 10k-series scrape body with a warm and a cold series cache.

Prints lines/s for the text format and OpenMetrics; the last line holds all figures. Usage:
    .venv/bin/python bench/parse.py [--series 10000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from ember.exposition import SeriesCache, parse_openmetrics, parse_text


def make_body(series: int, *, openmetrics: bool) -> bytes:
    """A node-exporter-like body: 100 families of `series / 100` series, three labels each."""
    lines = []
    per_family = max(1, series // 100)
    for family in range(100):
        name = f"node_metric_{family}_total"
        # OpenMetrics names the counter family without "_total"; the text format names the series.
        declared = f"node_metric_{family}" if openmetrics else name
        lines.append(f"# HELP {declared} Metric number {family}.")
        lines.append(f"# TYPE {declared} counter")
        for i in range(per_family):
            labels = f'instance="host-{i % 97}:9100",job="node",device="dev{i}"'
            lines.append(f"{name}{{{labels}}} {family * 1000 + i * 0.25}")
    if openmetrics:
        lines.append("# EOF")
    return ("\n".join(lines) + "\n").encode()


def best_time(run: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def measure(series: int, repeat: int, *, openmetrics: bool) -> tuple[float, float]:
    parse = parse_openmetrics if openmetrics else parse_text
    body = make_body(series, openmetrics=openmetrics)
    samples = len(parse(body))
    warm_cache = SeriesCache()
    parse(body, warm_cache)
    warm = best_time(lambda: parse(body, warm_cache), repeat)
    cold = best_time(lambda: parse(body, SeriesCache()), repeat)
    return samples / warm, samples / cold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    text_warm, text_cold = measure(args.series, args.repeat, openmetrics=False)
    om_warm, om_cold = measure(args.series, args.repeat, openmetrics=True)
    print("(no Prometheus binary is run here: compare with upstream's BenchmarkParse figures by hand)")
    print(
        f"series={args.series} text warm={text_warm / 1e6:.2f}M lines/s cold={text_cold / 1e6:.2f}M lines/s "
        f"openmetrics warm={om_warm / 1e6:.2f}M lines/s cold={om_cold / 1e6:.2f}M lines/s"
    )


if __name__ == "__main__":
    main()
