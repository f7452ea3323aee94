"""Where ingest's time goes: the real pipeline on a synthetic tar, with the parent profiled.

    python bench/ingest_profile.py --cables 20000                 # ingest, rate, peak RSS
    python bench/ingest_profile.py --cables 20000 --profile       # + cProfile of the parent
    python bench/ingest_profile.py --cables 20000 --write-only    # parse first, time writes

Builds (or reuses) ``OUT/synth-N-SEED.tar`` (bench/synth.py; the first N cables of the
250,000 corpus) and ingests it into a fresh ``OUT/profile-N.db`` with ``--workers`` parser
processes. Prints cables/s, peak RSS (parent, and parent + workers, sampled by psutil every
0.1 s), the parent's CPU seconds per cable, the workers' CPU seconds per cable, and the
machine's load. ``--profile`` runs cProfile on the parent (the main thread) and prints the
top functions by own time. ``--write-only`` parses every document first (in this process,
not timed) and then times only what the parent does with the results (``_finish``: the
store's writes), so the writer's cost is measured without the parse competing for the
cores.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
# --src DIR: import cablegram from another tree (e.g. a copy of the code before a change).
_SRC = sys.argv[sys.argv.index("--src") + 1] if "--src" in sys.argv else str(HERE.parent / "src")
sys.path.insert(0, _SRC)

import synth  # noqa: E402
from cablegram.ingest import pipeline as ingest_mod  # noqa: E402
from cablegram.store.sqlite import SQLiteStore  # noqa: E402


class PeakRSS:
    """Peak resident memory of this process, and of it plus its children (as in
    bench/archive.py, which is not imported: it would import cablegram from ../src)."""

    def __init__(self, every: float = 0.1) -> None:
        self.every = every
        self.peak = 0
        self.peak_parent = 0
        self.peak_parent_anon = 0  # without the database file's pages mapped by mmap
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.is_set():
            try:
                parent = me.memory_info().rss
                total = parent
                for child in me.children(recursive=True):
                    try:
                        total += child.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                continue
            self.peak = max(self.peak, total)
            self.peak_parent = max(self.peak_parent, parent)
            self.peak_parent_anon = max(self.peak_parent_anon, _anon())
            self._stop.wait(self.every)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class _TimedConnection:
    """The store's connection, with the main thread's CPU time of each statement added up
    by its first words (INSERT INTO portions, COMMIT...)."""

    def __init__(self, conn: object) -> None:
        self.conn = conn
        self.cpu: dict[str, float] = {}

    def _add(self, what: str, sql: str, t0: float) -> None:
        w = sql.split()
        key = " ".join([what, *w[: 3 if len(w) > 2 and w[1] in ("INTO", "FROM") else 2]])
        self.cpu[key] = self.cpu.get(key, 0.0) + time.thread_time() - t0

    def execute(self, sql: str, *args: object) -> object:
        t0 = time.thread_time()
        try:
            return self.conn.execute(sql, *args)
        finally:
            self._add("", sql, t0)

    def executemany(self, sql: str, *args: object) -> object:
        t0 = time.thread_time()
        try:
            return self.conn.executemany(sql, *args)
        finally:
            self._add("many", sql, t0)

    def __getattr__(self, name: str) -> object:
        return getattr(self.conn, name)


class _Segments:
    """on_chunk: a line every ``every`` documents with the rate and the main thread's CPU
    per document over that stretch (does the writer slow down as the database grows?)."""

    def __init__(self, every: int) -> None:
        self.every = max(1, every)
        self.last = (0, time.perf_counter(), time.thread_time())

    def __call__(self, report: ingest_mod.IngestReport) -> None:
        n0, t0, c0 = self.last
        if report.documents - n0 < self.every:
            return
        now, cpu = time.perf_counter(), time.thread_time()
        n = report.documents - n0
        print(f"  {report.documents:>8,} docs: {n / (now - t0):7.0f}/s, main thread "
              f"{(cpu - c0) / n * 1e3:.3f} ms/doc, load {os.getloadavg()[0]:.1f}",
              file=sys.stderr, flush=True)  # fmt: skip
        self.last = (report.documents, now, cpu)


def _anon() -> int:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cables", type=int, default=20_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("/tmp/cg-ingest"))
    ap.add_argument("--seed", type=int, default=2010)
    ap.add_argument("--profile", action="store_true", help="cProfile the parent")
    ap.add_argument("--write-only", action="store_true", help="parse first, time the writes")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--keep", action="store_true", help="keep the database")
    ap.add_argument("--src", help="import cablegram from this source tree")
    ap.add_argument("--every", type=int, default=10_000, help="print a line every N cables")
    ap.add_argument("--sql", action="store_true", help="the writer's CPU by kind of statement")
    ap.add_argument("--chunk-docs", type=int, default=ingest_mod.CHUNK_DOCS,
                    help="documents per transaction")  # fmt: skip
    ap.add_argument("--chunk-mb", type=int, default=ingest_mod.CHUNK_BYTES >> 20,
                    help="... or fewer, when their bytes add up to this")  # fmt: skip
    args = ap.parse_args(argv)

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    tar = out / f"synth-{args.cables}-{args.seed}.tar"
    if not tar.exists():
        pools = synth.build_pools(cache=HERE / "out" / "pools.pickle")
        synth.write_tar(tar, args.cables, pools, args.seed)
    db = out / f"profile-{args.cables}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)

    load_before = os.getloadavg()
    store = SQLiteStore(db)
    timed = _TimedConnection(store.conn) if args.sql else None
    if timed:
        store.conn = timed  # type: ignore[assignment]
    # The main thread's CPU time: waiting (for workers, the disk, other processes) is left out.
    prof = cProfile.Profile(time.thread_time) if args.profile else None
    if args.write_only:
        results = _preparse(tar)
        real = ingest_mod._work
        ingest_mod._work = lambda tasks: [results[data] for data, _ in tasks]  # type: ignore[assignment]
        workers = 0
    else:
        workers = args.workers
    with PeakRSS() as rss:
        cpu0 = time.process_time()
        main0 = time.thread_time()
        kids0 = os.times()
        t0 = time.perf_counter()
        if prof:
            prof.enable()
        report = ingest_mod.ingest(
            store, [tar], workers=workers, on_chunk=_Segments(args.every),
            chunk_docs=args.chunk_docs, chunk_bytes=args.chunk_mb << 20,
        )  # fmt: skip
        if prof:
            prof.disable()
        secs = time.perf_counter() - t0
        store.close()
        secs_close = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        main_cpu = time.thread_time() - main0
        kids1 = os.times()  # the workers have been reaped: their CPU time is in here
    if args.write_only:
        ingest_mod._work = real  # type: ignore[assignment]
    children_cpu = (kids1.children_user + kids1.children_system) - (
        kids0.children_user + kids0.children_system
    )
    n = max(report.documents, 1)
    summary = {
        "cables": report.documents,
        "new": report.new,
        "failed": report.failed,
        "workers": workers,
        "src": _SRC,
        "write_only": args.write_only,
        "seconds": round(secs, 2),
        "seconds_with_close": round(secs_close, 2),
        "cables_per_s": round(report.new / secs_close, 1),
        "parent_cpu_ms_per_cable": round(cpu / n * 1e3, 3),
        "parent_main_thread_cpu_ms_per_cable": round(main_cpu / n * 1e3, 3),
        "workers_cpu_ms_per_cable": round(children_cpu / n * 1e3, 3),
        "peak_rss_mb": round(rss.peak / 2**20),
        "peak_rss_parent_mb": round(rss.peak_parent / 2**20),
        "peak_rss_parent_anon_mb": round(rss.peak_parent_anon / 2**20),
        "db_mb": round(sum(os.path.getsize(p) for p in out.glob(db.name + "*")) / 1e6),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(summary))
    if timed:
        print("writer's main-thread CPU by statement, ms per cable:")
        for what, secs in sorted(timed.cpu.items(), key=lambda kv: -kv[1]):
            print(f"  {secs / n * 1e3:7.3f}  {what}")
        print(f"  {sum(timed.cpu.values()) / n * 1e3:7.3f}  all SQL")
    if prof:
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(args.top)
        print(s.getvalue())
    if not args.keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    return 0


def _preparse(tar: Path) -> dict[bytes, object]:
    from cablegram.sources import iter_documents

    return {d.data: ingest_mod.process(d.data, d.hint) for d in iter_documents([tar])}


if __name__ == "__main__":
    sys.exit(main())
