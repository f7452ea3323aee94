"""Principals, tokens, sessions, the anonymous policy and the audit log.

They live in a companion SQLite file next to a SQLite archive (``cablegram.db`` ->
``cablegram.access.db``): the archive stays a read-mostly file that can be rebuilt or
replaced, and the server's caches are not invalidated by every audit line. A PostgreSQL
archive keeps them in its own database (migration ``0005_access``: the same tables), so
that several servers on one database share users, logins and one audit log; the same
statements run on both (``?`` placeholders, turned into psycopg's). Passwords are stored as scrypt hashes (random salt), tokens
and session ids as sha256 digests of random secrets: the file holds no secret.

The ``audit`` table is append-only: triggers abort every UPDATE, and every DELETE but the
pruning of entries older than the configured retention (``audit-retention-days``, 0 = keep
all). Entries are written by one background thread on its own connection
(``AuditWriter``): a request never waits for the audit file, and reads go on when it
cannot be written (full disk, a lock held elsewhere): the failure is logged and shown by
``audit_health()`` (``GET /api/health``).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import json
import logging
import os
import queue
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from cablegram.access.rules import ANONYMOUS_POLICIES, Reader, clearance_level, normalize_caveats
from cablegram.errors import NotFound
from cablegram.store import is_postgres_url

__all__ = ["AccessDB", "AuditEntry", "Principal", "TokenInfo", "access_path"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS principals (
    name TEXT PRIMARY KEY,
    clearance TEXT NOT NULL,               -- U, LOU, SBU, C, S, TS
    caveats TEXT NOT NULL DEFAULT '',      -- space-separated caveat rights (NOFORN ...)
    admin INTEGER NOT NULL DEFAULT 0,
    password TEXT NOT NULL DEFAULT '',     -- scrypt$n$r$p$salt$hash ('' : tokens only)
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    token_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL REFERENCES principals(name) ON DELETE CASCADE,
    label TEXT NOT NULL DEFAULT '',
    digest TEXT NOT NULL UNIQUE,           -- sha256 of the secret, hex
    created_at TEXT NOT NULL,
    expires_at TEXT                        -- NULL: never
);
CREATE TABLE IF NOT EXISTS sessions (
    digest TEXT PRIMARY KEY,               -- sha256 of the cookie value, hex
    name TEXT NOT NULL REFERENCES principals(name) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS policy (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit (
    audit_id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    principal TEXT NOT NULL,               -- user name, '' for anonymous
    via TEXT NOT NULL,                     -- session | token | anonymous | cli
    action TEXT NOT NULL,                  -- search | read | export | stats | login ...
    target TEXT NOT NULL DEFAULT '',       -- a cable id, an entity ...
    query TEXT NOT NULL DEFAULT '',
    result INTEGER,                        -- hits, cables written, 1/0 for found
    client TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
-- Deleting is refused but for entries older than the retention (issue 21).
DROP TRIGGER IF EXISTS audit_no_delete;
CREATE TRIGGER IF NOT EXISTS audit_keep BEFORE DELETE ON audit
WHEN coalesce((SELECT CAST(value AS INTEGER) FROM policy
               WHERE key = 'audit-retention-days'), 0) <= 0
  OR old.at >= strftime('%Y-%m-%dT%H:%M:%S', 'now', '-' || (SELECT CAST(value AS INTEGER)
               FROM policy WHERE key = 'audit-retention-days') || ' days')
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
-- Server secrets (the login form's CSRF signing key), made on first use.
CREATE TABLE IF NOT EXISTS keys (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
"""

# scrypt at current guidance (N = 2^17, r = 8, p = 1: 128 MiB, ~0.3 s); hashes made with
# weaker parameters are redone at the next successful login.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1
POLICY_DEFAULTS = {"anonymous": "U", "audit-retention-days": "0"}
AUDIT_QUEUE = 10_000  # entries waiting for the writer; more are dropped (and counted)
AUDIT_TIMEOUT = 2.0  # seconds the writer waits for a lock on the access file
log = logging.getLogger("cablegram.access")
TOKEN_PREFIX = "cgt_"
SESSION_TTL = timedelta(hours=8)
_DUMMY_HASH = ""  # computed once, for timing parity on unknown users


def access_path(db: str | os.PathLike[str]) -> str:
    """The companion file of an archive: ``x.db`` -> ``x.access.db``; a PostgreSQL
    archive's own database."""
    path = os.fspath(db)
    if is_postgres_url(path):
        return path
    base, ext = os.path.splitext(path)
    return f"{base}.access{ext or '.db'}"


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32,
                          maxmem=256 * n * r + 2**20)  # fmt: skip


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    h = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(h)}"


def check_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, h = stored.split("$")
    except ValueError:
        return False
    if kind != "scrypt" or int(n) > 2**20 or int(r) > 32 or int(p) > 16:
        return False
    got = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    return hmac.compare_digest(got, base64.b64decode(h))


def needs_rehash(stored: str) -> bool:
    """Whether a stored hash was made with weaker parameters than today's."""
    parts = stored.split("$")
    return len(parts) != 6 or parts[1:4] != [str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P)]


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class Principal:
    name: str
    clearance: str
    caveats: list[str]
    admin: bool
    has_password: bool
    created_at: str
    tokens: int = 0

    def reader(self, via: str) -> Reader:
        if self.admin:
            return Reader(self.name, via, None, frozenset(self.caveats), True)
        return Reader(self.name, via, clearance_level(self.clearance), frozenset(self.caveats))


@dataclass
class TokenInfo:
    token_id: int
    name: str
    label: str
    created_at: str
    expires_at: str | None


@dataclass
class Session:
    id: str  # the cookie value (only known when created)
    name: str
    csrf: str
    expires_at: str


@dataclass
class AuditEntry:
    audit_id: int
    at: str
    principal: str
    via: str
    action: str
    target: str
    query: str
    result: int | None
    client: str


class AuditWriter:
    """Writes audit entries from a queue on one background thread and its own connection,
    so a slow, locked or full access file never holds up a request; entries that cannot
    be written are counted and the failure is logged (once a minute) and reported."""

    def __init__(self, path: str, postgres: bool = False) -> None:
        self.path = path
        self.postgres = postgres
        self.queue: queue.Queue[tuple | None] = queue.Queue(maxsize=AUDIT_QUEUE)
        self.written = self.failed = self.dropped = 0
        self.last_error = ""
        self.failing = False
        self._logged = 0.0
        self._pruned = 0.0
        self._thread = threading.Thread(target=self._run, name="cablegram-audit", daemon=True)
        self._thread.start()

    def put(self, row: tuple) -> None:
        try:
            self.queue.put_nowait(row)
        except queue.Full:
            self.dropped += 1
            self._report("the audit queue is full (the access file is not keeping up)")

    def _report(self, msg: str) -> None:
        self.last_error = msg
        if time.monotonic() - self._logged > 60:
            self._logged = time.monotonic()
            log.error("audit log: %s; reads go on, entries are being lost", msg)

    def _connect(self) -> Any:
        if self.postgres:  # the archive's database (migration 0005_access)
            import psycopg

            conn = psycopg.connect(self.path, autocommit=True)
            conn.execute("SET synchronous_commit = off")
            conn.execute(f"SET lock_timeout = '{int(AUDIT_TIMEOUT * 1000)}ms'")
            return conn
        return sqlite3.connect(self.path, isolation_level=None, timeout=AUDIT_TIMEOUT)

    def _write(self, conn: Any, rows: list[tuple]) -> None:
        sql = ("INSERT INTO audit (at, principal, via, action, target, query, result, client) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")  # fmt: skip
        if self.postgres:
            with conn.transaction(), conn.cursor() as cur:
                cur.executemany(sql.replace("?", "%s"), rows)
            return
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(sql, rows)
        conn.execute("COMMIT")

    def _run(self) -> None:
        conn: Any = None
        while True:
            row = self.queue.get()
            batch = [row]
            while row is not None and len(batch) < 512:
                try:
                    row = self.queue.get_nowait()
                except queue.Empty:
                    break
                batch.append(row)
            rows = [r for r in batch if r is not None]
            try:
                if rows:
                    if conn is None:
                        conn = self._connect()
                    self._write(conn, rows)
                    self.written += len(rows)
                    self.failing = False
                    if time.monotonic() - self._pruned > 600:
                        self._pruned = time.monotonic()
                        _prune(conn, self.postgres)
            except _WRITE_ERRORS as exc:
                self.failed += len(rows)
                self.failing = True
                where = "the archive's database" if self.postgres else self.path
                self._report(f"cannot write to {where}: {exc}")
                if conn is not None:
                    try:
                        if self.postgres:  # reconnect on the next batch
                            raise sqlite3.Error("closed")
                        conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        conn.close()
                        conn = None
            finally:
                for _ in batch:
                    self.queue.task_done()
            if row is None or None in batch:
                if conn is not None:
                    conn.close()
                return

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every queued entry is written (or failed)."""
        end = time.monotonic() + timeout
        while self.queue.unfinished_tasks and time.monotonic() < end:
            time.sleep(0.002)

    def close(self) -> None:
        if self._thread.is_alive():
            self.queue.put(None)
            self._thread.join(timeout=AUDIT_TIMEOUT * 3)


def _prune(conn: Any, postgres: bool = False) -> int:
    """Delete audit entries older than the retention (none when it is 0)."""
    row = conn.execute("SELECT value FROM policy WHERE key = 'audit-retention-days'").fetchone()
    days = int(row[0]) if row else 0
    if days <= 0:
        return 0
    cutoff = _iso(_now() - timedelta(days=days))
    mark = "%s" if postgres else "?"
    return int(conn.execute(f"DELETE FROM audit WHERE at < {mark}", (cutoff[:19],)).rowcount)


class AccessDB:
    """The access store of an archive: a SQLite file, or a PostgreSQL archive's database.
    Thread-safe (one connection behind a lock; the audit log has its own writer thread)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._lock = threading.Lock()
        self.postgres = is_postgres_url(self.path)
        self.conn: Any
        self._writer: AuditWriter | None = None
        if self.postgres:
            self.conn = _postgres(self.path)
            return
        self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                    timeout=60)  # fmt: skip
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute("PRAGMA foreign_keys = ON")
        with self._lock:
            self.conn.executescript(SCHEMA)

    @classmethod
    def for_archive(cls, db: str | os.PathLike[str]) -> AccessDB:
        return cls(access_path(db))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        with self._lock:
            self.conn.close()

    def __enter__(self) -> AccessDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self, sql: str, params: tuple | list = ()) -> Any:
        """Run one statement (the caller holds the lock); its cursor."""
        if self.postgres:
            return self.conn.execute(sql.replace("?", "%s"), params)
        return self.conn.execute(sql, params)

    def _q(self, sql: str, params: tuple | list = ()) -> list[tuple]:
        with self._lock:
            cur = self._run(sql, params)
            return cur.fetchall() if cur.description is not None else []

    def _n(self, sql: str, params: tuple | list = ()) -> int:
        """Run one statement; the number of rows it changed."""
        with self._lock:
            return int(self._run(sql, params).rowcount)

    # -- principals ------------------------------------------------------------------------
    def add_user(self, name: str, *, clearance: str = "U", caveats: str | Iterable[object] = (),
                 password: str | None = None, admin: bool = False) -> Principal:  # fmt: skip
        name = name.strip()
        if not name or len(name) > 64 or any(ch.isspace() for ch in name):
            raise ValueError("a user name is 1 to 64 characters without spaces")
        clearance = clearance.strip().upper()
        clearance_level(clearance)
        rights = " ".join(sorted(normalize_caveats(caveats)))
        stored = hash_password(password) if password else ""
        try:
            self._q(
                "INSERT INTO principals (name, clearance, caveats, admin, password, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (name, clearance, rights, int(admin), stored, _iso(_now())),
            )
        except _INTEGRITY:
            raise ValueError(f"there is already a user {name}") from None
        user = self.user(name)
        assert user is not None
        return user

    def set_password(self, name: str, password: str) -> None:
        if not self._q("SELECT 1 FROM principals WHERE name = ?", (name,)):
            raise NotFound(f"no user {name}")
        self._q(
            "UPDATE principals SET password = ? WHERE name = ?", (hash_password(password), name)
        )
        self._q("DELETE FROM sessions WHERE name = ?", (name,))

    def remove_user(self, name: str) -> bool:
        return self._n("DELETE FROM principals WHERE name = ?", (name,)) > 0

    def user(self, name: str) -> Principal | None:
        rows = self._q(
            "SELECT p.name, p.clearance, p.caveats, p.admin, p.password != '', p.created_at, "
            "(SELECT count(*) FROM tokens t WHERE t.name = p.name) FROM principals p "
            "WHERE p.name = ?",
            (name,),
        )
        return _principal(rows[0]) if rows else None

    def users(self) -> list[Principal]:
        rows = self._q(
            "SELECT p.name, p.clearance, p.caveats, p.admin, p.password != '', p.created_at, "
            "(SELECT count(*) FROM tokens t WHERE t.name = p.name) FROM principals p "
            "ORDER BY p.name"
        )
        return [_principal(r) for r in rows]

    def authenticate(self, name: str, password: str) -> Principal | None:
        """The user when the password is theirs; None otherwise (same work either way)."""
        global _DUMMY_HASH
        rows = self._q("SELECT password FROM principals WHERE name = ?", (name,))
        stored = rows[0][0] if rows else ""
        if not stored:
            if not _DUMMY_HASH:
                _DUMMY_HASH = hash_password("not a password")
            check_password(password, _DUMMY_HASH)
            return None
        if not check_password(password, stored):
            return None
        if needs_rehash(stored):  # made with older parameters: redo it now we have it
            self._q("UPDATE principals SET password = ? WHERE name = ? AND password = ?",
                    (hash_password(password), name, stored))  # fmt: skip
        return self.user(name)

    # -- tokens ----------------------------------------------------------------------------
    def new_token(
        self, name: str, *, label: str = "", days: float | None = 90
    ) -> tuple[str, TokenInfo]:
        """A new API token for ``name``: (secret, info). The secret is not stored."""
        if self.user(name) is None:
            raise NotFound(f"no user {name}")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = _now()
        expires = _iso(now + timedelta(days=days)) if days else None
        ((tid,),) = self._q(
            "INSERT INTO tokens (name, label, digest, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?) RETURNING token_id",
            (name, label, digest(secret), _iso(now), expires),
        )
        return secret, TokenInfo(int(tid), name, label, _iso(now), expires)

    def tokens(self, name: str | None = None) -> list[TokenInfo]:
        q = "SELECT token_id, name, label, created_at, expires_at FROM tokens"
        rows = self._q(q + " WHERE name = ? ORDER BY token_id", (name,)) if name else self._q(
            q + " ORDER BY token_id"
        )  # fmt: skip
        return [TokenInfo(*r) for r in rows]

    def revoke_token(self, token_id: int) -> bool:
        return self._n("DELETE FROM tokens WHERE token_id = ?", (token_id,)) > 0

    def token_reader(self, secret: str) -> Reader | None:
        """The reader a bearer token stands for; None when unknown or expired."""
        if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
            return None
        rows = self._q(
            "SELECT t.name, t.expires_at FROM tokens t WHERE t.digest = ?", (digest(secret),)
        )
        if not rows:
            return None
        name, expires = rows[0]
        if expires is not None and expires <= _iso(_now()):
            return None
        user = self.user(name)
        return user.reader("token") if user else None

    # -- sessions --------------------------------------------------------------------------
    def new_session(self, name: str, ttl: timedelta = SESSION_TTL) -> Session:
        sid = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(24)
        now = _now()
        expires = _iso(now + ttl)
        self._q("DELETE FROM sessions WHERE expires_at <= ?", (_iso(now),))
        self._q(
            "INSERT INTO sessions (digest, name, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            (digest(sid), name, csrf, _iso(now), expires),
        )
        return Session(sid, name, csrf, expires)

    def session(self, sid: str) -> tuple[Reader, Session] | None:
        """The reader of a live session; None when unknown or expired."""
        if not sid or len(sid) > 200:
            return None
        rows = self._q(
            "SELECT name, csrf, expires_at FROM sessions WHERE digest = ?", (digest(sid),)
        )
        if not rows:
            return None
        name, csrf, expires = rows[0]
        if expires <= _iso(_now()):
            self._q("DELETE FROM sessions WHERE digest = ?", (digest(sid),))
            return None
        user = self.user(name)
        if user is None:
            return None
        return user.reader("session"), Session(sid, name, csrf, expires)

    def end_session(self, sid: str) -> None:
        self._q("DELETE FROM sessions WHERE digest = ?", (digest(sid),))

    # -- policy ----------------------------------------------------------------------------
    def policy(self, key: str = "anonymous") -> str:
        rows = self._q("SELECT value FROM policy WHERE key = ?", (key,))
        if rows:
            return rows[0][0]
        return POLICY_DEFAULTS.get(key, "")

    def set_policy(self, key: str, value: str) -> str:
        if key not in POLICY_DEFAULTS:
            raise ValueError(f"a policy is one of {', '.join(POLICY_DEFAULTS)}")
        v = value.strip()
        if key == "audit-retention-days":
            if not v.isdigit():
                raise ValueError("audit-retention-days is a number of days (0: keep all)")
            v = str(int(v))
        else:
            v = v.lower() if v.lower() in ("none", "as-published") else v.upper()
            if v not in ANONYMOUS_POLICIES:
                raise ValueError(f"anonymous must be one of {', '.join(ANONYMOUS_POLICIES)}")
        self._q(
            "INSERT INTO policy (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, v),
        )
        return v

    def anonymous(self) -> Reader:
        return Reader.anonymous(self.policy("anonymous"))

    # -- audit -----------------------------------------------------------------------------
    def audit(self, reader: Reader, action: str, target: str = "", query: str = "",
              result: int | None = None, client: str = "") -> None:  # fmt: skip
        """Queue one entry for the writer thread: never blocks, never raises."""
        row = (_iso(_now()), reader.name, reader.kind, action, target[:200], query[:2000],
               result, client)  # fmt: skip
        if self._writer is None:
            with self._lock:
                if self._writer is None:
                    self._writer = AuditWriter(self.path, self.postgres)
        self._writer.put(row)

    def flush_audit(self, timeout: float = 10.0) -> None:
        """Wait for queued audit entries to be written (tests, exports)."""
        if self._writer is not None:
            self._writer.flush(timeout)

    def audit_health(self) -> dict[str, Any]:
        """Whether the audit log is being written: ``ok`` is false while writes fail."""
        w = self._writer
        if w is None:
            return {"ok": True, "written": 0, "failed": 0, "dropped": 0, "pending": 0,
                    "error": ""}  # fmt: skip
        return {"ok": not w.failing and not w.queue.full(), "written": w.written,
                "failed": w.failed, "dropped": w.dropped, "pending": w.queue.qsize(),
                "error": w.last_error if w.failing else ""}  # fmt: skip

    def prune_audit(self) -> int:
        """Delete the entries older than the retention now; how many went."""
        with self._lock:
            return _prune(self.conn, self.postgres)

    def secret(self, name: str) -> bytes:
        """A server secret kept in this file (made on first use)."""
        self._q(
            "INSERT INTO keys (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
            (name, secrets.token_hex(32)),
        )
        ((value,),) = self._q("SELECT value FROM keys WHERE name = ?", (name,))
        return bytes.fromhex(value)

    def audit_entries(self, *, since: str | None = None) -> Iterator[AuditEntry]:
        self.flush_audit()
        q = "SELECT * FROM audit"
        params: list[Any] = []
        if since:
            q += " WHERE at >= ?"
            params.append(since)
        for r in self._q(q + " ORDER BY audit_id", params):
            yield AuditEntry(*r)

    def export_audit(self, fh: IO[str], fmt: str = "jsonl", *, since: str | None = None) -> int:
        n = 0
        fields = list(AuditEntry.__dataclass_fields__)
        w = csv.writer(fh, lineterminator="\n") if fmt == "csv" else None
        if w is not None:
            w.writerow(fields)
        for e in self.audit_entries(since=since):
            row = [getattr(e, f) for f in fields]
            if w is not None:  # queries are anyone's input: no spreadsheet formulas
                w.writerow(["'" + v if isinstance(v, str) and v[:1] in "=+-@\t\r" and v else v
                            for v in row])  # fmt: skip
            else:
                fh.write(json.dumps(dict(zip(fields, row, strict=True)), ensure_ascii=False) + "\n")
            n += 1
        return n


def _principal(r: tuple) -> Principal:
    return Principal(r[0], r[1], r[2].split(), bool(r[3]), bool(r[4]), r[5], r[6])


def _postgres(url: str) -> Any:
    """A connection to a PostgreSQL archive's database, its access tables made or
    upgraded by the store's migrations (the archive must exist)."""
    import psycopg

    from cablegram.store.postgres import PostgresStore

    PostgresStore(url, create=False).close()  # applies migration 0005_access when needed
    conn = psycopg.connect(url, autocommit=True)
    # An audit line is worth as much as in the SQLite file (synchronous = NORMAL): a
    # crash may lose the last fraction of a second, never corrupt the log.
    conn.execute("SET synchronous_commit = off")
    return conn


def _integrity_errors() -> tuple[type[BaseException], ...]:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return (sqlite3.IntegrityError,)
    return (sqlite3.IntegrityError, psycopg.IntegrityError)


_INTEGRITY = _integrity_errors()


def _db_errors() -> tuple[type[BaseException], ...]:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return (sqlite3.Error,)
    return (sqlite3.Error, psycopg.Error)


_WRITE_ERRORS: tuple[type[BaseException], ...] = (*_db_errors(), OSError)
