"""The Jinja2 environment of the pages, and rendering a page or an error page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader

from cablegram import __version__, present
from cablegram.access.rules import WITHHELD
from cablegram.parser.title import display_title as _parser_title
from cablegram.web.urls import SORTS, search_href

__all__ = ["HERE", "env", "error_body", "html", "render", "render_error"]

HERE = Path(__file__).resolve().parent

env = Environment(
    loader=FileSystemLoader(str(HERE / "templates")),
    autoescape=True,  # cable text is untrusted: everything is escaped unless marked safe
    trim_blocks=True,
    lstrip_blocks=True,
)


def number(n: int | None) -> str:
    return "" if n is None else f"{n:,}"


def display_title(subject: str) -> str:
    """The parser's display title of a subject (cable lists carry the subject only)."""
    return subject if subject == WITHHELD else _parser_title(subject)


env.globals.update(search_href=search_href, version=__version__, SORTS=SORTS, WITHHELD=WITHHELD)
env.filters["n"] = number
env.filters["display_title"] = lambda s: display_title(s or "")
env.filters["date_words"] = present.date_words
env.filters["basename"] = lambda p: str(p).replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def render(name: str, **ctx: Any) -> str:
    return env.get_template(name).render(**ctx)


def html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status)


def error_body(status: int, title: str | None, detail: str) -> str:
    titles = {404: "Not found", 422: "Bad request", 400: "Bad request", 500: "Server error"}
    return render(
        "error.html",
        status=status,
        title=title or titles.get(status, "Error"),
        detail=detail,
        nav="",
        q="",
    )


async def render_error(request: Request, status: int, title: str | None, detail: str) -> Response:
    return html(error_body(status, title, detail), status)
