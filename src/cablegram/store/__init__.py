"""Where cables live: one interface, SQLite first.

Callers (``Archive``, the ingest pipeline, the CLI) only use :class:`Store`; a backend is
chosen by :func:`open_store` from a path or URL, so a PostgreSQL store can follow without
changing them. A backend writes the normalised tables of ``docs/schema.md``.

Writes come as a list of :class:`Parsed`, :class:`Failed` and :class:`Seen` items, written
in one transaction by :meth:`Store.write`. Item order matters: items are applied one by
one, so the result does not depend on how a stream of items is cut into batches.
"""

from __future__ import annotations

import os

from cablegram.store.base import (
    ERRORS_SQL,
    FAILED,
    NEW,
    UNCHANGED,
    UPDATED,
    CableRows,
    ErrorInfo,
    Failed,
    Parsed,
    RunInfo,
    Seen,
    Store,
    VersionInfo,
    WriteItem,
    completeness,
    flatten,
)

__all__ = [
    "CableRows",
    "ERRORS_SQL",
    "ErrorInfo",
    "FAILED",
    "Failed",
    "NEW",
    "Parsed",
    "RunInfo",
    "Seen",
    "Store",
    "UNCHANGED",
    "UPDATED",
    "VersionInfo",
    "WriteItem",
    "completeness",
    "flatten",
    "is_postgres_url",
    "open_store",
]


def is_postgres_url(target: str | os.PathLike[str]) -> bool:
    return os.fspath(target).startswith(("postgres://", "postgresql://"))


def open_store(target: str | os.PathLike[str], *, create: bool = True) -> Store:
    """A store from a path (SQLite) or URL (``sqlite:///path``, ``postgresql://...``)."""
    url = os.fspath(target)
    if is_postgres_url(url):
        from cablegram.store.postgres import PostgresStore

        return PostgresStore(url, create=create)
    if url.startswith("sqlite:///"):
        url = url[len("sqlite:///") :]
    elif url.startswith("sqlite://"):
        url = url[len("sqlite://") :] or ":memory:"
    from cablegram.store.sqlite import SQLiteStore

    return SQLiteStore(url, create=create)
