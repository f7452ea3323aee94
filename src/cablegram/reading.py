"""What the HTTP API and the web pages both make of a reader's archive: the cables citing
one, an entity's cables per year. (Each answer is shaped here once; ``cablegram.api``
turns it into a response model, ``cablegram.web`` into a page.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["CitingCable", "citing", "entity_years"]


@dataclass(frozen=True)
class CitingCable:
    """A cable whose REF block cites another, as a list of citing cables shows it."""

    id: str
    url: str
    subject: str
    date: str | None
    origin_name: str
    classification: str


def citing(arc: Any, cable_id: str, limit: int = 500) -> tuple[int, list[CitingCable]]:
    """The cables citing ``cable_id``, newest first: (total, first ``limit``)."""
    ids = arc.cited_by(cable_id)
    out: list[CitingCable] = []
    if ids:
        found = {}
        for i in range(0, min(len(ids), limit), 40):
            q = " OR ".join(f'id:"{x}"' for x in ids[i : i + 40])
            res = arc.search(q, per_page=40, sort="date", facets=False, audit=False)
            found.update({h.id: h for h in res.hits})
        for i in ids[:limit]:
            h = found.get(i)
            if h is not None:
                out.append(
                    CitingCable(
                        id=h.id,
                        url=f"/api/cables/{h.id}",
                        subject=h.subject,
                        date=h.date,
                        origin_name=h.origin_name or h.origin_code,
                        classification=h.classification,
                    )
                )
    return len(ids), out


def entity_years(timeline: list[tuple[str, int]]) -> dict[int, int]:
    """Month counts -> cables per year (a cable is in one month)."""
    years: dict[int, int] = {}
    for month, n in timeline:
        try:
            y = int(str(month)[:4])
        except ValueError:
            continue
        years[y] = years.get(y, 0) + n
    return years
