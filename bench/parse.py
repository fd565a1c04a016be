"""Benchmark: parse a 10k-series scrape body with a warm and a cold series cache, and through the body
template of a steady target (`ScrapeBodyParser`: the same body with other values, read by one compiled
pass).

Prints lines/s for the text format and OpenMetrics; the last line holds all figures. Usage:
    .venv/bin/python bench/parse.py [--series 10000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from ember.exposition import ScrapeBodyParser, SeriesCache, parse_openmetrics, parse_text


def make_body(series: int, *, openmetrics: bool, step: int = 0) -> bytes:
    """A node-exporter-like body: 100 families of `series / 100` series, three labels each; `step`
    changes the values only."""
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
            lines.append(f"{name}{{{labels}}} {family * 1000 + i * 0.25 + step}")
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


def measure(series: int, repeat: int, *, openmetrics: bool) -> tuple[float, float, float]:
    """Lines/s with a warm cache, a cold cache, and through the steady template."""
    parse = parse_openmetrics if openmetrics else parse_text
    body = make_body(series, openmetrics=openmetrics)
    samples = len(parse(body))
    warm_cache = SeriesCache()
    parse(body, warm_cache)
    warm = best_time(lambda: parse(body, warm_cache), repeat)
    cold = best_time(lambda: parse(body, SeriesCache()), repeat)
    return samples / warm, samples / cold, samples / steady_time(series, repeat, openmetrics=openmetrics)


def steady_time(series: int, repeat: int, *, openmetrics: bool) -> float:
    """Seconds per body when a target alternates between two bodies that differ in values only."""
    content_type = "application/openmetrics-text; version=1.0.0" if openmetrics else "text/plain; version=0.0.4"
    bodies = [make_body(series, openmetrics=openmetrics, step=step) for step in (1, 2)]
    parser = ScrapeBodyParser()
    first = parser.parse(bodies[0], content_type).scrape
    if parser.parse(bodies[1], content_type).scrape.series_text is not first.series_text:
        raise SystemExit("the steady body did not match the template")

    def both() -> None:
        for body in bodies:
            parser.parse(body, content_type)

    return best_time(both, repeat) / 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    text_warm, text_cold, text_steady = measure(args.series, args.repeat, openmetrics=False)
    om_warm, om_cold, om_steady = measure(args.series, args.repeat, openmetrics=True)
    print("(no Prometheus binary is run here: compare with upstream's BenchmarkParse figures by hand)")
    print(
        f"series={args.series} text steady={text_steady / 1e6:.1f}M warm={text_warm / 1e6:.2f}M "
        f"cold={text_cold / 1e6:.2f}M lines/s; openmetrics steady={om_steady / 1e6:.1f}M "
        f"warm={om_warm / 1e6:.2f}M cold={om_cold / 1e6:.2f}M lines/s"
    )


if __name__ == "__main__":
    main()
