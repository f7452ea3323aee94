"""Login and logout for the web UI.

The session id is a random secret in an HttpOnly, SameSite=Lax cookie (Secure when the
request came over https); the server keeps only its sha256, with an expiry. POST forms are
protected against cross-site requests: the login form by a signed double-submit token (a
cookie and a hidden field that must match, signed with a key of the access file, so a
token planted by a sibling subdomain is refused), the logout form by the session's own
CSRF token.

Logins are throttled per user name and per client (``access.throttle``: 429 with
Retry-After, delays doubling after five failures) and the scrypt hash runs on two
dedicated threads, never on the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import math
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from cablegram.access.throttle import LoginThrottle
from cablegram.api import auth

__all__ = ["mount"]

MAX_FORM = 4096
HASH_THREADS = 2  # scrypt at N = 2^17 takes 128 MiB: at most this many at once


def _sign(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:32]


def new_csrf(key: bytes) -> str:
    nonce = secrets.token_urlsafe(24)
    return f"{nonce}.{_sign(key, nonce)}"


def csrf_ok(key: bytes, sent: str, kept: str) -> bool:
    """The form's token is the cookie's, and was signed by this server."""
    nonce, dot, sig = kept.rpartition(".")
    if not sent or not dot or not hmac.compare_digest(sent, kept):
        return False
    return hmac.compare_digest(sig, _sign(key, nonce))


def _safe_next(target: str) -> str:
    """A local path to go back to; never another site (``//evil``, ``https://...``)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target[:1000]


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM:
        return {}
    parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[0] for k, v in parsed.items()}


def _cookie_args(request: Request) -> dict[str, Any]:
    return {
        "httponly": True,
        "samesite": "lax",
        "secure": request.url.scheme == "https",
        "path": "/",
    }


def mount(app: FastAPI, render: Callable[..., str], html: Callable[..., Response]) -> None:
    throttle = LoginThrottle()
    hasher = ThreadPoolExecutor(HASH_THREADS, thread_name_prefix="cablegram-scrypt")
    app.state.login_throttle = throttle

    def csrf_key(request: Request) -> bytes:
        key = getattr(app.state, "csrf_key", None)
        if key is None:
            key = app.state.csrf_key = auth.access_of(request).secret("login-csrf")
        return key

    def page(request: Request, status: int = 200, error: str = "", name: str = "",
             next_: str = "/") -> Response:  # fmt: skip
        key = csrf_key(request)
        token = request.cookies.get(auth.CSRF_COOKIE, "")
        if not csrf_ok(key, token, token):
            token = new_csrf(key)
        resp = html(
            render(
                "login.html",
                who=auth.who(request),
                nav="login",
                q="",
                error=error,
                user_name=name,
                csrf=token,
                next=_safe_next(next_),
            ),  # fmt: skip
            status,
        )
        resp.set_cookie(auth.CSRF_COOKIE, token, max_age=3600, **_cookie_args(request))
        resp.headers["cache-control"] = "private, no-store"
        return resp

    @app.get("/login", include_in_schema=False)
    async def login_form(request: Request) -> Response:
        return page(request, next_=request.query_params.get("next") or "/")

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await _form(request)
        name = form.get("name", "").strip()[:64]
        sent, kept = form.get("csrf", ""), request.cookies.get(auth.CSRF_COOKIE, "")
        if not csrf_ok(csrf_key(request), sent, kept):
            return page(request, 403, "The form expired or came from another site; try again.",
                        name)  # fmt: skip
        access = auth.access_of(request)
        client = request.client.host if request.client else ""
        from cablegram.access.rules import Reader

        wait = throttle.retry_after(name, client)
        if wait > 0:
            access.audit(Reader(name, "session", 0), "login-throttled", name, "", 0, client)
            resp = page(request, 429, "Too many failed attempts; wait a moment and try again.",
                        name, form.get("next", "/"))  # fmt: skip
            resp.headers["retry-after"] = str(math.ceil(wait))
            return resp
        # Counted before hashing: concurrent guesses from one client are throttled too.
        throttle.failed(name, client)
        password = form.get("password", "")[:1024]
        user = await asyncio.get_running_loop().run_in_executor(
            hasher, access.authenticate, name, password
        )
        if user is None:
            access.audit(Reader(name, "session", 0), "login-failed", name, "", 0, client)
            return page(request, 401, "Wrong user name or password.", name,
                        form.get("next", "/"))  # fmt: skip
        throttle.succeeded(name, client)
        hours = getattr(request.app.state, "session_hours", 8)
        session = access.new_session(user.name, timedelta(hours=hours))
        access.audit(user.reader("session"), "login", user.name, "", 1, client)
        resp = RedirectResponse(_safe_next(form.get("next", "/")), status_code=303)
        resp.set_cookie(auth.SESSION_COOKIE, session.id, max_age=int(hours * 3600),
                        **_cookie_args(request))  # fmt: skip
        resp.delete_cookie(auth.CSRF_COOKIE, path="/")
        return resp

    @app.post("/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        form = await _form(request)
        session = auth.session_of(request)
        if session is None:
            return RedirectResponse("/", status_code=303)
        if not hmac.compare_digest(form.get("csrf", ""), session.csrf):
            return html(render("error.html", status=403, title="Forbidden",
                               detail="The form came from another site.", nav="", q=""), 403)  # fmt: skip
        access = auth.access_of(request)
        access.end_session(session.id)
        access.audit(auth.reader_of(request), "logout", session.name, "", 1,
                     request.client.host if request.client else "")  # fmt: skip
        resp = RedirectResponse("/", status_code=303)
        resp.delete_cookie(auth.SESSION_COOKIE, path="/")
        return resp
