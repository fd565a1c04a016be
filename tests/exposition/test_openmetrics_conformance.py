"""The OpenMetrics parser test suite (211 accept/reject cases), one pytest case each, strict mode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ember.exposition.openmetrics_parser import parse_openmetrics
from ember.exposition.parse_error import ParseError
from tests.exposition.conformance_data import SKIP_REASON, conformance_dir


def _cases() -> list[Path]:
    root = conformance_dir()
    if root is None or not (root / "openmetrics").is_dir():
        return []
    return sorted(p for p in (root / "openmetrics").iterdir() if (p / "test.json").is_file())


CASES = _cases()


@pytest.mark.parametrize("case", CASES or [None], ids=[p.name for p in CASES] or ["missing"])
def test_openmetrics_case(case: Path | None) -> None:
    if case is None:
        pytest.skip(SKIP_REASON)
    spec = json.loads((case / "test.json").read_text())
    body = (case / spec["file"]).read_bytes()
    if spec["shouldParse"]:
        parse_openmetrics(body, strict=True)
    else:
        with pytest.raises(ParseError):
            parse_openmetrics(body, strict=True)


def test_suite_is_complete() -> None:
    if not CASES:
        pytest.skip(SKIP_REASON)
    verdicts = [json.loads((c / "test.json").read_text())["shouldParse"] for c in CASES]
    assert (len(verdicts), verdicts.count(True)) == (211, 44)


def test_lenient_scrape_mode_still_accepts_every_valid_case() -> None:
    # The scrape path skips the per-sample rules (as Prometheus does); it must never reject a valid body.
    if not CASES:
        pytest.skip(SKIP_REASON)
    accepted_bad = 0
    for case in CASES:
        spec = json.loads((case / "test.json").read_text())
        body = (case / spec["file"]).read_bytes()
        if spec["shouldParse"]:
            parse_openmetrics(body)
            continue
        try:
            parse_openmetrics(body)
            accepted_bad += 1
        except ParseError:
            pass
    # Only semantic rules are relaxed: syntax rejections (most of the suite) stay rejections.
    assert 0 < accepted_bad < 80
