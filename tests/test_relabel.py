from __future__ import annotations

import hashlib
import re
import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.errors import ConfigError
from ember.model.labels import Labels
from ember.relabel import (
    Action,
    NameValidation,
    RelabelCache,
    RelabelConfig,
    go_lower,
    go_upper,
    hashmod,
    relabel,
    relabel_many,
)


def labels(**pairs: str) -> Labels:
    return Labels(pairs.items())


def rule(**fields: Any) -> RelabelConfig:
    if "source_labels" in fields:
        fields["source_labels"] = tuple(fields["source_labels"])
    return RelabelConfig(**fields)


# (input, rules, expected output or None for dropped)
RELABEL_CASES: list[tuple[str, Labels, list[RelabelConfig], Labels | None]] = [
    (
        "replace with braces",
        labels(a="foo", b="bar"),
        [rule(source_labels=["a"], regex="f(.*)", target_label="d", replacement="x${1}-y${1}")],
        labels(a="foo", b="bar", d="xoo-yoo"),
    ),
    (
        "replace joins sources with the separator",
        labels(a="foo", b="bar"),
        [
            rule(
                source_labels=["a", "b"],
                regex="(.*)/(.*)",
                separator="/",
                target_label="c",
                replacement="$2$1",
            )
        ],
        labels(a="foo", b="bar", c="barfoo"),
    ),
    (
        "absent source label counts as empty",
        labels(a="foo"),
        [rule(source_labels=["a", "zzz"], regex="foo;", target_label="c", replacement="hit")],
        labels(a="foo", c="hit"),
    ),
    (
        "no match leaves labels alone",
        labels(a="foo"),
        [rule(source_labels=["a"], regex="bar", target_label="a", replacement="x")],
        labels(a="foo"),
    ),
    (
        "regex is anchored",
        labels(a="foo"),
        [rule(source_labels=["a"], regex="o", target_label="b", replacement="x")],
        labels(a="foo"),
    ),
    (
        "dot matches newline",
        labels(a="x\ny"),
        [rule(source_labels=["a"], regex="x.y", target_label="b", replacement="nl")],
        labels(a="x\ny", b="nl"),
    ),
    (
        "empty replacement deletes the target",
        labels(a="foo", b="bar"),
        [rule(source_labels=["a"], regex="foo", target_label="b", replacement="")],
        labels(a="foo"),
    ),
    (
        "default regex writes a constant even with no source",
        labels(a="foo"),
        [rule(target_label="env", replacement="prod")],
        labels(a="foo", env="prod"),
    ),
    (
        "$1x names group 1x, which does not exist",
        labels(a="foo"),
        [rule(source_labels=["a"], regex="(f)oo", target_label="b", replacement="<$1x>")],
        labels(a="foo", b="<>"),
    ),
    (
        "${1}x is group 1 then x",
        labels(a="foo"),
        [rule(source_labels=["a"], regex="(f)oo", target_label="b", replacement="${1}x")],
        labels(a="foo", b="fx"),
    ),
    (
        "$$ is a dollar, a malformed ${ stays text",
        labels(a="foo"),
        [rule(source_labels=["a"], regex="(f)oo", target_label="b", replacement="$$1 ${1 $")],
        labels(a="foo", b="$1 ${1 $"),
    ),
    (
        "named groups expand by name",
        labels(a="host:9100"),
        [
            rule(
                source_labels=["a"],
                regex="(?P<host>[^:]+):(?P<port>\\d+)",
                target_label="b",
                replacement="${port}@$host",
            )
        ],
        labels(a="host:9100", b="9100@host"),
    ),
    (
        "unmatched optional group expands to nothing",
        labels(a="foo"),
        [rule(source_labels=["a"], regex="foo(bar)?", target_label="b", replacement="[$1]")],
        labels(a="foo", b="[]"),
    ),
    (
        "target label from a group",
        labels(a="env=prod"),
        [rule(source_labels=["a"], regex="(\\w+)=(\\w+)", target_label="${1}", replacement="$2")],
        labels(a="env=prod", env="prod"),
    ),
    (
        "target expanding to empty is skipped",
        labels(a="=prod"),
        [rule(source_labels=["a"], regex="(\\w*)=(\\w+)", target_label="${1}", replacement="$2")],
        labels(a="=prod"),
    ),
    (
        "legacy scheme skips invalid expanded targets",
        labels(a="my-env=prod"),
        [
            rule(
                source_labels=["a"],
                regex="(.*)=(.*)",
                target_label="$1",
                replacement="$2",
                name_validation_scheme=NameValidation.LEGACY,
            )
        ],
        labels(a="my-env=prod"),
    ),
    (
        "utf8 scheme accepts the same target",
        labels(a="my-env=prod"),
        [rule(source_labels=["a"], regex="(.*)=(.*)", target_label="$1", replacement="$2")],
        Labels([("a", "my-env=prod"), ("my-env", "prod")]),
    ),
    (
        "keep on match",
        labels(a="foo"),
        [rule(source_labels=["a"], regex="f.*", action="keep")],
        labels(a="foo"),
    ),
    (
        "keep drops on mismatch",
        labels(a="bar"),
        [rule(source_labels=["a"], regex="f.*", action="keep")],
        None,
    ),
    ("drop on match", labels(a="foo"), [rule(source_labels=["a"], regex="f.*", action="drop")], None),
    (
        "drop matches an absent label as empty",
        labels(a="foo"),
        [rule(source_labels=["missing"], regex="", action="drop")],
        None,
    ),
    (
        "a drop ends the chain",
        labels(a="foo"),
        [rule(source_labels=["a"], regex=".*o.*", action="drop"), rule(target_label="b", replacement="x")],
        None,
    ),
    (
        "keepequal keeps equal values",
        labels(a="1", b="1"),
        [rule(source_labels=["a"], target_label="b", action="keepequal")],
        labels(a="1", b="1"),
    ),
    (
        "keepequal drops different values",
        labels(a="1", b="2"),
        [rule(source_labels=["a"], target_label="b", action="keepequal")],
        None,
    ),
    (
        "dropequal drops equal values",
        labels(a="1", b="1"),
        [rule(source_labels=["a"], target_label="b", action="dropequal")],
        None,
    ),
    (
        "dropequal keeps different values",
        labels(a="1", b="2"),
        [rule(source_labels=["a"], target_label="b", action="dropequal")],
        labels(a="1", b="2"),
    ),
    (
        "labelmap copies matching names",
        labels(__meta_env="prod", __meta_zone="a", job="x"),
        [rule(regex="__meta_(.+)", replacement="$1", action="labelmap")],
        labels(__meta_env="prod", __meta_zone="a", job="x", env="prod", zone="a"),
    ),
    (
        "labelmap collision: the later label wins",
        labels(a_x="1", b_x="2"),
        [rule(regex="[ab]_(x)", replacement="$1", action="labelmap")],
        labels(a_x="1", b_x="2", x="2"),
    ),
    (
        "labeldrop",
        labels(a="1", b="2", tmp_c="3"),
        [rule(regex="tmp_.*|b", action="labeldrop")],
        labels(a="1"),
    ),
    ("labelkeep", labels(a="1", b="2", c="3"), [rule(regex="a|c", action="labelkeep")], labels(a="1", c="3")),
    (
        "lowercase",
        labels(a="FoO"),
        [rule(source_labels=["a"], target_label="b", action="lowercase")],
        labels(a="FoO", b="foo"),
    ),
    (
        "uppercase joins sources",
        labels(a="foo", b="bar"),
        [rule(source_labels=["a", "b"], target_label="c", action="uppercase")],
        labels(a="foo", b="bar", c="FOO;BAR"),
    ),
    (
        "action names are case-insensitive",
        labels(a="foo"),
        [rule(source_labels=["a"], regex="foo", action="DROP")],
        None,
    ),
    ("inline flags", labels(a="FOO"), [rule(source_labels=["a"], regex="(?i)foo", action="drop")], None),
]


@pytest.mark.parametrize(
    ("name", "before", "rules", "expected"), RELABEL_CASES, ids=[c[0] for c in RELABEL_CASES]
)
def test_relabel_cases(
    name: str, before: Labels, rules: list[RelabelConfig], expected: Labels | None
) -> None:
    assert relabel(before, rules) == expected


def test_unchanged_labels_are_returned_as_is() -> None:
    before = labels(a="foo")
    assert relabel(before, [rule(source_labels=["a"], regex="f.*", action="keep")]) is before
    assert relabel(before, []) is before


def test_hashmod_is_md5_tail_big_endian() -> None:
    for value in ("baz", "foo\nbar", "", "10.0.0.1:9100", "ü"):
        digest = hashlib.md5(value.encode()).digest()
        expected = struct.unpack(">Q", digest[8:])[0] % 1000
        assert hashmod(value, 1000) == expected
    # Values from Prometheus's own relabel tests.
    assert hashmod("baz", 1000) == 976
    assert hashmod("foo\nbar", 1000) == 734
    out = relabel(
        labels(c="baz"), [rule(source_labels=["c"], target_label="d", modulus=1000, action="hashmod")]
    )
    assert out == labels(c="baz", d="976")


def test_go_case_mapping_is_per_character() -> None:
    assert go_upper("straße") == "STRAßE"
    assert go_lower("ÀB") == "àb"
    assert "straße".upper() != go_upper("straße")


VALIDATION_CASES = [
    ({"action": "hashmod", "target_label": "x"}, "requires non-zero modulus"),
    ({"action": "replace"}, "requires 'target_label' value"),
    ({"action": "lowercase", "source_labels": ("a",)}, "requires 'target_label' value"),
    ({"action": "uppercase", "target_label": "b", "replacement": "x"}, "'replacement' can not be set"),
    ({"action": "keepequal", "target_label": "b", "regex": "x"}, "requires only 'source_labels'"),
    ({"action": "dropequal", "target_label": "b", "separator": ","}, "requires only 'source_labels'"),
    ({"action": "labeldrop", "regex": "a", "source_labels": ("a",)}, "requires only 'regex'"),
    ({"action": "labelkeep", "regex": "a", "target_label": "b"}, "requires only 'regex'"),
    (
        {"action": "labelmap", "replacement": "bad-name", "name_validation_scheme": "legacy"},
        "invalid 'replacement'",
    ),
    (
        {"action": "replace", "target_label": "bad-name", "name_validation_scheme": "legacy"},
        "invalid 'target_label'",
    ),
    (
        {"action": "hashmod", "target_label": "$1", "modulus": 2, "name_validation_scheme": "legacy"},
        "invalid 'target_label'",
    ),
    ({"action": "explode"}, 'unknown relabel action "explode"'),
    ({"action": "drop", "regex": "(a)\\1"}, "invalid escape sequence"),
    ({"action": "drop", "regex": "(?=a)"}, "invalid or unsupported Perl syntax"),
    ({"action": "replace", "target_label": "x", "name_validation_scheme": "ascii"}, "validation method"),
]


@pytest.mark.parametrize(("fields", "message"), VALIDATION_CASES)
def test_invalid_rules_are_config_errors(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        RelabelConfig(**fields)


def test_legacy_target_may_hold_variables() -> None:
    cfg = RelabelConfig(
        source_labels=("a",),
        regex="(.*)",
        target_label="x_${1}",
        name_validation_scheme=NameValidation.LEGACY,
    )
    assert relabel(labels(a="b"), [cfg]) == labels(a="b", x_b="b")
    assert cfg.action is Action.REPLACE


def test_relabel_many_matches_relabel_and_reuses_results() -> None:
    rules = [
        rule(source_labels=["__name__"], regex="go_.*", action="drop"),
        rule(source_labels=["instance"], regex="(.*):.*", target_label="host"),
    ]
    series = [
        labels(__name__="go_gc", instance="a:1"),
        labels(__name__="up", instance="a:1"),
        labels(__name__="up", instance="a:1"),
        labels(__name__="x", instance="b:2"),
    ]
    out = relabel_many(series, rules)
    assert out == [relabel(s, rules) for s in series]
    assert out[0] is None
    assert out[1] is out[2]
    assert relabel_many(series, []) == series


# A plain reference implementation over dicts and Python's `re`, for regexes where Go and Python agree.
def reference_relabel(before: Labels, rules: list[RelabelConfig]) -> Labels | None:
    current = before.to_dict()
    for cfg in rules:
        value = cfg.separator.join(current.get(name, "") for name in cfg.source_labels)
        pattern = re.compile(cfg.regex, re.DOTALL)
        if cfg.action is Action.DROP and pattern.fullmatch(value):
            return None
        if cfg.action is Action.KEEP and not pattern.fullmatch(value):
            return None
        if cfg.action is Action.REPLACE and (found := pattern.fullmatch(value)):
            group = (found.group(1) or "") if pattern.groups else ""
            current[cfg.target_label] = cfg.replacement.replace("$1", group)
        if cfg.action is Action.LABELDROP:
            current = {k: v for k, v in current.items() if not pattern.fullmatch(k)}
        if cfg.action is Action.LABELKEEP:
            current = {k: v for k, v in current.items() if pattern.fullmatch(k)}
        if cfg.action is Action.HASHMOD:
            digest = hashlib.md5(value.encode()).digest()
            current[cfg.target_label] = str(struct.unpack(">Q", digest[8:])[0] % cfg.modulus)
        current = {k: v for k, v in current.items() if v}
    return Labels(current.items())


NAMES = ["a", "b", "c", "tmp_a"]
REGEXES = ["(.*)", "a.*", "(b|c)x?", "tmp_.*", "", "(x*)y"]
rule_strategy = st.one_of(
    st.builds(
        lambda s, r: rule(source_labels=s, regex=r, action="drop"),
        st.lists(st.sampled_from(NAMES), max_size=2),
        st.sampled_from(REGEXES),
    ),
    st.builds(
        lambda s, r: rule(source_labels=s, regex=r, action="keep"),
        st.lists(st.sampled_from(NAMES), max_size=2),
        st.sampled_from(REGEXES),
    ),
    st.builds(
        lambda s, r, t, p: rule(source_labels=s, regex=r, target_label=t, replacement=p),
        st.lists(st.sampled_from(NAMES), min_size=1, max_size=2),
        st.sampled_from(REGEXES),
        st.sampled_from(NAMES),
        st.sampled_from(["$1", "x$1", "", "k"]),
    ),
    st.builds(lambda r: rule(regex=r, action="labeldrop"), st.sampled_from(REGEXES)),
    st.builds(lambda r: rule(regex=r, action="labelkeep"), st.sampled_from(REGEXES)),
    st.builds(
        lambda s, t, m: rule(source_labels=s, target_label=t, modulus=m, action="hashmod"),
        st.lists(st.sampled_from(NAMES), min_size=1, max_size=2),
        st.sampled_from(NAMES),
        st.integers(1, 10),
    ),
)
label_sets = st.dictionaries(st.sampled_from(NAMES), st.sampled_from(["", "a", "ab", "bx", "c", "xy", "y"]))


@settings(max_examples=300, deadline=None)
@given(label_sets, st.lists(rule_strategy, max_size=4))
def test_relabel_equals_reference(pairs: dict[str, str], rules: list[RelabelConfig]) -> None:
    before = Labels(pairs.items())
    assert relabel(before, rules) == reference_relabel(before, rules)
    # Second run hits the memoised regex results and must agree.
    assert relabel(before, rules) == reference_relabel(before, rules)


def test_relabel_cache_remembers_and_stays_bounded() -> None:
    rules = [rule(source_labels=["a"], regex="(.*)", target_label="b", replacement="x$1")]
    cache = RelabelCache(rules, max_entries=2)
    first = cache.relabel(labels(a="1"))
    assert first == labels(a="1", b="x1")
    assert cache.relabel(labels(a="1")) is first
    many = cache.relabel_many([labels(a="2"), labels(a="3"), labels(a="1")])
    assert many == [relabel(labels(a=v), rules) for v in "231"]
    assert len(cache._results) <= 2


def test_relabel_many_results_are_shared_across_calls() -> None:
    rules = [rule(source_labels=["a"], regex="(.*)", target_label="b", replacement="y$1")]
    first = relabel_many([labels(a="1")], rules)[0]
    again = relabel_many([labels(a="1")], list(rules))[0]
    assert first == labels(a="1", b="y1")
    assert again is first


def test_names_with_variables_follow_the_scheme() -> None:
    # UTF-8 names (Prometheus 3's default) allow targets a legacy scheme refuses.
    RelabelConfig(action=Action.LOWERCASE, target_label="${3}")
    RelabelConfig(source_labels=("a",), regex="x-(.*)", target_label="0${1}")
    legacy = NameValidation.LEGACY
    for target in ("0${1}", "-${1}"):
        with pytest.raises(ConfigError, match="invalid 'target_label' for replace action"):
            RelabelConfig(
                source_labels=("a",), regex="x-(.*)", target_label=target, name_validation_scheme=legacy
            )
    RelabelConfig(
        regex="__meta_(.+)", action=Action.LABELMAP, replacement="${1}", name_validation_scheme=legacy
    )


def test_go_named_group_syntax_in_target_and_replacement() -> None:
    pattern = "(first).*(?<second>second)"
    rules = [
        rule(source_labels=["a"], regex=pattern, target_label="x_${1}", replacement="v_${second}"),
        rule(source_labels=["a"], regex=pattern, target_label="y_$1", replacement="v_$second"),
    ]
    before = labels(a="first\nsecond")
    assert relabel(before, rules) == labels(a="first\nsecond", x_first="v_second", y_first="v_second")
