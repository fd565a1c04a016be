"""Rule evaluation cost: 1,000 recording rules over 10,000 series, evaluated every 15 s, by Ember and by
Prometheus 2.42 on the same rule file and the same data shape, in the same run.

Ember: 1 h of 10k series (15 s scrapes) is appended to a scratch TSDB, then the rule groups are evaluated
for N consecutive 15 s intervals (after one warm-up interval); CPU share = process CPU / (N x 15 s).
Prometheus: two `prometheus` processes scrape the same generated 10k-series target every 15 s, one with
the rule file and one without; after a warm-up, CPU share = (CPU with rules - CPU without) / window.

    .venv/bin/python bench/rules.py [--intervals 8] [--warmup 60] [--window 120] [--skip-prometheus]

Last line: Ember's share of one core, Prometheus's, and the ratio.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from peers import cpu_seconds, free_port, serve_exposition, wait_ready

from ember.model import Labels, SampleBatch
from ember.promql.engine import Engine
from ember.rules.group import RuleGroup, build_rules
from ember.rules.rule_file import load_rule_file
from ember.rules.rule_query import engine_query
from ember.storage.interface import AppendOptions
from ember.testing.scratch_database import ScratchDatabase

METRICS = 100
SERIES_PER_METRIC = 100
RULES = 1000
GROUPS = 10
INTERVAL_S = 15
_EXPRESSIONS = (
    "sum by (job) (rate(bench_metric_{k}_total[5m]))",
    "max by (instance) (bench_metric_{k}_total)",
    "rate(bench_metric_{k}_total[5m])",
    "sum(bench_metric_{k}_total) / count(bench_metric_{k}_total)",
)


def rule_file_text() -> str:
    """1,000 recording rules in 10 groups, cycling over four typical shapes and the 100 metrics."""
    lines = ["groups:"]
    per_group = RULES // GROUPS
    for g in range(GROUPS):
        lines += [f"  - name: bench_{g}", f"    interval: {INTERVAL_S}s", "    rules:"]
        for r in range(per_group):
            i = g * per_group + r
            expr = _EXPRESSIONS[i % len(_EXPRESSIONS)].format(k=i % METRICS)
            lines += [f"      - record: bench:rule_{i}:{i % len(_EXPRESSIONS)}", f"        expr: {expr}"]
    return "\n".join(lines) + "\n"


def series_labels() -> list[Labels]:
    return [
        Labels.from_strings("__name__", f"bench_metric_{k}_total", "instance", f"i{j}", "job", f"j{j % 10}")
        for k in range(METRICS) for j in range(SERIES_PER_METRIC)
    ]


def exposition_body(step: int) -> bytes:
    lines = []
    for k in range(METRICS):
        lines.append(f"# TYPE bench_metric_{k}_total counter")
        lines += [f'bench_metric_{k}_total{{instance="i{j}",job="j{j % 10}"}} {step * (j + 1)}'
                  for j in range(SERIES_PER_METRIC)]
    return ("\n".join(lines) + "\n").encode()


def ember_share(rules_path: Path, intervals: int) -> float:
    """CPU seconds Ember spends per second of wall time evaluating the rule file every 15 s."""
    database = ScratchDatabase()
    labels = series_labels()
    steps = 240
    end_ms = (int(time.time()) // INTERVAL_S) * INTERVAL_S * 1000
    start_ms = end_ms - (steps - 1) * INTERVAL_S * 1000
    base = np.arange(1, len(labels) + 1, dtype=np.float64)
    for step in range(steps):
        appender = database.appender()
        appender.append(SampleBatch.aligned(start_ms + step * INTERVAL_S * 1000, base * step, series=labels),
                        AppendOptions(group="bench"))
        appender.commit()
    engine = Engine()
    query = engine_query(engine, database)
    groups = []
    for spec in load_rule_file(str(rules_path)).groups:
        rules = build_rules(spec, external_labels={}, external_url="", restored=True)
        groups.append(RuleGroup(spec, rules, interval_ms=INTERVAL_S * 1000, query_offset_ms=0,
                                appendable=database, query=query))
    times = [end_ms - (intervals - i) * INTERVAL_S * 1000 + 7_000 for i in range(intervals + 1)]
    for group in groups:  # warm-up interval: numba compilation and caches
        group.evaluate(times[0])
    started = time.process_time()
    for ts in times[1:]:
        for group in groups:
            group.evaluate(ts)
    cpu = time.process_time() - started
    failures = [r.status.last_error for g in groups for r in g.rules if r.status.health != "ok"]
    if failures:
        raise RuntimeError(f"{len(failures)} rules failed, e.g. {failures[0]}")
    database.close()
    return cpu / (intervals * INTERVAL_S)


def serve_target() -> ThreadingHTTPServer:
    bodies = [exposition_body(step) for step in (1, 2, 3, 4)]
    counter = [0]

    def body_for(path: str) -> bytes:
        counter[0] += 1
        return bodies[counter[0] % len(bodies)]

    return serve_exposition(body_for)


def start_prometheus(workdir: Path, target: str, rules_path: Path | None) -> tuple[subprocess.Popen[bytes], str]:
    config = workdir / "prometheus.yml"
    rule_files = f"rule_files: ['{rules_path}']\n" if rules_path else ""
    config.write_text(
        f"global:\n  scrape_interval: {INTERVAL_S}s\n  evaluation_interval: {INTERVAL_S}s\n{rule_files}"
        f"scrape_configs:\n  - job_name: bench\n    static_configs:\n      - targets: ['{target}']\n"
    )
    port = free_port()
    process = subprocess.Popen(
        ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={workdir / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    wait_ready(base, process)
    return process, base


def prometheus_share(rules_path: Path, warmup_s: float, window_s: float) -> float:
    """(CPU with rules - CPU without) / window, both servers scraping the same target at once."""
    server = serve_target()
    target = f"127.0.0.1:{server.server_address[1]}"
    with tempfile.TemporaryDirectory() as with_dir, tempfile.TemporaryDirectory() as without_dir:
        with_rules, _ = start_prometheus(Path(with_dir), target, rules_path)
        without_rules, _ = start_prometheus(Path(without_dir), target, None)
        try:
            time.sleep(warmup_s)
            before = cpu_seconds(with_rules.pid), cpu_seconds(without_rules.pid)
            time.sleep(window_s)
            after = cpu_seconds(with_rules.pid), cpu_seconds(without_rules.pid)
        finally:
            for process in (with_rules, without_rules):
                process.terminate()
                process.wait(timeout=30)
            server.shutdown()
    return max(0.0, (after[0] - before[0]) - (after[1] - before[1])) / window_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--intervals", type=int, default=8)
    parser.add_argument("--warmup", type=float, default=60.0)
    parser.add_argument("--window", type=float, default=120.0)
    parser.add_argument("--skip-prometheus", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        rules_path = Path(workdir) / "rules.yml"
        rules_path.write_text(rule_file_text())
        ember = ember_share(rules_path, args.intervals)
        print(f"ember: {ember * 100:.1f}% of one core ({args.intervals} intervals)", flush=True)
        if args.skip_prometheus or shutil.which("prometheus") is None:
            print(f"ember {ember * 100:.1f}% of one core; prometheus not run")
            return
        prometheus = prometheus_share(rules_path, args.warmup, args.window)
    ratio = ember / prometheus if prometheus > 0 else float("inf")
    print(f"ember {ember * 100:.1f}% of one core, prometheus {prometheus * 100:.1f}% of one core, "
          f"ratio {ratio:.2f}")


if __name__ == "__main__":
    main()
