"""The one-document write path both stores share: store a parsed document as a version,
decide which version of its cable is shown, count it ``new`` or ``updated``, and the
``--force`` re-parse (docs/ingest.md). The backends' batch paths must give what this
gives item by item; keeping one copy keeps the two backends' answers the same.

The SQL is written once with ``?`` placeholders and standard syntax both engines read
(``RETURNING`` needs SQLite 3.35); a backend says its placeholder and how text is cleaned
for it, and supplies ``_put_cable`` (how the shown version's rows are written)."""

from __future__ import annotations

import hashlib
import json
from typing import Any, ClassVar, Protocol

from cablegram.model import Cable
from cablegram.store.base import FAILED, NEW, UNCHANGED, UPDATED, Parsed, Seen
from cablegram.store.rows import CableRows, flatten

__all__ = ["VersionWrites", "better"]


def better(score: int, content_hash: str, other_score: int, other_hash: str) -> bool:
    """Is (score, hash) the more complete version? Ties go to the smaller content hash."""
    return score > other_score or (score == other_score and content_hash < other_hash)


class _Cursor(Protocol):
    def fetchone(self) -> Any: ...


class _Connection(Protocol):
    """What is used of a ``sqlite3`` or ``psycopg`` connection."""

    def execute(self, sql: str, params: tuple[Any, ...], /) -> _Cursor: ...


class VersionWrites:
    """Mixin of the stores: ``conn`` is their writer connection."""

    conn: _Connection
    _placeholder: ClassVar[str] = "?"

    def _q(self, sql: str) -> str:
        return sql if self._placeholder == "?" else sql.replace("?", self._placeholder)

    @staticmethod
    def _text(value: Any) -> Any:
        """A value as the backend stores text (PostgreSQL drops NUL characters)."""
        return value

    def _put_cable(
        self, r: CableRows, version_id: int, n_versions: int, *, fresh: bool = False
    ) -> None:
        """Make ``r`` the shown version (``fresh``: the cable had no row yet)."""
        raise NotImplementedError

    def _write_error(self, source: str, member: str, content_hash: str, code: str, reason: str,
                     run_id: int | None, now: str) -> None:  # fmt: skip
        raise NotImplementedError

    def _write_seen(self, it: Seen, run_id: int | None, now: str) -> str:
        """Content met before: unchanged when it is a stored version, else the earlier
        failure is recorded again for this document's own file and member."""
        c, q = self.conn, self._q
        if c.execute(
            q("SELECT 1 FROM versions WHERE content_hash = ?"), (it.content_hash,)
        ).fetchone():
            return UNCHANGED
        err = c.execute(
            q("SELECT code, reason FROM errors WHERE content_hash = ? LIMIT 1"), (it.content_hash,)
        ).fetchone()
        if err is None:  # pragma: no cover - a Seen item always follows its first occurrence
            self._write_error(it.source, it.member, it.content_hash, "read",
                              "content seen but not stored", run_id, now)  # fmt: skip
        else:
            self._write_error(it.source, it.member, it.content_hash, err[0], err[1], run_id, now)
        return FAILED

    def _write_parsed(self, it: Parsed, run_id: int | None, now: str, force: bool) -> str:
        c, q, text = self.conn, self._q, self._text
        r = it.rows
        row = c.execute(
            q("INSERT INTO versions (cable_id, content_hash, source, member, rendering, "
              "completeness, run_id, ingested_at, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
              "ON CONFLICT (content_hash) DO NOTHING RETURNING version_id"),
            (r.cable_id, it.content_hash, text(it.source), text(it.member), r.rendering,
             r.completeness, run_id, now, text(r.record)),
        ).fetchone()  # fmt: skip
        if row is None:
            if not force:
                return UNCHANGED
            return self._reparse(it, run_id, now)
        vid = int(row[0])
        # The content is now a cable: an error recorded for it by an older parser is gone.
        c.execute(q("DELETE FROM errors WHERE content_hash = ?"), (it.content_hash,))
        shown = c.execute(
            q("SELECT v.completeness, v.content_hash FROM cables c "
              "JOIN versions v USING (version_id) WHERE c.id = ?"),
            (r.cable_id,),
        ).fetchone()  # fmt: skip
        if shown is None:
            self._put_cable(r, vid, 1, fresh=True)
            return NEW
        n = self._n_versions(r.cable_id)
        if better(r.completeness, it.content_hash, shown[0], shown[1]):
            self._put_cable(r, vid, n)
        else:
            c.execute(q("UPDATE cables SET n_versions = ? WHERE id = ?"), (n, r.cable_id))
        # "updated" is a cable the archive had before this run; a second rendering of a
        # cable this run brought (the first ingest of a collection) is new to the reader.
        # (A write outside any run has no "this run": the cable was there, it is updated.)
        before = (
            run_id is None
            or c.execute(
                q("SELECT 1 FROM versions WHERE cable_id = ? "
                  "AND (run_id IS NULL OR run_id <> ?) LIMIT 1"),
                (r.cable_id, run_id),
            ).fetchone()
        )  # fmt: skip
        return UPDATED if before else NEW

    def _reparse(self, it: Parsed, run_id: int | None, now: str) -> str:
        """--force: content already stored, parsed again. When the record changed, the
        new parse is stored as a new version and the old one is kept, superseded: its
        content hash gets a "~" and the digest of its record, and its score goes below
        every current version's, so the new parse is shown. Both sit under the new
        parse's id; an id the old parse gave instead becomes an alias (docs/ingest.md)."""
        c, q = self.conn, self._q
        r = it.rows
        old = c.execute(
            q("SELECT cable_id, record, completeness FROM versions WHERE content_hash = ?"),
            (it.content_hash,),
        ).fetchone()
        if old[0] == r.cable_id and old[1] == self._text(r.record):
            return UNCHANGED
        kept = f"{it.content_hash}~{hashlib.sha256(old[1].encode()).hexdigest()[:12]}"
        if c.execute(q("SELECT 1 FROM versions WHERE content_hash = ?"), (kept,)).fetchone():
            kept = ""  # this very parse is kept already (a parser went back and forth)
        c.execute(
            q("UPDATE versions SET content_hash = ?, completeness = ?, cable_id = ? "
              "WHERE content_hash = ?"),
            (kept or it.content_hash + "~", -abs(old[2]) - 1, r.cable_id, it.content_hash),
        )  # fmt: skip
        if old[0] != r.cable_id:
            c.execute(
                q("INSERT INTO aliases (alias, cable_id) VALUES (?, ?) ON CONFLICT DO NOTHING"),
                (old[0], r.cable_id),
            )
        self._write_parsed(it, run_id, now, False)
        for cid in dict.fromkeys((old[0], r.cable_id)):
            self.refresh(cid, rebuild=True)
        if not kept:
            c.execute(q("DELETE FROM versions WHERE content_hash = ?"), (it.content_hash + "~",))
            self.refresh(r.cable_id)
        return UPDATED

    def refresh(self, cable_id: str, *, rebuild: bool = False) -> None:
        """Make `cables` & co show the best stored version of ``cable_id`` (or drop it)."""
        c, q = self.conn, self._q
        best = c.execute(
            q("SELECT version_id, record FROM versions WHERE cable_id = ? "
              "ORDER BY completeness DESC, content_hash ASC LIMIT 1"),
            (cable_id,),
        ).fetchone()  # fmt: skip
        if best is None:
            c.execute(q("DELETE FROM cables WHERE id = ?"), (cable_id,))  # children cascade
            return
        cur = c.execute(q("SELECT version_id FROM cables WHERE id = ?"), (cable_id,)).fetchone()
        n = self._n_versions(cable_id)
        if rebuild or cur is None or cur[0] != best[0]:
            self._put_cable(flatten(Cable.from_dict(json.loads(best[1]))), best[0], n)
        else:
            c.execute(q("UPDATE cables SET n_versions = ? WHERE id = ?"), (n, cable_id))

    def _n_versions(self, cable_id: str) -> int:
        row = self.conn.execute(
            self._q("SELECT count(*) FROM versions WHERE cable_id = ?"), (cable_id,)
        ).fetchone()
        return int(row[0])
