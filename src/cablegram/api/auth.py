"""Who is asking: the reader of a request, resolved once, and the only way routes read.

* ``Authorization: Bearer cgt_...`` — an API token (401 when wrong, expired, or when the
  header is there without a token);
* else the ``cablegram_session`` cookie of a web login (server-side session with expiry);
* else the archive's anonymous policy (401 on the API when the policy is ``none``).

``read(request, fn, *args)`` runs ``fn(view, *args)`` on a reader thread, where ``view`` is
``archive.as_reader(reader, audit=...)``: routes never see the raw ``Archive``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import HTTPException, Request

from cablegram.access.db import AccessDB, Session
from cablegram.access.rules import Reader
from cablegram.access.view import ReaderArchive

__all__ = ["SESSION_COOKIE", "CSRF_COOKIE", "auditor", "read", "reader_of", "session_of", "who"]

T = TypeVar("T")
SESSION_COOKIE = "cablegram_session"
CSRF_COOKIE = "cablegram_csrf"
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="cablegram"'}


def access_of(request: Request) -> AccessDB:
    return request.app.state.access


def _is_api(request: Request) -> bool:
    p = request.url.path
    return p == "/api" or p.startswith("/api/") or p == "/openapi.json"


def reader_of(request: Request) -> Reader:
    """The request's reader (resolved on first use, then kept on ``request.state``)."""
    got = getattr(request.state, "reader", None)
    if got is not None:
        return got
    access = access_of(request)
    anonymous = access.anonymous()
    auth = request.headers.get("authorization")
    session: Session | None = None
    if auth is not None:
        scheme, _, secret = auth.strip().partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise HTTPException(401, "Give an API token as 'Authorization: Bearer <token>'.",
                                headers=_CHALLENGE)  # fmt: skip
        reader = access.token_reader(secret.strip())
        if reader is None:
            raise HTTPException(401, "The API token is not valid (unknown, revoked or expired).",
                                headers=_CHALLENGE)  # fmt: skip
        reader = reader.widen(anonymous)
    else:
        found = access.session(request.cookies.get(SESSION_COOKIE, ""))
        if found is not None:
            reader, session = found
            reader = reader.widen(anonymous)
        else:
            reader = anonymous
            if anonymous.level is not None and anonymous.level < 0 and _is_api(request):
                raise HTTPException(401, "This archive needs an API token.", headers=_CHALLENGE)
    request.state.reader = reader
    request.state.session = session
    return reader


def session_of(request: Request) -> Session | None:
    reader_of(request)
    return getattr(request.state, "session", None)


def who(request: Request) -> dict[str, Any]:
    """What the page masthead shows about the reader."""
    reader = reader_of(request)
    s = session_of(request)
    return {
        "name": reader.name,
        "kind": reader.kind,
        "rights": reader.describe(),
        "csrf": s.csrf if s else "",
        "logged_in": s is not None,
        "admin": reader.admin,
    }


def _client(request: Request) -> str:
    return request.client.host if request.client else ""


def auditor(request: Request) -> Callable[[str, str, str, int | None], None]:
    """``audit(action, target, query, result)`` for this request's reader and client."""
    reader = reader_of(request)
    access = access_of(request)
    client = _client(request)

    def audit(action: str, target: str, query: str, result: int | None) -> None:
        access.audit(reader, action, target, query, result, client)

    return audit


def view_factory(request: Request) -> Callable[[Any], ReaderArchive]:
    """archive -> its view for this request's reader, auditing to the access file."""
    reader = reader_of(request)
    audit = auditor(request)
    return lambda arc: arc.as_reader(reader, audit=audit)


async def read(request: Request, fn: Callable[..., T], *args: Any) -> T:
    """``fn(view, *args)`` on a reader thread of the pool."""
    make = view_factory(request)
    return await request.app.state.pool.run(lambda arc: fn(make(arc), *args))
