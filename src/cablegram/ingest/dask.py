"""The Dask executor: ``ingest(..., engine="dask", scheduler=None|address)``.

The pipeline is the same as the local engine's (``ingest.pipeline``): the parent process
reads the inputs, hashes each document, skips stored contents, and writes every result to
the store in input order, one transaction per chunk. Only the parsing moves: each task is
a Dask task running the same work function (parse + flatten) on a worker of the cluster,
instead of a local process.

The guarantees are those of the local engine, for the same reasons:

* **nothing lost**: every document comes back as rows or as ``(code, reason)``, and the
  parent writes it or its error row;
* **idempotent, resumable**: the parent alone writes, one transaction per chunk, and skips
  stored content hashes before submitting anything;
* **a killed worker** (node lost, out of memory, pre-empted) loses only its in-flight tasks;
  the Dask scheduler runs them again elsewhere. A task whose workers die
  ``distributed.scheduler.allowed-failures`` times (default 3) raises ``KilledWorker``; its
  documents are then parsed again one per task, and only a document that kills workers
  by itself is recorded as an error (``crash``). A task computed twice still has one
  future, read once by the parent: nothing is written twice (and content hashes would
  dedupe it anyway).

``scheduler=None`` starts a ``LocalCluster`` (``workers`` processes, one thread each) for the
run; an address (``tcp://host:8786``) uses a running cluster (Kubernetes, SSH, a batch
scheduler: see docs/scaling.md), whose workers need cablegram installed, same version.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from cablegram.distributed import connect, disconnect
from cablegram.ingest.executors import CRASH, Executor, Outcome, Task, Tasks, Work, _Job

__all__ = ["DaskExecutor"]


def _work_prepared(work: Work, prepare: Callable[[Any], Any], task: Task) -> list[Outcome]:
    """``work``, then the store's ``prepare_rows`` on each result (PostgreSQL: the
    portions' ``tsvector`` input), so that work runs on the workers, not in the parent."""
    out: list[Outcome] = []
    for res in work(task):
        if not isinstance(res, tuple):
            try:
                res = prepare(res)
            except Exception:  # noqa: BLE001 - the parent's writer does it again, and reports
                pass
        out.append(res)
    return out


def _n_tasks(job: _Job) -> int:
    return len(job.future.futures) if job.future is not None else 0


class DaskExecutor(Executor):
    """Tasks on a Dask cluster: at ``scheduler``, or a LocalCluster of ``workers``."""

    def __init__(self, scheduler: str | None, workers: int,
                 prepare: Callable[[Any], Any] | None = None) -> None:  # fmt: skip
        self.client, self.cluster = connect(scheduler, max(1, workers))
        threads = sum(self.client.nthreads().values()) or 1
        self.workers = threads
        self.max_pending = 2 * threads + 1  # worker tasks in flight
        self.prepare = prepare

    def plan(self, tasks_per_chunk: int) -> None:
        pass  # full() counts tasks, not chunks

    def parallel(self, wanted: bool) -> bool:
        return True  # always on the cluster (the local engine parses a lone chunk here)

    def _submit_one(self, work: Work, task: Task) -> Any:
        if self.prepare is not None:
            # pure=False: the same task submitted again (after KilledWorker) is a new task.
            return self.client.submit(_work_prepared, work, self.prepare, task, pure=False)
        return self.client.submit(work, task, pure=False)

    def submit(self, work: Work, parts: list[Task]) -> Tasks | None:
        return Tasks([self._submit_one(work, part) for part in parts], parts)

    def full(self, pending: deque[_Job]) -> bool:
        # About max_pending worker tasks in flight, and at least two chunks (the next one
        # is parsed while this one is written).
        return len(pending) > 2 and sum(map(_n_tasks, pending)) > self.max_pending

    def results(self, job: _Job, work: Work) -> list[Outcome]:
        assert job.future is not None
        out: list[Outcome] = []
        for future, task in zip(job.future.futures, job.future.tasks, strict=True):
            out.extend(self._task_result(future, task, work))
        job.future.release()
        job.future = None
        return out

    def _task_result(self, future: Any, task: Task, work: Work) -> list[Outcome]:
        """A task's outcomes; a task whose workers kept dying (KilledWorker) is parsed
        again one document per task, so only a document that kills workers by itself
        becomes a ``crash`` error."""
        from distributed.scheduler import KilledWorker

        try:
            return future.result()
        except KilledWorker:
            out: list[Outcome] = []
            for doc in task:
                try:
                    out.append(self._submit_one(work, [doc]).result()[0])
                except KilledWorker:
                    out.append(CRASH)
            return out

    def close(self) -> None:
        disconnect(self.client, self.cluster)
