"""What clearance-aware access costs search (issue 6): p95 with the rules next to without.

    python bench/access.py --db /tmp/sample.db            # the sample archive
    python bench/access.py --db bench/out/archive-250000.db --rounds 3

The same queries on the same database and connection, page 1, 20 hits, facets on:
``Archive.search`` (no rules) against ``archive.as_reader(reader).search`` for an
anonymous reader (U only), a C reader and an S//NOFORN reader, each call audited to an
access file as the server does. Runs alternate (raw, then each reader) so cache effects
fall alike; every query is run once first to warm the page cache. Prints a table and
writes ``--json``. Target: the rules cost at most 20% at p95.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from cablegram.access import AccessDB, Reader  # noqa: E402
from cablegram.archive import Archive  # noqa: E402

QUERIES = [
    "baku", "government", "minister", "pipeline", "nuclear", "election", "iran",
    '"naval base"', '"prime minister"', "karabakh OR armenia", "oil gas", "terror*",
    "tag:PGOV", "tag:PREL iran", "origin:BAKU", "class:>=S", "caveat:NOFORN",
    "date:2009-01..2009-06 tag:PREL", "year:2008 election", "(oil OR gas) -tag:ECON",
    "subject:visit", "signer:DERSE", "president -iran", "embassy", "security council",
]  # fmt: skip
READERS = {
    "anonymous (U)": Reader.anonymous("U"),
    "C": Reader("c", "user", 3, frozenset()),
    "S//NOFORN": Reader("s", "user", 4, frozenset({"NOFORN"})),
}


def p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", type=Path, required=True, help="an archive (cablegram ingest)")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--json", type=Path, default=None, help="write the results here")
    args = ap.parse_args(argv)
    if not args.db.exists():
        ap.error(f"no database at {args.db}")
    tmp = tempfile.TemporaryDirectory()
    access = AccessDB(Path(tmp.name) / "bench.access.db")
    modes = ["no rules", *READERS]
    times: dict[str, list[float]] = {m: [] for m in modes}
    per_query: dict[str, dict[str, float]] = {}
    with Archive(args.db, create=False) as arc:
        views = {}
        for name, r in READERS.items():
            views[name] = arc.as_reader(
                r, audit=lambda a, t, q, n, r=r: access.audit(r, a, t, q, n, "bench")
            )

        def run(mode: str, q: str) -> float:
            t = time.perf_counter()
            if mode == "no rules":
                arc.search(q, per_page=20, facets=True)
            else:
                views[mode].search(q, per_page=20, facets=True)
            return time.perf_counter() - t

        for q in QUERIES:  # warm
            for m in modes:
                run(m, q)
        for q in QUERIES:
            got: dict[str, list[float]] = {m: [] for m in modes}
            for _ in range(args.rounds):
                for m in modes:
                    got[m].append(run(m, q))
            for m in modes:
                times[m] += got[m]
            per_query[q] = {m: statistics.median(got[m]) * 1000 for m in modes}
        n_cables = len(arc)
    base = p95(times["no rules"])
    result = {
        "db": str(args.db),
        "cables": n_cables,
        "queries": len(QUERIES),
        "rounds": args.rounds,
        "p95_ms": {m: round(p95(times[m]) * 1000, 2) for m in modes},
        "median_ms": {m: round(statistics.median(times[m]) * 1000, 2) for m in modes},
        "p95_overhead": {m: round(p95(times[m]) / base - 1, 3) for m in READERS},
        "per_query_median_ms": per_query,
    }
    print(f"{args.db}: {n_cables:,} cables, {len(QUERIES)} queries x {args.rounds} rounds")
    print(f"{'mode':<16} {'p50 ms':>8} {'p95 ms':>8} {'p95 vs no rules':>16}")
    for m in modes:
        over = "" if m == "no rules" else f"{result['p95_overhead'][m]:+.1%}"
        print(f"{m:<16} {result['median_ms'][m]:>8.2f} {result['p95_ms'][m]:>8.2f} {over:>16}")
    worst = max(result["p95_overhead"].values())
    print(f"worst p95 overhead: {worst:+.1%} (target <= +20%)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    access.close()
    tmp.cleanup()
    return 0 if worst <= 0.20 else 1


if __name__ == "__main__":
    raise SystemExit(main())
