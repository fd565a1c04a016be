"""What the benchmarks share about the servers they start: ports, readiness, CPU time and peak memory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(base: str, process: subprocess.Popen[bytes] | None = None, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{base} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/-/ready", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{base} never became ready")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


_WAKE_PROBE = """
import sys, time
gap, wakes = float(sys.argv[1]), int(sys.argv[2])
started = time.thread_time()
for _ in range(wakes):
    time.sleep(gap)
print((time.thread_time() - started) / wakes * 1e6)
"""


def wake_cost_us(seconds: float, gap_s: float = 0.025) -> float:
    """CPU microseconds this machine charges a thread per wake-up after `gap_s` asleep, doing next to
    nothing awake, measured for about `seconds` in a process of its own. A scrape wakes its server about
    twice (its timer, then the answer), so on a machine where this is large it weighs on every server's
    CPU per sample; printed beside the figures to tell a slow machine from a slow change."""
    wakes = max(1, int(seconds / gap_s))
    probe = subprocess.run([sys.executable, "-c", _WAKE_PROBE, str(gap_s), str(wakes)], capture_output=True,
                           text=True, check=True)
    return float(probe.stdout)


def peak_rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return int(line.split()[1]) * 1024
    return 0


def serve_exposition(body_for: Callable[[str], bytes], port: int = 0) -> ThreadingHTTPServer:
    """A keep-alive HTTP/1.1 server (as Go exporters are) answering every GET with `body_for(path)` in the
    text format, on a thread; `server.server_address[1]` is its port. Like Go's net/http (node_exporter
    and other exporters), it sets TCP_NODELAY: without it the body waits behind the headers for the
    scraper's delayed ACK (40 ms on Linux) on some scrapes."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            body = body_for(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def start_server(kind: str, config: Path, data: Path, *extra: str) -> tuple[subprocess.Popen[bytes], str]:
    """`ember serve` (kind "ember") or Prometheus 2.42 (kind "prometheus") on a free loopback port with the
    given configuration and data directory; returns the process and its base URL (not yet ready)."""
    port = free_port()
    program = [sys.executable, "-m", "ember", "serve"] if kind == "ember" else ["prometheus"]
    process = subprocess.Popen([*program, f"--config.file={config}", f"--storage.tsdb.path={data}",
                                f"--web.listen-address=127.0.0.1:{port}", *extra],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, f"http://127.0.0.1:{port}"
