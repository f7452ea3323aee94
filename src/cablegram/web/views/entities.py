"""The entities list and one entity's page (timeline, co-mentions, ego network)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup

from cablegram.access.view import ReaderArchive as Archive  # pages only ever get a view
from cablegram.reading import entity_years
from cablegram.web import charts
from cablegram.web.templating import error_body, render
from cablegram.web.urls import entities_href, entity_href

ENTITY_KINDS = {"": "All", "person": "People", "org": "Organisations", "place": "Places"}
ENTITIES_PER_PAGE = 50
EGO_NEIGHBOURS = 24


def entities_page(arc: Archive, kind: str, q: str, page: int,
                  who: dict[str, Any] | None = None, enriching: bool = False) -> str:  # fmt: skip
    """``enriching``: ``cablegram enrich`` is running on this archive (the page says so)."""
    enriched = arc.has_entities()
    rows: list[dict[str, Any]] = []
    more = False
    if enriched:
        found = arc.entities(kind or None, query=q or None, limit=ENTITIES_PER_PAGE + 1,
                             offset=(page - 1) * ENTITIES_PER_PAGE)  # fmt: skip
        more = len(found) > ENTITIES_PER_PAGE
        rows = [{**s.to_dict(), "href": entity_href(s.entity_id)}
                for s in found[:ENTITIES_PER_PAGE]]  # fmt: skip
    api: dict[str, Any] = {"limit": ENTITIES_PER_PAGE, "offset": (page - 1) * ENTITIES_PER_PAGE}
    if kind:
        api["kind"] = kind
    if q:
        api["q"] = q
    return render(
        "entities.html",
        who=who,
        nav="entities",
        q="",
        eq=q,
        kind=kind,
        kinds=[(k, label, entities_href(k, q)) for k, label in ENTITY_KINDS.items()],
        enriched=enriched,
        enriching=enriching,
        rows=rows,
        prev_href=entities_href(kind, q, page - 1) if page > 1 else None,
        next_href=entities_href(kind, q, page + 1) if more else None,
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
        return error_body(404, "No such entity",
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
    return render("entity.html", **ctx), 200
