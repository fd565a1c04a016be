from __future__ import annotations

import io
from pathlib import Path

from ember.config.check import FAILURE_EXIT_CODE, SUCCESS_EXIT_CODE, check_config

FIXTURES = Path(__file__).parent / "fixtures"


def run(*paths: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = check_config(list(paths), out, err)
    return code, out.getvalue(), err.getvalue()


def test_valid_file_prints_like_promtool(tmp_path: Path) -> None:
    path = str(FIXTURES / "minimal.yml")
    code, out, err = run(path)
    assert code == SUCCESS_EXIT_CODE
    assert out == f"Checking {path}\n SUCCESS: {path} is valid prometheus config file syntax\n\n"
    assert err == ""


def test_rule_files_are_counted_and_must_exist(tmp_path: Path) -> None:
    (tmp_path / "r.yml").write_text("groups: []\n")
    (tmp_path / "a.rules.yml").write_text("groups: []\n")
    (tmp_path / "b.rules.yml").write_text("groups: []\n")
    (tmp_path / "ok.yml").write_text("rule_files: [r.yml, '*.rules.yml', 'none*.yml']\n")
    code, out, _ = run(str(tmp_path / "ok.yml"))
    assert code == SUCCESS_EXIT_CODE
    assert "  SUCCESS: 3 rule files found\n" in out
    code, out, err = run(str(FIXTURES / "missing_rules.yml"))
    assert code == FAILURE_EXIT_CODE
    assert 'does-not-exist.yml" does not point to an existing file' in err
    assert err.startswith("  FAILED: ")
    assert "SUCCESS" not in out


def test_invalid_and_valid_files_together() -> None:
    typo, minimal = str(FIXTURES / "typo.yml"), str(FIXTURES / "minimal.yml")
    code, out, err = run(typo, minimal)
    assert code == FAILURE_EXIT_CODE
    assert out.startswith(f"Checking {typo}\n\nChecking {minimal}\n SUCCESS")
    assert err == f'  FAILED: {typo}:10: field "scrape_intervall" not found in scrape config\n'


def test_referenced_credentials_must_exist(tmp_path: Path) -> None:
    (tmp_path / "c.yml").write_text(
        "scrape_configs:\n  - job_name: j\n    bearer_token_file: missing.token\n"
    )
    code, _, err = run(str(tmp_path / "c.yml"))
    assert code == FAILURE_EXIT_CODE
    assert "error checking authorization credentials or bearer token file" in err


def test_missing_file_sd_file_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "f.yml").write_text(
        "scrape_configs:\n  - job_name: j\n    file_sd_configs: [{files: [t.json]}]\n"
    )
    code, out, _ = run(str(tmp_path / "f.yml"))
    assert code == SUCCESS_EXIT_CODE
    assert f'  WARNING: file "{tmp_path / "t.json"}" for file_sd in scrape job "j" does not exist' in out


def test_realistic_fixture_passes() -> None:
    path = str(FIXTURES / "full.yml")
    code, out, err = run(path)
    assert (code, err) == (SUCCESS_EXIT_CODE, "")
    assert out.endswith(
        f"  SUCCESS: 2 rule files found\n SUCCESS: {path} is valid prometheus config file syntax\n\n"
    )
