"""Benchmark of the TSDB column codec: bytes per sample by column kind, and batch encode/decode speed.

Synthetic, Prometheus-like columns (15 s scrapes): counters with integer or decimal steps at ragged
rates with occasional resets, gauges with 1-3 decimals, constant series, CPU-seconds-like counters,
histogram bucket counters, true random floats, and counters with a few staleness markers. Prometheus's
chunk encoding (Gorilla: delta-of-delta timestamps in 1/14/17/20/64-bit buckets, XOR values with a 5-bit
leading-zero count) is sized on the same columns by `gorilla_bits`, a bit counter written from the
published format, as the peer figure (the Go binary is not run here).

Run: .venv/bin/python bench/codec.py [--columns N]   (last line: the figures)
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numba
import numpy as np
import numpy.typing as npt

from ember.model.samples import STALE_NAN
from ember.tsdb import codec

Column = npt.NDArray[np.float64]
PROMETHEUS_CHUNK = 120  # samples per chunk: Prometheus cuts its XOR chunks at 120 samples
Generator = Callable[[np.random.Generator, int], Column]


def _with_resets(rng: np.random.Generator, steps: Column) -> Column:
    values = np.cumsum(steps)
    for at in np.flatnonzero(rng.random(len(steps)) < 1 / 400):
        values[at:] -= values[at]  # a process restart: the counter starts again from zero
    return values


def counter_int(rng: np.random.Generator, n: int) -> Column:
    rate = rng.lognormal(0.0, 2.0) * 15
    return _with_resets(rng, rng.poisson(rate, n).astype(np.float64)) + float(rng.integers(0, 10**6))


def counter_decimal(rng: np.random.Generator, n: int) -> Column:
    decimals = int(rng.integers(1, 4))
    steps = np.round(rng.gamma(2.0, rng.lognormal(0.0, 1.5), n), decimals)
    return np.round(_with_resets(rng, steps), decimals)


def gauge(rng: np.random.Generator, n: int) -> Column:
    decimals = int(rng.integers(1, 4))
    walk = rng.normal(0, rng.lognormal(0, 1), n).cumsum() + rng.uniform(0, 1000)
    return np.round(walk, decimals)


def constant(rng: np.random.Generator, n: int) -> Column:
    return np.full(n, float(rng.choice([0.0, 1.0, 3.0, 1.5e9, 42.0])))


def cpu_seconds(rng: np.random.Generator, n: int) -> Column:
    return np.round(12345.67 + np.cumsum(rng.uniform(0.0, 0.5, n)), 2)


def histogram_bucket(rng: np.random.Generator, n: int) -> Column:
    # A bucket sees a fraction of the requests: small buckets rarely move, +Inf moves with the count.
    share = float(rng.choice([0.0, 0.001, 0.01, 0.1, 0.5, 0.9, 1.0]))
    requests = rng.poisson(rng.lognormal(0.0, 2.0) * 15, n)
    return _with_resets(rng, rng.binomial(requests, share).astype(np.float64))


def random_float(rng: np.random.Generator, n: int) -> Column:
    return rng.random(n) * 1000


def with_stale_markers(rng: np.random.Generator, n: int) -> Column:
    values = counter_int(rng, n)
    values[rng.choice(n, size=3, replace=False)] = STALE_NAN
    return values


# Share of each kind in the Prometheus-like mix: histogram buckets and counters dominate real data.
KINDS: dict[str, tuple[Generator, float]] = {
    "histogram": (histogram_bucket, 0.40),
    "counter_int": (counter_int, 0.20),
    "counter_dec": (counter_decimal, 0.05),
    "gauge": (gauge, 0.15),
    "constant": (constant, 0.10),
    "cpu_seconds": (cpu_seconds, 0.05),
    "random_float": (random_float, 0.03),
    "stale": (with_stale_markers, 0.02),
}


@numba.njit(cache=True, nogil=True)
def _leading_trailing(x: np.uint64) -> tuple[int, int]:
    lead = 0
    while lead < 64 and not (x >> np.uint64(63 - lead)) & np.uint64(1):
        lead += 1
    trail = 0
    while trail < 64 and not (x >> np.uint64(trail)) & np.uint64(1):
        trail += 1
    return lead, trail


@numba.njit(cache=True, nogil=True)
def gorilla_bits(ts: npt.NDArray[np.int64], values: npt.NDArray[np.float64], n: int) -> tuple[int, int]:
    """(timestamp bits, value bits) of Prometheus-style XOR chunks of n samples over the columns."""
    bits = values.view(np.uint64)
    ts_bits = 0
    value_bits = 0
    for start in range(0, len(bits), n):
        ts_bits += 16 + 48 + 24  # chunk header, first timestamp and first delta as varints (about)
        value_bits += 64
        lead_w, trail_w = 255, 0
        for i in range(start + 1, start + n):
            if i >= start + 2:
                dod = (ts[i] - ts[i - 1]) - (ts[i - 1] - ts[i - 2])
                if dod == 0:
                    ts_bits += 1
                elif -8191 <= dod <= 8192:
                    ts_bits += 16
                elif -65535 <= dod <= 65536:
                    ts_bits += 20
                elif -524287 <= dod <= 524288:
                    ts_bits += 24
                else:
                    ts_bits += 68
            x = bits[i] ^ bits[i - 1]
            if x == 0:
                value_bits += 1
                continue
            lead, trail = _leading_trailing(x)
            lead = min(lead, 31)
            if lead_w != 255 and lead >= lead_w and trail >= trail_w:
                value_bits += 2 + 64 - lead_w - trail_w
            else:
                lead_w, trail_w = lead, trail
                value_bits += 2 + 5 + 6 + 64 - lead - trail
    return ts_bits, value_bits


def timestamps(rng: np.random.Generator, n: int) -> npt.NDArray[np.int64]:
    start = 1_700_000_000_000 + int(rng.integers(0, 15_000))
    jitter = rng.integers(-3, 4, n) if rng.random() < 0.5 else np.zeros(n, dtype=np.int64)
    return (start + 15_000 * np.arange(n) + jitter).astype(np.int64)


def make_batch(rng: np.random.Generator, kinds: list[str], n: int) -> tuple[Column, npt.NDArray[np.int64]]:
    columns = [KINDS[kind][0](rng, n) for kind in kinds]
    offsets = np.arange(len(columns) + 1, dtype=np.int64) * n
    return np.concatenate(columns), offsets


def density(rng: np.random.Generator, n: int, per_kind: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    for kind in KINDS:
        values, offsets = make_batch(rng, [kind] * per_kind, n)
        buf, _ = codec.encode_values_many(values, offsets)
        figures[kind] = len(buf) / len(values)
        _, gorilla_value_bits = gorilla_bits(np.zeros(len(values), dtype=np.int64), values, PROMETHEUS_CHUNK)
        figures[f"gorilla_{kind}"] = gorilla_value_bits / 8 / len(values)
    figures["mix"] = sum(figures[kind] * share for kind, (_, share) in KINDS.items())
    figures["gorilla_mix"] = sum(figures[f"gorilla_{kind}"] * share for kind, (_, share) in KINDS.items())
    ts = np.concatenate([timestamps(rng, n) for _ in range(per_kind)])
    ts_buf, _ = codec.encode_timestamps_many(ts, np.arange(per_kind + 1, dtype=np.int64) * n)
    figures["timestamps"] = len(ts_buf) / len(ts)
    gorilla_ts_bits, _ = gorilla_bits(ts, np.zeros(len(ts)), PROMETHEUS_CHUNK)
    figures["gorilla_timestamps"] = gorilla_ts_bits / 8 / len(ts)
    return figures


def best_seconds(run: Callable[[], object], repeat: int = 9) -> float:
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - began)
    return best


def speed(rng: np.random.Generator, n: int, columns: int) -> dict[str, float]:
    names = list(KINDS)
    shares = np.array([KINDS[name][1] for name in names])
    kinds = [names[i] for i in rng.choice(len(names), size=columns, p=shares / shares.sum())]
    values, offsets = make_batch(rng, kinds, n)
    buf, ends = codec.encode_values_many(values, offsets)
    ts = np.concatenate([timestamps(rng, n) for _ in range(columns)])
    ts_buf, ts_ends = codec.encode_timestamps_many(ts, offsets)
    samples = len(values)
    return {
        "enc_Msps": samples / best_seconds(lambda: codec.encode_values_many(values, offsets)) / 1e6,
        "dec_Msps": samples / best_seconds(lambda: codec.decode_values_many(buf, ends[:-1], ends[1:])) / 1e6,
        "ts_enc_Msps": samples / best_seconds(lambda: codec.encode_timestamps_many(ts, offsets)) / 1e6,
        "ts_dec_Msps": samples
        / best_seconds(lambda: codec.decode_timestamps_many(ts_buf, ts_ends[:-1], ts_ends[1:]))
        / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--columns", type=int, default=5000, help="columns per speed batch")
    parser.add_argument("--per-kind", type=int, default=300, help="columns per kind for density")
    args = parser.parse_args()
    codec.warm_up()
    rng = np.random.default_rng(20261125)
    line = []
    for n in (120, 480):
        figures = density(rng, n, args.per_kind)
        figures.update(speed(rng, n, args.columns))
        print(f"n={n}: " + " ".join(f"{key}={value:.3f}" for key, value in figures.items()))
        line.append(
            f"n={n} mix={figures['mix']:.3f}B/s (gorilla {figures['gorilla_mix']:.3f}) "
            f"ts={figures['timestamps']:.3f}B/s (gorilla {figures['gorilla_timestamps']:.3f}) "
            f"enc={figures['enc_Msps']:.0f}M/s dec={figures['dec_Msps']:.0f}M/s "
            f"ts_enc={figures['ts_enc_Msps']:.0f}M/s ts_dec={figures['ts_dec_Msps']:.0f}M/s"
        )
    print("codec: " + " | ".join(line))


if __name__ == "__main__":
    main()
