"""`ember test rules`: promtool's unit-test format and output (ember/rules/unit_test.py)."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest

from ember.rules.unit_test import run_rule_tests
from ember.testing.scratch_database import ScratchDatabase

FIXTURES = Path(__file__).parent / "fixtures"
DOCS = FIXTURES / "docs_example"
UNIT = FIXTURES / "unit"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool (Debian package prometheus) is not installed")


def _ember(directory: Path, name: str, monkeypatch: pytest.MonkeyPatch, **kwargs: object) -> tuple[int, str, str]:
    monkeypatch.chdir(directory)
    out, err = io.StringIO(), io.StringIO()
    code = run_rule_tests([name], out, err=err, **kwargs)  # type: ignore[arg-type]
    return code, out.getvalue(), err.getvalue()


def _promtool(directory: Path, name: str) -> tuple[int, str, str]:
    assert PROMTOOL is not None
    done = subprocess.run([PROMTOOL, "test", "rules", name], cwd=directory, capture_output=True, text=True,
                          timeout=60, check=False)
    return done.returncode, done.stdout, done.stderr


def _broken_docs_example(tmp_path: Path) -> Path:
    for name in ("test.yml", "alerts.yml"):
        shutil.copy(DOCS / name, tmp_path / name)
    test = tmp_path / "test.yml"
    text = test.read_text()
    text = text.replace("value: 50\n", "value: 51\n", 1).replace("severity: page", "severity: critical", 1)
    test.write_text(text)
    return tmp_path


def test_documentation_example_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = _ember(DOCS, "test.yml", monkeypatch)
    assert (code, out, err) == (0, "Unit Testing:  test.yml\n  SUCCESS\n\n", "")


def test_documentation_example_passes_on_the_tsdb(monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = _ember(DOCS, "test.yml", monkeypatch, storage_factory=ScratchDatabase)
    assert (code, err) == (0, "")


def test_broken_documentation_example_fails_like_promtool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = _broken_docs_example(tmp_path)
    code, _out, err = _ember(directory, "test.yml", monkeypatch)
    assert code == 1
    assert err.startswith("  FAILED:\n    alertname: InstanceDown, time: 10m, \n        exp:[\n")
    assert 'severity="critical"' in err and 'severity="page"' in err
    assert '    expr: "go_goroutines > 5", time: 4m,\n        exp: ' in err
    assert "5.1E+01" in err and "} 5E+01" in err


@pytest.mark.parametrize("name", ["pass.yml", "keep_firing.yml"])
def test_passing_fixtures(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _ember(UNIT, name, monkeypatch) == (0, f"Unit Testing:  {name}\n  SUCCESS\n\n", "")


def test_keep_firing_expectation_broken_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("keep_firing.yml", "keep_firing_rules.yml"):
        shutil.copy(UNIT / name, tmp_path / name)
    test = tmp_path / "keep_firing.yml"
    test.write_text(test.read_text().replace("value: 4\n", "value: 5\n"))
    code, _, err = _ember(tmp_path, "keep_firing.yml", monkeypatch)
    assert code == 1 and "} 5E+00\n        got: {" in err and "} 4E+00" in err


def test_failing_fixture_reports_every_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = _ember(UNIT, "fail.yml", monkeypatch)
    assert code == 1
    assert out == "Unit Testing:  fail.yml\n" + "\n" * 6  # one blank line per failure, then one
    assert err.count("    name: broken expectations,\n") == 2
    assert ('    expr: "job:requests:rate1m", time: 5m,\n'
            '        exp: {__name__="job:requests:rate1m", job="api"} 2E+00\n') in err
    assert "        got: nil" in err and "    alertname: HighRequestRate, time: 1h, " in err


def test_rule_evaluation_error_stops_the_test_group(monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = _ember(UNIT, "eval_error.yml", monkeypatch)
    assert code == 1
    assert "  WARNING: no file match pattern missing_*.yml\n" in err
    assert ("    rule: collapsed, time: 1m0s, err: vector contains metrics with the same labelset after applying "
            "rule labels\n") in err


def test_run_selects_test_groups_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = _ember(UNIT, "fail.yml", monkeypatch, run="^nothing matches$")
    assert (code, err) == (0, "")
    code, _, err = _ember(UNIT, "fail.yml", monkeypatch, run="broken")
    assert code == 1 and "time: 1h" not in err


def test_unreadable_file_fails_with_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bad.yml").write_text("tests:\n  - interval: 1m\n    input_seriez: []\n")
    code, _, err = _ember(tmp_path, "bad.yml", monkeypatch)
    assert code == 1 and 'field "input_seriez" not found' in err
    code, _, err = _ember(tmp_path, "absent.yml", monkeypatch)
    assert code == 1 and "absent.yml" in err


@needs_promtool
@pytest.mark.parametrize("name", ["pass.yml", "fail.yml", "eval_error.yml", "keep_firing.yml"])
def test_same_output_and_exit_code_as_promtool(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _ember(UNIT, name, monkeypatch) == _promtool(UNIT, name)


@needs_promtool
def test_docs_example_same_as_promtool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _ember(DOCS, "test.yml", monkeypatch) == _promtool(DOCS, "test.yml")
    directory = _broken_docs_example(tmp_path)
    assert _ember(directory, "test.yml", monkeypatch) == _promtool(directory, "test.yml")
