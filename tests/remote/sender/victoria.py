"""A real remote-write receiver for tests and the benchmark: Debian's `victoria-metrics`, on a free
loopback port with a temporary storage directory; it can be stopped and started again on the same
port and data."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from tests.local_servers import free_port

BINARY = shutil.which("victoria-metrics") or "/usr/bin/victoria-metrics"


def available() -> bool:
    return Path(BINARY).is_file()




class VictoriaMetrics:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.write_url = f"{self.base}/api/v1/write"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 30) -> None:
        self._process = subprocess.Popen(
            [BINARY, f"-httpListenAddr=127.0.0.1:{self.port}", f"-storageDataPath={self.data_dir}",
             "-retentionPeriod=100y", "-search.latencyOffset=0", "-search.disableCache", "-loggerLevel=ERROR"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"victoria-metrics exited with {self._process.returncode}")
            try:
                with urllib.request.urlopen(f"{self.base}/health", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("victoria-metrics never became healthy")

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def export(self, match: str) -> dict[tuple[tuple[str, str], ...], tuple[list[int], list[Any]]]:
        """Every raw sample of the series matching `match`, by sorted label pairs."""
        with urllib.request.urlopen(f"{self.base}/internal/force_flush", timeout=10):
            pass
        # The default end is now; samples a little ahead of the clock must be included too.
        query = urllib.parse.urlencode({"match[]": match, "start": "0", "end": str(int(time.time()) + 86_400)})
        with urllib.request.urlopen(f"{self.base}/api/v1/export?{query}", timeout=30) as response:
            lines = response.read().decode().splitlines()
        out: dict[tuple[tuple[str, str], ...], tuple[list[int], list[Any]]] = {}
        for line in lines:
            row = json.loads(line)
            key = tuple(sorted(row["metric"].items()))
            stamps, values = out.setdefault(key, ([], []))
            stamps += row["timestamps"]
            values += row["values"]
        return out
