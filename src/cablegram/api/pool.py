"""Database access for the server: a few reader threads, each with its own ``Archive``.

SQLite connections belong to the thread that opened them, and a search uses temporary
tables on its connection, so every reader thread opens one ``Archive`` and keeps it.
Request handlers hand work to the pool (``await pool.run(fn, ...)``, where ``fn`` gets the
thread's archive first): the event loop never blocks on the database, and the number of
open connections (and their page caches) stays bounded whatever the load.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from cablegram.archive import Archive

__all__ = ["ArchivePool", "default_readers"]

T = TypeVar("T")


def default_readers() -> int:
    """Reader threads: twice the cores (SQLite releases the GIL while it works), 2..8."""
    return max(2, min(8, 2 * (os.cpu_count() or 1)))


class ArchivePool:
    """``readers`` threads, each with its own read connection to the archive at ``path``."""

    def __init__(self, path: str | os.PathLike[str], readers: int | None = None,
                 cache_size: int = 256) -> None:  # fmt: skip
        self.path = os.fspath(path)
        if not os.path.exists(self.path):
            raise FileNotFoundError(f"no database at {self.path}; run `cablegram ingest` first")
        self.readers = readers or default_readers()
        self._local = threading.local()
        self._executor: ThreadPoolExecutor | None = None
        self._cache: OrderedDict[tuple, Any] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def archive(self) -> Archive:
        """This thread's archive (opened on first use)."""
        arc = getattr(self._local, "archive", None)
        if arc is None:
            arc = self._local.archive = Archive(self.path, create=False)
        return arc

    def warm(self, *, portions: bool = True) -> None:
        """Load search's in-memory columns now (seconds on a large archive) rather than in
        the first request; ``portions`` also the per-portion clearances restricted
        readers (the anonymous policy) need. Shared by every reader thread."""
        from cablegram.search.docvalues import doc_values

        conn = self.archive().store.conn
        conn.execute("BEGIN")
        try:
            dv = doc_values(conn)
            if portions:
                dv.portions(conn)
        finally:
            conn.execute("COMMIT")

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(archive, *args, **kwargs)`` in this thread (tests, scripts)."""
        return fn(self.archive(), *args, **kwargs)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(archive, *args, **kwargs)`` on a reader thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool(), partial(self._call, fn, args, kwargs))

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:  # first use, or used again after close()
                self._executor = ThreadPoolExecutor(self.readers, thread_name_prefix="cablegram-db")
            return self._executor

    def _call(self, fn: Callable[..., T], args: tuple, kwargs: dict) -> T:
        return fn(self.archive(), *args, **kwargs)

    # -- a small cache of results that are costly on a big archive ------------------------
    def generation(self) -> tuple[int, ...]:
        """Changes whenever the database file (or its write-ahead log) changes."""
        out: list[int] = []
        for p in (self.path, self.path + "-wal"):
            try:
                st = os.stat(p)
            except OSError:
                out += [0, 0]
            else:
                out += [st.st_mtime_ns, st.st_size]
        return tuple(out)

    def cached(self, key: tuple, make: Callable[[], T]) -> T:
        """``make()``, remembered for ``key`` until the database changes."""
        if self._cache_size <= 0:
            return make()
        full = (self.generation(), *key)
        with self._lock:
            if full in self._cache:
                self._cache.move_to_end(full)
                return self._cache[full]
        value = make()
        with self._lock:
            self._cache[full] = value
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return value

    def close(self) -> None:
        """Stop the reader threads (their connections close with them). The pool starts
        new ones if it is used again."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
