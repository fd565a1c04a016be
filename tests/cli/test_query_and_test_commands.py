from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ember
from ember.cli import main


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    with ember.open(tmp_path / "data") as db:
        t = np.arange(0, 600_000, 15_000)
        db.append_many({"__name__": "requests_total", "job": "api"}, t, t / 1000)
        db.append_many({"__name__": "requests_total", "job": "web"}, t, t / 500)
    return tmp_path / "data"


def test_instant_query(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "--data", str(data_dir), "--time", "600000", "--format", "csv",
                 "sum by (job) (rate(requests_total[5m]))"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split(",")[:1] == ["job"]
    rates = {line.split(",")[0]: float(line.split(",")[-1]) for line in out[1:]}
    assert rates == pytest.approx({"api": 1.0, "web": 2.0})


def test_range_query_needs_both_ends(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "--data", str(data_dir), "--start", "0", "requests_total"]) == 2
    assert "needs both --start and --end" in capsys.readouterr().err


def test_range_query(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "--data", str(data_dir), "--start", "300000", "--end", "540000", "--step", "1m",
                 "--format", "csv", 'requests_total{job="api"}']) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 + 5


def test_invalid_query_is_a_clear_error(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "--data", str(data_dir), "sum(("]) == 1
    assert "error:" in capsys.readouterr().err


def test_promql_test_script(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "ok.test"
    script.write_text("load 1m\n  up{job=\"a\"} 1 2 3\n\neval instant at 2m up\n  up{job=\"a\"} 3\n")
    assert main(["test", "promql", str(script)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "1 passed, 0 failed"
    broken = tmp_path / "broken.test"
    broken.write_text("load 1m\n  up{job=\"a\"} 1 2 3\n\neval instant at 2m up\n  up{job=\"a\"} 4\n")
    assert main(["test", "promql", str(broken)]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "0 passed, 1 failed"
