"""The expression browser in headless Chromium: editor, Table and Graph tabs, legend, errors, URL state,
panels, and the time to first draw of a 500-series graph."""

from __future__ import annotations

import calendar
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import httpx
import pytest

pytest.importorskip("playwright.sync_api", reason="browser tests need the pip package playwright")
from playwright.sync_api import Page, expect

from tests.ui.served_app import MANY_SERIES, ROOMS, RunningServer

EDITOR = ".cm-content"


def type_query(page: Page, expr: str, panel: int = 0) -> None:
    editor = page.locator(EDITOR).nth(panel)
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(expr)
    page.keyboard.press("Escape")  # close the completion list so it does not cover anything


def url_params(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def await_url_param(page: Page, name: str, value: str) -> None:
    """Waits for the UI to write `name=value` into the URL (it does so just after rendering)."""
    expect(page).to_have_url(re.compile(re.escape(urlencode({name: value})) + "(&|$)"))


def hover_middle(page: Page) -> None:
    overlay = page.locator(".uplot .u-over").first
    overlay.wait_for(state="visible")
    box = overlay.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 3)


def inked_pixels(page: Page) -> int:
    """How many pixels of the graph's canvas are drawn on, so a blank canvas is told from a plotted one."""
    return int(page.evaluate("""() => {
        const canvas = document.querySelector('.graph-canvas canvas');
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let inked = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) inked++;
        return inked;
    }"""))


def test_query_shows_table_then_graph_with_every_series(page: Page, artifacts: Path) -> None:
    page.goto("/graph")
    type_query(page, "demo_temperature")
    page.get_by_role("button", name="Execute").click()
    rows = page.locator(".data-table tr")
    expect(rows).to_have_count(len(ROOMS))
    expect(rows.first).to_contain_text('demo_temperature{room=')

    page.get_by_role("button", name="Graph").click()
    expect(page.locator(".graph-canvas .uplot[data-drawn='1']")).to_be_visible()
    expect(page.locator(".legend-item")).to_have_count(len(ROOMS))
    assert inked_pixels(page) > 1000
    await_url_param(page, "g0.tab", "0")
    assert url_params(page)["g0.expr"] == ["demo_temperature"]
    hover_middle(page)
    expect(page.locator(".graph-hover")).to_contain_text("demo_temperature{room=")
    page.screenshot(path=artifacts / "graph.png", full_page=True)


def test_legend_toggles_series_and_hover_shows_a_value(page: Page) -> None:
    page.goto("/graph?g0.expr=demo_temperature&g0.tab=0&g0.range_input=30m")
    expect(page.locator(".uplot[data-drawn='1']")).to_be_visible()
    first = page.locator(".legend-item").first
    first.click()
    expect(first).to_have_class("legend-item legend-hidden")
    first.click()
    expect(first).to_have_class("legend-item")
    first.click(modifiers=["Control"])
    expect(page.locator(".legend-hidden")).to_have_count(len(ROOMS) - 1)
    page.get_by_role("button", name="stacked", exact=True).click()
    await_url_param(page, "g0.stacked", "1")
    expect(page.locator(".legend-hidden")).to_have_count(len(ROOMS) - 1)
    first.click(modifiers=["Control"])
    expect(page.locator(".legend-hidden")).to_have_count(0)
    expect(page.locator(".uplot[data-drawn='1']")).to_be_visible()
    hover_middle(page)
    expect(page.locator(".graph-hover")).to_contain_text("demo_temperature{room=")


def test_completion_offers_metric_names_labels_values_and_functions(page: Page) -> None:
    page.goto("/graph")
    completions = page.locator(".cm-tooltip-autocomplete")
    page.locator(EDITOR).click()
    page.keyboard.type("demo_te")
    expect(completions).to_contain_text("demo_temperature")
    page.wait_for_timeout(150)  # CodeMirror ignores Enter for 75 ms after the list opens (interactionDelay)
    page.keyboard.press("Enter")  # accepts the suggestion rather than running the query
    expect(page.locator(EDITOR)).to_have_text("demo_temperature")
    page.keyboard.type("{ro")
    expect(completions).to_contain_text("room")
    page.keyboard.type('om="')
    expect(completions).to_contain_text("cellar")
    type_query(page, "histogram_qu")
    page.keyboard.press("Backspace")
    page.keyboard.type("u")
    expect(completions).to_contain_text("histogram_quantile")


@pytest.mark.parametrize(("bad", "shot"), [
    ("demo_temperature +", "query-error.png"),  # a parse error
    ("demo_temperature + on() demo_temperature", None),  # an execution error (many-to-many matching)
])
def test_bad_query_shows_prometheus_error_and_keeps_state(page: Page, server: RunningServer, artifacts: Path,
                                                           bad: str, shot: str | None) -> None:
    page.goto("/graph?g0.expr=up&g0.tab=0&g0.range_input=2h&g0.step_input=60")
    type_query(page, bad)
    page.get_by_role("button", name="Execute").click()
    now = str(int(time.time()))
    expected = httpx.get(f"{server.url}/api/v1/query_range",
                         params={"query": bad, "start": now, "end": now, "step": "60"}).json()["error"]
    expect(page.get_by_role("alert")).to_have_text(f"Error executing query: {expected}")
    expect(page.locator(EDITOR)).to_have_text(bad)
    await_url_param(page, "g0.expr", bad)
    params = url_params(page)
    assert params["g0.range_input"] == ["2h"] and params["g0.step_input"] == ["60"]
    if shot:
        page.screenshot(path=artifacts / shot)


def test_url_state_restores_panels_and_add_remove(page: Page, artifacts: Path) -> None:
    page.goto("/graph?g0.expr=demo_requests_total&g0.tab=1&g1.expr=rate(demo_requests_total[5m])&g1.tab=0"
              "&g1.range_input=30m&g1.stacked=1")
    panels = page.locator(".panel")
    expect(panels).to_have_count(2)
    expect(panels.nth(0).locator(".data-table tr")).to_have_count(2)
    expect(panels.nth(1).locator(".uplot[data-drawn='1']")).to_be_visible()
    expect(panels.nth(1).locator(".range-input")).to_have_value("30m")
    expect(panels.nth(1).get_by_role("button", name="stacked", exact=True)).to_have_class("active")
    page.screenshot(path=artifacts / "panels-stacked.png", full_page=True)

    page.get_by_role("button", name="Add Panel").click()
    expect(panels).to_have_count(3)
    panels.nth(0).get_by_role("button", name="Remove panel").click()
    expect(panels).to_have_count(2)
    await_url_param(page, "g0.expr", "rate(demo_requests_total[5m])")
    params = url_params(page)
    assert params["g0.stacked"] == ["1"]
    assert "g2.expr" not in params


def test_time_to_first_draw_with_500_series(page: Page, artifacts: Path) -> None:
    page.goto("/graph?g0.expr=demo_many&g0.tab=0&g0.range_input=1h")
    expect(page.locator(".uplot[data-drawn='1']")).to_be_visible(timeout=30_000)
    expect(page.locator(".legend-item")).to_have_count(MANY_SERIES)
    query_ms, draw_ms = page.evaluate("""() => [
        performance.measure('query', 'ember-query-start', 'ember-query-done').duration,
        performance.measure('draw', 'ember-query-done', 'ember-graph-drawn').duration]""")
    assert inked_pixels(page) > 1000
    print(f"\ntime to first draw, {MANY_SERIES} series x 241 points: {query_ms + draw_ms:.0f} ms "
          f"(query and JSON {query_ms:.0f} ms, then aligning, legend and drawing {draw_ms:.0f} ms)")
    page.screenshot(path=artifacts / "graph-500-series.png")


def test_prometheus_link_drives_the_queries(page: Page) -> None:
    """A link as Prometheus 2.42 writes it sets the range, end, step and evaluation time of the queries."""
    end = time.gmtime(time.time() - 600)
    end_input = time.strftime("%Y-%m-%d %H:%M:%S", end)
    end_s = calendar.timegm(end)
    link = ("/graph?g0.expr=demo_requests_total&g0.tab=0&g0.stacked=0&g0.show_exemplars=0&g0.range_input=30m"
            f"&g0.end_input={quote(end_input)}&g0.moment_input={quote(end_input)}&g0.step_input=60")
    with page.expect_request("**/api/v1/query_range") as ranged:
        page.goto(link)
    assert parse_qs(ranged.value.post_data or "") == {
        "query": ["demo_requests_total"], "start": [str(end_s - 1800)], "end": [str(end_s)], "step": ["60"]}
    expect(page.locator(".uplot[data-drawn='1']")).to_be_visible()
    expect(page.locator(".end-input")).to_have_value(end_input)

    with page.expect_request("**/api/v1/query") as instant:
        page.get_by_role("button", name="Table").click()
    assert parse_qs(instant.value.post_data or "")["time"] == [str(end_s)]
    expect(page.locator(".data-table tr")).to_have_count(2)

    page.get_by_role("button", name="Graph").click()
    page.get_by_role("button", name="Decrease range").click()
    expect(page.locator(".range-input")).to_have_value("15m")
    await_url_param(page, "g0.range_input", "15m")
