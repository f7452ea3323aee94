"""The enrichment stage: extract entities from the cables that need it, in parallel, then
resolve them over the archive.

Worker processes run spaCy (loaded once per process), local ones or those of a Dask
cluster (``engine="dask"``); the parent reads cables, sends batches out, and writes each
batch's results in one transaction. A run that is killed
keeps every batch it committed; the next run goes on with the rest. A cable is redone only
when its shown version, its text or the extractor changed (or with ``force``).
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from cablegram.enrich import db
from cablegram.enrich.extract import EXTRACTOR_VERSION, Extractor
from cablegram.enrich.mentions import CableEntities, CableText

__all__ = ["EnrichReport", "enrich", "extractor_version"]

BATCH_CABLES = 48


@dataclass
class EnrichReport:
    cables: int = 0  # cables enriched in this run
    pending: int = 0  # cables that needed it when the run began
    skipped: int = 0  # changed while being read: left for the next run
    failed: int = 0  # killed every worker that tried them (Dask): left for the next run
    mentions: int = 0
    entities: int = 0
    septel_citations: int = 0
    seconds: float = 0.0
    resolve_seconds: float = 0.0
    extractor: str = ""
    workers: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.cables / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        return (
            f"{self.cables:,} cables enriched in {self.seconds:.1f} s ({self.rate:.1f}/s, "
            f"{self.workers} workers), {self.mentions:,} mentions; {self.entities:,} entities"
            + (f"; {self.skipped} changed meanwhile" if self.skipped else "")
            + (f"; {self.failed} killed their workers (left pending)" if self.failed else "")
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["rate"] = round(self.rate, 2)
        return d


def extractor_version() -> str:
    from cablegram.enrich.nlp import model_version

    return f"{EXTRACTOR_VERSION}+{model_version()}"


# --- worker side ---------------------------------------------------------------------

_EXTRACTOR: Extractor | None = None


def _worker_init() -> None:
    global _EXTRACTOR
    _EXTRACTOR = Extractor()


def _work(batch: list[CableText]) -> list[CableEntities]:
    global _EXTRACTOR
    if _EXTRACTOR is None:
        _EXTRACTOR = Extractor()
    return list(_EXTRACTOR.extract(batch))


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


class _LocalPool:
    """Extraction on local processes (spaCy loaded once in each)."""

    def __init__(self, workers: int) -> None:
        ctx = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
        self.workers = workers
        self._pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_init)

    def submit(self, batch: list[CableText]) -> Future:
        return self._pool.submit(_work, batch)

    def result(self, future: Future, batch: list[CableText]) -> list[CableEntities]:
        return future.result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class _DaskPool:
    """Extraction as Dask tasks (spaCy loaded once in each worker process). A killed
    worker's tasks are run again by the scheduler; a batch whose workers keep dying
    (``KilledWorker``) is extracted again one cable per task, and a cable that kills
    workers by itself gets no entities (it stays pending: the next run tries it again)."""

    def __init__(self, scheduler: str | None, workers: int | None) -> None:
        from cablegram.distributed import connect

        self.client, self.cluster = connect(scheduler, workers or default_workers())
        self.workers = max(1, sum(self.client.nthreads().values()))

    def submit(self, batch: list[CableText]) -> Any:
        # pure=False: a batch submitted again is a new task, never a cached result.
        return self.client.submit(_work, batch, pure=False)

    def result(self, future: Any, batch: list[CableText]) -> list[CableEntities | None]:
        from distributed.scheduler import KilledWorker

        try:
            return future.result()
        except KilledWorker:
            out: list[CableEntities | None] = []
            for ct in batch:
                try:
                    out += self.client.submit(_work, [ct], pure=False).result()
                except KilledWorker:
                    out.append(None)
            return out

    def close(self) -> None:
        from cablegram.distributed import disconnect

        disconnect(self.client, self.cluster)


# --- parent side ---------------------------------------------------------------------


def enrich(
    conn: sqlite3.Connection,
    *,
    workers: int | None = None,
    force: bool = False,
    ids: Iterable[str] | None = None,
    resolve: bool = True,
    batch_size: int = BATCH_CABLES,
    progress: Callable[[int, int], None] | None = None,
    engine: str = "local",
    scheduler: str | None = None,
) -> EnrichReport:
    """Enrich the cables of the database behind ``conn``; see the module doc.

    ``workers``: extraction processes (default one per CPU; 0 extracts in this process).
    ``ids``: only these cables. ``resolve``: re-cluster entities afterwards (cheap next to
    extraction; skip it only to chain several partial runs). ``progress(done, total)`` is
    called after each batch. ``engine="dask"`` extracts on a Dask cluster instead: the one
    at ``scheduler``, or a LocalCluster of ``workers`` processes (cablegram.distributed);
    the parent reads and writes exactly as with local processes.
    """
    if engine not in ("local", "dask"):
        raise ValueError("engine must be 'local' or 'dask'")
    t0 = time.perf_counter()
    db.ensure_schema(conn)
    version = extractor_version()
    todo = db.pending(conn, version, force=force, ids=ids)
    workers = default_workers() if workers is None else max(0, workers)
    rep = EnrichReport(pending=len(todo), extractor=version, workers=workers)
    keys = db.KeyCache(conn)
    batches = [
        [cid for cid, _ in todo[i : i + batch_size]] for i in range(0, len(todo), batch_size)
    ]

    def finish(
        inputs: list[tuple[CableText, int, dict[int, int]]],
        results: list[CableEntities] | list[CableEntities | None],
    ) -> None:
        # None: a cable whose extraction killed its workers (Dask); left pending.
        items = [(r, vid, seqmap) for (_, vid, seqmap), r in zip(inputs, results, strict=True)
                 if r is not None]  # fmt: skip
        rep.failed += len(inputs) - len(items)
        n = db.write_extractions(conn, items, version, keys)
        rep.cables += n
        rep.skipped += len(items) - n
        rep.mentions += sum(len(r.mentions) for r, _, _ in items)
        if progress is not None:
            progress(rep.cables + rep.skipped, len(todo))

    if engine == "local" and (workers == 0 or len(batches) <= 1):
        ex = Extractor()
        for ids_ in batches:
            inputs = db.read_cables(conn, ids_)
            finish(inputs, list(ex.extract([ct for ct, _, _ in inputs])))
    elif batches:
        pool = _DaskPool(scheduler, workers) if engine == "dask" else _LocalPool(workers)
        inflight: deque[tuple[list, Any]] = deque()
        try:
            for ids_ in batches:
                inputs = db.read_cables(conn, ids_)
                inflight.append((inputs, pool.submit([ct for ct, _, _ in inputs])))
                if len(inflight) > 2 * pool.workers:
                    inp, fut = inflight.popleft()
                    finish(inp, pool.result(fut, [ct for ct, _, _ in inp]))
            while inflight:
                inp, fut = inflight.popleft()
                finish(inp, pool.result(fut, [ct for ct, _, _ in inp]))
        finally:
            for _, fut in inflight:
                fut.cancel()
            pool.close()
    if resolve:
        t1 = time.perf_counter()
        counts = db.resolve(conn)
        rep.resolve_seconds = time.perf_counter() - t1
        rep.entities = counts.get("entities", 0)
        rep.septel_citations = counts.get("septel_citations", 0)
    rep.seconds = time.perf_counter() - t0
    return rep
