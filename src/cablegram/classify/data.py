"""Reading an archive as training material: each cable's metadata and its portions with the
levels their authors gave them (SQLite archives: the store's ``cables``, ``cable_tags``,
``cable_refs`` and ``portions`` tables)."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

__all__ = ["CableDoc", "Portion", "connection", "read_docs", "sample_keys"]


@dataclass
class Portion:
    portion_id: int
    kind: str  # subject | summary | para
    number: int | None
    marking: str  # '' when unmarked: the level is then the cable's own
    level: int  # 0 U .. 5 TS (the portions table's effective level)
    caveats: str
    text: str


@dataclass
class CableDoc:
    key: int
    id: str
    level: int  # the cable's overall level
    origin: str
    date: str
    tags: list[str] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)  # ids the REF block cites
    portions: list[Portion] = field(default_factory=list)

    @property
    def subject(self) -> str:
        return next((p.text for p in self.portions if p.kind == "subject"), "")

    @property
    def paragraphs(self) -> list[Portion]:
        return [p for p in self.portions if p.kind != "subject"]


def connection(archive: object) -> sqlite3.Connection:
    """The SQLite connection of an ``Archive`` (or of a ``ReaderArchive``'s archive), or
    ``archive`` itself when it is one (a read-only connection to train from)."""
    if isinstance(archive, sqlite3.Connection):
        return archive
    # A ReaderArchive keeps its Archive as ``_arc``.
    arc = getattr(archive, "_arc", None) or getattr(archive, "archive", None) or archive
    conn = getattr(getattr(arc, "store", None), "conn", None)
    if not isinstance(conn, sqlite3.Connection):
        raise NotImplementedError(
            "classification, similar cables and topics need a SQLite archive "
            "(PostgreSQL is not supported yet)"
        )
    return conn


def sample_keys(conn: sqlite3.Connection, limit: int | None, seed: int = 0) -> list[int]:
    """Every cable key in order, or a seeded sample of ``limit`` of them."""
    keys = [k for (k,) in conn.execute("SELECT key FROM cables ORDER BY key")]
    if limit is not None and len(keys) > limit:
        keys = sorted(random.Random(seed).sample(keys, limit))
    return keys


def read_docs(conn: sqlite3.Connection, keys: Iterable[int] | None = None,
              batch: int = 500) -> Iterator[CableDoc]:  # fmt: skip
    """The cables (all, or those of ``keys``) with their portions, in key order."""
    if keys is None:
        keys = [k for (k,) in conn.execute("SELECT key FROM cables ORDER BY key")]
    keys = sorted(keys)
    for i in range(0, len(keys), batch):
        part = keys[i : i + batch]
        marks = ",".join("?" * len(part))
        docs: dict[int, CableDoc] = {}
        for key, cid, level, origin, date in conn.execute(
            f"SELECT key, id, class_level, origin_code, COALESCE(date, '') FROM cables "
            f"WHERE key IN ({marks}) ORDER BY key",
            part,
        ):
            docs[key] = CableDoc(key, cid, level, origin, date)
        for key, code in conn.execute(
            f"SELECT cable_key, code FROM cable_tags WHERE cable_key IN ({marks}) "
            "ORDER BY cable_key, seq",
            part,
        ):
            docs[key].tags.append(code)
        for key, ref in conn.execute(
            f"SELECT cable_key, ref_id FROM cable_refs WHERE cable_key IN ({marks}) "
            "AND ref_id != '' ORDER BY cable_key, seq",
            part,
        ):
            docs[key].refs.append(ref)
        for row in conn.execute(
            "SELECT portion_id, kind, number, marking, level, caveats, "
            "CASE WHEN heading != '' THEN heading || char(10) || text ELSE text END "
            "FROM portions WHERE portion_id >= ? AND portion_id < ? ORDER BY portion_id",
            (part[0] * 4096, (part[-1] + 1) * 4096),
        ):
            doc = docs.get(row[0] // 4096)
            if doc is not None:
                doc.portions.append(Portion(*row))
        yield from docs.values()
