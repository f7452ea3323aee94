"""Scale-out benchmark (docs/scaling.md): the same synthetic cables ingested

* into SQLite by the single-machine process pool (``engine="local"``), and
* into PostgreSQL through Dask (a LocalCluster of ``--workers`` processes, or
  ``--scheduler``),

then the same queries timed on both (p50/p95 over ``--rounds`` rounds), with each query's
total checked to be equal on both backends. All in one run:

    python bench/scale.py --cables 20000            # starts a throw-away PostgreSQL
    python bench/scale.py --cables 250000 --pg-url postgresql://u@db:5432/cables \\
        --scheduler tcp://scheduler:8786

The corpus is ``bench/synth.py``'s (real paragraphs, real headers, unique ids). Results go
to ``bench/out/scale-N.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))  # pg.TempPostgres

import synth  # noqa: E402
from cablegram.ingest import ingest  # noqa: E402
from cablegram.store import open_store  # noqa: E402

QUERIES = [
    "iran", "election", "corruption", "Karzai", "Gazprom", "Medvedev", "piracy", "uranium",
    '"nuclear program"', '"human rights"', '"money laundering"', "Nagorno-Karabakh",
    "terror*", "NATO AND (Georgia OR Ukraine)", "opium OR heroin OR cocaine", "pipeline gas",
    "oil -Iraq", "tag:PGOV election", "date:2009-01..2009-06 pipeline", "year:2008 Putin",
    "caveat:NOFORN Iran nuclear", 'subject:"human rights"', "-china tag:ETRD", "tag:PGOV",
    "class:>=S caveat:NOFORN", "origin:US* year:2009",
]  # fmt: skip


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def time_ingest(target: str, tar: Path, **kw) -> dict:
    store = open_store(target)
    t0 = time.perf_counter()
    try:
        report = ingest(store, [tar], **kw)
    finally:
        store.close()
    secs = time.perf_counter() - t0
    return {"documents": report.documents, "new": report.new, "failed": report.failed,
            "seconds": round(secs, 1), "cables_per_s": round(report.new / secs, 1)}  # fmt: skip


def time_queries(target: str, rounds: int) -> dict:
    store = open_store(target, create=False)
    per: dict[str, list[float]] = {q: [] for q in QUERIES}
    totals: dict[str, int] = {}
    try:
        for q in QUERIES:  # warm-up round, and the totals
            totals[q] = store.search(q, per_page=20).total
        for _ in range(rounds):
            for q in QUERIES:
                t0 = time.perf_counter()
                store.search(q, per_page=20)
                per[q].append((time.perf_counter() - t0) * 1000)
    finally:
        store.close()
    every = [x for xs in per.values() for x in xs]
    return {
        "p50_ms": round(pct(every, 0.5), 1),
        "p95_ms": round(pct(every, 0.95), 1),
        "max_ms": round(max(every), 1),
        "queries": {
            q: {"total": totals[q], "median_ms": round(statistics.median(xs), 1)}
            for q, xs in per.items()
        },  # fmt: skip
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cables", type=int, default=5000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=2010)
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument("--pg-url", default=None, help="an empty database (default: start one)")
    ap.add_argument("--scheduler", default=None, help="Dask scheduler (default: LocalCluster)")
    args = ap.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    summary: dict = {"command": " ".join([Path(sys.executable).name, *sys.argv]),
                     "cables": args.cables, "workers": args.workers,
                     "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                 "load_before": os.getloadavg()}}  # fmt: skip
    tar = out / f"synth-{args.cables}-{args.seed}.tar"
    if not tar.exists():
        pools = synth.build_pools(cache=out / "pools.pickle")
        t0 = time.perf_counter()
        nbytes = synth.write_tar(tar, args.cables, pools, args.seed)
        print(f"generated {tar} ({nbytes / 1e6:,.0f} MB) in {time.perf_counter() - t0:.0f} s")
    db = out / f"scale-{args.cables}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)

    server = None
    pg_url = args.pg_url
    if pg_url is None:
        from pg import TempPostgres

        server = TempPostgres().start()
        pg_url = server.create_database("cablegram_scale")
    try:
        summary["sqlite_local"] = time_ingest(str(db), tar, workers=args.workers)
        print("SQLite, process pool:", json.dumps(summary["sqlite_local"]))
        summary["postgres_dask"] = time_ingest(pg_url, tar, workers=args.workers,
                                               engine="dask", scheduler=args.scheduler)  # fmt: skip
        print("PostgreSQL, Dask:    ", json.dumps(summary["postgres_dask"]))
        summary["search_sqlite"] = time_queries(str(db), args.rounds)
        summary["search_postgres"] = time_queries(pg_url, args.rounds)
    finally:
        if server is not None:
            server.stop()
    a, b = summary["search_sqlite"], summary["search_postgres"]
    diff = [q for q in QUERIES if a["queries"][q]["total"] != b["queries"][q]["total"]]
    summary["totals_differ"] = diff
    summary["machine"]["load_after"] = os.getloadavg()
    print(f"{'query':40} {'total':>8} {'SQLite ms':>10} {'PG ms':>8}")
    for q in QUERIES:
        print(f"{q:40} {a['queries'][q]['total']:>8} {a['queries'][q]['median_ms']:>10} "
              f"{b['queries'][q]['median_ms']:>8}")  # fmt: skip
    print(
        f"search p50/p95: SQLite {a['p50_ms']}/{a['p95_ms']} ms, "
        f"PostgreSQL {b['p50_ms']}/{b['p95_ms']} ms; totals differ for: {diff or 'none'}"
    )
    (out / f"scale-{args.cables}.json").write_text(json.dumps(summary, indent=2) + "\n")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
