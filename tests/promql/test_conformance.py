"""Prometheus's PromQL test scripts (`../shared/conformance/promql/*.test`) run against Ember's engine.

One pytest case per eval, with ids like `functions.test:123`. Evals that need native histograms or start
timestamps are skipped with that reason. Known failures live in `known_failures.toml` next to this file,
each with a reason, and are strict xfails, so the list can only shrink. Regenerate it with
`.venv/bin/python tests/promql/test_conformance.py --regenerate`.
"""

from __future__ import annotations

import functools
import os
import sys
import tomllib
from pathlib import Path

import pytest

from ember.promql.testscript.parser import parse_script
from ember.promql.testscript.runner import EvalOutcome, run_script

REPO = Path(__file__).resolve().parents[2]
KNOWN_FAILURES = Path(__file__).with_name("known_failures.toml")


def conformance_dir() -> Path:
    """The PromQL scripts: `$EMBER_CONFORMANCE_DIR/promql` or `<repo>/../shared/conformance/promql`."""
    root = Path(os.environ.get("EMBER_CONFORMANCE_DIR", REPO.parent / "shared" / "conformance"))
    return root / "promql"


def script_files() -> list[Path]:
    folder = conformance_dir()
    return sorted(folder.glob("*.test")) if folder.is_dir() else []


def known_failures() -> dict[str, str]:
    if not KNOWN_FAILURES.exists():
        return {}
    with KNOWN_FAILURES.open("rb") as handle:
        table = tomllib.load(handle).get("known_failures", {})
    return {str(key): str(reason) for key, reason in table.items()}


@functools.cache
def outcomes_of(file_name: str) -> dict[int, EvalOutcome]:
    """Run one script once (evals depend on the loads before them); outcomes by line."""
    path = conformance_dir() / file_name
    script = parse_script(path.read_text(encoding="utf-8"), file_name)
    return {outcome.line: outcome for outcome in run_script(script)}


def eval_cases() -> list[object]:
    files = script_files()
    if not files:
        return [pytest.param(None, None, id="conformance-data-missing")]
    expected_to_fail = known_failures()
    cases: list[object] = []
    for path in files:
        script = parse_script(path.read_text(encoding="utf-8"), path.name)
        for ev in script.evals:
            case_id = f"{path.name}:{ev.line}"
            marks = []
            if case_id in expected_to_fail:
                marks.append(pytest.mark.xfail(reason=expected_to_fail[case_id], strict=True))
            cases.append(pytest.param(path.name, ev.line, id=case_id, marks=marks))
    return cases


@pytest.mark.parametrize(("file_name", "line"), eval_cases())
def test_promql_eval(file_name: str | None, line: int | None) -> None:
    if file_name is None or line is None:
        pytest.skip(
            f"PromQL conformance scripts not found at {conformance_dir()} "
            "(set EMBER_CONFORMANCE_DIR to the folder holding promql/*.test)"
        )
    outcome = outcomes_of(file_name)[line]
    if outcome.category == "native_histogram":
        pytest.skip("needs native histograms (not supported by Ember yet)")
    if outcome.category == "unsupported":
        pytest.skip("needs start timestamps (@st), not supported by Ember's storage yet")
    assert outcome.passed, f"{outcome.test_id}: {outcome.expression}: {outcome.message}"


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("\t", " ")
    return f'"{escaped}"'


def regenerate_known_failures() -> int:
    """Rewrite known_failures.toml from a fresh run: every failing float eval with its reason."""
    lines = [
        "# PromQL conformance evals Ember fails today, each with the reason the runner reported.",
        "# Strict xfails: fix the engine, then delete the entry (or regenerate with",
        "# `.venv/bin/python tests/promql/test_conformance.py --regenerate`).",
        "",
        "[known_failures]",
    ]
    count = 0
    for path in script_files():
        for outcome in outcomes_of(path.name).values():
            if outcome.category == "float" and not outcome.passed:
                reason = outcome.message if len(outcome.message) <= 200 else outcome.message[:197] + "..."
                lines.append(f"{_toml_string(outcome.test_id)} = {_toml_string(reason)}")
                count += 1
    KNOWN_FAILURES.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{count} known failures written to {KNOWN_FAILURES}")
    return 0


if __name__ == "__main__":
    if "--regenerate" in sys.argv:
        raise SystemExit(regenerate_known_failures())
    raise SystemExit("usage: test_conformance.py --regenerate")
