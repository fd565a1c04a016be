"""Every page besides the expression browser, in headless Chromium: reached through the navigation bar,
showing what the API returns (targets, alerts, rules, service discovery, status, flags, config, TSDB)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api", reason="browser tests need the pip package playwright")
from playwright.sync_api import Page, expect

from tests.ui.served_app import MANY_SERIES, RunningServer

STATUS_MENU = "Status ▾"


def open_from_status_menu(page: Page, link: str) -> None:
    page.get_by_role("button", name=STATUS_MENU).click()
    page.locator(".dropdown-menu").get_by_role("link", name=link, exact=True).click()
    expect(page.locator(".dropdown-menu")).to_be_hidden()


def test_root_redirects_to_graph(page: Page) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/graph(\?.*)?$"))
    expect(page.get_by_role("button", name="Execute")).to_be_visible()


def test_targets_health_labels_and_filters(page: Page, artifacts: Path) -> None:
    page.goto("/graph")
    open_from_status_menu(page, "Targets")
    expect(page).to_have_url(re.compile(r"/targets$"))
    rows = page.locator(".target-row")
    expect(rows).to_have_count(3)
    expect(page.locator(".pool h3").filter(has_text="node")).to_contain_text("(1/2 up)")
    down = rows.filter(has_text="node-b:9100")
    expect(down.locator(".badge.state-down")).to_have_text("DOWN")
    expect(down.locator(".scrape-error")).to_contain_text("connection refused")
    expect(down).to_contain_text("ago")
    expect(down).to_contain_text("12.300ms")
    down.get_by_role("button", name="show labels before relabelling").click()
    expect(down.locator(".discovered")).to_contain_text('__meta_filepath="targets.json"')
    page.screenshot(path=artifacts / "targets.png", full_page=True)

    page.locator("input[name=health-up]").uncheck()
    expect(rows).to_have_count(1)
    page.locator("input[name=health-up]").check()
    page.get_by_placeholder("Filter by endpoint or labels").fill("localhost")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("localhost:9090")


def test_alerts_pending_and_firing(page: Page, artifacts: Path) -> None:
    page.goto("/graph")
    page.get_by_role("link", name="Alerts", exact=True).click()
    firing = page.locator("section.alert-rule.rule-firing")
    expect(firing).to_contain_text("HighTemperature")
    expect(firing.locator(".alert-row")).to_contain_text('room="cellar"')
    expect(firing.locator(".alert-row")).to_contain_text("cellar is too warm")
    expect(firing.locator(".alert-row")).to_contain_text("2026-01-01T10:00:00Z")
    pending = page.locator("section.alert-rule.rule-pending")
    expect(pending.locator(".alert-row .badge.state-pending")).to_have_text("PENDING")
    expect(page.locator("section.alert-rule.rule-inactive")).to_contain_text("Quiet")
    page.screenshot(path=artifacts / "alerts.png", full_page=True)

    page.locator("input[name=state-inactive]").uncheck()
    expect(page.locator("section.alert-rule")).to_have_count(2)


def test_rules_health_and_errors(page: Page, artifacts: Path) -> None:
    page.goto("/graph")
    open_from_status_menu(page, "Rules")
    rows = page.locator(".rule-row")
    expect(rows).to_have_count(4)
    failing = rows.filter(has_text="record: job:demo_requests:rate5m")
    expect(failing.locator(".badge.state-err")).to_have_text("ERR")
    expect(failing.locator(".rule-error")).to_have_text("many-to-many matching not allowed")
    expect(rows.first).to_contain_text("ago")
    page.screenshot(path=artifacts / "rules.png", full_page=True)


def test_service_discovery_shows_dropped_targets(page: Page, artifacts: Path) -> None:
    page.goto("/graph")
    open_from_status_menu(page, "Service Discovery")
    node = page.locator("section#pool-node")
    expect(node.locator("tbody tr")).to_have_count(3)
    expect(node.locator(".badge.dropped")).to_have_count(1)
    expect(page.locator(".pool-summary")).to_contain_text("node (2 / 3 active targets)")
    page.screenshot(path=artifacts / "service-discovery.png", full_page=True)


@pytest.mark.parametrize(
    ("link", "path", "expected"),
    [
        ("Runtime & Build Information", "/status", "python"),
        ("TSDB Status", "/tsdb-status", f"demo_many{MANY_SERIES}"),
        ("Command-Line Flags", "/flags", "storage.tsdb.path"),
        ("Configuration", "/config", "scrape_interval: 15s"),
    ],
)
def test_status_menu_pages(page: Page, server: RunningServer, artifacts: Path, link: str, path: str,
                           expected: str) -> None:
    page.goto("/graph")
    open_from_status_menu(page, link)
    expect(page).to_have_url(f"{server.url}{path}")
    expect(page.locator("main")).to_contain_text(expected)
    expect(page.locator("main .alert.error")).to_have_count(0)
    page.screenshot(path=artifacts / f"{path.strip('/')}.png", full_page=True)
