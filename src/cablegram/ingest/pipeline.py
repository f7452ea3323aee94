"""Ingest: input paths in, cables (or error rows) in the store out.

The parent process reads the inputs (``cablegram.sources``) and hashes each document;
a document whose content hash is already stored is skipped before parsing. The rest go,
in chunks (each parsed as several tasks), to worker processes that parse them and flatten
the result into rows (``cablegram.store.rows.flatten``); the parent writes each chunk's
rows in one transaction, in input order. At most a few chunks are in flight, so memory
does not grow with the collection. See docs/ingest.md.

Resumability follows from three facts: each chunk is written in one transaction (a kill
loses only uncommitted chunks), a committed document is skipped on the next run by its
hash, and which version a cable shows depends only on the set of stored versions, never
on the order they came in.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from cablegram.ingest.executors import Executor, Outcome, _Job
from cablegram.ingest.local import ProcessPool
from cablegram.model import Cable
from cablegram.sources import Document, input_size, iter_documents
from cablegram.store import (
    FAILED,
    NEW,
    UNCHANGED,
    UPDATED,
    ErrorInfo,
    Failed,
    Parsed,
    Seen,
    Store,
    WriteItem,
)
from cablegram.store.rows import flatten

# Documents per transaction (`--batch-size`). A commit writes back every page it changed,
# and the indexes by cable id, content hash and date change a page per cable almost
# anywhere in them: the larger the transaction, the more of its cables share a page.
# 4,096 instead of 1,024 cut the writer's time per cable by 13% at 150,000 cables
# (docs/ingest.md).
CHUNK_DOCS = 4096
CHUNK_BYTES = 64 << 20  # ... or fewer, when their bytes add up to this
# The documents are read, parsed and written in chunks of at most this many (a transaction
# is one chunk or several): what is in flight, and so the memory, stays that of a chunk.
PARSE_DOCS = 1024
PARSE_BYTES = 16 << 20
WORKER_NICENESS = 5  # parser processes yield the CPU to the writer (_worker_init)
TASK_DOCS = 64  # documents per worker task (a chunk is parsed as several tasks)
TASK_BYTES = 2 << 20  # ... or fewer, when their bytes add up to this
MAX_REPORTED_ERRORS = 100
STALL_ENV = "CABLEGRAM_TEST_STALL"  # fault injection for the kill/resume tests


@dataclass
class IngestReport:
    run_id: int
    documents: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    errors: list[ErrorInfo] = field(default_factory=list)  # the first ones met in this run

    @property
    def ok(self) -> bool:
        return self.failed == 0 and not self.interrupted

    def summary(self) -> str:
        rate = self.documents / self.seconds if self.seconds > 0 else 0.0
        return (
            f"{self.documents:,} document{'' if self.documents == 1 else 's'} in "
            f"{self.seconds:.1f} s ({rate:,.0f}/s): "
            f"{self.new:,} new, {self.updated:,} updated, {self.unchanged:,} unchanged, "
            f"{self.failed:,} failed"
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- what happens to one document ---------------------------------------------------------


def examine(
    data: bytes, hint: str | None = None, name: str | None = None
) -> Cable | tuple[str, str]:
    """Parse one document: a ``Cable`` with an id, or ``(code, reason)`` saying why not.
    ``name`` (the file or member) gives the id of a text that carries none."""
    if not data:
        return "empty", "empty file"
    if not data.strip():
        return "empty", "empty file (whitespace only)"
    if is_binary(data):
        return "binary", "binary file"
    if hint == "json":
        try:
            obj = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            obj = None
        if isinstance(obj, dict):
            try:
                cable = Cable.from_dict(obj)
            except (TypeError, ValueError, AttributeError) as exc:
                return "json", f"not a cable record: {type(exc).__name__}: {exc}"
            if not cable.id:
                return "no-id", "no reference id (JSON record without 'id')"
            return cable
    from cablegram.parser import parse

    try:
        cable = parse(data, hint=hint, name=name)
    except Exception as exc:  # noqa: BLE001 - the parser promises not to raise; be sure
        return "parser", f"parser failed: {type(exc).__name__}: {exc}"
    if not cable.id:
        return "no-id", "no reference id"
    return cable


# Control characters that do not occur in text (tab, newlines, form feed and escape do).
_CONTROLS = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))


def is_binary(data: bytes) -> bool:
    """NUL bytes or many control characters in the first 8 KiB (a UTF-16 BOM is text)."""
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    if b"\x00" in head:
        return True
    controls = len(head) - len(head.translate(None, _CONTROLS))
    return controls > len(head) // 10


def process(data: bytes, hint: str | None, name: str | None = None) -> Outcome:
    """examine + flatten: what a worker sends back for one document."""
    result = examine(data, hint, name)
    if isinstance(result, tuple):
        return result
    try:
        return flatten(result)
    except Exception as exc:  # noqa: BLE001 - one odd record never stops a batch
        return "parser", f"cannot store parse result: {type(exc).__name__}: {exc}"


def _worker_init() -> None:
    # Ctrl-C reaches the whole process group: the parent handles it and stops the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The parent writes alone and in order, so it sets the pace: when the parsers and the
    # writer want more cores than there are, the writer goes first, and the parsers (which
    # run ahead, a chunk or two) use what is left. At equal priority the whole run was
    # 13% slower on two cores (docs/ingest.md).
    try:
        os.nice(WORKER_NICENESS)
    except OSError:  # pragma: no cover - not permitted here: run at the parent's priority
        pass


def _work(tasks: list[tuple[bytes, str | None, str]]) -> list[Outcome]:
    return [process(data, hint, name) for data, hint, name in tasks]


# --- the pipeline -------------------------------------------------------------------------


def _split(tasks: list[tuple[bytes, str | None, str]], max_docs: int, max_bytes: int) -> list[list]:
    """Cut a chunk's documents into worker tasks of at most ``max_docs`` documents or
    about ``max_bytes``."""
    out: list[list[tuple[bytes, str | None, str]]] = []
    part: list[tuple[bytes, str | None, str]] = []
    size = 0
    for t in tasks:
        part.append(t)
        size += len(t[0])
        if len(part) >= max_docs or size >= max_bytes:
            out.append(part)
            part, size = [], 0
    if part:
        out.append(part)
    return out


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def ingest(
    store: Store,
    paths: Iterable[str | os.PathLike[str]],
    *,
    workers: int | None = None,
    progress: bool = False,
    force: bool = False,
    chunk_docs: int = CHUNK_DOCS,
    chunk_bytes: int = CHUNK_BYTES,
    on_chunk: Callable[[IngestReport], None] | None = None,
    engine: str = "local",
    scheduler: str | None = None,
) -> IngestReport:
    """Ingest ``paths`` into ``store``; see the module docstring.

    ``workers``: parser processes (default: one per CPU; 0 parses in this process).
    ``progress``: a Rich progress bar on standard error (only when it is a terminal).
    ``force``: re-parse documents whose content is already stored, and store the new parse.
    ``on_chunk``: called with the running report after each chunk is written.
    ``engine``: ``"local"`` (a process pool, ``ingest.local``) or ``"dask"`` (``ingest.dask``:
    parse on a Dask cluster, at ``scheduler`` or a LocalCluster of ``workers`` processes).
    """
    if engine not in ("local", "dask"):
        raise ValueError("engine must be 'local' or 'dask'")
    files = [os.fspath(p) for p in paths]
    workers = default_workers() if workers is None else max(0, workers)
    args: dict[str, Any] = {"paths": files, "workers": workers, "force": force}
    if engine != "local":
        args.update(engine=engine, scheduler=scheduler)
    run_id = store.begin_run(json.dumps(args))
    report = IngestReport(run_id)
    bar = _ProgressBar(files) if progress else None
    executor: Executor
    if engine == "dask":
        from cablegram.ingest.dask import DaskExecutor

        executor = DaskExecutor(scheduler, max(1, workers), getattr(store, "prepare_rows", None))
    else:
        executor = ProcessPool(workers, _worker_init)
    pipe = _Pipeline(store, report, executor, force, bar, on_chunk,
                     chunk_docs=chunk_docs, chunk_bytes=chunk_bytes)  # fmt: skip
    started = time.monotonic()
    status = "interrupted"
    try:
        pipe.run(_chunks(iter_documents(files), min(max(1, chunk_docs), PARSE_DOCS),
                         min(chunk_bytes, PARSE_BYTES)))  # fmt: skip
        status = "done"
    finally:
        pipe.close()
        if bar:
            bar.stop()
        report.seconds = time.monotonic() - started
        report.interrupted = status != "done"
        counts = {NEW: report.new, UPDATED: report.updated, UNCHANGED: report.unchanged,
                  FAILED: report.failed}  # fmt: skip
        try:
            store.finish_run(run_id, counts, status)
            report.errors = store.errors(run_id=run_id, limit=MAX_REPORTED_ERRORS)
        except Exception:  # noqa: BLE001 - never hide the exception that got us here
            if status == "done":
                raise
    return report


def _chunks(docs: Iterator[Document], max_docs: int, max_bytes: int) -> Iterator[list[Document]]:
    chunk: list[Document] = []
    size = 0
    for doc in docs:
        chunk.append(doc)
        size += len(doc.data)
        if len(chunk) >= max_docs or size >= max_bytes:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


class _Pipeline:
    """Reads, hashes, hands the new documents to an ``Executor`` to parse, and writes the
    results in input order; the executor (a local process pool, a Dask cluster) only
    decides where the parsing runs and how a lost worker's tasks are redone."""

    def __init__(
        self,
        store: Store,
        report: IngestReport,
        executor: Executor,
        force: bool,
        bar: _ProgressBar | None,
        on_chunk: Callable[[IngestReport], None] | None,
        *,
        chunk_docs: int = CHUNK_DOCS,
        chunk_bytes: int = CHUNK_BYTES,
    ) -> None:
        self.store = store
        self.report = report
        self.executor = executor
        self.force = force
        self.bar = bar
        self.on_chunk = on_chunk
        parse_docs = min(max(1, chunk_docs), PARSE_DOCS)
        self.task_docs = max(1, min(TASK_DOCS, parse_docs))
        executor.plan(-(-parse_docs // self.task_docs))
        self.inflight: set[str] = set()
        self.batches = 0
        self.stall = _stall_spec()
        # The open transaction: chunks are written into it until it holds chunk_docs
        # documents (or chunk_bytes), then it commits. Its outcomes (one per document) are
        # in the report already; they are taken back if it rolls back.
        self.txn_docs = max(1, chunk_docs)
        self.txn_bytes = max(1, chunk_bytes)
        self.open_outcomes: list[str] = []
        self.open_bytes = 0

    def close(self) -> None:
        """Stop the workers, and commit the chunks written since the last commit (whole
        chunks: also when the run stops on an error or Ctrl-C between two writes)."""
        self.executor.close()
        if self.open_outcomes:
            self._write([], commit=True)

    def run(self, chunks: Iterator[list[Document]]) -> None:
        head = list(itertools.islice(chunks, 2))
        # A lone small chunk may be parsed here (the local engine); otherwise the workers
        # start now (forked before the progress bar starts its thread).
        first = [(d.data, d.hint, d.member or d.source) for d in head[0]] if head else []
        parallel = self.executor.parallel(
            len(head) > 1 or len(_split(first, self.task_docs, TASK_BYTES)) > 1
        )
        if parallel:
            self.executor.start()
        if self.bar:
            self.bar.start()
        pending: deque[_Job] = deque()
        for docs in itertools.chain(head, chunks):
            pending.append(self._prepare(docs, inline=not parallel))
            while self.executor.full(pending):
                self._finish(pending.popleft())
        while pending:
            self._finish(pending.popleft())

    def _prepare(self, docs: list[Document], inline: bool) -> _Job:
        hashed = [
            (doc, hashlib.sha256(doc.data).hexdigest() if not doc.error else "") for doc in docs
        ]
        known = (
            set()
            if self.force
            else self.store.known_versions(h for _, h in hashed if h and h not in self.inflight)
        )
        job = _Job([], [], [], sum(d.nbytes for d in docs))
        for doc, h in hashed:
            if doc.error:
                job.items.append(Failed("", doc.source, doc.member, "read", doc.error))
            elif h in self.inflight or h in known:
                job.items.append(Seen(h, doc.source, doc.member))
            else:
                self.inflight.add(h)
                job.hashes.append(h)
                job.slots.append((len(job.items), doc, h))
                job.items.append(None)
        tasks = [(doc.data, doc.hint, doc.member or doc.source) for _, doc, _ in job.slots]
        if not tasks:
            job.results = []
        elif inline:
            job.results = _work(tasks)
        else:
            job.future = self.executor.submit(_work, _split(tasks, self.task_docs, TASK_BYTES))
        return job

    def _results(self, job: _Job) -> list[Outcome]:
        if job.results is not None:
            return job.results
        return self.executor.results(job, _work)

    def _finish(self, job: _Job) -> None:
        results = self._results(job)
        items = job.items
        for (i, doc, h), res in zip(job.slots, results, strict=True):
            if isinstance(res, tuple):
                items[i] = Failed(h, doc.source, doc.member, res[0], res[1])
            else:
                items[i] = Parsed(h, doc.source, doc.member, res)
        self.batches += 1
        commit = (
            len(self.open_outcomes) + len(items) >= self.txn_docs
            or self.open_bytes + job.nbytes >= self.txn_bytes
        )
        self._write(items, commit, job.nbytes)  # type: ignore[arg-type]
        if commit and self.stall == (self.batches, "committed"):
            _stall()
        self.inflight.difference_update(job.hashes)
        if self.bar:
            self.bar.advance(job.nbytes, self.report)
        if self.on_chunk:
            self.on_chunk(self.report)

    def _write(self, items: list[WriteItem], commit: bool, nbytes: int = 0) -> list[str]:
        """Write a chunk into the open transaction (committing it if ``commit``), and count
        its outcomes; if the store rolls the transaction back, uncount all of its chunks."""
        try:
            outcomes = self.store.write(
                items,
                self.report.run_id,
                force=self.force,
                before_commit=self._before_commit,
                commit=commit,
            )
        except BaseException:
            self._count(self.open_outcomes, -1)
            self.open_outcomes, self.open_bytes = [], 0
            raise
        self._count(outcomes, +1)
        if commit:
            self.open_outcomes, self.open_bytes = [], 0
        else:
            self.open_outcomes.extend(outcomes)
            self.open_bytes += nbytes
        return outcomes

    def _count(self, outcomes: list[str], sign: int) -> None:
        r = self.report
        for outcome in outcomes:
            setattr(r, outcome, getattr(r, outcome) + sign)
        r.documents += sign * len(outcomes)

    def _before_commit(self) -> None:
        if self.stall == (self.batches, "open"):
            _stall()


def _stall_spec() -> tuple[int, str] | None:
    """CABLEGRAM_TEST_STALL=N stops inside batch N's open transaction; N:committed right
    after batch N is committed. The process then waits to be killed (tests only)."""
    spec = os.environ.get(STALL_ENV, "")
    if not spec:
        return None
    n, _, when = spec.partition(":")
    return int(n), (when or "open")


def _stall() -> None:
    print(f"cablegram: {STALL_ENV}: stalled, waiting to be killed", file=sys.stderr, flush=True)
    while True:
        time.sleep(3600)


# --- the progress bar ---------------------------------------------------------------------


class _ProgressBar:
    """Rich progress on standard error, in input bytes (for the ETA) and documents."""

    def __init__(self, paths: list[str]) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)
        self.enabled = self.console.is_terminal
        self.paths = paths
        self.progress: Any = None  # a rich Progress once started
        self.task: Any = None

    def start(self) -> None:
        if not self.enabled:
            return
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("[bold]ingest"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[docs]:>9,} docs"),
            TextColumn("{task.fields[rate]:>7,.0f}/s"),
            TextColumn("[green]{task.fields[new]:,} new"),
            TextColumn("[red]{task.fields[failed]:,} failed"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
        )
        self.progress.start()
        self.task = self.progress.add_task(
            "ingest", total=input_size(self.paths), docs=0, rate=0.0, new=0, failed=0
        )

    def advance(self, nbytes: int, report: IngestReport) -> None:
        if self.progress is None:
            return
        task = self.progress.tasks[0]
        elapsed = task.elapsed or 0.0
        self.progress.update(
            self.task,
            advance=nbytes,
            docs=report.documents,
            rate=report.documents / elapsed if elapsed > 0 else 0.0,
            new=report.new + report.updated,
            failed=report.failed,
        )

    def stop(self) -> None:
        if self.progress is None:
            return
        task = self.progress.tasks[0]
        if task.total is not None:
            self.progress.update(self.task, completed=task.total)
        self.progress.stop()
