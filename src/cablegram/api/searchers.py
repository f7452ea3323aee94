"""Searches on worker processes fed from one queue (``cablegram serve --workers N``).

A search is CPU work in Python and NumPy, so one server process answers at most one core's
worth of them. Several uvicorn processes sharing a socket would add cores, but each keeps
the connections it happened to accept: with keep-alive clients one process can hold most
of them while another idles, and latency follows the busier one (measured in
docs/api.md). Here one process speaks HTTP and every search goes into one queue served by
``processes`` workers, so whichever worker is free takes the next search.

Each worker opens the archive read-only once, loads search's in-memory columns, and then
runs ``ReaderArchive.search`` for the reader it is handed: the access rules are applied in
the worker exactly as in the server process. The caller audits; workers never write.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from cablegram.access.rules import Reader

__all__ = ["SearchProcesses"]

_state: dict[str, Any] = {}


def _start(path: str, portions: bool) -> None:
    from cablegram.archive import Archive

    arc = Archive(path, create=False)
    arc.store.warm(portions=portions)
    _state["archive"] = arc


def _ready() -> int:
    return os.getpid()


def _search(reader: Reader, q: str, kwargs: dict[str, Any], as_json: bool) -> tuple[Any, int]:
    res = _state["archive"].as_reader(reader).search(q, audit=False, **kwargs)
    if as_json:
        from cablegram.api.convert import search_json as body_of

        return body_of(res), res.total
    return res, res.total


class SearchProcesses:
    """``processes`` worker processes answering searches on the archive at ``path``.

    ``portions`` loads the per-portion clearances up front (restricted readers need them).
    The processes start at once (spawned, never forked from a threaded server); ``ready()``
    waits until each has loaded the archive.
    """

    def __init__(self, path: str | os.PathLike[str], processes: int, *,
                 portions: bool = True) -> None:  # fmt: skip
        if processes < 1:
            raise ValueError("processes must be at least 1")
        self.path = os.fspath(path)
        self.processes = processes
        self._executor = ProcessPoolExecutor(
            processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start,
            initargs=(self.path, portions),
        )

    def ready(self) -> set[int]:
        """Block until the workers have loaded the archive; their process ids."""
        futures = [self._executor.submit(_ready) for _ in range(self.processes * 2)]
        return {f.result() for f in futures}

    def search(self, reader: Reader, q: str, **kwargs: Any) -> Any:
        """``ReaderArchive.search(q, **kwargs)`` for ``reader``, on a worker: the
        ``SearchResult``. Raises what the search raises (``QueryError``, ``ValueError``)."""
        return self._executor.submit(_search, reader, q, kwargs, False).result()[0]

    async def search_async(self, reader: Reader, q: str, **kwargs: Any) -> Any:
        """``search`` for the event loop: awaits the worker without holding a thread."""
        future = self._executor.submit(_search, reader, q, kwargs, False)
        return (await asyncio.wrap_future(future))[0]

    async def search_json_async(self, reader: Reader, q: str, **kwargs: Any) -> tuple[bytes, int]:
        """The API's response body for the search (``SearchOut`` as JSON) and its total,
        awaited without holding a thread: the worker serialises, the server forwards bytes."""
        return await asyncio.wrap_future(self._executor.submit(_search, reader, q, kwargs, True))

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
