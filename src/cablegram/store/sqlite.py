"""The SQLite store: WAL, FTS5 over portions, foreign keys, synchronous=NORMAL."""

from __future__ import annotations

import json
import operator
import os
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from cablegram.model import Cable, Reference
from cablegram.store.base import (
    FAILED,
    NEW,
    UNCHANGED,
    UPDATED,
    VERSIONS_SQL,
    ErrorInfo,
    Failed,
    Parsed,
    RunInfo,
    Seen,
    Store,
    VersionInfo,
    WriteItem,
    errors_query,
    pick_version,
    reads,
    records_in_batches,
)
from cablegram.store.rows import (
    CABLE_COLUMNS,
    CHILD_ROWS,
    PORTION_COLUMNS,
    PORTIONS_PER_CABLE,
    CableRows,
    alias_rows,
    upsert_cable_sql,
)
from cablegram.store.sqlite_entities import EntityReads
from cablegram.store.versioning import VersionWrites

SCHEMA_VERSION = "3"
_MMAP_SIZE = 1 << 30
_CHECKPOINT = 1000  # pages of WAL after which a commit checkpoints (SQLite's default)
_RUN_CHECKPOINT = 65536  # ... during an ingest run
# Indexes may be added to the schema without a version change; an older database gets
# them when it is next opened (see _add_missing_indexes).
_TABLE_DDL = re.compile(r"CREATE (?:TABLE|VIEW) IF NOT EXISTS (\w+)[^;]+", re.S)
_INDEX_DDL = re.compile(r"CREATE INDEX IF NOT EXISTS (\w+) ON [^;]+", re.S)

# Triggers are replaced when the schema's text changes, and FTS5 options set when they
# differ (see _upgrade_fts).
_TRIGGER_DDL = re.compile(r"CREATE TRIGGER IF NOT EXISTS (\w+)\b.*?\nEND;", re.S)
_FTS_OPTION_DDL = re.compile(
    r"INSERT INTO portions_fts\(portions_fts, rank\) VALUES \('(\w+)', (\d+)\);"
)

_UPSERT_CABLE = upsert_cable_sql("?") + " RETURNING key"

# The bulk path of write(): a run of new cables, one statement per table.
_INSERT_VERSION = (
    "INSERT INTO versions (version_id, cable_id, content_hash, source, member, rendering, "
    "completeness, run_id, ingested_at, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_CABLE = (
    f"INSERT INTO cables (key, id, version_id, n_versions, {', '.join(CABLE_COLUMNS)}) "
    f"VALUES ({', '.join('?' * (4 + len(CABLE_COLUMNS)))})"
)
_CABLE_VALUES = operator.itemgetter(*CABLE_COLUMNS)  # a CableRows.cable dict's values, in order
# A cable's lists: stored keyed by cables.key in cable_<list>, read through the views
# named <list> (schema_sqlite.sql). The portions are keyed by portion_id (key * 4096 + i).
_INSERT_CHILD = [
    (f"INSERT INTO cable_{table} (cable_key, {', '.join(columns)}) "
     f"VALUES ({', '.join('?' * (1 + len(columns)))})", rows_of)
    for table, columns, rows_of in CHILD_ROWS
]  # fmt: skip
_INSERT_PORTION = (
    f"INSERT INTO portions (portion_id, cable_id, {', '.join(PORTION_COLUMNS)}) "
    f"VALUES ({', '.join('?' * (2 + len(PORTION_COLUMNS)))})"
)
# While this meta row exists (only ever inside the writer's open transaction) the portions
# insert trigger does nothing; the writer indexes the new portions itself before commit.
_FTS_DEFERRED = "fts_deferred"
_INDEX_PENDING = (
    "INSERT INTO portions_fts (rowid, text, heading) SELECT portion_id, text, heading "
    "FROM portions WHERE portion_id BETWEEN ? AND ? ORDER BY portion_id"
)

# The canonical dump: per table, the columns that are content (no timestamps, run ids or
# surrogate keys) and a total order. cables.version_id is replaced by the content hash.
_DUMP = {
    # (`generation` counts writes to `cables`, not content.)
    "meta": "SELECT key, value FROM meta WHERE key != 'generation' ORDER BY key",
    "versions": "SELECT cable_id, content_hash, source, member, rendering, completeness, record "
    "FROM versions ORDER BY content_hash",
    "cables": "SELECT c.id, v.content_hash, c.n_versions, "
    + ", ".join(f"c.{x}" for x in CABLE_COLUMNS)
    + " FROM cables c JOIN versions v USING (version_id) ORDER BY c.id",
    "caveats": "SELECT * FROM caveats ORDER BY cable_id, caveat",
    "tags": "SELECT * FROM tags ORDER BY cable_id, code",
    "addressees": "SELECT * FROM addressees ORDER BY cable_id, role, seq",
    "refs": "SELECT * FROM refs ORDER BY cable_id, seq",
    "reasons": "SELECT * FROM reasons ORDER BY cable_id, seq",
    "defects": "SELECT * FROM defects ORDER BY cable_id, seq",
    "portions": "SELECT cable_id, kind, seq, number, marking, level, caveats, heading, text "
    "FROM portions ORDER BY cable_id, seq, kind",
    "errors": "SELECT source, member, content_hash, code, reason FROM errors "
    "ORDER BY source, member, content_hash",
    # The full-text index itself, summarised per term, independent of rowids.
    "portions_fts": "SELECT term, doc, cnt FROM temp.cablegram_fts_vocab ORDER BY term",
}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class SQLiteStore(EntityReads, VersionWrites, Store):
    conn: sqlite3.Connection

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        create: bool = True,
        check_same_thread: bool = True,
        timeout: float = 60.0,
    ) -> None:
        self.path = os.fspath(path)
        self.url = self.path
        if not create and self.path != ":memory:" and not os.path.exists(self.path):
            raise FileNotFoundError(f"no database at {self.path}")
        self.conn = sqlite3.connect(
            self.path, isolation_level=None, timeout=timeout, check_same_thread=check_same_thread
        )
        self._wrote = False
        self._fts_deferrable = False  # the schema's portions_ai trigger can be suspended
        self._fts_pending: tuple[int, int] | None = None  # cable keys not yet indexed
        c = self.conn
        c.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        if self.path != ":memory:":
            c.execute("PRAGMA journal_mode = WAL")
        c.execute("PRAGMA synchronous = NORMAL")
        c.execute("PRAGMA foreign_keys = ON")
        c.execute("PRAGMA cache_size = -65536")  # 64 MiB
        c.execute("PRAGMA temp_store = MEMORY")
        if self.path != ":memory:":
            c.execute(f"PRAGMA mmap_size = {_MMAP_SIZE}")  # 1 GiB of the file read via mmap
        self._init_schema()

    def _init_schema(self) -> None:
        ddl = resources.files("cablegram.store").joinpath("schema_sqlite.sql").read_text("utf-8")
        c = self.conn
        row = None
        if c.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone():
            row = c.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row and row[0] == "2":
            self._migrate_from_2(ddl)
            row = (SCHEMA_VERSION,)
        if row and row[0] != SCHEMA_VERSION:
            raise RuntimeError(
                f"{self.path}: schema version {row[0]}, this cablegram knows {SCHEMA_VERSION}"
            )
        if row:
            # Current: opening takes no write lock (readers during an ingest), unless an
            # index added to the schema since the database was made is missing, or a
            # trigger has changed.
            self._add_missing_tables(ddl)
            self._add_missing_indexes(ddl)
            self._upgrade_fts(ddl)
        else:
            # One transaction: a kill during creation leaves nothing half made.
            c.executescript(
                f"BEGIN IMMEDIATE;\n{ddl}\n"
                f"INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '{SCHEMA_VERSION}');\n"
                "COMMIT;"
            )
        ai = c.execute("SELECT sql FROM sqlite_master WHERE name = 'portions_ai'").fetchone()
        self._fts_deferrable = bool(ai and _FTS_DEFERRED in ai[0])

    def _migrate_from_2(self, ddl: str) -> None:
        """Schema 2 kept a cable's lists keyed by the text cable_id; schema 3 keys them by
        cables.key (tables cable_<list>) and reads them through views of the old names.
        One transaction: a kill leaves the database at version 2, to be migrated again."""
        script = ["BEGIN IMMEDIATE;"]
        for table, _, _ in CHILD_ROWS:
            script.append(f"ALTER TABLE {table} RENAME TO _v2_{table};")
        script.append(ddl)  # the cable_<list> tables, their indexes and views
        for table, columns, _ in CHILD_ROWS:
            cols = ", ".join(columns)
            x_cols = ", ".join(f"x.{col}" for col in columns)
            script.append(
                f"INSERT INTO cable_{table} (cable_key, {cols}) SELECT c.key, {x_cols} "
                f"FROM _v2_{table} x JOIN cables c ON c.id = x.cable_id ORDER BY c.key;"
            )
            script.append(f"DROP TABLE _v2_{table};")
        script.append(f"UPDATE meta SET value = '{SCHEMA_VERSION}' WHERE key = 'schema_version';")
        script.append("COMMIT;")
        try:
            self.conn.executescript("\n".join(script))
        except BaseException as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError):
                raise RuntimeError(
                    f"{self.path}: schema version 2, to be migrated to {SCHEMA_VERSION} once "
                    f"by opening it with write access: {exc}"
                ) from exc
            raise

    def _add_missing_tables(self, ddl: str) -> None:
        """Tables and views added to schema 3 since the database was made (aliases):
        created empty; a re-ingest fills them (docs/ingest.md)."""
        c = self.conn
        have = {r[0] for r in c.execute("SELECT name FROM sqlite_master")}
        missing = [m.group(0) for m in _TABLE_DDL.finditer(ddl) if m.group(1) not in have]
        if not missing:
            return
        try:
            c.executescript("BEGIN IMMEDIATE;\n" + ";\n".join(missing) + ";\nCOMMIT;")
        except sqlite3.OperationalError:  # read-only: alias look-ups find nothing
            if c.in_transaction:
                c.execute("ROLLBACK")

    def _add_missing_indexes(self, ddl: str) -> None:
        c = self.conn
        have = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        missing = [m.group(0) for m in _INDEX_DDL.finditer(ddl) if m.group(1) not in have]
        if not missing:
            return
        try:
            c.executescript("BEGIN IMMEDIATE;\n" + ";\n".join(missing) + ";\nCOMMIT;")
        except sqlite3.OperationalError:  # read-only file or connection: search still works
            if c.in_transaction:
                c.execute("ROLLBACK")

    def _upgrade_fts(self, ddl: str) -> None:
        """Replace a trigger whose text differs from the schema's (e.g. portions_ai
        before the ingest writer could suspend it), and set the schema's FTS5 options."""
        c = self.conn
        have = {
            name: _norm_sql(sql)
            for name, sql in c.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        }
        stale = [
            m for m in _TRIGGER_DDL.finditer(ddl) if have.get(m.group(1)) != _norm_sql(m.group(0))
        ]
        script = "".join(f"DROP TRIGGER IF EXISTS {m.group(1)};\n{m.group(0)}\n" for m in stale)
        options = dict(c.execute("SELECT k, v FROM portions_fts_config"))
        for m in _FTS_OPTION_DDL.finditer(ddl):
            if options.get(m.group(1)) != int(m.group(2)):
                script += m.group(0) + "\n"
        if not script:
            return
        try:
            c.executescript(f"BEGIN IMMEDIATE;\n{script}COMMIT;")
        except sqlite3.OperationalError:  # read-only: nothing will be written anyway
            if c.in_transaction:
                c.execute("ROLLBACK")

    def close(self) -> None:
        if self.conn is not None:
            if self._wrote:  # refresh the planner's statistics after changes
                try:
                    self.conn.execute("PRAGMA optimize")
                except sqlite3.Error:
                    pass
            self.conn.close()
            self.conn = None  # type: ignore[assignment]  # closed: a later use fails loudly

    # -- ingest side -----------------------------------------------------------------------
    def begin_run(self, args: str = "") -> int:
        # During a run the writer reads through its page cache only: a memory map makes its
        # reads (index pages, FTS segments being merged) no faster, and every page it touched
        # would count in the ingest process's resident memory, up to the map's 1 GiB.
        self.conn.execute("PRAGMA mmap_size = 0")
        # Checkpoint every 256 MB of WAL instead of every 4 MB: an index page that several
        # transactions change in between is copied into the database once.
        self.conn.execute(f"PRAGMA wal_autocheckpoint = {_RUN_CHECKPOINT}")
        cur = self.conn.execute(
            "INSERT INTO ingest_runs (started_at, args) VALUES (?, ?)", (_now(), args)
        )
        assert cur.lastrowid is not None  # set by the INSERT
        return cur.lastrowid

    def finish_run(self, run_id: int, counts: Mapping[str, int], status: str = "done") -> None:
        c = self.conn
        if status == "done" and self._wrote:
            # The planner's statistics, refreshed now, while the memory map is still off
            # (close() would do it, reading whole indexes through the map: at 50,000 cables
            # that added 300 MB to the process's resident memory).
            try:
                c.execute("PRAGMA optimize")
            except sqlite3.Error:
                pass
        if self.path != ":memory:":
            c.execute(f"PRAGMA mmap_size = {_MMAP_SIZE}")
        c.execute(f"PRAGMA wal_autocheckpoint = {_CHECKPOINT}")
        c.execute(
            "UPDATE ingest_runs SET finished_at = ?, status = ?, new = ?, updated = ?, "
            "unchanged = ?, failed = ? WHERE run_id = ?",
            (
                _now(),
                status,
                counts.get(NEW, 0),
                counts.get(UPDATED, 0),
                counts.get(UNCHANGED, 0),
                counts.get(FAILED, 0),
                run_id,
            ),
        )

    def known_versions(self, hashes: Iterable[str]) -> set[str]:
        return self._which("SELECT content_hash FROM versions WHERE content_hash", hashes)

    def _which(self, select: str, values: Iterable[str]) -> set[str]:
        """The values for which ``select ... IN (values)`` finds a row."""
        vs = list(dict.fromkeys(v for v in values if v))
        found: set[str] = set()
        for i in range(0, len(vs), 500):
            part = vs[i : i + 500]
            found.update(r[0] for r in self.conn.execute(
                f"{select} IN ({','.join('?' * len(part))})", part))  # fmt: skip
        return found

    def write(
        self,
        items: list[WriteItem],
        run_id: int | None = None,
        *,
        force: bool = False,
        before_commit: Callable[[], None] | None = None,
        commit: bool = True,
    ) -> list[str]:
        """Apply ``items`` in order, in one transaction (``commit=False``: left open, and
        the next write goes on in it).

        The result is that of applying them one by one; runs of new cables (new content of a
        reference id the store does not have, met once in ``items``) are written together,
        one statement per table, and their portions indexed by one statement before the
        commit (see docs/ingest.md).
        """
        c = self.conn
        now = _now()
        self._wrote = True
        if not c.in_transaction:
            c.execute("BEGIN IMMEDIATE")
        try:
            out = self._apply(items, run_id, now, force)
            c.executemany("INSERT OR IGNORE INTO aliases (alias, cable_id) VALUES (?, ?)",
                          alias_rows(items))  # fmt: skip
            if commit:
                # Once per transaction: fewer, larger FTS5 segments to merge later.
                self._index_pending()
            if before_commit is not None:
                before_commit()
            if commit:
                c.execute("COMMIT")
        except BaseException:
            self._fts_pending = None
            if c.in_transaction:  # a Ctrl-C can land just after COMMIT returned
                c.execute("ROLLBACK")
            raise
        return out

    def _apply(
        self, items: list[WriteItem], run_id: int | None, now: str, force: bool
    ) -> list[str]:
        bulk = self._new_cables(items)
        out: list[str] = []
        run: list[Parsed] = []
        for i, it in enumerate(items):
            if i in bulk and isinstance(it, Parsed):  # (bulk holds Parsed items only)
                run.append(it)
                continue
            if run:
                out.extend(self._write_new(run, run_id, now))
                run = []
            if isinstance(it, Parsed):
                # The one-by-one path replaces and deletes portions through the triggers:
                # every portion must be indexed first.
                self._index_pending()
                out.append(self._write_parsed(it, run_id, now, force))
            elif isinstance(it, Failed):
                self._write_error(
                    it.source, it.member, it.content_hash, it.code, it.reason, run_id, now
                )
                out.append(FAILED)
            elif isinstance(it, Seen):
                out.append(self._write_seen(it, run_id, now))
            else:  # pragma: no cover
                raise TypeError(f"not a write item: {it!r}")
        if run:
            out.extend(self._write_new(run, run_id, now))
        return out

    def _new_cables(self, items: list[WriteItem]) -> set[int]:
        """Positions of the Parsed items that are simply new cables: their content is not
        stored and not met earlier in ``items``, and their reference id is neither in the
        store nor in another Parsed item. Writing them together gives what writing them
        one by one gives (outcome ``new``, n_versions 1, the next keys in order)."""
        parsed = [it for it in items if isinstance(it, Parsed)]
        if not parsed:
            return set()
        ids: dict[str, int] = {}
        for p in parsed:
            ids[p.rows.cable_id] = ids.get(p.rows.cable_id, 0) + 1
        stored = self.known_versions(p.content_hash for p in parsed)
        shown = self._which("SELECT id FROM cables WHERE id", ids)
        out: set[int] = set()
        met: set[str] = set()
        for i, it in enumerate(items):
            h = it.content_hash
            if (
                isinstance(it, Parsed)
                and h
                and it.rows.cable_id
                and h not in stored
                and h not in met
                and ids[it.rows.cable_id] == 1
                and it.rows.cable_id not in shown
            ):
                out.add(i)
            met.add(h)
        return out

    def _write_new(self, run: list[Parsed], run_id: int | None, now: str) -> list[str]:
        c = self.conn
        if self._fts_deferrable and self._fts_pending is None:
            c.execute("INSERT INTO meta (key, value) VALUES (?, '1')", (_FTS_DEFERRED,))
        vid = c.execute("SELECT coalesce(max(version_id), 0) + 1 FROM versions").fetchone()[0]
        key = c.execute("SELECT coalesce(max(key), 0) + 1 FROM cables").fetchone()[0]
        rows = [it.rows for it in run]
        c.executemany(_INSERT_VERSION, [
            (vid + j, r.cable_id, it.content_hash, it.source, it.member, r.rendering,
             r.completeness, run_id, now, r.record)
            for j, (it, r) in enumerate(zip(run, rows, strict=True))
        ])  # fmt: skip
        # The contents are now cables: errors recorded for them by an older parser go.
        failed = self._which(
            "SELECT content_hash FROM errors WHERE content_hash", (it.content_hash for it in run)
        )
        if failed:
            c.executemany("DELETE FROM errors WHERE content_hash = ?", [(h,) for h in failed])
        columns = _CABLE_VALUES
        c.executemany(_INSERT_CABLE, [
            (key + j, r.cable_id, vid + j, 1, *columns(r.cable)) for j, r in enumerate(rows)
        ])  # fmt: skip
        self._insert_children([(key + j, r) for j, r in enumerate(rows)])
        if self._fts_deferrable:
            last = key + len(rows) - 1
            lo = key if self._fts_pending is None else min(self._fts_pending[0], key)
            hi = last if self._fts_pending is None else max(self._fts_pending[1], last)
            self._fts_pending = (lo, hi)
        return [NEW] * len(run)

    def _index_pending(self) -> None:
        """Index the portions written with the insert trigger suspended, and resume it."""
        if self._fts_pending is None:
            return
        lo, hi = self._fts_pending
        c = self.conn
        c.execute(_INDEX_PENDING, (lo * PORTIONS_PER_CABLE, (hi + 1) * PORTIONS_PER_CABLE - 1))
        c.execute("DELETE FROM meta WHERE key = ?", (_FTS_DEFERRED,))
        self._fts_pending = None

    def _put_cable(
        self, r: CableRows, version_id: int, n_versions: int, *, fresh: bool = False
    ) -> None:
        c = self.conn  # (``fresh`` or not, the upsert below is right)
        # An upsert keeps the cable's key (and so its portion ids) across versions.
        key = c.execute(
            _UPSERT_CABLE,
            (r.cable_id, version_id, n_versions, *(r.cable[k] for k in CABLE_COLUMNS)),
        ).fetchone()[0]
        for table, _, _ in CHILD_ROWS:
            c.execute(f"DELETE FROM cable_{table} WHERE cable_key = ?", (key,))
        c.execute(
            "DELETE FROM portions WHERE portion_id BETWEEN ? AND ?",
            (key * PORTIONS_PER_CABLE, (key + 1) * PORTIONS_PER_CABLE - 1),
        )
        self._insert_children([(key, r)])

    def _insert_children(self, cables: list[tuple[int, CableRows]]) -> None:
        """The lists and portions of cables whose ``cables`` rows have these keys."""
        c = self.conn
        for sql, rows_of in _INSERT_CHILD:
            c.executemany(sql, [(key, *x) for key, r in cables for x in rows_of(r)])
        c.executemany(_INSERT_PORTION, [
            (key * PORTIONS_PER_CABLE + i, r.cable_id, *p)
            for key, r in cables
            for i, p in enumerate(r.portions)
        ])  # fmt: skip

    def _write_error(self, source: str, member: str, content_hash: str, code: str, reason: str,
                     run_id: int | None, now: str) -> None:  # fmt: skip
        self.conn.execute(
            "INSERT INTO errors (run_id, source, member, content_hash, code, reason, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (source, member, content_hash) DO UPDATE SET "
            "code = excluded.code, reason = excluded.reason, run_id = excluded.run_id",
            (run_id, source, member, content_hash or "", code, reason, now),
        )

    # -- read side -------------------------------------------------------------------------
    def resolve(self, cable_id: str) -> str:
        """The cable's id for an id or an alias (``cable_id`` itself when neither)."""
        c = self.conn
        if c.execute("SELECT 1 FROM cables WHERE id = ?", (cable_id,)).fetchone():
            return cable_id
        try:
            row = c.execute(
                "SELECT cable_id FROM aliases WHERE alias = ? ORDER BY cable_id LIMIT 1",
                (cable_id,),
            ).fetchone()
        except sqlite3.OperationalError:  # an archive made before aliases, opened read-only
            return cable_id
        return row[0] if row else cable_id

    def get(self, cable_id: str) -> Cable | None:
        row = self.conn.execute(
            "SELECT v.record FROM cables c JOIN versions v USING (version_id) WHERE c.id = ?",
            (cable_id,),
        ).fetchone()
        return Cable.from_dict(json.loads(row[0])) if row else None

    def versions(self, cable_id: str) -> list[VersionInfo]:
        rows = self.conn.execute(VERSIONS_SQL.format(p="?"), (cable_id,)).fetchall()
        return [VersionInfo.from_row(i, r) for i, r in enumerate(rows, 1)]

    def version(self, cable_id: str, ref: int | str) -> tuple[VersionInfo, Cable] | None:
        pick = pick_version(self.versions(cable_id), ref)
        if pick is None:
            return None
        rec = self.conn.execute(
            "SELECT record FROM versions WHERE content_hash = ?", (pick.content_hash,)
        ).fetchone()[0]
        return pick, Cable.from_dict(json.loads(rec))

    def iter_records(
        self, ids: Iterable[str] | None = None, *, batch_size: int = 500
    ) -> Iterator[str]:
        return records_in_batches(ids, batch_size, self._records_after, self._records_by_id)

    def _records_after(self, last: str, n: int) -> list[tuple[str, str]]:
        sql = (
            "SELECT c.id, v.record FROM cables c JOIN versions v USING (version_id) "
            "WHERE c.id > ? ORDER BY c.id LIMIT ?"
        )
        return self.conn.execute(sql, (last, n)).fetchall()

    def _records_by_id(self, ids: list[str]) -> Iterator[str]:
        q = (
            "SELECT c.id, v.record FROM cables c JOIN versions v USING (version_id) "
            f"WHERE c.id IN ({','.join('?' * len(ids))})"
        )
        found = dict(self.conn.execute(q, ids).fetchall())
        for cid in ids:
            if cid in found:
                yield found[cid]

    def count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM cables").fetchone()[0]

    def references_of(self, cable_id: str) -> list[Reference]:
        rows = self.conn.execute(
            "SELECT ref_id, text, year_inferred, label FROM refs WHERE cable_id = ? ORDER BY seq",
            (cable_id,),
        )
        return [Reference(r[0], r[1], bool(r[2]), r[3]) for r in rows]

    def cited_by(self, cable_id: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT DISTINCT c.id, c.date FROM refs r JOIN cables c ON c.id = r.cable_id "
            "WHERE r.ref_id = ? AND r.cable_id != ? ORDER BY c.date IS NULL, c.date DESC, c.id",
            (cable_id, cable_id),
        )
        return [r[0] for r in rows]

    def generation(self) -> tuple[int, ...]:
        return file_generation(self.path)

    def warm(self, *, portions: bool = True) -> None:
        from cablegram.search.docvalues import preload

        preload(self.conn, portions=portions)

    @contextmanager
    def _reading(self) -> Iterator[reads.Query]:
        conn = self.conn

        def q(sql: str, params: Sequence[Any]) -> list[tuple]:
            return conn.execute(sql, params).fetchall()

        yield q

    def errors(self, *, run_id: int | None = None, limit: int | None = None) -> list[ErrorInfo]:
        q, args = errors_query(run_id, limit, "?")
        return [ErrorInfo.from_row(r) for r in self.conn.execute(q, args)]

    def runs(self) -> list[RunInfo]:
        rows = self.conn.execute(
            "SELECT run_id, started_at, finished_at, args, status, new, updated, unchanged, "
            "failed FROM ingest_runs ORDER BY run_id"
        )
        return [RunInfo(*r) for r in rows]

    def search(self, q: str, **kwargs: Any) -> Any:
        from cablegram.search.sqlite import search

        return search(self.conn, q, **kwargs)

    def search_ids(self, q: str, *, visible: Any = None) -> Iterator[str]:
        from cablegram.search import sqlite as engine

        if hasattr(engine, "iter_ids"):  # a streaming entry point, when the engine has one
            yield from engine.iter_ids(self.conn, q, visible=visible)
            return
        per_page = getattr(engine, "MAX_PER_PAGE", 100)
        page = 1
        while True:
            res = engine.search(
                self.conn, q, page=page, per_page=per_page, sort="date", facets=False,
                visible=visible,
            )  # fmt: skip
            for hit in res.hits:
                yield hit.id
            if page * per_page >= res.total or not res.hits:
                return
            page += 1

    def dump(self) -> Iterator[tuple[str, tuple]]:
        c = self.conn
        c.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.cablegram_fts_vocab "
            "USING fts5vocab(main, portions_fts, row)"
        )
        for table, q in _DUMP.items():
            for row in c.execute(q):
                yield table, tuple(row)


def file_generation(path: str) -> tuple[int, ...]:
    """``Store.generation`` of the SQLite file at ``path``, without opening it: any write
    changes the file or its write-ahead log (size or time)."""
    out: list[int] = []
    for p in (path, path + "-wal"):
        try:
            st = os.stat(p)
        except OSError:
            out += [0, 0]
        else:
            out += [st.st_mtime_ns, st.st_size]
    return tuple(out)


def _norm_sql(sql: str) -> str:
    return " ".join(sql.replace("IF NOT EXISTS ", "", 1).split()).rstrip(";")
