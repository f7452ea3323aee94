"""Page routes: search, cable, diff, stats, entities, declassification review, login. Mounted on
the API's app by ``mount(app)``.

Every page is rendered on a reader thread of the pool (database work and template
rendering together), so the event loop stays free. Pages get the reader's access-checked
view of the archive (``cablegram.api.auth.read``), never the raw archive.
"""

from __future__ import annotations

import contextlib
import re
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from cablegram import __version__, present
from cablegram.access.rules import WITHHELD
from cablegram.access.view import ReaderArchive as Archive  # pages only ever get a view
from cablegram.api import auth
from cablegram.api.convert import facet_filter, facet_label, quote_value
from cablegram.api.pool import ArchivePool
from cablegram.api.routes import citing, entity_years
from cablegram.archive import render_text
from cablegram.reference import classification_level, precedence_name, tag
from cablegram.search import QueryError
from cablegram.search.query import MAX_LENGTH
from cablegram.web import charts

__all__ = ["mount", "render_error"]

HERE = Path(__file__).resolve().parent
PER_PAGE = 20
MAX_PAGE = 500
SORTS = {"relevance": "Relevance", "date": "Newest", "date-asc": "Oldest"}
FACET_TITLES = {
    "origin": "Origin",
    "classification": "Classification",
    "tag": "Tags",
    "caveat": "Caveats",
    "year": "Year",
    "signer": "Signer",
}
EXAMPLES = [
    ('"naval base"', "a phrase"),
    ("tag:PGOV iran", "a tag and a word"),
    ("origin:BAKU nagorno karabakh", "one post"),
    ("class:>=S caveat:NOFORN", "secret or above, not for foreigners"),
    ("date:2009-01..2009-06 tag:PREL", "a date range"),
    ("(oil OR gas) -tag:ECON", "OR, parentheses, NOT"),
]
SYNTAX = [
    ("word word", "both words, anywhere in the cable (AND is implied)"),
    ('"exact phrase"', "the words together, in one paragraph"),
    ("a OR b", "either; OR binds tighter than AND"),
    ("-word, NOT word", "without"),
    ("( )", "grouping"),
    ("kara*", "a prefix"),
    ("tag:PGOV", "TAGS (subjects, countries, organisations)"),
    ("origin:BAKU", 'sending post (origin:"Embassy Baku" by name)'),
    ("class:C, class:>=S", "classification: U, LOU, SBU, C, S, TS"),
    ("caveat:NOFORN", "handling caveat"),
    ("date:2009-06, year:2009, from:, to:", "dates; ranges with .."),
    ("id:09BAKU433, ref:08BAKU123", "a cable; cables citing one"),
    ("subject:word, signer:DERSE", "subject line; who signed"),
    ("lint:portion-above-banner", "cables breaking a lint rule (see Anomalies)"),
]

env = Environment(
    loader=FileSystemLoader(str(HERE / "templates")),
    autoescape=True,  # cable text is untrusted: everything is escaped unless marked safe
    trim_blocks=True,
    lstrip_blocks=True,
)


def search_href(q: str = "", sort: str = "relevance", page: int = 1) -> str:
    params: dict[str, Any] = {}
    if q:
        params["q"] = q
    if sort and sort != "relevance":
        params["sort"] = sort
    if page and page > 1:
        params["page"] = page
    return "/search" + ("?" + urlencode(params) if params else "")


def _fmt(n: int | None) -> str:
    return "" if n is None else f"{n:,}"


env.globals.update(search_href=search_href, version=__version__, SORTS=SORTS, WITHHELD=WITHHELD)
env.filters["n"] = _fmt
env.filters["date_words"] = present.date_words
env.filters["basename"] = lambda p: str(p).replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def _filter_re(f: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\S)" + re.escape(f) + r"(?!\S)", re.I)


def has_filter(q: str, f: str) -> bool:
    return bool(_filter_re(f).search(q))


def add_filter(q: str, f: str) -> str:
    return f"{q.strip()} {f}".strip()


def remove_filter(q: str, f: str) -> str:
    return " ".join(_filter_re(f).sub(" ", q).split())


def _int(value: str | None, default: int, lo: int, hi: int) -> int:
    try:
        n = int(value) if value is not None else default
    except ValueError:
        return default
    return max(lo, min(hi, n))


def _pages(page: int, pages: int) -> list[int | None]:
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


def _render(name: str, **ctx: Any) -> str:
    return env.get_template(name).render(**ctx)


def _html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status)


# ---------------------------------------------------------------------------- search


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


def _stats(arc: Archive, pool: ArchivePool) -> dict[str, Any]:
    arc._log("stats")
    return pool.cached(("stats", arc.reader.key), lambda: arc.stats(audit=False))


def _home(arc: Archive, pool: ArchivePool) -> dict[str, Any]:
    st = _stats(arc, pool)
    years = {y: n for y, n in st.get("years", {}).items() if isinstance(y, int)}
    bars = charts.year_bars(years)
    for b in bars:
        if b.count:
            b.href = search_href(f"year:{b.key}")
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


def _search_key(reader: Any, q: str, page: int, sort: str) -> tuple:
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
        return _render("home.html", **ctx), 200

    def run(page: int) -> Any:
        res = pool.cached(
            _search_key(arc.reader, q, page, sort),
            lambda: pool.search(arc, q, page=page, per_page=PER_PAGE, sort=sort, facets=True),
        )  # fmt: skip
        arc._log("search", "", q, res.total)
        return res

    try:
        res = run(page)
    except QueryError as exc:
        ctx["error"] = {"message": exc.message, "pointer": exc.pointer(q), "position": exc.position}
        return _render("search.html", **ctx), 400
    if res.total and page > res.pages:
        res = run(res.pages)
        ctx["page"] = page = res.page
    groups = _facet_groups(q, sort, res)
    if arc.has_entities():
        groups[1:1] = _entity_groups(arc, pool, q, sort)
    active = [item for group in groups for item in group["items"] if item["active"]]
    hits = []
    for h in res.hits:
        hits.append(
            {
                "id": h.id,
                "href": f"/cables/{h.id}",
                "subject": h.subject,
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
        pages=_pages(res.page, res.pages),
        sorts=[(key, label, search_href(q, key)) for key, label in SORTS.items()],
        export_jsonl="/api/export?" + urlencode({"q": q, "format": "jsonl"}),
        export_csv="/api/export?" + urlencode({"q": q, "format": "csv"}),
        api_href="/api/search?" + urlencode({"q": q, "sort": sort, "page": res.page}),
    )
    return _render("search.html", **ctx), 200


# ----------------------------------------------------------------------------- cable


def _pick_version(versions: list[Any], ref: str) -> Any:
    """A version by number or unique content-hash prefix (as ``Archive.version``)."""
    s = ref.strip().lower()
    if s.isdigit() and len(s) < 6:
        k = int(s)
        return versions[k - 1] if 1 <= k <= len(versions) else None
    hits = [v for v in versions if s and v.content_hash.startswith(s)]
    return hits[0] if len(hits) == 1 else None


def cable_page(arc: Archive, cable_id: str, version: str | None,
               who: dict[str, Any] | None = None) -> tuple[str, int] | str:  # fmt: skip
    """The page, or the canonical URL to redirect to."""
    cable = arc.get(cable_id)
    if cable is None:
        return _render_error_body(404, "No such cable",
                                  f"There is no cable {cable_id.strip().upper()} in this archive."), 404  # fmt: skip
    if cable_id != cable.id:
        return f"/cables/{cable.id}" + (f"?v={version}" if version else "")
    versions = arc.versions(cable.id)
    shown = next((v for v in versions if v.shown), versions[-1] if versions else None)
    selected = shown
    if version:
        pick = _pick_version(versions, version)
        other = arc.version(cable.id, pick.number) if pick else None
        if pick is None or other is None:
            return _render_error_body(
                404, "No such version", f"{cable.id} has no version {version}."
            ), 404  # fmt: skip
        selected, cable = pick, other
    today = date.today()
    refs = [
        {"ref": r, "present": ok, "href": f"/cables/{r.id}" if ok else None}
        for r, ok in (
            [(r, ok) for r, ok in arc.references_of(cable.id)]
            if selected is shown
            else [(r, r.id in arc.present([r.id])) for r in cable.references]
        )
    ]
    total_citing, citing_list = citing(arc, cable.id, limit=100)
    mentioned: dict[str, list[dict[str, Any]]] = {}
    if selected is shown and arc.has_entities():
        seen: set[str] = set()
        for mention in arc.cable_entities(cable.id):
            eid = mention["entity_id"]
            if not eid or eid in seen or mention["kind"] not in ENTITY_KINDS:
                continue
            seen.add(eid)
            mentioned.setdefault(mention["kind"], []).append(
                {"name": mention["name"] or mention["text"], "href": entity_href(eid)}
            )
    raw = "\n".join(x for x in (cable.header, cable.body) if x) or render_text(cable)
    withheld = [p for p in cable.paragraphs if p.text == WITHHELD]
    ctx = {
        "who": who,
        "c": cable,
        "withheld": withheld,
        "nav": "cable",
        "q": "",
        "versions": versions,
        "shown": shown,
        "selected": selected,
        "classification": present.classification_view(cable),
        "origin": present.origin_view(cable),
        "to": [present.addressee_view(a) for a in cable.to],
        "info": [present.addressee_view(a) for a in cable.info],
        "precedence": precedence_name(cable.precedence) or cable.precedence,
        "precedence_note": present.PRECEDENCE_NOTES.get(
            precedence_name(cable.precedence) or cable.precedence, ""
        ),
        "dtg_words": present.dtg_words(cable.dtg),
        "dtg_tele": present.dtg_telegraphic(cable.dtg),
        "eo": present.eo_view(cable.eo),
        "reasons": present.reasons_view(cable),
        "declass": present.declassification(cable, today),
        "tags": [
            (code, name, kind, search_href(f"tag:{quote_value(code)}"))
            for code, name, kind in present.tags_view(cable)
        ],
        "paragraphs": present.paragraphs_view(cable),
        "refs": refs,
        "cited_by": citing_list,
        "cited_total": total_citing,
        "mentioned": [
            (ENTITY_KINDS[k], sorted(v, key=lambda x: x["name"].casefold()))
            for k in ("person", "org", "place")
            if (v := mentioned.get(k))
        ],
        "raw": raw,
        "json_href": f"/api/cables/{cable.id}"
        + (f"/versions/{selected.number}" if selected is not shown and selected else ""),
        "text_href": f"/api/cables/{cable.id}/text",
        "origin_href": search_href(f"origin:{quote_value(cable.origin.code)}")
        if cable.origin.code
        else None,
        "today": today,
        "signer_href": search_href(f"signer:{quote_value(cable.signer)}") if cable.signer else "",
    }
    from cablegram.web.telegram import cable_line

    ctx["serial_line"], ctx["serial_href"] = (
        cable_line(arc, cable) if selected is shown else ("", "")
    )
    return _render("cable.html", **ctx), 200


def _shown_value(v: Any) -> str:
    if v in (None, "", [], {}):
        return "—"
    if isinstance(v, list):
        return "; ".join(_shown_value(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k}: {_shown_value(x)}" for k, x in v.items() if x not in (None, "", []))
    return str(v)


def diff_page(arc: Archive, cable_id: str, a: str | None, b: str | None,
              who: dict[str, Any] | None = None) -> tuple[str, int]:  # fmt: skip
    cid = cable_id.strip().upper()
    versions = arc.versions(cid)
    if not versions:
        return _render_error_body(404, "No such cable",
                                  f"There is no cable {cid} in this archive."), 404  # fmt: skip
    cable = arc.get(cid)
    ctx: dict[str, Any] = {"cid": cid, "c": cable, "versions": versions, "nav": "cable", "q": "",
                           "who": who}  # fmt: skip
    if len(versions) < 2:
        ctx["single"] = True
        return _render("diff.html", **ctx), 200
    try:
        d = arc.diff(cid, a or None, b or None)
    except LookupError as exc:
        return _render_error_body(404, "No such version", f"{exc}."), 404
    lines = []
    for line in d.text:
        line = line.rstrip("\n")
        if line.startswith(("+++", "---")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "ctx"
        lines.append((kind, line))
    fields = [
        {"field": ch.field, "old": _shown_value(ch.old), "new": _shown_value(ch.new)}
        for ch in d.fields
    ]
    ctx.update(d=d, lines=lines, fields=fields)
    return _render("diff.html", **ctx), 200


# ----------------------------------------------------------------------------- stats


def stats_page(arc: Archive, pool: ArchivePool, who: dict[str, Any] | None = None) -> str:
    st = _stats(arc, pool)
    years = {y: n for y, n in st.get("years", {}).items() if isinstance(y, int)}
    bars = charts.year_bars(years)
    for bar in bars:
        if bar.count:
            bar.href = search_href(f"year:{bar.key}")
    origins = [
        charts.Row(
            name or "(unknown)", n, search_href(f"origin:{quote_value(name)}") if name else None
        )
        for name, n in list(st.get("origins", {}).items())[:25]
    ]
    classes = []
    for name, n in st.get("classifications", {}).items():
        level = classification_level(name or "")
        f = facet_filter("classification", name) if name else ""
        classes.append(
            charts.Row(
                name or "(unknown)",
                n,
                search_href(f) if f else None,
                css=present.level_class(level),
            )  # fmt: skip
        )
    tags = [
        charts.Row(
            tag(code).name or code, n, search_href(f"tag:{quote_value(code)}"), sub=code
        )  # fmt: skip
        for code, n in st.get("tags", {}).items()
    ]
    caveats = [
        charts.Row(name, n, search_href(f"caveat:{quote_value(name)}"))
        for name, n in st.get("caveats", {}).items()
    ]
    total = st.get("cables", 0) or 0
    ctx = {
        "who": who,
        "nav": "stats",
        "q": "",
        "st": st,
        "n_origins": len(st.get("origins", {})),
        "first_year": min(years) if years else None,
        "last_year": max(years) if years else None,
        "years_chart": charts.histogram(bars, label="Cables per year", width=1098, height=200),
        "origins_chart": charts.hbars(
            origins, label="Cables per origin", width=518, label_width=200
        ),
        "class_chart": charts.stacked(classes, label="Classification mix", width=1098),
        "classes": [{"row": r, "pct": 100 * r.count / total if total else 0} for r in classes],
        "tags_chart": charts.hbars(tags, label="Most used tags", width=518, label_width=200),
        "caveats_chart": charts.hbars(
            caveats, label="Handling caveats", width=540, label_width=200
        ),
    }
    return _render("stats.html", **ctx)


# -------------------------------------------------------------------------- entities

ENTITY_KINDS = {"": "All", "person": "People", "org": "Organisations", "place": "Places"}
ENTITIES_PER_PAGE = 50
EGO_NEIGHBOURS = 24


def entity_href(entity_id: str) -> str:
    return "/entities/" + quote(entity_id, safe=":~")


def _entities_href(kind: str, q: str = "", page: int = 1) -> str:
    params: dict[str, Any] = {}
    if kind:
        params["kind"] = kind
    if q:
        params["q"] = q
    if page > 1:
        params["page"] = page
    return "/entities" + ("?" + urlencode(params) if params else "")


def entities_page(arc: Archive, kind: str, q: str, page: int,
                  who: dict[str, Any] | None = None) -> str:  # fmt: skip
    enriched = arc.has_entities()
    rows: list[dict[str, Any]] = []
    more = False
    if enriched:
        found = arc.entities(kind or None, query=q or None, limit=ENTITIES_PER_PAGE + 1,
                             offset=(page - 1) * ENTITIES_PER_PAGE)  # fmt: skip
        more = len(found) > ENTITIES_PER_PAGE
        rows = [{**s.to_dict(), "href": entity_href(s.entity_id)}
                for s in found[:ENTITIES_PER_PAGE]]  # fmt: skip
    api = {"limit": ENTITIES_PER_PAGE, "offset": (page - 1) * ENTITIES_PER_PAGE}
    if kind:
        api["kind"] = kind
    if q:
        api["q"] = q
    return _render(
        "entities.html",
        who=who,
        nav="entities",
        q="",
        eq=q,
        kind=kind,
        kinds=[(k, label, _entities_href(k, q)) for k, label in ENTITY_KINDS.items()],
        enriched=enriched,
        rows=rows,
        prev_href=_entities_href(kind, q, page - 1) if page > 1 else None,
        next_href=_entities_href(kind, q, page + 1) if more else None,
        api_href="/api/entities?" + urlencode(api),
    )


def _ego_chart(arc: Archive, eid: str) -> tuple[Markup, int, bool]:
    g = arc.ego_network(eid, limit=EGO_NEIGHBOURS + 1)
    center = next((n for n, d in g.nodes(data=True) if d.get("center")), None)
    if center is None or g.degree(center) == 0:
        return Markup(""), 0, False
    others = sorted(g.neighbors(center),
                    key=lambda n: (-g.edges[center, n].get("weight", 1), g.nodes[n].get("name", "")))  # fmt: skip
    cut = len(others) > EGO_NEIGHBOURS
    others = others[:EGO_NEIGHBOURS]

    def node(n: str, weight: int = 0) -> charts.Node:
        d = g.nodes[n]
        name = d.get("name") or n
        cables = d.get("cables", 0) or 0
        title = f"{name} ({d.get('kind', '')}): {cables:,} cable{'s' if cables != 1 else ''}"
        if weight:
            title += f", {weight:,} shared"
        return charts.Node(name, d.get("kind", ""), weight, entity_href(n), title)

    chart = charts.ego(
        node(center),
        [node(n, g.edges[center, n].get("weight", 1)) for n in others],
        label=f"Entities mentioned with {g.nodes[center].get('name') or center}",
        width=760,
        height=480,
    )
    return chart, len(others), cut


def entity_page(arc: Archive, entity_id: str,
                who: dict[str, Any] | None = None) -> tuple[str, int] | str:  # fmt: skip
    """The page, the canonical URL to redirect to, or a 404."""
    page = arc.entity(entity_id) if arc.has_entities() else None
    if page is None:
        return _render_error_body(404, "No such entity",
                                  f"There is no entity {entity_id.strip()} in this archive."), 404  # fmt: skip
    e = page.entity
    if entity_id != e.entity_id:
        return entity_href(e.entity_id)
    bars = charts.year_bars(entity_years(page.timeline))
    network, network_n, network_cut = _ego_chart(arc, e.entity_id)
    co = [{**d, "href": entity_href(d["entity_id"])} for d in page.co_mentioned]
    ctx = {
        "who": who,
        "nav": "entities",
        "q": "",
        "e": e,
        "page": page,
        "kind_label": {"person": "Person", "org": "Organisation", "place": "Place"}.get(
            e.kind, e.kind
        ),
        "years_chart": charts.histogram(bars, label="Cables per year", width=760, height=140),
        "network": network,
        "network_n": network_n,
        "network_cut": network_cut,
        "co": co,
        "api_href": "/api" + entity_href(e.entity_id),
    }
    return _render("entity.html", **ctx), 200


# ----------------------------------------------------------------------------- errors


def _render_error_body(status: int, title: str | None, detail: str) -> str:
    titles = {404: "Not found", 422: "Bad request", 400: "Bad request", 500: "Server error"}
    return _render(
        "error.html",
        status=status,
        title=title or titles.get(status, "Error"),
        detail=detail,
        nav="",
        q="",
    )


async def render_error(request: Request, status: int, title: str | None, detail: str) -> Response:
    return _html(_render_error_body(status, title, detail), status)


# ----------------------------------------------------------------------------- mount


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
        page = _int(params.get("page"), 1, 1, MAX_PAGE)
        p = pool(request)
        if p.searchers is not None and p.remembers and q.strip():
            # Run the search on a search process without holding a reader thread, into
            # the cache the page reads from (a bad query is left for the page to explain).
            reader = auth.reader_of(request)
            with contextlib.suppress(QueryError, ValueError):
                await p.cached_async(
                    _search_key(reader, q, page, sort),
                    lambda: p.searchers.search_async(reader, q, page=page, per_page=PER_PAGE,
                                                     sort=sort, facets=True),
                )  # fmt: skip
        body, status = await auth.read(request, search_page, p, q, sort, page, auth.who(request))
        return _html(body, status)

    @app.get("/cables/{cable_id}", include_in_schema=False)
    async def cable(request: Request, cable_id: str) -> Response:
        v = request.query_params.get("v") or None
        if v is not None and len(v) > 64:
            v = v[:64]
        out = await auth.read(request, cable_page, cable_id[:64], v, auth.who(request))
        if isinstance(out, str):
            return RedirectResponse(out, status_code=301)
        return _html(*out)

    @app.get("/cables/{cable_id}/diff", include_in_schema=False)
    async def diff(request: Request, cable_id: str) -> Response:
        a = (request.query_params.get("a") or "")[:64] or None
        b = (request.query_params.get("b") or "")[:64] or None
        return _html(*await auth.read(request, diff_page, cable_id[:64], a, b, auth.who(request)))

    @app.get("/stats", include_in_schema=False)
    async def stats(request: Request) -> Response:
        p = pool(request)
        return _html(await auth.read(request, stats_page, p, auth.who(request)))

    @app.get("/entities", include_in_schema=False)
    async def entities(request: Request) -> Response:
        params = request.query_params
        kind = params.get("kind") or ""
        if kind not in ENTITY_KINDS:
            kind = ""
        q = (params.get("q") or "")[:200].strip()
        page = _int(params.get("page"), 1, 1, MAX_PAGE)
        return _html(await auth.read(request, entities_page, kind, q, page, auth.who(request)))

    @app.get("/entities/{entity_id}", include_in_schema=False)
    async def entity(request: Request, entity_id: str) -> Response:
        out = await auth.read(request, entity_page, entity_id[:200], auth.who(request))
        if isinstance(out, str):
            return RedirectResponse(out, status_code=301)
        return _html(*out)

    @app.get("/declass", include_in_schema=False)
    async def declass(request: Request) -> Response:
        raw = (request.query_params.get("due") or "")[:10]
        try:
            due = date.fromisoformat(raw) if raw else date.today()
        except ValueError:
            due = date.today()
        rep = await auth.read(request, lambda arc: arc.declassification(due))
        return _html(_render("declass.html", rep=rep, who=auth.who(request), nav="declass", q=""))

    from cablegram.web import login
    from cablegram.web import telegram as telegram_pages

    login.mount(app, _render, _html)
    telegram_pages.mount(app, _render, _html)

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        return RedirectResponse("/static/favicon.svg", status_code=301)
