"""The FastAPI application: the HTTP API under ``/api/`` and the web pages.

    from cablegram.api import create_app
    app = create_app("cablegram.db")      # then: uvicorn.run(app)

Cable text is untrusted input: pages are rendered with autoescaping, and every response
carries a strict Content-Security-Policy (scripts only from our own static files).
"""

from __future__ import annotations

import asyncio
import logging
import os
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cablegram import __version__
from cablegram.access.db import AccessDB
from cablegram.api.cite import router as cite_router
from cablegram.api.classify_routes import router as classify_router
from cablegram.api.examples import add_examples
from cablegram.api.pool import ArchivePool
from cablegram.api.problems import PROBLEM_MEDIA_TYPE, problem
from cablegram.api.reference import router as reference_router
from cablegram.api.routes import router
from cablegram.api.telegram import router as telegram_router
from cablegram.errors import CablegramError, NotEnriched, NotFound, Unsupported
from cablegram.search import QueryError
from cablegram.settings import settings

__all__ = ["CSP", "create_app", "app_from_env"]

log = logging.getLogger("cablegram.api")

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]

DESCRIPTION = """\
Search and read diplomatic cables.

* `GET /api/search?q=...` runs the query language of the web UI (words, "phrases",
  AND/OR/NOT, parentheses, filters such as `tag:PGOV`, `origin:BAKU`, `class:>=C`,
  `date:2009-01..2009-06`) with facets and pagination.
* `GET /api/cables/{id}` is a cable's record; `/text`, `/versions`, `/diff`,
  `/references` and `/cited-by` hang below it.
* `GET /api/export?q=...&format=jsonl|csv` streams a whole result set.

Errors are RFC 9457 problem details (`application/problem+json`).
"""


class SecurityHeaders:
    """Adds the security headers to every HTTP response (pure ASGI: streams untouched).
    A request with credentials (a token, a session cookie) gets ``Cache-Control: private,
    no-store``: what it returns is that reader's and must not sit in a shared cache."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = any(
            k == b"authorization" or (k == b"cookie" and b"cablegram_session=" in v)
            for k, v in scope.get("headers", ())
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                have = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in have]
                if private:
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                    headers.append((b"cache-control", b"private, no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _TooLarge(Exception):
    pass


class BodyLimit:
    """Refuses request bodies above a limit before reading them (413): by Content-Length
    at once, else while they stream in. The login and logout forms get a small limit; the
    application reads no other body. (Header size is the server's: ``serve`` runs uvicorn
    with a 64 KiB limit.)"""

    def __init__(self, app: ASGIApp, *, limit: int = 64 * 1024,
                 small: dict[str, int] | None = None) -> None:  # fmt: skip
        self.app = app
        self.limit = limit
        self.small = small if small is not None else {"/login": 8192, "/logout": 8192}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.small.get(scope.get("path", ""), self.limit)
        for k, v in scope.get("headers", ()):
            if k == b"content-length":
                try:
                    too_big = int(v) > limit
                except ValueError:
                    too_big = True
                if too_big:
                    await _refuse(send, limit)
                    return
        seen = 0
        started = False

        async def limited() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return msg

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited, watch)
        except _TooLarge:
            if not started:
                await _refuse(send, limit)


async def _refuse(send: Send, limit: int) -> None:
    body = (f'{{"type":"about:blank","title":"Content Too Large","status":413,'
            f'"detail":"The request body is over {limit} bytes."}}').encode()  # fmt: skip
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})


def _is_api(request: Request) -> bool:
    path = request.url.path
    return path == "/openapi.json" or path.startswith("/api/") or path == "/api"


def _problem(request: Request, status: int, detail: str, **extra: Any) -> JSONResponse:
    return JSONResponse(
        problem(status, detail, instance=request.url.path, **extra),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
    )


def _param_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    out = []
    for err in exc.errors():
        loc = [str(x) for x in err.get("loc", ())]
        name = ".".join(loc) or "request"
        msg = str(err.get("msg", "invalid"))
        ctx = err.get("ctx") or {}
        if err.get("type") == "literal_error" and "expected" in ctx:
            msg = f"must be one of {ctx['expected']}"
        out.append({"name": name, "reason": msg[0].lower() + msg[1:] if msg else msg})
    return out


def error_status(exc: CablegramError) -> int:
    """The HTTP status of one of Cablegram's own errors, chosen by its class."""
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, NotEnriched):
        return 409  # the archive exists; ask again after `cablegram enrich`
    if isinstance(exc, Unsupported):
        return 501
    return 400


def create_app(db: str | os.PathLike[str], *, readers: int | None = None, web: bool = True,
               cache_size: int = 4096, access: str | os.PathLike[str] | None = None,
               session_hours: float = 8, search_processes: int = 0) -> FastAPI:  # fmt: skip
    """The application serving the archive at ``db`` (which must exist).

    ``search_processes`` > 0 answers searches on that many worker processes fed from one
    queue (``cablegram.api.searchers``), started with the application; 0 searches on the
    reader threads of this process.

    Readers, sessions, the anonymous policy and the audit log are in the access file
    ``access`` (default: next to the archive, ``x.db`` -> ``x.access.db``; docs/access.md).
    Web sessions last ``session_hours``.
    """
    pool = ArchivePool(db, readers=readers, cache_size=cache_size,
                       search_processes=search_processes)  # fmt: skip
    access_db = AccessDB(access) if access is not None else AccessDB.for_archive(pool.path)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Ready only once search's in-memory columns are loaded (seconds on a large
        # archive), so no request waits for them: by the processes that search, or else
        # by this one.
        portions = access_db.anonymous().visibility is not None
        if search_processes > 0:
            await asyncio.to_thread(pool.start_searchers, portions=portions)
        else:
            await pool.run(lambda arc: pool.warm(portions=portions))
        yield
        pool.close()
        access_db.flush_audit()  # entries still queued are written before the process ends

    app = FastAPI(
        title="Cablegram API",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.pool = pool
    app.state.access = access_db
    app.state.session_hours = session_hours
    app.include_router(router)
    app.include_router(cite_router)
    app.include_router(classify_router)
    app.include_router(reference_router)  # /docs, /redoc, the /api/ index
    app.include_router(telegram_router)  # /api/lint, /api/compose, coverage, anomalies

    renderer = None
    if web:
        from cablegram.web import routes as web_routes

        web_routes.mount(app)
        renderer = web_routes.render_error

    @app.exception_handler(QueryError)
    async def bad_query(request: Request, exc: QueryError) -> Response:
        query = exc.query or request.query_params.get("q", "")
        if renderer is not None and not _is_api(request):
            return await renderer(request, 400, "The search query is not valid", exc.message)
        return _problem(
            request, 400, exc.message, position=exc.position, pointer=exc.pointer(query)
        )

    @app.exception_handler(CablegramError)
    async def known_error(request: Request, exc: CablegramError) -> Response:
        status = error_status(exc)
        msg = str(exc)
        detail = f"{msg[:1].upper()}{msg[1:]}" + ("" if msg.endswith(".") else ".")
        if renderer is not None and not _is_api(request):
            return await renderer(request, status, None, detail)
        return _problem(request, status, detail)

    @app.exception_handler(RequestValidationError)
    async def bad_params(request: Request, exc: RequestValidationError) -> Response:
        errors = _param_errors(exc)
        detail = "; ".join(f"{e['name'].split('.')[-1]}: {e['reason']}" for e in errors)
        if renderer is not None and not _is_api(request):
            return await renderer(request, 422, "Bad request", detail)
        return _problem(request, 422, detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"Nothing here: {request.url.path}"
        if renderer is not None and not _is_api(request):
            resp = await renderer(request, exc.status_code, None, detail)
        else:
            resp = _problem(request, exc.status_code, detail)
        for k, v in (exc.headers or {}).items():
            resp.headers[k] = v
        return resp

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> Response:
        log.exception("error serving %s", request.url.path)
        detail = "Something went wrong on our side; the error has been logged."
        if renderer is not None and not _is_api(request):
            return await renderer(request, 500, None, detail)
        return _problem(request, 500, detail)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        _problem_schemas(schema)
        add_examples(schema)  # a recorded answer for every endpoint (api/examples.py)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders)
    return app


def _problem_schemas(schema: dict[str, Any]) -> None:
    """Error responses are problem+json only; FastAPI's default 422 schema is replaced."""
    ref = {"$ref": "#/components/schemas/Problem"}
    for ops in schema.get("paths", {}).values():
        for op in ops.values():
            for status, resp in op.get("responses", {}).items():
                if status.isdigit() and int(status) >= 400:
                    resp["content"] = {PROBLEM_MEDIA_TYPE: {"schema": ref}}
                    if status == "422":
                        resp["description"] = (
                            "A parameter is missing, of the wrong type or out of range."
                        )
    comps = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        comps.pop(name, None)


def app_from_env() -> FastAPI:
    """For ``uvicorn --factory cablegram.api.app:app_from_env`` (several worker processes):
    the database is ``$CABLEGRAM_DB``."""
    env = settings()
    return create_app(env.db, readers=env.readers, search_processes=env.search_processes)
