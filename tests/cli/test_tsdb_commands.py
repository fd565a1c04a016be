from __future__ import annotations

from pathlib import Path

import pytest

from ember.cli import main

OPENMETRICS = """# TYPE http_requests counter
http_requests_total{code="200"} 1 1000
http_requests_total{code="200"} 5 16000
http_requests_total{code="500"} 2 1000
# TYPE temp gauge
temp 20.5 7300
# EOF
"""


@pytest.fixture
def imported(tmp_path: Path) -> Path:
    source = tmp_path / "in.om"
    source.write_text(OPENMETRICS)
    data = tmp_path / "data"
    assert main(["tsdb", "import", "openmetrics", "--quiet", str(source), str(data)]) == 0
    return data


def test_import_then_dump(imported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["tsdb", "dump", str(imported)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        '{__name__="http_requests_total", code="200"} 1 1000000',
        '{__name__="http_requests_total", code="200"} 5 16000000',
        '{__name__="http_requests_total", code="500"} 2 1000000',
        '{__name__="temp"} 20.5 7300000',
    ]


def test_dump_with_match_and_time_range(imported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["tsdb", "dump", str(imported), "--match", 'http_requests_total{code="200"}',
                 "--min-time", "2000000"]) == 0
    assert capsys.readouterr().out.splitlines() == ['{__name__="http_requests_total", code="200"} 5 16000000']


def test_analyze_lists_blocks_and_cardinality(imported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["tsdb", "analyze", str(imported)]) == 0
    out = capsys.readouterr().out
    assert "Blocks: " in out
    assert "Highest cardinality metric names:" in out


def test_import_without_timestamps_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in.om"
    source.write_text("temp 20.5\n# EOF\n")
    assert main(["tsdb", "import", "openmetrics", "--quiet", str(source), str(tmp_path / "d")]) == 1
    assert "has no timestamp" in capsys.readouterr().err


def test_malformed_input_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in.om"
    source.write_text("temp{ 20.5 1\n# EOF\n")
    assert main(["tsdb", "import", "openmetrics", "--quiet", str(source), str(tmp_path / "d")]) == 1
    assert "line 1" in capsys.readouterr().err
