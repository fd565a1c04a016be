"""The notifier against fake Alertmanagers: batching, queue overflow, relabelling, external labels, auth,
timeouts and error responses counted, reload, metrics, shutdown drain."""

from __future__ import annotations

import asyncio
import base64
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from ember.config.loader import load_config_text
from ember.config.prometheus import AlertingConfig
from ember.errors import ConfigError
from ember.notifier import MAX_BATCH_SIZE, Notifier
from tests.notifier.fake_alertmanager import FakeAlertmanager, wait_until
from tests.notifier.sample_alerts import firing_alert

pytestmark = pytest.mark.server


def _alerting(body: str) -> AlertingConfig:
    return load_config_text("alerting:\n" + body).alerting_config


def _static(*addresses: str, extra: str = "") -> str:
    targets = ", ".join(f"'{a}'" for a in addresses)
    return f"    - static_configs:\n        - targets: [{targets}]\n{extra}"


def _names(alerts: list[dict[str, object]]) -> list[str]:
    return [a["labels"]["alertname"] for a in alerts]  # type: ignore[index]


def test_alerts_go_out_in_batches_of_at_most_64() -> None:
    async def scenario() -> None:
        async with FakeAlertmanager() as am:
            notifier = Notifier(_alerting("  alertmanagers:\n" + _static(am.address)), {})
            notifier.send([firing_alert(f"A{i}") for i in range(150)])
            await notifier.start()
            try:
                await wait_until(lambda: len(am.alerts) == 150)
            finally:
                await notifier.stop()
            assert [len(p.alerts) for p in am.posts] == [MAX_BATCH_SIZE, MAX_BATCH_SIZE, 22]
            assert _names(am.alerts) == [f"A{i}" for i in range(150)]
            assert {p.path for p in am.posts} == {"/api/v2/alerts"}
            assert am.posts[0].headers["content-type"] == "application/json"
            url = f"http://{am.address}/api/v2/alerts"
            assert notifier.metrics.sent == {url: 150.0} and notifier.metrics.dropped == 0

    asyncio.run(scenario())


def test_queue_overflow_drops_the_oldest_and_counts_them() -> None:
    async def scenario() -> None:
        async with FakeAlertmanager() as am:
            notifier = Notifier(_alerting("  alertmanagers:\n" + _static(am.address)), {}, queue_capacity=10)
            notifier.send([firing_alert(f"A{i}") for i in range(7)])
            notifier.send([firing_alert(f"B{i}") for i in range(8)])
            assert notifier.queue_length == 10 and notifier.metrics.dropped == 5
            notifier.send([firing_alert(f"C{i}") for i in range(12)])  # larger than the whole queue
            assert notifier.metrics.dropped == 17
            await notifier.start()
            try:
                await wait_until(lambda: len(am.alerts) == 10)
            finally:
                await notifier.stop()
            assert _names(am.alerts) == [f"C{i}" for i in range(2, 12)]

    asyncio.run(scenario())


def test_relabelling_and_external_labels() -> None:
    async def scenario() -> None:
        async with FakeAlertmanager() as all_am, FakeAlertmanager() as critical_am:
            settings = _alerting(
                "  alert_relabel_configs:\n"
                "    - source_labels: [severity]\n      regex: debug\n      action: drop\n"
                "  alertmanagers:\n" + _static(all_am.address) + _static(
                    critical_am.address,
                    extra="      alert_relabel_configs:\n"
                    "        - source_labels: [severity]\n          regex: critical\n          action: keep\n",
                )
            )
            notifier = Notifier(settings, {"region": "eu", "replica": "a"})
            await notifier.start()
            try:
                notifier.send([
                    firing_alert("Debug", severity="debug"),
                    firing_alert("Warn", severity="warning", region="us"),
                    firing_alert("Crit", severity="critical"),
                ])
                await wait_until(lambda: len(all_am.alerts) == 2 and len(critical_am.alerts) == 1)
            finally:
                await notifier.stop()
            warn, crit = all_am.alerts
            assert warn["labels"] == {"alertname": "Warn", "severity": "warning", "region": "us", "replica": "a"}
            assert crit["labels"]["region"] == "eu"
            assert critical_am.alerts == [crit]

    asyncio.run(scenario())


def test_basic_auth_and_authorization_headers(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text("s3cret\n")

    async def scenario() -> None:
        async with FakeAlertmanager() as basic_am, FakeAlertmanager() as bearer_am:
            settings = _alerting(
                "  alertmanagers:\n"
                + _static(basic_am.address, extra="      basic_auth: {username: ember, password: pw}\n")
                + _static(bearer_am.address, extra=f"      authorization: {{credentials_file: {secret}}}\n")
            )
            notifier = Notifier(settings, {})
            await notifier.start()
            try:
                notifier.send([firing_alert("A")])
                await wait_until(lambda: bool(basic_am.posts and bearer_am.posts))
            finally:
                await notifier.stop()
            expected_basic = "Basic " + base64.b64encode(b"ember:pw").decode()
            assert basic_am.posts[0].headers["authorization"] == expected_basic
            assert bearer_am.posts[0].headers["authorization"] == "Bearer s3cret"

    asyncio.run(scenario())


def test_timeouts_and_error_statuses_are_counted_without_crashing() -> None:
    async def scenario() -> None:
        async with FakeAlertmanager(delay_s=2.0) as slow, FakeAlertmanager(status=503) as failing, \
                FakeAlertmanager() as healthy:
            settings = _alerting(
                "  alertmanagers:\n"
                + _static(slow.address, extra="      timeout: 100ms\n")
                + _static(failing.address, healthy.address)
            )
            notifier = Notifier(settings, {}, drain_timeout_s=1.0)
            slow_url, failing_url, healthy_url = (
                f"http://{am.address}/api/v2/alerts" for am in (slow, failing, healthy)
            )
            await notifier.start()
            try:
                notifier.send([firing_alert("A"), firing_alert("B")])
                await wait_until(lambda: notifier.metrics.errors.get(slow_url) == 2)
                await wait_until(lambda: notifier.metrics.sent.get(healthy_url) == 2)
                assert notifier.metrics.errors[failing_url] == 2
                # The slow set reached none of its Alertmanagers, so the batch counts as dropped.
                assert notifier.metrics.dropped == 2
                notifier.send([firing_alert("C")])
                await wait_until(lambda: notifier.metrics.latency_count.get(slow_url) == 2)
                assert notifier.metrics.sent[healthy_url] == 3 and notifier.metrics.errors[slow_url] == 3
            finally:
                await notifier.stop()

    asyncio.run(scenario())


def test_unreachable_alertmanager_is_an_error_not_a_crash() -> None:
    async def scenario() -> None:
        async with FakeAlertmanager() as am:
            closed_port_address = am.address
        notifier = Notifier(_alerting("  alertmanagers:\n" + _static(closed_port_address)), {})
        await notifier.start()
        try:
            notifier.send([firing_alert("A")])
            await wait_until(lambda: notifier.metrics.dropped == 1)
        finally:
            await notifier.stop()
        assert notifier.metrics.errors == {f"http://{closed_port_address}/api/v2/alerts": 1.0}

    asyncio.run(scenario())


def test_path_prefix_reaches_the_alertmanager() -> None:
    async def scenario() -> None:
        async with FakeAlertmanager() as am:
            notifier = Notifier(_alerting("  alertmanagers:\n" + _static(am.address, extra="      path_prefix: /am\n")),
                                {})
            await notifier.start()
            try:
                notifier.send([firing_alert("A")])
                await wait_until(lambda: bool(am.posts))
            finally:
                await notifier.stop()
            assert am.posts[0].path == "/am/api/v2/alerts"

    asyncio.run(scenario())


def test_send_from_another_thread_wakes_the_sender() -> None:
    async def scenario() -> None:
        async with FakeAlertmanager() as am:
            notifier = Notifier(_alerting("  alertmanagers:\n" + _static(am.address)), {})
            await notifier.start()
            try:
                worker = threading.Thread(target=notifier.send, args=([firing_alert("FromThread")],))
                worker.start()
                worker.join()
                await wait_until(lambda: _names(am.alerts) == ["FromThread"])
            finally:
                await notifier.stop()

    asyncio.run(scenario())


def test_reload_keeps_the_queue_and_unchanged_sets() -> None:
    async def scenario() -> None:
        async with FakeAlertmanager() as first, FakeAlertmanager() as second:
            notifier = Notifier(_alerting("  alertmanagers:\n" + _static(first.address)), {"env": "old"})
            notifier.send([firing_alert("Queued")])
            await notifier.apply_config(_alerting("  alertmanagers:\n" + _static(second.address)), {"env": "new"})
            await notifier.start()
            try:
                await wait_until(lambda: _names(second.alerts) == ["Queued"])
                assert first.posts == []
                assert second.alerts[0]["labels"]["env"] == "old"  # labelled when it was queued
                (kept_set,) = notifier._sets
                both = _alerting("  alertmanagers:\n" + _static(second.address) + _static(first.address))
                await notifier.apply_config(both, {"env": "new"})
                assert notifier._sets[0] is kept_set
                assert notifier.alertmanagers() == (
                    [f"http://{second.address}/api/v2/alerts", f"http://{first.address}/api/v2/alerts"], []
                )
                notifier.send([firing_alert("AfterReload")])
                await wait_until(lambda: bool(first.alerts))
                assert first.alerts[0]["labels"]["env"] == "new"
            finally:
                await notifier.stop()

    asyncio.run(scenario())


def test_api_v1_is_refused_by_name() -> None:
    settings = _alerting("  alertmanagers:\n" + _static("am:9093"))
    v1 = AlertingConfig(alertmanagers=(replace(settings.alertmanagers[0], api_version="v1"),))
    with pytest.raises(ConfigError, match=r"api_version.*\[v2\] but got v1"):
        Notifier(v1, {})
    notifier = Notifier(settings, {})

    async def reload() -> None:
        with pytest.raises(ConfigError, match="api_version"):
            await notifier.apply_config(v1, {})

    asyncio.run(reload())
    assert notifier._settings is settings


def test_metrics_are_exposed_in_the_given_registry() -> None:
    async def scenario() -> dict[str, float | None]:
        registry = CollectorRegistry()
        async with FakeAlertmanager() as am:
            url = f"http://{am.address}/api/v2/alerts"
            notifier = Notifier(_alerting("  alertmanagers:\n" + _static(am.address)), {}, queue_capacity=3,
                                registry=registry)
            notifier.send([firing_alert(f"A{i}") for i in range(5)])
            queued = registry.get_sample_value("prometheus_notifications_queue_length")
            await notifier.start()
            try:
                await wait_until(lambda: len(am.alerts) == 3)
                labels = {"alertmanager": url}
                return {
                    "queued": queued,
                    "sent": registry.get_sample_value("prometheus_notifications_sent_total", labels),
                    "errors": registry.get_sample_value("prometheus_notifications_errors_total", labels),
                    "dropped": registry.get_sample_value("prometheus_notifications_dropped_total"),
                    "capacity": registry.get_sample_value("prometheus_notifications_queue_capacity"),
                    "discovered": registry.get_sample_value("prometheus_notifications_alertmanagers_discovered"),
                    "latency_count": registry.get_sample_value(
                        "prometheus_notifications_latency_seconds_count", labels),
                }
            finally:
                await notifier.stop()

    figures = asyncio.run(scenario())
    assert figures == {"queued": 3, "sent": 3, "errors": 0, "dropped": 2, "capacity": 3, "discovered": 1,
                       "latency_count": 1}


def test_stop_drains_what_is_queued() -> None:
    async def scenario() -> None:
        async with FakeAlertmanager() as am:
            notifier = Notifier(_alerting("  alertmanagers:\n" + _static(am.address)), {})
            await notifier.start()
            notifier.send([firing_alert(f"A{i}") for i in range(200)])
            await notifier.stop()
            assert len(am.alerts) == 200 and notifier.queue_length == 0

    asyncio.run(scenario())


def test_reload_with_an_unusable_client_keeps_the_running_sets(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeAlertmanager() as am:
            good = _alerting("  alertmanagers:\n" + _static(am.address))
            notifier = Notifier(good, {"env": "old"})
            await notifier.start()
            try:
                broken = _alerting("  alertmanagers:\n" + _static(
                    am.address, extra=f"      tls_config: {{ca_file: {tmp_path / 'missing.pem'}}}\n"))
                with pytest.raises(ConfigError, match=r"missing\.pem"):
                    await notifier.apply_config(broken, {"env": "new"})
                notifier.send([firing_alert("StillWorks")])
                await wait_until(lambda: bool(am.alerts))
                assert am.alerts[0]["labels"]["env"] == "old"
            finally:
                await notifier.stop()

    asyncio.run(scenario())
