"""Streaming export of a result set (JSON Lines or CSV) without holding it in memory.

``Archive.export`` writes to a file object; here the file object is a bounded queue read
by the response. The export runs in a thread of its own with its own connection (it may
last minutes on a big archive, so it does not hold a reader of the pool), and stops as
soon as the client goes away.
"""

from __future__ import annotations

import io
import queue
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio

from cablegram.archive import Archive

__all__ = ["MEDIA_TYPES", "stream_export"]

MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}
CHUNK = 64 * 1024  # characters per chunk sent
QUEUE_CHUNKS = 16  # chunks buffered ahead of a slow client
_DONE = object()


class _Cancelled(Exception):
    pass


class _QueueWriter(io.TextIOBase):
    def __init__(self, q: queue.Queue, cancel: threading.Event) -> None:
        self.q = q
        self.cancel = cancel
        self.parts: list[str] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        if self.cancel.is_set():
            raise _Cancelled
        self.parts.append(s)
        self.size += len(s)
        if self.size >= CHUNK:
            self.send()
        return len(s)

    def send(self) -> None:
        if not self.parts:
            return
        data = "".join(self.parts).encode("utf-8")
        self.parts, self.size = [], 0
        put(self.q, data, self.cancel)


def put(q: queue.Queue, item: object, cancel: threading.Event) -> None:
    while True:
        try:
            q.put(item, timeout=0.25)
            return
        except queue.Full:
            if cancel.is_set():
                raise _Cancelled from None


def _produce(path: str, fmt: str, query: str | None, view: Callable[[Archive], Any],
             q: queue.Queue, cancel: threading.Event) -> None:  # fmt: skip
    try:
        with Archive(path, create=False) as arc:
            out = _QueueWriter(q, cancel)
            view(arc).export(fmt, out, query=query)
            out.send()
        put(q, _DONE, cancel)
    except _Cancelled:
        return
    except BaseException as exc:  # noqa: BLE001 - handed to the response, which ends the stream
        try:
            put(q, exc, cancel)
        except _Cancelled:
            return


async def stream_export(path: str, fmt: str, query: str | None,
                        view: Callable[[Archive], Any]) -> AsyncIterator[bytes]:  # fmt: skip
    """The export's bytes, chunk by chunk, of what ``view(archive)`` (the reader's
    access-checked view) shows. The caller has validated ``query``."""
    q: queue.Queue = queue.Queue(maxsize=QUEUE_CHUNKS)
    cancel = threading.Event()
    worker = threading.Thread(
        target=_produce,
        args=(path, fmt, query, view, q, cancel),
        name="cablegram-export",
        daemon=True,
    )
    worker.start()
    try:
        while True:
            item = await anyio.to_thread.run_sync(q.get)
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        cancel.set()
        while True:  # unblock the producer if it waits on a full queue
            try:
                q.get_nowait()
            except queue.Empty:
                break
