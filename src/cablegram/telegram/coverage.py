"""Coverage: how much of each post's traffic of a year the archive holds.

Station serials run 1, 2, 3... per post and year, so the highest serial seen is a lower
bound on what the post sent that year, and the serials missing below it are cables the
archive does not hold (the estimate of Gill and Spirling, Political Analysis 2015).

A cable's serial comes from its DE line where it has one, else from its id (which the
banner gives). The DE line may keep only the low digits (``#2345`` for STATE 112345): a
DE serial that matches the id's low digits takes the id's serial. A DE serial that
disagrees with the id counts once, as the DE line says, and is reported in ``conflicts``.
For a restricted reader only the cables they may see count, the highest serial included:
a withheld cable's serial would say that it exists.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from cablegram.telegram.transmission import _DE, id_serial, id_year

__all__ = ["CoverageRow", "coverage", "ordinal", "post_ids", "serial_of", "store_rows"]


@dataclass
class CoverageRow:
    post: str  # origin code as ids spell it: BAKU
    year: int
    held: int  # distinct serials held
    highest_serial: int
    coverage: float  # held / highest_serial
    missing: list[tuple[int, int]] = field(default_factory=list)  # inclusive ranges
    conflicts: list[tuple[str, int, int]] = field(default_factory=list)  # id, DE, id serial

    def to_dict(self) -> dict[str, Any]:
        return {"post": self.post, "year": self.year, "held": self.held,
                "highest_serial": self.highest_serial, "coverage": round(self.coverage, 6),
                "missing": [list(r) for r in self.missing],
                "conflicts": [list(c) for c in self.conflicts]}  # fmt: skip


def serial_of(cable_id: str, header: str) -> tuple[int | None, int | None]:
    """(serial counted, the id's serial when the DE line disagrees with it, else None)."""
    from_id = id_serial(cable_id)
    m = _DE.search(header or "")
    if not m:
        return from_id, None
    de, digits = int(m[2]), len(m[2])
    if from_id is None or from_id == de:
        return de if from_id is None else from_id, None
    if from_id % 10**digits == de:
        return from_id, None  # the DE line keeps the low digits only
    return de, from_id


def coverage(
    rows: Iterable[tuple[str, str, int | None, str]],
    post: str | None = None,
    year: int | None = None,
) -> list[CoverageRow]:
    """Rows per post and year from (id, origin code, year, header) of each cable."""
    serials: dict[tuple[str, int], set[int]] = {}
    conflicts: dict[tuple[str, int], list[tuple[str, int, int]]] = {}
    want = post.upper().replace(" ", "") if post else None
    for cid, origin, cyear, header in rows:
        if not origin or (want and origin != want):
            continue
        y = id_year(cid) or cyear
        if y is None or (year is not None and y != year):
            continue
        s, other = serial_of(cid, header)
        if s is None or s <= 0:
            continue
        serials.setdefault((origin, y), set()).add(s)
        if other is not None:
            conflicts.setdefault((origin, y), []).append((cid, s, other))
    out = []
    for (p, y), ss in sorted(serials.items()):
        top = max(ss)
        out.append(CoverageRow(p, y, len(ss), top, len(ss) / top, _gaps(ss, top),
                               conflicts.get((p, y), [])))  # fmt: skip
    return out


def _gaps(held: set[int], top: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    start = None
    for s in range(1, top + 1):
        if s not in held:
            start = s if start is None else start
        elif start is not None:
            out.append((start, s - 1))
            start = None
    return out


def post_ids(store: Any, post: str) -> list[str]:
    """The ids of a post's cables (``origin_code`` is indexed)."""
    p = "%s" if type(store).__module__.endswith("postgres") else "?"
    code = post.upper().replace(" ", "")
    return [r[0] for r in store.conn.execute(
        f"SELECT id FROM cables WHERE origin_code = {p}", (code,)).fetchall()]  # fmt: skip


def store_rows(
    store: Any, ids: Iterable[str] | None = None
) -> Iterator[tuple[str, str, int | None, str]]:
    """(id, origin code, year, header) of the shown version of each cable (or of ``ids``).
    The header is read out of the stored record in SQL, not by loading every record."""
    pg = type(store).__module__.endswith("postgres")
    header = "(v.record::jsonb ->> 'header')" if pg else "json_extract(v.record, '$.header')"
    sql = (
        f"SELECT c.id, c.origin_code, c.year, {header} FROM cables c "
        "JOIN versions v ON v.version_id = c.version_id"
    )
    if ids is None:
        for r in store.conn.execute(sql).fetchall():
            yield r[0], r[1], r[2], r[3] or ""
        return
    ids = list(ids)
    p = "%s" if pg else "?"
    for i in range(0, len(ids), 500):
        part = ids[i : i + 500]
        q = f"{sql} WHERE c.id IN ({','.join([p] * len(part))})"
        for r in store.conn.execute(q, part).fetchall():
            yield r[0], r[1], r[2], r[3] or ""


def ordinal(n: int) -> str:
    """433 -> '433rd', 11 -> '11th'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
