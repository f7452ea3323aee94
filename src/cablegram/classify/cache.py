"""The per-reader caches of the similar-cable index and the topic assignments: what one
reader (one visibility) sees of a table, built once per database, generation and table
size, a few readers at a time."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")

__all__ = ["ReaderCache", "visible_clause"]


def visible_clause(visible: Any, alias: str = "p") -> tuple[str, list[object]]:
    """SQL true for a ``portions`` row (named ``alias``) the reader may see (all: ``1``)."""
    return ("1", []) if visible is None else visible.portion_clause(alias)


class ReaderCache(Generic[T]):
    """``build(conn, visible)`` results, keyed by the database file, its generation, the
    table size ``count(conn)`` and the reader's visibility; at most ``size`` readers
    (then it starts again: a handful of clearances is the usual case)."""

    def __init__(
        self,
        build: Callable[[sqlite3.Connection, Any], T],
        count: Callable[[sqlite3.Connection], int],
        size: int = 8,
    ) -> None:
        self._build, self._count, self._size = build, count, size
        self._items: dict[tuple, T] = {}
        self._lock = threading.Lock()

    def get(self, conn: sqlite3.Connection, visible: Any) -> T:
        from cablegram.search.docvalues import generation

        vkey = ("all",) if visible is None else (visible.max_level, tuple(sorted(visible.caveats)))
        db = conn.execute("PRAGMA database_list").fetchone()[2]
        key = (db, generation(conn), self._count(conn), vkey)
        with self._lock:
            item = self._items.get(key)
            if item is None:
                if len(self._items) > self._size:
                    self._items.clear()
                item = self._items[key] = self._build(conn, visible)
            return item

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
