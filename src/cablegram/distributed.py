"""Batch work on a Dask cluster: ``ingest(..., engine="dask", scheduler=None|address)``.

The pipeline is the ingest's own (``cablegram.ingest._Pipeline``): the parent process reads
the inputs, hashes each document, skips stored contents, and writes every result to the
store in input order, one transaction per chunk. Only the parsing moves: each chunk is a
Dask task running the same function (``cablegram.ingest._work``: parse + flatten) on a
worker of the cluster, instead of a local process pool.

The guarantees are those of the local engine, for the same reasons:

* **nothing lost**: every document comes back as rows or as ``(code, reason)``, and the
  parent writes it or its error row;
* **idempotent, resumable**: the parent alone writes, one transaction per chunk, and skips
  stored content hashes before submitting anything;
* **a killed worker** (node lost, out of memory, pre-empted) loses only its in-flight tasks;
  the Dask scheduler runs them again elsewhere. A task whose workers die
  ``distributed.scheduler.allowed-failures`` times (default 3) raises ``KilledWorker``; its
  chunk is then parsed again one document per task, and only a document that kills workers
  by itself is recorded as an error (``crash``). A task computed twice still has one
  future, read once by the parent: nothing is written twice (and content hashes would
  dedupe it anyway).

``scheduler=None`` starts a ``LocalCluster`` (``workers`` processes, one thread each) for the
run; an address (``tcp://host:8786``) uses a running cluster (Kubernetes, SSH, a batch
scheduler: see docs/scaling.md), whose workers need cablegram installed, same version.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cablegram.ingest import (
    CHUNK_BYTES,
    CHUNK_DOCS,
    IngestReport,
    _Job,
    _Pipeline,
    _ProgressBar,
    _work,
)
from cablegram.store import Store

__all__ = ["DaskPipeline", "connect", "disconnect"]


def connect(scheduler: str | None, workers: int) -> tuple[Any, Any]:
    """(client, cluster): a client of ``scheduler``, or of a new LocalCluster with
    ``workers`` single-threaded worker processes (cluster is None when not ours)."""
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler, set_as_default=False), None
    cluster = LocalCluster(
        n_workers=max(1, workers),
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=40,  # logging.ERROR: a worker restart is expected, not news
    )
    return Client(cluster, set_as_default=False), cluster


def disconnect(client: Any, cluster: Any) -> None:
    """Close what ``connect`` returned (the cluster too, when it was started for the run)."""
    try:
        client.close()
    finally:
        if cluster is not None:
            cluster.close()


def _work_prepared(
    prepare: Callable[[Any], Any], tasks: list[tuple[bytes, str | None, str]]
) -> list:
    """``_work``, then the store's ``prepare_rows`` on each result (PostgreSQL: the
    portions' ``tsvector`` input), so that work runs on the workers, not in the parent."""
    out = []
    for res in _work(tasks):
        if not isinstance(res, tuple):
            try:
                res = prepare(res)
            except Exception:  # noqa: BLE001 - the parent's writer does it again, and reports
                pass
        out.append(res)
    return out


class _DaskExecutor:
    """What ``_Pipeline`` needs of an executor: ``submit(fn, arg)`` -> future."""

    def __init__(self, client: Any, prepare: Callable[[Any], Any] | None = None) -> None:
        self.client = client
        self.prepare = prepare

    def submit(self, fn: Callable, *args: Any) -> Any:
        if fn is _work and self.prepare is not None:
            fn, args = _work_prepared, (self.prepare, *args)
        # pure=False: the same chunk submitted again (after KilledWorker) is a new task.
        return self.client.submit(fn, *args, pure=False)


def _n_tasks(job: _Job) -> int:
    return len(getattr(job.future, "futures", None) or [job.future]) if job.future else 0


class DaskPipeline(_Pipeline):
    def __init__(
        self,
        store: Store,
        report: IngestReport,
        workers: int,
        force: bool,
        bar: _ProgressBar | None,
        on_chunk: Callable[[IngestReport], None] | None,
        *,
        scheduler: str | None = None,
        chunk_docs: int = CHUNK_DOCS,
        chunk_bytes: int = CHUNK_BYTES,
    ) -> None:
        super().__init__(store, report, max(1, workers), force, bar, on_chunk,
                         chunk_docs=chunk_docs, chunk_bytes=chunk_bytes)  # fmt: skip
        self.client, self.cluster = connect(scheduler, max(1, workers))
        threads = sum(self.client.nthreads().values()) or 1
        self.workers = threads
        self.max_pending = 2 * threads + 1
        self.executor = _DaskExecutor(self.client, getattr(store, "prepare_rows", None))

    def _pool(self) -> Any:  # type: ignore[override]
        return self.executor

    def _drop_pool(self) -> None:
        pass  # the scheduler replaces lost workers itself

    def run(self, chunks: Any) -> None:
        # Always submit to the cluster (the local engine parses a lone chunk in-process).
        # In flight: about max_pending worker tasks, and at least two chunks (the next one
        # is parsed while this one is written).
        from collections import deque

        if self.bar:
            self.bar.start()
        pending: deque[_Job] = deque()
        for docs in chunks:
            pending.append(self._prepare(docs, inline=False))
            while len(pending) > 2 and sum(map(_n_tasks, pending)) > self.max_pending:
                self._finish(pending.popleft())
        while pending:
            self._finish(pending.popleft())

    def _results(self, job: _Job) -> list[Any]:
        if job.results is not None:
            return job.results
        assert job.future is not None
        # A chunk is one task, or several (ingest._Tasks: .futures, .tasks)
        futures = getattr(job.future, "futures", None) or [job.future]
        tasks = getattr(job.future, "tasks", None) or [
            [(d.data, d.hint, d.member or d.source) for _, d, _ in job.slots]
        ]
        out: list[Any] = []
        for future, task in zip(futures, tasks, strict=True):
            out.extend(self._task_result(future, task))
        job.future.release()
        job.future = None
        return out

    def _task_result(self, future: Any, task: list[tuple[bytes, str | None, str]]) -> list[Any]:
        """A task's outcomes; a task whose workers kept dying (KilledWorker) is parsed
        again one document per task, so only a document that kills workers by itself
        becomes a ``crash`` error."""
        from distributed.scheduler import KilledWorker

        try:
            return future.result()
        except KilledWorker:
            out = []
            for data, hint, name in task:
                try:
                    out.append(self.executor.submit(_work, [(data, hint, name)]).result()[0])
                except KilledWorker:
                    out.append(("crash", "the parser process died on this document"))
            return out

    def _stop_workers(self) -> None:
        disconnect(self.client, self.cluster)
