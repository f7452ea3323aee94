"""The PostgreSQL store: the tables of docs/schema.md on a server, full text in a GIN-indexed
``tsvector`` per portion, psycopg 3 with a connection pool for readers.

``open_store("postgresql://user@host:5432/db")`` returns a :class:`PostgresStore`. The
schema is created and upgraded by the versioned SQL files in ``store/migrations`` (applied in
order, each in one transaction, under an advisory lock; recorded in ``schema_migrations``).

Writes happen on one dedicated connection (no threads: the ingest forks its parser processes
after the store is open); each :meth:`write` is one transaction that first takes a
transaction-level advisory lock, so writers (several ingests, even on several machines)
are serialised the way SQLite's ``BEGIN IMMEDIATE`` serialises them, while readers, served
from a ``psycopg_pool.ConnectionPool``, read MVCC snapshots and are never blocked.

A chunk is written in a few statements per table (``_write_batch``: one read of the stored
versions decides every outcome, then one COPY per table, the data made by
:func:`prepare_rows`, on the Dask workers when they parse), with the result of writing its
items one by one. A first load into an empty archive builds the full-text index at its end
(``_defer_fts_index``). docs/scaling.md has the figures.
"""

from __future__ import annotations

import json
import re
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import psycopg

from cablegram.model import Cable, Reference
from cablegram.search.postgres import tsvector_binary
from cablegram.settings import settings
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
    CHILD_TABLES,
    CableRows,
    alias_rows,
    upsert_cable_sql,
)
from cablegram.store.versioning import VersionWrites, better

SCHEMA_VERSION = "1"  # the meta.schema_version the SQLite store also writes
WRITE_LOCK = 0x6361626C  # advisory lock key ("cabl"): one writer transaction at a time
MIGRATE_LOCK = 0x6361626D
# A first load into an empty archive builds the full-text index at the end of the run
# (PostgresStore._defer_fts_index); CABLEGRAM_PG_DEFER_INDEX=0 keeps it up to date instead
# (cablegram.settings reads the CABLEGRAM_PG_* variables).
FTS_INDEX = "portions_tsv"
_FTS_INDEX_DDL = f"CREATE INDEX IF NOT EXISTS {FTS_INDEX} ON portions USING gin (tsv)"
# A term's postings are merged into one segment at the end of a run when it has more
# (search reads all of a term's segments: a first load leaves one per chunk).
POSTINGS_SEGMENTS = 8

_UPSERT_CABLE = upsert_cable_sql("%s")
_COPY_CABLES = f"COPY cables (id, version_id, n_versions, {', '.join(CABLE_COLUMNS)}) FROM STDIN"
_COPY_VERSIONS = (
    "COPY versions (cable_id, content_hash, source, member, rendering, completeness, run_id, "
    "ingested_at, record) FROM STDIN"
)
# The database's generation (Store.generation): a counter in meta, raised inside every
# write transaction, so a reader sees the new number exactly when it sees the new content
# (a sequence would show it before the commit). Writers are serialised by WRITE_LOCK, so
# the row is never contended. It is not content: the dump leaves it out.
_BUMP_GENERATION = (
    "INSERT INTO meta (key, value) VALUES ('generation', '1') ON CONFLICT (key) "
    "DO UPDATE SET value = (meta.value::bigint + 1)::text"
)
_UPSERT_ERROR = (
    "INSERT INTO errors (run_id, source, member, content_hash, code, reason, at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s) "
    "ON CONFLICT (source, member, content_hash) DO UPDATE SET "
    "code = excluded.code, reason = excluded.reason, run_id = excluded.run_id"
)

# The canonical dump: the same tables, columns and order as the SQLite store's, so that two
# PostgreSQL databases with the same content dump the same. The full-text index is
# summarised per lexeme by ts_stat (documents, occurrences).
_DUMP = {
    "meta": "SELECT key, value FROM meta WHERE key != 'generation' ORDER BY key",
    "versions": "SELECT cable_id, content_hash, source, member, rendering, completeness, record "
    "FROM versions ORDER BY content_hash",
    "cables": "SELECT c.id, v.content_hash, c.n_versions, "
    + ", ".join(f"c.{x}" for x in CABLE_COLUMNS)
    + " FROM cables c JOIN versions v USING (version_id) ORDER BY c.id",
    "caveats": "SELECT cable_id, caveat FROM caveats ORDER BY cable_id, caveat",
    "tags": "SELECT cable_id, code, kind, name, seq FROM tags ORDER BY cable_id, code",
    "addressees": "SELECT cable_id, role, seq, routing, name, precedence, serial "
    "FROM addressees ORDER BY cable_id, role, seq",
    "refs": "SELECT cable_id, seq, ref_id, text, year_inferred, label FROM refs "
    "ORDER BY cable_id, seq",
    "reasons": "SELECT cable_id, seq, reason FROM reasons ORDER BY cable_id, seq",
    "defects": "SELECT cable_id, seq, code, message FROM defects ORDER BY cable_id, seq",
    "portions": "SELECT cable_id, kind, seq, number, marking, level, caveats, heading, text "
    "FROM portions ORDER BY cable_id, seq, kind",
    "errors": "SELECT source, member, content_hash, code, reason FROM errors "
    "ORDER BY source, member, content_hash",
    "portions_fts": "SELECT word, ndoc, nentry FROM ts_stat('SELECT tsv FROM portions') "
    'ORDER BY word COLLATE "C"',
}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _value(cur: psycopg.Cursor[tuple[Any, ...]]) -> Any:
    """The value of a query that always returns one row (EXISTS, count, RETURNING)."""
    row = cur.fetchone()
    if row is None:
        raise psycopg.ProgrammingError("the query returned no row")
    return row[0]


def _clean(v: Any) -> Any:
    # PostgreSQL text cannot hold NUL; the SQLite store keeps it. Rare (binary files are
    # refused before parsing), and the record's JSON keeps it escaped as \u0000.
    return v.replace("\x00", "") if isinstance(v, str) and "\x00" in v else v


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration shipped, in order."""
    out = []
    folder = resources.files("cablegram.store").joinpath("migrations")
    for entry in folder.iterdir():
        m = re.fullmatch(r"(\d{4})_(\w+)\.sql", entry.name)
        if m:
            out.append((int(m.group(1)), m.group(2), entry.read_text("utf-8")))
    return sorted(out)


def _conninfo(url: str) -> str:
    # postgres:// is libpq's alias too; keep the URL as given otherwise.
    return url


class PostgresStore(VersionWrites, Store):
    conn: psycopg.Connection[tuple[Any, ...]]
    _placeholder = "%s"

    @staticmethod
    def _text(value: Any) -> Any:
        return _clean(value)

    def __init__(self, url: str, *, create: bool = True, pool_max: int | None = None) -> None:
        self.url = url
        self._conninfo = _conninfo(url)
        self._pool_max = max(1, settings().pg_pool_max if pool_max is None else pool_max)
        self._pool: Any = None
        self._pool_lock = threading.Lock()
        self.conn = psycopg.connect(self._conninfo, autocommit=True)
        self._lock = threading.RLock()  # the writer connection is used by one thread at a time
        try:
            self._migrate(create)
        except BaseException:
            self.conn.close()
            raise

    # -- schema ----------------------------------------------------------------------------
    def _migrate(self, create: bool) -> None:
        c = self.conn
        # (version, name, seconds) of the migrations this open applied (`cablegram migrate`
        # prints them: 0008 rebuilds the postings of an existing archive).
        self.migrated: list[tuple[int, str, float]] = []
        have = _value(c.execute("SELECT to_regclass('schema_migrations') IS NOT NULL"))
        applied: set[int] = set()
        if have:
            applied = {r[0] for r in c.execute("SELECT version FROM schema_migrations")}
        todo = [m for m in migrations() if m[0] not in applied]
        if not todo:
            return
        if not create and not applied:
            raise FileNotFoundError(f"no cablegram schema in {self.url}")
        known = max(m[0] for m in migrations())
        if applied and max(applied) > known:
            raise RuntimeError(f"{self.url}: schema migration {max(applied)} is newer than "
                               f"this cablegram ({known})")  # fmt: skip
        with c.transaction():
            c.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_LOCK,))
            c.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                "name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            applied = {r[0] for r in c.execute("SELECT version FROM schema_migrations")}
            for version, name, sql in migrations():
                if version in applied:
                    continue
                t0 = time.perf_counter()
                c.execute(sql)  # our own files, never user text
                self.migrated.append((version, name, time.perf_counter() - t0))
                c.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (%s, %s, %s)",
                    (version, name, _now()),
                )
            c.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', %s) "
                "ON CONFLICT (key) DO NOTHING",
                (SCHEMA_VERSION,),
            )

    # -- connections -----------------------------------------------------------------------
    def pool(self) -> Any:
        """The reader pool (``psycopg_pool.ConnectionPool``), opened on first use."""
        with self._pool_lock:
            if self._pool is None:
                from psycopg_pool import ConnectionPool

                self._pool = ConnectionPool(
                    self._conninfo,
                    min_size=1,
                    max_size=self._pool_max,
                    kwargs={"autocommit": True},
                    open=True,
                    name="cablegram-readers",
                )
            return self._pool

    @contextmanager
    def reader(self) -> Iterator[psycopg.Connection]:
        with self.pool().connection() as conn:
            yield conn

    def applied_migrations(self) -> list[tuple[int, str, str]]:
        """``schema_migrations``: (version, name, applied at), oldest first."""
        with self.reader() as conn:
            rows = conn.execute(
                "SELECT version, name, applied_at FROM schema_migrations ORDER BY version"
            ).fetchall()
        return [(int(v), str(n), str(at)) for v, n, at in rows]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        if self.conn is not None and not self.conn.closed:
            self.conn.close()

    # -- ingest side -----------------------------------------------------------------------
    @staticmethod
    def prepare_rows(rows: CableRows) -> CableRows:
        """Work a parser process may do for this store before sending ``rows`` (the Dask
        engine has its workers do it): the portions' ``tsvector`` input."""
        return prepare_rows(rows)

    def begin_run(self, args: str = "") -> int:
        with self._lock:
            run_id = int(
                _value(
                    self.conn.execute(
                        "INSERT INTO ingest_runs (started_at, args) VALUES (%s, %s) "
                        "RETURNING run_id",
                        (_now(), args),
                    )
                )
            )
            if settings().pg_defer_index:
                self._defer_fts_index()
            return run_id

    def _defer_fts_index(self) -> None:
        """A first load (no cable stored yet) writes without the full-text index, which
        :meth:`finish_run` builds in one pass at the end: far cheaper than keeping a GIN
        index up to date row by row, and a first load is when that matters. Searches
        meanwhile are right but unindexed (sequential). A run that does not finish leaves
        the index missing; the next run (the resume) writes on and builds it."""
        c = self.conn
        with c.transaction():
            c.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            if _value(c.execute("SELECT NOT EXISTS (SELECT 1 FROM cables)")):
                c.execute(f"DROP INDEX IF EXISTS {FTS_INDEX}")

    def ensure_indexes(self) -> bool:
        """Build the full-text index if it is missing (see ``_defer_fts_index``); True
        when it was built."""
        c = self.conn
        with self._lock:
            if _value(c.execute("SELECT to_regclass(%s) IS NOT NULL", (FTS_INDEX,))):
                return False
            with c.transaction():
                # One builder at a time (two concurrent CREATE INDEX would both try).
                c.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_LOCK,))
                c.execute(
                    "SELECT set_config('maintenance_work_mem', %s, true)",
                    (settings().pg_index_mem,),
                )
                c.execute(_FTS_INDEX_DDL)
            return True

    def merge_postings(self, most: int = POSTINGS_SEGMENTS) -> int:
        """Merge the segments of every term that has more than ``most`` into one (migrations
        0007, 0008): each write appends a segment per term it wrote, and a word's postings
        are read as all its segments. Ids and positions are concatenated in the same
        ``seg`` order, so they stay aligned. Returns how many terms were merged."""
        c = self.conn
        with self._lock, c.transaction():
            c.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            cur = c.execute(
                "WITH many AS (SELECT term FROM term_postings GROUP BY term HAVING count(*) > %s), "
                "moved AS (DELETE FROM term_postings t USING many WHERE t.term = many.term "
                "RETURNING t.term, t.seg, t.pids, t.pos) "
                "INSERT INTO term_postings (term, seg, pids, pos) "
                "SELECT term, nextval('term_postings_seg'), "
                "string_agg(pids, ''::bytea ORDER BY seg), string_agg(pos, ''::bytea ORDER BY seg) "
                "FROM moved GROUP BY term",
                (most,),
            )
            return cur.rowcount

    def finish_run(self, run_id: int, counts: Mapping[str, int], status: str = "done") -> None:
        with self._lock:
            self.ensure_indexes()
            self.merge_postings()
            if counts.get(NEW, 0) + counts.get(UPDATED, 0):
                # Fresh planner statistics (as SQLite's PRAGMA optimize on close): the
                # first searches after a big ingest would otherwise plan on empty tables.
                self.conn.execute("ANALYZE cables, tags, caveats, refs")
                # VACUUM as well: search loads the portions' metadata with an index-only
                # scan, which needs the visibility map set, and merging the postings left
                # their old segments dead.
                self.conn.execute("VACUUM (ANALYZE) portions, term_postings")
            self.conn.execute(_BUMP_GENERATION)
            self.conn.execute(
                "UPDATE ingest_runs SET finished_at = %s, status = %s, new = %s, updated = %s, "
                "unchanged = %s, failed = %s WHERE run_id = %s",
                (_now(), status, counts.get(NEW, 0), counts.get(UPDATED, 0),
                 counts.get(UNCHANGED, 0), counts.get(FAILED, 0), run_id),
            )  # fmt: skip

    def known_versions(self, hashes: Iterable[str]) -> set[str]:
        hs = list(dict.fromkeys(h for h in hashes if h))
        if not hs:
            return set()
        with self._lock:
            rows = self.conn.execute(
                "SELECT content_hash FROM versions WHERE content_hash = ANY(%s)", (hs,)
            ).fetchall()
        return {r[0] for r in rows}

    def write(
        self,
        items: list[WriteItem],
        run_id: int | None = None,
        *,
        force: bool = False,
        before_commit: Callable[[], None] | None = None,
        commit: bool = True,  # every write commits: PostgreSQL's commits are cheap
    ) -> list[str]:
        if not items:
            return []
        now = _now()
        with self._lock, self.conn.transaction():
            c = self.conn
            c.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            c.execute(_BUMP_GENERATION)
            out = None
            if not force and _batchable(items):
                try:
                    with c.transaction():  # a savepoint: the batch falls back as a whole
                        out = self._write_batch(items, run_id, now)
                except psycopg.errors.UniqueViolation:
                    out = None  # a writer that ignores the lock raced us: go item by item
            if out is None:
                out = [self._write_one(it, run_id, now, force) for it in items]
            aliases = alias_rows(items)
            if aliases:
                c.cursor().executemany(
                    "INSERT INTO aliases (alias, cable_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                    aliases,
                )
            if before_commit is not None:
                before_commit()
        return out

    def _write_one(self, it: WriteItem, run_id: int | None, now: str, force: bool) -> str:
        if isinstance(it, Parsed):
            return self._write_parsed(it, run_id, now, force)
        if isinstance(it, Failed):
            self._write_error(it.source, it.member, it.content_hash, it.code, it.reason,
                              run_id, now)  # fmt: skip
            return FAILED
        if isinstance(it, Seen):
            return self._write_seen(it, run_id, now)
        raise TypeError(f"not a write item: {it!r}")  # pragma: no cover

    def _write_batch(self, items: list[WriteItem], run_id: int | None, now: str) -> list[str]:
        """``items`` in a few statements per table, with the outcome and the database of
        applying them one by one (``_batchable`` says when that holds): the version
        choice for the whole chunk is made from one read of the stored versions."""
        c = self.conn
        parsed = [it for it in items if isinstance(it, Parsed)]
        seen = [it for it in items if isinstance(it, Seen)]
        ids = list(dict.fromkeys(it.rows.cable_id for it in parsed))
        hashes = [it.content_hash for it in parsed] + [it.content_hash for it in seen]
        with c.pipeline():
            cur_known = c.execute(
                "SELECT content_hash FROM versions WHERE content_hash = ANY(%s)", (hashes,)
            ) if hashes else None  # fmt: skip
            cur_stored = c.execute(
                "SELECT v.cable_id, v.completeness, v.content_hash, v.version_id, "
                "v.version_id = c.version_id, v.run_id IS DISTINCT FROM %s FROM versions v "
                "LEFT JOIN cables c ON c.id = v.cable_id WHERE v.cable_id = ANY(%s)",
                (run_id, ids),
            ) if ids else None  # fmt: skip
            cur_errors = c.execute(
                "SELECT DISTINCT ON (content_hash) content_hash, code, reason FROM errors "
                "WHERE content_hash = ANY(%s) ORDER BY content_hash, error_id",
                ([it.content_hash for it in seen],),
            ) if seen else None  # fmt: skip
        known = {r[0] for r in cur_known.fetchall()} if cur_known else set()
        # per cable id: [n_versions, best (completeness, hash), best's rows or None, shown?]
        state: dict[str, list[Any]] = {}
        earlier: set[str] = set()  # cables with a version from before this run
        for cid, score, h, _vid, is_shown, before in cur_stored.fetchall() if cur_stored else ():
            if before:
                earlier.add(cid)
            st = state.setdefault(cid, [0, None, None, False])
            st[0] += 1
            if st[1] is None or better(score, h, *st[1]):
                st[1], st[2] = (score, h), None
            st[3] = st[3] or bool(is_shown)
        stored_errors = {r[0]: (r[1], r[2]) for r in cur_errors.fetchall()} if cur_errors else {}

        out: list[str] = []
        new_versions: list[Parsed] = []
        touched: set[str] = set()  # the cables that get a new version
        chunk_errors: dict[str, tuple[str, str]] = {}
        error_rows: list[tuple] = []
        for it in items:
            if isinstance(it, Parsed):
                h, r = it.content_hash, it.rows
                if h in known:
                    out.append(UNCHANGED)
                    continue
                known.add(h)
                new_versions.append(it)
                touched.add(r.cable_id)
                entry = state.get(r.cable_id)
                if entry is None:
                    state[r.cable_id] = [1, (r.completeness, h), r, False]
                    out.append(NEW)
                    continue
                entry[0] += 1
                if better(r.completeness, h, *entry[1]):
                    entry[1], entry[2] = (r.completeness, h), r
                out.append(UPDATED if run_id is None or r.cable_id in earlier else NEW)
            elif isinstance(it, Failed):
                error_rows.append((run_id, _clean(it.source), _clean(it.member),
                                   it.content_hash or "", it.code, _clean(it.reason), now))  # fmt: skip
                if it.content_hash:
                    chunk_errors.setdefault(it.content_hash, (it.code, it.reason))
                out.append(FAILED)
            else:
                assert isinstance(it, Seen)
                h = it.content_hash
                if h in known:
                    out.append(UNCHANGED)
                    continue
                code, reason = stored_errors.get(h) or chunk_errors.get(h) or (
                    "read", "content seen but not stored")  # fmt: skip
                error_rows.append((run_id, _clean(it.source), _clean(it.member), h, code,
                                   _clean(reason), now))  # fmt: skip
                out.append(FAILED)

        if new_versions:
            run = _text_field(run_id)
            # No conflict is possible: every writer holds WRITE_LOCK, and these hashes
            # were not stored when it was taken (if one were, UniqueViolation: see write).
            lines = []
            for it in new_versions:
                pg = _payload(it.rows)
                lines.append("\t".join((pg["id"], it.content_hash, _text_field(it.source),
                                        _text_field(it.member), pg["version"], run,
                                        now, pg["record"])) + "\n")  # fmt: skip
            with c.cursor() as cur, cur.copy(_COPY_VERSIONS) as cp:
                cp.write("".join(lines))
            vids = dict(c.execute(
                "SELECT content_hash, version_id FROM versions WHERE content_hash = ANY(%s)",
                ([it.content_hash for it in new_versions],),
            ).fetchall())  # fmt: skip
        puts: list[tuple[CableRows, int, int, bool]] = []
        counts: list[tuple[int, str]] = []
        stale: list[str] = []
        for cid in ids:
            if cid not in touched:
                continue  # every version of it in this chunk was already stored
            n, (_, best_hash), rows, shown = state[cid]
            if rows is not None:
                puts.append((rows, vids[best_hash], n, not shown))
            elif shown:
                counts.append((n, cid))
            else:  # the best stored version is not the shown one: repair from its record
                stale.append(cid)
        with c.pipeline():
            if new_versions:
                c.execute("DELETE FROM errors WHERE content_hash = ANY(%s)",
                          ([it.content_hash for it in new_versions],))  # fmt: skip
            if counts:
                c.cursor().executemany("UPDATE cables SET n_versions = %s WHERE id = %s", counts)
            if error_rows:
                c.cursor().executemany(_UPSERT_ERROR, error_rows)
        self._put_many(puts)
        for cid in stale:
            self.refresh(cid)
        return out

    def _put_cable(
        self, r: CableRows, version_id: int, n_versions: int, *, fresh: bool = False
    ) -> None:
        """Write the shown version's rows. ``fresh``: no cables row existed, so there are
        no child rows to delete."""
        self._put_many([(r, version_id, n_versions, fresh)])

    def _put_many(self, puts: list[tuple[CableRows, int, int, bool]]) -> None:
        """Make each ``(rows, version_id, n_versions, fresh)`` the shown version of its
        cable: the old child rows of the cables that had one are deleted, then each table
        gets the rows of all of them in one COPY (the payload of :func:`prepare_rows`)."""
        if not puts:
            return
        c = self.conn
        payloads = [_payload(r) for r, _, _, _ in puts]
        replaced = [p for p in puts if not p[3]]
        if replaced:
            old = [p[0].cable_id for p in replaced]
            with c.pipeline():
                for table in CHILD_TABLES:
                    c.execute(f"DELETE FROM {table} WHERE cable_id = ANY(%s)", (old,))
                c.cursor().executemany(
                    _UPSERT_CABLE,
                    [(r.cable_id, vid, n, *[_clean(r.cable[k]) for k in CABLE_COLUMNS])
                     for r, vid, n, _ in replaced],
                )  # fmt: skip
        with c.cursor() as cur:
            fresh = [f"{pg['id']}\t{vid}\t{n}\t{pg['cable']}\n"
                     for (_, vid, n, new), pg in zip(puts, payloads) if new]  # fmt: skip
            if fresh:
                with cur.copy(_COPY_CABLES) as cp:
                    cp.write("".join(fresh))
            for table, columns, _ in _CHILDREN:
                data = b"".join(pg["tables"][table] for pg in payloads)
                if data:
                    with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as cp:
                        cp.write(data)
            data = b"".join(pg["portions"] for pg in payloads)
            if data:
                with cur.copy(
                    f"COPY portions ({_PORTION_COLUMNS}) FROM STDIN (FORMAT BINARY)"
                ) as cp:
                    cp.write(_COPY_BINARY_HEADER + data + _COPY_BINARY_TRAILER)

    def _write_error(self, source: str, member: str, content_hash: str, code: str, reason: str,
                     run_id: int | None, now: str) -> None:  # fmt: skip
        self.conn.execute(
            _UPSERT_ERROR,
            (run_id, _clean(source), _clean(member), content_hash or "", code, _clean(reason),
             now),
        )  # fmt: skip

    # -- read side -------------------------------------------------------------------------
    def _one(self, sql: str, params: Any = ()) -> Any:
        with self.reader() as conn:
            return conn.execute(sql, params).fetchone()

    def _all(self, sql: str, params: Any = ()) -> list[Any]:
        with self.reader() as conn:
            return conn.execute(sql, params).fetchall()

    def resolve(self, cable_id: str) -> str:
        """The cable's id for an id or an alias (``cable_id`` itself when neither)."""
        if self._one("SELECT 1 FROM cables WHERE id = %s", (cable_id,)):
            return cable_id
        row = self._one(
            "SELECT cable_id FROM aliases WHERE alias = %s ORDER BY cable_id LIMIT 1", (cable_id,)
        )
        return row[0] if row else cable_id

    def get(self, cable_id: str) -> Cable | None:
        row = self._one(
            "SELECT v.record FROM cables c JOIN versions v USING (version_id) WHERE c.id = %s",
            (cable_id,),
        )
        return Cable.from_dict(json.loads(row[0])) if row else None

    def versions(self, cable_id: str) -> list[VersionInfo]:
        rows = self._all(VERSIONS_SQL.format(p="%s"), (cable_id,))
        return [VersionInfo.from_row(i, r) for i, r in enumerate(rows, 1)]

    def version(self, cable_id: str, ref: int | str) -> tuple[VersionInfo, Cable] | None:
        pick = pick_version(self.versions(cable_id), ref)
        if pick is None:
            return None
        rec = self._one("SELECT record FROM versions WHERE content_hash = %s",
                        (pick.content_hash,))[0]  # fmt: skip
        return pick, Cable.from_dict(json.loads(rec))

    def iter_records(
        self, ids: Iterable[str] | None = None, *, batch_size: int = 500
    ) -> Iterator[str]:
        return records_in_batches(ids, batch_size, self._records_after, self._records_by_id)

    def _records_after(self, last: str, n: int) -> list[tuple[str, str]]:
        sql = (
            "SELECT c.id, v.record FROM cables c JOIN versions v USING (version_id) "
            "WHERE c.id > %s ORDER BY c.id LIMIT %s"
        )
        return self._all(sql, (last, n))

    def _records_by_id(self, ids: list[str]) -> Iterator[str]:
        found = dict(
            self._all(
                "SELECT c.id, v.record FROM cables c JOIN versions v USING (version_id) "
                "WHERE c.id = ANY(%s)",
                (ids,),
            )
        )
        for cid in ids:
            if cid in found:
                yield found[cid]

    def count(self) -> int:
        return self._one("SELECT count(*) FROM cables")[0]

    def references_of(self, cable_id: str) -> list[Reference]:
        rows = self._all(
            "SELECT ref_id, text, year_inferred, label FROM refs WHERE cable_id = %s ORDER BY seq",
            (cable_id,),
        )
        return [Reference(r[0], r[1], bool(r[2]), r[3]) for r in rows]

    def cited_by(self, cable_id: str) -> list[str]:
        rows = self._all(
            "SELECT DISTINCT c.id, c.date, c.date IS NULL FROM refs r "
            "JOIN cables c ON c.id = r.cable_id WHERE r.ref_id = %s AND r.cable_id != %s "
            "ORDER BY c.date IS NULL, c.date DESC, c.id",
            (cable_id, cable_id),
        )
        return [r[0] for r in rows]

    def generation(self) -> tuple[int, ...]:
        row = self._one("SELECT value FROM meta WHERE key = 'generation'")
        return (int(row[0]) if row else 0,)

    def warm(self, *, portions: bool = True) -> None:
        # Search's doc values and portion map, before the first request (search/pgengine.py).
        from cablegram.search.pgdocvalues import doc_values

        with self.reader() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            doc_values(conn)

    @contextmanager
    def _reading(self) -> Iterator[reads.Query]:
        # One snapshot for all the statements of a read (stats counts several tables).
        # Not READ ONLY: a restricted reader's stats make a temporary table.
        with self.reader() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")

            def q(sql: str, params: Sequence[Any]) -> list[tuple]:
                cur = conn.execute(sql.replace("?", "%s"), params)
                return cur.fetchall() if cur.description is not None else []

            yield q

    def errors(self, *, run_id: int | None = None, limit: int | None = None) -> list[ErrorInfo]:
        q, args = errors_query(run_id, limit, "%s")
        return [ErrorInfo.from_row(r) for r in self._all(q, args)]

    def runs(self) -> list[RunInfo]:
        rows = self._all(
            "SELECT run_id, started_at, finished_at, args, status, new, updated, unchanged, "
            "failed FROM ingest_runs ORDER BY run_id"
        )
        return [RunInfo(*r) for r in rows]

    def search(self, q: str, **kwargs: Any) -> Any:
        from cablegram.search.pgengine import search

        with self.reader() as conn:
            return search(conn, q, **kwargs)

    def search_ids(self, q: str, *, visible: Any = None) -> Iterator[str]:
        from cablegram.search.pgengine import iter_ids

        with self.reader() as conn:
            yield from iter_ids(conn, q, visible=visible)

    def dump(self) -> Iterator[tuple[str, tuple]]:
        with self.reader() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            for table, q in _DUMP.items():
                for row in conn.execute(q):
                    yield table, tuple(row)


class PreparedRows(CableRows):
    """``CableRows`` with what the PostgreSQL writer sends for them already made
    (:func:`prepare_rows`), as the Dask workers return them: the tokenizing and the
    encoding run on the workers, in parallel, not in the one process that writes."""

    pg: dict[str, Any]


_PAYLOAD = 1  # version of the prepared payload; another one is made again by the writer


def prepare_rows(rows: CableRows) -> PreparedRows:
    """``rows`` and their COPY data: the ``versions`` and ``cables`` fields in COPY's text
    format, each child table's rows in text format, the portions in binary format (their
    ``tsvector`` included, so the server does not parse it)."""
    out = PreparedRows.__new__(PreparedRows)
    out.__dict__.update(rows.__dict__)
    cid = rows.cable_id
    tables = {}
    for table, _, rows_of in _CHILDREN:
        tables[table] = "".join(
            "\t".join(map(_text_field, (cid, *row))) + "\n" for row in rows_of(rows)
        ).encode()
    cid_bin = _bin_text(cid)
    portions = [
        b"".join((
            _PORTION_FIELDS, cid_bin, _bin_text(kind), _bin_int(seq), _bin_int(number),
            _bin_text(marking), _bin_int(level), _bin_text(caveats), _bin_text(heading),
            _bin_text(text), _bin_bytes(tsvector_binary(_clean(text), _clean(heading))),
        ))
        for kind, seq, number, marking, level, caveats, heading, text in rows.portions
    ]  # fmt: skip
    out.pg = {
        "v": _PAYLOAD,
        "id": _text_field(cid),
        "version": "\t".join(map(_text_field, (rows.rendering, rows.completeness))),
        "record": _text_field(rows.record),
        "cable": "\t".join(_text_field(rows.cable[k]) for k in CABLE_COLUMNS),
        "tables": tables,
        "portions": b"".join(portions),
    }
    return out


def _payload(r: CableRows) -> dict[str, Any]:
    pg = r.__dict__.get("pg")
    if not isinstance(pg, dict) or pg.get("v") != _PAYLOAD:
        pg = prepare_rows(r).pg
    return pg


def _text_field(v: Any) -> str:
    """One field in COPY's text format (NUL removed, as ``_clean``)."""
    if v is None:
        return "\\N"
    if isinstance(v, str):
        if "\\" in v or "\t" in v or "\n" in v or "\r" in v or "\0" in v:
            # (str.replace, not str.translate: ten times faster on a long record)
            return (
                v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
                .replace("\r", "\\r").replace("\0", "")
            )  # fmt: skip
        return v
    if isinstance(v, bool | int):
        return str(int(v))
    return _text_field(str(v))  # pragma: no cover - rows hold str, int and None


_NULL = (-1).to_bytes(4, "big", signed=True)
_PORTION_FIELDS = (10).to_bytes(2, "big")
_COPY_BINARY_HEADER = b"PGCOPY\n\xff\r\n\0" + bytes(8)
_COPY_BINARY_TRAILER = b"\xff\xff"
_INT4 = struct.Struct(">ii").pack


def _bin_bytes(b: bytes) -> bytes:
    return len(b).to_bytes(4, "big") + b


def _bin_text(v: str) -> bytes:
    return _bin_bytes(_clean(v).encode())


def _bin_int(v: int | None) -> bytes:
    return _NULL if v is None else _INT4(4, v)


# The child tables, their columns, and their rows (without cable_id) from a CableRows.
_CHILDREN: list[tuple[str, str, Callable[[CableRows], list[tuple]]]] = [
    (table, ", ".join(("cable_id", *columns)), rows_of) for table, columns, rows_of in CHILD_ROWS
]
_PORTION_COLUMNS = "cable_id, kind, seq, number, marking, level, caveats, heading, text, tsv"


def _batchable(items: list[WriteItem]) -> bool:
    """Whether ``_write_batch`` gives what writing the items one by one gives: each
    content appears once as Parsed or Failed, before any Seen of it (as the ingest
    pipeline makes them: a content met again is a Seen)."""
    firsts: set[str] = set()
    seen: set[str] = set()
    for it in items:
        h = it.content_hash
        if isinstance(it, Seen):
            seen.add(h)
        elif h and (h in firsts or h in seen):
            return False
        elif h:
            firsts.add(h)
    return True
