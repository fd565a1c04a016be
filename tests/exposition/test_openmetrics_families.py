"""Tests for ember/exposition/openmetrics_families.py."""

from __future__ import annotations

import pytest

from ember.exposition.openmetrics_families import OpenMetricsFamilies
from ember.exposition.parse_error import ParseError


def test_metadata_builds_a_family_and_its_sample_names() -> None:
    families = OpenMetricsFamilies()
    families.read_comment("# TYPE rpc histogram", 0)
    families.read_comment('# HELP rpc Latency \\"p\\"\\n.', 0)
    families.read_comment("# UNIT rpc ", 0)
    family = families.families[0]
    assert (family.type, family.help, family.unit) == ("histogram", 'Latency "p"\n.', "")
    assert families.allowed == {"rpc_bucket", "rpc_count", "rpc_sum", "rpc_created"}
    assert families.comment_count == 3


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        (["# TYPE a gauge", "# TYPE a gauge"], "more than one TYPE"),
        (["# TYPE a_total gauge", "# TYPE a counter"], "clashing metric name 'a_total'"),
        (["# UNIT a_bytes seconds"], "not a suffix"),
        (["# TYPE a_u stateset", "# UNIT a_u u"], "not allowed on stateset"),
        (["# TYPE a untyped"], "invalid metric type"),
        (["# EOF"], "after # EOF"),
        (["#TYPE a gauge"], "invalid metadata"),
    ],
)
def test_metadata_rules(lines: list[str], reason: str) -> None:
    families = OpenMetricsFamilies()
    with pytest.raises(ParseError, match=reason):
        for line in lines:
            families.read_comment(line, 0)


def test_metadata_after_samples_and_implicit_families() -> None:
    families = OpenMetricsFamilies()
    families.read_comment("# TYPE a gauge", 0)
    families.open_implicit("b", 1)
    assert [f.name for f in families.families] == ["a", "b"]
    assert families.families[1].type == "unknown" and families.allowed == {"b"}
    with pytest.raises(ParseError, match="after its samples"):
        families.read_comment("# HELP b x", 2)
