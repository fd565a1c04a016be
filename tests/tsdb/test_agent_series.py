"""The agent's series table and its record of forgotten series."""

from __future__ import annotations

import numpy as np
import pytest

from ember.errors import BadDataError, UnknownSeriesRefError
from ember.model.labels import Labels
from ember.storage.interface import MIN_TIME
from ember.tsdb.agent_series import AgentSeries, ForgottenSeries

A = Labels.from_strings("__name__", "a")
B = Labels.from_strings("__name__", "b")
C = Labels.from_strings("__name__", "c")


def test_refs_are_dense_stable_and_never_reused() -> None:
    series = AgentSeries()
    assert series.refs_for([A, B, A]).tolist() == [0, 1, 0]
    series.advance(np.array([0, 0, 1]), np.array([10, 20, 5]), np.array([1.0, 2.0, 3.0]))
    assert series.max_t[:2].tolist() == [20, 5]
    assert series.remove_older_than(10).tolist() == [1]
    assert len(series) == 1 and series.max_t[1] == MIN_TIME
    assert series.refs_for([B]).tolist() == [2]
    with pytest.raises(UnknownSeriesRefError):
        series.check_refs(np.array([1]))
    assert series.are_live(np.array([0, 1, 2, 7, -1])).tolist() == [True, False, True, False, False]
    with pytest.raises(BadDataError, match="empty labelset"):
        series.refs_for([Labels()])


def test_growing_past_the_initial_capacity_keeps_state() -> None:
    series = AgentSeries()
    many = [Labels.from_strings("__name__", "m", "i", str(i)) for i in range(3000)]
    refs = series.refs_for(many)
    series.advance(refs, np.full(3000, 7, np.int64), np.zeros(3000))
    assert len(series.max_t) >= 3000 and (series.max_t[:3000] == 7).all()
    assert series.labels_of(np.array([2999])) == [many[2999]]


def test_restore_reports_label_sets_already_known_under_another_ref() -> None:
    series = AgentSeries()
    assert series.restore(np.array([0, 4]), [A, B]) == {}
    assert series.next_ref == 5 and series.logged[[0, 4]].all()
    assert series.restore(np.array([6, 4]), [A, B]) == {6: 0}
    assert series.restore(np.array([2]), [C]) == {}  # a gap below the newest ref is filled
    assert series.refs_for([C]).tolist() == [2]
    assert series.refs_for([Labels.from_strings("__name__", "d")]).tolist() == [5]


def test_forgotten_series_are_owed_to_checkpoints_up_to_their_segment() -> None:
    forgotten = ForgottenSeries()
    forgotten.add(np.array([1, 2]), 3)
    forgotten.add(np.array([7]), 5)
    assert forgotten.after(3).tolist() == [7]
    assert forgotten.after(2).tolist() == [1, 2, 7]
    forgotten.drop_through(3)
    assert forgotten.refs.tolist() == [7]
