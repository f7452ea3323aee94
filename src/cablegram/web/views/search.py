"""The home page and the search results page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup

from cablegram import present
from cablegram.access.view import ReaderArchive as Archive  # pages only ever get a view
from cablegram.api.pool import ArchivePool
from cablegram.reference import classification_level, tag
from cablegram.search import QueryError
from cablegram.search.fields import SYNTAX, facet_filter, facet_label, facet_titles
from cablegram.search.query import MAX_LENGTH
from cablegram.web import charts
from cablegram.web.templating import display_title, render
from cablegram.web.urls import (
    SORTS,
    add_filter,
    filter_terms,
    has_filter,
    page_numbers,
    remove_filter,
    search_href,
)
from cablegram.web.views.classify import topic_group
from cablegram.web.views.stats import reader_stats, year_bars

PER_PAGE = 20
FACET_TITLES = facet_titles()
EXAMPLES = [
    ('"naval base"', "a phrase"),
    ("tag:PGOV iran", "a tag and a word"),
    ("origin:BAKU nagorno karabakh", "one post"),
    ("class:>=S caveat:NOFORN", "secret or above, not for foreigners"),
    ("date:2009-01..2009-06 tag:PREL", "a date range"),
    ("(oil OR gas) -tag:ECON", "OR, parentheses, NOT"),
]


def _facet_groups(q: str, sort: str, res: Any) -> list[dict[str, Any]]:
    labels = getattr(res, "facet_labels", {}) or {}
    groups = []
    for name, title in FACET_TITLES.items():
        values = list(res.facets.get(name) or [])
        if name == "year":
            values = sorted(values, key=lambda x: str(x[0]), reverse=True)
        items = []
        for value, count in values:
            value = str(value)
            f = facet_filter(name, value)
            active = has_filter(q, f)
            label = facet_label(name, value, labels)
            items.append(
                {
                    "label": label,
                    "code": value if label != value and name in ("tag", "origin") else "",
                    "count": count,
                    "filter": f,
                    "active": active,
                    "href": search_href(remove_filter(q, f) if active else add_filter(q, f), sort),
                    "css": present.level_class(classification_level(value))
                    if name == "classification"
                    else "",
                }
            )
        if items:
            groups.append({"name": name, "title": title, "items": items})
    return groups


ENTITY_FACETS = {"person": "People", "org": "Organisations", "place": "Places"}


def _entity_groups(arc: Any, pool: ArchivePool, q: str, sort: str) -> list[dict[str, Any]]:
    """Top people, organisations and places among the matching cables, through the
    reader's view (names come from text the reader may see)."""
    facets = pool.cached(("web-entity-facets", arc.reader.key, q),
                         lambda: arc.entity_facets(q, limit=8))  # fmt: skip
    groups = []
    for kind, title in ENTITY_FACETS.items():
        items = []
        for _entity_id, name, count in facets.get(kind) or []:
            if not name:
                continue
            f = f'{kind}:"{name}"' if " " in name else f"{kind}:{name}"
            active = has_filter(q, f)
            items.append({
                "label": name, "code": "", "count": count, "filter": f, "active": active,
                "css": "",
                "href": search_href(remove_filter(q, f) if active else add_filter(q, f), sort),
            })  # fmt: skip
        if items:
            groups.append({"name": kind, "title": title, "items": items})
    return groups


def _histogram(q: str, sort: str, res: Any) -> Markup:
    unit, bars = charts.time_buckets(list(res.facets.get("month") or []))
    for b in bars:
        f = f"date:{b.key}" if unit == "month" else f"year:{b.key}"
        if b.count and not has_filter(q, f):
            b.href = search_href(add_filter(q, f), sort)
    what = "month" if unit == "month" else "year"
    return charts.histogram(bars, label=f"Matching cables per {what}", width=878, height=120)


def _home(arc: Archive, pool: ArchivePool) -> dict[str, Any]:
    st = reader_stats(arc, pool)
    years, bars = year_bars(st)
    tags = [
        {"code": code, "name": tag(code).name, "count": n, "href": search_href(f"tag:{code}")}
        for code, n in list(st.get("tags", {}).items())[:12]
    ]
    return {
        "stats": st,
        "first_year": min(years) if years else None,
        "last_year": max(years) if years else None,
        "chart": charts.histogram(bars, label="Cables per year", width=778, height=150),
        "top_tags": tags,
    }


def search_key(reader: Any, q: str, page: int, sort: str) -> tuple:
    """A search page's result in the pool's cache (per set of rights): one key for the
    page and for the event loop that may have searched ahead of it."""
    return ("web-search", reader.key, q, page, sort)


def search_page(arc: Archive, pool: ArchivePool, q: str, sort: str, page: int,
                who: dict[str, Any] | None = None) -> tuple[str, int]:  # fmt: skip
    ctx: dict[str, Any] = {
        "who": who,
        "q": q,
        "sort": sort,
        "page": page,
        "examples": [(ex, why, search_href(ex)) for ex, why in EXAMPLES],
        "syntax": SYNTAX,
        "max_length": MAX_LENGTH,
        "nav": "search",
    }
    if not q.strip():
        ctx.update(_home(arc, pool))
        return render("home.html", **ctx), 200

    def run(page: int) -> Any:
        res = pool.cached(
            search_key(arc.reader, q, page, sort),
            lambda: pool.search(arc, q, page=page, per_page=PER_PAGE, sort=sort, facets=True),
        )  # fmt: skip
        arc._log("search", "", q, res.total)
        return res

    try:
        res = run(page)
    except QueryError as exc:
        ctx["error"] = {"message": exc.message, "pointer": exc.pointer(q), "position": exc.position}
        return render("search.html", **ctx), 400
    if res.total and page > res.pages:
        res = run(res.pages)
        ctx["page"] = page = res.page
    groups = _facet_groups(q, sort, res)
    if arc.has_entities():
        groups[1:1] = _entity_groups(arc, pool, q, sort)
    topic_facet = topic_group(arc, q, sort, search_href, add_filter)
    if topic_facet is not None:
        groups.append(topic_facet)
    active = [item for group in groups for item in group["items"] if item["active"]]
    # Every filter in the query is a removable chip, not only those a facet lists
    # (date ranges, class:>=C, origin by name, negated filters).
    have = {item["filter"].casefold() for item in active}
    for f in filter_terms(q):
        if f.casefold() not in have:
            active.append({"filter": f, "href": search_href(remove_filter(q, f), sort)})
    hits = []
    for h in res.hits:
        hits.append(
            {
                "id": h.id,
                "href": f"/cables/{h.id}",
                "subject": display_title(h.subject),
                "date": h.date,
                "date_words": present.date_words(h.date),
                "origin": h.origin_name or h.origin_code,
                "classification": h.classification,
                "css": present.level_class(classification_level(h.classification)),
                "snippets": [
                    {
                        "number": s.number,
                        "marking": present.marking_view(s.marking) if s.marking else None,
                        "html": Markup(s.html()),  # escaped first, then <mark> added
                    }
                    for s in h.snippets
                ],
            }
        )
    ctx.update(
        result=res,
        hits=hits,
        groups=groups,
        active=active,
        histogram=_histogram(q, sort, res),
        pages=page_numbers(res.page, res.pages),
        sorts=[(key, label, search_href(q, key)) for key, label in SORTS.items()],
        export_jsonl="/api/export?" + urlencode({"q": q, "format": "jsonl"}),
        export_csv="/api/export?" + urlencode({"q": q, "format": "csv"}),
        api_href="/api/search?" + urlencode({"q": q, "sort": sort, "page": res.page}),
    )
    return render("search.html", **ctx), 200
