"""The web UI (驾驶舱 cockpit, catalog, work orders, audit): static pages over the JSON API.

Plain HTML, CSS and ES modules under ``static/`` (no build step); ECharts comes from npm at
set-up (``scripts/install-web-deps.sh`` runs ``npm ci`` into ``node_modules/`` next to this
file) and is served at ``/vendor/echarts.min.js``, never from a CDN. ``create_app`` calls
:func:`mount_web` last, after every ``/api`` route, so the pages never shadow the API.
"""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
NODE_MODULES = HERE / "node_modules"
SETUP_COMMAND = "bash scripts/install-web-deps.sh (or: make install)"

#: What /vendor/ serves: public name -> path under node_modules (nothing else is reachable).
VENDOR_FILES: dict[str, str] = {
    "echarts.min.js": "echarts/dist/echarts.min.js",
}

#: The pages load only their own scripts, styles and images, and talk only to this origin.
#: ECharts sets element styles from script, hence 'unsafe-inline' for styles alone.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
_PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class _Pages(StaticFiles):
    """StaticFiles with the pages' security headers; revalidated so an upgrade shows at once."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(_PAGE_HEADERS)
        response.headers.setdefault("Cache-Control", "no-cache")
        return response


def vendor_response(name: str, node_modules: Path = NODE_MODULES) -> Response:
    """The vendored file ``name``; 404 for names not vendored, 503 when npm was not run."""
    relative = VENDOR_FILES.get(name)
    if relative is None:
        return _problem(404, f"no vendored file {name!r}; served: {', '.join(VENDOR_FILES)}")
    path = node_modules / relative
    if not path.is_file():
        return _problem(503, f"{name} is not installed: the web UI's browser assets come "
                             f"from npm at set-up; run {SETUP_COMMAND}")
    return FileResponse(path, media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=86400",
                                 "X-Content-Type-Options": "nosniff"})


def _problem(status: int, detail: str) -> Response:
    title = {404: "Not Found", 503: "Service Unavailable"}[status]
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return Response(json.dumps(body, ensure_ascii=False), status_code=status,
                    media_type="application/problem+json")


def mount_web(app: FastAPI) -> None:
    """Serve ``/vendor/{name}`` and the pages at ``/``; call after every other route."""

    async def vendor(request: Request) -> Response:
        return vendor_response(request.path_params["name"])

    app.add_route("/vendor/{name}", vendor, methods=["GET", "HEAD"], include_in_schema=False)
    app.mount("/", _Pages(directory=STATIC_DIR, html=True), name="web")
