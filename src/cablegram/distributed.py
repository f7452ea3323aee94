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

from cablegram.ingest import IngestReport, _Job, _Pipeline, _ProgressBar, _work
from cablegram.store import Store

__all__ = ["DaskPipeline", "connect"]


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


class _DaskExecutor:
    """What ``_Pipeline`` needs of an executor: ``submit(fn, arg)`` -> future."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def submit(self, fn: Callable, *args: Any) -> Any:
        # pure=False: the same chunk submitted again (after KilledWorker) is a new task.
        return self.client.submit(fn, *args, pure=False)


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
    ) -> None:
        super().__init__(store, report, max(1, workers), force, bar, on_chunk)
        self.client, self.cluster = connect(scheduler, max(1, workers))
        threads = sum(self.client.nthreads().values()) or 1
        self.workers = threads
        self.max_pending = 2 * threads + 1
        self.executor = _DaskExecutor(self.client)

    def _pool(self) -> Any:  # type: ignore[override]
        return self.executor

    def _drop_pool(self) -> None:
        pass  # the scheduler replaces lost workers itself

    def run(self, chunks: Any) -> None:
        # Always submit to the cluster (the local engine parses a lone chunk in-process).
        from collections import deque

        if self.bar:
            self.bar.start()
        pending: deque[_Job] = deque()
        for docs in chunks:
            pending.append(self._prepare(docs, inline=False))
            while len(pending) > self.max_pending:
                self._finish(pending.popleft())
        while pending:
            self._finish(pending.popleft())

    def _results(self, job: _Job) -> list[Any]:
        from distributed.scheduler import KilledWorker

        if job.results is not None:
            return job.results
        assert job.future is not None
        try:
            out = job.future.result()
        except KilledWorker:
            out = []
            for _, doc, _ in job.slots:
                try:
                    out.append(self.executor.submit(_work, [(doc.data, doc.hint)]).result()[0])
                except KilledWorker:
                    out.append(("crash", "the parser process died on this document"))
        job.future.release()
        job.future = None
        return out

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()
