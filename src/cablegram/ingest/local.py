"""The local executor: a process pool on this machine (``ingest(..., engine="local")``).

A worker that dies (killed, out of memory) breaks the pool; its chunk's unfinished tasks
are parsed again one document at a time in a new pool, so only a document that kills a
worker by itself is lost, as a ``crash`` error (docs/ingest.md).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from cablegram.ingest.executors import CRASH, Executor, Outcome, Task, Tasks, Work, _Job

__all__ = ["ProcessPool"]


def _mp_context() -> multiprocessing.context.BaseContext:
    # fork: cheap, and the caller's main module is not imported again (forkserver and
    # spawn re-run a script that lacks the `if __name__ == "__main__"` guard). Workers are
    # forked before the progress bar starts a thread, and never touch the open database.
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")  # pragma: no cover - not POSIX


class ProcessPool(Executor):
    """``workers`` parser processes (0: parse in this process), each set up by
    ``initializer``."""

    def __init__(self, workers: int, initializer: Callable[[], None] | None = None) -> None:
        self.workers = workers
        self.initializer = initializer
        self.pool: ProcessPoolExecutor | None = None

    def parallel(self, wanted: bool) -> bool:
        return bool(self.workers) and wanted

    def start(self) -> None:
        self._pool()

    def _pool(self) -> ProcessPoolExecutor:
        if self.pool is None:
            self.pool = ProcessPoolExecutor(
                self.workers, mp_context=_mp_context(), initializer=self.initializer
            )
        return self.pool

    def submit(self, work: Work, parts: list[Task]) -> Tasks | None:
        try:
            pool = self._pool()
            return Tasks([pool.submit(work, part) for part in parts], parts, pool)
        except BrokenProcessPool:
            self._drop()  # no future: results() parses this chunk in a new pool
            return None

    def results(self, job: _Job, work: Work) -> list[Outcome]:
        if job.future is None:  # the pool broke before this chunk was submitted
            self._drop()
            return self._one_by_one(
                work, [(doc.data, doc.hint, doc.member or doc.source) for _, doc, _ in job.slots]
            )
        out: list[Outcome] = []
        for future, task in zip(job.future.futures, job.future.tasks, strict=True):
            try:
                out.extend(future.result())
            except BrokenProcessPool:
                # A worker died (killed, out of memory...). Parse this task again one
                # document at a time in a new pool, so only a document that kills a worker
                # is lost. (Tasks that were done before keep their results.)
                if self.pool is job.future.pool:
                    self._drop()
                out.extend(self._one_by_one(work, task))
        return out

    def _one_by_one(self, work: Work, task: Task) -> list[Outcome]:
        out: list[Outcome] = []
        for doc in task:
            try:
                out.append(self._pool().submit(work, [doc]).result()[0])
            except BrokenProcessPool:
                self._drop()
                out.append(CRASH)
        return out

    def _drop(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
