"""Remote-write receiving cost: the same pre-encoded stream (snappy protobuf WriteRequests of 2,000
samples: 200 series x 10 samples) sent to `ember serve --web.enable-remote-write-receiver` and to
Prometheus 2.42 `--web.enable-remote-write-receiver` in one run, 8 senders in parallel. Reports samples
per CPU-second of each server process and its peak RSS.

    .venv/bin/python bench/remote_write.py [--requests 1500]

Last line: samples per CPU-second for each, the ratio, and peak RSS.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from peers import cpu_seconds, free_port, peak_rss_bytes, wait_ready

from ember.model.labels import Labels
from ember.remote.write_codec import encode_body

SERIES = 200
PER_REQUEST = 10
T0 = 1_700_000_000_000


LANES = 8
WARM_UP = 2 * LANES


def bodies(count: int) -> list[bytes]:
    """Request k belongs to lane k % 8; each lane has its own series, so lanes may be sent concurrently
    while every series' timestamps still arrive in order."""
    lanes = [[Labels.from_strings("__name__", f"rw_metric_{i % 20}", "instance", f"host-{i % 50}:9100",
                                  "job", "remote", "series", str(i), "lane", str(lane)) for i in range(SERIES)]
             for lane in range(LANES)]
    out = []
    for k in range(count):
        labels = lanes[k % LANES]
        stamps = [T0 + (k // LANES * PER_REQUEST + j) * 1000 for j in range(PER_REQUEST)]
        out.append(encode_body([(lb, stamps, [float(k * PER_REQUEST + j + i) for j in range(PER_REQUEST)])
                                for i, lb in enumerate(labels)]))
    return out





def send_all(base: str, stream: list[bytes]) -> None:
    headers = {"Content-Encoding": "snappy", "Content-Type": "application/x-protobuf",
               "X-Prometheus-Remote-Write-Version": "0.1.0"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        def post(body: bytes) -> None:
            response = client.post("/api/v1/write", content=body)
            if response.status_code >= 300:
                raise RuntimeError(f"{base}: {response.status_code} {response.text}")

        def send_lane(lane: int) -> None:
            for body in stream[lane::LANES]:
                post(body)

        with ThreadPoolExecutor(LANES) as pool:
            list(pool.map(send_lane, range(LANES)))


def run(name: str, command: list[str], base: str, stream: list[bytes]) -> tuple[float, int]:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(base)
        send_all(base, stream[:WARM_UP])  # warm-up: series created, kernels loaded
        before = cpu_seconds(process.pid)
        send_all(base, stream[WARM_UP:])
        after, peak = cpu_seconds(process.pid), peak_rss_bytes(process.pid)
    finally:
        process.terminate()
        process.wait()
    samples = (len(stream) - WARM_UP) * SERIES * PER_REQUEST
    rate = samples / (after - before)
    print(f"{name}: {samples:,} samples in {after - before:.2f} CPU-s = {rate / 1e6:.2f} M samples/CPU-s; "
          f"peak RSS {peak / 2**20:.0f} MiB", flush=True)
    return rate, peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1500)
    args = parser.parse_args()
    stream = bodies(args.requests)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        config = work / "empty.yml"
        config.write_text("global:\n  scrape_interval: 1m\n")
        ember_port, prom_port = free_port(), free_port()
        ember = run("ember", [sys.executable, "-m", "ember", "serve", f"--config.file={config}",
                              f"--storage.tsdb.path={work / 'ember'}", f"--web.listen-address=127.0.0.1:{ember_port}",
                              "--web.enable-remote-write-receiver"], f"http://127.0.0.1:{ember_port}", stream)
        prom = run("prometheus", ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={work / 'prom'}",
                                  f"--web.listen-address=127.0.0.1:{prom_port}", "--web.enable-remote-write-receiver"],
                   f"http://127.0.0.1:{prom_port}", stream)
    print(f"remote_write: Ember {ember[0] / 1e6:.2f} M samples/CPU-s, Prometheus {prom[0] / 1e6:.2f} M samples/CPU-s, "
          f"ratio {ember[0] / prom[0]:.2f}; peak RSS Ember {ember[1] / 2**20:.0f} MiB, "
          f"Prometheus {prom[1] / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
