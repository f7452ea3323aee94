"""The statistics page: cables per year, origin, classification, tag and caveat."""

from __future__ import annotations

from typing import Any

from cablegram import present
from cablegram.access.view import ReaderArchive as Archive  # pages only ever get a view
from cablegram.api.pool import ArchivePool
from cablegram.reference import classification_level, tag
from cablegram.search.fields import UNKNOWN_TAG, facet_filter, quote_value
from cablegram.web import charts
from cablegram.web.templating import render
from cablegram.web.urls import search_href


def reader_stats(arc: Archive, pool: ArchivePool) -> dict[str, Any]:
    arc._log("stats")
    return pool.cached(("stats", arc.reader.key), lambda: arc.stats(audit=False))


def year_bars(st: dict[str, Any]) -> tuple[dict[int, int], list[charts.Bar]]:
    """Cables per year of the stats, and their bars, each linked to its year's search."""
    years = {y: n for y, n in st.get("years", {}).items() if isinstance(y, int)}
    bars = charts.year_bars(years)
    for bar in bars:
        if bar.count:
            bar.href = search_href(f"year:{bar.key}")
    return years, bars


def stats_page(arc: Archive, pool: ArchivePool, who: dict[str, Any] | None = None) -> str:
    st = reader_stats(arc, pool)
    years, bars = year_bars(st)
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
            tag(code).name or UNKNOWN_TAG, n, search_href(f"tag:{quote_value(code)}"), sub=code
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
    return render("stats.html", **ctx)
