"""The notifier over HTTPS: the Alertmanager config's `tls_config` decides whom it trusts."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ember.config.loader import load_config_text
from ember.notifier import Notifier
from tests.certificates import OPENSSL, self_signed_certificate
from tests.notifier.fake_alertmanager import FakeAlertmanager, wait_until
from tests.notifier.sample_alerts import firing_alert

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(OPENSSL is None, reason="openssl is needed to make a test certificate"),
]


def test_tls_config_decides_trust(tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path)

    async def scenario() -> None:
        async with FakeAlertmanager(tls=(cert, key)) as am:
            url = f"https://{am.address}/api/v2/alerts"
            entry = f"    - scheme: https\n      static_configs:\n        - targets: ['{am.address}']\n"
            settings = load_config_text(
                "alerting:\n  alertmanagers:\n"
                + entry + f"      tls_config: {{ca_file: {cert}}}\n"
                + entry
                + entry + "      tls_config: {insecure_skip_verify: true}\n"
            ).alerting_config
            notifier = Notifier(settings, {})
            await notifier.start()
            try:
                notifier.send([firing_alert("Secure")])
                await wait_until(lambda: notifier.metrics.latency_count.get(url) == 3)
            finally:
                await notifier.stop()
            # Trusted through ca_file and through insecure_skip_verify; refused with the system's CAs.
            assert notifier.metrics.sent == {url: 2.0} and notifier.metrics.errors == {url: 1.0}
            assert len(am.posts) == 2

    asyncio.run(scenario())
