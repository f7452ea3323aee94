"""Similar cables: how often the 10 most similar cables are ones the query cable cites or is
cited by, or share its TAGS, before and after entities weigh in; and how long queries take
on a real archive (docs/classify.md).

Quality (``--db``, the dev cables, enriched by ``cablegram enrich`` so entities count):
queries are the cables with at least one citation link (REF block) inside the archive,
split by cable into two seeded halves. Each score setting is reported on both halves; the
entity weight is chosen on half A and its figure read on half B (the honest one). The
citation bonus is left out of the quality settings (it would find citations by
construction); the full score, with it, is reported last.

Speed (``--scale-db``, e.g. the 250,000-cable synthetic archive, with ``--build`` to build its
index first, timed with peak RSS): the reader's in-memory index (load time, memory), then
over ``--queries`` random visible cables, p50/p95 of ``classify.similar`` (the cable page's
"more like this", through the reader's view), of the whole cable-page context, and of a
``similar:ID`` search, for an unrestricted reader and a restricted (UNCLASSIFIED) one.

    python bench/similar.py --db bench/out/dev.db
    python bench/similar.py --scale-db bench/out/synth-250k.db [--build]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from cablegram.access import Reader  # noqa: E402
from cablegram.archive import Archive  # noqa: E402
from cablegram.classify import build_index, similar  # noqa: E402
from cablegram.classify.similar import (  # noqa: E402
    CITE_WEIGHT,
    ENTITY_WEIGHT,
    TAG_WEIGHT,
    SimilarIndex,
    Weights,
    has_index,
    index_for,
    scores,
)


def pct(xs: list[float], q: float) -> float:
    return float(np.percentile(np.array(xs), q)) if xs else float("nan")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def precision(idx: SimilarIndex, queries: list[int], w: Weights) -> tuple[float, float]:
    """Mean precision at 10 against cited/citing cables, and share of the top 10 sharing a
    TAG with the query."""
    cites, tags = [], []
    for i in queries:
        top = [j for j, *_ in idx.query(idx.ids[i], 10, weights=w)]
        if not top:
            continue
        cites.append(np.mean([j in idx.cites[i] for j in top]))
        mine = idx.tags.get(i, set())
        tags.append(np.mean([bool(mine & idx.tags.get(j, set())) for j in top]))
    return float(np.mean(cites)), float(np.mean(tags))


def quality(db: Path, rebuild: bool) -> None:
    with Archive(db) as arc:
        conn = arc.store.conn
        if rebuild or not has_index(conn):
            t0 = time.perf_counter()
            n = build_index(arc)
            print(f"index: {n:,} portions in {time.perf_counter() - t0:.1f} s")
        idx = index_for(conn, None)
    queries = [i for i in range(len(idx.ids)) if idx.cites.get(i)]
    random.Random(0).shuffle(queries)
    half = {"A": sorted(queries[::2]), "B": sorted(queries[1::2])}
    n_ent = int((idx.entity_total > 0).sum())
    print(f"{len(idx.ids):,} cables ({n_ent:,} with entities shared with another cable), "
          f"{len(queries):,} with a citation link in the archive (halves of "
          f"{len(half['A'])} and {len(half['B'])})")  # fmt: skip
    if not n_ent:
        print("(no entities: run `cablegram enrich --db ...` first for the entity rows)")
    settings = [("text vectors only", Weights(0, 0, 0)),
                (f"text + TAGS {TAG_WEIGHT} (before)", Weights(TAG_WEIGHT, 0, 0))]  # fmt: skip
    sweep = [0.2, 0.5, 0.8, 1.2, 2.0]
    settings += [(f"text + TAGS + entities {e}", Weights(TAG_WEIGHT, e, 0)) for e in sweep]
    rows = {name: {h: precision(idx, q, w) for h, q in half.items()} for name, w in settings}
    best = max(sweep, key=lambda e: rows[f"text + TAGS + entities {e}"]["A"][0])
    print("\n| score | P@10 cited/citing, half A | half B | shares a TAG, A | B |")
    print("|---|---|---|---|---|")
    for name, r in rows.items():
        mark = " (best on A)" if name.endswith(f"entities {best}") else ""
        print(f"| {name}{mark} | {r['A'][0]:.3f} | {r['B'][0]:.3f} | {r['A'][1]:.3f} | "
              f"{r['B'][1]:.3f} |")  # fmt: skip
    allq = sorted(queries)
    for name, w in [("full before (text + TAGS + citation bonus)", Weights(TAG_WEIGHT, 0)),
                    (f"full after (+ entities {ENTITY_WEIGHT}, the default)", Weights())]:  # fmt: skip
        c, t = precision(idx, allq, w)
        print(f"{name}: P@10 cited/citing {c:.3f}, shares a TAG {t:.3f} (all queries; "
              f"citation bonus {CITE_WEIGHT})")  # fmt: skip
    rand = np.mean([len(idx.cites[i]) / (len(idx.ids) - 1) for i in queries])
    print(f"random cables: P@10 cited/citing {rand:.4f}")


def speed(db: Path, build: bool, n_queries: int) -> None:
    from cablegram.web.views.classify import cable_context

    with Archive(db) as arc:
        conn = arc.store.conn
        if build or not has_index(conn):
            t0, c0 = time.perf_counter(), time.process_time()
            n = build_index(arc)
            print(f"build_index: {n:,} portions in {time.perf_counter() - t0:.1f} s wall, "
                  f"{time.process_time() - c0:.1f} s CPU; peak RSS so far {rss_mb():.0f} MB")  # fmt: skip
        for label, reader in (("unrestricted", Reader.unrestricted()),
                              ("UNCLASSIFIED reader", Reader.anonymous("U"))):  # fmt: skip
            view = arc.as_reader(reader)
            t0, c0 = time.perf_counter(), time.process_time()
            idx = index_for(conn, view.visible)
            print(f"\n{label}: index of {len(idx.ids):,} cables loaded in "
                  f"{time.perf_counter() - t0:.1f} s wall ({time.process_time() - c0:.1f} s CPU),"
                  f" {idx.matrix.nbytes / 2**20:.0f} MB of vectors; peak RSS so far "
                  f"{rss_mb():.0f} MB")  # fmt: skip
            ids = random.Random(1).sample(idx.ids, min(n_queries, len(idx.ids)))
            # Wall clock and this process's CPU time per query: on a loaded shared machine
            # the CPU figure is the one that says what a query costs. The baseline is the
            # bare scoring step (one matrix-vector product and the top 200) on the same matrix,
            # as numpy's BLAS runs it (the earlier query path), then as ``scores`` runs it.
            names = ["baseline: BLAS product + top 200", "scoring step (classify.similar.scores)",
                     "classify.similar (more like this)", "cable-page context",
                     "search similar:ID"]  # fmt: skip
            wall: dict[str, list[float]] = {k: [] for k in names}
            cpu: dict[str, list[float]] = {k: [] for k in names}
            steps = [
                lambda cid, x=idx: np.argpartition(-(x.matrix @ x.matrix[x.by_id[cid]]), 200),
                lambda cid, x=idx: np.argpartition(scores(x.matrix, x.by_id[cid]), -200),
                lambda cid, v=view: similar(v, cid, k=10, visible=v.visible),
                lambda cid, v=view: cable_context(v, cid, True),
                lambda cid, v=view: v.search(f"similar:{cid}", per_page=10),
            ]
            for cid in ids:
                for key, step in zip(names, steps):
                    t0, c0 = time.perf_counter(), time.process_time()
                    step(cid)
                    wall[key].append((time.perf_counter() - t0) * 1000)
                    cpu[key].append((time.process_time() - c0) * 1000)
            for key in names:
                w, c = wall[key], cpu[key]
                print(f"  {key}: wall p50 {pct(w, 50):.1f} / p95 {pct(w, 95):.1f} ms, CPU "
                      f"p50 {pct(c, 50):.1f} / p95 {pct(c, 95):.1f} ms ({len(w)} cables)")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", type=Path, default=None, help="dev archive for precision")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the dev archive's index")
    ap.add_argument("--scale-db", type=Path, default=None, help="archive to time queries on")
    ap.add_argument("--build", action="store_true", help="(re)build the scale archive's index")
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args(argv)
    if args.db is None and args.scale_db is None:
        args.db = ROOT / "bench" / "out" / "dev.db"
    if args.db is not None:
        quality(args.db, args.rebuild)
    if args.scale_db is not None:
        speed(args.scale_db, args.build, args.queries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
