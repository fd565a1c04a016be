"""The scrape manager: pools from configuration, file discovery, reload keeping untouched loops."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from ember.config.loader import load_config_text
from ember.scrape.manager import ScrapeManager
from ember.testing import ReferenceStorage


def _config(tmp_path: Path, jobs: str) -> object:
    return load_config_text(f"global:\n  scrape_interval: 1h\nscrape_configs:\n{jobs}", directory=str(tmp_path))


STATIC = "  - job_name: static\n    static_configs:\n      - targets: ['127.0.0.1:1', '127.0.0.1:2']\n"


def test_reload_keeps_untouched_loops_and_replaces_changed_pools(tmp_path: Path) -> None:
    async def scenario() -> None:
        manager = ScrapeManager(ReferenceStorage())
        await manager.apply_config(_config(tmp_path, STATIC))  # type: ignore[arg-type]
        loops = dict(manager.pools["static"].loops)
        assert len(loops) == 2
        other = "  - job_name: other\n    static_configs:\n      - targets: ['127.0.0.1:3']\n"
        await manager.apply_config(_config(tmp_path, STATIC + other))  # type: ignore[arg-type]
        assert manager.pools["static"].loops == loops  # the very same loop objects
        assert {s.scrape_pool for s in manager.active_targets()} == {"static", "other"}
        await manager.apply_config(_config(tmp_path, other))  # type: ignore[arg-type]
        assert set(manager.pools) == {"other"}
        await manager.stop()

    asyncio.run(scenario())


def test_file_discovery_and_relabelling(tmp_path: Path) -> None:
    targets = tmp_path / "targets.json"
    targets.write_text(json.dumps([{"targets": ["127.0.0.1:7", "127.0.0.1:8"], "labels": {"team": "a"}}]))
    jobs = (f"  - job_name: files\n    file_sd_configs:\n      - files: ['{targets}']\n"
            "    relabel_configs:\n      - source_labels: [__address__]\n        regex: '.*:8'\n        action: drop\n")

    async def scenario() -> None:
        manager = ScrapeManager(ReferenceStorage())
        await manager.apply_config(_config(tmp_path, jobs))  # type: ignore[arg-type]
        for _ in range(50):
            if manager.active_targets():
                break
            await asyncio.sleep(0.05)
        (state,) = manager.active_targets()
        assert state.labels.get("team") == "a" and state.labels.get("instance") == "127.0.0.1:7"
        assert state.discovered_labels.get("__meta_filepath") == str(targets)
        assert [labels.get("__address__") for _, labels in manager.dropped_targets()] == ["127.0.0.1:8"]
        targets.write_text(json.dumps([{"targets": ["127.0.0.1:9"]}]))
        for _ in range(60):
            if [s.labels.get("instance") for s in manager.active_targets()] == ["127.0.0.1:9"]:
                break
            await asyncio.sleep(0.05)
        assert [s.labels.get("instance") for s in manager.active_targets()] == ["127.0.0.1:9"]
        await manager.stop()

    asyncio.run(scenario())
