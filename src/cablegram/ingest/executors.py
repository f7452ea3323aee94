"""Where the parsing runs: the ``Executor`` interface the ingest pipeline drives.

The pipeline (``ingest.pipeline``) reads, hashes, skips, and writes in input order; an
executor only runs ``work(tasks)`` (parse + flatten a list of documents) somewhere and
gives the outcomes back, redoing what a lost worker had. Two implementations:
``ingest.local.ProcessPool`` (processes on this machine) and ``ingest.dask.DaskExecutor``
(a Dask cluster). Neither imports the pipeline: it hands them the work function.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cablegram.sources import Document
from cablegram.store import WriteItem
from cablegram.store.rows import CableRows

__all__ = ["Executor", "Outcome", "Task", "Tasks", "Work"]

# A worker's answer for one document: rows to store, or (error code, reason).
Outcome = CableRows | tuple[str, str]
Task = list[tuple[bytes, str | None, str]]  # documents (data, rendering hint, name) parsed together
Work = Callable[[Task], list[Outcome]]


class Tasks:
    """A chunk's worker tasks, read as one future (``result()``: their outcomes, in
    order). ``futures[i]`` parses ``tasks[i]``; ``pool`` is the pool they went to."""

    def __init__(self, futures: list[Any], tasks: list[Task], pool: Any = None) -> None:
        self.futures = futures
        self.tasks = tasks
        self.pool = pool

    def result(self) -> list[Outcome]:
        return [outcome for f in self.futures for outcome in f.result()]

    def release(self) -> None:  # a Dask future's; the local engine's have none
        for f in self.futures:
            if hasattr(f, "release"):
                f.release()


@dataclass
class _Job:
    """One chunk on its way: what to write, in input order, and its parse in flight."""

    items: list[WriteItem | None]  # None: filled from the parse results, in order
    slots: list[tuple[int, Document, str]]  # (index in items, document, hash) to parse
    hashes: list[str]  # content hashes this job put in flight
    nbytes: int
    future: Tasks | None = None
    results: list[Outcome] | None = None


class Executor:
    """Runs the pipeline's parse tasks. ``plan`` learns how many tasks a chunk makes;
    ``parallel`` says whether to use the workers at all (``wanted``: more than one task);
    ``full`` whether enough is in flight to write the oldest chunk first."""

    workers = 1
    max_pending = 2

    def plan(self, tasks_per_chunk: int) -> None:
        # Chunks in flight (submitted, or parsed and waiting to be written): enough that
        # about 2 x workers + 1 tasks are queued while the parent writes, and at least 2
        # so the next chunk is parsed while this one is written.
        self.max_pending = max(2, -(-(2 * self.workers + 1) // tasks_per_chunk))

    def parallel(self, wanted: bool) -> bool:
        raise NotImplementedError

    def start(self) -> None:
        """Start the workers (before the progress bar's thread: a fork copies threads)."""

    def submit(self, work: Work, parts: list[Task]) -> Tasks | None:
        """``work(part)`` for each part, on the workers; None when they could not take it
        (the pool broke): ``results`` then parses the chunk again."""
        raise NotImplementedError

    def results(self, job: _Job, work: Work) -> list[Outcome]:
        """The outcomes of a submitted job, in order, each document's own: a document
        whose parse kills its worker comes back as a ``crash`` error."""
        raise NotImplementedError

    def full(self, pending: deque[_Job]) -> bool:
        return len(pending) > self.max_pending

    def close(self) -> None:
        """Stop the workers (those this executor started)."""


CRASH: Outcome = ("crash", "the parser process died on this document")
