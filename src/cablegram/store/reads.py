"""The reads a reader's view needs, written once for both backends.

Each function takes ``q``, a function that runs one SQL statement with ``?`` placeholders
inside one consistent read of the store (``Store._reading``: the SQLite connection, or a
pooled PostgreSQL connection in a REPEATABLE READ transaction, its placeholders turned
into psycopg's), and the reader's ``Visibility`` (None: everything). The SQL is the
common dialect of SQLite and PostgreSQL: no ``%``, no backend functions but ``count``,
``max``, ``replace``, ``upper`` and ``trim``, NULL ordering spelled out. Visibility is
decided by ``Visibility.portion_clause`` alone, as in search.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # (search imports the store: no import back at run time)
    from cablegram.search.visibility import Visibility

__all__ = ["Query", "cable_ids", "declass_rows", "present", "stats", "subjects"]

# (sql with '?' placeholders, parameters) -> rows (empty for a statement without any)
Query = Callable[[str, Sequence[Any]], list[tuple]]

CHUNK = 500  # ids per IN (...) list
_VIS_IDS = "cg_vis_ids"  # a temporary table of the reader's visible cable ids (stats)
_ORIGIN = "CASE WHEN c.origin_name != '' THEN c.origin_name ELSE c.origin_code END"
_NEWEST_FIRST = "ORDER BY c.date IS NULL, c.date DESC, c.id"


def _chunks(ids: Iterable[str]) -> Iterator[list[str]]:
    want = list(dict.fromkeys(i for i in ids if i))
    for i in range(0, len(want), CHUNK):
        yield want[i : i + CHUNK]


def _marks(n: int) -> str:
    return ",".join("?" * n)


def present(q: Query, ids: Iterable[str], visible: Visibility | None) -> set[str]:
    """Which of ``ids`` are cables with at least one portion the reader may see (with no
    ``visible``: which are cables)."""
    out: set[str] = set()
    for part in _chunks(ids):
        if visible is None:
            rows = q(f"SELECT id FROM cables WHERE id IN ({_marks(len(part))})", part)
        else:
            clause, params = visible.portion_clause("p")
            rows = q(
                f"SELECT DISTINCT p.cable_id FROM portions p WHERE p.cable_id IN "
                f"({_marks(len(part))}) AND {clause}",
                [*part, *params],
            )
        out.update(r[0] for r in rows)
    return out


def _visible_cable(visible: Visibility) -> tuple[str, list[Any]]:
    clause, params = visible.portion_clause("p")
    return f"EXISTS (SELECT 1 FROM portions p WHERE p.cable_id = c.id AND {clause})", params


def cable_ids(q: Query, visible: Visibility | None) -> list[str]:
    """Every cable id the reader may see, newest first (the order of ``search_ids``)."""
    if visible is None:
        return [r[0] for r in q(f"SELECT c.id FROM cables c {_NEWEST_FIRST}", [])]
    cond, params = _visible_cable(visible)
    return [r[0] for r in q(f"SELECT c.id FROM cables c WHERE {cond} {_NEWEST_FIRST}", params)]


def subjects(q: Query, ids: Iterable[str], visible: Visibility | None) -> dict[str, str]:
    """The subject line of each of ``ids`` that the reader may see (a withheld subject
    portion is left out)."""
    out: dict[str, str] = {}
    clause, params = visible.portion_clause("p") if visible is not None else ("1 = 1", [])
    for part in _chunks(ids):
        out.update(
            q(
                "SELECT p.cable_id, p.text FROM portions p WHERE p.kind = 'subject' AND "
                f"p.cable_id IN ({_marks(len(part))}) AND {clause}",
                [*part, *params],
            )
        )
    return out


def stats(q: Query, visible: Visibility | None) -> dict[str, Any]:
    """Counts: cables, versions, portions, errors, runs; cables per year, origin,
    classification, caveat; the top 25 tags; errors by code. For a restricted reader the
    cables are those with a visible portion, the portions the visible ones, and ingest
    errors and runs (an administrator's business) are not counted."""

    def one(sql: str, params: Sequence[Any] = ()) -> int:
        return int(q(sql, params)[0][0])

    def pairs(sql: str) -> dict[Any, int]:
        return {k: n for k, n in q(sql, [])}

    pparams: list[object] = []
    if visible is None:
        cables, versions = "cables c", "versions x"
        kinds = {"caveats": "caveats k", "tags": "tags t"}
        portions = "SELECT count(*) FROM portions"
    else:
        clause, pparams = visible.portion_clause("p")
        q(f"DROP TABLE IF EXISTS {_VIS_IDS}", [])
        q(
            f"CREATE TEMP TABLE {_VIS_IDS} AS SELECT DISTINCT p.cable_id AS id FROM portions p "
            f"WHERE {clause}",
            pparams,
        )
        cables = f"cables c JOIN {_VIS_IDS} v ON v.id = c.id"
        versions = f"versions x JOIN {_VIS_IDS} v ON v.id = x.cable_id"
        kinds = {
            "caveats": f"caveats k JOIN {_VIS_IDS} v ON v.id = k.cable_id",
            "tags": f"tags t JOIN {_VIS_IDS} v ON v.id = t.cable_id",
        }
        portions = f"SELECT count(*) FROM portions p WHERE {clause}"
    try:
        out: dict[str, Any] = {
            "cables": one(f"SELECT count(*) FROM {cables}"),
            "versions": one(f"SELECT count(*) FROM {versions}"),
            "portions": one(portions, pparams),
            "errors": one("SELECT count(*) FROM errors") if visible is None else 0,
            "runs": one("SELECT count(*) FROM ingest_runs") if visible is None else 0,
            "years": pairs(
                f"SELECT c.year, count(*) FROM {cables} GROUP BY c.year "
                "ORDER BY c.year IS NOT NULL, c.year"
            ),
            "origins": pairs(
                f"SELECT {_ORIGIN} AS o, count(*) AS n FROM {cables} GROUP BY o ORDER BY n DESC, o"
            ),
            "classifications": pairs(
                f"SELECT c.classification, count(*) AS n FROM {cables} "
                "GROUP BY c.classification ORDER BY max(c.class_level), c.classification"
            ),
            "caveats": pairs(
                f"SELECT k.caveat, count(*) AS n FROM {kinds['caveats']} GROUP BY k.caveat "
                "ORDER BY n DESC, k.caveat"
            ),
            "tags": pairs(
                f"SELECT t.code, count(*) AS n FROM {kinds['tags']} GROUP BY t.code "
                "ORDER BY n DESC, t.code LIMIT 25"
            ),
            "error_codes": pairs(
                "SELECT code, count(*) AS n FROM errors GROUP BY code ORDER BY n DESC, code"
            )
            if visible is None
            else {},
        }
    finally:
        if visible is not None:
            q(f"DROP TABLE IF EXISTS {_VIS_IDS}", [])
    return out


def declass_rows(q: Query, ids: Iterable[str] | None) -> list[tuple]:
    """(id, date, origin, classification, class level, declassify-on) of every cable, or
    of ``ids``: what the declassification review reads (the level: UNCLASSIFIED is never
    due)."""
    cols = (f"SELECT c.id, c.date, {_ORIGIN}, c.classification, c.class_level, c.declassify_on "
            "FROM cables c")  # fmt: skip
    if ids is None:
        return q(f"{cols} ORDER BY c.id", [])
    out: list[tuple] = []
    for part in _chunks(ids):
        out += q(f"{cols} WHERE c.id IN ({_marks(len(part))})", part)
    return sorted(out)
