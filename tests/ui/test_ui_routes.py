"""ember.ui's routes without a browser: the redirect, the page paths, the assets and their caching."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from ember.ui import PAGE_PATHS, STATIC_DIR, ui_routes


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(Starlette(routes=ui_routes()))


def asset_paths() -> list[str]:
    """The assets the built index.html names (hashed file names change with every build)."""
    return re.findall(r'(?:src|href)="(/assets/[^"]+)"', (STATIC_DIR / "index.html").read_text())


def test_root_redirects_to_graph_like_prometheus(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "/graph"


@pytest.mark.parametrize("path", PAGE_PATHS)
def test_every_page_path_answers_the_app(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert '<div id="root">' in response.text


def test_assets_are_built_and_cached_for_a_year(client: TestClient) -> None:
    paths = asset_paths()
    assert any(p.endswith(".js") for p in paths) and any(p.endswith(".css") for p in paths)
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.content


def test_lazy_chunks_referenced_by_the_entry_exist() -> None:
    entry = next(p for p in asset_paths() if p.endswith(".js"))
    chunks = re.findall(r'"(?:\./|/assets/)?([\w-]+\.js)"', (STATIC_DIR / entry.lstrip("/")).read_text())
    assert chunks, "the entry names no lazily loaded chunk (the PromQL editor)"
    for chunk in chunks:
        assert (STATIC_DIR / "assets" / chunk).is_file(), chunk


@pytest.mark.parametrize("path", ["/assets/missing.js", "/assets/../index.html", "/assets/%2e%2e/__init__.py",
                                  "/nonexistent-page"])
def test_unknown_and_escaping_paths_are_not_found(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_head_and_favicon(client: TestClient) -> None:
    assert client.head("/graph").status_code == 200
    icon = client.get("/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")


def test_without_a_build_every_route_says_how_to_make_one(tmp_path: Path) -> None:
    bare = TestClient(Starlette(routes=ui_routes(tmp_path)))
    for path in ("/graph", "/assets/index.js", "/favicon.svg"):
        response = bare.get(path)
        assert response.status_code == 503, path
        assert "scripts/build-ui.sh" in response.text
