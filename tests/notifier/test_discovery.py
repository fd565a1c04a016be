"""Alertmanager discovery: URLs from static and file groups, path prefix, relabelling, dropped targets."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

from ember.config.loader import load_config_text
from ember.config.prometheus import AlertmanagerConfig
from ember.discovery.target_groups import DiscoveredGroup
from ember.model.labels import Labels
from ember.notifier.discovery import AlertmanagerSet, alertmanagers_from_group, alerts_path
from tests.notifier.fake_alertmanager import wait_until

LOG = logging.getLogger("test.notifier")


def _alertmanager_config(section: str, tmp_path: Path | None = None) -> AlertmanagerConfig:
    text = "alerting:\n  alertmanagers:\n" + section
    config = load_config_text(text, directory=str(tmp_path) if tmp_path else None)
    return config.alerting_config.alertmanagers[0]


def test_alerts_path_joins_and_cleans_the_prefix() -> None:
    assert alerts_path("") == "/api/v2/alerts"
    assert alerts_path("/am/") == "/am/api/v2/alerts"
    assert alerts_path("am//x/../y") == "/am/y/api/v2/alerts"


def test_static_targets_with_scheme_and_prefix() -> None:
    config = _alertmanager_config(
        "    - scheme: https\n      path_prefix: /alertmanager\n"
        "      static_configs:\n        - targets: ['am1:9093', 'am2:9093']\n"
    )

    async def scenario() -> tuple[tuple[str, ...], tuple[str, ...]]:
        am_set = AlertmanagerSet("config-0", config, LOG)
        await am_set.start()
        await am_set.stop()
        return am_set.active, am_set.dropped

    active, dropped = asyncio.run(scenario())
    assert active == ("https://am1:9093/alertmanager/api/v2/alerts", "https://am2:9093/alertmanager/api/v2/alerts")
    assert dropped == ()


def test_relabelling_rewrites_address_scheme_and_path_and_drops() -> None:
    config = _alertmanager_config(
        "    - static_configs:\n        - targets: ['a:1', 'b:2', 'skip:3']\n          labels: {zone: z1}\n"
        "      relabel_configs:\n"
        "        - source_labels: [__address__]\n          regex: 'skip:.*'\n          action: drop\n"
        "        - source_labels: [zone]\n          target_label: __alerts_path__\n"
        "          replacement: /$1/api/v2/alerts\n"
        "        - source_labels: [__address__]\n          regex: 'b:.*'\n          target_label: __scheme__\n"
        "          replacement: https\n"
    )
    group = DiscoveredGroup("g", tuple(Labels([("__address__", t)]) for t in ("a:1", "b:2", "skip:3")),
                            Labels([("zone", "z1")]))
    kept, dropped = alertmanagers_from_group(group, config)
    assert [(k.get("__scheme__"), k.get("__address__"), k.get("__alerts_path__")) for k in kept] == [
        ("http", "a:1", "/z1/api/v2/alerts"),
        ("https", "b:2", "/z1/api/v2/alerts"),
    ]
    # Dropped Alertmanagers are reported with their labels before relabelling.
    assert [d.to_dict() for d in dropped] == [
        {"__address__": "skip:3", "__scheme__": "http", "__alerts_path__": "/api/v2/alerts", "zone": "z1"}
    ]


def test_duplicates_are_merged_and_bad_addresses_reject_their_group() -> None:
    config = _alertmanager_config("    - static_configs:\n        - targets: ['a:1']\n")

    async def scenario() -> tuple[str, ...]:
        am_set = AlertmanagerSet("config-0", config, LOG)
        await am_set.publish("one", [DiscoveredGroup("x", (Labels([("__address__", "a:1")]),))])
        await am_set.publish("two", [
            DiscoveredGroup("y", (Labels([("__address__", "a:1")]),)),
            DiscoveredGroup("z", (Labels([("__address__", "c:1/path")]), Labels([("__address__", "d:1")]))),
        ])
        await am_set.stop()
        return am_set.active

    assert asyncio.run(scenario()) == ("http://a:1/api/v2/alerts",)


def test_file_discovery_follows_the_file(tmp_path: Path) -> None:
    targets = tmp_path / "alertmanagers.json"
    targets.write_text(json.dumps([{"targets": ["am1:9093"]}]))
    config = _alertmanager_config(f"    - file_sd_configs:\n        - files: ['{targets}']\n", tmp_path)

    async def scenario() -> None:
        am_set = AlertmanagerSet("config-0", config, LOG)
        await am_set.start()
        try:
            await wait_until(lambda: am_set.active == ("http://am1:9093/api/v2/alerts",))
            targets.write_text(json.dumps([{"targets": ["am2:9093", "am3:9093"]}]))
            await wait_until(lambda: len(am_set.active) == 2, timeout_s=5.0)
            assert am_set.active == ("http://am2:9093/api/v2/alerts", "http://am3:9093/api/v2/alerts")
        finally:
            await am_set.stop()

    asyncio.run(scenario())
