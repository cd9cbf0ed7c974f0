"""The supervision dashboard (督导): a static page, its stylesheet and script, served at /dashboard.

No build step and no CDN: the files under `static/` are what the browser gets. The page talks to
`/graphql` with the token the user pastes; the content-security policy allows nothing else.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


async def dashboard_page(request: Request) -> FileResponse:
    return FileResponse(STATIC / "index.html", headers=SECURITY_HEADERS)


def dashboard_routes() -> list[BaseRoute]:
    """`/dashboard` (the page) and `/dashboard/assets/...` (its stylesheet and script)."""
    return [
        Route("/dashboard", dashboard_page, methods=["GET", "HEAD"]),
        Route("/dashboard/", dashboard_page, methods=["GET", "HEAD"]),
        Mount("/dashboard/assets", StaticFiles(directory=STATIC), name="dashboard-assets"),
    ]
