"""Bytes per sample of Ember's blocks against Prometheus's blocks made by `promtool tsdb
create-blocks-from openmetrics` from the same OpenMetrics input, in the same run.

Inputs (deterministic):
  synthetic  50 targets x 37 series (request counters, CPU seconds, memory and temperature gauges,
             a latency histogram) scraped every 15 s for 2 h, with a few ms of timestamp jitter;
  alltypes   the series of ../shared/conformance/textparse/alltypes.237mfs.prom.txt evolved over 2 h at
             15 s (counters grow, gauges walk at their own precision).

    .venv/bin/python bench/density.py [--hours 2]

Last line: Ember's and Prometheus's bytes/sample per input and the ratios.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ember.exposition.text_parser import parse_text
from ember.model.labels import Labels

REPO = Path(__file__).resolve().parents[1]
CONFORMANCE = Path(os.environ.get("EMBER_CONFORMANCE_DIR", REPO.parent / "shared" / "conformance"))
T0_MS = 1_700_000_000_000
STEP_MS = 15_000
BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]


def _series_text(labels: Labels) -> str:
    name = labels.metric_name
    rest = ",".join(f'{n}="{v}"' for n, v in labels if n != "__name__")
    return f"{name}{{{rest}}}" if rest else name


def synthetic(steps: int, rng: np.random.Generator) -> Iterator[tuple[Labels, np.ndarray, np.ndarray]]:
    """(labels, timestamps in ms, values) per series."""
    for target in range(50):
        instance = {"instance": f"10.0.{target // 250}.{target % 250}:9100", "job": "app"}
        times = T0_MS + int(rng.integers(0, STEP_MS)) + np.arange(steps) * STEP_MS
        times = times + rng.integers(-2, 3, size=steps)

        def labels(name: str, **extra: str) -> Labels:
            return Labels.from_dict({"__name__": name, **instance, **extra})  # noqa: B023

        for code in ("200", "404", "500", "503"):
            for handler in ("/", "/api/v1/query", "/api/v1/write", "/metrics", "/login"):
                rate = rng.uniform(0.05, 40) * (0.02 if code != "200" else 1)
                yield (labels("http_requests_total", code=code, handler=handler), times,
                       np.cumsum(rng.poisson(rate * 15, size=steps)).astype(float))
        cpu = np.round(np.cumsum(rng.uniform(0.1, 6, size=steps)), 2)
        yield labels("process_cpu_seconds_total"), times, cpu
        memory = 1e8 + np.cumsum(rng.integers(-50, 60, size=steps)) * 4096.0
        yield labels("process_resident_memory_bytes"), times, memory
        yield labels("node_temperature_celsius"), times, np.round(40 + np.cumsum(rng.normal(0, 0.3, steps)), 1)
        yield labels("go_goroutines"), times, (30 + np.cumsum(rng.integers(-2, 3, size=steps))).astype(float)
        yield labels("up"), times, np.ones(steps)
        counts = rng.poisson(rng.uniform(1, 30) * 15, size=steps)
        shares = np.sort(rng.uniform(0, 1, size=len(BUCKETS)))
        for le, share in zip(BUCKETS, shares, strict=True):
            yield (labels("http_request_duration_seconds_bucket", le=str(le)), times,
                   np.cumsum(np.round(counts * share)).astype(float))
        yield labels("http_request_duration_seconds_bucket", le="+Inf"), times, np.cumsum(counts).astype(float)
        yield labels("http_request_duration_seconds_count"), times, np.cumsum(counts).astype(float)
        yield (labels("http_request_duration_seconds_sum"), times,
               np.cumsum(counts * rng.uniform(0.01, 0.3, size=steps)))


def alltypes(steps: int, rng: np.random.Generator) -> Iterator[tuple[Labels, np.ndarray, np.ndarray]]:
    scrape = parse_text((CONFORMANCE / "textparse" / "alltypes.237mfs.prom.txt").read_bytes())
    times = T0_MS + np.arange(steps) * STEP_MS + rng.integers(-2, 3, size=steps)
    for i, labels in enumerate(scrape.labels):
        family = scrape.family_of(i)
        kind = family.type if family else "unknown"
        start = float(scrape.values[i])
        name = labels.metric_name
        grows = kind == "counter" or name.endswith(("_bucket", "_count", "_sum", "_total"))
        if grows and np.isfinite(start):
            step = max(abs(start) / 1e5, 1.0)
            increments = rng.poisson(3, size=steps) * (step if start == round(start) else step * 0.37)
            values = start + np.cumsum(increments)
        elif np.isfinite(start) and start != 0 and rng.random() < 0.5:
            decimals = 0 if start == round(start) else 3
            values = np.round(start + np.cumsum(rng.normal(0, abs(start) * 1e-3, steps)), decimals)
        else:
            values = np.full(steps, start)
        yield labels, times, values


def write_openmetrics(series: Iterator[tuple[Labels, np.ndarray, np.ndarray]], path: Path) -> int:
    """Writes series-major OpenMetrics with no metadata (every family 'unknown'); returns the sample count."""
    ordered = sorted(series, key=lambda s: s[0])
    total = 0
    with path.open("w") as out:
        for labels, times, values in ordered:
            text = _series_text(labels)
            seconds = [f"{t / 1000:.3f}" for t in times.tolist()]
            out.writelines(f"{text} {v!r} {s}\n" for v, s in zip(values.tolist(), seconds, strict=True))
            total += len(times)
        out.write("# EOF\n")
    return total


def block_bytes(data_dir: Path) -> int:
    total = 0
    for block in data_dir.iterdir():
        if block.is_dir() and len(block.name) == 26:
            total += sum(f.stat().st_size for f in block.rglob("*") if f.is_file())
    return total


def measure(name: str, path: Path, samples: int, work: Path) -> tuple[float, float]:
    prom_dir, ember_dir = work / f"{name}-prometheus", work / f"{name}-ember"
    subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", str(path), str(prom_dir)],
                   check=True, capture_output=True)
    done = subprocess.run([sys.executable, "-m", "ember", "tsdb", "import", "openmetrics", "--quiet", str(path),
                           str(ember_dir)], capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"ember import failed: {done.stderr.strip()}")
    prom, ember = block_bytes(prom_dir) / samples, block_bytes(ember_dir) / samples
    print(f"{name}: {samples:,} samples; Prometheus {prom:.3f} bytes/sample, Ember {ember:.3f} "
          f"bytes/sample, ratio {ember / prom:.2f}")
    return prom, ember


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hours", type=float, default=2.0)
    args = parser.parse_args()
    if shutil.which("promtool") is None:
        sys.exit("promtool not found: apt-get install prometheus")
    steps = int(args.hours * 3600_000 / STEP_MS)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        inputs = {"synthetic": synthetic(steps, np.random.default_rng(42))}
        if (CONFORMANCE / "textparse").is_dir():
            inputs["alltypes"] = alltypes(steps, np.random.default_rng(43))
        for name, series in inputs.items():
            path = work / f"{name}.om"
            samples = write_openmetrics(series, path)
            results[name] = measure(name, path, samples, work)
    summary = "; ".join(f"{n}: Ember {e:.3f} vs Prometheus {p:.3f} B/sample (ratio {e / p:.2f})"
                        for n, (p, e) in results.items())
    print(f"density: {summary}")


if __name__ == "__main__":
    main()
