"""The API's own reference: ``/docs`` (Swagger UI), ``/redoc`` (sent to ``/docs``) and the
``/api/`` index.

Swagger UI is vendored in ``swagger_ui/`` (Apache 2.0, see its README.md) and served from
here: the page loads no asset from outside the server, and runs under the same strict
Content-Security-Policy as every page (scripts and styles from our own files only; the
one line of set-up is ``/docs/init.js``, not an inline script). The index is built from
the OpenAPI schema, so a new endpoint is listed without touching this module.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

__all__ = ["ASSETS", "SWAGGER_UI_VERSION", "api_index", "router"]

SWAGGER_UI_VERSION = "5.35.0"
ASSETS = Path(__file__).with_name("swagger_ui")
_FILES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "LICENSE": "text/plain; charset=utf-8",
    "NOTICE": "text/plain; charset=utf-8",
    "swagger-ui-bundle.js.LICENSE.txt": "text/plain; charset=utf-8",
}
# validatorUrl null: Swagger UI would otherwise ask an outside validator for a badge.
_INIT = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: true,
    tryItOutEnabled: true,
    displayRequestDuration: true,
    defaultModelsExpandDepth: 0
  });
});
"""
_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cablegram API reference</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/docs/swagger-ui.css?v={v}">
<link rel="stylesheet" href="/docs/docs.css?v={v}">
</head>
<body>
<p class="cg-back"><a href="/">&larr; Cablegram</a> &middot; <a href="/api/">API index</a>
&middot; <a href="/openapi.json">openapi.json</a> &middot; Swagger UI {v}
(<a href="/docs/LICENSE">Apache 2.0</a>)</p>
<div id="swagger-ui"><noscript>The interactive reference needs JavaScript; the schema
is at <a href="/openapi.json">/openapi.json</a>.</noscript></div>
<script src="/docs/swagger-ui-bundle.js?v={v}"></script>
<script src="/docs/init.js?v={v}"></script>
</body>
</html>
"""
# Our few rules: the back link, and no sideways scrolling on a phone.
_CSS = """body { margin: 0; font-family: system-ui, sans-serif; }
.cg-back { margin: 0; padding: 0.6rem 1.25rem; background: #141a26; color: #c9d2e3; font-size: 0.9rem; }
.cg-back a { color: #fff; }
.swagger-ui .wrapper { padding: 0 0.75rem; }
.swagger-ui .opblock .opblock-summary-path { word-break: break-all; }
.swagger-ui table { display: block; overflow-x: auto; }
"""
_CACHE = {"cache-control": "public, max-age=86400"}

router = APIRouter()


@router.get("/docs", include_in_schema=False)
async def docs() -> HTMLResponse:
    return HTMLResponse(_PAGE.format(v=SWAGGER_UI_VERSION))


@router.get("/docs/init.js", include_in_schema=False)
async def docs_init() -> Response:
    return Response(_INIT, media_type="text/javascript; charset=utf-8", headers=_CACHE)


@router.get("/docs/docs.css", include_in_schema=False)
async def docs_css() -> Response:
    return Response(_CSS, media_type="text/css; charset=utf-8", headers=_CACHE)


@router.get("/docs/{name}", include_in_schema=False)
async def docs_asset(name: str) -> FileResponse:
    media = _FILES.get(name)
    if media is None:
        raise HTTPException(404, f"Nothing here: /docs/{name}")
    return FileResponse(ASSETS / name, media_type=media, headers=_CACHE)


@router.get("/redoc", include_in_schema=False)
async def redoc() -> RedirectResponse:
    return RedirectResponse("/docs", status_code=308)


def api_index(schema: dict[str, Any]) -> dict[str, Any]:
    """The index of ``/api/``: where the reference is, and every endpoint with its method
    and summary (from the schema)."""
    endpoints = []
    for path, ops in schema.get("paths", {}).items():
        for method, op in ops.items():
            if method in ("get", "post"):
                endpoints.append(
                    {"path": path, "method": method.upper(), "summary": op.get("summary", "")}
                )
    return {
        "name": schema.get("info", {}).get("title", "API"),
        "version": schema.get("info", {}).get("version", ""),
        "reference": "/docs",
        "openapi": "/openapi.json",
        "endpoints": endpoints,
    }


def _index_html(index: dict[str, Any]) -> str:
    rows = "\n".join(
        f'<li><a href="{html.escape(e["path"])}"><code>{html.escape(e["path"])}</code></a>'
        f" {html.escape(e['summary'])}</li>"
        if "{" not in e["path"] and e["method"] == "GET"
        else f"<li><code>{e['method']} {html.escape(e['path'])}</code>"
        f" {html.escape(e['summary'])}</li>"
        for e in index["endpoints"]
    )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(index["name"])}</title>
<link rel="stylesheet" href="/docs/docs.css?v={SWAGGER_UI_VERSION}">
</head>
<body>
<p class="cg-back"><a href="/">&larr; Cablegram</a></p>
<main class="cg-index">
<h1>{html.escape(index["name"])} {html.escape(index["version"])}</h1>
<p>The interactive reference, with an example for every endpoint: <a href="/docs">/docs</a>.
The schema: <a href="/openapi.json">/openapi.json</a>. This index as JSON:
<code>Accept: application/json</code>.</p>
<ul>
{rows}
</ul>
</main>
</body>
</html>
"""


@router.get("/api", include_in_schema=False)
@router.get("/api/", include_in_schema=False)
async def index(request: Request) -> Response:
    """HTML for a browser, JSON for everything else (curl, scripts)."""
    data = api_index(request.app.openapi())
    accept = request.headers.get("accept", "")
    if "text/html" in accept:
        return HTMLResponse(_index_html(data))
    return JSONResponse(data)
