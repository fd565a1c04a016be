from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ember.model.labels import Labels

names = st.text(alphabet="abcxyz_", min_size=1, max_size=4)
values = st.text(max_size=5)


def test_sorted_by_name_and_empty_values_dropped() -> None:
    labels = Labels([("job", "api"), ("__name__", "up"), ("zone", "")])
    assert labels.flat == ("__name__", "up", "job", "api")
    assert labels.get("zone") == ""
    assert "zone" not in labels
    assert labels.metric_name == "up"


def test_repeated_name_is_refused() -> None:
    with pytest.raises(ValueError, match="repeated"):
        Labels([("a", "1"), ("a", "2")])


def test_immutable() -> None:
    labels = Labels.from_strings("a", "1")
    with pytest.raises(AttributeError):
        labels._flat = ()  # type: ignore[misc]


@given(st.dictionaries(names, values))
def test_equal_sets_are_equal_and_hash_alike(pairs: dict[str, str]) -> None:
    forward = Labels(pairs.items())
    backward = Labels(reversed(list(pairs.items())))
    assert forward == backward
    assert hash(forward) == hash(backward)
    assert pickle.loads(pickle.dumps(forward)) == forward


def test_ordering_compares_pairs() -> None:
    a = Labels.from_strings("__name__", "a", "x", "1")
    b = Labels.from_strings("__name__", "a", "x", "2")
    c = Labels.from_strings("__name__", "b")
    assert sorted([c, b, a]) == [a, b, c]


@given(st.lists(st.dictionaries(names, values, max_size=4), min_size=2, max_size=8))
def test_ordering_is_pairwise_comparison_then_length(dicts: list[dict[str, str]]) -> None:
    """Prometheus's labels.Compare: name, then value, pair by pair; a prefix sorts first."""
    labels = [Labels(d.items()) for d in dicts]
    pairs = [list(lb) for lb in labels]
    for i, left in enumerate(labels):
        for j, right in enumerate(labels):
            assert (left < right) == (pairs[i] < pairs[j])


def test_updates_and_removal() -> None:
    labels = Labels.from_strings("__name__", "up", "job", "a")
    assert labels.updated({"job": "b", "x": "y"}) == Labels.from_strings("__name__", "up", "job", "b", "x", "y")
    assert labels.updated({"job": ""}) == Labels.from_strings("__name__", "up")
    assert labels.without_metric_name() == Labels.from_strings("job", "a")
    assert labels.keep_only("job") == Labels.from_strings("job", "a")


def test_prometheus_text_form() -> None:
    labels = Labels.from_strings("__name__", "up", "job", 'a"b\\c\nd')
    assert str(labels) == 'up{job="a\\"b\\\\c\\nd"}'
    assert str(Labels.from_strings("__name__", "my.metric", "a", "b")) == '{__name__="my.metric", a="b"}'
