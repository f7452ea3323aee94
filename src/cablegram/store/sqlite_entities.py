"""The entity reads of the SQLite store (``Store.entities`` and its neighbours), for a
reader's visibility: entities live in the SQLite store so far (``cablegram enrich``).

Everything but a restricted reader goes to the functions of ``cablegram.enrich.catalog``;
a restricted reader's lists and names are counted from the mentions in portions it may
see (``Visibility.portion_clause``, as everywhere), so that a name written only in a
withheld paragraph never reaches it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cablegram.access.entity_ids import PublicIds
    from cablegram.search.visibility import Visibility

_SORTS = {
    "cables": "n_cables DESC, n_mentions DESC, name",
    "mentions": "n_mentions DESC, name",
    "name": "name COLLATE NOCASE, eid",
    "first": "first IS NULL, first, name",
    "last": "last IS NULL, last DESC, name",
}


class EntityReads:
    """Mixed into ``SQLiteStore``: the ``Store`` entity methods on ``self.conn``."""

    conn: sqlite3.Connection

    def has_entities(self) -> bool:
        from cablegram.enrich import db

        return db.has_tables(self.conn)

    def find_entity(self, ref: str) -> str | None:
        from cablegram.enrich.catalog import _find, _need

        _need(self.conn)
        return _find(self.conn, ref)

    def entity_ids(self, kind: str) -> list[str]:
        rows = self.conn.execute("SELECT entity_id FROM entities WHERE kind = ?", (kind,))
        return [r[0] for r in rows]

    def public_entity_ids(self) -> PublicIds:
        from cablegram.access.entity_ids import public_ids

        return public_ids(self.conn)

    def entity_by_public_id(self, public_id: str) -> str | None:
        from cablegram.enrich.catalog import _need

        _need(self.conn)
        return self.public_entity_ids().resolve(self.conn, public_id)

    @staticmethod
    def _mentions(visible: Visibility, alias: str = "m", vp: str = "vp") -> tuple[str, list[Any]]:
        clause, params = visible.portion_clause(vp)
        return f" JOIN portions {vp} ON {vp}.portion_id = {alias}.portion_id AND {clause}", params

    def entities(self, visible: Visibility | None = None, kind: str | None = None, *,
                 query: str | None = None, sort: str = "cables", limit: int = 50,
                 offset: int = 0, only: list[str] | None = None) -> list[Any]:  # fmt: skip
        from cablegram.enrich.catalog import EntitySummary, list_entities

        if visible is None and only is None:
            return list_entities(
                self.conn, kind, query=query, sort=sort, limit=limit, offset=offset
            )
        if sort not in _SORTS:
            raise ValueError(f"sort must be one of {', '.join(_SORTS)}")
        vis, params = ("", []) if visible is None else self._mentions(visible)
        vis2, params2 = ("", []) if visible is None else self._mentions(visible, "m2", "vp2")
        conds = ["m.entity_id IS NOT NULL"]
        if only is not None:
            conds.append(f"m.entity_id IN ({','.join('?' * len(only))})")
            params.extend(only)
        if kind:
            conds.append("e.kind = ?")
            params.append(kind)
        having = ""
        hparams: list[Any] = []
        if query:
            q = query.strip()
            having = " HAVING max(m.text LIKE ? OR m.text LIKE ? OR m.text LIKE ?)"
            hparams = [f"{q}%", f"% {q}%", f"%-{q}%"]
        rows = self.conn.execute(
            "SELECT e.entity_id AS eid, e.kind, "
            f"(SELECT m2.text FROM mentions m2{vis2} WHERE m2.entity_id = e.entity_id "
            "AND m2.text != '' ORDER BY length(m2.text) DESC, m2.text LIMIT 1) AS name, "
            "count(*) AS n_mentions, count(DISTINCT m.cable_id) AS n_cables, "
            "min(c.date) AS first, max(c.date) AS last "
            f"FROM mentions m{vis} JOIN entities e ON e.entity_id = m.entity_id "
            f"JOIN cables c ON c.id = m.cable_id WHERE {' AND '.join(conds)} "
            f"GROUP BY e.entity_id{having} ORDER BY {_SORTS[sort]} LIMIT ? OFFSET ?",
            [*params2, *params, *hparams, limit, offset],
        ).fetchall()
        return [EntitySummary(r[0], r[1], r[2] or "", r[3], r[4], r[5], r[6], False) for r in rows]

    def entity(self, ref: str, visible: Visibility | None = None, *, limit: int = 100) -> Any:
        from cablegram.enrich.catalog import get_entity

        return get_entity(self.conn, ref, visible=visible, limit=limit)

    def entity_names(self, entity_id: str, visible: Visibility | None = None) -> tuple[list, list]:
        vis, params = ("", []) if visible is None else self._mentions(visible)
        aliases = self.conn.execute(
            f"SELECT m.text, count(*) FROM mentions m{vis} WHERE m.entity_id = ? AND m.text != '' "
            "GROUP BY m.text ORDER BY count(*) DESC, m.text",
            [*params, entity_id],
        ).fetchall()
        titles = self.conn.execute(
            f"SELECT m.title, count(*), min(c.date), max(c.date) FROM mentions m{vis} "
            "JOIN cables c ON c.id = m.cable_id WHERE m.entity_id = ? AND m.title != '' "
            "GROUP BY m.title ORDER BY min(c.date) IS NULL, min(c.date)",
            [*params, entity_id],
        ).fetchall()
        return [tuple(a) for a in aliases], [tuple(t) for t in titles]

    def entity_seen(self, entity_id: str, visible: Visibility | None = None) -> bool:
        vis, params = ("", []) if visible is None else self._mentions(visible)
        row = self.conn.execute(
            f"SELECT 1 FROM mentions m{vis} WHERE m.entity_id = ? LIMIT 1", [*params, entity_id]
        ).fetchone()
        return row is not None

    def cable_entities(self, cable_id: str, visible: Visibility | None = None) -> list[dict]:
        from cablegram.enrich.catalog import cable_entities

        return cable_entities(self.conn, cable_id, visible=visible)

    def entity_facets(self, ids: Iterable[str], visible: Visibility | None = None, *,
                      limit: int = 10) -> dict[str, Any]:  # fmt: skip
        from cablegram.enrich.catalog import entity_facets

        return entity_facets(self.conn, ids, limit=limit, visible=visible)
