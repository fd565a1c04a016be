"""Benchmark of Ember's on-disk blocks: bytes per sample of a realistic 2 h block, write and read speed,
and the same data written as a Prometheus block by `promtool tsdb create-blocks-from openmetrics`.

Data: targets of 100 series each (10 metric families x 10 series: histogram buckets, counters, gauges,
CPU-seconds, constants, a few random floats; the value generators of bench/codec.py), scraped every
15 s with a few ms of jitter, handed to the writer as the head does (frames of 120 rows per target).

Run: .venv/bin/python bench/block_density.py [--targets 100] [--prom-targets 10]   (last line: figures)
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ember.model.labels import Labels
from ember.model.matchers import Matcher
from ember.tsdb import codec
from ember.tsdb.block_reader import Block
from ember.tsdb.block_writer import write_block
from ember.tsdb.column_group import ColumnGroup
from ember.tsdb.compaction import compact

START = 1_700_006_400_000  # aligned to 2 h, so promtool writes exactly one block
ROWS, FRAME_ROWS, SERIES_PER_TARGET = 480, 120, 100
LE = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"]


def _codec_bench() -> object:
    spec = importlib.util.spec_from_file_location("codec_bench", Path(__file__).with_name("codec.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_target(
    rng: np.random.Generator, kinds: dict[str, object], t: int, ref0: int
) -> tuple[dict[int, Labels], list[ColumnGroup]]:
    names = list(kinds)
    shares = np.array([kinds[n][1] for n in names])  # type: ignore[index]
    series: dict[int, Labels] = {}
    columns = []
    for family in range(SERIES_PER_TARGET // 10):
        kind = "histogram" if family < 4 else names[rng.choice(len(names), p=shares / shares.sum())]
        generate = kinds[kind][0]  # type: ignore[index]
        for i in range(10):
            extra = ("le", LE[i]) if kind == "histogram" else ("path", f"/api/v{i}")
            series[ref0 + len(series)] = Labels.from_strings(
                "__name__",
                f"app_{kind}_{family}",
                "job",
                f"job-{t % 5}",
                "instance",
                f"10.0.{t // 250}.{t % 250}:9100",
                *extra,
            )
            columns.append(generate(rng, ROWS))
    values = np.stack(columns, axis=1)
    ts = (
        START
        + int(rng.integers(0, 15_000))
        + 15_000 * np.arange(ROWS, dtype=np.int64)
        + rng.integers(0, 4, ROWS)
    )
    refs = np.array(sorted(series), dtype=np.int64)
    groups = [
        ColumnGroup(refs, ts[a : a + FRAME_ROWS], values[a : a + FRAME_ROWS])
        for a in range(0, ROWS, FRAME_ROWS)
    ]
    return series, groups


def make_data(targets: int, seed: int) -> tuple[dict[int, Labels], list[ColumnGroup]]:
    rng = np.random.default_rng(seed)
    kinds = _codec_bench().KINDS  # type: ignore[attr-defined]
    series: dict[int, Labels] = {}
    groups: list[ColumnGroup] = []
    for t in range(targets):
        s, g = make_target(rng, kinds, t, len(series))
        series.update(s)
        groups.extend(g)
    return series, groups


def write_openmetrics(path: Path, series: dict[int, Labels], groups: list[ColumnGroup]) -> None:
    by_family: dict[str, list[str]] = {}
    for group in groups:
        secs = [f"{t // 1000}.{t % 1000:03d}" for t in group.timestamps.tolist()]
        for j, ref in enumerate(group.refs.tolist()):
            labels = series[ref]
            inner = ",".join(f'{n}="{v}"' for n, v in labels if n != "__name__")
            head = f"{labels.metric_name}{{{inner}}} "
            vals = [
                repr(v) if np.isfinite(v) else ("NaN" if np.isnan(v) else ("+Inf" if v > 0 else "-Inf"))
                for v in group.values[:, j].tolist()
            ]
            by_family.setdefault(labels.metric_name, []).extend(
                f"{head}{v} {s}\n" for v, s in zip(vals, secs, strict=True)
            )
    # OpenMetrics wants each series' samples in time order and families not interleaved.
    with open(path, "w") as out:
        for lines in by_family.values():
            lines.sort(key=lambda line: (line.rsplit(" ", 2)[0], float(line.rsplit(" ", 1)[1])))
            out.writelines(lines)
        out.write("# EOF\n")


def prometheus_bytes(series: dict[int, Labels], groups: list[ColumnGroup], work: Path) -> int | None:
    promtool = shutil.which("promtool")
    if promtool is None:
        return None
    text = work / "data.om"
    write_openmetrics(text, series, groups)
    out = work / "prom"
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(text), str(out)],
        check=True,
        capture_output=True,
    )
    return sum(p.stat().st_size for p in out.rglob("*") if p.is_file() and p.parent.name != "wal")


def ember_block(series: dict[int, Labels], groups: list[ColumnGroup], work: Path) -> tuple[Block, float]:
    began = time.perf_counter()
    path = write_block(work, series=series, groups=groups, mint=START, maxt=START + 7_200_000)
    return Block.open(path), time.perf_counter() - began


def compaction_rate(first: Block, series: dict[int, Labels], groups: list[ColumnGroup], work: Path) -> float:
    """Samples per second of compacting `first` with two copies of its data shifted by 2 h and 4 h."""
    blocks = [first]
    for k in (1, 2):
        shifted = [ColumnGroup(g.refs, g.timestamps + k * 7_200_000, g.values) for g in groups]
        start = START + k * 7_200_000
        path = write_block(
            work / "compact", series=series, groups=shifted, mint=start, maxt=start + 7_200_000
        )
        blocks.append(Block.open(path))
    began = time.perf_counter()
    compact(blocks, work / "compact")
    elapsed = time.perf_counter() - began
    for block in blocks[1:]:
        block.close()
    return sum(b.meta.stats.num_samples for b in blocks) / elapsed / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--targets", type=int, default=100, help="targets of 100 series for Ember's block")
    parser.add_argument(
        "--prom-targets", type=int, default=10, help="targets also written by promtool (0: skip)"
    )
    args = parser.parse_args()
    codec.warm_up()
    series, groups = make_data(args.targets, seed=20261125)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        make_data(1, seed=1)  # warm the writer's code paths
        block, write_s = ember_block(series, groups, work / "ember")
        samples = block.meta.stats.num_samples
        index_b, chunks_b = (block.path / "index").stat().st_size, (block.path / "chunks").stat().st_size
        began = time.perf_counter()
        result = block.select([Matcher.regex("__name__", ".+")], START, START + 7_200_000)
        read_s = time.perf_counter() - began
        began = time.perf_counter()
        block.select([Matcher.regex("__name__", ".+")], START, START + 7_200_000)
        warm_s = time.perf_counter() - began
        began = time.perf_counter()
        block.select(
            [Matcher.equal("__name__", "app_histogram_0"), Matcher.equal("le", "+Inf")],
            START,
            START + 300_000,
        )
        small_ms = (time.perf_counter() - began) * 1000
        assert result.num_samples == samples
        ember_bps = block.size_bytes / samples
        print(
            f"ember: {len(series)} series, {samples} samples, {block.meta.stats.num_groups} groups: "
            f"{block.size_bytes} bytes = {ember_bps:.3f} B/sample (chunks {chunks_b / samples:.3f}, "
            f"index {index_b / samples:.3f} = {index_b / len(series):.1f} B/series); "
            f"write {samples / write_s / 1e6:.1f} M samples/s, "
            f"full read {samples / read_s / 1e6:.1f} M samples/s "
            f"(labels cached: {samples / warm_s / 1e6:.1f}), "
            f"small select {small_ms:.2f} ms"
        )
        block.close()
        began = time.perf_counter()
        block = Block.open(block.path)
        open_ms = (time.perf_counter() - began) * 1000
        compact_rate = compaction_rate(block, series, groups, work)
        print(f"open {open_ms:.1f} ms; compaction of 3 such blocks {compact_rate:.1f} M samples/s")
        block.close()
        line = (
            f"ember {ember_bps:.3f} B/sample ({len(series)} series x {ROWS}), "
            f"write {samples / write_s / 1e6:.1f} M/s, read {samples / read_s / 1e6:.1f} M/s "
            f"(warm {samples / warm_s / 1e6:.1f}), open {open_ms:.0f} ms, compact {compact_rate:.1f} M/s"
        )
        if args.prom_targets:
            keep = args.prom_targets * SERIES_PER_TARGET
            sub_series = {r: lb for r, lb in series.items() if r < keep}
            sub_groups = [g for g in groups if int(g.refs[0]) < keep]
            prom = prometheus_bytes(sub_series, sub_groups, work)
            sub_block, _ = ember_block(sub_series, sub_groups, work / "ember_sub")
            sub_samples = sub_block.meta.stats.num_samples
            if prom is not None:
                ratio = sub_block.size_bytes / prom
                print(
                    f"same {len(sub_series)} series: "
                    f"ember {sub_block.size_bytes / sub_samples:.3f} B/sample, "
                    f"prometheus (promtool) {prom / sub_samples:.3f} B/sample, ratio {ratio:.3f}"
                )
                line += (
                    f" | {len(sub_series)} series: ember {sub_block.size_bytes / sub_samples:.3f} vs "
                    f"prometheus {prom / sub_samples:.3f} B/sample, ratio {ratio:.2f}"
                )
            sub_block.close()
        print("blocks: " + line, file=sys.stdout)


if __name__ == "__main__":
    main()
