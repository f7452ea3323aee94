"""The search filters ``similar:``, ``topic:`` and ``predicted:`` as SQL on the cable row ``c``
(SQLite), each restricted to what the reader may see (docs/classify.md):

- ``similar:ID``: the ``SIMILAR_K`` cables most like ID, from the reader's own vectors
  (visible text of both cables); nothing when the reader may not see ID.
- ``topic:N``: cables with a visible paragraph of topic N.
- ``predicted:classified`` / ``predicted:unclassified``: reviewers only. A cable the reader
  sees whole is judged by its cable prediction; a cable with withheld portions by its
  visible paragraphs alone (classified when one reads classified), so a withheld paragraph
  never tips the answer.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from cablegram.search.nodes import FieldFilter, QueryError

__all__ = ["SIMILAR_K", "where"]

SIMILAR_K = 50
PARAGRAPH_THRESHOLD = 0.5


def _table(conn: sqlite3.Connection, name: str) -> bool:
    return bool(conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone())


def where(conn: sqlite3.Connection, node: FieldFilter, visible: Any) -> tuple[str, list[object]]:
    if node.field == "similar":
        return _similar(conn, node, visible)
    if node.field == "topic":
        if not _table(conn, "classify_portion_topics"):
            raise QueryError("topic: needs topics; run `cablegram classify train` first", node.pos)
        sql = ("c.key IN (SELECT t.portion_id / 4096 FROM classify_portion_topics t "
               "JOIN portions p ON p.portion_id = t.portion_id WHERE t.topic = ?")  # fmt: skip
        params: list[object] = [int(node.value)]
        if visible is not None:
            vis, vparams = visible.portion_clause("p")
            sql += f" AND {vis}"
            params += vparams
        return sql + ")", params
    if node.field == "predicted":
        return _predicted(conn, node, visible)
    raise QueryError(f"unknown filter {node.field}:", node.pos)


def _similar(conn: sqlite3.Connection, node: FieldFilter, visible: Any) -> tuple[str, list[object]]:
    from cablegram.classify.similar import has_index, index_for

    if not _table(conn, "classify_vectors") or not has_index(conn):
        raise QueryError("similar: needs the similar-cable index; run `cablegram classify "
                         "train` first", node.pos)  # fmt: skip
    idx = index_for(conn, visible)
    keys = [int(idx.keys[j]) for j, *_ in idx.query(node.value, SIMILAR_K)]
    if not keys:
        return "0", []
    return f"c.key IN ({','.join('?' * len(keys))})", list(keys)


def _predicted(
    conn: sqlite3.Connection, node: FieldFilter, visible: Any
) -> tuple[str, list[object]]:
    from cablegram.classify.review import REVIEWER, load_model

    if visible is not None and REVIEWER not in visible.caveats:
        raise QueryError("predicted: is for reviewers only", node.pos)
    model = load_model(conn_archive(conn))
    if model is None or not _table(conn, "classify_cables"):
        raise QueryError("predicted: needs a model; run `cablegram classify train` first",
                         node.pos)  # fmt: skip
    t = model.threshold
    cable = "c.key IN (SELECT cable_key FROM classify_cables WHERE classified >= ?)"
    params: list[object]
    if visible is None:
        classified, params = cable, [t]
    else:
        vis, vp = visible.portion_clause("p")
        whole = f"NOT EXISTS (SELECT 1 FROM portions p WHERE p.cable_id = c.id AND NOT {vis})"
        para = (f"EXISTS (SELECT 1 FROM classify_paragraphs q JOIN portions p ON "
                f"p.portion_id = q.portion_id WHERE p.cable_id = c.id AND {vis} "
                "AND q.classified >= ?)")  # fmt: skip
        classified = f"(({whole} AND {cable}) OR (NOT {whole} AND {para}))"
        params = [*vp, t, *vp, *vp, PARAGRAPH_THRESHOLD]
    if node.value == "classified":
        return classified, params
    scored = "c.key IN (SELECT cable_key FROM classify_cables)"
    return f"({scored} AND NOT {classified})", params


class conn_archive:  # noqa: N801 - a stand-in Archive for load_model
    """An object whose ``store.conn`` is ``conn`` (what ``classify.data.connection`` reads)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.store = type("S", (), {"conn": conn})()
