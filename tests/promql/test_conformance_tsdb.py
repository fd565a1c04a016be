"""The PromQL test scripts again, with their data in Ember's TSDB instead of the reference storage:
every eval must have the same outcome on both."""

from __future__ import annotations

import pytest

from ember.promql.testscript.parser import parse_script
from ember.promql.testscript.runner import run_script
from ember.testing.scratch_database import ScratchDatabase
from tests.promql.test_conformance import conformance_dir, script_files

STABLE = ["aggregators", "at_modifier", "collision", "functions", "histograms", "literals", "operators",
          "range_queries", "selectors", "staleness", "subquery", "trig_functions", "limit", "name_label_dropping"]


@pytest.mark.parametrize("name", STABLE)
def test_tsdb_gives_the_reference_outcomes(name: str) -> None:
    if not script_files():
        pytest.skip(f"conformance data not found at {conformance_dir()} (set EMBER_CONFORMANCE_DIR)")
    script = parse_script((conformance_dir() / f"{name}.test").read_text(encoding="utf-8"), f"{name}.test")
    reference = {o.line: (o.passed, o.category) for o in run_script(script)}
    tsdb = {o.line: (o.passed, o.category) for o in run_script(script, storage_factory=ScratchDatabase)}
    differing = sorted(line for line in reference if reference[line] != tsdb[line])
    assert not differing, f"{name}.test: outcomes differ on the TSDB at lines {differing[:10]}"
    assert any(passed for passed, category in tsdb.values() if category == "float")
