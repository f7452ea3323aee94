"""Archive-scale benchmark: ingest a synthetic corpus, then time 50 searches (issue 3).

    python bench/archive.py                      # 250,000 cables, 2 workers
    python bench/archive.py --cables 20000 --workers 2 --out /tmp/cg
    python bench/archive.py --reuse --queries-only

Builds ``OUT/synth-N-SEED.tar`` (telegram text, bench/synth.py), ingests it into
``OUT/archive-N.db`` with the real pipeline (parse in N workers, write in the parent), and
measures: cables/s and MB/s, peak RSS of parent + workers (sampled by psutil every 0.1 s),
database size; then each query of QUERIES through ``cablegram.search.search`` (page 1,
20 hits, facets on) next to a bare SQL "floor" for the same query (FTS5 top 20 by rank,
or an indexed SQL for filter-only queries). Every query runs once to warm the page cache,
then ROUNDS times; a query's time is the median of its rounds. Results are never cached
between runs (each call builds its matching set from scratch; the postings cache of
common words is off, CABLEGRAM_POSTINGS_CACHE_MB=0). The summary goes to stdout
and ``OUT/archive.json``. Targets: >= 1,000 cables/s, peak RSS <= 1 GB, p95 <= 50 ms and
p95 <= 2x the floor. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import sys
import threading
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

# Time the search itself: every round reads each word from the index, as a first
# search would (the server's cache of common words' postings is bench/serve.py's).
os.environ.setdefault("CABLEGRAM_POSTINGS_CACHE_MB", "0")

import synth  # noqa: E402
from cablegram.ingest import ingest  # noqa: E402
from cablegram.search import search  # noqa: E402
from cablegram.store.sqlite import SQLiteStore  # noqa: E402

ROUNDS = 3

# The floor: FTS5 alone, best 20 portions' cables by rank (no facets, totals or snippets).
_FTS = (
    "SELECT DISTINCT p.cable_id FROM portions_fts JOIN portions p "
    "ON p.portion_id = portions_fts.rowid {join} WHERE portions_fts MATCH ? {cond} "
    "ORDER BY rank LIMIT 20"
)
_READ = "SELECT count(*) FROM portions_fts WHERE portions_fts MATCH ?"
_SQL = "SELECT c.id FROM cables c WHERE {cond} ORDER BY c.date DESC LIMIT 20"
_TAG = "c.key IN (SELECT cable_key FROM cable_tags WHERE code = ?)"
_CAV = "c.key IN (SELECT cable_key FROM cable_caveats WHERE caveat = ?)"
_REF = "c.key IN (SELECT cable_key FROM cable_refs WHERE ref_id = ?)"
_NOT = (
    "c.id NOT IN (SELECT p.cable_id FROM portions_fts JOIN portions p "
    "ON p.portion_id = portions_fts.rowid WHERE portions_fts MATCH ?)"
)


def fts(match: str, cond: str = "", *params: object) -> tuple[str, list[object]]:
    join = "JOIN cables c ON c.id = p.cable_id" if cond else ""
    return _FTS.format(join=join, cond=f"AND {cond}" if cond else ""), [match, *params]


def sql(cond: str, *params: object) -> tuple[str, list[object]]:
    return _SQL.format(cond=cond), list(params)


def queries(gen: synth.Generator) -> list[tuple[str, tuple[str, list[object]]]]:
    """The fixed mix: (query, floor). Ids are synthetic, so they come from the generator."""
    some_id = gen.cable_id(123_457 % max(gen.n, 1) or 1)
    i = max(2, gen.n // 2)
    gen.last_cited = []
    while not gen.last_cited and i <= gen.n:
        gen.render(i)
        i += 1
    cited = gen.cable_id(gen.last_cited[0] if gen.last_cited else 1)
    return [
        # single words, common to rare
        ("iran", fts('"iran"')),
        ("election", fts('"election"')),
        ("corruption", fts('"corruption"')),
        ("Karzai", fts('"karzai"')),
        ("Chavez", fts('"chavez"')),
        ("Gazprom", fts('"gazprom"')),
        ("hezbollah", fts('"hezbollah"')),
        ("Medvedev", fts('"medvedev"')),
        ("Taliban", fts('"taliban"')),
        ("Guantanamo", fts('"guantanamo"')),
        ("Sarkozy", fts('"sarkozy"')),
        ("piracy", fts('"piracy"')),
        ("uranium", fts('"uranium"')),
        ("Nabucco", fts('"nabucco"')),
        # phrases and prefixes
        ('"nuclear program"', fts('"nuclear program"')),
        ('"human rights"', fts('"human rights"')),
        ('"arms sales"', fts('"arms sales"')),
        ('"free trade agreement"', fts('"free trade agreement"')),
        ('"climate change"', fts('"climate change"')),
        ('"money laundering"', fts('"money laundering"')),
        ("Nagorno-Karabakh", fts('"nagorno karabakh"')),
        ("al-Qaida", fts('"al qaida"')),
        ("terror*", fts('"terror"*')),
        ("narco*", fts('"narco"*')),
        # booleans
        ("NATO AND (Georgia OR Ukraine)", fts('"nato" AND ("georgia" OR "ukraine")')),
        ("China AND (Taiwan OR Tibet)", fts('"china" AND ("taiwan" OR "tibet")')),
        ("opium OR heroin OR cocaine", fts('"opium" OR "heroin" OR "cocaine"')),
        ("pipeline gas", fts('"pipeline" AND "gas"')),
        ("Israel Gaza", fts('"israel" AND "gaza"')),
        ("election fraud", fts('"election" AND "fraud"')),
        ("oil -Iraq", fts('"oil" NOT "iraq"')),
        ("democracy -Russia", fts('"democracy" NOT "russia"')),
        # words with filters (drill-downs)
        ("tag:PGOV election", fts('"election"', _TAG, "PGOV")),
        ("tag:KNNP iran", fts('"iran"', _TAG, "KNNP")),
        (
            "date:2009-01..2009-06 pipeline",
            fts('"pipeline"', "c.date BETWEEN ? AND ?", "2009-01-01", "2009-06-30~"),
        ),  # fmt: skip
        ("year:2008 Putin", fts('"putin"', "c.year = ?", 2008)),
        ("date:2010 Afghanistan", fts('"afghanistan"', "c.year = ?", 2010)),
        ("caveat:NOFORN Iran nuclear", fts('"iran" AND "nuclear"', _CAV, "NOFORN")),
        ("origin:CAIRO Mubarak", fts('"mubarak"', "c.origin_code = ?", "CAIRO")),
        ("date:2006..2007 Cuba", fts('"cuba"', "c.year BETWEEN ? AND ?", 2006, 2007)),
        ('subject:"human rights"', fts('"human rights"', "p.kind = 'subject'")),
        ("subject:visit", fts('"visit"', "p.kind = 'subject'")),
        ("-china tag:ETRD", sql(f"{_TAG} AND {_NOT}", "ETRD", '"china"')),
        # filters only
        ("origin:CAIRO", sql("c.origin_code = ?", "CAIRO")),
        ("class:>=S caveat:NOFORN", sql(f"c.class_level >= 4 AND {_CAV}", "NOFORN")),
        ("tag:PGOV", sql(_TAG, "PGOV")),
        ("origin:US* year:2009", sql("c.origin_code GLOB 'US*' AND c.year = 2009")),
        ("signer:SCOBEY", sql("c.signer = ? COLLATE NOCASE", "SCOBEY")),
        (f"id:{some_id}", sql("c.id = ?", some_id)),
        (f"ref:{cited}", sql(_REF, cited)),
    ]


class PeakRSS:
    """Peak resident memory of this process plus its children, sampled in a thread."""

    def __init__(self, every: float = 0.1) -> None:
        self.every = every
        self.peak = 0
        self.peak_parent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
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
            self._stop.wait(self.every)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def reader(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    # Reader settings docs/search.md recommends for a server.
    conn.execute("PRAGMA cache_size = -262144")  # 256 MiB
    conn.execute("PRAGMA mmap_size = 4294967296")
    conn.execute("PRAGMA temp_store = MEMORY")
    return conn


def run_queries(db: Path, gen: synth.Generator, rounds: int) -> dict:
    conn = reader(db)
    mix = queries(gen)
    rows = []
    for q, (floor_sql, params) in mix:  # warm the page cache
        search(conn, q, facets=True)
        conn.execute(floor_sql, params).fetchall()
    for q, (floor_sql, params) in mix:
        times, floors, reads = [], [], []
        # The read floor: just walking the index for the query's text (no ranking, no
        # rows), the least any full-text search of it can cost.
        read = (_READ, params[:1]) if floor_sql.startswith(_FTS[:20]) else None
        for _ in range(rounds):
            t0 = time.perf_counter()
            res = search(conn, q, page=1, per_page=20, facets=True)
            times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            conn.execute(floor_sql, params).fetchall()
            floors.append(time.perf_counter() - t0)
            if read:
                t0 = time.perf_counter()
                conn.execute(*read).fetchall()
                reads.append(time.perf_counter() - t0)
        ms, fms = statistics.median(times) * 1e3, statistics.median(floors) * 1e3
        rms = statistics.median(reads) * 1e3 if reads else None
        extra = {} if getattr(res, "total_is_exact", True) else {"total_is_exact": False}
        rows.append({"query": q, "ms": round(ms, 2), "floor_ms": round(fms, 2),
                     "ratio": round(ms / fms, 2) if fms else None, "total": res.total,
                     "read_floor_ms": round(rms, 2) if rms is not None else None,
                     **extra})  # fmt: skip
        rtxt = f"read {rms:7.1f} ms" if rms is not None else " " * 15
        print(f"  {ms:9.1f} ms  floor {fms:8.1f} ms  x{ms / max(fms, 1e-3):6.1f}  {rtxt}  "
              f"{res.total:>8,}  {q}", flush=True)  # fmt: skip
    conn.close()
    lat = [r["ms"] for r in rows]
    flo = [r["floor_ms"] for r in rows]
    return {
        "queries": rows,
        "rounds": rounds,
        "p50_ms": pct(lat, 0.50),
        "p95_ms": pct(lat, 0.95),
        "p99_ms": pct(lat, 0.99),
        "floor_p50_ms": pct(flo, 0.50),
        "floor_p95_ms": pct(flo, 0.95),
        "floor_p99_ms": pct(flo, 0.99),
        "p95_over_floor_p95": round(pct(lat, 0.95) / max(pct(flo, 0.95), 1e-3), 2),
        "median_ratio": statistics.median(r["ratio"] for r in rows if r["ratio"]),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cables", type=int, default=250_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument("--seed", type=int, default=2010)
    ap.add_argument("--rounds", type=int, default=ROUNDS)
    ap.add_argument("--reuse", action="store_true", help="keep an existing database")
    ap.add_argument("--queries-only", action="store_true", help="only time the queries")
    ap.add_argument("--db", type=Path, help="the database (default OUT/archive-N.db)")
    args = ap.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    db = args.db or out / f"archive-{args.cables}.db"
    summary: dict = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "cables": args.cables,
        "workers": args.workers,
        "seed": args.seed,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "load_before": os.getloadavg(),
        },  # fmt: skip
    }
    pools = synth.build_pools(cache=out / "pools.pickle")
    gen = synth.Generator(pools, args.seed)
    gen.n = args.cables  # type: ignore[attr-defined]
    if not args.queries_only and not (args.reuse and db.exists()):
        tar = out / f"synth-{args.cables}-{args.seed}.tar"
        if not tar.exists():
            t0 = time.perf_counter()
            nbytes = synth.write_tar(tar, args.cables, pools, args.seed)
            print(f"generated {tar} ({nbytes / 1e6:,.0f} MB) in {time.perf_counter() - t0:.0f} s")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        text_bytes = sum(m.size for m in _members(tar))
        store = SQLiteStore(db)
        with PeakRSS() as rss:
            t0 = time.perf_counter()
            report = ingest(store, [tar], workers=args.workers)
            store.close()  # includes PRAGMA optimize
            secs = time.perf_counter() - t0
        summary["ingest"] = {
            "documents": report.documents, "new": report.new, "failed": report.failed,
            "seconds": round(secs, 1),
            "cables_per_s": round(report.new / secs, 1),
            "mb_per_s": round(text_bytes / 1e6 / secs, 2),
            "input_mb": round(text_bytes / 1e6, 1),
            "peak_rss_mb": round(rss.peak / 2**20),
            "peak_rss_parent_mb": round(rss.peak_parent / 2**20),
            "load_after": os.getloadavg(),
        }  # fmt: skip
        print(json.dumps(summary["ingest"]))
    if not db.exists():
        print(f"no database at {db}; run without --queries-only first", file=sys.stderr)
        return 1
    name = "archive.json" if args.out == HERE / "out" else f"archive-{args.cables}.json"
    if "ingest" not in summary and (out / name).exists():
        # Re-timing the queries of a reused database keeps its ingest figures.
        previous = json.loads((out / name).read_text())
        if previous.get("cables") == args.cables and "ingest" in previous:
            summary["ingest"] = {**previous["ingest"], "from_earlier_run": previous["command"]}
    summary["db_mb"] = round(sum(os.path.getsize(p) for p in db.parent.glob(db.name + "*")) / 1e6)
    with sqlite3.connect(db) as c:
        summary["portions"] = c.execute("SELECT count(*) FROM portions").fetchone()[0]
        summary["stored_cables"] = c.execute("SELECT count(*) FROM cables").fetchone()[0]
    print(f"database {db}: {summary['db_mb']:,} MB, {summary['stored_cables']:,} cables, "
          f"{summary['portions']:,} portions; load {os.getloadavg()}")  # fmt: skip
    summary["search"] = run_queries(db, gen, args.rounds)
    summary["machine"]["load_after"] = os.getloadavg()
    s = summary["search"]
    ing = summary.get("ingest")
    targets = {
        "ingest_1000_per_s": ing["cables_per_s"] >= 1000 if ing else None,
        "peak_rss_1gb": ing["peak_rss_mb"] <= 1024 if ing else None,
        "p95_50ms": s["p95_ms"] <= 50,
        "p95_2x_floor": s["p95_over_floor_p95"] <= 2,
    }
    summary["targets_met"] = targets
    print(f"search p50 {s['p50_ms']:.1f} ms  p95 {s['p95_ms']:.1f} ms  p99 {s['p99_ms']:.1f} ms"
          f" | floor p50 {s['floor_p50_ms']:.1f}  p95 {s['floor_p95_ms']:.1f}  p99 "
          f"{s['floor_p99_ms']:.1f} ms | p95/floor-p95 {s['p95_over_floor_p95']}, median "
          f"ratio {s['median_ratio']}")  # fmt: skip
    print("targets:", json.dumps(targets))
    (out / name).write_text(json.dumps(summary, indent=2) + "\n")
    return 0


def _members(tar: Path):
    import tarfile

    with tarfile.open(tar) as tf:
        yield from (m for m in tf if m.isfile())


if __name__ == "__main__":
    sys.exit(main())
