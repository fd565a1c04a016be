"""`ember check rules`: promtool check rules's output and exit codes (ember/rules/check.py)."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest

from ember.rules.check import check_rules

CHECK = Path(__file__).parent / "fixtures" / "check"
PROMTOOL = shutil.which("promtool")


def _ember(names: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    monkeypatch.chdir(CHECK)
    out, err = io.StringIO(), io.StringIO()
    code = check_rules(names, out, err)
    return code, out.getvalue(), err.getvalue()


def test_valid_file(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _ember(["valid.yml"], monkeypatch) == (0, "Checking valid.yml\n  SUCCESS: 3 rules found\n\n", "")


def test_invalid_file_lists_every_error_and_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = _ember(["invalid.yml", "valid.yml"], monkeypatch)
    assert code == 1
    assert out == "Checking invalid.yml\n\nChecking valid.yml\n  SUCCESS: 3 rules found\n\n"
    assert err.splitlines() == [
        "  FAILED:",
        'invalid.yml: 5:15: group "broken", rule 1, "job:up:sum": could not parse expression: 1:17: parse error: '
        "unclosed left parenthesis",
        "invalid.yml: 6:17: 7:16: group \"broken\", rule 2, \"AlsoAnAlert\": only one of 'record' and 'alert' "
        "must be set",
        'invalid.yml: group "broken", rule 3, "BadTemplate": annotation "summary": template: '
        "__alert_BadTemplate:1: unclosed action",
        'invalid.yml: 13:5: groupname: "broken" is repeated in the same file',
    ]


def test_duplicate_rules_are_a_non_fatal_lint(monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = _ember(["duplicates.yml"], monkeypatch)
    assert (code, out) == (0, "Checking duplicates.yml\n\n")
    assert err == ("  FAILED:\nlint error 1 duplicate rule(s) found.\nMetric: job:up:sum\nLabel(s):\n\tteam: a\n"
                   "Might cause inconsistency while recording expressions\n")


def test_missing_file(monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = _ember(["absent.yml"], monkeypatch)
    assert code == 1 and "absent.yml" in err


@pytest.mark.skipif(PROMTOOL is None, reason="promtool (Debian package prometheus) is not installed")
@pytest.mark.parametrize("names", [["valid.yml"], ["duplicates.yml"], ["invalid.yml", "valid.yml"]])
def test_same_as_promtool(names: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert PROMTOOL is not None
    done = subprocess.run([PROMTOOL, "check", "rules", *names], cwd=CHECK, capture_output=True, text=True,
                          timeout=60, check=False)
    assert _ember(names, monkeypatch) == (done.returncode, done.stdout, done.stderr)
