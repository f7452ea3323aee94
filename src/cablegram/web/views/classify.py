"""The web side of ``cablegram.classify``: the cable page's similar cables and (for reviewers)
predicted sensitivity, the search page's "topics in these results" facet, and /trends.
Everything reads through the reader's view, like the other pages."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import Response
from markupsafe import Markup, escape

__all__ = ["cable_context", "mount", "topic_group", "trends_chart"]

log = logging.getLogger(__name__)
FACET_IDS = 20_000  # topics are counted over at most this many of a search's cables
MAX_QUERIES = 6
COLOURS = ("#1f5fa8", "#b5461f", "#2e7d32", "#7b3fa0", "#a07a00", "#00838f")


def cable_context(arc: Any, cable_id: str, shown: bool) -> dict[str, Any]:
    """``similar`` (at most 10) and, for reviewers, ``prediction`` and ``preds`` (by paragraph
    number) for the cable page; empty when the archive has no index or model."""
    from cablegram.classify import predict_cable, similar
    from cablegram.classify.data import connection

    out: dict[str, Any] = {"similar": [], "prediction": None, "preds": {}}
    if not shown:
        return out
    try:
        connection(arc)
    except NotImplementedError:
        return out
    try:
        out["similar"] = similar(arc, cable_id, k=10, visible=getattr(arc, "visible", None))
    except LookupError:
        pass
    reader = getattr(arc, "reader", None)
    try:
        pred = predict_cable(arc, cable_id, reader=reader, explain=6)
    except LookupError:
        pred = None
    if pred is not None:
        out["prediction"] = pred
        out["preds"] = {p.number: p for p in pred.paragraphs if p.number is not None}
    return out


def topic_group(arc: Any, q: str, sort: str, search_href: Callable[..., str],
                add_filter: Callable[[str, str], str]) -> dict[str, Any] | None:  # fmt: skip
    """The "Topics in these results" facet group (same shape as the search page's others)."""
    from cablegram.classify import topic_counts
    from cablegram.classify.data import connection
    from cablegram.classify.topics import has_topics

    try:
        if not has_topics(connection(arc)):
            return None
    except NotImplementedError:
        return None
    ids = []
    for i, cid in enumerate(arc.search_ids(q)):
        if i >= FACET_IDS:
            break
        ids.append(cid)
    topics = topic_counts(arc, ids, visible=getattr(arc, "visible", None), limit=8)
    if not topics:
        return None
    items = []
    for t in topics:
        f = f"topic:{t.topic}"
        active = f in q.split()
        items.append({"label": t.label, "code": f, "count": t.cables, "filter": f,
                      "active": active, "css": "",
                      "href": search_href(q if active else add_filter(q, f), sort)})  # fmt: skip
    return {"name": "topic", "title": "Topics in these results", "items": items}


def trends_chart(
    months: list[str], series: list[Any], width: int = 900, height: int = 260
) -> Markup:
    """An SVG line chart: one line per query, burst months shaded in the query's colour."""
    if not months:
        return Markup("")
    pad_l, pad_b, pad_t = 40, 22, 10
    w, h = width - pad_l - 8, height - pad_b - pad_t
    top = max([max(s.counts.values(), default=0) for s in series] + [1])
    n = len(months)

    def x(i: int) -> float:
        return pad_l + (i + 0.5) * w / n

    def y(v: int) -> float:
        return pad_t + h - v * h / top

    parts = [f'<svg class="trends-chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="Monthly counts" preserveAspectRatio="none">']  # fmt: skip
    index = {m: i for i, m in enumerate(months)}
    for k, s in enumerate(series):
        colour = COLOURS[k % len(COLOURS)]
        for b in s.bursts:
            i0, i1 = index[b.start], index[b.end]
            parts.append(f'<rect x="{pad_l + i0 * w / n:.1f}" y="{pad_t}" '
                         f'width="{(i1 - i0 + 1) * w / n:.1f}" height="{h}" fill="{colour}" '
                         f'opacity="0.12"><title>burst: {escape(s.query)} {b.start} to {b.end}'
                         "</title></rect>")  # fmt: skip
    parts.append(
        f'<line x1="{pad_l}" y1="{pad_t + h}" x2="{pad_l + w}" y2="{pad_t + h}" stroke="#999"/>'
    )
    parts.append(
        f'<text x="{pad_l - 4}" y="{pad_t + 8}" text-anchor="end" font-size="11">{top}</text>'
    )
    parts.append(f'<text x="{pad_l - 4}" y="{pad_t + h}" text-anchor="end" font-size="11">0</text>')
    for i, anchor in ((0, "start"), (n - 1, "end")):
        at = pad_l if anchor == "start" else pad_l + w
        parts.append(f'<text x="{at:.1f}" y="{height - 6}" text-anchor="{anchor}" '
                     f'font-size="11">{months[i]}</text>')  # fmt: skip
    for k, s in enumerate(series):
        pts = " ".join(f"{x(i):.1f},{y(s.counts.get(m, 0)):.1f}" for i, m in enumerate(months))
        parts.append(f'<polyline fill="none" stroke="{COLOURS[k % len(COLOURS)]}" '
                     f'stroke-width="1.6" points="{pts}"/>')  # fmt: skip
    parts.append("</svg>")
    return Markup("".join(parts))


def mount(app: FastAPI, render: Callable[..., str], html: Callable[..., Response]) -> None:
    from cablegram.api import auth
    from cablegram.search.query import MAX_LENGTH, QueryError

    @app.get("/trends", include_in_schema=False)
    async def trends(request: Request) -> Response:
        from cablegram.classify import trends as run

        qs = [q[:MAX_LENGTH] for q in request.query_params.getlist("q") if q.strip()][:MAX_QUERIES]
        ctx: dict[str, Any] = {"who": auth.who(request), "nav": "trends", "q": "", "queries": qs,
                               "series": [], "chart": Markup(""), "error": None}  # fmt: skip
        status = 200
        if qs:
            try:
                months, series = await auth.read(request, lambda arc: run(arc, qs))
                ctx.update(series=[(COLOURS[i % len(COLOURS)], s) for i, s in enumerate(series)],
                           chart=trends_chart(months, series), months=months,
                           csv_href="/api/trends?" + urlencode([*(("q", q) for q in qs),
                                                                ("format", "csv")]))  # fmt: skip
            except QueryError as e:
                ctx["error"] = e.message
                status = 400
        return html(render("trends.html", **ctx), status)
