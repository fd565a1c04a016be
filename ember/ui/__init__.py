"""The web UI: the built single-page app (ember/ui/static, made by scripts/build-ui.sh from ui/) served at
Prometheus's page paths, and its content-hashed assets served with long-lived caching headers."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

__all__ = ["PAGE_PATHS", "STATIC_DIR", "ui_routes"]

STATIC_DIR = Path(__file__).parent / "static"

# The paths Prometheus's UI answers with its single page (web/web.go's reactRouterPaths).
PAGE_PATHS = (
    "/graph",
    "/alerts",
    "/rules",
    "/targets",
    "/service-discovery",
    "/status",
    "/flags",
    "/config",
    "/tsdb-status",
    "/starting",
)

# Vite names every asset by a hash of its content, so a name never changes meaning: cache it for a year.
ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"
# The page itself names the current assets, so browsers must revalidate it on every load.
PAGE_CACHE_CONTROL = "no-cache"


class HashedAssets(StaticFiles):
    """Static files under /assets with the immutable caching header."""

    def file_response(self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope,
                      status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = ASSET_CACHE_CONTROL
        return response


def _missing_build(request: Request) -> Response:
    return PlainTextResponse(
        "the web UI is not built: run scripts/build-ui.sh (needs Node.js) or install a release of Ember", 503)


def _file_endpoint(path: Path, media_type: str, cache_control: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        if not path.is_file():
            return _missing_build(request)
        return FileResponse(path, media_type=media_type, headers={"Cache-Control": cache_control})

    return endpoint


async def _root(request: Request) -> Response:
    # Prometheus answers "/" with a 302 to its graph page.
    return RedirectResponse("/graph", status_code=302)


def ui_routes(static_dir: Path = STATIC_DIR) -> list[BaseRoute]:
    """The UI's routes, for `create_app(..., extra_routes=ui_routes())`: `/` redirects to `/graph`, every page
    path answers index.html, and `/assets/...` serves the built files. Without a build, they answer 503 saying
    how to make one."""
    index = _file_endpoint(static_dir / "index.html", "text/html", PAGE_CACHE_CONTROL)
    favicon = _file_endpoint(static_dir / "favicon.svg", "image/svg+xml", "public, max-age=86400")
    assets_dir = static_dir / "assets"
    assets: BaseRoute = (
        Mount("/assets", app=HashedAssets(directory=assets_dir), name="ui-assets") if assets_dir.is_dir()
        else Route("/assets/{path:path}", _missing_build, methods=["GET", "HEAD"])
    )
    return [
        Route("/", _root, methods=["GET", "HEAD"]),
        *(Route(path, index, methods=["GET", "HEAD"]) for path in PAGE_PATHS),
        Route("/favicon.svg", favicon, methods=["GET", "HEAD"]),
        assets,
    ]
