"""Pages of the telegram system: Coverage (per post and year, as a chart) and Anomalies
(lint findings per rule, year and origin); the cable page's serial line. Routed by
``web.routes``.

Both read the reader's view of the archive: a restricted reader's coverage and counts
come from the cables they may see only.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from markupsafe import Markup

from cablegram.search.fields import quote_value
from cablegram.telegram.coverage import CoverageRow, ordinal
from cablegram.telegram.lint import RULES
from cablegram.telegram.transmission import id_serial, id_year
from cablegram.web.templating import render
from cablegram.web.urls import search_href

__all__ = ["anomalies_page", "cable_line", "coverage_heatmap", "coverage_page", "serial_strip"]

MAX_POSTS = 40  # rows of the heat map: the posts with the most cables


def _a(x: str) -> str:
    return escape(x, quote=True)


def post_words(name: str, code: str) -> str:
    """``Embassy Baku`` -> ``Baku``; the post as a sentence names it."""
    for prefix in ("Embassy ", "Consulate ", "Mission ", "US Mission to ", "USMission "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name or code


def _possessive(words: str) -> str:
    return f"{words}'" if words.endswith("s") else f"{words}'s"


def cable_line(arc: Any, cable: Any) -> tuple[str, str]:
    """("Baku's 433rd cable of 2009; the archive holds 6 of Baku's 2009 cables ...", the
    coverage page of that post and year), from the cables the reader may see; ('', '')
    when the cable has no serial."""
    serial, year = id_serial(cable.id), id_year(cable.id)
    if not serial or not year or not cable.origin.code:
        return "", ""
    rows = arc.coverage(cable.origin.code, year)
    if not rows:
        return "", ""
    row = rows[0]
    who = _possessive(post_words(cable.origin.name, cable.origin.code))
    text = (f"{who} {ordinal(serial)} cable of {year}; the archive holds {row.held:,} of "
            f"{who} {year} cables (at least {row.highest_serial:,} were sent: "
            f"{100 * row.coverage:.1f}%)")  # fmt: skip
    return text, f"/coverage?post={cable.origin.code}&year={year}"


def _cov_class(c: float) -> str:
    for limit, css in ((0.005, "cov-1"), (0.02, "cov-2"), (0.05, "cov-3"), (0.15, "cov-4")):
        if c < limit:
            return css
    return "cov-5"


def coverage_heatmap(rows: list[CoverageRow], href: Callable[[str, int | None], str],
                     *, width: int = 1098) -> Markup:  # fmt: skip
    """Posts down, years across, each cell shaded by the share of the post's traffic of
    that year the archive holds; a cell links to that post and year."""
    if not rows:
        return Markup("")
    held: dict[str, int] = {}
    for r in rows:
        held[r.post] = held.get(r.post, 0) + r.held
    posts = sorted(held, key=lambda p: (-held[p], p))[:MAX_POSTS]
    # The years the shown posts have cables in (a column per year, none for empty ones).
    shown = set(posts)
    years = sorted({r.year for r in rows if r.post in shown})
    cells = {(r.post, r.year): r for r in rows}
    label_w, row_h, top = 150, 20, 26
    cell_w = max(8.0, min(56.0, (width - label_w - 10) / max(1, len(years))))
    height = top + row_h * len(posts) + 6
    w = label_w + cell_w * len(years) + 10
    out = [
        f'<svg class="chart heatmap" viewBox="0 0 {w:.0f} {height}" width="{w:.0f}" '
        f'height="{height}" role="img" aria-label="Coverage per post and year" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    step = max(1, round(len(years) / (w / 46)))
    for j, y in enumerate(years):
        if j % step == 0:
            x = label_w + cell_w * j + cell_w / 2
            out.append(f'<text class="tick" x="{x:.1f}" y="16" text-anchor="middle">{y}</text>')
    for i, p in enumerate(posts):
        y0 = top + i * row_h
        out.append(
            f'<a href="{_a(href(p, None))}"><text class="label" x="{label_w - 8}" '
            f'y="{y0 + 14}" text-anchor="end">{escape(p)}</text></a>'
        )
        for j, yr in enumerate(years):
            cr = cells.get((p, yr))
            x = label_w + cell_w * j
            if cr is None:
                out.append(f'<rect class="cell cov-0" x="{x + 1:.1f}" y="{y0 + 1}" '
                           f'width="{cell_w - 2:.1f}" height="{row_h - 2}"/>')  # fmt: skip
                continue
            cell = (
                f'<rect class="cell {_cov_class(cr.coverage)}" x="{x + 1:.1f}" y="{y0 + 1}" '
                f'width="{cell_w - 2:.1f}" height="{row_h - 2}" rx="2"/>'
                f"<title>{escape(p)} {yr}: {cr.held:,} of at least {cr.highest_serial:,} "
                f"cables ({100 * cr.coverage:.2f}%)</title>"
            )
            out.append(f'<a href="{_a(href(p, yr))}">{cell}</a>')
    out.append("</svg>")
    return Markup("".join(out))


def serial_strip(row: CoverageRow, *, width: int = 1098, height: int = 34) -> Markup:
    """Serials 1..highest left to right: a dark tick for each held cable, so the gaps
    (the cables the archive lacks) are what the eye sees."""
    top = row.highest_serial
    if top <= 0:
        return Markup("")
    held = _held(row)
    out = [
        f'<svg class="chart strip" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="Serials held of {row.post} {row.year}" '
        'xmlns="http://www.w3.org/2000/svg">'
        f'<rect class="cell cov-0" x="0" y="4" width="{width}" height="{height - 18}"/>'
    ]
    tick = max(1.0, width / top)
    for s in sorted(held):
        x = width * (s - 1) / top
        out.append(f'<rect class="held" x="{x:.2f}" y="4" width="{tick:.2f}" '
                   f'height="{height - 18}"><title>serial {s}</title></rect>')  # fmt: skip
    out.append(f'<text class="tick" x="0" y="{height - 2}">1</text>'
               f'<text class="tick" x="{width}" y="{height - 2}" text-anchor="end">'
               f"{top:,}</text></svg>")  # fmt: skip
    return Markup("".join(out))


def _held(row: CoverageRow) -> set[int]:
    missing: set[int] = set()
    for a, b in row.missing:
        missing.update(range(a, b + 1))
    return set(range(1, row.highest_serial + 1)) - missing


def coverage_page(arc: Any, post: str, year: int | None, who: Any) -> str:
    rows = arc.coverage(post or None, year)

    def href(p: str, y: int | None) -> str:
        return f"/coverage?post={p}" + (f"&year={y}" if y else "")

    totals = {"held": sum(r.held for r in rows), "highest": sum(r.highest_serial for r in rows)}
    detail = []
    if post:
        for r in rows:
            detail.append({
                "row": r, "strip": serial_strip(r),
                "search": search_href(f"origin:{quote_value(r.post)} year:{r.year}"),
                "gaps": len(r.missing),
            })  # fmt: skip
    table = sorted(rows, key=lambda r: (-r.held, r.post, r.year))[:30]
    return render(
        "coverage.html", who=who, nav="coverage", q="", post=post, year=year, rows=table,
        n_rows=len(rows), totals=totals, detail=detail,
        heatmap=coverage_heatmap(rows, href) if not post else Markup(""),
        href=href,
    )  # fmt: skip


def anomalies_page(arc: Any, who: Any) -> str:
    rep = arc.anomalies()
    rules = []
    for rid, rule in RULES.items():
        n = rep.rules.get(rid, 0)
        years = sorted(rep.by_year.get(rid, {}).items())
        origins = sorted(rep.by_origin.get(rid, {}).items(), key=lambda x: (-x[1], x[0]))[:8]
        rules.append({
            "id": rid, "rule": rule, "cables": n, "findings": rep.findings.get(rid, 0),
            "href": search_href(f"lint:{rid}") if n else None,
            "years": [(y, k, search_href(f"lint:{rid} year:{y}")) for y, k in years],
            "origins": [(o, k, search_href(f"lint:{rid} origin:{quote_value(o)}"))
                        for o, k in origins],
        })  # fmt: skip
    return render("anomalies.html", who=who, nav="anomalies", q="", rep=rep, rules=rules)
