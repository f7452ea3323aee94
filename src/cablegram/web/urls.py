"""The web UI's URLs: links to pages, and the query edits a facet link makes."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlencode

__all__ = [
    "SORTS",
    "add_filter",
    "entities_href",
    "entity_href",
    "filter_terms",
    "has_filter",
    "int_param",
    "page_numbers",
    "remove_filter",
    "search_href",
]

SORTS = {"relevance": "Relevance", "date": "Newest", "date-asc": "Oldest"}


def search_href(q: str = "", sort: str = "relevance", page: int = 1) -> str:
    params: dict[str, Any] = {}
    if q:
        params["q"] = q
    if sort and sort != "relevance":
        params["sort"] = sort
    if page and page > 1:
        params["page"] = page
    return "/search" + ("?" + urlencode(params) if params else "")


def entity_href(entity_id: str) -> str:
    return "/entities/" + quote(entity_id, safe=":~")


def entities_href(kind: str, q: str = "", page: int = 1) -> str:
    params: dict[str, Any] = {}
    if kind:
        params["kind"] = kind
    if q:
        params["q"] = q
    if page > 1:
        params["page"] = page
    return "/entities" + ("?" + urlencode(params) if params else "")


def _filter_re(f: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\S)" + re.escape(f) + r"(?!\S)", re.I)


def has_filter(q: str, f: str) -> bool:
    return bool(_filter_re(f).search(q))


def add_filter(q: str, f: str) -> str:
    return f"{q.strip()} {f}".strip()


def remove_filter(q: str, f: str) -> str:
    return " ".join(_filter_re(f).sub(" ", q).split())


_FILTER_TOKEN = re.compile(r'(?<!\S)-?(?P<field>[a-z]+):(?:"[^"]*"|[^\s()"]+)(?!\S)', re.I)


def filter_terms(q: str) -> list[str]:
    """The filters written in ``q`` (``date:2009-01..2009-06``, ``origin:"Embassy Baku"``,
    ``-tag:ECON``), each as ``remove_filter`` can take it out again; in query order."""
    from cablegram.search.fields import field

    out: list[str] = []
    for m in _FILTER_TOKEN.finditer(q):
        if field(m["field"]) is not None and m[0] not in out:
            out.append(m[0])
    return out


def int_param(value: str | None, default: int, lo: int, hi: int) -> int:
    try:
        n = int(value) if value is not None else default
    except ValueError:
        return default
    return max(lo, min(hi, n))


def page_numbers(page: int, pages: int) -> list[int | None]:
    """Page numbers to link, ``None`` for a gap: 1 … 4 5 [6] 7 8 … 20."""
    want = {1, pages, *range(page - 2, page + 3)}
    out: list[int | None] = []
    last = 0
    for p in sorted(x for x in want if 1 <= x <= pages):
        if p - last > 1:
            out.append(None)
        out.append(p)
        last = p
    return out
