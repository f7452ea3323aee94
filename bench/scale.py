"""Scale-out benchmark (docs/scaling.md): the same synthetic cables ingested

* into SQLite by the single-machine process pool (``engine="local"``), and
* into PostgreSQL through Dask (a LocalCluster of ``--workers`` processes, or
  ``--scheduler``),

then bench/archive.py's 50 queries timed on both (p50/p95 over ``--rounds`` rounds), with
each query's total checked to be equal on both backends. All in one run:

    python bench/scale.py --cables 20000            # starts a throw-away PostgreSQL
    python bench/scale.py --cables 250000 --pg-url postgresql://u@db:5432/cables \\
        --scheduler tcp://scheduler:8786
    python bench/scale.py --cables 1000000 --backends postgres --ingest-only
    python bench/scale.py --cables 250000 --search-only --sqlite-db synth-250k.db \\
        --pg-url postgresql://u@db:5432/cables --rounds 2

``--search-only`` ingests nothing: it times the 50 queries on two existing archives of the
same cables (the SQLite file opened read-only), the backends taking turns query by query
so that both see the same load, and checks that each query's total and hits agree.

The corpus is ``bench/synth.py``'s (real paragraphs, real headers, unique ids), generated
once in shards of ``--shard`` cables (``synth-SEED-FIRST-LAST.tar``; cable i is a function
of (seed, i) only, so the shards of a smaller run are the first shards of a larger one)
and reused by every later run. Results go to ``bench/out/scale-N.json``; every run then
fits time and size against the number of cables over all the ``scale-*.json`` measured so
far and projects them to ``--project`` cables (2.3 million by default).
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import platform
import resource
import shutil
import statistics
import sys
import tarfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))  # pg.TempPostgres

# Time the search itself: every round reads each word from the index, as a first
# search would (the server's cache of common words' postings is bench/serve.py's).
os.environ.setdefault("CABLEGRAM_POSTINGS_CACHE_MB", "0")

import synth  # noqa: E402
from cablegram.ingest import CHUNK_DOCS, ingest  # noqa: E402
from cablegram.store import open_store  # noqa: E402


def query_mix(out: Path, n: int, seed: int) -> list[str]:
    """bench/archive.py's fixed mix of 50 queries (words, phrases, booleans, drill-downs,
    filters only, an id and a ref), with the ids of this corpus."""
    import archive

    gen = synth.Generator(synth.build_pools(cache=out / "pools.pickle"), seed)
    gen.n = n  # type: ignore[attr-defined]
    return [q for q, _ in archive.queries(gen)]


# The throw-away server's configuration: durable writes (fsync and full-page writes on),
# but commits do not wait for their WAL flush (synchronous_commit=off): a server crash may
# lose the last ~0.6 s of commits, which the ingest's resume writes again (a lost chunk's
# content hashes are not stored, so the next run parses and writes it; docs/ingest.md).
BENCH_SETTINGS = {
    "fsync": "on",
    "full_page_writes": "on",
    "synchronous_commit": "off",
    "shared_buffers": "1GB",
    "max_wal_size": "4GB",
    "checkpoint_timeout": "15min",
    "maintenance_work_mem": "512MB",
    "max_connections": "100",
}
PROJECT = 2_300_000


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


# ----------------------------------------------------------------------------- corpus


def shard_ranges(n: int, shard: int) -> list[tuple[int, int]]:
    """(first, last) cable numbers of each shard of an n-cable corpus."""
    return [(a, min(a + shard - 1, n)) for a in range(1, n + 1, shard)]


def write_shard(path: Path, first: int, last: int, pools: synth.Pools, seed: int) -> int:
    """Cables first..last as ``synth.write_tar`` writes them (same members, same bytes)."""
    gen = synth.Generator(pools, seed)
    total = 0
    tmp = path.with_suffix(".part")
    with tarfile.open(tmp, "w", format=tarfile.USTAR_FORMAT) as tar:
        for text, cid in gen.cables(last - first + 1, start=first):
            data = text.encode("utf-8")
            total += len(data)
            info = tarfile.TarInfo(f"cable/{cid}.txt")
            info.size = len(data)
            info.mtime = 1291161600
            tar.addfile(info, io.BytesIO(data))
    os.replace(tmp, path)
    return total


def corpus(out: Path, n: int, seed: int, shard: int) -> list[Path]:
    paths = []
    pools = None
    for first, last in shard_ranges(n, shard):
        path = out / f"synth-{seed}-{first:07d}-{last:07d}.tar"
        if not path.exists():
            if pools is None:
                pools = synth.build_pools(cache=out / "pools.pickle")
            t0 = time.perf_counter()
            nbytes = write_shard(path, first, last, pools, seed)
            print(f"generated {path.name} ({nbytes / 1e6:,.0f} MB) in "
                  f"{time.perf_counter() - t0:.0f} s", flush=True)  # fmt: skip
        paths.append(path)
    return paths


# ----------------------------------------------------------------------------- measuring


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _server_cpu(server) -> float | None:
    """CPU seconds of a throw-away server (its postmaster, live backends and the exited
    ones the postmaster reaped); None for an external server."""
    import psutil

    pid = server.postmaster_pid() if server is not None else None
    if pid is None:
        return None
    try:
        pm = psutil.Process(pid)
        t = pm.cpu_times()
        total = t.user + t.system + t.children_user + t.children_system
        for p in pm.children(recursive=True):
            try:
                c = p.cpu_times()
                total += c.user + c.system
            except psutil.Error:
                pass
        return total
    except psutil.Error:
        return None


def _size(target: str) -> int:
    if target.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(target) as c:
            return int(c.execute("SELECT pg_database_size(current_database())").fetchone()[0])
    return sum(Path(f"{target}{s}").stat().st_size for s in ("", "-wal")
               if Path(f"{target}{s}").exists())  # fmt: skip


def time_ingest(target: str, paths: list[Path], server=None, **kw) -> dict:
    store = open_store(target)
    own0, kids0, srv0 = time.process_time(), _children_cpu(), _server_cpu(server)
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    try:
        report = ingest(store, paths, **kw)
        secs = time.perf_counter() - t0
        srv1 = _server_cpu(server)  # before close: the writer's backend is still alive
    finally:
        store.close()
    n = report.new + report.updated
    cpu = {"parent": time.process_time() - own0, "workers": _children_cpu() - kids0}
    if srv0 is not None and srv1 is not None:
        cpu["server"] = srv1 - srv0
    return {
        "documents": report.documents, "new": report.new, "failed": report.failed,
        "seconds": round(secs, 1), "cables_per_s": round(n / secs, 1),
        "bytes": _size(target),
        "cpu_ms_per_cable": {k: round(1000 * v / max(n, 1), 2) for k, v in cpu.items()},
        "load": [round(load0, 1), round(os.getloadavg()[0], 1)],
    }  # fmt: skip


def time_queries(target: str, rounds: int, queries: list[str]) -> dict:
    store = open_store(target, create=False)
    per: dict[str, list[float]] = {q: [] for q in queries}
    totals: dict[str, int] = {}
    try:
        for q in queries:  # warm-up round, and the totals
            totals[q] = store.search(q, per_page=20).total
        for _ in range(rounds):
            for q in queries:
                t0 = time.perf_counter()
                store.search(q, per_page=20)
                per[q].append((time.perf_counter() - t0) * 1000)
    finally:
        store.close()
    return _summary(per, totals)


def _open_sqlite_read_only(path: str):
    """A SQLite store on ``path`` opened with ``mode=ro``: nothing is written to the file
    (a shared benchmark archive)."""
    import sqlite3

    from cablegram.store import sqlite as sqlite_store

    real = sqlite3.connect

    def read_only(target, *args, **kw):
        return real(f"file:{target}?mode=ro", *args, uri=True, **kw)

    sqlite_store.sqlite3.connect = read_only  # only while the store connects
    try:
        return sqlite_store.SQLiteStore(path, create=False)
    finally:
        sqlite_store.sqlite3.connect = real


def _summary(per: dict[str, list[float]], totals: dict[str, int]) -> dict:
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


def time_interleaved(sqlite_db: str, pg_url: str, rounds: int, queries: list[str]) -> dict:
    """The queries on both archives, taking turns per query (the same load on both), after
    a warm-up round that loads each backend's doc values and checks the answers agree."""
    stores = {"sqlite": _open_sqlite_read_only(sqlite_db), "postgres": open_store(pg_url)}
    per = {name: {q: [] for q in queries} for name in stores}
    totals: dict[str, dict[str, int]] = {name: {} for name in stores}
    differ = []
    try:
        t0 = time.perf_counter()
        for q in queries:
            got = {}
            for name, store in stores.items():
                res = store.search(q, per_page=20)
                totals[name][q] = res.total
                got[name] = (res.total, [h.id for h in res.hits])
            if got["sqlite"] != got["postgres"]:
                differ.append(q)
        print(f"warm-up round: {time.perf_counter() - t0:.1f} s", flush=True)
        for _ in range(rounds):
            for q in queries:
                for name, store in stores.items():
                    t0 = time.perf_counter()
                    store.search(q, per_page=20)
                    per[name][q].append((time.perf_counter() - t0) * 1000)
    finally:
        for store in stores.values():
            store.close()
    return {"search_sqlite": _summary(per["sqlite"], totals["sqlite"]),
            "search_postgres": _summary(per["postgres"], totals["postgres"]),
            "answers_differ": differ}  # fmt: skip


# ----------------------------------------------------------------------------- projection


def _fit_power(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """y = a * x**b by least squares on log y against log x: (a, b)."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    b = sum((u - mx) * (v - my) for u, v in zip(lx, ly)) / sum((u - mx) ** 2 for u in lx)
    return math.exp(my - b * mx), b


def _fit_line(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """y = c + d * x by least squares: (c, d)."""
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    d = sum((u - mx) * (v - my) for u, v in zip(xs, ys)) / sum((u - mx) ** 2 for u in xs)
    return my - d * mx, d


def project(out: Path, target: int, workers: int) -> dict:
    """Fit ingest seconds and database bytes against cables over every scale-N.json in
    ``out`` run with the same number of workers, per backend, and extrapolate to
    ``target`` cables.

    The projection is the least-squares straight line y = c + d*N (c: the fixed costs,
    such as starting the cluster and the final index build's floor; d: the cost of one
    more cable). The power law y = a*N^b, fitted on log-log, is reported beside it as the
    growth check: b > 1 says the cost per cable rises with the archive. It is not used
    for the projection: over sizes a few times apart, on a machine whose load changes
    between runs, b is too unstable to extrapolate a hundredfold. The CPU estimate is the
    CPU time per cable at the largest size, over all processes (parent, workers, server),
    spread over the machine's cores: the time on the same machine with nothing else
    running, if the load were perfectly parallel."""
    points: dict[str, dict[int, dict]] = {}
    for f in sorted(out.glob("scale-*.json")):
        try:
            data = json.loads(f.read_text())
        except ValueError:
            continue
        if data.get("workers") != workers or "cables" not in data:
            continue
        for key in ("sqlite_local", "postgres_dask"):
            r = data.get(key)
            if r and r.get("new") and r.get("bytes"):
                points.setdefault(key, {})[int(data["cables"])] = dict(
                    r, cpus=data.get("machine", {}).get("cpus") or 1
                )
    result: dict[str, dict] = {}
    for key, by_n in points.items():
        ns = sorted(by_n)
        secs = [by_n[n]["seconds"] for n in ns]
        sizes = [by_n[n]["bytes"] for n in ns]
        entry: dict = {"measured": {n: {"seconds": s, "bytes": b, "load": by_n[n].get("load")}
                                    for n, s, b in zip(ns, secs, sizes)}}  # fmt: skip
        if len(ns) == 1:
            n = ns[0]
            entry["method"] = (f"one size measured ({n:,} cables): time and bytes scaled "
                               "linearly from it (no fixed cost or growth can be fitted)")  # fmt: skip
            entry["seconds"] = secs[0] * target / n
            entry["bytes"] = sizes[0] * target / n
        else:
            c, d = _fit_line(ns, secs)
            sc, sd = _fit_line(ns, sizes)
            a, b = _fit_power(ns, secs)
            sa, sb = _fit_power(ns, sizes)
            entry["method"] = (
                f"least-squares straight line y = c + d*N over {len(ns)} sizes "
                f"({', '.join(f'{n:,}' for n in ns)} cables); growth check: power law "
                "y = a*N^b on log-log (not used to project)"
            )
            entry["seconds"] = c + d * target
            entry["bytes"] = sc + sd * target
            entry["fits"] = {
                "seconds": {"line": {"c": round(c, 2), "d_ms_per_cable": round(1000 * d, 3)},
                            "power": {"a": a, "b": round(b, 3),
                                      "projection": round(a * target**b)}},
                "bytes": {"line": {"c": round(sc), "d_per_cable": round(sd)},
                          "power": {"a": sa, "b": round(sb, 3),
                                    "projection": round(sa * target**sb)}},
            }  # fmt: skip
        largest = by_n[ns[-1]]
        cpu = largest.get("cpu_ms_per_cable") or {}
        if cpu and ("server" in cpu or key == "sqlite_local"):
            per = sum(cpu.values())
            entry["cpu_ms_per_cable"] = round(per, 2)
            entry["cpu_bound_seconds"] = round(per * target / 1000 / largest["cpus"])
        entry["seconds"] = round(entry["seconds"])
        entry["bytes"] = round(entry["bytes"])
        entry["cables_per_s"] = round(target / entry["seconds"], 1)
        result[key] = entry
    return {"cables": target, "backends": result}


def print_projection(p: dict) -> None:
    target = p["cables"]
    for key, e in p["backends"].items():
        label = {"sqlite_local": "SQLite, process pool", "postgres_dask": "PostgreSQL, Dask"}[key]
        print(f"projection to {target:,} cables, {label}: ingest {e['seconds'] / 3600:.1f} h "
              f"({e['cables_per_s']:,}/s), database {e['bytes'] / 1e9:,.1f} GB")  # fmt: skip
        print(f"  method: {e['method']}")
        if "fits" in e:
            f = e["fits"]
            print(f"  fitted: {f['seconds']['line']['d_ms_per_cable']} ms and "
                  f"{f['bytes']['line']['d_per_cable']:,} bytes per cable, "
                  f"{f['seconds']['line']['c']} s fixed; growth exponents: time N^"
                  f"{f['seconds']['power']['b']}, size N^{f['bytes']['power']['b']} "
                  f"(power-law projection {f['seconds']['power']['projection'] / 3600:.1f} h, "
                  f"{f['bytes']['power']['projection'] / 1e9:,.1f} GB)")  # fmt: skip
        if "cpu_bound_seconds" in e:
            print(
                f"  CPU: {e['cpu_ms_per_cable']} ms per cable over all processes at the "
                f"largest size; on this machine alone: {e['cpu_bound_seconds'] / 3600:.1f} h"
            )


# Disk a run needs, per cable (measured at 5,000-20,000 synthetic cables; docs/scaling.md).
DISK_PER_CABLE = {"corpus": 7_400, "sqlite": 31_000, "postgres": 45_000}


def _check_disk(args: argparse.Namespace, backends: set[str]) -> None:
    """Warn when the corpus and the databases may not fit on the disks they go to."""
    n = args.cables
    shards = [p for p in shard_ranges(n, args.shard)
              if not (args.out / f"synth-{args.seed}-{p[0]:07d}-{p[1]:07d}.tar").exists()]  # fmt: skip
    need = sum(last - first + 1 for first, last in shards) * DISK_PER_CABLE["corpus"]
    dbs = [DISK_PER_CABLE[b] * n for b in sorted(backends) if b != "postgres" or not args.pg_url]
    # databases one after the other when the first is deleted before the second starts
    need += max(dbs, default=0) if args.ingest_only and not args.keep else sum(dbs)
    if "postgres" in backends and not args.pg_url:
        need += 4 << 30  # max_wal_size
    free = shutil.disk_usage(args.out).free
    if need > free:
        print(f"warning: this run may need {need / 1e9:,.0f} GB of disk, {free / 1e9:,.0f} GB "
              f"is free under {args.out}", file=sys.stderr, flush=True)  # fmt: skip


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cables", type=int, default=5000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=2010)
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument("--shard", type=int, default=50_000, help="cables per corpus file")
    ap.add_argument("--chunk-docs", type=int, default=None,
                    help="documents per chunk (default: the ingest's)")  # fmt: skip
    ap.add_argument("--backends", default="sqlite,postgres",
                    help="which to run: sqlite, postgres or both (comma-separated)")  # fmt: skip
    ap.add_argument("--ingest-only", action="store_true", help="skip the searches")
    ap.add_argument("--keep", action="store_true",
                    help="keep the databases (default: delete them after the run)")  # fmt: skip
    ap.add_argument("--pg-url", default=None, help="an empty database (default: start one)")
    ap.add_argument("--pg-dir", default=None,
                    help="where the throw-away server keeps its data (default: $TMPDIR)")  # fmt: skip
    ap.add_argument("--scheduler", default=None, help="Dask scheduler (default: LocalCluster)")
    ap.add_argument("--project", type=int, default=PROJECT,
                    help="project time and size to this many cables (default 2,300,000)")  # fmt: skip
    ap.add_argument(
        "--search-only",
        action="store_true",
        help="time the queries on --sqlite-db and --pg-url, ingesting nothing",
    )
    ap.add_argument("--sqlite-db", default=None, help="an existing SQLite archive (--search-only)")
    args = ap.parse_args(argv)
    if args.search_only:
        return search_only(args)
    backends = {b.strip() for b in args.backends.split(",") if b.strip()}
    if not backends <= {"sqlite", "postgres"}:
        ap.error("--backends: sqlite and/or postgres")
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    summary: dict = {"command": " ".join([Path(sys.executable).name, *sys.argv]),
                     "cables": args.cables, "workers": args.workers,
                     "chunk_docs": args.chunk_docs or CHUNK_DOCS,
                     "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                 "load_before": os.getloadavg()}}  # fmt: skip
    _check_disk(args, backends)
    paths = corpus(out, args.cables, args.seed, args.shard)
    summary["corpus"] = [p.name for p in paths]
    queries = [] if args.ingest_only else query_mix(out, args.cables, args.seed)
    chunk = {} if args.chunk_docs is None else {"chunk_docs": args.chunk_docs}

    db = out / f"scale-{args.cables}.db"
    server = None
    pg_url = args.pg_url
    try:
        if "sqlite" in backends:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            summary["sqlite_local"] = time_ingest(str(db), paths, workers=args.workers, **chunk)
            print("SQLite, process pool:", json.dumps(summary["sqlite_local"]), flush=True)
            if args.ingest_only and not args.keep:  # measured: free the disk for PostgreSQL
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{db}{suffix}").unlink(missing_ok=True)
        if "postgres" in backends:
            if pg_url is None:
                from pg import TempPostgres

                server = TempPostgres(BENCH_SETTINGS, directory=args.pg_dir).start()
                pg_url = server.create_database("cablegram_scale")
                summary["postgres_settings"] = BENCH_SETTINGS
            summary["postgres_dask"] = time_ingest(
                pg_url, paths, server, workers=args.workers, engine="dask",
                scheduler=args.scheduler, **chunk,
            )  # fmt: skip
            print("PostgreSQL, Dask:    ", json.dumps(summary["postgres_dask"]), flush=True)
        if not args.ingest_only:
            if "sqlite" in backends:
                summary["search_sqlite"] = time_queries(str(db), args.rounds, queries)
            if "postgres" in backends:
                summary["search_postgres"] = time_queries(pg_url, args.rounds, queries)
    finally:
        if server is not None:
            if args.keep:
                print(f"PostgreSQL kept running: {pg_url} (data in {server.dir})")
            else:
                server.stop()
        if not args.keep:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
    summary["machine"]["load_after"] = os.getloadavg()
    status = 0
    a, b = summary.get("search_sqlite"), summary.get("search_postgres")
    if a and b:
        diff = [q for q in queries if a["queries"][q]["total"] != b["queries"][q]["total"]]
        summary["totals_differ"] = diff
        print(f"{'query':40} {'total':>8} {'SQLite ms':>10} {'PG ms':>8}")
        for q in queries:
            print(f"{q:40} {a['queries'][q]['total']:>8} {a['queries'][q]['median_ms']:>10} "
                  f"{b['queries'][q]['median_ms']:>8}")  # fmt: skip
        print(
            f"search p50/p95: SQLite {a['p50_ms']}/{a['p95_ms']} ms, "
            f"PostgreSQL {b['p50_ms']}/{b['p95_ms']} ms; totals differ for: {diff or 'none'}"
        )
        status = 1 if diff else 0
    else:
        for name, r in (("SQLite", a), ("PostgreSQL", b)):
            if r:
                print(f"search p50/p95: {name} {r['p50_ms']}/{r['p95_ms']} ms")
    path = out / f"scale-{args.cables}.json"
    if path.exists():  # a run of one backend keeps the other's figures at this size
        try:
            earlier = json.loads(path.read_text())
        except ValueError:
            earlier = {}
        if earlier.get("workers") == args.workers:
            for key in ("sqlite_local", "postgres_dask", "postgres_settings", "search_sqlite",
                        "search_postgres"):  # fmt: skip
                if key not in summary and key in earlier:
                    summary[key] = earlier[key]
                    summary.setdefault("kept_from_earlier_run", {})[key] = earlier["command"]
    path.write_text(json.dumps(summary, indent=2) + "\n")
    proj = project(out, args.project, args.workers)
    (out / "scale-projection.json").write_text(json.dumps(proj, indent=2) + "\n")
    print_projection(proj)
    return status


def search_only(args: argparse.Namespace) -> int:
    if not (args.sqlite_db and args.pg_url):
        print("--search-only needs --sqlite-db and --pg-url", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    queries = query_mix(args.out, args.cables, args.seed)
    load0 = os.getloadavg()
    r = time_interleaved(args.sqlite_db, args.pg_url, args.rounds, queries)
    a, b = r["search_sqlite"], r["search_postgres"]
    print(f"{'query':40} {'total':>8} {'SQLite ms':>10} {'PG ms':>8}")
    for q in queries:
        print(f"{q[:40]:40} {a['queries'][q]['total']:>8} {a['queries'][q]['median_ms']:>10} "
              f"{b['queries'][q]['median_ms']:>8}")  # fmt: skip
    load1 = os.getloadavg()
    print(
        f"search p50/p95 over {args.rounds} rounds, interleaved: SQLite {a['p50_ms']}/"
        f"{a['p95_ms']} ms, PostgreSQL {b['p50_ms']}/{b['p95_ms']} ms (p95 ratio "
        f"{b['p95_ms'] / a['p95_ms']:.2f}); answers differ for: {r['answers_differ'] or 'none'}; "
        f"load average {load0[0]:.1f} -> {load1[0]:.1f}"
    )
    r.update(command=" ".join([Path(sys.executable).name, *sys.argv]), cables=args.cables,
             load=[load0, load1])  # fmt: skip
    path = args.out / f"search-{args.cables}.json"
    path.write_text(json.dumps(r, indent=2) + "\n")
    return 1 if r["answers_differ"] else 0


if __name__ == "__main__":
    sys.exit(main())
