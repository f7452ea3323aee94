"""Entity pages, lists, facets and curation: the functions the Python API, the CLI and the
web pages call. Each takes a ``sqlite3.Connection`` on a Cablegram database.

Curation records a user decision in ``entity_corrections`` and applies it at once; every
later resolution (each ``cablegram enrich``) applies all decisions again, in order, after
extraction, so they survive re-ingest and re-enrichment.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from cablegram.enrich import db
from cablegram.enrich.lexicon import norm
from cablegram.enrich.mentions import KINDS
from cablegram.errors import NotEnriched, NotFound, Unsupported

__all__ = [
    "Correction",
    "EntityPage",
    "EntitySummary",
    "cable_entities",
    "connection",
    "corrections",
    "delete_entity",
    "entity_facets",
    "get_entity",
    "list_entities",
    "merge_entities",
    "rename_entity",
    "split_entity",
]


CO_SAMPLE = 2000  # cables of an entity used to rank its co-mentioned entities


@dataclass
class EntitySummary:
    entity_id: str
    kind: str
    name: str
    n_mentions: int
    n_cables: int
    first_seen: str | None
    last_seen: str | None
    curated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class EntityPage:
    """Everything an entity page shows."""

    entity: EntitySummary
    aliases: list[tuple[str, int]] = field(default_factory=list)  # (alias, mentions)
    titles: list[tuple[str, int, str | None, str | None]] = field(default_factory=list)
    # (title, mentions, first seen, last seen), earliest first
    timeline: list[tuple[str, int]] = field(default_factory=list)  # (YYYY-MM, cables)
    cables: list[dict[str, Any]] = field(default_factory=list)  # newest first
    n_cables: int = 0  # all of them (``cables`` may be cut at ``limit``)
    co_mentioned: list[dict[str, Any]] = field(default_factory=list)  # by shared cables
    corrections: list[Correction] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["entity"] = self.entity.to_dict()
        return d


@dataclass
class Correction:
    correction_id: int
    action: str  # merge | split | rename | delete
    entity_id: str
    target: str
    name: str
    scope: dict[str, Any]
    note: str
    created_at: str


def connection(store: Any) -> sqlite3.Connection:
    """The SQLite connection of a store (entities live in the SQLite store so far)."""
    conn = getattr(store, "conn", None)
    if not isinstance(conn, sqlite3.Connection):
        raise Unsupported("entities (cablegram enrich) need the SQLite store, so far")
    return conn


def _need(conn: sqlite3.Connection) -> None:
    if not db.has_tables(conn):
        raise NotEnriched("no entity tables: run `cablegram enrich` first")


def _visible_join(visible: Any, alias: str = "m") -> tuple[str, list[Any]]:
    """SQL restricting mentions ``alias`` to portions the reader may see."""
    if visible is None:
        return "", []
    clause, params = visible.portion_clause("vp")
    return f" JOIN portions vp ON vp.portion_id = {alias}.portion_id AND {clause}", params


def _summary(row: tuple) -> EntitySummary:
    return EntitySummary(row[0], row[1], row[2], row[3], row[4], row[5], row[6], bool(row[7]))


_COLS = (
    "e.entity_id, e.kind, e.name, e.n_mentions, e.n_cables, e.first_seen, e.last_seen, e.curated"
)
_SORTS = {
    "cables": "e.n_cables DESC, e.n_mentions DESC, e.name",
    "mentions": "e.n_mentions DESC, e.name",
    "name": "e.name COLLATE NOCASE, e.entity_id",
    "first": "e.first_seen IS NULL, e.first_seen, e.name",
    "last": "e.last_seen IS NULL, e.last_seen DESC, e.name",
}


def list_entities(conn: sqlite3.Connection, kind: str | None = None, *, query: str | None = None,
                  sort: str = "cables", limit: int = 50, offset: int = 0) -> list[EntitySummary]:  # fmt: skip
    """Entities, most cited first (``sort``: cables, mentions, name, first, last).
    ``query`` matches the start of any word of a name or alias, without case."""
    _need(conn)
    if sort not in _SORTS:
        raise ValueError(f"sort must be one of {', '.join(_SORTS)}")
    conds, params = [], []
    if kind:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        conds.append("e.kind = ?")
        params.append(kind)
    if query:
        q = query.strip()
        like = [f"{q}%", f"% {q}%", f"%-{q}%"]
        conds.append(
            "(e.name LIKE ? OR e.name LIKE ? OR e.name LIKE ? OR e.entity_id IN "
            "(SELECT entity_id FROM entity_aliases WHERE alias LIKE ? OR alias LIKE ? OR alias LIKE ?))"
        )
        params += like + like
    where = f"WHERE {' AND '.join(conds)}" if conds else ""
    rows = conn.execute(
        f"SELECT {_COLS} FROM entities e {where} ORDER BY {_SORTS[sort]} LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    return [_summary(r) for r in rows]


def get_entity(conn: sqlite3.Connection, ref: str, *, visible: Any = None, limit: int = 100,
               co_limit: int = 25) -> EntityPage | None:  # fmt: skip
    """The page of one entity: by id, by an id made from any of its keys
    (``person:abiyev``), or by ``kind:Name``. None when unknown."""
    _need(conn)
    eid = _find(conn, ref)
    if eid is None:
        return None
    row = conn.execute(f"SELECT {_COLS} FROM entities e WHERE e.entity_id = ?", (eid,)).fetchone()
    if row is None:
        return None
    page = EntityPage(_summary(row))
    vis, vparams = _visible_join(visible)
    page.aliases = [
        (a, n) for a, n in conn.execute(
            "SELECT alias, n FROM entity_aliases WHERE entity_id = ? ORDER BY n DESC, alias", (eid,)
        )
    ]  # fmt: skip
    page.titles = [
        tuple(r) for r in conn.execute(
            "SELECT title, n, first_seen, last_seen FROM entity_titles WHERE entity_id = ? "
            "ORDER BY first_seen IS NULL, first_seen, n DESC",
            (eid,),
        )
    ]  # fmt: skip
    base = f"FROM mentions m{vis} JOIN cables c ON c.id = m.cable_id WHERE m.entity_id = ?"
    params = [*vparams, eid]
    page.timeline = [
        (month, n) for month, n in conn.execute(
            f"SELECT c.month, count(DISTINCT c.id) {base} AND c.month IS NOT NULL "
            "GROUP BY c.month ORDER BY c.month",
            params,
        )
    ]  # fmt: skip
    page.n_cables = conn.execute(f"SELECT count(DISTINCT c.id) {base}", params).fetchone()[0]
    subject = "c.subject"
    sparams: list[Any] = []
    if visible is not None:
        sclause, sparams = visible.portion_clause("sp")
        subject = (
            "(SELECT sp.text FROM portions sp WHERE sp.cable_id = c.id AND sp.kind = 'subject' "
            f"AND {sclause} LIMIT 1)"
        )
    rows = conn.execute(
        f"SELECT c.id, c.date, c.origin_code, c.origin_name, c.classification, {subject}, "
        f"count(*) {base} GROUP BY c.id ORDER BY c.date IS NULL, c.date DESC, c.id LIMIT ?",
        [*sparams, *params, limit],
    ).fetchall()
    page.cables = [
        dict(
            zip(
                (
                    "id",
                    "date",
                    "origin_code",
                    "origin_name",
                    "classification",
                    "subject",
                    "mentions",
                ),
                r,
                strict=True,
            )
        )  # fmt: skip
        for r in rows
    ]
    vis2, vparams2 = _visible_join(visible, "o")
    page.co_mentioned = [
        dict(zip(("entity_id", "kind", "name", "cables"), r, strict=True))
        for r in conn.execute(
            # At most CO_SAMPLE cables of a very common entity rank its companions: enough,
            # and the page stays quick.
            "WITH mine AS MATERIALIZED (SELECT DISTINCT m.cable_id "
            f"FROM mentions m{vis} WHERE m.entity_id = ? ORDER BY m.cable_id DESC LIMIT {CO_SAMPLE}) "
            "SELECT o.entity_id, e.kind, e.name, count(DISTINCT o.cable_id) AS n "
            f"FROM mine JOIN mentions o ON o.cable_id = mine.cable_id{vis2} "
            "JOIN entities e ON e.entity_id = o.entity_id WHERE o.entity_id != ? "
            "GROUP BY o.entity_id ORDER BY n DESC, e.name LIMIT ?",
            [*vparams, eid, *vparams2, eid, co_limit],
        )
    ]
    page.corrections = [c for c in corrections(conn) if eid in (c.entity_id, c.target)]
    return page


def _find(conn: sqlite3.Connection, ref: str) -> str | None:
    ref = ref.strip()
    if conn.execute("SELECT 1 FROM entities WHERE entity_id = ?", (ref,)).fetchone():
        return ref
    found = db.current_entity(conn, ref)
    if found:
        return found
    kind, _, name = ref.partition(":")
    if kind in KINDS and name:
        row = conn.execute(
            "SELECT entity_id FROM entities WHERE kind = ? AND name = ? COLLATE NOCASE "
            "ORDER BY n_cables DESC LIMIT 1",
            (kind, name),
        ).fetchone()
        if row:
            return row[0]
        row = conn.execute(
            "SELECT a.entity_id FROM entity_aliases a JOIN entities e USING (entity_id) "
            "WHERE e.kind = ? AND a.alias = ? COLLATE NOCASE ORDER BY a.n DESC LIMIT 1",
            (kind, name),
        ).fetchone()
        if row:
            return row[0]
    return None


def cable_entities(
    conn: sqlite3.Connection, cable_id: str, *, visible: Any = None
) -> list[dict[str, Any]]:
    """The mentions in one cable, in reading order: entity id, kind, name, text, title,
    role, portion seq, paragraph number (``para``, None for the summary and for the signer
    and classifier, who stand outside the paragraphs) and offsets into that paragraph's
    text. Redacted sources come with kind 'redacted'."""
    _need(conn)
    vis, vparams = _visible_join(visible)
    join = vis if visible is not None else " LEFT JOIN portions vp ON vp.portion_id = m.portion_id"
    rows = conn.execute(
        "SELECT m.entity_id, m.kind, coalesce(e.name, m.name), m.text, m.title, m.role, vp.seq, "
        f"vp.number, m.start_char, m.end_char FROM mentions m{join} "
        "LEFT JOIN entities e ON e.entity_id = m.entity_id "
        "WHERE m.cable_id = ? ORDER BY vp.seq IS NULL, vp.seq, m.start_char",
        [*vparams, cable_id.strip().upper()],
    ).fetchall()
    keys = ("entity_id", "kind", "name", "text", "title", "role", "seq", "para", "start", "end")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def entity_facets(conn: sqlite3.Connection, ids: Iterable[str], *, limit: int = 10,
                  visible: Any = None) -> dict[str, list[tuple[str, str, int]]]:  # fmt: skip
    """Top people, organisations and places among the cables ``ids``:
    {kind: [(entity id, name, cables)]}."""
    _need(conn)
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS cg_facet_ids (id TEXT PRIMARY KEY) WITHOUT ROWID")
    conn.execute("DELETE FROM temp.cg_facet_ids")
    conn.executemany("INSERT OR IGNORE INTO temp.cg_facet_ids VALUES (?)", ((i,) for i in ids))
    vis, vparams = _visible_join(visible)
    out: dict[str, list[tuple[str, str, int]]] = {}
    try:
        for kind in KINDS:
            out[kind] = [
                tuple(r) for r in conn.execute(
                    f"SELECT e.entity_id, e.name, count(DISTINCT m.cable_id) AS n FROM temp.cg_facet_ids f "
                    f"JOIN mentions m ON m.cable_id = f.id{vis} JOIN entities e ON e.entity_id = m.entity_id "
                    "WHERE e.kind = ? GROUP BY e.entity_id ORDER BY n DESC, e.name LIMIT ?",
                    [*vparams, kind, limit],
                )
            ]  # fmt: skip
    finally:
        conn.execute("DROP TABLE IF EXISTS temp.cg_facet_ids")
    return out


# --- curation ------------------------------------------------------------------------------


def corrections(conn: sqlite3.Connection) -> list[Correction]:
    if not db.has_tables(conn):
        return []
    return [
        Correction(r[0], r[1], r[2], r[3], r[4], json.loads(r[5] or "{}"), r[6], r[7])
        for r in conn.execute(
            "SELECT correction_id, action, entity_id, target, name, scope, note, created_at "
            "FROM entity_corrections ORDER BY correction_id"
        )
    ]


def _record(conn: sqlite3.Connection, action: str, entity_id: str, target: str = "", name: str = "",
            scope: dict[str, Any] | None = None, note: str = "") -> Correction:  # fmt: skip
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    conn.execute("BEGIN IMMEDIATE")
    try:
        cur = conn.execute(
            "INSERT INTO entity_corrections (action, entity_id, target, name, scope, note, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (action, entity_id, target, name, json.dumps(scope or {}, sort_keys=True), note, now),
        )
        cid = cur.lastrowid
        assert cid is not None  # set by the INSERT
        db.apply_latest_correction(conn)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return Correction(cid, action, entity_id, target, name, scope or {}, note, now)


def _existing(conn: sqlite3.Connection, ref: str) -> str:
    _need(conn)
    eid = _find(conn, ref)
    if eid is None:
        raise NotFound(f"no entity {ref}")
    return eid


def merge_entities(
    conn: sqlite3.Connection, source: str, into: str, *, note: str = ""
) -> Correction:
    """Make ``source`` part of ``into`` (same kind): its aliases, titles and cables."""
    a, b = _existing(conn, source), _existing(conn, into)
    if a == b:
        raise ValueError(f"{source} and {into} are one entity already")
    if a.split(":")[0] != b.split(":")[0]:
        raise ValueError("only entities of one kind can be merged")
    return _record(conn, "merge", a, target=b, note=note)


def split_entity(conn: sqlite3.Connection, entity: str, name: str, *, cables: Iterable[str] | None = None,
                 before: str | None = None, after: str | None = None,
                 aliases: Iterable[str] | None = None, note: str = "") -> Correction:  # fmt: skip
    """Move the mentions of ``entity`` that are in ``cables``, in cables dated before
    ``before`` / from ``after`` on, or written as one of ``aliases``, to a new entity
    called ``name``. Returns the decision; its ``target`` is the new entity's id."""
    eid = _existing(conn, entity)
    scope: dict[str, Any] = {}
    if cables:
        scope["cables"] = sorted({c.strip().upper() for c in cables if c.strip()})
    if before:
        scope["before"] = _date(before)
    if after:
        scope["after"] = _date(after)
    if aliases:
        scope["aliases"] = sorted({a.strip() for a in aliases if a.strip()})
    if not scope:
        raise ValueError("say which mentions to split off: cables, before, after or aliases")
    if not name.strip():
        raise ValueError("the new entity needs a name")
    # The new entity's id comes from its name: a later entity found under that name is
    # the same one.
    target = db.entity_id(eid.split(":")[0], norm(name))
    if target == eid:
        raise ValueError(f"{entity} is called that already; choose another name")
    return _record(conn, "split", eid, target=target, name=name.strip(), scope=scope, note=note)


def rename_entity(
    conn: sqlite3.Connection, entity: str, name: str, *, note: str = ""
) -> Correction:
    eid = _existing(conn, entity)
    if not name.strip():
        raise ValueError("empty name")
    return _record(conn, "rename", eid, name=" ".join(name.split()), note=note)


def delete_entity(conn: sqlite3.Connection, entity: str, *, note: str = "") -> Correction:
    """Drop an entity that is no entity (a false positive): its mentions stay unlinked,
    now and after every re-enrichment."""
    eid = _existing(conn, entity)
    return _record(conn, "delete", eid, note=note)


def _date(s: str) -> str:
    s = s.strip()
    if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", s):
        raise ValueError(f"not a date (YYYY, YYYY-MM or YYYY-MM-DD): {s!r}")
    return s
