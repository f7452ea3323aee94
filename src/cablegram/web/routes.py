"""Page routes: URL to page function (``cablegram.web.views``), mounted on the app by
``mount(app)``.

Every page is rendered on a reader thread of the pool (database work and template
rendering together), so the event loop stays free. Pages get the reader's access-checked
view of the archive (``cablegram.api.auth.read``), never the raw archive.
"""

from __future__ import annotations

import contextlib

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from cablegram.api import auth
from cablegram.api.pool import ArchivePool
from cablegram.running import running
from cablegram.search import QueryError
from cablegram.search.query import MAX_LENGTH
from cablegram.web.templating import HERE, html, render, render_error
from cablegram.web.urls import SORTS, int_param
from cablegram.web.views import classify
from cablegram.web.views.cable import cable_page, diff_page
from cablegram.web.views.declass import declass_page
from cablegram.web.views.entities import ENTITY_KINDS, entities_page, entity_page
from cablegram.web.views.search import PER_PAGE, search_key, search_page
from cablegram.web.views.stats import stats_page
from cablegram.web.views.telegram import anomalies_page, coverage_page

__all__ = ["mount", "render_error"]

MAX_PAGE = 500


def mount(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    def pool(request: Request) -> ArchivePool:
        return request.app.state.pool

    @app.get("/", include_in_schema=False)
    @app.get("/search", include_in_schema=False)
    async def search(request: Request) -> Response:
        params = request.query_params
        q = (params.get("q") or "")[: MAX_LENGTH + 1]
        sort = params.get("sort") or "relevance"
        if sort not in SORTS:
            sort = "relevance"
        page = int_param(params.get("page"), 1, 1, MAX_PAGE)
        p = pool(request)
        searchers = p.searchers
        if searchers is not None and p.remembers and q.strip():
            # Run the search on a search process without holding a reader thread, into
            # the cache the page reads from (a bad query is left for the page to explain).
            reader = auth.reader_of(request)
            with contextlib.suppress(QueryError, ValueError):
                await p.cached_async(
                    search_key(reader, q, page, sort),
                    lambda: searchers.search_async(reader, q, page=page, per_page=PER_PAGE,
                                                     sort=sort, facets=True),
                )  # fmt: skip
        body, status = await auth.read(request, search_page, p, q, sort, page, auth.who(request))
        return html(body, status)

    @app.get("/cables/{cable_id}", include_in_schema=False)
    async def cable(request: Request, cable_id: str) -> Response:
        v = request.query_params.get("v") or None
        if v is not None and len(v) > 64:
            v = v[:64]
        marks = request.query_params.get("entities") == "1"  # highlight the mentions
        out = await auth.read(request, cable_page, cable_id[:64], v, auth.who(request), marks)
        if isinstance(out, str):
            return RedirectResponse(out, status_code=301)
        return html(*out)

    @app.get("/cables/{cable_id}/diff", include_in_schema=False)
    async def diff(request: Request, cable_id: str) -> Response:
        a = (request.query_params.get("a") or "")[:64] or None
        b = (request.query_params.get("b") or "")[:64] or None
        return html(*await auth.read(request, diff_page, cable_id[:64], a, b, auth.who(request)))

    @app.get("/stats", include_in_schema=False)
    async def stats(request: Request) -> Response:
        p = pool(request)
        return html(await auth.read(request, stats_page, p, auth.who(request)))

    @app.get("/entities", include_in_schema=False)
    async def entities(request: Request) -> Response:
        params = request.query_params
        kind = params.get("kind") or ""
        if kind not in ENTITY_KINDS:
            kind = ""
        q = (params.get("q") or "")[:200].strip()
        page = int_param(params.get("page"), 1, 1, MAX_PAGE)
        enriching = running(pool(request).path, "enrich")
        return html(await auth.read(request, entities_page, kind, q, page, auth.who(request),
                                    enriching))  # fmt: skip

    @app.get("/entities/{entity_id}", include_in_schema=False)
    async def entity(request: Request, entity_id: str) -> Response:
        out = await auth.read(request, entity_page, entity_id[:200], auth.who(request))
        if isinstance(out, str):
            return RedirectResponse(out, status_code=301)
        return html(*out)

    @app.get("/declass", include_in_schema=False)
    async def declass(request: Request) -> Response:
        params = dict(request.query_params)
        return html(await auth.read(request, declass_page, params, auth.who(request)))

    @app.get("/coverage", include_in_schema=False)
    async def coverage(request: Request) -> Response:
        params = request.query_params
        post = "".join((params.get("post") or "").split()).upper()[:40]
        raw = (params.get("year") or "")[:4]
        year = int(raw) if raw.isdigit() else None
        return html(await auth.read(request, coverage_page, post, year, auth.who(request)))

    @app.get("/anomalies", include_in_schema=False)
    async def anomalies(request: Request) -> Response:
        return html(await auth.read(request, anomalies_page, auth.who(request)))

    from cablegram.web import login

    login.mount(app, render, html)
    classify.mount(app, render, html)

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        return RedirectResponse("/static/favicon.svg", status_code=301)
