"""Principals, tokens, sessions, the anonymous policy and the audit log.

They live in a companion SQLite file next to a SQLite archive (``cablegram.db`` ->
``cablegram.access.db``): the archive stays a read-mostly file that can be rebuilt or
replaced, and the server's caches are not invalidated by every audit line. A PostgreSQL
archive keeps them in its own database (migration ``0004_access``: the same tables), so
that several servers on one database share users, logins and one audit log; the same
statements run on both (``?`` placeholders, turned into psycopg's). Passwords are stored as scrypt hashes (random salt), tokens
and session ids as sha256 digests of random secrets: the file holds no secret.

The ``audit`` table is append-only: triggers abort every UPDATE and DELETE on it, and no
code path issues one.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
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
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
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


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    h = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(h)}"


def check_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, h = stored.split("$")
    except ValueError:
        return False
    if kind != "scrypt":
        return False
    got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r),
                         p=int(p), dklen=32)  # fmt: skip
    return hmac.compare_digest(got, base64.b64decode(h))


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


class AccessDB:
    """The access store of an archive: a SQLite file, or a PostgreSQL archive's database.
    Thread-safe (one connection behind a lock)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._lock = threading.Lock()
        self.postgres = is_postgres_url(self.path)
        self.conn: Any
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
    def add_user(self, name: str, *, clearance: str = "U", caveats: object = (),
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
        return self.user(name) if check_password(password, stored) else None

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
        return {"anonymous": "U"}.get(key, "")

    def set_policy(self, key: str, value: str) -> str:
        if key != "anonymous":
            raise ValueError("the only policy is 'anonymous'")
        v = value.strip()
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
        via = (
            reader.kind if reader.kind in ("session", "token", "anonymous", "cli") else reader.kind
        )
        self._q(
            "INSERT INTO audit (at, principal, via, action, target, query, result, client) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (_iso(_now()), reader.name, via, action, target[:200], query[:2000], result, client),
        )

    def audit_entries(self, *, since: str | None = None) -> Iterator[AuditEntry]:
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
            if w is not None:
                w.writerow(row)
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

    PostgresStore(url, create=False).close()  # applies migration 0004_access when needed
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
