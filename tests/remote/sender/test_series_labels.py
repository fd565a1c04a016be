from __future__ import annotations

import numpy as np

from ember.model.labels import Labels
from ember.relabel import Action, RelabelConfig
from ember.remote.sender.series_labels import (
    DROPPED,
    UNKNOWN,
    SeriesLabels,
    encode_label_fields,
    with_external_labels,
)
from ember.remote.write_codec import decode_write_request, encode_field


def labels_at(table: SeriesLabels, ref: int) -> Labels:
    snapshot = table.table()
    fields = snapshot.blob[snapshot.start[ref] : snapshot.end[ref]].tobytes()
    return decode_write_request(encode_field(1, fields)).series[0]


def test_series_labels_win_over_external_labels() -> None:
    own = Labels.from_strings("job", "api", "__name__", "up")
    merged = with_external_labels(own, Labels.from_strings("job", "ext", "dc", "eu"))
    assert merged == Labels.from_strings("__name__", "up", "dc", "eu", "job", "api")


def test_store_relabels_once_and_lookup_classifies_refs() -> None:
    drop = RelabelConfig(source_labels=("job",), regex="drop-me", action=Action.DROP)
    table = SeriesLabels(Labels.from_strings("dc", "eu"), [drop])
    table.store(np.array([3, 5]), [Labels.from_strings("__name__", "a", "job", "x"),
                                   Labels.from_strings("__name__", "b", "job", "drop-me")], segment=0)
    assert table.lookup(np.array([3, 5, 4, 10_000, -1])).tolist()[1:] == [DROPPED, UNKNOWN, UNKNOWN, UNKNOWN]
    assert labels_at(table, 3) == Labels.from_strings("__name__", "a", "dc", "eu", "job", "x")
    # A ref seen again (from a checkpoint) keeps its encoded labels: refs are never reused.
    before = table.table().start[3]
    table.store(np.array([3]), [Labels.from_strings("__name__", "other")], segment=4)
    assert table.table().start[3] == before


def test_reset_forgets_series_one_checkpoint_late_and_compacts() -> None:
    table = SeriesLabels(Labels(), [])
    many = [Labels.from_strings("__name__", "m", "i", str(i) * 50) for i in range(200)]
    table.store(np.arange(200), many, segment=1)
    table.store(np.array([7]), [many[7]], segment=6)
    assert table.reset(5) == 0  # the first reset only marks the horizon
    assert table.reset(9) == 199  # series last seen before segment 5 go now
    assert table.lookup(np.array([7, 8])).tolist()[1] == UNKNOWN
    assert labels_at(table, 7) == many[7]
    assert len(table.table().blob) < 200 * 50


def test_encode_label_fields_round_trips() -> None:
    labels = Labels.from_strings("__name__", "x", "path", "/ä")
    assert decode_write_request(encode_field(1, encode_label_fields(labels))).series == [labels]
