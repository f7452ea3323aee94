"""The declassification review: cables whose declassify-on date has passed, paged like
search, with facets (origin, year due, classification) that narrow the list. Reviewers (when
the archive has a model) also see each cable's predicted sensitivity, can order the list by
it and keep the likely releasable cables; for anyone else those parameters are ignored."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any
from urllib.parse import urlencode

from cablegram.access.declass import SORTS
from cablegram.access.view import ReaderArchive as Archive  # pages only ever get a view
from cablegram.web.templating import render
from cablegram.web.urls import int_param, page_numbers

__all__ = ["PER_PAGE", "declass_href", "declass_page"]

PER_PAGE = 50
FACET_LIMIT = 25  # origins listed in the facet; the rest are reached by the list itself
# (parameter, facet title, the value of a due cable)
FACETS: list[tuple[str, str, Callable[[Any], str]]] = [
    ("origin", "Origin", lambda c: c.origin or ""),
    ("year", "Year due", lambda c: str(c.when.year)),
    ("class", "Classification", lambda c: c.classification or ""),
]


SORT_LABELS = [
    ("due", "Due date"),
    ("releasable", "Likely releasable first"),
    ("sensitive", "Most sensitive first"),
]


def _may_rank(arc: Archive) -> bool:
    from cablegram.classify.review import is_reviewer

    reader = getattr(arc, "reader", None)  # (is_reviewer(None) is the unrestricted owner)
    return reader is not None and is_reviewer(reader)


def declass_href(due: date, filters: Mapping[str, str], page: int = 1) -> str:
    params = {"due": due.isoformat(), **{k: v for k, v in filters.items() if v}}
    if page > 1:
        params["page"] = str(page)
    return "/declass?" + urlencode(params)


def declass_page(arc: Archive, params: Mapping[str, str],
                 who: dict[str, Any] | None = None) -> str:  # fmt: skip
    """``params``: the query parameters: ``due`` (YYYY-MM-DD; today when missing or no
    date), the facet filters ``origin``, ``year``, ``class``, ``page`` and, for reviewers,
    ``sort`` (``SORTS``) and ``releasable`` (1: likely releasable cables only)."""
    raw_due = (params.get("due") or "")[:10]
    try:
        due = date.fromisoformat(raw_due) if raw_due else date.today()
    except ValueError:
        due = date.today()
    reviewer = _may_rank(arc)
    sort = params.get("sort") or "due"
    if not reviewer or sort not in SORTS:
        sort = "due"
    releasable = reviewer and (params.get("releasable") or "") not in ("", "0")
    rep = arc.declassification(due, sort=sort, releasable_only=releasable)
    if rep.threshold is None:  # no model: nothing to rank by
        sort, releasable = "due", False
    filters = {key: (params.get(key) or "")[:200] for key, _, _ in FACETS}
    filters.update(sort="" if sort == "due" else sort, releasable="1" if releasable else "")
    # An empty origin or classification is a value too ("(unknown)"): "-" selects it.
    rows = [
        c
        for c in rep.due_cables
        if all(
            not want or value(c) == ("" if want == "-" else want)
            for (key, _, value), want in zip(FACETS, filters.values())
        )  # fmt: skip
    ]
    groups = []
    for key, title, value in FACETS:
        counts = Counter(value(c) for c in rows)
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if key == "year":
            ordered = sorted(counts.items())
        elif key == "origin":
            ordered = ordered[:FACET_LIMIT]
        items = []
        for v, n in ordered:
            token = v or "-"
            on = filters[key] == token
            href = declass_href(due, {**filters, key: "" if on else token})
            items.append({"label": v or "(unknown)", "count": n, "href": href, "active": on})
        groups.append({"key": key, "title": title, "items": items})
    active = [
        {"label": f"{title}: {'(unknown)' if filters[key] == '-' else filters[key]}",
         "href": declass_href(due, {**filters, key: ""})}
        for key, title, _ in FACETS if filters[key]
    ]  # fmt: skip
    ranking = None
    if rep.threshold is not None:
        ranking = {
            "sorts": [(key, label, declass_href(due, {**filters, "sort": "" if key == "due"
                                                      else key}), key == sort)
                      for key, label in SORT_LABELS],
            "releasable": releasable,
            "releasable_href": declass_href(due, {**filters, "releasable": "" if releasable
                                                  else "1"}),
            "threshold": rep.threshold,
        }  # fmt: skip
    pages = max(1, -(-len(rows) // PER_PAGE))
    page = int_param(params.get("page"), 1, 1, pages)
    shown = rows[(page - 1) * PER_PAGE : page * PER_PAGE]
    return render(
        "declass.html",
        rep=rep,
        rows=shown,
        total=len(rows),
        page=page,
        pages=pages,
        page_links=[
            (p, declass_href(due, filters, p) if p else "") for p in page_numbers(page, pages)
        ],
        prev_href=declass_href(due, filters, page - 1) if page > 1 else "",
        next_href=declass_href(due, filters, page + 1) if page < pages else "",
        groups=groups,
        active=active,
        filters=filters,
        ranking=ranking,
        who=who,
        nav="declass",
        q="",
    )
