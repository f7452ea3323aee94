"""The entity ids restricted readers see: ``person:~<keyed hash>``.

An entity id is made from the entity's full name (``person:xavier-plumtree``), which may be
written only in a withheld paragraph. Restricted readers get instead an HMAC of it under a
per-archive secret (``enrich_meta.public_id_key``, written with the entity tables): without
the secret a dictionary of names cannot be hashed into ids. The id is stable for the
archive's life; an archive enriched before the secret existed gets a per-process one (ids
then change when the server restarts, until the next ``cablegram enrich`` writes one).

Turning an id back into the entity is a dict lookup (``PublicIds.resolve``), the same cost
for a withheld-only entity as for an unknown id: the map is built once per database and
rebuilt when the entity table changes (its row count or highest rowid), checked on every
lookup at a cost that does not depend on the id asked for.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
from typing import Any

__all__ = ["KEY_NAME", "PublicIds", "public_ids"]

KEY_NAME = "public_id_key"
_fallback_keys: dict[str, bytes] = {}
_cache: dict[str, PublicIds] = {}
_lock = threading.Lock()


def _db_name(conn: Any) -> str:
    row = conn.execute("PRAGMA database_list").fetchone()
    return row[2] if row and row[2] else f"conn:{id(conn)}"


def archive_key(conn: Any) -> bytes:
    """The archive's secret for entity ids (a per-process one when it has none)."""
    try:
        row = conn.execute("SELECT value FROM enrich_meta WHERE key = ?", (KEY_NAME,)).fetchone()
    except sqlite3.Error:
        row = None
    if row and row[0]:
        return bytes.fromhex(row[0])
    with _lock:
        return _fallback_keys.setdefault(_db_name(conn), secrets.token_bytes(32))


class PublicIds:
    """entity id <-> public id for one archive."""

    def __init__(self, key: bytes) -> None:
        self.key = key
        self.stamp: tuple[Any, ...] = ()
        self.back: dict[str, str] = {}

    def public(self, entity_id: str) -> str:
        kind = entity_id.split(":", 1)[0]
        mac = hmac.new(self.key, entity_id.encode(), hashlib.sha256).hexdigest()[:16]
        return f"{kind}:~{mac}"

    def resolve(self, conn: Any, public_id: str) -> str | None:
        """The entity behind ``public_id``; None when no entity has it."""
        stamp = tuple(conn.execute("SELECT count(*), max(rowid) FROM entities").fetchone())
        if stamp != self.stamp:
            with _lock:
                if stamp != self.stamp:
                    rows = conn.execute("SELECT entity_id FROM entities").fetchall()
                    self.back = {self.public(r[0]): r[0] for r in rows}
                    self.stamp = stamp
        return self.back.get(public_id.strip())


def public_ids(conn: Any) -> PublicIds:
    """The id map of ``conn``'s archive (one per database file and key, kept)."""
    key = archive_key(conn)
    name = _db_name(conn)
    got = _cache.get(name)
    if got is None or got.key != key:
        with _lock:
            got = _cache.get(name)
            if got is None or got.key != key:
                got = _cache[name] = PublicIds(key)
    return got
