"""Target groups, and reading them from file-SD and HTTP-SD documents (Prometheus's JSON/YAML format)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from io import StringIO
from typing import Any

from ruamel.yaml import YAML

from ember.errors import BadDataError
from ember.model.labels import Labels


@dataclass(frozen=True)
class DiscoveredGroup:
    """Targets sharing labels, from one source (`source` identifies it across refreshes)."""

    source: str
    targets: tuple[Labels, ...]  # each with at least __address__
    labels: Labels = field(default_factory=Labels)


def groups_from_document(data: Any, source: str, extra: dict[str, str] | None = None) -> list[DiscoveredGroup]:
    """`[{"targets": [...], "labels": {...}}, ...]` as file SD and HTTP SD serve it."""
    if not isinstance(data, list):
        raise BadDataError(f"{source}: expected a list of target groups")
    groups = []
    for index, entry in enumerate(data):
        if not isinstance(entry, dict) or not isinstance(entry.get("targets", []), list):
            raise BadDataError(f"{source}: group {index}: expected targets as a list")
        labels = entry.get("labels") or {}
        if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
            raise BadDataError(f"{source}: group {index}: labels must map names to strings")
        merged = {**labels, **(extra or {})}
        targets = tuple(Labels([("__address__", str(t))]) for t in entry.get("targets") or [])
        groups.append(DiscoveredGroup(f"{source}:{index}", targets, Labels(merged.items())))
    return groups


def parse_document(text: str, source: str) -> Any:
    """JSON for `.json` files, YAML otherwise (as Prometheus's file SD decides by extension)."""
    try:
        if source.endswith(".json"):
            return json.loads(text)
        return YAML(typ="safe").load(StringIO(text))
    except Exception as exc:  # both parsers raise assorted types on malformed input
        raise BadDataError(f"{source}: {exc}") from exc


def static_groups(job: str, groups: Sequence[Any]) -> list[DiscoveredGroup]:
    return [
        DiscoveredGroup(f"static/{job}/{i}", tuple(Labels([("__address__", t)]) for t in g.targets), g.labels)
        for i, g in enumerate(groups)
    ]
