"""The notifier against a real Alertmanager (Debian `prometheus-alertmanager`): a firing alert arrives
and is active; its resolution arrives and it leaves the active list."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ember.config.loader import load_config_text
from ember.notifier import Notifier
from tests.local_servers import free_port
from tests.notifier.sample_alerts import firing_alert, resolved_alert

ALERTMANAGER = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"
pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(
        not Path(ALERTMANAGER).exists(),
        reason="prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)",
    ),
]
MINIMAL_CONFIG = 'route:\n  receiver: "null"\nreceivers:\n  - name: "null"\n'




@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[str]:
    """A running Alertmanager on a free loopback port, killed afterwards; yields its host:port."""
    config = tmp_path / "alertmanager.yml"
    config.write_text(MINIMAL_CONFIG)
    address = f"127.0.0.1:{free_port()}"
    log = (tmp_path / "alertmanager.log").open("wb")
    process = subprocess.Popen(
        [ALERTMANAGER, f"--config.file={config}", f"--storage.path={tmp_path / 'data'}",
         "--cluster.listen-address=", f"--web.listen-address={address}"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 8
        while True:
            if process.poll() is not None:
                pytest.fail(f"Alertmanager exited: {(tmp_path / 'alertmanager.log').read_text()}")
            try:
                if httpx.get(f"http://{address}/-/ready", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("Alertmanager did not become ready in 8 s")
            time.sleep(0.05)
        yield address
    finally:
        process.kill()
        process.wait(timeout=5)
        log.close()


async def _alerts_named(client: httpx.AsyncClient, address: str, name: str) -> list[dict[str, object]]:
    response = await client.get(f"http://{address}/api/v2/alerts", params={"filter": f'alertname="{name}"'})
    response.raise_for_status()
    alerts: list[dict[str, object]] = response.json()
    return alerts


async def _poll(client: httpx.AsyncClient, address: str, name: str, want_count: int) -> list[dict[str, object]]:
    deadline = time.monotonic() + 5
    while True:
        alerts = await _alerts_named(client, address, name)
        if len(alerts) == want_count or time.monotonic() > deadline:
            return alerts
        await asyncio.sleep(0.05)


def test_alert_arrives_and_resolves_in_a_real_alertmanager(alertmanager: str) -> None:
    settings = load_config_text(
        f"alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['{alertmanager}']\n"
    ).alerting_config

    async def scenario() -> None:
        notifier = Notifier(settings, {"cluster": "test"})
        await notifier.start()
        try:
            async with httpx.AsyncClient() as client:
                notifier.send([firing_alert("EmberTargetDown", job="node")])
                (alert,) = await _poll(client, alertmanager, "EmberTargetDown", 1)
                assert alert["status"]["state"] == "active"  # type: ignore[index]
                assert alert["labels"] == {"alertname": "EmberTargetDown", "job": "node", "cluster": "test"}
                assert alert["annotations"] == {"summary": "EmberTargetDown is firing"}
                assert alert["generatorURL"] == "http://ember.example:9090/graph?g0.expr=up"

                notifier.send([resolved_alert("EmberTargetDown", job="node")])
                assert await _poll(client, alertmanager, "EmberTargetDown", 0) == []
        finally:
            await notifier.stop()
        url = f"http://{alertmanager}/api/v2/alerts"
        assert notifier.metrics.sent == {url: 2.0} and notifier.metrics.errors == {}

    asyncio.run(scenario())
