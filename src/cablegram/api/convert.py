"""From the archive's objects to the API's response models."""

from __future__ import annotations

import json
from typing import Any

from cablegram.api import models as m
from cablegram.reference import tag
from cablegram.search.fields import facet_filter, facet_label

__all__ = [
    "search_json",
    "search_out",
    "stats_out",
    "version_out",
]


def search_out(res: Any) -> m.SearchOut:
    """A ``SearchResult`` as the API's model (validated in one call: pydantic-core builds
    the nested models, where a constructor per hit, snippet and facet value cost ~1 ms)."""
    return m.SearchOut.model_validate(_search_data(res))


def search_json(res: Any) -> bytes:
    """``search_out(res)`` as the JSON body, written straight from plain data: the same
    bytes' meaning (tests compare them), without building a model per value first."""
    return json.dumps(_search_data(res), ensure_ascii=False, separators=(",", ":")).encode()


def _search_data(res: Any) -> dict[str, Any]:
    labels = getattr(res, "facet_labels", {}) or {}
    return {
        "query": res.query,
        "total": res.total,
        "page": res.page,
        "per_page": res.per_page,
        "pages": res.pages,
        "sort": res.sort,
        "hits": [
            {
                "id": h.id,
                "url": f"/api/cables/{h.id}",
                "score": h.score,
                "subject": h.subject,
                "date": h.date,
                "origin_code": h.origin_code,
                "origin_name": h.origin_name,
                "classification": h.classification,
                "snippets": [
                    {
                        "number": s.number,
                        "marking": s.marking,
                        "text": s.text,
                        "highlights": s.highlights,
                        "html": s.html(),
                    }
                    for s in h.snippets
                ],
            }
            for h in res.hits
        ],
        "facets": {
            name: _facet_values(name, values, labels) for name, values in (res.facets or {}).items()
        },
    }


def _facet_values(name: str, values: list, labels: dict[str, dict[str, str]]) -> list[dict]:
    if name in ("year", "month"):  # every bucket of the histogram (hundreds of months)
        prefix = "year:" if name == "year" else "date:"
        return [{"value": v, "label": v, "count": n, "filter": prefix + v}
                for v, n in ((str(v), n) for v, n in values)]  # fmt: skip
    return [
        {
            "value": str(v),
            "label": facet_label(name, str(v), labels),
            "count": n,
            "filter": facet_filter(name, str(v)),
        }
        for v, n in values
    ]


def version_out(v: Any) -> m.VersionOut:
    return m.VersionOut(
        number=v.number,
        content_hash=v.content_hash,
        source=v.source,
        member=v.member,
        rendering=v.rendering,
        completeness=v.completeness,
        ingested_at=v.ingested_at,
        shown=v.shown,
    )


def stats_out(st: dict[str, Any]) -> m.Stats:
    def names(d: dict[Any, int]) -> list[m.NameCount]:
        return [m.NameCount(name=str(k or ""), count=n) for k, n in d.items()]

    return m.Stats(
        cables=st.get("cables", 0),
        versions=st.get("versions", 0),
        portions=st.get("portions", 0),
        errors=st.get("errors", 0),
        runs=st.get("runs", 0),
        years=[m.YearCount(year=y, count=n) for y, n in st.get("years", {}).items()],
        origins=names(st.get("origins", {})),
        classifications=names(st.get("classifications", {})),
        caveats=names(st.get("caveats", {})),
        tags=[
            m.TagCount(code=code, name=tag(code).name, count=n)
            for code, n in st.get("tags", {}).items()
        ],
        error_codes=names(st.get("error_codes", {})),
    )
