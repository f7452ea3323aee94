"""Database access for the server: a few reader threads, each with its own ``Archive``.

SQLite connections belong to the thread that opened them, and a search uses temporary
tables on its connection, so every reader thread opens one ``Archive`` and keeps it.
Request handlers hand work to the pool (``await pool.run(fn, ...)``, where ``fn`` gets the
thread's archive first): the event loop never blocks on the database, and the number of
open connections (and their page caches) stays bounded whatever the load.

With ``search_processes`` (``serve --workers N``), searches go to that many processes fed
from one queue (``cablegram.api.searchers``); the pool keeps the threads for everything
else, and remembers recent results (``cached``/``cached_async``) until the database changes.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from cablegram.api.searchers import SearchProcesses
from cablegram.archive import Archive
from cablegram.store import is_postgres_url

if TYPE_CHECKING:
    from cablegram.access.rules import Reader
    from cablegram.access.view import ReaderArchive
    from cablegram.search import SearchResult

__all__ = ["ArchivePool", "default_readers"]

T = TypeVar("T")


# Remembered results: at most ``cache_size`` of them and about this many bytes.
CACHE_BYTES = 64 * 1024 * 1024
_RESULT_BYTES = 32 * 1024  # a page of results, when the value does not say


def _size(value: Any) -> int:
    """Bytes a remembered value holds: the length of a response body, else a page's worth."""
    if isinstance(value, tuple) and value and isinstance(value[0], bytes):
        return len(value[0])
    return _RESULT_BYTES


def default_readers() -> int:
    """Reader threads: twice the cores (SQLite releases the GIL while it works), 2..8."""
    return max(2, min(8, 2 * (os.cpu_count() or 1)))


class ArchivePool:
    """``readers`` threads, each with its own read connection to the archive at ``path``."""

    def __init__(self, path: str | os.PathLike[str], readers: int | None = None,
                 cache_size: int = 4096, search_processes: int = 0) -> None:  # fmt: skip
        self.path = os.fspath(path)
        # A PostgreSQL store is thread-safe (a pool of reader connections): one Archive
        # serves every thread. A SQLite connection belongs to the thread that opened it.
        self.shared = is_postgres_url(self.path)
        self._archive: Archive | None = None
        if not self.shared and not os.path.exists(self.path):
            raise FileNotFoundError(f"no database at {self.path}; run `cablegram ingest` first")
        # With search processes a reader thread mostly waits on one of them: enough threads
        # to keep every process fed while pages and citations are answered too.
        self.search_processes = search_processes
        self.readers = readers or max(default_readers(), 2 * search_processes + 2)
        self.searchers: SearchProcesses | None = None
        self._local = threading.local()
        self._executor: ThreadPoolExecutor | None = None
        self._cache: OrderedDict[tuple, Any] = OrderedDict()
        self._cache_size = cache_size
        self._cache_budget = CACHE_BYTES
        self._cache_bytes = 0
        self._lock = threading.Lock()

    def archive(self) -> Archive:
        """This thread's archive (opened on first use)."""
        if self.shared:
            with self._lock:
                if self._archive is None:
                    self._archive = Archive(self.path, create=False)
                return self._archive
        arc = getattr(self._local, "archive", None)
        if arc is None:
            arc = self._local.archive = Archive(self.path, create=False)
        return arc

    def warm(self, *, portions: bool = True) -> None:
        """Load search's in-memory columns now (seconds on a large archive) rather than in
        the first request; ``portions`` also the per-portion clearances restricted
        readers (the anonymous policy) need. Shared by every reader thread."""
        self.archive().store.warm(portions=portions)

    def start_searchers(self, *, portions: bool = True) -> None:
        """Start the search processes (``search_processes`` > 0) and wait until they have
        loaded the archive."""
        if self.search_processes > 0 and self.searchers is None:
            self.searchers = SearchProcesses(self.path, self.search_processes,
                                             portions=portions)  # fmt: skip
            self.searchers.ready()

    def search(self, view: ReaderArchive, q: str, **kwargs: Any) -> SearchResult:
        """``view.search(q, **kwargs)`` without auditing (the caller audits), on a search
        process when there are some."""
        if self.searchers is None:
            return view.search(q, audit=False, **kwargs)
        return self.searchers.search(view.reader, q, **kwargs)

    async def search_json_async(self, reader: Reader, q: str, **kwargs: Any) -> tuple[bytes, int]:
        """The API's JSON body for ``reader``'s search and its total, from the event loop:
        awaited on a search process when there are some (no thread waits for it), else on
        a reader thread."""
        if self.searchers is not None:
            return await self.searchers.search_json_async(reader, q, **kwargs)
        from cablegram.api.convert import search_json as body_of

        def run(arc: Archive) -> tuple[bytes, int]:
            res = arc.as_reader(reader).search(q, audit=False, **kwargs)
            return body_of(res), res.total

        return await self.run(run)

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
        """Changes whenever the database changes (``Store.generation``: on PostgreSQL a
        counter every writer raises, whichever process or machine it runs on)."""
        if self.shared:
            return self.archive().store.generation()
        from cablegram.store.sqlite import file_generation

        return file_generation(self.path)  # (without opening the file in this thread)

    def cached(self, key: tuple, make: Callable[[], T]) -> T:
        """``make()``, remembered for ``key`` until the database changes."""
        if self._cache_size <= 0:
            return make()
        full = (self.generation(), *key)
        found, value = self._recall(full)
        if not found:
            value = make()
            self._remember(full, value)
        return value

    async def cached_async(self, key: tuple, make: Callable[[], Awaitable[T]]) -> T:
        """``await make()``, remembered for ``key`` until the database changes."""
        if self._cache_size <= 0:
            return await make()
        full = (self.generation(), *key)
        found, value = self._recall(full)
        if not found:
            value = await make()
            self._remember(full, value)
        return value

    @property
    def remembers(self) -> bool:
        """Whether results are remembered (``cache_size`` > 0)."""
        return self._cache_size > 0

    def _recall(self, full: tuple) -> tuple[bool, Any]:
        with self._lock:
            if full in self._cache:
                self._cache.move_to_end(full)
                return True, self._cache[full]
        return False, None

    def _remember(self, full: tuple, value: Any) -> None:
        size = _size(value)
        with self._lock:
            old = self._cache.pop(full, None)
            if old is not None:
                self._cache_bytes -= _size(old)
            self._cache[full] = value
            self._cache_bytes += size
            while self._cache and (
                len(self._cache) > self._cache_size or self._cache_bytes > self._cache_budget
            ):
                self._cache_bytes -= _size(self._cache.popitem(last=False)[1])

    def close(self) -> None:
        """Stop the reader threads (their connections close with them). The pool starts
        new ones if it is used again."""
        with self._lock:
            executor, self._executor = self._executor, None
            searchers, self.searchers = self.searchers, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        if searchers is not None:
            searchers.close()
        if self._archive is not None:
            self._archive.close()
            self._archive = None
